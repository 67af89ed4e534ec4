/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * POSIX port, Linux variant of wait/wake: a futex on the 32-bit word in the
 * region header's reader-control line (chosen by port/posix/sources.cmake;
 * other systems get wait_poll.c).
 *
 * The futex is NOT private (no FUTEX_PRIVATE_FLAG): the word lives in a
 * MAP_SHARED mapping that other processes map at other addresses, so the
 * kernel must key it by the backing object, not by this process's mm.
 * A reader has the reader-control page writable for this (r->ctl);
 * FUTEX_WAIT only reads the word, but the contract keeps the page writable
 * so that older kernels, which fault the page in for write, work too.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shmseq/port.h"

#define NS_PER_S 1000000000ll

/*
 * Which futex system call, and which timespec layout it reads.
 *
 * 64-bit ABIs (x86_64, aarch64, riscv64) have only SYS_futex, and their
 * struct timespec is the kernel's 64-bit one.
 *
 * 32-bit ABIs (armhf, i386, riscv32) define SYS_futex_time64 (Linux 5.1+),
 * which takes the kernel's 64-bit __kernel_timespec; where SYS_futex also
 * exists (armhf, i386; not riscv32) it takes the old 32-bit timespec. We
 * cannot use libc's struct timespec with either blindly: with
 * -D_TIME_BITS=64 (Debian armhf since trixie) it is the 64-bit layout, which
 * SYS_futex would misread, and without it the 32-bit one, which
 * SYS_futex_time64 would misread. So on 32-bit ABIs we build the kernel's
 * structs ourselves: time64 first, and the old call only if the kernel
 * predates it (ENOSYS).
 */
#if defined(SYS_futex_time64)
#define SHMSEQ_FUTEX_TIME64 1
#if defined(SYS_futex)
#define SHMSEQ_NR_FUTEX_WAKE SYS_futex
#else
#define SHMSEQ_NR_FUTEX_WAKE SYS_futex_time64
#endif
#else
#define SHMSEQ_FUTEX_TIME64 0
#define SHMSEQ_NR_FUTEX_WAKE SYS_futex
#endif

/* Split a non-negative timeout; seconds capped at ~68 years so they fit
 * any tv_sec, and that long is "forever" to every caller. */
static void split_ns(int64_t ns, int64_t *sec, int64_t *nsec)
{
    *sec = ns / NS_PER_S;
    *nsec = ns % NS_PER_S;
    if (*sec > INT32_MAX)
        *sec = INT32_MAX;
}

#if SHMSEQ_FUTEX_TIME64
static long futex_wait(void *word, uint32_t value, int64_t timeout_ns)
{
    struct { int64_t tv_sec, tv_nsec; } ts64;     /* __kernel_timespec */
    int64_t sec = 0, nsec = 0;
    long rc;

    if (timeout_ns >= 0)
        split_ns(timeout_ns, &sec, &nsec);
    ts64.tv_sec = sec;
    ts64.tv_nsec = nsec;
    rc = syscall(SYS_futex_time64, word, FUTEX_WAIT, value,
                 timeout_ns >= 0 ? &ts64 : NULL, NULL, 0);
#if defined(SYS_futex)
    if (rc != 0 && errno == ENOSYS) {
        struct { long tv_sec, tv_nsec; } ts32;    /* old_timespec32 */
        ts32.tv_sec = (long)sec;
        ts32.tv_nsec = (long)nsec;
        rc = syscall(SYS_futex, word, FUTEX_WAIT, value,
                     timeout_ns >= 0 ? &ts32 : NULL, NULL, 0);
    }
#endif
    return rc;
}
#else
static long futex_wait(void *word, uint32_t value, int64_t timeout_ns)
{
    struct timespec ts;
    int64_t sec = 0, nsec = 0;

    if (timeout_ns >= 0)
        split_ns(timeout_ns, &sec, &nsec);
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)nsec;
    return syscall(SYS_futex, word, FUTEX_WAIT, value,
                   timeout_ns >= 0 ? &ts : NULL, NULL, 0);
}
#endif

int shmseq_port_wait(void *word, uint32_t value, int64_t timeout_ns)
{
    assert(word != NULL && ((uintptr_t)word & 3u) == 0);
    if (futex_wait(word, value, timeout_ns) == 0)
        return 0;
    switch (errno) {
    case EAGAIN:     /* *word != value already: nothing to wait for */
        return 0;
    case ETIMEDOUT:
        return -ETIMEDOUT;
    case EINTR:
        return -EINTR;
    default:
        return -errno;
    }
}

void shmseq_port_wake(void *word)
{
    int saved = errno;

    assert(word != NULL && ((uintptr_t)word & 3u) == 0);
    /* Called on the publish path: a failure (none is expected for a valid
     * aligned word) must not disturb the writer, nor its errno. */
    (void)syscall(SHMSEQ_NR_FUTEX_WAKE, word, FUTEX_WAKE, INT_MAX,
                  NULL, NULL, 0);
    errno = saved;
}

int shmseq_port_wait_is_blocking(void)
{
    return 1;
}
