# SPDX-License-Identifier: MIT
# No 64-bit atomic in shared memory (docs/protocol.md), run by
# ctest as a CMake script (tests/unit/atomics.cmake):
#   cmake -DREADELF=<readelf> -DOBJDUMP=<objdump> -DNM=<nm> -DPROCESSOR=<p>
#         -DDEBUG_OBJECTS=<a.o|...> -DOBJECTS=<a.o|...> -P this
#
# Every shared word is shmseq__word (_Atomic uint32_t): lock-free and
# address-free on every target, and its loads never write. A 64-bit atomic
# is neither on armv7 and elsewhere may hide a lock or a CAS loop, so one
# in shared memory breaks a 32-bit reader, a read-only mapping or both.
# Three views, so the check can fail on every target:
#  1. Types (every target, the one that sees a relaxed 64-bit load on
#     x86_64 or aarch64 where it is a plain mov/ldr): DEBUG_OBJECTS are
#     core, src and the port compiled again with -g; any DWARF atomic type
#     wider than 4 bytes that a member, variable, pointer or typedef uses
#     fails. The check also insists on finding the 4-byte
#     shmseq__word, so debug info that lost atomic types cannot pass.
#  2. Symbols (OBJECTS, the real objects): calls to the out-of-line 8-byte
#     helpers (__atomic_*_8, __sync_*_8, libatomic's generic __atomic_load,
#     aarch64 outline atomics __aarch64_*8_*, TSan's __tsan_atomic64_*).
#  3. Instructions (OBJECTS): armv7 ldrexd/strexd/ldaexd/stlexd; aarch64
#     exclusives, acquire/release and LSE on an x register; riscv64 lr.d,
#     sc.d, amo*.d.
foreach(v READELF OBJDUMP NM PROCESSOR DEBUG_OBJECTS OBJECTS)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "check_atomics: -D${v}= is missing")
  endif()
endforeach()
string(REPLACE "|" ";" debug_objects "${DEBUG_OBJECTS}")
string(REPLACE "|" ";" objects "${OBJECTS}")
set(failures "")

function(run_tool out)
  execute_process(COMMAND ${ARGN} OUTPUT_VARIABLE o ERROR_VARIABLE e
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "check_atomics: '${ARGN}' failed (${rc}): ${e}")
  endif()
  set(${out} "${o}" PARENT_SCOPE)
endfunction()

# 1. DWARF: record each DIE's tag, type reference, size and name, then
# follow every DW_TAG_atomic_type through typedefs and qualifiers to a
# size.
set(word_atomics 0)
foreach(obj IN LISTS debug_objects)
  get_filename_component(base "${obj}" NAME)
  run_tool(info ${READELF} --wide --debug-dump=info "${obj}")
  string(REPLACE ";" "," info "${info}")
  string(REPLACE "\n" ";" lines "${info}")
  set(cur "")
  set(atomics "")
  foreach(line IN LISTS lines)
    if(line MATCHES "^ *<[0-9]+><([0-9a-f]+)>: Abbrev Number: [0-9]+ \\((DW_TAG_[a-z_]+)\\)")
      set(cur "${CMAKE_MATCH_1}")
      set(tag_${cur} "${CMAKE_MATCH_2}")
      if(CMAKE_MATCH_2 STREQUAL "DW_TAG_atomic_type")
        list(APPEND atomics "${cur}")
      endif()
    elseif(line MATCHES "^ *<[0-9a-f]+> +Abbrev Number: 0")
      set(cur "")
    elseif(cur AND line MATCHES "DW_AT_type +: (\\([a-z0-9_]+\\) )?<0x([0-9a-f]+)>")
      set(type_${cur} "${CMAKE_MATCH_2}")
      set(used_${CMAKE_MATCH_2} 1)
    elseif(cur AND line MATCHES "DW_AT_byte_size +: (\\([a-z0-9_]+\\) )?([0-9]+)")
      set(size_${cur} "${CMAKE_MATCH_2}")
    elseif(cur AND line MATCHES "DW_AT_name +: (\\([a-z0-9_]+\\) )?(\\([^)]*\\): )?([A-Za-z_0-9 ]+)")
      set(name_${cur} "${CMAKE_MATCH_3}")
    endif()
  endforeach()
  foreach(a IN LISTS atomics)
    # GCC emits an atomic variant of every base type, referenced by
    # nothing; only an atomic type something refers to is in use.
    if(NOT DEFINED used_${a})
      continue()
    endif()
    set(d "${a}")
    set(chain "")
    set(size "")
    foreach(step RANGE 16)
      if(DEFINED name_${d})
        list(APPEND chain "${name_${d}}")
      endif()
      if(DEFINED size_${d})
        set(size "${size_${d}}")
        break()
      endif()
      if(NOT DEFINED type_${d})
        break()
      endif()
      set(d "${type_${d}}")
    endforeach()
    list(JOIN chain " -> " chain)
    if(size STREQUAL "")
      list(APPEND failures "${base}: atomic type <0x${a}> of unknown size (${chain})")
    elseif(size GREATER 4)
      list(APPEND failures "${base}: ${size}-byte atomic type _Atomic ${chain}")
    elseif(size EQUAL 4)
      math(EXPR word_atomics "${word_atomics} + 1")
    endif()
  endforeach()
  unset(atomics)
