#!/usr/bin/env bash
# The main job: builds tutorcore, validates the bundled algebra domain and
# drives a simulated class through the embedded SQLite event store.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target tutorcore_cli
"$build/tutorcore" validate examples/domains/algebra_fundamentals
"$build/tutorcore" validate examples/domains/intro_chemistry
"$build/tutorcore" demo --domain examples/domains/algebra_fundamentals --data "$build/demo-data" \
  --students "${STUDENTS:-30}" --seed "${SEED:-42}"
