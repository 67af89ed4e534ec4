# SPDX-License-Identifier: MIT
# The production library carries no test hook (run by ctest):
#   cmake -DNM=<nm> -DPRODUCTION=libshmseq.a -DHOOKS=libshmseq_hooks.a -P this
#
# core/ring.c compiles its mid-write hook only with SHMSEQ_TEST_HOOKS, which
# only the test variant (tests/reliability/reliability.cmake) defines. The
# variant must show the symbol, or this check could not see one either.
if(NOT NM OR NOT PRODUCTION OR NOT HOOKS)
  message(FATAL_ERROR "usage: cmake -DNM=nm -DPRODUCTION=lib.a -DHOOKS=lib.a -P check_no_hooks.cmake")
endif()
set(hook_regex "shmseq__test_hook")

foreach(lib PRODUCTION HOOKS)
  execute_process(COMMAND ${NM} "${${lib}}"
    OUTPUT_VARIABLE out_${lib} ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "no_test_hooks: ${NM} ${${lib}} failed (${rc}): ${err}")
  endif()
endforeach()

if(NOT out_HOOKS MATCHES "${hook_regex}")
  message(FATAL_ERROR "no_test_hooks: the hook variant ${HOOKS} has no ${hook_regex}* symbol: the check cannot see hooks")
endif()
if(out_PRODUCTION MATCHES "${hook_regex}[A-Za-z0-9_]*")
  message(FATAL_ERROR "no_test_hooks: FAILED: ${PRODUCTION} contains ${CMAKE_MATCH_0} (SHMSEQ_TEST_HOOKS leaked into the production build)")
endif()
message(STATUS "no_test_hooks: ${PRODUCTION} has no test hook; the hook variant has one: 1 passed, 0 failed")
