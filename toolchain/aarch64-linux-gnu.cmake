# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 64-bit ARM Linux (Debian arm64,
# ARMv8-A) with Debian's cross GCC (gcc-aarch64-linux-gnu and
# libc6-dev-arm64-cross). It describes the target and nothing else; the
# project sets its own compile flags per target (STYLE.md, Build).
#
#   cmake --preset aarch64                   (CMakePresets.json), or
#   cmake -S . -B build/aarch64 --toolchain toolchain/aarch64-linux-gnu.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)

# Debian multiarch: the cross libc is under /usr/aarch64-linux-gnu, target
# packages (libcmocka-dev:arm64) under /usr/lib/aarch64-linux-gnu of the
# host root. Programs (pkg-config, sh, qemu) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
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
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L /usr/aarch64-linux-gnu
    -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
