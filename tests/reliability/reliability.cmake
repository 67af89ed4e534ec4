# SPDX-License-Identifier: MIT
# Reliability and security tests (docs/reliability.md): crashes of writers
# and readers, half-made, hostile and truncated regions, access control,
# and the "no system call, no allocation" publish path under seccomp.
#
# crash_writer needs the test-only hook of core/ring.c: it links
# shmseq_hooks, a second build of the library with SHMSEQ_TEST_HOOKS. The
# production library never contains the hook; no_test_hooks checks that
# with nm (and that the hook variant does have it, so the check can fail).

# ---- the hook variant of the library (tests only, never installed) -------
add_library(shmseq_hooks STATIC
  ${PROJECT_SOURCE_DIR}/src/region.c
  ${PROJECT_SOURCE_DIR}/src/error.c
  ${PROJECT_SOURCE_DIR}/core/ring.c
  $<TARGET_OBJECTS:shmseq_port>)
shmseq_c11(shmseq_hooks)
target_compile_definitions(shmseq_hooks PRIVATE SHMSEQ_TEST_HOOKS)
target_include_directories(shmseq_hooks
  PUBLIC ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/port/include
  PRIVATE ${PROJECT_SOURCE_DIR}/core ${PROJECT_SOURCE_DIR}/port/arch)
target_link_libraries(shmseq_hooks PUBLIC Threads::Threads)

# Writers SIGKILLed >= 1000 times (SHMSEQ_CRASH_KILLS=N in the environment
# for a long run). Not shmseq_add_test(): that links the production library,
# whose symbols would clash with the hook variant's.
add_executable(crash_writer reliability/crash_writer.c)
shmseq_c11(crash_writer)
target_link_libraries(crash_writer PRIVATE shmseq_hooks)
target_include_directories(crash_writer PRIVATE
  ${PROJECT_SOURCE_DIR}/tests/common ${PROJECT_SOURCE_DIR}/core)
add_test(NAME crash_writer COMMAND crash_writer)
set_tests_properties(crash_writer PROPERTIES TIMEOUT 300
  LABELS "reliability;torture")

add_test(NAME no_test_hooks
  COMMAND ${CMAKE_COMMAND} -DNM=${CMAKE_NM}
    -DPRODUCTION=$<TARGET_FILE:shmseq> -DHOOKS=$<TARGET_FILE:shmseq_hooks>
    -P ${CMAKE_CURRENT_SOURCE_DIR}/reliability/check_no_hooks.cmake)
set_tests_properties(no_test_hooks PROPERTIES TIMEOUT 60 LABELS "reliability;unit")

# Half-made, corrupt and non-regular regions; regions of another owner.
shmseq_add_test(NAME test_hostile SOURCES reliability/test_hostile.c
  CMOCKA CORE_INTERNALS LABELS reliability unit TIMEOUT 120)

# 10^6 publishes under seccomp strict mode (any system call but
# read/write/exit kills the process), also after a reader died asleep.
# Exit 77 = skipped (no seccomp, e.g. under qemu-user).
shmseq_add_test(NAME seccomp_publish SOURCES reliability/seccomp_publish.c
  CORE_INTERNALS PORT_INTERNALS LABELS reliability torture TIMEOUT 300)
set_tests_properties(seccomp_publish PROPERTIES SKIP_RETURN_CODE 77)
if(NOT SHMSEQ_SANITIZE)
  # The allocation trap (as torture_noalloc): plain builds only, since the
  # sanitizers replace malloc themselves.
  target_compile_definitions(seccomp_publish PRIVATE SHMSEQ_TRAP_MALLOC)
  target_link_options(seccomp_publish PRIVATE
    -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=free
    -Wl,--wrap=aligned_alloc -Wl,--wrap=posix_memalign)
endif()

# A region truncated by another process under a reader: -EBADMSG from
# read_wait, SIGBUS (documented) for a polling read past the new end.
shmseq_add_test(NAME test_truncate SOURCES reliability/test_truncate.c
  CMOCKA LABELS reliability unit TIMEOUT 120)

# A read-only reader as 'nobody' (root only, else skipped), a 0600 region
# refused to it, and a stale region of another layout held by a live
# writer.
shmseq_add_test(NAME test_access SOURCES reliability/test_access.c
  CMOCKA CORE_INTERNALS PORT_INTERNALS LABELS reliability unit TIMEOUT 120)

# A reader's writable mapping is the reader-control page only: stores
# anywhere else fault, and a reader scribbling over every page it has
# writable changes nothing another reader receives.
shmseq_add_test(NAME test_ctl_page SOURCES reliability/test_ctl_page.c
  CMOCKA LABELS reliability unit TIMEOUT 120)

# Readers SIGKILLed >= 300 times at random points (polling, asleep in
# read_wait, latest) while one writer publishes; survivors check every
# sample; a reader killed asleep costs the writer at most one wake.
shmseq_add_test(NAME crash_reader SOURCES reliability/crash_reader.c
  CORE_INTERNALS PORT_INTERNALS LABELS reliability torture TIMEOUT 300)

# Thousands of opens/closes/read_waits in one process: /proc/self/fd and
# /proc/self/maps counts equal before and after.
shmseq_add_test(NAME test_leaks SOURCES reliability/test_leaks.c
  LABELS reliability torture TIMEOUT 300)

# Races at creation, takeover and removal, EINTR, mmap errors and
# shmseq_info on a region truncated under it: each window held open by
# wrapping the libc call in the gap. The library is built with 64-bit
# offsets and time, so it calls these glibc entry points (the time64 ones
# on 32-bit ABIs).
set(_races_wraps shm_open shm_unlink posix_fallocate64 mmap64 pread64 close)
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  list(APPEND _races_wraps __fstat64_time64 __nanosleep64)
else()
  list(APPEND _races_wraps fstat64 nanosleep)
endif()
shmseq_add_test(NAME test_races SOURCES reliability/test_races.c
  CMOCKA LABELS reliability unit TIMEOUT 120)
if(TARGET test_races)
  list(TRANSFORM _races_wraps PREPEND "-Wl,--wrap=")
  target_link_options(test_races PRIVATE ${_races_wraps})
endif()

# A futex that fails (EPERM under a seccomp filter, ENOSYS): read_wait
# falls back to polling naps instead of spinning; calls are counted by
# wrapping syscall() and nanosleep(). Exit 77 = skipped (the seccomp case
# skips itself where filters cannot be installed, e.g. qemu-user).
shmseq_add_test(NAME futex_denied SOURCES reliability/futex_denied.c
  LABELS reliability unit TIMEOUT 120)
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  set(_nanosleep_sym __nanosleep64)
else()
  set(_nanosleep_sym nanosleep)
endif()
target_link_options(futex_denied PRIVATE
  -Wl,--wrap=syscall -Wl,--wrap=${_nanosleep_sym})
set_tests_properties(futex_denied PROPERTIES SKIP_RETURN_CODE 77)
