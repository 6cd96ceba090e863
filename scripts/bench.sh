#!/usr/bin/env bash
# Reproducible benchmark runs on this machine (loopback only). Each command
# starts its own server, runs h2h-bench against it, stops the server by PID
# and prints h2h-bench's JSON. See docs/benchmarks.md for what they mean.
#
#   scripts/bench.sh fanout-h2h  RATE [CONNS]   h2h, durable, 10 rooms/10 publishers
#   scripts/bench.sh fanout-stomp RATE [CONNS]  the same load over STOMP at /ws
#   scripts/bench.sh fanout-peer RATE [CONNS]   the reference peer (Node.js + ws)
#   scripts/bench.sh fanout-uws  RATE [CONNS]   the uWebSockets peer (built once,
#                                               outside the tree, from ../shared/peers/uws)
#   scripts/bench.sh fanout-count RATE [H2HD FLAGS...]
#                                               fanout-h2h, and 5 s into it `perf stat` of
#                                               server and generator for 5 s: writes,
#                                               reads, wake-ups, TCP segments per delivery
#                                               (one JSON line; needs perf and root)
#   scripts/bench.sh fanout-count-uws RATE      the same counts for the uWebSockets peer
#   scripts/bench.sh fanout-flush RATE [H2HD FLAGS...]
#                                               fanout-h2h, and 5 s into it `perf trace` of
#                                               the server's fdatasync/fsync/pwrite64 for
#                                               5 s: how long the store's commits wait for
#                                               the disk (one JSON line; needs perf, root)
#   scripts/bench.sh disk-flush [uws]           the disk alone: 2,000 commits shaped like
#                                               SQLite's (three 4 KiB WAL frames, then
#                                               fdatasync) 2 ms apart in h2h's DB directory;
#                                               with "uws" while the uWebSockets peer serves
#                                               50,000 deliveries/s (flush latency, JSON)
#   scripts/bench.sh idle-h2h    [CONNS]        authenticated idle connections (held
#                                               H2H_BENCH_HOLD s, default 15)
#   scripts/bench.sh idle-peer   [CONNS]
#   scripts/bench.sh idle-uws    [CONNS]
#   scripts/bench.sh history     sqlite|mysql   durable messages/s, batched vs 1/tx
#   scripts/bench.sh compare     [RUNS]         interleaved runs, medians (markdown;
#                                               h2h, uWebSockets, Node.js; STOMP beside raw)
#   scripts/bench.sh cluster-start N DIR        a local cluster of N nodes on MariaDB
#                                               (deploy/local/cluster.sh) set up for load
#   scripts/bench.sh cluster-fanout DIR RATE [CONNS] [NODES] [ROOM_PREFIX]
#                                               fanout against that cluster: connection j
#                                               on node j % K of NODES (n1,n2,..; default
#                                               all); CPU of every node, MariaDB and Redis
#   scripts/bench.sh cluster-stop DIR
#   scripts/bench.sh cluster-failover DIR [CONNS] [VICTIM] [ROOM_PREFIX] [RATE]
#                                               CONNS clients on node VICTIM (default
#                                               n3), publishers on the others; the
#                                               victim is SIGKILLed and its clients
#                                               reconnect with lastSeq (h2h-bench failover)
#   scripts/bench.sh failover [CONNS] [VICTIM] [ROOM_PREFIX]
#                                               the same on a fresh 3-node cluster that it
#                                               starts and stops (one run)
#   scripts/bench.sh push [RUNS]                push notifications (issue 15): RUNS rounds
#                                               of push off / fast fake FCM / FCM answering
#                                               after 2 s, interleaved; JSON lines, then
#                                               the medians (scripts/bench-push.py)
#   scripts/bench.sh push-run off|fast|slow     one run of h2h-push-bench
#
# RATE is total publishes/s (500 = 50,000 deliveries/s with 1000 connections;
# 0 = as fast as the bounded publisher windows allow).
# H2H_BENCH_NO_BUILD=1 measures the binaries in H2H_BENCH_BUILD as they are.
# H2H_BENCH_DB_DIR=DIR puts h2h's SQLite file there (e.g. /dev/shm: the same
# run without the disk's sync), removed afterwards.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${H2H_BENCH_BUILD:-$root/build-release}
work=$(mktemp -d /tmp/h2h-bench-XXXXXX)
server_pid=""
db=${H2H_BENCH_DB_DIR:-$work}/h2h-bench-$$.db
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -f "$db" "$db-wal" "$db-shm"
  rm -rf "$work"
}
trap cleanup EXIT

