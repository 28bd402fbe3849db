#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer in build-fuzz (TUTORCORE_FUZZ=ON), then runs each
# target for N seconds (default 60) on its seed corpus fuzz/corpus/<target>.
# New inputs go to a scratch corpus; the committed seeds are left as they are.
#   scripts/fuzz.sh [seconds-per-target] [target...]
# Environment: FUZZ_BUILD_DIR (build-fuzz), FUZZ_JOBS (2), FUZZ_WORK (a temp
# dir: scratch corpora, logs and crash artifacts), FUZZ_RSS_MB (2048).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(domain submit act fit analytics coaching store csv payload answer sim)
build=${FUZZ_BUILD_DIR:-build-fuzz}
jobs=${FUZZ_JOBS:-2}
work=${FUZZ_WORK:-$(mktemp -d /tmp/tutorcore-fuzz.XXXXXX)}
mkdir -p "$work"
flags="-O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
if [ ! -f "$build/CMakeCache.txt" ]; then
  CC=${FUZZ_CC:-clang} CXX=${FUZZ_CXX:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Fuzz \
    -DCMAKE_C_FLAGS="$flags" -DCMAKE_CXX_FLAGS="$flags" -DTUTORCORE_FUZZ=ON \
    -DTUTORCORE_TEST=OFF -DTUTORCORE_BENCH=OFF -DTUTORCORE_CLI=OFF -DTUTORCORE_SERVER=OFF \
    -DTUTORCORE_TORCH=OFF -DTUTORCORE_INSTALL=OFF -DTUTORCORE_POSTGRES=OFF > "$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
fi
cmake --build "$build" -j "$jobs" --target $(printf 'fuzz_%s ' "${targets[@]}")
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
  start=$(date +%s)
  set +e
  "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
    -timeout=25 -max_len=65536 -print_final_stats=1 -artifact_prefix="$work/$t/artifacts/" \
    "$work/$t/corpus" "fuzz/corpus/$t" > "$work/$t/log" 2>&1
  rc=$?
  set -e
  stats=$(grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)' "$work/$t/log" | tr '\n' ' ')
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/$t/log" | tail -1)
  echo "fuzz_$t: rc=$rc $(($(date +%s) - start))s $cov $stats"
  if [ $rc -ne 0 ]; then
    failed+=("$t")
    tail -40 "$work/$t/log"
    ls "$work/$t/artifacts"
  fi
done
echo "fuzz logs and artifacts: $work"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzzing found problems in: ${failed[*]}" >&2
  exit 1
fi
