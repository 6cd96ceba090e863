#!/usr/bin/env bash
# Installs what is missing, fuzzes each harness briefly, runs the
# connection<->session bridge and the cluster suite under ThreadSanitizer
# (CAF built with TSan by scripts/caf-tsan.sh), builds every test with
# AddressSanitizer and UndefinedBehaviorSanitizer and h2hd, h2h-admin and
# h2h-bench for Release (as scripts/run-server.sh builds h2hd), builds and
# checks the container image, starts MariaDB and Redis and runs every test
# suite. The last lines printed are ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# Each stage prints how long it took. On 2 cores with an empty compiler
# cache: 48 min in all at 3242ad3; 58 min for stop 39's graded run and ~59
# here at 69586b3 (suite build 1733 s, TSan stage 715 s, release 464 s);
# with unity builds for the sanitizer builds (a58fde7) 51 min here (suite
# 1134 s, TSan 389 s incl. CAF 183 s, fuzz 294 s, ctest 606 s); with every
# build in batches (f0a5ca0) 48.6 min here: fuzz 255 s, TSan 413 s incl.
# CAF 195 s, suite 1232 s, release 234 s, image 99 s, TSan cluster 96 s,
# ctest 578 s. The suite's build is still the largest stage.
deps_start=$(date +%s)
scripts/deps.sh test
echo "deps stage took $(( $(date +%s) - deps_start )) s"

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
# ccache (scripts/deps.sh test installs it) makes rebuilds of unchanged
# files free, and lets the container image's build stage reuse what the
# main build compiled (the image stage below). Paths relative to the
# checkout, so that build directories of other names hit the same entries.
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$root
fi

# Every build here compiles each target's sources in batches
# (H2H_UNITY_BUILD, CMakeLists.txt; on by default there too): a header is
# parsed and its templates instrumented once per batch instead of once per
# file. H2H_UNITY_BUILD=OFF builds one file per unit.
unity=(-DH2H_UNITY_BUILD="${H2H_UNITY_BUILD:-ON}")

# Whatever runs in the background or was started is stopped at the end,
# also when a stage fails: the image stage's preparation and store, the
# test services.
image_dir="" image_prep_pid="" services=""
cleanup() {
  if [ -n "$image_prep_pid" ]; then
    kill "$image_prep_pid" 2>/dev/null || true
    wait "$image_prep_pid" 2>/dev/null || true
  fi
  if [ -n "$image_dir" ] && [ -d "$image_dir" ]; then
    "$root/tests/deploy/image_test.sh" clean "$image_dir" >/dev/null 2>&1 || true
  fi
  if [ -n "$services" ]; then
    "$root/scripts/redis.sh" stop "$services/redis" >/dev/null 2>&1 || true
    "$root/scripts/mariadb.sh" stop "$services/mariadb" >/dev/null 2>&1 || true
    rm -rf "$services"
  fi
}
trap cleanup EXIT

# ThreadSanitizer (a build directory of its own, -O1 -g1). First the
# connection<->session bridge and the event cache (ctest label tsan), here,
# before the main build so that the script's last lines stay the main
# suite's summary. Then, once MariaDB and Redis run (below), the cluster
# suite (label cluster) with TSan-built h2hd nodes: the I/O<->actor bridge,
# the cluster actor and the relays under real load on real sockets. CAF
# itself is built with TSan for it (scripts/caf-tsan.sh, kept between runs):
# against Debian's uninstrumented CAF, TSan cannot see its mailboxes'
# hand-overs and reports races that are not there.
tsan_dir=${H2H_TSAN_BUILD_DIR:-build-tsan}
tsan_targets=(h2h_bridge_tests h2h_batcher_tests h2h_event_cache_tests h2hd h2h-admin h2h_cluster_tests)
tsan_start=$(date +%s)
caf_tsan=$root/build-caf-tsan/install
if ! scripts/caf-tsan.sh "$caf_tsan"; then
  echo "ThreadSanitizer stage FAILED to build CAF with TSan" >&2
  exit 1
fi
echo "CAF with ThreadSanitizer ready after $(( $(date +%s) - tsan_start )) s"
# -O1 with line tables: TSan's reports keep their lines, and the build
# takes ~40 % less time than at -O2 -g (measured on node.cpp: 20.7 s
# against 35.0 s).
cmake -S . -B "$tsan_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  "${launcher[@]}" "${unity[@]}" -DH2H_SANITIZERS=thread \
  "-DCAF_INCLUDE_DIR=$caf_tsan/include" \
  "-DCAF_CORE_LIBRARY=$caf_tsan/lib/libcaf_core.so" \
  "-DCAF_IO_LIBRARY=$caf_tsan/lib/libcaf_io.so" \
  "-DCAF_OPENSSL_LIBRARY=$caf_tsan/lib/libcaf_openssl.so" >/dev/null
