#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sysroot test: a toolchain file with a board's sysroot instead of Debian
# multiarch. Lays out a small Debian-style sysroot for the target in a temp
# dir (usr/lib/<triplet>, usr/include, lib -> usr/lib) from the cross libc
# (libc6-dev-<arch>-cross) and, where Debian has it, CMocka for the target
# (libcmocka-dev:<arch>), all symlinked, then:
#   1. -DSHMSEQ_SYSROOT=<sysroot>: the compiler gets --sysroot, pkg-config
#      takes CMocka from the sysroot, and abi_self (shared memory, fork)
#      and the CMocka test test_layout are built and run by ctest under
#      qemu-user with the sysroot's loader and libraries;
#   2. -DCMAKE_SYSROOT=<a sysroot without CMocka>: CMocka must NOT be found
#      (the build machine's /usr/lib/<triplet> is not looked at), and the
#      configure must say the CMocka tests are left out.
# The install stage of `make test` runs it for aarch64 (about 15 s).
#
#   tests/install/sysroot.sh [TRIPLET]    (default aarch64-linux-gnu)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
triplet=${1:-aarch64-linux-gnu}
toolchain=$root/toolchain/$triplet.cmake
cross=/usr/$triplet               # libc6-dev-<arch>-cross
multiarch=/usr/lib/$triplet       # libcmocka-dev:<arch>, where Debian has it
[ -f "$toolchain" ] || { echo "sysroot test: no toolchain file for $triplet" >&2; exit 1; }
[ -e "$cross/lib/libc.so.6" ] ||
  { echo "sysroot test: $cross/lib/libc.so.6 missing (scripts/deps.sh installs it)" >&2; exit 1; }
loader=$(basename "$(ls "$cross"/lib/ld-linux-*.so.* | head -n1)")
tests=abi_self
if [ -e "$multiarch/pkgconfig/cmocka.pc" ]; then
  tests="abi_self test_layout"
elif [ "$triplet" = aarch64-linux-gnu ]; then
  echo "sysroot test: $multiarch/pkgconfig/cmocka.pc missing (scripts/deps.sh installs it)" >&2
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-sysroot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# make_sysroot DIR [cmocka]: a board's root as Debian lays it out.
make_sysroot() {
  local sr=$1 f
  mkdir -p "$sr/usr/lib/$triplet/pkgconfig" "$sr/usr/include"
  ln -s usr/lib "$sr/lib"
  for f in "$cross"/lib/*; do ln -s "$f" "$sr/usr/lib/$triplet/"; done
  ln -s "$triplet/$loader" "$sr/usr/lib/$loader"
  for f in "$cross"/include/*; do ln -s "$f" "$sr/usr/include/"; done
  if [ "${2:-}" = cmocka ] && [ -e "$multiarch/pkgconfig/cmocka.pc" ]; then
    ln -s /usr/include/cmocka.h "$sr/usr/include/"
    for f in "$multiarch"/libcmocka.so*; do ln -s "$f" "$sr/usr/lib/$triplet/"; done
    cp "$multiarch/pkgconfig/cmocka.pc" "$sr/usr/lib/$triplet/pkgconfig/"
  fi
}

# Only the toolchain file and the sysroot decide: no pkg-config variables
# from the caller's environment.
unset PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR

cache() { sed -n "s/^$2:[A-Z]*=//p" "$1/CMakeCache.txt"; }

echo "sysroot test ($triplet): -DSHMSEQ_SYSROOT, runs: $tests"
make_sysroot "$tmp/sysroot" cmocka
b=$tmp/with
cmake -S "$root" -B "$b" --toolchain "$toolchain" -DSHMSEQ_SYSROOT="$tmp/sysroot" \
  >"$tmp/with.log" 2>&1 || { cat "$tmp/with.log"; exit 1; }
if [ "$tests" != abi_self ]; then
  lib=$(cache "$b" pkgcfg_lib_CMOCKA_cmocka)
  case $lib in
    "$tmp/sysroot/"*) echo "sysroot test: CMocka from the sysroot: ${lib#"$tmp/"}" ;;
    *) echo "sysroot test: CMocka taken from '$lib', not from the sysroot" >&2; exit 1 ;;
  esac
fi
targets=${tests/abi_self/abi_peer}
# shellcheck disable=SC2086 # one --target per word
cmake --build "$b" --target $targets >"$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; exit 1; }
grep -q -- "--sysroot=$tmp/sysroot" "$b/tests/CMakeFiles/abi_peer.dir/link.txt" ||
  { echo "sysroot test: the compiler is not given --sysroot" >&2; exit 1; }
# ctest runs them under qemu-user with the sysroot's loader and libraries.
grep -qF "\"-L\" \"$tmp/sysroot\"" "$b/tests/CTestTestfile.cmake" ||
  { echo "sysroot test: the tests do not run under qemu -L <sysroot>" >&2; exit 1; }
ctest --test-dir "$b" -R "^(${tests// /|})\$" --no-tests=error --output-on-failure
[ "$(ctest --test-dir "$b" -N -R "^(${tests// /|})\$" | sed -n 's/^Total Tests: //p')" = \
  "$(echo "$tests" | wc -w)" ] || { echo "sysroot test: not every test ran" >&2; exit 1; }

echo "sysroot test ($triplet): -DCMAKE_SYSROOT, no CMocka in the sysroot"
make_sysroot "$tmp/bare"
b=$tmp/without
cmake -S "$root" -B "$b" --toolchain "$toolchain" -DCMAKE_SYSROOT="$tmp/bare" \
  >"$tmp/without.log" 2>&1 || { cat "$tmp/without.log"; exit 1; }
if [ -n "$(cache "$b" CMOCKA_FOUND)" ]; then
  echo "sysroot test: CMocka found outside a sysroot that has none:" \
       "$(cache "$b" pkgcfg_lib_CMOCKA_cmocka)" >&2
  exit 1
fi
grep -q "no CMocka for this target" "$tmp/without.log" ||
  { cat "$tmp/without.log"; echo "sysroot test: no message about the CMocka tests" >&2; exit 1; }
echo "sysroot test ($triplet): passed"
