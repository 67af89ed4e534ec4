# SPDX-License-Identifier: MIT
# The fleet bridge (docs/fleet.md): its wire formats and spool (unit, no
# broker), and shmseq-mqtt end to end against real brokers started by the
# test (label fleet).
if(TARGET shmseq_fleet)
  shmseq_add_test(NAME test_fleet_wire SOURCES fleet/test_fleet_wire.c
    LIBS shmseq_fleet LABELS unit TIMEOUT 60 CMOCKA)
  shmseq_add_test(NAME test_fleet_spool SOURCES fleet/test_fleet_spool.c
    LIBS shmseq_fleet LABELS unit TIMEOUT 60 CMOCKA)
endif()
