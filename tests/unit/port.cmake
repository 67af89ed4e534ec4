# SPDX-License-Identifier: MIT
# Port layer unit tests (port/posix): named regions and the writer lock,
# wait/wake (calling the port contract directly), and the periodic task
# through its public API on the real clock.
shmseq_add_test(NAME test_port_shm
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_port_shm.c
  CMOCKA PORT_INTERNALS LABELS unit TIMEOUT 60)
shmseq_add_test(NAME test_port_wait
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_port_wait.c
  LIBS Threads::Threads CMOCKA PORT_INTERNALS LABELS unit tsan TIMEOUT 60)
shmseq_add_test(NAME test_task
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_task.c
  LIBS Threads::Threads CMOCKA LABELS unit tsan TIMEOUT 60)
