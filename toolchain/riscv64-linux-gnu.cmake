# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 64-bit RISC-V Linux (Debian
# riscv64, RV64GC) with Debian's cross GCC (gcc-riscv64-linux-gnu and
# libc6-dev-riscv64-cross). It describes the target and nothing else; the
# project sets its own compile flags per target (STYLE.md, Build).
#
#   cmake --preset riscv64                   (CMakePresets.json), or
#   cmake -S . -B build/riscv64 --toolchain toolchain/riscv64-linux-gnu.cmake
#
# Debian 12 ships no riscv64 CMocka for multiarch, so this build has the
# torture, end-to-end and cross-ABI tests but not the CMocka unit tests
# (docs/porting.md).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR riscv64)

set(CMAKE_C_COMPILER riscv64-linux-gnu-gcc)

# Debian multiarch: the cross libc is under /usr/riscv64-linux-gnu, target
# packages (if any) under /usr/lib/riscv64-linux-gnu of the host root.
# Programs (pkg-config, sh, qemu) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/riscv64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# ctest runs every test target through qemu-user (package qemu-user). -L
# makes qemu take the dynamic loader from the cross libc; -E makes that
# loader take libc.so.6 from the same place too. Without it the loader
# follows the host's ld.so.cache to a multiarch libc6:<arch> of another
# Debian revision (pulled in by libcmocka-dev:<arch>), and ld.so and libc
# must match exactly: such a child hangs or crashes in fork().
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-riscv64 -L /usr/riscv64-linux-gnu
    -E LD_LIBRARY_PATH=/usr/riscv64-linux-gnu/lib)
