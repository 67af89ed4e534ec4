# SPDX-License-Identifier: MIT
# The binary log format library (shared by the logger and shmseq-log) and
# the shmseq-log tool (verify, csv, recover). Neither needs the region API:
# a log is read on any machine, with or without shared memory.
add_library(shmseq_logfmt STATIC logfmt.c)
shmseq_c11(shmseq_logfmt)
target_include_directories(shmseq_logfmt PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})

add_executable(shmseq-log shmseq_log.c)
shmseq_c11(shmseq-log)
target_link_libraries(shmseq-log PRIVATE shmseq_logfmt)
if(SHMSEQ_INSTALL)
  install(TARGETS shmseq-log RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
