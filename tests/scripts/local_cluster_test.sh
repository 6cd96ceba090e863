#!/usr/bin/env bash
# deploy/local/cluster.sh against the h2hd under test: two nodes with
# Redis and MariaDB start, answer /readyz and /metrics on the ports they
# print, run in cluster mode with their ids, and `stop` ends every process
# by PID. Also: h2hd --check-config masks redis.url's password.
# Skips (77) without redis-server or MariaDB.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
: "${H2HD:?H2HD must name the h2hd under test}"
for tool in redis-server redis-cli mariadbd curl; do
  command -v "$tool" >/dev/null || { echo "$tool not installed: skipped"; exit 77; }
done
fail() { echo "FAIL: $*" >&2; for f in "$dir"/n*.log; do echo "== $f"; tail -20 "$f"; done >&2; exit 1; }

shown=$(H2H_REDIS_URL='redis://app:topsecret@redis.example:6380/1' "$H2HD" --check-config)
grep -qx 'redis.url = redis://app:\*\*\*@redis.example:6380/1' <<<"$shown" \
  || { echo "FAIL: --check-config shows: $(grep redis.url <<<"$shown")" >&2; exit 1; }
grep -q topsecret <<<"$shown" && { echo "FAIL: the password was printed" >&2; exit 1; }

dir=$(mktemp -d /tmp/h2h-local-cluster-XXXXXX)
trap '"$root/deploy/local/cluster.sh" stop "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

out=$("$root/deploy/local/cluster.sh" start -d 2 "$dir" -- --log.level info) \
  || fail "start failed: $out"
echo "$out"
[ "$(wc -l <"$dir/nodes")" -eq 2 ] || fail "nodes file: $(cat "$dir/nodes")"
pids=()
ports=()
while read -r id public cluster metrics admin; do
  grep -q "^$id .*http://127.0.0.1:$public .*cluster 127.0.0.1:$cluster .*metrics http://127.0.0.1:$metrics/metrics" <<<"$out" \
    || fail "$id's ports are not printed"
  ports+=("$public" "$cluster" "$metrics")
  pids+=("$(cat "$dir/$id.pid")")
  ready=$(curl -s -m 10 -w ' %{http_code}' "http://127.0.0.1:$public/readyz")
  [[ "$ready" == '{"status":"ready","store":"ok"'*' 200' ]] || fail "$id /readyz: $ready"
  if [[ "$ready" == *'"cluster"'* ]]; then
    [[ "$ready" == *"\"node\":\"$id\""* ]] || fail "$id /readyz names another node: $ready"
  fi
  curl -s -m 10 "http://127.0.0.1:$metrics/metrics" | grep -q '^h2h_connections_open ' \
    || fail "$id /metrics"
  grep -q "cluster node $id on 127.0.0.1:$cluster, redis redis://127.0.0.1:" "$dir/$id.log" \
    || fail "$id does not log its cluster settings"
  grep -q "store ready: mysql" "$dir/$id.log" || fail "$id is not on MariaDB"
done <"$dir/nodes"
[ "$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)" -eq 6 ] || fail "ports repeat: ${ports[*]}"
redis_pid=$(cat "$dir/redis/redis.pid.launch")
maria_pid=$(cat "$dir/mariadb/mariadbd.pid.launch")

"$root/deploy/local/cluster.sh" stop "$dir" || fail "stop failed"
for pid in "${pids[@]}" "$redis_pid" "$maria_pid"; do
  kill -0 "$pid" 2>/dev/null && fail "pid $pid still runs after stop"
done
grep -q "h2hd stopped (exit code 0)" "$dir/n1.log" || fail "n1 did not drain"
echo "local cluster of 2 nodes: started, ready, stopped: ok"
