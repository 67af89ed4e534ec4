# SPDX-License-Identifier: MIT
# Export check of the shared library, run by ctest as a CMake script
# (tests/unit/region.cmake):
#   cmake -DNM=<nm> -DLIB=<libshmseq.so> -DEXPECTED=<a|b|...> -P this
#
# libshmseq.so must export exactly the public API: every function declared
# in include/shmseq/*.h (EXPECTED, as cmake/shmseq_shared.cmake found
# them) and nothing else: no port contract (shmseq_port_*), no internals
# (shmseq__*), no static helper, no symbol of another name.
if(NOT NM OR NOT LIB OR NOT EXPECTED)
  message(FATAL_ERROR "usage: cmake -DNM=nm -DLIB=lib.so -DEXPECTED=a|b -P check_exports.cmake")
endif()
execute_process(COMMAND ${NM} -D --defined-only "${LIB}"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "exports: ${NM} -D ${LIB} failed: ${err}")
endif()
string(REPLACE "|" ";" expected "${EXPECTED}")
string(REPLACE "\n" ";" lines "${out}")
set(exported "")
foreach(line IN LISTS lines)
  # "<address> <type> <name>"; absolute symbols (version nodes) are not code
  if(line MATCHES "^[0-9a-fA-F]* +([A-Za-z]) +([^ ]+)$" AND
     NOT CMAKE_MATCH_1 STREQUAL "A")
    string(REGEX REPLACE "@.*" "" name "${CMAKE_MATCH_2}")
    list(APPEND exported ${name})
  endif()
endforeach()
set(extra ${exported})
list(REMOVE_ITEM extra ${expected})
set(missing ${expected})
list(REMOVE_ITEM missing ${exported})
list(LENGTH exported n)
if(extra OR missing)
  message(FATAL_ERROR "exports of ${LIB}:\n  not public but exported: ${extra}\n"
                      "  public but not exported: ${missing}")
endif()
message(STATUS "exports: ${n} symbols, exactly the public API")
