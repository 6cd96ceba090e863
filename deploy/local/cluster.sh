#!/usr/bin/env bash
# A local h2h cluster on 127.0.0.1: Redis, MariaDB and N h2hd nodes, each
# with its own ports and log file, stopped together.
#   deploy/local/cluster.sh start [-d] N [DIR] [-- H2HD-ARGS...]
#       starts everything, prints where each node listens, then waits and
#       stops it all on Ctrl-C; with -d it returns at once (stop it later)
#   deploy/local/cluster.sh stop [DIR]
#       stops the nodes, Redis and MariaDB of DIR (by the PIDs written there)
# DIR defaults to /tmp/h2h-cluster. H2HD names the binary (default: the
# Release build, made when missing, as scripts/run-server.sh does).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
usage="usage: $0 start [-d] N [DIR] [-- H2HD-ARGS...] | stop [DIR]"
default_dir=/tmp/h2h-cluster

die() { echo "cluster.sh: $*" >&2; exit 1; }

# N distinct free TCP ports on 127.0.0.1 (held open together so that none
# repeats; another program may still take one before h2hd binds it).
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Stops one process by the PID in FILE: SIGTERM (h2hd drains), then SIGKILL
# after a bounded wait.
stop_pid_file() {
  local file=$1 pid
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "cluster.sh: pid $pid did not stop in 15 s; killing it" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

stop_all() {
  local dir=$1 f
  for f in "$dir"/n*.pid; do
    [ -e "$f" ] || continue
    stop_pid_file "$f"
  done
  "$root/scripts/redis.sh" stop "$dir/redis" >/dev/null 2>&1 || true
  "$root/scripts/mariadb.sh" stop "$dir/mariadb" >/dev/null 2>&1 || true
}

find_h2hd() {
  if [ -n "${H2HD:-}" ]; then
    [ -x "$H2HD" ] || die "H2HD=$H2HD is not an executable"
    echo "$H2HD"
    return
  fi
  local bin="$root/build-release/apps/h2hd"
  if [ ! -x "$bin" ]; then
    echo "building h2hd (Release) in $root/build-release" >&2
    (cd "$root" && scripts/deps.sh build \
      && cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release \
           -DH2H_BUILD_TESTS=OFF >/dev/null \
      && cmake --build build-release --target h2hd) >&2
  fi
  echo "$bin"
}

# Waits (bounded) until the log of node $1 says it listens; fails if the
# node exits first.
wait_listening() {
  local dir=$1 id=$2 pid
  pid=$(cat "$dir/$id.pid")
  for _ in $(seq 1 600); do # 60 s: the first node creates the schema
    grep -q "^listening on " "$dir/$id.log" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || {
      echo "cluster.sh: node $id exited; the end of $dir/$id.log:" >&2
      tail -20 "$dir/$id.log" >&2
      return 1
    }
    sleep 0.1
  done
  echo "cluster.sh: node $id did not listen within 60 s ($dir/$id.log)" >&2
  return 1
}

start() {
  local detach=false
  if [ "${1:-}" = -d ]; then detach=true; shift; fi
  local n=${1:-}
  [[ "$n" =~ ^[1-9][0-9]*$ ]] && [ "$n" -le 32 ] || die "N must be 1..32; $usage"
  shift
  # Global, not local: the EXIT trap runs after this function is gone.
  dir=$default_dir
  if [ $# -gt 0 ] && [ "$1" != -- ]; then dir=$1; shift; fi
  [ "${1:-}" = -- ] && shift
  local extra=("$@")
  for tool in redis-server redis-cli mariadbd mariadb-install-db; do
    command -v "$tool" >/dev/null 2>&1 \
      || die "$tool is missing (scripts/deps.sh test installs it)"
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  for f in "$dir"/n*.pid "$dir/redis/redis.pid.launch" \
           "$dir/mariadb/mariadbd.pid.launch"; do
    if [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null; then
      die "a cluster already runs from $dir ($0 stop $dir first)"
    fi
  done
  local h2hd
  h2hd=$(find_h2hd)

  # From here on, a failure or Ctrl-C stops whatever was started.
  trap 'stop_all "$dir"; exit 130' INT TERM
  trap 'rc=$?; [ $rc -eq 0 ] || stop_all "$dir"' EXIT

  local redis_url mysql_url secret
  redis_url=$("$root/scripts/redis.sh" start "$dir/redis")
  mysql_url=$("$root/scripts/mariadb.sh" start "$dir/mariadb")
  # Every node signs and checks tokens with one key: a client may log in on
  # one node and connect to another.
  if [ ! -s "$dir/jwt_secret" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/jwt_secret")
  fi
  secret=$(cat "$dir/jwt_secret")

  local ports
  read -r -a ports <<<"$(free_ports $((4 * n)))"
  : >"$dir/nodes"
  local i id public cluster metrics admin
  for i in $(seq 1 "$n"); do
    id=n$i
    public=${ports[$((4 * (i - 1)))]}
    cluster=${ports[$((4 * (i - 1) + 1))]}
    metrics=${ports[$((4 * (i - 1) + 2))]}
    admin=${ports[$((4 * (i - 1) + 3))]}
    H2H_STORE_KIND=mysql H2H_STORE_MYSQL_URL="$mysql_url" \
    H2H_CLUSTER_ENABLED=true H2H_CLUSTER_ADVERTISE_HOST=127.0.0.1 \
    H2H_CLUSTER_NODE_ID=$id H2H_CLUSTER_PORT=$cluster \
    H2H_REDIS_URL="$redis_url" \
    H2H_SERVER_BIND=127.0.0.1 H2H_SERVER_PORT=$public \
    H2H_METRICS_BIND=127.0.0.1 H2H_METRICS_PORT=$metrics \
    H2H_ADMIN_BIND=127.0.0.1 H2H_ADMIN_PORT=$admin \
    H2H_AUTH_JWT_SECRET=$secret \
      "$h2hd" ${extra[@]+"${extra[@]}"} >"$dir/$id.log" 2>&1 </dev/null &
    echo $! >"$dir/$id.pid"
    echo "$id $public $cluster $metrics $admin" >>"$dir/nodes"
    # The first node creates and migrates the schema; the others start
    # once it listens, so that no two migrate at once.
    if [ "$i" -eq 1 ]; then wait_listening "$dir" "$id"; fi
  done
  for i in $(seq 2 "$n"); do wait_listening "$dir" "n$i"; done

  echo "redis   $redis_url"
  echo "mariadb $(sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#' <<<"$mysql_url")"
  while read -r id public cluster metrics admin; do
    echo "$id      http://127.0.0.1:$public  ws://127.0.0.1:$public/message" \
         " cluster 127.0.0.1:$cluster  metrics http://127.0.0.1:$metrics/metrics" \
         " admin h2h-admin --port $admin" \
         " log $dir/$id.log"
  done <"$dir/nodes"
  if $detach; then
    trap - INT TERM EXIT
    echo "stop with: $0 stop $dir"
    return 0
  fi
  echo "Ctrl-C stops the cluster (or: $0 stop $dir)"
  # Wait while any node runs; a node that is killed leaves the others up.
  while :; do
    local alive=false f
    for f in "$dir"/n*.pid; do
      [ -f "$f" ] && kill -0 "$(cat "$f")" 2>/dev/null && alive=true
    done
    $alive || break
    sleep 1
  done
  echo "every node has stopped; stopping Redis and MariaDB"
  trap - INT TERM EXIT
  stop_all "$dir"
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop)
    dir=${2:-$default_dir}
    [ -d "$dir" ] || die "no cluster directory $dir"
    stop_all "$(cd "$dir" && pwd)"
    ;;
  *) echo "$usage" >&2; exit 2 ;;
esac
