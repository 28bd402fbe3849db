#!/usr/bin/env bash
# Builds tutorcore and runs every test: C++ engine tests, the plain-C ABI
# test, header, export and packaging checks, the CLI, the example server and
# the dashboard in a real browser; the storage conformance suite also runs
# against a throwaway PostgreSQL server.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --test
# The dashboard test drives chromium with playwright-core (npm, pinned by the lockfile).
(cd tests/dashboard && npm ci --no-audit --no-fund --loglevel=error)
# The Node binding loads the C ABI with koffi (npm, pinned by the lockfile).
(cd bindings/node && npm ci --no-audit --no-fund --loglevel=error)
build=${BUILD_DIR:-build-test}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-Werror" > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)"
# A short libFuzzer run of every input surface (build-fuzz, clang, ASan+UBSan; docs/reliability.md).
FUZZ_JOBS="$(nproc)" ./scripts/fuzz.sh 15
# The PostgreSQL store cases run against a throwaway server (with-postgres.sh).
root=$PWD
cd "$build"
"$root/scripts/with-postgres.sh" ctest --output-on-failure -j "$(nproc)"
"$root/scripts/test-sanitizers.sh"
