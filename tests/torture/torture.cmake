# SPDX-License-Identifier: MIT
# Invariant torture tests (README.md, invariants 2-5 and 9), pass/fail, never
# timed: each program prints per-reader counts and a "N passed, M failed"
# line and exits non-zero on any torn sample or accounting error.
#
# Sanitizer builds run 5-20x slower: they get fewer samples (--samples,
# --generations for torture_wakemode; further multiplied by the
# SHMSEQ_TEST_SCALE environment variable).
# The forked multi-process tests are not labelled tsan: ThreadSanitizer
# cannot see across processes and misbehaves after fork in a threaded
# process; the TSan build runs only torture_threads (-L tsan).
# Cross builds run under qemu-user (CMAKE_CROSSCOMPILING_EMULATOR), about
# as slow; SHMSEQ_TEST_SCALE in the environment scales any run further.
if(SHMSEQ_SANITIZE OR CMAKE_CROSSCOMPILING)
  set(_mp_samples 1000000)
  set(_nowait_samples 300000)
  set(_threads_samples 300000)
  set(_wakemode_generations 200)
else()
  set(_mp_samples 10000000)
  set(_nowait_samples 1000000)
  set(_threads_samples 2000000)
  set(_wakemode_generations 500)
endif()

shmseq_add_test(NAME torture_mp SOURCES torture/torture_mp.c
  ARGS --samples ${_mp_samples} LABELS torture TIMEOUT 300)
shmseq_add_test(NAME torture_nowait SOURCES torture/torture_nowait.c
  ARGS --samples ${_nowait_samples} LABELS torture TIMEOUT 200)
shmseq_add_test(NAME torture_threads SOURCES torture/torture_threads.c
  PORT_INTERNALS ARGS --samples ${_threads_samples} LABELS torture tsan TIMEOUT 300)
# Writers of both wake modes take over in turn under sleeping readers: no
# reader may be stranded asleep (docs/reliability.md). Forks: not tsan.
shmseq_add_test(NAME torture_wakemode SOURCES torture/torture_wakemode.c
  ARGS --generations ${_wakemode_generations} LABELS torture TIMEOUT 200)

# The allocation trap wraps malloc & co. at link time. ASan and TSan
# replace the allocator themselves (and allocate on their own), so the
# trap cannot work there: plain builds only.
if(NOT SHMSEQ_SANITIZE)
  shmseq_add_test(NAME torture_noalloc SOURCES torture/torture_noalloc.c
    ARGS --samples 100000 LABELS torture TIMEOUT 120)
  target_link_options(torture_noalloc PRIVATE
    -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=free
    -Wl,--wrap=aligned_alloc -Wl,--wrap=posix_memalign)
endif()
