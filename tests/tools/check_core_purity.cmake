# SPDX-License-Identifier: MIT
# Core purity check, run by ctest as a CMake script (tests/unit/core.cmake):
#   cmake -DNM=<nm> -DOBJECTS=<a.o|b.o|...> -DCORE_DIR=<core/> -P this
#
# core/ must stay pure C11 so it can move to an RTOS and be tested on a
# plain array (README.md, Repository): its objects may only reference the
# symbols a freestanding compiler itself emits (mem* helpers, assert,
# atomic and arithmetic helpers, sanitizer and stack-protector hooks).
# Anything else (malloc, free, open, mmap, syscall, clock_gettime, printf)
# means core started talking to the OS, and the test fails.
if(NOT NM OR NOT OBJECTS OR NOT CORE_DIR)
  message(FATAL_ERROR "usage: cmake -DNM=nm -DOBJECTS=a.o|b.o -DCORE_DIR=dir -P check_core_purity.cmake")
endif()

set(allowed_regex
  "^(memcpy|memset|memmove|memcmp)$"
  "^__(assert_fail|assert|assert_rtn|assert_func|aeabi_assert)$"
  "^__(atomic|sync)_"
  "^__(asan|ubsan|tsan|sanitizer|msan|lsan)_"
  "^__stack_chk_(fail|guard)$"
  "^__(aeabi|gnu)_"                # ARM EABI / libgcc runtime helpers
  # aarch64 outline atomics (GCC's default -moutline-atomics): libgcc
  # helpers picking LSE or LL/SC at run time
  "^__aarch64_(cas|swp|ldadd|ldclr|ldeor|ldset)(1|2|4|8|16)_(relax|acq|rel|acq_rel|sync)$"
  "^__(u?(div|mod)di3|udivmoddi4|divmoddi4|(clz|ctz|popcount|bswap)[sd]i2)$"
  "^_GLOBAL_OFFSET_TABLE_$"        # PIC on i386/arm
  "^__x86\\.get_pc_thunk\\."
  "^_?_?tls_get_addr$"
)

string(REPLACE "|" ";" objects "${OBJECTS}")
set(failures "")
set(nobj 0)
foreach(obj IN LISTS objects)
  if(NOT EXISTS "${obj}")
    message(FATAL_ERROR "core purity: object ${obj} does not exist")
  endif()
  math(EXPR nobj "${nobj} + 1")
  execute_process(COMMAND ${NM} -u "${obj}"
    OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "core purity: ${NM} -u ${obj} failed (${rc}): ${err}")
  endif()
  string(REPLACE "\n" ";" lines "${out}")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line STREQUAL "")
      continue()
    endif()
    # "U symbol" (GNU nm -u) or "symbol" (llvm-nm -u): last field is the name.
    string(REGEX REPLACE "^.*[ \t]" "" sym "${line}")
    string(REGEX REPLACE "@.*$" "" sym "${sym}")   # strip symbol versions
    set(ok FALSE)
    foreach(re IN LISTS allowed_regex)
      if(sym MATCHES "${re}")
        set(ok TRUE)
        break()
      endif()
    endforeach()
    if(NOT ok)
      get_filename_component(base "${obj}" NAME)
      list(APPEND failures "${base}: undefined symbol '${sym}'")
    endif()
  endforeach()
endforeach()
if(nobj EQUAL 0)
  message(FATAL_ERROR "core purity: no object given")
endif()

# No OS header in core's sources (the compiler's view above misses a header
# that is included but not yet used).
file(GLOB sources "${CORE_DIR}/*.c" "${CORE_DIR}/*.h")
foreach(src IN LISTS sources)
  file(STRINGS "${src}" includes REGEX "^[ \t]*#[ \t]*include")
  foreach(inc IN LISTS includes)
    if(inc MATCHES "<(sys/[^>]*|pthread\\.h|unistd\\.h|fcntl\\.h|signal\\.h|stdio\\.h|time\\.h|threads\\.h|sched\\.h|linux/[^>]*|asm/[^>]*|shmseq/port\\.h)>")
      get_filename_component(base "${src}" NAME)
      list(APPEND failures "${base}: OS header: ${inc}")
    endif()
  endforeach()
endforeach()

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "core purity: FAILED\n  ${text}")
endif()
message(STATUS "core purity: ${nobj} object(s) clean, no OS header in core/")
