#!/usr/bin/env bash
# Builds the libFuzzer harnesses of tests/fuzz (clang, ASan+UBSan) in
# build-fuzz and runs each for a bounded time on a copy of its seed corpus.
# Fails on any crash, leak, timeout, out-of-memory or sanitizer report; the
# input that did it is kept under build-fuzz/artifacts/<target>/ (until the
# next run of that target).
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (default: 30 s, all targets)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

all_targets=(ws_frame json_codec http jwt config stomp_frame multipart)
seconds=${1:-30}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all_targets[@]}")
if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -lt 1 ]; then
  echo "usage: $0 [SECONDS [TARGET...]]; targets: ${all_targets[*]}" >&2
  exit 2
fi
for t in "${targets[@]}"; do
  [[ " ${all_targets[*]} " == *" $t "* ]] \
    || { echo "unknown fuzz target '$t' (${all_targets[*]})" >&2; exit 2; }
done

jobs=$(nproc 2>/dev/null || echo 2)
build_dir=${H2H_FUZZ_BUILD_DIR:-build-fuzz}
launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DH2H_FUZZ=ON \
  "${launcher[@]}" >/dev/null
start=$(date +%s)
binaries=()
for t in "${targets[@]}"; do binaries+=("${t}_fuzz"); done
cmake --build "$build_dir" -j "$jobs" --target "${binaries[@]}"
echo "fuzz build took $(( $(date +%s) - start )) s"

# libFuzzer grows the corpus it is given: give it a scratch copy.
work=$(mktemp -d /tmp/h2h-fuzz-XXXXXX)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# One harness: its findings under $artifacts, its log and exit status in
# $work (harnesses run side by side, one per core).
fuzz_one() {
  local t=$1 corpus="$work/corpus/$1" artifacts="$root/$build_dir/artifacts/$1"
  rm -rf "$artifacts" # only this run's findings
  mkdir -p "$corpus" "$artifacts"
  cp -r "tests/fuzz/corpus/$t/." "$corpus/"
  local args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
              -print_final_stats=1 -artifact_prefix="$artifacts/")
  [ -f "tests/fuzz/dict/$t.dict" ] && args+=(-dict="tests/fuzz/dict/$t.dict")
  local t0 rc=0
  t0=$(date +%s)
  "$build_dir/tests/fuzz/${t}_fuzz" "${args[@]}" "$corpus" >"$work/$t.log" 2>&1 \
    || rc=$?
  echo "$rc $(( $(date +%s) - t0 ))" >"$work/$t.status"
}

# At most $jobs harnesses at once (each is single-threaded); a harness
# that hangs is ended by libFuzzer's own -max_total_time/-timeout.
running=()
for t in "${targets[@]}"; do
  if [ ${#running[@]} -ge "$jobs" ]; then
    wait "${running[0]}" || true
    running=("${running[@]:1}")
  fi
  fuzz_one "$t" &
  running+=($!)
done
for pid in "${running[@]}"; do wait "$pid" || true; done

failed=()
for t in "${targets[@]}"; do
  log="$work/$t.log"
  read -r rc took <"$work/$t.status" || { rc=1; took=0; }
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  if [ "$rc" -eq 0 ]; then
    echo "fuzz $t: ${execs:-?} executions in ${took} s, corpus $(ls "$work/corpus/$t" | wc -l) inputs"
  else
    echo "fuzz $t: FAILED (exit $rc) after ${execs:-?} executions in ${took} s" >&2
    grep -E "ERROR|WARNING|runtime error|invariant broken|SUMMARY|Test unit written" "$log" \
      | head -20 >&2 || true
    echo "--- last lines of the $t log:" >&2
    tail -40 "$log" >&2
    failed+=("$t")
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzzing failed: ${failed[*]} (inputs under $build_dir/artifacts/)" >&2
  exit 1
fi
echo "fuzzing passed: ${targets[*]} (${seconds} s each)"
