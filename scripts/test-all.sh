#!/usr/bin/env bash
# Installs what is missing, builds everything and runs every test suite.
# The last lines printed are ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh test
jobs=$(nproc 2>/dev/null || echo 2)
build_dir=${H2H_BUILD_DIR:-build-test}
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  ${H2H_SANITIZERS:+-DH2H_SANITIZERS=$H2H_SANITIZERS} >/dev/null
start=$(date +%s)
cmake --build "$build_dir" -j "$jobs"
echo "build took $(( $(date +%s) - start )) s on $jobs core(s)"

cd "$build_dir"
ctest --output-on-failure --timeout 300 -j "$jobs"
