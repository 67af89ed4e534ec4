# SPDX-License-Identifier: MIT
# The `shmseq` command-line tool (ls, stat, watch, dump, rm); docs/cli.md is
# its manual. Public API only: it links shmseq::shmseq and nothing else.
add_executable(shmseq_cli shmseq.c)
shmseq_c11(shmseq_cli)
target_link_libraries(shmseq_cli PRIVATE shmseq::shmseq)
# The target cannot be called "shmseq" (that is the library); the program is.
set_target_properties(shmseq_cli PROPERTIES OUTPUT_NAME shmseq)
if(SHMSEQ_INSTALL)
  install(TARGETS shmseq_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()
