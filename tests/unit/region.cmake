# SPDX-License-Identifier: MIT
# Named-region API tests (src/region.c over core and the POSIX port). They
# fork, SIGKILL writers and use real POSIX shared memory; names carry the
# pid so parallel runs do not collide.
shmseq_add_test(NAME test_region SOURCES unit/test_region.c
  CMOCKA LABELS unit TIMEOUT 180)

# The number parser of drivers, examples and tools (util/).
shmseq_add_test(NAME test_parse SOURCES unit/test_parse.c
  LIBS shmseq_util CMOCKA LABELS unit TIMEOUT 30)

# The batch reads (shmseq_read_many, shmseq_read_many_wait): one fork.
shmseq_add_test(NAME test_read_many SOURCES unit/test_read_many.c
  CMOCKA LABELS unit TIMEOUT 60)

# libshmseq.so exports exactly the public headers' functions (nm -D).
if(TARGET shmseq_shared)
  add_test(NAME shared_exports
    COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM}
      -DLIB=$<TARGET_FILE:shmseq_shared>
      "-DEXPECTED=$<JOIN:${SHMSEQ_EXPORTS},|>"
      -P ${CMAKE_CURRENT_SOURCE_DIR}/tools/check_exports.cmake)
  set_tests_properties(shared_exports PROPERTIES TIMEOUT 60 LABELS unit)
endif()
