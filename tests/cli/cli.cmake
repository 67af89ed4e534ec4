# SPDX-License-Identifier: MIT
# End-to-end test of the `shmseq` CLI against a running sensor_reader
# (label e2e). json_flat is a strict JSON checker the script uses on
# `ls --json` / `stat --json`, so the test needs no python or jq. Under
# cross-compilation the emulator is handed to the script as SHMSEQ_EMULATOR.
if(TARGET shmseq_cli AND TARGET sensor_reader)
  add_executable(json_flat cli/json_flat.c)
  shmseq_c11(json_flat)

  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " SHMSEQ_CLI_EMULATOR)
  add_test(NAME e2e_cli
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_e2e.sh
            $<TARGET_FILE:shmseq_cli> $<TARGET_FILE:sensor_reader>
            $<TARGET_FILE:json_flat>)
  set_tests_properties(e2e_cli PROPERTIES
    LABELS e2e TIMEOUT 180
    ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_CLI_EMULATOR}")
endif()
