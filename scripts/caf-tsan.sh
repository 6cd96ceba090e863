#!/usr/bin/env bash
# Builds CAF 0.17.6 (core, io, openssl) with ThreadSanitizer into PREFIX, so
# that h2hd and the cluster tests can run under TSan without the false
# reports an uninstrumented CAF gives (its mailboxes hand messages over with
# atomics TSan cannot see). The source is Debian's own tarball of the
# version libcaf-dev ships (checked against its SHA-256); the result is kept
# and reused while PREFIX/.h2h-stamp says it was built from it with the same
# flags.
# Usage: scripts/caf-tsan.sh [PREFIX]   (default: build-caf-tsan/install;
# the libraries land in PREFIX/lib, the headers in PREFIX/include)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

version=0.17.6
sha256=e2bf5bd243f08bb7d8adde197cfe3e6d71314ed3378fe0692f8932f4c3b3928c
url=http://deb.debian.org/debian/pool/main/a/actor-framework/actor-framework_${version}.orig.tar.gz
work=${H2H_CAF_TSAN_DIR:-$root/build-caf-tsan}
prefix=${1:-$work/install}
flags="-fsanitize=thread -O1 -g1"
stamp="$version $sha256 $flags libdir=lib"

if [ -f "$prefix/.h2h-stamp" ] && [ "$(cat "$prefix/.h2h-stamp")" = "$stamp" ]; then
  exit 0
fi

mkdir -p "$work"
tarball=$work/actor-framework_${version}.orig.tar.gz
if ! echo "$sha256  $tarball" | sha256sum -c --status 2>/dev/null; then
  echo "downloading CAF $version from Debian" >&2
  curl -sSfL --retry 3 --connect-timeout 20 --max-time 300 -o "$tarball.part" "$url"
  mv "$tarball.part" "$tarball"
  echo "$sha256  $tarball" | sha256sum -c --status \
    || { echo "CAF tarball does not match its SHA-256" >&2; exit 1; }
fi

src=$work/actor-framework-$version
rm -rf "$src" "$work/build"
tar -xzf "$tarball" -C "$work"
# Debian's one change to the sources it ships (0.17.6-2.1): GCC 11 and
# later need <limits> here.
sed -i '/^#include <cstring>$/a #include <limits>' \
  "$src/libcaf_io/caf/io/network/receive_buffer.hpp"

launcher=()
if command -v ccache >/dev/null 2>&1; then
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache)
  export CCACHE_BASEDIR=$work
fi
jobs=$(nproc 2>/dev/null || echo 2)
# As Debian builds it (log level quiet, memory management on), minus what
# h2h does not use.
cmake -S "$src" -B "$work/build" -G Ninja "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="$flags" \
  -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
  -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DCAF_LOG_LEVEL=QUIET \
  -DCAF_NO_EXAMPLES=yes -DCAF_NO_UNIT_TESTS=yes -DCAF_NO_OPENCL=yes \
  -DCAF_NO_PYTHON=yes -DCAF_NO_TOOLS=yes -DCAF_NO_SUMMARY=yes \
  -DCAF_NO_COMPILER_CHECK=yes >"$work/configure.log" 2>&1 \
  || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" -j "$jobs" >"$work/build.log" 2>&1 \
  || { tail -50 "$work/build.log"; exit 1; }
rm -rf "$prefix"
cmake --install "$work/build" >/dev/null
# The headers must be the ones h2h's other builds compile against.
if [ -d /usr/include/caf ]; then
  (cd "$prefix/include" && find caf -name '*.hpp' ! -name build_config.hpp) |
    while read -r f; do
      cmp -s "$prefix/include/$f" "/usr/include/$f" \
        || { echo "CAF header $f differs from /usr/include/$f" >&2; exit 1; }
    done
fi
for lib in caf_core caf_io caf_openssl; do
  ls "$prefix/lib/lib$lib.so" >/dev/null 2>&1 \
    || { echo "CAF build made no lib$lib" >&2; exit 1; }
done
echo "$stamp" >"$prefix/.h2h-stamp"
