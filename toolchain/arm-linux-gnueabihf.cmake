# SPDX-License-Identifier: MIT
# Toolchain file: cross-compile shmseq for 32-bit ARM Linux, hard-float
# (Debian armhf, ARMv7-A + VFPv3-D16 + Thumb-2) with Debian's cross GCC
# (gcc-arm-linux-gnueabihf and libc6-dev-armhf-cross). It describes the
# target and nothing else; the project sets its own compile flags per
# target (STYLE.md, Build).
#
#   cmake --preset armhf                     (CMakePresets.json), or
#   cmake -S . -B build/armhf --toolchain toolchain/arm-linux-gnueabihf.cmake
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR arm)

set(CMAKE_C_COMPILER arm-linux-gnueabihf-gcc)

# Debian multiarch: the cross libc is under /usr/arm-linux-gnueabihf,
# target packages (libcmocka-dev:armhf) under /usr/lib/arm-linux-gnueabihf
# of the host root. Programs (pkg-config, sh, qemu) are the host's.
set(CMAKE_FIND_ROOT_PATH /usr/arm-linux-gnueabihf /)
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
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-arm -L /usr/arm-linux-gnueabihf
    -E LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib)
