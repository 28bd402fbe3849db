#!/usr/bin/env bash
# Installs the Debian 12 packages tutorcore builds with (and, with --test,
# what the tests add: a browser and Node for the dashboard test, a PostgreSQL
# server for the storage conformance suite, libtorch and Python's torch for
# the TorchScript plugin and its tests: about 150 MB downloaded, 0.9 GB on
# disk, a minute to install; the core never needs them. OpenBLAS replaces
# the reference BLAS libtorch would otherwise call, about 30x slower on batches).
set -euo pipefail
packages=(build-essential cmake pkg-config binutils python3
          libsqlite3-dev libsimdjson-dev libfmt-dev libeigen3-dev doctest-dev libcpp-httplib-dev
          libpq-dev)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium postgresql)  # postgresql: the throwaway server of with-postgres.sh
  packages+=(libtorch-dev python3-torch libopenblas0-pthread)  # libtutorcore_torch, its training script
  packages+=(clang libclang-rt-14-dev)  # scripts/fuzz.sh: libFuzzer, ASan and UBSan runtimes
  command -v node > /dev/null 2>&1 || packages+=(nodejs)
  command -v npm > /dev/null 2>&1 || packages+=(npm)
fi
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
