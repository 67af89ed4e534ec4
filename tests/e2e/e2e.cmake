# SPDX-License-Identifier: MIT
# End-to-end tests: the real example programs, driven by POSIX sh scripts.
# Binaries are passed as arguments; under cross-compilation the emulator is
# handed to the scripts as SHMSEQ_EMULATOR.
if(TARGET sensor_reader AND TARGET logger AND TARGET reader_saver)
  add_executable(check_csv e2e/check_csv.c)
  shmseq_c11(check_csv)
  target_link_libraries(check_csv PRIVATE shmseq_bsp)

  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " SHMSEQ_E2E_EMULATOR)
  add_test(NAME e2e_demo
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/e2e/demo_e2e.sh
            $<TARGET_FILE:sensor_reader> $<TARGET_FILE:logger>
            $<TARGET_FILE:check_csv>)
  add_test(NAME e2e_reader_saver
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/e2e/reader_saver_e2e.sh
            $<TARGET_FILE:reader_saver> $<TARGET_FILE:check_csv>)
  set_tests_properties(e2e_demo e2e_reader_saver PROPERTIES
    LABELS e2e TIMEOUT 120
    ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_E2E_EMULATOR}")
endif()
