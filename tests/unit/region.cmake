# SPDX-License-Identifier: MIT
# Named-region API tests (src/region.c over core and the POSIX port). They
# fork, SIGKILL writers and use real POSIX shared memory; names carry the
# pid so parallel runs do not collide.
shmseq_add_test(NAME test_region SOURCES unit/test_region.c
  CMOCKA LABELS unit TIMEOUT 180)