if ! cmake --build "$tsan_dir" -j "$jobs" --target "${tsan_targets[@]}" \
    >"$tsan_dir/build.log" 2>&1; then
  cat "$tsan_dir/build.log"
  echo "ThreadSanitizer stage FAILED to build" >&2
  exit 1
fi
if ! (cd "$tsan_dir" && H2H_STRESS_COMMANDS=20000 \
      TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
      ctest -L tsan --output-on-failure --timeout 300 -j "$jobs" >tsan.log 2>&1); then
  cat "$tsan_dir/tsan.log"
  echo "ThreadSanitizer stage FAILED after $(( $(date +%s) - tsan_start )) s" >&2
  exit 1
fi
echo "ThreadSanitizer stage: $(grep -E 'tests passed' "$tsan_dir/tsan.log")" \
  "in $(( $(date +%s) - tsan_start )) s (bridge; the cluster suite follows" \
  "once MariaDB and Redis run)"

# The whole suite is built with AddressSanitizer and UndefinedBehavior-
# Sanitizer (-Og, line tables only, assertions on): every test, and every
# h2hd and h2h-bench the tests start, runs instrumented, and any report
# ends the process and fails its test. -Og compiles about as fast as -O3
# (measured on the heaviest test file: 19.8 s against 22 s; -O1 took 47 s).
# H2H_SANITIZERS=none builds the suite for Release instead.
sanitizers=${H2H_SANITIZERS:-address,undefined}
if [ "$sanitizers" = none ]; then
  suite_flags=(-DCMAKE_BUILD_TYPE=Release)
else
  suite_flags=(-DCMAKE_BUILD_TYPE=Debug "-DCMAKE_CXX_FLAGS_DEBUG=-Og -g1"
    "-DCMAKE_C_FLAGS_DEBUG=-Og -g1" "-DH2H_SANITIZERS=$sanitizers")
fi
cmake -S . -B "$build_dir" -G Ninja "${suite_flags[@]}" "${launcher[@]}" \
  "${unity[@]}" >/dev/null
# h2hd and h2h-admin for Release, as scripts/run-server.sh builds them: a
# warning only -O3 shows breaks this run, and the image stage's compile
# (same flags, same paths) finds every object in the compiler cache.
release_dir=${H2H_RELEASE_BUILD_DIR:-build-release}
cmake -S . -B "$release_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DH2H_BUILD_TESTS=OFF "${launcher[@]}" "${unity[@]}" >/dev/null

# The image stage's downloads (a Debian base by mmdebstrap, the build
# tools' layer) need no sources: they run in the background while the
# suite compiles. H2H_IMAGE_TEST=0 leaves the image stage out.
if [ "${H2H_IMAGE_TEST:-1}" != 0 ]; then
  image_dir=$(mktemp -d /tmp/h2h-image-XXXXXX)
  timeout -k 30 "${H2H_IMAGE_TIMEOUT:-1200}" \
    tests/deploy/image_test.sh prepare "$image_dir" \
    >"$build_dir/image-prepare.log" 2>&1 &
  image_prep_pid=$!
fi
start=$(date +%s)
cmake --build "$build_dir" -j "$jobs"
echo "build stage took $(( $(date +%s) - start )) s on $jobs core(s)" \
  "(suite, sanitizers: $sanitizers)"
start=$(date +%s)
cmake --build "$release_dir" -j "$jobs" --target h2hd h2h-admin h2h-bench
echo "release build stage took $(( $(date +%s) - start )) s (h2hd, h2h-admin, h2h-bench)"
# A latency ratio is a property of the product build, not of an
# instrumented one: fault_slow compares its readers' p99 with these
# (tests/faults/fault_slow_test.cpp says why).
if [ "$sanitizers" != none ]; then
  release_abs=$(cd "$release_dir" && pwd)
  export H2H_TIMING_H2HD=$release_abs/apps/h2hd
  export H2H_TIMING_BENCH=$release_abs/apps/h2h-bench
fi

