#!/usr/bin/env bash
# A private Redis server for tests and local clusters, on 127.0.0.1, in a
# directory of ours (no persistence: --save '' --appendonly no).
#   scripts/redis.sh start DIR [PORT]   prints redis://127.0.0.1:PORT
#   scripts/redis.sh stop DIR           stops it (by the PID it wrote)
#   scripts/redis.sh restart DIR        stop, then start on the same port
# H2H_SERVICE_BIND=ADDR: listen on ADDR too (an address of ours, e.g. a veth
# of the network-partition test) and print a URL with ADDR.
set -euo pipefail

usage="usage: $0 start DIR [PORT] | stop DIR | restart DIR"
cmd=${1:?$usage}
dir=${2:?$usage}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
self=$0
extra=${H2H_SERVICE_BIND:-} more=()
# Protected mode refuses every address but loopback without a password; the
# extra address is ours, on a private network of the test's.
[ -z "$extra" ] || more=(--protected-mode no)

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

ping() {
  [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ]
}

case "$cmd" in
  start)
    port=${3:-$(cat "$dir/port" 2>/dev/null || free_port)}
    echo "$port" > "$dir/port"
    pidfile="$dir/redis.pid.launch"
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "redis-server already runs from $dir (pid $(cat "$pidfile"))" >&2
      exit 1
    fi
    # Not daemonized: $! is redis-server itself, the PID stop will end.
    # shellcheck disable=SC2086 # the addresses are words of their own
    redis-server --bind 127.0.0.1 $extra --port "$port" --dir "$dir" \
      --save '' --appendonly no --daemonize no "${more[@]}" \
      --logfile "$dir/redis.log" --pidfile "$dir/redis.pid" \
      >/dev/null 2>&1 </dev/null &
    echo $! > "$pidfile"
    for _ in $(seq 1 100); do # 10 s
      if ping "$port"; then break; fi
      if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "redis-server exited; see $dir/redis.log" >&2
        tail -20 "$dir/redis.log" >&2 || true
        rm -f "$pidfile"
        exit 1
      fi
      sleep 0.1
    done
    if ! ping "$port"; then
      echo "redis-server did not answer PING on port $port in 10 s" >&2
      "$self" stop "$dir"
      exit 1
    fi
    echo "redis://${extra:-127.0.0.1}:$port"
    ;;
  stop)
    pidfile="$dir/redis.pid.launch"
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
    ;;
  restart)
    [ -f "$dir/port" ] || { echo "no Redis was started from $dir" >&2; exit 1; }
    "$self" stop "$dir"
    "$self" start "$dir" "$(cat "$dir/port")"
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
