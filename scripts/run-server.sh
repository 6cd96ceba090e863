#!/usr/bin/env bash
# Installs what is missing, builds h2hd and runs one node on the embedded
# defaults (SQLite under ./data, public port 8080, /metrics on port 9100).
# Extra arguments go to h2hd, e.g. --metrics.port 0 when 9100 is taken.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh build
cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DH2H_BUILD_TESTS=OFF >/dev/null
cmake --build build-release --target h2hd
mkdir -p data
exec build-release/apps/h2hd "$@"