ensure_build() {
  # H2H_BENCH_NO_BUILD=1: measure the binaries in H2H_BENCH_BUILD as they
  # are (a saved build of another commit, for interleaved comparisons).
  [ "${H2H_BENCH_NO_BUILD:-}" = 1 ] && return 0
  if [ ! -f "$build/build.ninja" ]; then
    "$root/scripts/deps.sh" build
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DH2H_BUILD_TESTS=OFF >/dev/null
  fi
  # Always: a stale binary would measure yesterday's code.
  cmake --build "$build" --target h2hd h2h-bench >/dev/null
}

wait_line() { # file pattern
  for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "server did not start: $(cat "$1")" >&2; return 1
}

start_h2h() { # extra args...
  # Metrics on a free port too: nothing here scrapes them, and the default
  # 9100 may be taken.
  "$build/apps/h2hd" --port 0 --bind 127.0.0.1 --log-level warn \
    --metrics.port 0 --metrics.bind 127.0.0.1 --admin.port 0 \
    --store.sqlite_path "$db" --limits.max_connections 60000 \
    --limits.connections_per_address 60000 \
    --limits.messages_per_second 100000 --limits.message_burst 100000 \
    "$@" >"$work/h2hd.out" 2>"$work/h2hd.err" &
  server_pid=$!
  wait_line "$work/h2hd.out" "^listening on"
  port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/h2hd.out")
}

start_peer() {
  local peer_dir=${H2H_PEER_DIR:-/tmp/h2h-bench-peer}
  if [ ! -d "$peer_dir/node_modules/ws" ]; then
    mkdir -p "$peer_dir"
    (cd "$peer_dir" && npm install --silent ws@8 >/dev/null 2>&1)
  fi
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  NODE_PATH="$peer_dir/node_modules" PORT=$port \
    node "$root/../shared/peers/ws_room_server.js" >"$work/peer.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0; sleep 0.1; done
  echo "peer did not start" >&2; return 1
}

# The uWebSockets peer: built by its own script into H2H_UWS_DIR (default
# /tmp/h2h-peer-uws), never inside the project, and reused afterwards.
start_uws() {
  local uws_dir=${H2H_UWS_DIR:-/tmp/h2h-peer-uws}
  local peer_src=$root/../shared/peers/uws
  if [ ! -x "$uws_dir/uws_server" ]; then
    [ -x "$peer_src/build.sh" ] || { echo "no uWebSockets peer at $peer_src" >&2; return 1; }
    "$peer_src/build.sh" "$uws_dir/uws_server" >/dev/null
  fi
  port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "$uws_dir/uws_server" "$port" >"$work/uws.out" 2>&1 &
  server_pid=$!
  for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && return 0; sleep 0.1; done
  echo "uWebSockets peer did not start" >&2; return 1
}

stop_server() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
}

fanout() { # proto rate conns
  local url=ws://127.0.0.1:$port/message
  [ "$1" = plain ] && url=ws://127.0.0.1:$port/
  [ "$1" = stomp ] && url=ws://127.0.0.1:$port/ws
  "$build/apps/h2h-bench" fanout --proto "$1" --url "$url" --conns "$3" \
    --rooms 10 --publishers 10 --rate "$2" --duration 10 --warmup 2 \
    --server-pid "$server_pid" --json
}

