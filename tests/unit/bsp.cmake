# SPDX-License-Identifier: MIT
# Board support: the sim driver, the driver wrappers and the board table.
shmseq_add_test(NAME test_sim SOURCES unit/test_sim.c
  LIBS shmseq_bsp LABELS unit CMOCKA TIMEOUT 60)
