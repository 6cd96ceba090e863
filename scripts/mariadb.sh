#!/usr/bin/env bash
# A private MariaDB server for tests, on 127.0.0.1, in a directory of ours.
#   scripts/mariadb.sh start DIR [PORT]   prints mysql://h2h:secret@127.0.0.1:PORT/h2h
#   scripts/mariadb.sh stop DIR           stops it (by the PID it wrote)
# The user h2h may create databases, so that each test can have its own.
# H2H_SERVICE_BIND=ADDR: listen on ADDR too (an address of ours, e.g. a veth
# of the network-partition test), accept h2h from ADDR's /24 and print a URL
# with ADDR; without it, 127.0.0.1 only.
set -euo pipefail

cmd=${1:?usage: $0 start|stop DIR [PORT]}
dir=${2:?usage: $0 start|stop DIR [PORT]}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

extra=${H2H_SERVICE_BIND:-}
bind=127.0.0.1 host=127.0.0.1 froms=(127.0.0.1) more=()
if [ -n "$extra" ]; then
  bind="127.0.0.1,$extra" host=$extra froms+=("${extra%.*}.%")
  more=(--skip-name-resolve) # no reverse DNS for the peers' addresses
fi

client() {
  mariadb --no-defaults --socket="$dir/sock" -uroot "$@"
}

case "$cmd" in
  start)
    port=${3:-$(cat "$dir/port" 2>/dev/null || free_port)}
    echo "$port" > "$dir/port"
    if [ ! -d "$dir/data/mysql" ]; then
      mariadb-install-db --no-defaults --datadir="$dir/data" \
        --auth-root-authentication-method=normal --skip-test-db --user=root \
        >"$dir/install.log" 2>&1
    fi
    mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
      --port="$port" --bind-address="$bind" --user=root "${more[@]}" \
      --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" \
      --innodb-buffer-pool-size=128M --max-connections=500 \
      >/dev/null 2>&1 &
    echo $! > "$dir/mariadbd.pid.launch"
    for _ in $(seq 1 600); do
      if client -e 'select 1' >/dev/null 2>&1; then break; fi
      if ! kill -0 "$(cat "$dir/mariadbd.pid.launch")" 2>/dev/null; then
        echo "mariadbd exited; see $dir/error.log" >&2; tail -20 "$dir/error.log" >&2; exit 1
      fi
      sleep 0.1
    done
    client -e 'select 1' >/dev/null 2>&1 || { echo "mariadbd did not start in 60 s" >&2; exit 1; }
    sql="CREATE DATABASE IF NOT EXISTS h2h;"
    for from in "${froms[@]}"; do
      sql+=" CREATE USER IF NOT EXISTS 'h2h'@'$from' IDENTIFIED BY 'secret';
        GRANT ALL ON *.* TO 'h2h'@'$from';"
    done
    client -e "$sql"
    echo "mysql://h2h:secret@$host:$port/h2h"
    ;;
  stop)
    pidfile="$dir/mariadbd.pid.launch"
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pidfile"
    ;;
  *) echo "usage: $0 start|stop DIR [PORT]" >&2; exit 2 ;;
esac