# fanout against the server started last, counted: 5 s into the run (past
# the 2 s warm-up), `perf stat` of the server and of the generator for 5 s
# and the loopback's TCP segments; the counts per delivery are added to
# h2h-bench's JSON as "per_delivery".
fanout_count() { # proto rate
  command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
  command -v nstat >/dev/null || apt-get install -y iproute2 >/dev/null
  local bench_pid perf_pid url=ws://127.0.0.1:$port/message
  [ "$1" = plain ] && url=ws://127.0.0.1:$port/
  "$build/apps/h2h-bench" fanout --proto "$1" --url "$url" \
    --conns 1000 --rooms 10 --publishers 10 --rate "$2" --duration 10 \
    --warmup 2 --server-pid "$server_pid" --json >"$work/bench.json" &
  bench_pid=$!
  sleep 5
  nstat -n >/dev/null
  perf stat -x, -o "$work/server.stat" -p "$server_pid" -e \
    syscalls:sys_enter_sendmsg,syscalls:sys_enter_sendto,syscalls:sys_enter_io_uring_enter,io_uring:io_uring_submit_req,syscalls:sys_enter_recvfrom,syscalls:sys_enter_futex,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_fdatasync,context-switches,task-clock \
    -- sleep 5 &
  perf_pid=$!
  perf stat -x, -o "$work/generator.stat" -p "$bench_pid" -e \
    syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_ctl,context-switches,task-clock \
    -- sleep 5
  wait "$perf_pid"
  nstat TcpOutSegs >"$work/segs"
  wait "$bench_pid"
  /usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
result = json.load(open(f"{work}/bench.json"))
deliveries = result["deliveries_per_s"] * 5  # the counted 5 s

def counts(path):
    out = {}
    for line in open(path):
        f = line.strip().split(",")
        if len(f) > 3 and f[0][:1].isdigit():
            out[f[2].split(":")[-1].replace("sys_enter_", "")] = float(f[0])
    return out

per = {}
for who in ("server", "generator"):
    for name, n in counts(f"{work}/{who}.stat").items():
        # task-clock is in ms: per delivery in microseconds.
        key, scale = (f"{who}_cpu_us", 1000.0) if name == "task-clock" else (f"{who}_{name}", 1.0)
        per[key] = round(n * scale / deliveries, 4)
per["server_writes"] = round(per.get("server_sendmsg", 0) + per.get("server_sendto", 0) + per.get("server_io_uring_submit_req", 0), 4)
segs = [l.split() for l in open(f"{work}/segs") if l.startswith("TcpOutSegs")]
if segs:
    per["tcp_segments"] = round(float(segs[0][1]) / deliveries, 4)
result["per_delivery"] = per
print(json.dumps(result))
PY
}

# fanout against the server started last, with the store's disk writes
# timed: 5 s into the run (past the 2 s warm-up), `perf trace` of the
# server's fdatasync, fsync and pwrite64 for 5 s; their durations (count,
# p50/p90/p99/max in ms, how many took over 1 ms) and the flushes per
# message are added to h2h-bench's JSON as "disk".
fanout_flush() { # rate
  command -v perf >/dev/null || apt-get install -y linux-perf >/dev/null
  local bench_pid url=ws://127.0.0.1:$port/message
  "$build/apps/h2h-bench" fanout --proto h2h --url "$url" \
    --conns 1000 --rooms 10 --publishers 10 --rate "$1" --duration 10 \
    --warmup 2 --server-pid "$server_pid" --json >"$work/bench.json" &
  bench_pid=$!
  sleep 5
  perf trace -p "$server_pid" -e fdatasync,fsync,pwrite64 \
    -o "$work/trace" -- sleep 5 >/dev/null 2>&1 || true
  wait "$bench_pid"
  /usr/bin/python3 - "$work" <<'PY'
import json, re, sys
work = sys.argv[1]
result = json.load(open(f"{work}/bench.json"))
# perf trace lines: "   4.328 ( 1.121 ms): caf.actor/2084 fdatasync(fd: 306) = 0"
line = re.compile(r"\(\s*([0-9.]+) ms\): \S+ (\w+)\(")
durations = {}
try:
    for text in open(f"{work}/trace"):
        m = line.search(text)
        if m:
            durations.setdefault(m.group(2), []).append(float(m.group(1)))
except FileNotFoundError:
    pass

def pct(sorted_ms, q):
    return sorted_ms[min(len(sorted_ms) - 1, int(q * len(sorted_ms)))]

disk = {}
for name, ms in sorted(durations.items()):
    ms.sort()
    disk[name] = {"calls": len(ms), "p50_ms": round(pct(ms, 0.5), 3),
                  "p90_ms": round(pct(ms, 0.9), 3),
                  "p99_ms": round(pct(ms, 0.99), 3), "max_ms": round(ms[-1], 3),
                  "over_1ms": sum(1 for x in ms if x > 1.0)}
messages = (result.get("publishes_per_s") or 0) * 5  # the traced 5 s
if messages and "fdatasync" in disk:
    disk["fdatasync_per_message"] = round(disk["fdatasync"]["calls"] / messages, 3)
result["disk"] = disk
print(json.dumps(result))
PY
}

