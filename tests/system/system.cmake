# SPDX-License-Identifier: MIT
# The whole emulated board (label system): boot.sh boots Debian's arm64
# kernel, generic and PREEMPT_RT, under qemu-system-aarch64 with an
# initramfs holding this build's aarch64 binaries and an armhf build's, and
# fails on a missing or FAIL marker, a kernel panic or a timeout.
#
# Registered only in an aarch64 build that knows where the armhf build is
# (SHMSEQ_ARMHF_BUILD_DIR; the aarch64 preset sets it). The armhf build
# must be built first; boot.sh says so if it is not. Run them with
#   ctest --test-dir build/aarch64 -L system --output-on-failure
# The tests are plain `bash boot.sh` commands, not targets, so no
# CMAKE_CROSSCOMPILING_EMULATOR is prefixed. Downloads (kernels, busybox)
# and the initramfs are kept in ${CMAKE_BINARY_DIR}/qemu-cache, so a rerun
# fetches nothing. Each boot takes a few minutes of emulation, and both
# VMs use two CPUs: they run one at a time (RUN_SERIAL).
set(SHMSEQ_ARMHF_BUILD_DIR "" CACHE PATH
  "An armhf build of shmseq, for the qemu-virt-aarch64 system tests")

if(CMAKE_SYSTEM_PROCESSOR STREQUAL "aarch64" AND SHMSEQ_ARMHF_BUILD_DIR)
  foreach(_kernel generic rt)
    add_test(NAME system_qemu_${_kernel}
      COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/boot.sh
        --kernel ${_kernel}
        --aarch64 ${CMAKE_BINARY_DIR}
        --armhf ${SHMSEQ_ARMHF_BUILD_DIR}
        --cache ${CMAKE_BINARY_DIR}/qemu-cache
        --timeout 600)
    set_tests_properties(system_qemu_${_kernel} PROPERTIES
      LABELS system
      TIMEOUT 900
      RUN_SERIAL TRUE)
  endforeach()
endif()

# check_iio: the emulated board's checker of the iio driver against the
# test module (tests/system/kmod/); built everywhere, used in the board.
if(TARGET shmseq_logfmt)
  add_executable(check_iio ${CMAKE_CURRENT_LIST_DIR}/check_iio.c)
  shmseq_c11(check_iio)
  target_link_libraries(check_iio PRIVATE shmseq_logfmt)
endif()
