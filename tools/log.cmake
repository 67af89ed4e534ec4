# SPDX-License-Identifier: MIT
# shmseq-log (verify, csv, recover, sqlite): reads logs through shmseq_logfmt
# (sink/). It needs no region API: a log is read on any machine, with or
# without shared memory.
add_executable(shmseq-log shmseq_log.c log_sqlite.c)
shmseq_c11(shmseq-log)
# shmseq_sink for "shmseq-log sqlite" (the sqlite sink, when built).
target_link_libraries(shmseq-log PRIVATE shmseq_logfmt shmseq_sink)
target_compile_definitions(shmseq-log PRIVATE
  SHMSEQ_PROJECT_VERSION="${PROJECT_VERSION}")
if(SHMSEQ_INSTALL)
  install(TARGETS shmseq-log RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