# The disk alone, as the store's commits use it: 2,000 commits 2 ms apart
# (500/s, the fixed-rate run's commits), each three WAL-sized frames
# (24-byte header + 4 KiB page, SQLite's pwrites) and one fdatasync, in a
# 4 MiB file beside where h2h's SQLite file goes. Prints the fdatasync
# latencies (ms) as JSON.
disk_flush() {
  /usr/bin/python3 - "$(dirname "$db")/h2h-flush-$$.wal" <<'PY'
import json, os, sys, time
path = sys.argv[1]
page, header, frame = b"x" * 4096, b"h" * 24, 24 + 4096
fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
try:
    for i in range(1024):
        os.pwrite(fd, page, i * 4096)
    os.fdatasync(fd)
    lat, off = [], 0
    for _ in range(2000):
        t0 = time.perf_counter()
        for _ in range(3):
            os.pwrite(fd, header, off)
            os.pwrite(fd, page, off + 24)
            off += frame
        if off > 4_000_000:
            off = 0
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.002)
finally:
    os.close(fd)
    os.unlink(path)
lat.sort()
pct = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 3)
print(json.dumps({"mode": "disk-flush", "commits": len(lat), "p50_ms": pct(0.5),
                  "p90_ms": pct(0.9), "p99_ms": pct(0.99), "p999_ms": pct(0.999),
                  "max_ms": round(lat[-1], 3),
                  "over_1ms": sum(1 for x in lat if x > 1.0)}))
PY
}

# The nodes of the cluster in $1 as "id port pid" lines.
cluster_nodes() {
  local id public cluster metrics admin
  while read -r id public cluster metrics admin; do
    echo "$id $public $(cat "$1/$id.pid")"
  done <"$1/nodes"
}

# Waits (bounded) until every node's /readyz sees all $2 nodes.
cluster_wait_ready() {
  local id port pid ok
  for _ in $(seq 300); do
    ok=true
    while read -r id port pid; do
      curl -s "http://127.0.0.1:$port/readyz" | grep -q "\"nodes\":$2[,}]" \
        || ok=false
    done < <(cluster_nodes "$1")
    $ok && return 0
    sleep 0.1
  done
  echo "the cluster in $1 did not see $2 nodes within 30 s" >&2; return 1
}

cluster_fanout() { # dir rate conns nodes room_prefix
  local dir=$1 n urls=() pids=() id port pid
  n=$(wc -l <"$dir/nodes")
  cluster_wait_ready "$dir" "$n"
  while read -r id port pid; do
    [[ ",$4," == *",$id,"* ]] && urls+=(--url "ws://127.0.0.1:$port/message")
    pids+=(--server-pid "$pid") # every node's CPU: owners work for relays
  done < <(cluster_nodes "$dir")
  [ ${#urls[@]} -gt 0 ] || { echo "no node of $4 in $dir/nodes" >&2; return 2; }
  # The store and the registry last, so that their CPU can be told apart.
  pids+=(--server-pid "$(cat "$dir/mariadb/mariadbd.pid.launch")")
  pids+=(--server-pid "$(cat "$dir/redis/redis.pid.launch")")
  "$build/apps/h2h-bench" fanout --proto h2h "${urls[@]}" --conns "$3" \
    --rooms 10 --publishers 10 --rate "$2" --duration 10 --warmup 2 \
    --room-prefix "$5" "${pids[@]}" --json
}

# failover against the cluster in $1: the victim's URL first, then the
# others; the victim's PID is one cluster.sh started (DIR/ID.pid).
cluster_failover() { # dir conns victim room_prefix rate
  local dir=$1 urls=() others=() pids=() id port pid victim_pid=""
  cluster_wait_ready "$dir" "$(wc -l <"$dir/nodes")"
  while read -r id port pid; do
    if [ "$id" = "$3" ]; then
      urls+=(--url "ws://127.0.0.1:$port/message"); victim_pid=$pid
    else
      others+=(--url "ws://127.0.0.1:$port/message")
    fi
    pids+=(--server-pid "$pid")
  done < <(cluster_nodes "$dir")
  [ -n "$victim_pid" ] || { echo "no node $3 in $dir/nodes" >&2; return 2; }
  pids+=(--server-pid "$(cat "$dir/mariadb/mariadbd.pid.launch")")
  pids+=(--server-pid "$(cat "$dir/redis/redis.pid.launch")")
  "$build/apps/h2h-bench" failover "${urls[@]}" "${others[@]}" \
    --kill-pid "$victim_pid" --conns "$2" --rooms 10 --publishers 10 \
    --rate "$5" --warmup 5 --after 10 --room-prefix "$4" "${pids[@]}" --json
}

# h2h-push-bench lives with the tests (it reuses their fake FCM server and
# h2hd launcher): the Release tree is configured with them for it.
ensure_push_build() {
  if ! grep -q 'h2h-push-bench' "$build/build.ninja" 2>/dev/null; then
    "$root/scripts/deps.sh" build
    dpkg-query -W libgtest-dev >/dev/null 2>&1 \
      || apt-get install -y libgtest-dev libgmock-dev >/dev/null
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DH2H_BUILD_TESTS=ON >/dev/null
  fi
  cmake --build "$build" --target h2hd h2h-bench h2h-push-bench >/dev/null
}

# One h2h-push-bench run (at most ~1 minute): 1,000 absent members with a
# device in one room, push.coalesce_ms 100; push phase: 20 messages/s into
# that room for 2 + 8 s; chat phase: the fanout load at 200 messages/s
# (1000 receivers signed in as those members, 10 rooms, 10 publishers,
# 2 + 10 s) while the push room gets 1 message/s (1,000 pushes/s).
push_run() { # off|fast|slow
  local mode=(--push on --provider-delay-ms 0)
  case "$1" in
    off) mode=(--push off --push-duration 0) ;;
    fast) ;;
    slow) mode=(--push on --provider-delay-ms 2000) ;;
    *) echo "push-run off|fast|slow" >&2; return 2 ;;
  esac
  # The mode last: a later option wins (push off has no push phase).
  "$build/tests/h2h-push-bench" --h2hd "$build/apps/h2hd" \
    --bench "$build/apps/h2h-bench" --members 1000 \
    --coalesce-ms 100 --push-rate 20 --push-warmup 2 --push-duration 8 \
    --chat-push-rate 1 --conns 1000 --rooms 10 --publishers 10 --rate 200 \
    --chat-warmup 2 --chat-duration 10 "${mode[@]}"
}

