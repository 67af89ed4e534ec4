# SPDX-License-Identifier: MIT
# Core unit tests: the layout, the seqlock, the ring and the periodic
# task's arithmetic on plain memory
# (no shared memory, no port), plus the purity check that keeps core free
# of OS calls and allocation.
shmseq_add_test(NAME test_layout SOURCES unit/test_layout.c
  CMOCKA CORE_INTERNALS LABELS unit TIMEOUT 60)
shmseq_add_test(NAME test_seqlock SOURCES unit/test_seqlock.c
  CMOCKA CORE_INTERNALS LABELS unit TIMEOUT 60)
shmseq_add_test(NAME test_ring SOURCES unit/test_ring.c
  CMOCKA CORE_INTERNALS LABELS unit TIMEOUT 120)
shmseq_add_test(NAME test_task_stats SOURCES unit/test_task_stats.c
  CMOCKA CORE_INTERNALS LABELS unit TIMEOUT 30)

# core purity: nm on the shmseq_core objects must show no undefined symbol
# outside an allowlist (no malloc, no syscall wrapper), and core's sources
# must include no OS header. The object list is joined with '|' because a
# ';'-separated list would be split into several arguments.
add_test(NAME core_purity
  COMMAND ${CMAKE_COMMAND}
    -DNM=${CMAKE_NM}
    "-DOBJECTS=$<JOIN:$<TARGET_OBJECTS:shmseq_core>,|>"
    -DCORE_DIR=${PROJECT_SOURCE_DIR}/core
    -P ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_core_purity.cmake)
set_tests_properties(core_purity PROPERTIES TIMEOUT 60 LABELS unit)

# Layering: the structure drawn from the code's own includes has every
# arrow pointing down (core <- src <- bsp <- tools/examples, port beside
# core), no public header includes the port contract, and no tool or
# example calls a shmseq_port_* function.
add_test(NAME layering
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -P ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_layering.cmake)
set_tests_properties(layering PROPERTIES TIMEOUT 60 LABELS unit)
