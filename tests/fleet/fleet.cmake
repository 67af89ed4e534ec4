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
if(SHMSEQ_HAVE_SQLITE)
  shmseq_add_test(NAME test_fleet_sink SOURCES fleet/test_fleet_sink.c
    LIBS shmseq_sink LABELS unit TIMEOUT 60 CMOCKA)
endif()

# Against real brokers (tests/fleet/fleet_e2e.sh starts them): one test per
# part, so a failure names its part. A broker or tool that is missing makes
# the test FAIL naming the package (scripts/deps.sh installs them all).
set(SHMSEQ_FLEET_PARTS basic broker-kill spool-overflow bridge-kill replaced three
    two-subs tls nats)
# Native builds only: the brokers are the host's, and the script runs the
# programs directly (a cross build with the target's libmosquitto still
# builds the tool and runs the unit tests above under the emulator).
if(NOT CMAKE_CROSSCOMPILING AND TARGET shmseq-mqtt AND SHMSEQ_HAVE_SQLITE AND
   TARGET sensor_reader AND TARGET check_csv)
  # A small MQTT reader for the topics only dashboards read (meta, status,
  # json); over the same libmosquitto as the tool.
  add_executable(fleet_peek fleet/fleet_peek.c)
  shmseq_c11(fleet_peek)
  target_link_libraries(fleet_peek PRIVATE PkgConfig::MOSQUITTO)
  foreach(part IN LISTS SHMSEQ_FLEET_PARTS)
    add_test(NAME fleet_${part}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/fleet/fleet_e2e.sh
              $<TARGET_FILE:sensor_reader> $<TARGET_FILE:shmseq-mqtt>
              $<TARGET_FILE:check_csv> ${part})
    set_tests_properties(fleet_${part} PROPERTIES
      ENVIRONMENT "FLEET_PEEK=$<TARGET_FILE:fleet_peek>")
    set_tests_properties(fleet_${part} PROPERTIES LABELS "e2e;fleet"
      TIMEOUT 120 RUN_SERIAL ON)
  endforeach()
elseif(NOT CMAKE_CROSSCOMPILING)
  # Native build without the client library or the SQLite sink: the fleet
  # tests cannot run, and say so instead of vanishing.
  add_test(NAME fleet_e2e_missing
    COMMAND sh -c "echo 'fleet tests: shmseq-mqtt was not built: it needs libmosquitto-dev and libsqlite3-dev (scripts/deps.sh installs them), then reconfigure' >&2; exit 1")
  set_tests_properties(fleet_e2e_missing PROPERTIES LABELS "e2e;fleet")
endif()
