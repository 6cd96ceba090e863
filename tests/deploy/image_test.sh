#!/usr/bin/env bash
# Builds the h2h image (deploy/docker/Dockerfile) without a Docker daemon, as
# /work/shared/SERVICES.md shows (a Debian base made by mmdebstrap, podman
# build --isolation chroot), then runs what it holds as its non-root user:
# h2hd --check-config, h2hd on SQLite answering /healthz, h2h-admin --help.
# Proves the run stage has every library. Exit 77: podman/mmdebstrap missing.
#
# Everything it creates (images, containers, layers, mounts) lives in a
# podman store of its own under one temporary directory, removed at the end,
# also when it fails or is stopped (SIGTERM from `timeout`).
#
#   image_test.sh              all of it, in a temporary directory
#   image_test.sh prepare DIR  only the slow downloads that need no sources
#                              (the Debian base, the build tools' stage) into
#                              the store under DIR; leaves DIR in place
#   image_test.sh run DIR      the rest on that store, then removes DIR
#   image_test.sh clean DIR    removes DIR and everything in its store
# scripts/test-all.sh runs `prepare` in the background while it compiles.
#
# The compile inside the build stage uses the host's compiler cache when
# ccache is installed (H2H_IMAGE_CCACHE=0: compile without it): the cache is
# mounted at build time and the sources sit at the checkout's own path, so a
# host Release build with the same flags (scripts/test-all.sh's main build)
# makes the image's compile all cache hits.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
for tool in podman mmdebstrap curl; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is missing (scripts/deps.sh test installs it)"; exit 77; }
done
[ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root (podman mount, chroot)"; exit 77; }

phase=${1:-all}
case "$phase" in
  all) D=$(mktemp -d /tmp/h2h-image-XXXXXX) ;;
  prepare|run|clean) D=${2:?"usage: image_test.sh [prepare|run|clean DIR]"}; mkdir -p "$D" ;;
  *) echo "usage: image_test.sh [prepare|run|clean DIR]" >&2; exit 2 ;;
