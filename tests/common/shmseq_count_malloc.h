/* SPDX-License-Identifier: MIT */
/*
 * Counting the malloc family while a flag is set, for tests that prove a
 * code path allocates nothing (tests/reliability/seccomp_publish.c, the
 * buffered iio driver's reads in tests/unit/test_iio_buffered.c).
 * Header-only, included once per program. With SHMSEQ_TRAP_MALLOC
 * defined it defines the __wrap_* functions (link with
 * -Wl,--wrap=malloc,calloc,realloc,free,aligned_alloc,posix_memalign);
 * without it (sanitizer builds, which replace malloc themselves) nothing
 * is counted and `allocs` stays 0.
 */
#ifndef SHMSEQ_COUNT_MALLOC_H
#define SHMSEQ_COUNT_MALLOC_H

#include <stdatomic.h>

static atomic_ulong allocs;   /* calls counted */
static atomic_int counting;   /* nonzero: count them */

#ifdef SHMSEQ_TRAP_MALLOC
#include "shmseq_wrap_malloc.h"

/* Count only (no system call: a seccomp strict mode would hide it). */
static void counted(void)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&allocs, 1, memory_order_relaxed);
}

void *__wrap_malloc(size_t size)
{
    counted();
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    counted();
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    counted();
    return __real_realloc(p, size);
}

void __wrap_free(void *p)
{
    counted();
    __real_free(p);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    counted();
    return __real_aligned_alloc(align, size);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
    counted();
    return __real_posix_memalign(p, align, size);
}
#endif /* SHMSEQ_TRAP_MALLOC */

#endif /* SHMSEQ_COUNT_MALLOC_H */