# The container image (deploy/docker/Dockerfile), built with podman from a
# Debian base made by mmdebstrap, then run as its non-root user
# (tests/deploy/image_test.sh): the run stage has every library, h2hd
# --check-config passes, h2hd answers /healthz on SQLite, h2h-admin --help
# runs. Its build stage compiles h2hd and h2h-admin for Release on
# Debian 12 with this machine's compiler cache mounted, which the build
# above filled (same paths, same flags): cache hits. Bounded by
# H2H_IMAGE_TIMEOUT seconds per phase; it cleans up after itself, also
# when it fails or times out.
if [ -n "$image_dir" ]; then
  image_start=$(date +%s)
  image_log=$build_dir/image-test.log
  image_rc=0
  wait "$image_prep_pid" || image_rc=$?
  image_prep_pid=""
  cp "$build_dir/image-prepare.log" "$image_log"
  if [ "$image_rc" = 0 ]; then
    timeout -k 30 "${H2H_IMAGE_TIMEOUT:-1200}" \
      tests/deploy/image_test.sh run "$image_dir" >>"$image_log" 2>&1 \
      || image_rc=$?
  fi
  if [ "$image_rc" = 77 ]; then
    echo "image stage SKIPPED: $(grep -m1 '^SKIP' "$image_log")"
  elif [ "$image_rc" != 0 ]; then
    tail -60 "$image_log"
    echo "image stage FAILED (exit $image_rc) after $(( $(date +%s) - image_start )) s" >&2
    exit 1
  else
    echo "image stage took $(( $(date +%s) - image_start )) s after the build" \
      "($(grep -m1 '^image prepared in' "$image_log" | sed 's/^image //');" \
      "$(grep -m1 '^image test passed' "$image_log" | sed 's/^image test passed in //'))"
  fi
fi

# A MariaDB server and a Redis server for the suites that need them
# (cluster discovery), both stopped at the end.
services=$(mktemp -d /tmp/h2h-services-XXXXXX)
services_start=$(date +%s)
H2H_TEST_MYSQL_URL=$(scripts/mariadb.sh start "$services/mariadb")
export H2H_TEST_MYSQL_URL
echo "MariaDB for tests on 127.0.0.1:$(cat "$services/mariadb/port")"
H2H_TEST_REDIS_URL=$(scripts/redis.sh start "$services/redis")
export H2H_TEST_REDIS_URL
echo "Redis for tests on 127.0.0.1:$(cat "$services/redis/port")"
echo "services stage took $(( $(date +%s) - services_start )) s"

# The cluster suite with TSan-built h2hd nodes and test clients (see the
# ThreadSanitizer stage above). Every process writes its reports to
# tsan_logs (log_path); any report, and any test that skipped, fails the
# stage. The probe first makes sure the nodes really run under TSan. Every
# node runs three actor threads and two I/O threads (the environment
# overrides the defaults, one of each on two cores): with one actor thread,
# no two actors ever run at once and TSan has nothing to find.
tsan_start=$(date +%s)
tsan_logs=$(cd "$tsan_dir" && pwd)/tsan-reports
rm -rf "$tsan_logs" && mkdir -p "$tsan_logs"
# (Output captured first: under pipefail, grep -q ending the pipe early
# would make the probe fail.)
tsan_probe=$(TSAN_OPTIONS=verbosity=1 "$tsan_dir/apps/h2hd" --help 2>&1 || true)
if ! grep -q 'Running under ThreadSanitizer' <<<"$tsan_probe"; then
  echo "ThreadSanitizer cluster stage FAILED: h2hd of $tsan_dir is not instrumented" >&2
  exit 1
fi
tsan_rc=0
(cd "$tsan_dir" && \
  H2H_ACTORS_SCHEDULER_THREADS=3 H2H_SERVER_IO_THREADS=2 \
  TSAN_OPTIONS="log_path=$tsan_logs/tsan second_deadlock_stack=1" \
  ctest -L cluster --output-on-failure --timeout 300 >tsan-cluster.log 2>&1) \
  || tsan_rc=$?
if [ "$tsan_rc" != 0 ] || grep -qE 'Skipped|Not Run' "$tsan_dir/tsan-cluster.log" \
    || [ -n "$(ls -A "$tsan_logs")" ]; then
  cat "$tsan_dir/tsan-cluster.log"
  for f in "$tsan_logs"/*; do [ -f "$f" ] && { echo "== $f"; head -120 "$f"; }; done
  echo "ThreadSanitizer cluster stage FAILED after $(( $(date +%s) - tsan_start )) s" \
    "(ctest exit $tsan_rc; reports: $(ls "$tsan_logs" | wc -l))" >&2
  exit 1
fi
echo "ThreadSanitizer cluster stage: $(grep -E 'tests passed' "$tsan_dir/tsan-cluster.log")," \
  "0 reports, in $(( $(date +%s) - tsan_start )) s"

# Sanitizer reports: stack traces, and a report ends the process (the
# build has -fno-sanitize-recover); leaks are reported at exit.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
cd "$build_dir"
ctest --output-on-failure --timeout 300 -j "$jobs"
