/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the example programs: the usage-error exit,
 * signal flags, and one place that turns a region error code into a
 * sentence saying what went wrong and what to do about it. Header-only
 * (static inline) so each example stays a single program. Numbers are
 * parsed by shmseq_util (<shmseq_util/parse.h>), the parser the tools and
 * drivers share.
 */
#ifndef SHMSEQ_EXAMPLE_UTIL_H
#define SHMSEQ_EXAMPLE_UTIL_H

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/shmseq.h>
#include <shmseq_util/parse.h>

/** Exit statuses every example documents in --help. */
#define EX_OK 0
#define EX_FAIL 1
#define EX_USAGE 2

#define EXAMPLE_DEFAULT_REGION "shmseq-demo"

/* Set from a signal handler; the main loop polls it. */
static volatile sig_atomic_t example_stop_signal;

static inline void example_on_signal(int sig)
{
    example_stop_signal = sig;
}

/**
 * Catch SIGINT and SIGTERM without SA_RESTART, so a blocking wait returns
 * -EINTR and the loop sees the flag at once.
 */
static inline void example_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = example_on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

static inline void example_usage_error(const char *prog, const char *fmt,
                                       const char *arg)
{
    fprintf(stderr, "%s: ", prog);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    exit(EX_USAGE);
}

static inline uint64_t example_seconds_to_ns(double s)
{
    return (uint64_t)(s * 1e9);
}

/**
 * Explain why opening region @p name failed, on stderr: what went wrong
 * and what to do. @p writer: the caller tried to write (sensor task).
 */
static inline void example_region_error(const char *prog, const char *name,
                                        int rc, int writer)
{
    shmseq_region_info info;

    switch (rc) {
    case -EBUSY:
        if (shmseq_info(name, &info) == 0 && info.writer_pid != 0)
            fprintf(stderr,
                    "%s: another sensor_reader (pid %u) is already writing "
                    "region '%s' (stop it first)\n",
                    prog, (unsigned)info.writer_pid, name);
        else
            fprintf(stderr,
                    "%s: another sensor_reader is already writing region "
                    "'%s' (stop it first)\n", prog, name);
        break;
    case -ENOSYS:
        fprintf(stderr,
                "%s: POSIX shared memory is not available: /dev/shm is "
                "missing; mount a tmpfs on /dev/shm "
                "(mount -t tmpfs tmpfs /dev/shm)\n", prog);
        break;
    case -EEXIST:
        if (shmseq_info(name, &info) == 0)
            fprintf(stderr,
                    "%s: region '%s' exists with width %u/capacity %u; "
                    "remove it with 'shmseq rm %s' or pass --recreate\n",
                    prog, name, (unsigned)info.width, (unsigned)info.capacity,
                    name);
        else
            fprintf(stderr,
                    "%s: region '%s' exists with another width or "
                    "capacity; remove it with 'shmseq rm %s' or pass "
                    "--recreate\n", prog, name, name);
        break;
    case -ENOENT:
        fprintf(stderr,
                "%s: no region '%s' (start sensor_reader --name %s first, "
                "or wait longer with --wait)\n", prog, name, name);
        break;
    case -EAGAIN:
        fprintf(stderr,
                "%s: region '%s' is still being created; try again\n",
                prog, name);
        break;
    case -EACCES:
        fprintf(stderr,
                "%s: permission denied on region '%s' (it belongs to "
                "another user?); use another --name or ask its owner to "
                "remove it\n", prog, name);
        break;
    case -ENOSPC:
        fprintf(stderr,
                "%s: not enough shared memory for region '%s'; free space "
                "in /dev/shm or lower --capacity/--width\n", prog, name);
        break;
    case -EPROTO:
    case -EBADMSG:
        fprintf(stderr, "%s: region '%s' is %s; remove it with 'shmseq rm %s'%s\n",
                prog, name,
                rc == -EPROTO ? "of another layout version or byte order"
                              : "corrupt or truncated",
                name, writer ? " or pass --recreate" : "");
        break;
    case -EPERM:
        fprintf(stderr,
                "%s: region '%s' belongs to another user; if that is the "
                "sensor task's account, pass --any-owner\n", prog, name);
        break;
    case -EINVAL:
    case -ENAMETOOLONG:
        fprintf(stderr,
                "%s: region name '%s' is not valid: %s (use 1..%u characters "
                "from A-Z a-z 0-9 . _ -, not starting with '.')\n",
                prog, name, shmseq_strerror(rc), (unsigned)SHMSEQ_NAME_MAX);
        break;
    default:
        fprintf(stderr, "%s: cannot open region '%s': %s\n", prog, name,
                shmseq_strerror(rc));
        break;
    }
}

#endif /* SHMSEQ_EXAMPLE_UTIL_H */
