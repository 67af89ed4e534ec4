# SPDX-License-Identifier: MIT
# shmseq-log (verify, csv, recover): reads logs through shmseq_logfmt
# (sink/). It needs no region API: a log is read on any machine, with or
# without shared memory.
add_executable(shmseq-log shmseq_log.c)
shmseq_c11(shmseq-log)
target_link_libraries(shmseq-log PRIVATE shmseq_logfmt)
target_compile_definitions(shmseq-log PRIVATE
  SHMSEQ_PROJECT_VERSION="${PROJECT_VERSION}")
if(SHMSEQ_INSTALL)
  install(TARGETS shmseq-log RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