# Idle runs hold their connections this long before the last RSS reading
# (rss_per_idle_conn_kb): what they cost once the opening burst is over.
hold=${H2H_BENCH_HOLD:-15}
cmd=${1:-}
shift || true
case "$cmd" in
  push|push-run) ensure_push_build ;;
  *) ensure_build ;;
esac
case "$cmd" in
  fanout-h2h)
    start_h2h --auth.required false
    fanout h2h "${1:?RATE}" "${2:-1000}"; stop_server ;;
  fanout-count)
    rate=${1:?RATE}; shift
    start_h2h --auth.required false "$@"
    fanout_count h2h "$rate"; stop_server ;;
  fanout-flush)
    rate=${1:?RATE}; shift
    start_h2h --auth.required false "$@"
    fanout_flush "$rate"; stop_server ;;
  disk-flush)
    if [ "${1:-}" = uws ]; then
      # The peer's run lasts 12 s; the commits start 3 s in and take ~5 s.
      start_uws
      fanout plain 500 1000 >"$work/uws.json" &
      load_pid=$!
      sleep 3
      disk_flush >"$work/flush.json"
      wait "$load_pid"; stop_server
      # The peer's own p99 in the same seconds, beside the disk's.
      /usr/bin/python3 -c 'import json, sys
flush, load = (json.load(open(p)) for p in sys.argv[1:])
flush["under"] = {"server": "uws", "deliveries_per_s": load["deliveries_per_s"],
                  "latency_p99_ms": load["latency_p99_ms"]}
