#!/usr/bin/env bash
# scripts/redis.sh: start answers PING on the printed URL, restart keeps the
# port (and, with no persistence, starts empty), stop ends the server it
# started by its PID and is harmless twice. Skips (77) without redis-server.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v redis-server >/dev/null && command -v redis-cli >/dev/null \
  || { echo "redis-server not installed: skipped"; exit 77; }
dir=$(mktemp -d /tmp/h2h-redis-test-XXXXXX)
trap '"$root/scripts/redis.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

url=$("$root/scripts/redis.sh" start "$dir")
[[ "$url" =~ ^redis://127\.0\.0\.1:([0-9]+)$ ]] || fail "start printed '$url'"
port=${BASH_REMATCH[1]}
[ "$(redis-cli -p "$port" ping)" = PONG ] || fail "no PONG on $port"
pid=$(cat "$dir/redis.pid.launch")
[ "$(redis-cli -p "$port" config get save | tail -1)" = "" ] || fail "save is on"
[ "$(redis-cli -p "$port" config get appendonly | tail -1)" = no ] || fail "aof is on"
[ "$(redis-cli -p "$port" config get bind | tail -1)" = 127.0.0.1 ] || fail "bind"
"$root/scripts/redis.sh" start "$dir" >/dev/null 2>&1 && fail "a second start on one dir"
redis-cli -p "$port" set k v >/dev/null

url2=$("$root/scripts/redis.sh" restart "$dir")
[ "$url2" = "$url" ] || fail "restart moved from $url to $url2"
kill -0 "$pid" 2>/dev/null && fail "restart left the old server (pid $pid)"
[ "$(redis-cli -p "$port" get k)" = "" ] || fail "a restarted Redis kept data"
pid2=$(cat "$dir/redis.pid.launch")

"$root/scripts/redis.sh" stop "$dir"
kill -0 "$pid2" 2>/dev/null && fail "stop left pid $pid2"
redis-cli -p "$port" ping >/dev/null 2>&1 && fail "still answering on $port"
"$root/scripts/redis.sh" stop "$dir" || fail "a second stop failed"

url3=$("$root/scripts/redis.sh" start "$dir" "$port")
[ "$url3" = "$url" ] || fail "start with an explicit port printed '$url3'"
echo "redis.sh: start, restart and stop by PID on $url: ok"
