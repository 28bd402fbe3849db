#!/usr/bin/env bash
# The main job: builds tutorcore and starts the example server on the
# embedded SQLite store with the bundled algebra domain and a simulated
# class; it prints the dashboard's URL (with the demo tenant's API key).
# Ctrl-C stops it. PORT, STUDENTS and DATA_DIR change the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$(nproc)" --target tutorcore_cli tutorcore_server
"$build/tutorcore" validate examples/domains/algebra_fundamentals
exec "$build/examples/server/tutorcore-server" --domain examples/domains/algebra_fundamentals \
  --data "${DATA_DIR:-$build/server-data}" --port "${PORT:-8080}" --students "${STUDENTS:-30}"
