# SPDX-License-Identifier: MIT
# Layering check, run by ctest as a CMake script (tests/unit/core.cmake):
#   cmake -DSOURCE_DIR=<repo root> -P this
#
# Draws the structure from the code's own #include lines and fails when an
# arrow points up (README.md, Repository):
#
#   rank 0  core/ (pure C11)  and  port/ (OS primitives), beside each other:
#           neither includes the other
#   rank 1  src/ (named regions, the periodic task: core + port)
#   rank 2  the rooms over the public API, side by side: bsp/ (boards and
#           sensor drivers), sink/ (log formats and the logger's sinks; the
#           replay driver reads its CSV), util/ (libc only, beside the
#           library: it includes only itself)
#   rank 3  everything else that is code: tools/, examples/, bench/, ...
#
# A file may include headers of its own rank or below. The public headers
# (include/shmseq/) are the API: they include only each other, and each
# carries the rank of what it declares (region.h and the umbrella shmseq.h
# the named-region API of src/, the others core's types), so core and the
# port cannot reach up to the named-region API through them either.
# Besides the arrows, no file outside port/, src/ and the tests includes
# the port contract (shmseq/port.h) or calls a shmseq_port_* function:
# users get what they need from the public API.
#
# Headers are resolved as the build resolves them: next to the including
# file first, then the public, port and bsp include folders, then core/,
# port/arch/ and src/, then any product folder holding that path (a room
# exporting its folder, as tools/ does for logfmt.h). A header found
# nowhere is a system header (core_purity checks those for core).
if(NOT SOURCE_DIR)
  message(FATAL_ERROR "usage: cmake -DSOURCE_DIR=<repo root> -P check_layering.cmake")
endif()
cmake_policy(SET CMP0007 NEW)
get_filename_component(root "${SOURCE_DIR}" ABSOLUTE)

# Rank of a repository file (relative path), or "" if it is not layered
# (tests, the build tree, scripts).
function(layer_of rel out_rank out_name)
  if(rel MATCHES "^include/shmseq/(region|shmseq)\\.h$")
    set(r 1)
    set(n api)
  elseif(rel MATCHES "^include/")
    set(r 0)
    set(n api)
  elseif(rel MATCHES "^core/")
    set(r 0)
    set(n core)
  elseif(rel MATCHES "^port/")
    set(r 0)
    set(n port)
  elseif(rel MATCHES "^src/")
    set(r 1)
    set(n src)
  elseif(rel MATCHES "^bsp/")
    set(r 2)
    set(n bsp)
  elseif(rel MATCHES "^(util|sink)/")
    set(r 2)
    string(REGEX REPLACE "/.*$" "" n "${rel}")
  elseif(rel MATCHES "^(tests|build[^/]*|scripts|toolchain|cmake|docs)/")
    set(r "")
    set(n "")
  else()
    set(r 3)
    string(REGEX REPLACE "/.*$" "" n "${rel}")
  endif()
  set(${out_rank} "${r}" PARENT_SCOPE)
  set(${out_name} "${n}" PARENT_SCOPE)
endfunction()

file(GLOB_RECURSE files RELATIVE "${root}"
  "${root}/*.c" "${root}/*.h")
set(failures "")
set(edges "")
set(nfiles 0)
set(search_dirs include port/include bsp/include core port/arch src)
foreach(rel IN LISTS files)
  layer_of("${rel}" rank name)
  if(rank STREQUAL "")
    continue()
  endif()
  math(EXPR nfiles "${nfiles} + 1")
  get_filename_component(dir "${rel}" DIRECTORY)
  file(STRINGS "${root}/${rel}" includes
    REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"][^>\"]+[>\"]")
  foreach(line IN LISTS includes)
    string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*[<\"]([^>\"]+)[>\"].*$"
      "\\1" inc "${line}")
    string(REGEX REPLACE "([][+.*()^$?|\\\\])" "\\\\\\1" inc_re "${inc}")
    set(target "")
    foreach(base IN ITEMS "${dir}" ${search_dirs})
      if(EXISTS "${root}/${base}/${inc}" AND NOT IS_DIRECTORY "${root}/${base}/${inc}")
        file(RELATIVE_PATH target "${root}" "${root}/${base}/${inc}")
        break()
      endif()
    endforeach()
    if(target STREQUAL "")
      # A library room's own include folder (target_include_directories):
      # any product file whose path ends in the included name.
      foreach(f IN LISTS files)
        if(f MATCHES "(^|/)${inc_re}$")
          layer_of("${f}" frank fname)
          if(NOT frank STREQUAL "")
            set(target "${f}")
            break()
          endif()
        endif()
      endforeach()
    endif()
    if(target STREQUAL "")
      continue()        # a system header
    endif()
    layer_of("${target}" trank tname)
    if(trank STREQUAL "")
      list(APPEND failures "${rel}: includes ${target}, which is not part of the product")
      continue()
    endif()
    if(NOT name STREQUAL tname)
      list(APPEND edges "${name} -> ${tname}")
    endif()
    if(target STREQUAL "port/include/shmseq/port.h" AND
       NOT name MATCHES "^(port|src)$")
      list(APPEND failures "${rel}: includes the port contract (shmseq/port.h)")
    elseif(name STREQUAL "api" AND NOT tname STREQUAL "api")
      list(APPEND failures "${rel}: a public header includes ${target}")
    elseif(name STREQUAL "util" AND NOT tname STREQUAL "util")
      list(APPEND failures "${rel}: util (libc only) includes ${target}")
    elseif((name STREQUAL "core" AND tname STREQUAL "port") OR
           (name STREQUAL "port" AND tname STREQUAL "core"))
      list(APPEND failures "${rel}: ${name} includes ${target} (core and port stand beside each other)")
    elseif(trank GREATER rank)
      list(APPEND failures "${rel}: ${name} (rank ${rank}) includes ${target} (${tname}, rank ${trank}): an arrow pointing up")
    endif()
  endforeach()

  # Users of the library never call the port contract.
  if(rank GREATER_EQUAL 2)
    file(STRINGS "${root}/${rel}" calls REGEX "shmseq_port_[A-Za-z0-9_]*[ \t]*\\(")
    foreach(call IN LISTS calls)
      string(STRIP "${call}" call)
      list(APPEND failures "${rel}: calls the port contract: ${call}")
    endforeach()
  endif()
endforeach()

if(nfiles EQUAL 0)
  message(FATAL_ERROR "layering: no source found under ${root}")
endif()
list(REMOVE_DUPLICATES edges)
list(SORT edges)
list(JOIN edges "\n  " graph)
message(STATUS "layering: ${nfiles} files; arrows drawn from their includes:\n  ${graph}")
if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "layering: FAILED\n  ${text}")
endif()
message(STATUS "layering: every arrow points down; no public header, tool or example reaches the port")
