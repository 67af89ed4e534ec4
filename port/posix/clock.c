/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
/*
 * POSIX port: clocks, process identity, yielding and sleeping (for a
 * while, or until an absolute deadline).
 *
 * Sample timestamps and deadlines use CLOCK_MONOTONIC (never jumps);
 * CLOCK_REALTIME is only read once at region creation so that a reader can
 * convert monotonic stamps to wall-clock time.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "shmseq/port.h"

#define NS_PER_S 1000000000ull

static uint64_t read_clock(clockid_t id)
{
    struct timespec ts;
    /* Cannot fail for these clock ids with a valid pointer. */
    (void)clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

uint64_t shmseq_port_monotonic_ns(void)
{
    return read_clock(CLOCK_MONOTONIC);
}

uint64_t shmseq_port_realtime_ns(void)
{
    return read_clock(CLOCK_REALTIME);
}

uint32_t shmseq_port_pid(void)
{
    return (uint32_t)getpid();
}

void shmseq_port_yield(void)
{
    (void)sched_yield();
}

int shmseq_port_sleep_ns(uint64_t ns)
{
    struct timespec ts;
    uint64_t sec = ns / NS_PER_S;

    /* A 32-bit time_t cannot hold every uint64_t second count: cap at ~68
     * years, which is "forever" for any caller. */
    if (sec > INT32_MAX)
        sec = INT32_MAX;
    ts.tv_sec = (time_t)sec;
    ts.tv_nsec = (long)(ns % NS_PER_S);
    /* No restart on a signal: the caller asked to be told (-EINTR). */
    if (nanosleep(&ts, NULL) != 0)
        return -errno;
    return 0;
}

int shmseq_port_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec ts;
    int err;

    ts.tv_sec = (time_t)(deadline_ns / NS_PER_S);
    ts.tv_nsec = (long)(deadline_ns % NS_PER_S);
    /* Returns the error number itself, not -1/errno. */
    err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    return -err;
}
