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

# The SQLite sink (sink/sqlite.c), when the build found libsqlite3:
# test_sink_sqlite tests it through the sink wrappers; check_sqlite reads a database back (integrity, duplicates, every value
# against the sim waveform, rows + gaps covering the range) and holds a
# user's write lock for the busy test. sqlite_kill is the 100-SIGKILL
# test (SHMSEQ_SQLITE_KILLS overrides the count); sqlite_failures the
# full, busy, refused-target, restart and import cases; sqlite_saver
# reader_saver --db.
if(SHMSEQ_HAVE_SQLITE AND TARGET logger AND TARGET sensor_reader)
  shmseq_add_test(NAME test_sink_sqlite SOURCES logging/test_sink_sqlite.c
    LIBS shmseq_sink PkgConfig::SQLITE3 LABELS unit TIMEOUT 60 CMOCKA)
  add_executable(check_sqlite logging/check_sqlite.c)
  shmseq_c11(check_sqlite)
  target_link_libraries(check_sqlite PRIVATE shmseq_bsp PkgConfig::SQLITE3)

  list(JOIN CMAKE_CROSSCOMPILING_EMULATOR " " SHMSEQ_SQLITE_EMULATOR)
  foreach(mode kill failures)
    add_test(NAME sqlite_${mode}
      COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/logging/sqlite_e2e.sh ${mode}
              $<TARGET_FILE:sensor_reader> $<TARGET_FILE:logger>
              $<TARGET_FILE:check_sqlite> $<TARGET_FILE:shmseq-log>)
    set_tests_properties(sqlite_${mode} PROPERTIES
      LABELS e2e TIMEOUT 240
      ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_SQLITE_EMULATOR}")
  endforeach()
  if(TARGET reader_saver)
    add_test(NAME sqlite_saver
      COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/logging/sqlite_e2e.sh saver
              $<TARGET_FILE:reader_saver> $<TARGET_FILE:logger>
              $<TARGET_FILE:check_sqlite>)
    set_tests_properties(sqlite_saver PROPERTIES
      LABELS e2e TIMEOUT 120
      ENVIRONMENT "SHMSEQ_EMULATOR=${SHMSEQ_SQLITE_EMULATOR}")
  endif()
endif()
