# SPDX-License-Identifier: MIT
# The POSIX port (Linux first). Included by port/CMakeLists.txt, which builds
# these files into the shmseq_port object library.
#
# Platform variants are whole files chosen here, never #ifdefs: Linux sleeps
# on a futex; other POSIX systems fall back to short naps (polling).
set(SHMSEQ_PORT_SOURCES
  ${CMAKE_CURRENT_LIST_DIR}/shm.c
  ${CMAKE_CURRENT_LIST_DIR}/clock.c
  ${CMAKE_CURRENT_LIST_DIR}/thread.c)
if(CMAKE_SYSTEM_NAME STREQUAL "Linux")
  list(APPEND SHMSEQ_PORT_SOURCES ${CMAKE_CURRENT_LIST_DIR}/wait_futex_linux.c)
else()
  list(APPEND SHMSEQ_PORT_SOURCES ${CMAKE_CURRENT_LIST_DIR}/wait_poll.c)
endif()
