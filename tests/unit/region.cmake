# SPDX-License-Identifier: MIT
# Named-region API tests (src/region.c over core and the POSIX port). They
# fork, SIGKILL writers and use real POSIX shared memory; names carry the
# pid so parallel runs do not collide.
shmseq_add_test(NAME test_region SOURCES unit/test_region.c
  CMOCKA LABELS unit TIMEOUT 180)

# The examples' option parsers (header-only, examples/example_util.h).
shmseq_add_test(NAME test_example_util SOURCES unit/test_example_util.c
  CMOCKA LABELS unit TIMEOUT 30)
if(TARGET test_example_util) # not built where CMocka is missing
  target_include_directories(test_example_util PRIVATE
    ${PROJECT_SOURCE_DIR}/examples)
endif()

# The batch reads (shmseq_read_many, shmseq_read_many_wait): one fork.
shmseq_add_test(NAME test_read_many SOURCES unit/test_read_many.c
  CMOCKA LABELS unit TIMEOUT 60)