esac
tag=localhost/h2h-image-test:latest
C="" M="" pid=""
cleanup() {
  trap - EXIT INT TERM
  # prepare leaves its store to `run` unless it failed.
  if [ "$phase" = prepare ] && [ "${1:-1}" = 0 ]; then return 0; fi
  [ -d "$D" ] || return 0
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  if [ -n "$M" ]; then umount "$M/proc" "$M/dev" 2>/dev/null || true; fi
  # The store's own containers (a stopped build leaves its working
  # containers), its images, then whatever is still mounted under $D.
  # (Each pipeline ends in `|| true`: under pipefail an empty grep would
  # end the trap, and the script with status 1, before the store is gone.)
  podman ps -aq --external 2>/dev/null | while read -r c; do
    podman umount "$c" >/dev/null 2>&1 || true; podman rm -f "$c" >/dev/null 2>&1 || true
  done || true
  podman rmi -af >/dev/null 2>&1 || true
  findmnt -rn -o TARGET | { grep "^$D/" || true; } | sort -r | while read -r m; do
    umount -l "$m" 2>/dev/null || true
  done || true
  # H2H_IMAGE_TEST_LOGS=<dir> keeps the logs (build.log has per-line times).
  if [ -n "${H2H_IMAGE_TEST_LOGS:-}" ]; then mkdir -p "$H2H_IMAGE_TEST_LOGS" && cp "$D"/*.log "$H2H_IMAGE_TEST_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$D" || true
}
trap 'cleanup $?' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
printf '[containers]\ndefault_ulimits = []\npids_limit = 0\n' > "$D/containers.conf"
printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/storage"\nrunroot = "%s/run"\n' "$D" "$D" > "$D/storage.conf"
export CONTAINERS_CONF=$D/containers.conf CONTAINERS_STORAGE_CONF=$D/storage.conf
if [ "$phase" = clean ]; then exit 0; fi # the EXIT trap removes it all

# The host's compiler cache for the build stage (see above).
cache_args=()
if [ "${H2H_IMAGE_CCACHE:-1}" != 0 ] && command -v ccache >/dev/null \
    && [[ "$root" != *[[:space:]]* ]]; then
  cache_dir=$(ccache -k cache_dir)
  mkdir -p "$cache_dir"
  # What ccache hashes besides the command line and the files: the host
  # build's base directory and locale.
  cache_env="CCACHE_DIR=/ccache"
  for v in CCACHE_BASEDIR CCACHE_NOHASHDIR LANG LC_ALL LC_CTYPE LC_MESSAGES; do
    if [ -n "${!v:-}" ]; then cache_env+=" $v=${!v}"; fi
  done
  cache_args=(--volume "$cache_dir:/ccache" --build-arg "CCACHE_ENV=$cache_env")
  echo "build stage uses the host's compiler cache ($cache_dir; $cache_env)"
fi

t0=$(date +%s)
# The base the Dockerfile names, from Debian's packages (no registry here).
base=docker.io/library/debian:bookworm-slim
if ! podman image exists "$base"; then
  mmdebstrap --variant=minbase bookworm "$D/base.tar" >"$D/mmdebstrap.log" 2>&1 \
    || { tail -20 "$D/mmdebstrap.log"; exit 1; }
  podman import "$D/base.tar" "$base" >/dev/null 2>&1
  rm -f "$D/base.tar"
fi
base_s=$(( $(date +%s) - t0 ))
echo "base image ready in $base_s s"
t1=$(date +%s)
# --format docker keeps HEALTHCHECK (OCI images have none). Each line of
# the build log starts with the seconds since the build began. The same
# arguments for `prepare` and `run`, so that the second reuses the first's
# layers.
image_build() { # log extra-args...
  local log=$1; shift
  podman build --isolation chroot --network host --format docker \
    --build-arg "SRC_DIR=$root" "${cache_args[@]}" "$@" \
    -f deploy/docker/Dockerfile . 2>&1 \
    | while IFS= read -r line; do printf '%4d %s\n' $(( $(date +%s) - t1 )) "$line"; done \
    >"$log"
}
if [ "$phase" = prepare ]; then
  if ! image_build "$D/prepare.log" --target deps -t localhost/h2h-image-deps:latest; then
    tail -40 "$D/prepare.log"; echo "FAIL: podman build --target deps"; exit 1
  fi
  echo "image prepared in $(( $(date +%s) - t0 )) s (base $base_s s, build tools $(( $(date +%s) - t1 )) s)"
  exit 0
fi
if ! image_build "$D/build.log" -t "$tag"; then
  tail -40 "$D/build.log"; echo "FAIL: podman build"; exit 1
fi
sed -n '/ccache, this build:/,/Misses:/p' "$D/build.log" | cut -c6- | grep -E 'this build|Hits|Misses' || true
build_s=$(( $(date +%s) - t1 ))
echo "image built in $build_s s"

t2=$(date +%s)
fail=0
expect() { if "$@"; then echo "ok: ${desc}"; else echo "FAIL: ${desc}"; fail=1; fi; }
inspect() { podman image inspect --format "$1" "$tag"; }
desc="runs as a numeric non-root user"; expect test "$(inspect '{{.Config.User}}')" = 10001:10001
desc="EXPOSE 8080 4242 4243 9100"
expect test "$(inspect '{{range $p, $_ := .Config.ExposedPorts}}{{$p}} {{end}}')" = "4242/tcp 4243/tcp 8080/tcp 9100/tcp "
desc="a HEALTHCHECK"; expect test -n "$(inspect '{{.Config.Healthcheck}}')"
desc="one volume for data"; expect test "$(inspect '{{range $v, $_ := .Config.Volumes}}{{$v}} {{end}}')" = "/var/lib/h2h "

C=$(podman create "$tag" /bin/true)
M=$(podman mount "$C")
mount --bind /dev "$M/dev"
mount -t proc proc "$M/proc"
as_user() { chroot --userspec=10001:10001 "$M" env -i HOME=/var/lib/h2h \
  H2H_STORE_SQLITE_PATH=/var/lib/h2h/data/h2h.db "$@"; }
desc="binaries in /usr/local/bin"; expect test -x "$M/usr/local/bin/h2hd" -a -x "$M/usr/local/bin/h2h-admin"
desc="web files"; expect test -f "$M/usr/local/share/h2h/web/index.html"
desc="no missing library"
expect bash -c "! chroot '$M' ldd /usr/local/bin/h2hd /usr/local/bin/h2h-admin | grep 'not found'"
desc="h2hd --check-config as 10001"
expect as_user /usr/local/bin/h2hd --config /etc/h2h/h2h.conf --check-config >"$D/check.log" 2>&1
desc="h2h-admin --help as 10001"; expect as_user /usr/local/bin/h2h-admin --help >"$D/admin.log" 2>&1

# h2hd on SQLite, on free ports of 127.0.0.1, as the image's user.
(cd "$M" && exec chroot --userspec=10001:10001 "$M" env -i HOME=/var/lib/h2h \
   H2H_STORE_SQLITE_PATH=/var/lib/h2h/data/h2h.db /bin/sh -c 'cd /var/lib/h2h && exec /usr/local/bin/h2hd --config /etc/h2h/h2h.conf --server.bind 127.0.0.1 --server.port 0 --metrics.bind 127.0.0.1 --metrics.port 0 --admin.port 0') \
  >"$D/h2hd.out" 2>"$D/h2hd.log" &
pid=$!
port=""
for _ in $(seq 1 200); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$D/h2hd.out")
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
desc="h2hd starts on SQLite"; expect test -n "$port"
if [ -n "$port" ]; then
  desc="/healthz answers 200"
  expect test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/healthz")" = 200
  desc="/readyz answers 200 (the store is reachable)"
  expect test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$port/readyz")" = 200
fi
desc="the SQLite file under the volume"; expect test -f "$M/var/lib/h2h/data/h2h.db"
kill -TERM "$pid" 2>/dev/null || true
rc=0; wait "$pid" || rc=$?; pid=""
desc="h2hd exits 0 on SIGTERM"; expect test "$rc" = 0
umount "$M/proc" "$M/dev"
# Read-only friendly: the run wrote nothing outside the volume.
desc="writes only under /var/lib/h2h"
expect bash -c "! podman diff '$C' | awk '{print \$2}' | grep -v '^/var/lib/h2h\(/\|\$\)' | grep -v '^/var\$\|^/var/lib\$\|^/dev\|^/proc'"
if [ "$fail" != 0 ]; then
  for f in check.log admin.log h2hd.out h2hd.log; do echo "--- $f"; tail -20 "$D/$f" || true; done
  exit 1
fi
echo "image test passed in $(( $(date +%s) - t0 )) s (base $base_s s, build $build_s s, checks $(( $(date +%s) - t2 )) s)"
