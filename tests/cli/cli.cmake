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

# One option language across the five programs: every --help against the
# OPTION LETTERS table of docs/cli.md, --version everywhere (label e2e).
if(TARGET shmseq_cli AND TARGET shmseq-log AND TARGET logger
   AND TARGET sensor_reader AND TARGET reader_saver)
  add_test(NAME cli_options
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli/options_table.sh
            ${PROJECT_SOURCE_DIR}/docs/cli.md
            $<TARGET_FILE:shmseq_cli> $<TARGET_FILE:shmseq-log>
            $<TARGET_FILE:logger> $<TARGET_FILE:sensor_reader>
            $<TARGET_FILE:reader_saver>)
  set_tests_properties(cli_options PROPERTIES
    LABELS e2e TIMEOUT 60
    ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_CLI_EMULATOR}")
endif()
