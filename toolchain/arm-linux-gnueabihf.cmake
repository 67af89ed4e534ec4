# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 32-bit ARM Linux, hard-float
# (Debian armhf, ARMv7-A + VFPv3-D16 + Thumb-2) with Debian's cross GCC
# (gcc-arm-linux-gnueabihf and libc6-dev-armhf-cross). It describes the target and nothing else: the
# system, the compiler, where the target's libraries are for find_* and
# pkg-config, and qemu-arm as the emulator (the shared part is
# toolchain/debian-cross.cmake). It sets no compile flag; the project sets
# its own per target (STYLE.md, Build).
#
# On its own, with no other variable, from a fresh build directory:
#   cmake -S . -B build/armhf --toolchain toolchain/arm-linux-gnueabihf.cmake
#   cmake --build build/armhf
#   ctest --test-dir build/armhf
# ctest runs every test under qemu-arm, the CMocka unit tests with
# CMocka from libcmocka-dev:armhf.
# Libraries come from Debian multiarch (armhf), or from a board's sysroot
# with -DSHMSEQ_SYSROOT=DIR or -DCMAKE_SYSROOT=DIR (docs/porting.md).
# `cmake --preset armhf` is the same with Release, -Werror and CMocka
# required.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)

set(_shmseq_triplet arm-linux-gnueabihf)
set(_shmseq_qemu qemu-arm)
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")