endforeach()
if(word_atomics EQUAL 0)
  list(APPEND failures "no 4-byte atomic type in the debug info of ${DEBUG_OBJECTS}: the type check sees nothing (no -g, or a compiler without DW_TAG_atomic_type)")
endif()

# 2. and 3. on the objects that go into the library.
set(sym_regex "^(__atomic_[a-z_]+_(8|16)|__sync_[a-z_]+_(8|16)|__atomic_(load|store|exchange|compare_exchange)|__aarch64_(cas|swp|ldadd|ldclr|ldeor|ldset)(8|16)_[a-z_]+|__tsan_atomic(64|128)_[a-z_]+)$")
if(PROCESSOR MATCHES "^arm")
  set(insn_regex "\t(ldrexd|strexd|ldaexd|stlexd)[a-z.]*[ \t]")
elseif(PROCESSOR MATCHES "^(aarch64|arm64)")
  # An x register before the address: 64-bit data (w registers are 32-bit).
  set(insn_regex "\t(ldx|ldax|stx|stlx|lda|stl|ldap)(r|p)[ \t]+[^[]*\\b(x[0-9]+|xzr)\\b[^[]*\\[|\t(cas|casa|casl|casal|casp[a-z]*|swp|swpa|swpl|swpal|ld(add|clr|eor|set)(a|l|al)?)[ \t]+[^[]*\\bx[0-9]+\\b")
elseif(PROCESSOR MATCHES "^riscv64")
  set(insn_regex "\t(lr|sc|amo[a-z]+)\\.d(\\.[a-z]+)?[ \t]")
else()
  set(insn_regex "")   # x86_64: the types above are the check
endif()
foreach(obj IN LISTS objects)
  get_filename_component(base "${obj}" NAME)
  run_tool(und ${NM} -u "${obj}")
  string(REPLACE "\n" ";" lines "${und}")
  foreach(line IN LISTS lines)
    string(REGEX REPLACE "^.*[ \t]" "" sym "${line}")
    string(REGEX REPLACE "@.*$" "" sym "${sym}")
    if(sym MATCHES "${sym_regex}")
      list(APPEND failures "${base}: calls 64-bit atomic helper ${sym}")
    endif()
  endforeach()
  if(insn_regex)
    run_tool(dis ${OBJDUMP} -d --no-show-raw-insn "${obj}")
    string(REPLACE ";" "," dis "${dis}")
    string(REPLACE "\n" ";" lines "${dis}")
    foreach(line IN LISTS lines)
      if(line MATCHES "${insn_regex}")
        string(STRIP "${line}" line)
        list(APPEND failures "${base}: 64-bit atomic instruction: ${line}")
      endif()
    endforeach()
  endif()
endforeach()

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "no-64-bit-atomics: FAILED\n  ${text}")
endif()
list(LENGTH debug_objects nd)
list(LENGTH objects no)
message(STATUS "no-64-bit-atomics: ${word_atomics} 32-bit atomic type(s) in ${nd} "
               "debug object(s), no wider one; no 64-bit atomic helper or "
               "instruction in ${no} object(s) (${PROCESSOR})")
