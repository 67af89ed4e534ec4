# SPDX-License-Identifier: MIT
# No 64-bit atomic in shared memory (tests/tools/check_atomics.cmake says
# how). The type view needs debug info in every build, Release and cross
# included, so core, src and the port are compiled once more with -g into
# an object library that is only read, never linked. The build-time half,
# ATOMIC_INT_LOCK_FREE == 2, is a _Static_assert in core/layout.h.
get_target_property(_core_src shmseq_core SOURCES)
get_target_property(_core_dir shmseq_core SOURCE_DIR)
get_target_property(_port_src shmseq_port SOURCES)
get_target_property(_port_dir shmseq_port SOURCE_DIR)
set(_probe_src "")
foreach(_s IN LISTS _core_src)
  get_filename_component(_s "${_s}" ABSOLUTE BASE_DIR "${_core_dir}")
  list(APPEND _probe_src "${_s}")
endforeach()
foreach(_s IN LISTS _port_src)
  get_filename_component(_s "${_s}" ABSOLUTE BASE_DIR "${_port_dir}")
  list(APPEND _probe_src "${_s}")
endforeach()
list(APPEND _probe_src ${PROJECT_SOURCE_DIR}/src/region.c
                       ${PROJECT_SOURCE_DIR}/src/error.c
                       ${PROJECT_SOURCE_DIR}/src/task.c)
add_library(shmseq_atomics_probe OBJECT ${_probe_src})
shmseq_c11(shmseq_atomics_probe)
target_compile_options(shmseq_atomics_probe PRIVATE -g)
target_include_directories(shmseq_atomics_probe PRIVATE
  ${PROJECT_SOURCE_DIR}/include
  ${PROJECT_SOURCE_DIR}/core
  ${PROJECT_SOURCE_DIR}/port/include
  ${PROJECT_SOURCE_DIR}/port/arch
  ${PROJECT_SOURCE_DIR}/port/${SHMSEQ_PORT})

# The DWARF is read with GNU readelf (any ELF machine); llvm-readelf, which
# a clang build picks, has no --debug-dump.
set(_readelf "${CMAKE_READELF}")
if(NOT _readelf OR _readelf MATCHES "llvm")
  find_program(SHMSEQ_GNU_READELF NAMES readelf REQUIRED)
  set(_readelf "${SHMSEQ_GNU_READELF}")
endif()

add_test(NAME no_64bit_atomics
  COMMAND ${CMAKE_COMMAND}
    -DREADELF=${_readelf} -DOBJDUMP=${CMAKE_OBJDUMP} -DNM=${CMAKE_NM}
    -DPROCESSOR=${CMAKE_SYSTEM_PROCESSOR}
    "-DDEBUG_OBJECTS=$<JOIN:$<TARGET_OBJECTS:shmseq_atomics_probe>,|>"
    "-DOBJECTS=$<JOIN:$<TARGET_OBJECTS:shmseq_core>,|>|$<JOIN:$<TARGET_OBJECTS:shmseq_port>,|>|$<TARGET_FILE:shmseq>"
    -P ${PROJECT_SOURCE_DIR}/tests/tools/check_atomics.cmake)
set_tests_properties(no_64bit_atomics PROPERTIES TIMEOUT 120 LABELS unit)
