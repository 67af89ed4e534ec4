# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 64-bit RISC-V Linux (Debian
# riscv64, RV64GC) with Debian's cross GCC (gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross). It describes the target and nothing else: the
# system, the compiler, where the target's libraries are for find_* and
# pkg-config, and qemu-riscv64 as the emulator (the shared part is
# toolchain/debian-cross.cmake). It sets no compile flag; the project sets
# its own per target (STYLE.md, Build).
#
# On its own, with no other variable, from a fresh build directory:
#   cmake -S . -B build/riscv64 --toolchain toolchain/riscv64-linux-gnu.cmake
#   cmake --build build/riscv64
#   ctest --test-dir build/riscv64
# ctest runs every test under qemu-riscv64. Debian 12 ships no riscv64
# CMocka: configure warns that the CMocka unit tests are left out, and the
# torture, end-to-end and cross-ABI tests are built and run.
# Libraries come from Debian multiarch (riscv64), or from a board's sysroot
# with -DSHMSEQ_SYSROOT=DIR or -DCMAKE_SYSROOT=DIR (docs/porting.md).
# `cmake --preset riscv64` is the same with Release and -Werror.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)

set(_shmseq_triplet riscv64-linux-gnu)
set(_shmseq_qemu qemu-riscv64)
include("${CMAKE_CURRENT_LIST_DIR}/debian-cross.cmake")
