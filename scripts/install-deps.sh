#!/usr/bin/env bash
# Installs the Debian 12 packages tutorcore builds and tests with.
set -euo pipefail
packages=(build-essential cmake pkg-config binutils python3
          libsqlite3-dev libsimdjson-dev libfmt-dev libeigen3-dev doctest-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" > /dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
