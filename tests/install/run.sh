#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install test: install a build tree into a temporary prefix and build the
# consumer in this folder against it, once with find_package(shmseq) (the
# static library) and once with pkg-config (the shared one), then run both. The last stage of `make test`.
#
#   tests/install/run.sh [BUILD_DIR]     (default build/dev)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build/dev}
case $build in /*) ;; *) build=$root/$build ;; esac
[ -f "$build/CMakeCache.txt" ] || { echo "install test: $build is not a configured build" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "install test: cmake --install into a temporary prefix"
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" ||
  { cat "$tmp/install.log"; exit 1; }

# The public headers are the API and nothing else: the port contract and
# the core's internal headers stay in the source tree, and every installed
# header compiles on its own with the installed include directory alone.
incdir=$prefix/include
[ -d "$incdir/shmseq" ] || { echo "install test: no include/shmseq installed" >&2; exit 1; }
for f in port.h layout.h seqlock.h ring_test.h task_stats.h region_internal.h bsp.h; do
  if [ -e "$incdir/shmseq/$f" ]; then
    echo "install test: internal header shmseq/$f was installed" >&2
    exit 1
  fi
done
n=0
for h in "$incdir"/shmseq/*.h; do
  printf '#include <shmseq/%s>\nint main(void) { return 0; }\n' "${h##*/}" >"$tmp/one.c"
  ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror \
    -I"$incdir" -c -o "$tmp/one.o" "$tmp/one.c" ||
    { echo "install test: shmseq/${h##*/} does not compile on its own" >&2; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "install test: no header installed" >&2; exit 1; }
echo "install test: $n installed headers compile on their own, no port header"

echo "install test: find_package(shmseq)"
cmake -S "$here" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release >"$tmp/configure.log" ||
  { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" >"$tmp/build.log" ||
  { cat "$tmp/build.log"; exit 1; }
"$tmp/consumer/consumer"

echo "install test: pkg-config"
# GNUInstallDirs may choose lib, lib64 or lib/<multiarch>.
pcdir=$(dirname "$(find "$prefix" -name shmseq.pc -path '*/pkgconfig/*' | head -n1)")
[ -f "$pcdir/shmseq.pc" ] || { echo "install test: no shmseq.pc installed" >&2; exit 1; }
export PKG_CONFIG_PATH=$pcdir
# shmseq.pc finds its prefix relative to itself (${pcfiledir}), so an
# install with `cmake --install --prefix X` must point at X with no help.
recorded=$(pkg-config --variable=prefix shmseq)
if [ "$(cd "$recorded" && pwd -P)" != "$(cd "$prefix" && pwd -P)" ]; then
  echo "install test: shmseq.pc says prefix=$recorded, installed in $prefix" >&2
  exit 1
fi
# shellcheck disable=SC2046 # pkg-config output is meant to be split
${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/consumer-pc" \
  "$here/main.c" $(pkg-config --cflags --libs shmseq)
# -lshmseq takes the installed libshmseq.so (by its SONAME), as a system
# install would; this prefix is not on the loader's path, so say where.
libdir=$(pkg-config --variable=libdir shmseq)
if ! readelf -d "$tmp/consumer-pc" | grep -q 'NEEDED.*\[libshmseq\.so\.'; then
  echo "install test: the pkg-config consumer did not link libshmseq.so" >&2
  exit 1
fi
LD_LIBRARY_PATH=$libdir "$tmp/consumer-pc"
echo "install test: passed"
