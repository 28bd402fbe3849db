#!/usr/bin/env bash
# run.sh NN [--quick]: runs validity experiment NN (04 ... 08) with seed 42:
# builds its executable (Release, in build-exp/), writes
# benchmarks/experiments/NN_*/results/results.json and draws the plots with
# Debian's python3-matplotlib (installed here when missing).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
if [ $# -lt 1 ]; then
  echo "usage: $0 NN [--quick]   (NN: $(cd "$root/benchmarks/experiments" && ls -d [0-9][0-9]_* | cut -c1-2 | tr '\n' ' '))" >&2
  exit 2
fi
nn=$1
shift
dir=$(ls -d "$root"/benchmarks/experiments/"$nn"_* 2> /dev/null | head -1)
if [ -z "$dir" ]; then
  echo "run.sh: no experiment $nn in benchmarks/experiments" >&2
  exit 2
fi
"$root/scripts/install-deps.sh"
if ! /usr/bin/python3 -c 'import matplotlib' 2> /dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends python3-matplotlib
fi
build=${TUTORCORE_EXP_BUILD:-$root/build-exp}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DTUTORCORE_TEST=OFF \
  -DTUTORCORE_SERVER=OFF > "$build.configure.log"
cmake --build "$build" -j "$(nproc)" --target "exp_$nn"
out="$dir/results"
"$build/benchmarks/experiments/exp_$nn" --seed 42 --out "$out" "$@"
MPLBACKEND=Agg /usr/bin/python3 "$dir/plot.py" "$out"
echo "results and plots in ${out#"$root"/}"
