/* SPDX-License-Identifier: MIT */
/*
 * Declarations for tests that trap or count the malloc family at link time
 * with -Wl,--wrap=malloc,... (cmocka's example/mock style). The test
 * defines the __wrap_* functions; the linker supplies the __real_* ones.
 * Shared by tests/torture/torture_noalloc.c (aborts on any allocation)
 * and tests/reliability/seccomp_publish.c (counts them).
 */
#ifndef SHMSEQ_WRAP_MALLOC_H
#define SHMSEQ_WRAP_MALLOC_H

#include <stddef.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
void __real_free(void *p);
void *__real_aligned_alloc(size_t align, size_t size);
int __real_posix_memalign(void **p, size_t align, size_t size);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
void __wrap_free(void *p);
void *__wrap_aligned_alloc(size_t align, size_t size);
int __wrap_posix_memalign(void **p, size_t align, size_t size);

#endif /* SHMSEQ_WRAP_MALLOC_H */
