# SPDX-License-Identifier: MIT
# Durable logging: the log formats and the sinks (unit) and the logger + shmseq-log
# end to end, with a write-failure shim for disk-full and I/O errors.
if(TARGET shmseq_sink)
  shmseq_add_test(NAME test_logfmt SOURCES logging/test_logfmt.c
    LIBS shmseq_logfmt LABELS unit TIMEOUT 60 CMOCKA)
  shmseq_add_test(NAME test_recover SOURCES logging/test_recover.c
    LIBS shmseq_logfmt LABELS unit TIMEOUT 120 CMOCKA)
  shmseq_add_test(NAME test_sink SOURCES logging/test_sink.c
    LIBS shmseq_sink LABELS unit TIMEOUT 60 CMOCKA)
endif()

if(TARGET logger AND TARGET sensor_reader AND TARGET shmseq-log AND
   TARGET check_csv)
  # LD_PRELOAD shim: makes write(2) fail with ENOSPC/EIO after N bytes.
  add_library(shmseq_wfail_shim MODULE logging/wfail_shim.c)
  shmseq_c11(shmseq_wfail_shim)
  target_link_libraries(shmseq_wfail_shim PRIVATE ${CMAKE_DL_LIBS})

  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " SHMSEQ_LOGGING_EMULATOR)
  add_test(NAME logging_e2e
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/logging/logging_e2e.sh
            $<TARGET_FILE:sensor_reader> $<TARGET_FILE:logger>
            $<TARGET_FILE:shmseq-log> $<TARGET_FILE:check_csv>
            $<TARGET_FILE:shmseq_wfail_shim>)
  set_tests_properties(logging_e2e PROPERTIES
    LABELS e2e TIMEOUT 120
    ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_LOGGING_EMULATOR}")
endif()
