# SPDX-License-Identifier: MIT
# The template port: a skeleton that compiles and does nothing. Copy this
# folder to port/<yours>/, implement every function in port_template.c, and
# build with -DSHMSEQ_PORT=<yours>. Add files here (one per platform variant)
# rather than #ifdefs inside one file.
set(SHMSEQ_PORT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/port_template.c)
