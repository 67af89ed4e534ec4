/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/*
 * POSIX port, portable variant of wait/wake (chosen by
 * port/posix/sources.cmake where there is no futex): a waiter naps briefly
 * and returns, so its caller re-checks the word; wake is a no-op. The writer
 * therefore never makes a system call for readers, at the cost of up to one
 * nap of extra latency for a sleeping reader.
 */
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "shmseq/port.h"

/* Longest nap: short enough for a reader to keep up with a kHz writer. */
#define SHMSEQ_POLL_NAP_NS 200000

int shmseq_port_wait(void *word, uint32_t value, int64_t timeout_ns)
{
    struct timespec ts;
    int64_t nap = SHMSEQ_POLL_NAP_NS;

    /* The word is not read here: a spurious return is allowed, and the
     * caller re-checks it with the proper atomic accessor anyway. */
    (void)word;
    (void)value;
    if (timeout_ns == 0)
        return -ETIMEDOUT;
    if (timeout_ns > 0 && timeout_ns < nap)
        nap = timeout_ns;
    ts.tv_sec = 0;
    ts.tv_nsec = (long)nap;
    if (nanosleep(&ts, NULL) != 0 && errno == EINTR)
        return -EINTR;
    return 0;
}

void shmseq_port_wake(void *word)
{
    (void)word;
}

int shmseq_port_wait_is_blocking(void)
{
    return 0;
}