print(json.dumps(flush))' "$work/flush.json" "$work/uws.json"
    else
      disk_flush
    fi ;;
  fanout-count-uws)
    start_uws
    fanout_count plain "${1:?RATE}"; stop_server ;;
  fanout-stomp)
    start_h2h --auth.required false
    fanout stomp "${1:?RATE}" "${2:-1000}"; stop_server ;;
  fanout-peer)
    start_peer
    fanout plain "${1:?RATE}" "${2:-1000}"; stop_server ;;
  fanout-uws)
    start_uws
    fanout plain "${1:?RATE}" "${2:-1000}"; stop_server ;;
  idle-h2h)
    start_h2h --auth.require_email_verification false \
      --auth.password_memory_kib 8 --auth.password_ops 1 \
      --limits.login_attempts 100000
    # 101 members, not 100: connection j takes token j % K and room
    # idle-<j % 100>, so with 100 every room would hold 100 connections of
    # one member; with 101 its 100 connections are of 100 members, as in a
    # reconnect storm.
    /usr/bin/python3 "$root/scripts/bench-tokens.py" \
      --url "http://127.0.0.1:$port" --count 101 --out "$work/tokens" >/dev/null
    "$build/apps/h2h-bench" idle --url "ws://127.0.0.1:$port/message" \
      --conns "${1:-10000}" --sources 127.0.0.2-127.0.0.20 \
      --token-file "$work/tokens" --server-pid "$server_pid" \
      --hold "$hold" --json
    stop_server ;;
  idle-peer)
    start_peer
    "$build/apps/h2h-bench" idle --proto plain --url "ws://127.0.0.1:$port/" \
      --conns "${1:-10000}" --sources 127.0.0.2-127.0.0.20 \
      --server-pid "$server_pid" --hold "$hold" --json
    stop_server ;;
  idle-uws)
    start_uws
    "$build/apps/h2h-bench" idle --proto plain --url "ws://127.0.0.1:$port/" \
      --conns "${1:-10000}" --sources 127.0.0.2-127.0.0.20 \
      --server-pid "$server_pid" --hold "$hold" --json
    stop_server ;;
  history)
    store=${1:?sqlite|mysql}
    if [ "$store" = mysql ]; then
      url=$("$root/scripts/mariadb.sh" start "$work/mariadb")
      trap '"$root/scripts/mariadb.sh" stop "$work/mariadb" >/dev/null 2>&1; cleanup' EXIT
      "$build/apps/h2h-bench" history --store mysql --mysql-url "$url" \
        --messages 200000 --single-messages 5000 --json
    else
      "$build/apps/h2h-bench" history --store sqlite \
        --sqlite-path "$work/history.db" --messages 200000 \
        --single-messages 5000 --json
    fi ;;
  cluster-start)
    n=${1:?N}; dir=${2:?DIR}
    H2HD="$build/apps/h2hd" "$root/deploy/local/cluster.sh" start -d "$n" "$dir" -- \
      --auth.required false --log-level warn \
      --limits.max_connections 60000 --limits.connections_per_address 60000 \
      --limits.messages_per_second 100000 --limits.message_burst 100000
    cluster_wait_ready "$dir" "$n" ;;
  cluster-fanout)
    dir=${1:?DIR}
    all=$(cut -d' ' -f1 "$dir/nodes" | paste -sd,)
    cluster_fanout "$dir" "${2:?RATE}" "${3:-1000}" "${4:-$all}" \
      "${5:-bench-}" ;;
  cluster-stop)
    "$root/deploy/local/cluster.sh" stop "${1:?DIR}" ;;
  cluster-failover)
    cluster_failover "${1:?DIR}" "${2:-1000}" "${3:-n3}" "${4:-bench-}" \
      "${5:-200}" ;;
  failover)
    # A fresh cluster per run: the killed node's rooms must move from a
    # known state. Everything started here is stopped by PID at the end.
    # H2H_BENCH_LOGS=DIR keeps the nodes' logs (they go with the cluster).
    trap '"$root/deploy/local/cluster.sh" stop "$work/cluster" >/dev/null 2>&1
          [ -n "${H2H_BENCH_LOGS:-}" ] && cp "$work"/cluster/n*.log "$H2H_BENCH_LOGS"/
          cleanup' EXIT
    H2HD="$build/apps/h2hd" "$root/deploy/local/cluster.sh" start -d 3 "$work/cluster" -- \
      --auth.required false --log-level warn \
      --limits.max_connections 60000 --limits.connections_per_address 60000 \
      --limits.messages_per_second 100000 --limits.message_burst 100000 \
      >&2
    cluster_failover "$work/cluster" "${1:-1000}" "${2:-n3}" "${3:-bench-}" 200
    ;;
  push)
    for _ in $(seq "${1:-3}"); do
      for m in off fast slow; do push_run "$m" | tee -a "$work/push.jsonl"; done
    done
    /usr/bin/python3 "$root/scripts/bench-push.py" "$work/push.jsonl" ;;
  push-run)
    push_run "${1:?off|fast|slow}" ;;
  compare)
    exec /usr/bin/python3 "$root/scripts/bench-compare.py" "$0" "${1:-3}" ;;
  *)
    # The usage: the comment block at the top, however long it grows.
    sed -n '2,/^set -euo/{/^#/p}' "$0"; exit 2 ;;
esac
