# SPDX-License-Identifier: MIT
# The `shmseq` command-line tool (ls, stat, watch, dump, rm); docs/cli.md is
# its manual. A dispatcher (main.c) and one file per command over one shared
# option parser (cli.c). Public API only, plus the shared number parser
# and shmseq_logfmt for the one CSV writer (dump prints the logger's CSV).
add_executable(shmseq_cli
  shmseq/main.c
  shmseq/cli.c
  shmseq/ls.c
  shmseq/stat.c
  shmseq/watch.c
  shmseq/dump.c
  shmseq/rm.c)
shmseq_c11(shmseq_cli)
target_link_libraries(shmseq_cli PRIVATE shmseq::shmseq shmseq_util
  shmseq_logfmt)
# The target cannot be called "shmseq" (that is the library); the program is.
set_target_properties(shmseq_cli PROPERTIES OUTPUT_NAME shmseq)
if(SHMSEQ_INSTALL)
  install(TARGETS shmseq_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
