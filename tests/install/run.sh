#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install test: install a build tree into a temporary prefix, check the
# installed headers, and build the consumer in this folder against it: a
# CMake project with find_package(shmseq) (the static library) and with
# pkg-config (the shared one), run through ctest. A cross build tree (one
# configured with a toolchain file) gets a cross consumer: the same
# toolchain file, so the consumers are built for the target and run under
# its qemu-user (CMAKE_CROSSCOMPILING_EMULATOR). A native one is also
# built from the shell with cc and pkg-config. Part of the install stage of
# `make test`.
#
#   tests/install/run.sh [BUILD_DIR]     (default build/dev)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-build/dev}
case $build in /*) ;; *) build=$root/$build ;; esac
[ -f "$build/CMakeCache.txt" ] || { echo "install test: $build is not a configured build" >&2; exit 1; }
toolchain=$(sed -n 's/^CMAKE_TOOLCHAIN_FILE:[A-Z]*=//p' "$build/CMakeCache.txt")
what=native
[ -z "$toolchain" ] || what="cross, $(basename "$toolchain")"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

echo "install test ($what): cmake --install into a temporary prefix"
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
echo "install test ($what): $n installed headers compile on their own, no port header"

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

echo "install test ($what): consumer with find_package(shmseq) and pkg-config"
cmake -S "$here" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_BUILD_TYPE=Release ${toolchain:+--toolchain "$toolchain"} \
  >"$tmp/configure.log" 2>&1 || { cat "$tmp/configure.log"; exit 1; }
cmake --build "$tmp/consumer" >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; exit 1; }
# pkg-config's -lshmseq takes the installed libshmseq.so, as a system
# install would (the build tree's RUNPATH says where it is).
if ! readelf -d "$tmp/consumer/consumer_pc" | grep -q 'NEEDED.*\[libshmseq\.so\.'; then
  echo "install test: the pkg-config consumer did not link libshmseq.so" >&2
  exit 1
fi
ctest --test-dir "$tmp/consumer" --output-on-failure --no-tests=error \
  -R '^consumer(_pc)?$'
# Two programs, and both must have been registered and run.
[ "$(ctest --test-dir "$tmp/consumer" -N | sed -n 's/^Total Tests: //p')" = 2 ] ||
  { echo "install test: the consumer project registers two tests" >&2; exit 1; }

if [ -z "$toolchain" ]; then
  echo "install test ($what): pkg-config from the shell"
  # shellcheck disable=SC2046 # pkg-config output is meant to be split
  ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/consumer-cc" \
    "$here/main.c" $(pkg-config --cflags --libs shmseq)
  libdir=$(pkg-config --variable=libdir shmseq)
  if ! readelf -d "$tmp/consumer-cc" | grep -q 'NEEDED.*\[libshmseq\.so\.'; then
    echo "install test: the pkg-config consumer did not link libshmseq.so" >&2
    exit 1
  fi
  # This prefix is not on the loader's path, so say where.
  LD_LIBRARY_PATH=$libdir "$tmp/consumer-cc"
fi
echo "install test ($what): passed"
