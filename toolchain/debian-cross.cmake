# SPDX-License-Identifier: MIT
# Shared part of the toolchain files for Debian's cross GCC: where the
# target's libraries, headers, CMake packages and pkg-config files are, and
# how ctest runs the target's programs (qemu-user). Each
# toolchain/<triplet>.cmake sets the system, the compiler, _shmseq_triplet
# and _shmseq_qemu, then includes this file; it is not a toolchain file on
# its own.
#
# Two layouts of the target's libraries:
#   - Debian multiarch (no sysroot given): the cross libc under
#     /usr/<triplet>, target packages (libcmocka-dev:arm64) under
#     /usr/lib/<triplet> of the build machine's root;
#   - a board's sysroot, given as -DSHMSEQ_SYSROOT=DIR or CMake's own
#     -DCMAKE_SYSROOT=DIR: libraries, headers, CMake packages and .pc files
#     are taken from DIR only. Debian's cross GCC still takes its own libc
#     (/usr/<triplet>) before the sysroot's.
if(NOT _shmseq_triplet OR NOT _shmseq_qemu)
  message(FATAL_ERROR "toolchain/debian-cross.cmake is included by a "
                      "toolchain file (toolchain/<triplet>.cmake), not used as one")
endif()

if(SHMSEQ_SYSROOT AND NOT CMAKE_SYSROOT)
  set(CMAKE_SYSROOT "${SHMSEQ_SYSROOT}")
endif()
# try_compile projects read this file again: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES SHMSEQ_SYSROOT)

# Programs (pkg-config, sh, qemu) are the build machine's; everything the
# target links only from the target's roots (CMAKE_SYSROOT is searched
# first by itself).
if(CMAKE_SYSROOT)
  set(CMAKE_FIND_ROOT_PATH "")
else()
  set(CMAKE_FIND_ROOT_PATH /usr/${_shmseq_triplet} /)
endif()
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (FindPkgConfig, and any pkg-config a project runs while it
# configures) reads only the target's .pc files: PKG_CONFIG_LIBDIR replaces
# the build machine's default directories (which would hand the cross build
# the host's libraries); PKG_CONFIG_PATH, if the user sets one, is still
# searched first. This file is read again on every configure and in every
# try_compile, so the setting holds for re-configures started by the build.
if(CMAKE_SYSROOT)
  set(ENV{PKG_CONFIG_LIBDIR}
    "${CMAKE_SYSROOT}/usr/lib/${_shmseq_triplet}/pkgconfig:${CMAKE_SYSROOT}/usr/lib/pkgconfig:${CMAKE_SYSROOT}/usr/share/pkgconfig")
  # .pc files say -I/usr/include; pkg-config puts the sysroot in front.
  set(ENV{PKG_CONFIG_SYSROOT_DIR} "${CMAKE_SYSROOT}")
else()
  set(ENV{PKG_CONFIG_LIBDIR}
    "/usr/lib/${_shmseq_triplet}/pkgconfig:/usr/share/pkgconfig")
  unset(ENV{PKG_CONFIG_SYSROOT_DIR})
endif()

# ctest runs every test target through qemu-user (package qemu-user). -L
# makes qemu take the dynamic loader from the target's root; -E makes that
# loader take libc.so.6 (and every other library) from the same root too.
# Without it the loader follows the build machine's ld.so.cache to a
# multiarch libc6:<arch> of another Debian revision (pulled in by
# libcmocka-dev:<arch>), and ld.so and libc must match exactly: such a
# child hangs or crashes in fork().
if(CMAKE_SYSROOT)
  set(_shmseq_libs "${CMAKE_SYSROOT}/lib/${_shmseq_triplet}:${CMAKE_SYSROOT}/usr/lib/${_shmseq_triplet}:${CMAKE_SYSROOT}/lib:${CMAKE_SYSROOT}/usr/lib")
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_shmseq_qemu} -L "${CMAKE_SYSROOT}"
      -E "LD_LIBRARY_PATH=${_shmseq_libs}")
else()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${_shmseq_qemu} -L /usr/${_shmseq_triplet}
      -E LD_LIBRARY_PATH=/usr/${_shmseq_triplet}/lib)
endif()
