#!/usr/bin/env bash
# Installs what is missing, fuzzes each harness briefly, builds everything
# and runs every test suite. The last lines printed are ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/deps.sh test

# Fuzzing (tests/fuzz): each harness for a bounded time, before the main
# suite so that ctest's summary stays the last output. H2H_FUZZ_SECONDS=0
# skips it.
fuzz_seconds=${H2H_FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  fuzz_start=$(date +%s)
  if ! scripts/fuzz.sh "$fuzz_seconds"; then
    echo "fuzz stage FAILED after $(( $(date +%s) - fuzz_start )) s" >&2
    exit 1
  fi
  echo "fuzz stage took $(( $(date +%s) - fuzz_start )) s"
fi

jobs=$(nproc 2>/dev/null || echo 2)
build_dir=${H2H_BUILD_DIR:-build-test}
# ccache, where installed, makes rebuilds of unchanged files free.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "${launcher[@]}" \
  ${H2H_SANITIZERS:+-DH2H_SANITIZERS=$H2H_SANITIZERS} >/dev/null
start=$(date +%s)
cmake --build "$build_dir" -j "$jobs"
echo "build took $(( $(date +%s) - start )) s on $jobs core(s)"

# A MariaDB server for the suites that need one, stopped at the end.
services=$(mktemp -d /tmp/h2h-services-XXXXXX)
cleanup() {
  "$root/scripts/mariadb.sh" stop "$services/mariadb" >/dev/null 2>&1 || true
  rm -rf "$services"
}
trap cleanup EXIT
H2H_TEST_MYSQL_URL=$(scripts/mariadb.sh start "$services/mariadb")
export H2H_TEST_MYSQL_URL
echo "MariaDB for tests on 127.0.0.1:$(cat "$services/mariadb/port")"

cd "$build_dir"
ctest --output-on-failure --timeout 300 -j "$jobs"
