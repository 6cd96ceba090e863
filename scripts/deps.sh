#!/usr/bin/env bash
# Installs the Debian packages h2h needs, only those that are missing.
# Usage: scripts/deps.sh build|test
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config
  libcaf-dev libboost-dev libboost-system-dev nlohmann-json3-dev
  libspdlog-dev libfmt-dev libsqlite3-dev libssl-dev libmysqlcppconn-dev
  libcurl4-openssl-dev libsodium-dev libhiredis-dev libreadline-dev
  liburing-dev
)
test_pkgs=(
  libgtest-dev libgmock-dev python3 python3-websockets
  mariadb-server mariadb-client redis-server
  # ip netns, veth and bridge for the network-partition fault scenario.
  iproute2
  # the cluster CA and node certificates of the TLS cluster tests.
  openssl
  clang libclang-rt-14-dev
  chromium
  kubectl python3-yaml
  podman mmdebstrap curl
  # The image stage's build reuses the main build's objects through it.
  ccache
)

case "${1:-build}" in
  build) wanted=("${build_pkgs[@]}") ;;
  test) wanted=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  *) echo "usage: $0 build|test" >&2; exit 2 ;;
esac

missing=()
for p in "${wanted[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js and npm run the interop and browser tests (tests/interop,
# tests/web); any install that puts both on PATH will do: Debian's, or
# NodeSource's, which bundles npm and conflicts with Debian's npm package.
if [ "${1:-build}" = test ] && ! { command -v node && command -v npm; } >/dev/null 2>&1; then
  missing+=(nodejs npm)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Keep package scripts from starting services (MariaDB, Redis) on install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod +x /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
