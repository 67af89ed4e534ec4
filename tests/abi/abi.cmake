# SPDX-License-Identifier: MIT
# Mixed-ABI test (README.md, invariant 6). abi_peer is built in every build,
# native and cross, as <build>/tests/abi_peer: tests/abi/run.sh takes the
# binaries of several builds and makes them share one region at the same
# time (foreign ones under qemu-user). It is a tool, not a test by itself;
# the one test here, abi_self, runs this build's binary alone (a writer and
# three readers forked from it), so ctest exercises it on every target,
# under the emulator when cross-compiling.
add_executable(abi_peer abi/abi_peer.c)
shmseq_c11(abi_peer)
target_link_libraries(abi_peer PRIVATE shmseq::shmseq)
target_include_directories(abi_peer PRIVATE ${PROJECT_SOURCE_DIR}/tests/common)

if(SHMSEQ_SANITIZE)
  set(_abi_self_samples 50000)
else()
  set(_abi_self_samples 200000)
endif()
# SHMSEQ_TEST_SCALE does not apply when --samples is given: the cross test
# presets scale through the environment, so pass no count there.
if(CMAKE_CROSSCOMPILING)
  add_test(NAME abi_self COMMAND abi_peer selftest)
else()
  add_test(NAME abi_self COMMAND abi_peer selftest --samples ${_abi_self_samples})
endif()
set_tests_properties(abi_self PROPERTIES TIMEOUT 200 LABELS "unit;abi")
