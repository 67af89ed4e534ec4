# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 64-bit ARM Linux (Debian arm64,
# ARMv8-A) with Debian's cross GCC (gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross). It describes the target and nothing else: the
# system, the compiler, where the target's libraries are for find_* and
# pkg-config, and qemu-aarch64 as the emulator (the shared part is
# toolchain/debian-cross.cmake). It sets no compile flag; the project sets
# its own per target (STYLE.md, Build).
#
# On its own, with no other variable, from a fresh build directory:
#   cmake -S . -B build/aarch64 --toolchain toolchain/aarch64-linux-gnu.cmake
#   cmake --build build/aarch64
#   ctest --test-dir build/aarch64
# ctest runs every test under qemu-aarch64, the CMocka unit tests with
# CMocka from libcmocka-dev:arm64.
# Libraries come from Debian multiarch (arm64), or from a board's sysroot
# with -DSHMSEQ_SYSROOT=DIR or -DCMAKE_SYSROOT=DIR (docs/porting.md).
# `cmake --preset aarch64` is the same with Release, -Werror, CMocka
# required and the system tests (docs/boards.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

set(_shmseq_triplet aarch64-linux-gnu)
set(_shmseq_qemu qemu-aarch64)
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")
