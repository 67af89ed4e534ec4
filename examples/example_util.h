/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the example programs: the program's name for
 * getopt, --version, the usage-error exit, signal flags and names, and one
 * place that turns a region error code into a sentence saying what went
 * wrong and what to do about it. Header-only (static inline) so each
 * example stays a single program. Numbers are parsed by shmseq_util
 * (<shmseq_util/parse.h>), the parser the tools and drivers share.
 */
#ifndef SHMSEQ_EXAMPLE_UTIL_H
#define SHMSEQ_EXAMPLE_UTIL_H

#include <ctype.h>
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

/*
 * Every example calls this first: getopt names the program in its own
 * messages ("logger: unrecognized option '--x'") by argv[0], which is the
 * path it was started by; make it the program's name.
 */
static inline void example_begin(char **argv, const char *prog)
{
    static char name[32];

    (void)snprintf(name, sizeof name, "%s", prog);
    argv[0] = name;
}

/** --version, the same line in every program. */
static inline void example_version(const char *prog)
{
    printf("%s %d.%d.%d (region layout version %u)\n", prog,
           SHMSEQ_VERSION_MAJOR, SHMSEQ_VERSION_MINOR, SHMSEQ_VERSION_PATCH,
           (unsigned)SHMSEQ_LAYOUT_VERSION);
}

/** "SIGINT" for 2, ...: the signals a user sends or a crash raises; NULL
 *  for another (print its number). */
static inline const char *example_signal_name(int sig)
{
    switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGSEGV: return "SIGSEGV";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    case SIGBUS: return "SIGBUS";
    default: return NULL;
    }
}

/** The signal that stopped the main loop, by name ("SIGINT"), or
 *  "signal" for one without a name here. */
static inline const char *example_stop_name(void)
{
    const char *n = example_signal_name((int)example_stop_signal);

    return n != NULL ? n : "signal";
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

/*
 * Say what is wrong with a region name the library refused (-EINVAL or
 * -ENAMETOOLONG from shmseq_name_check()), once, and what a name may be.
 */
static inline void example_name_error(const char *prog, const char *name,
                                      int rc)
{
    const char *p;
    char why[48];

    if (rc == -ENAMETOOLONG)
        (void)snprintf(why, sizeof why, "it is longer than %u characters",
                       (unsigned)SHMSEQ_NAME_MAX);
    else if (name[0] == '\0')
        (void)snprintf(why, sizeof why, "it is empty");
    else if (name[0] == '.')
        (void)snprintf(why, sizeof why, "it starts with '.'");
    else {
        for (p = name; *p != '\0' && (isalnum((unsigned char)*p) ||
                                      strchr("._-", *p) != NULL); p++)
            ;
        if (*p == ' ')
            (void)snprintf(why, sizeof why, "a space is not allowed");
        else if (*p > ' ' && *p < 0x7f)
            (void)snprintf(why, sizeof why, "'%c' is not allowed", *p);
        else if (*p != '\0')
            (void)snprintf(why, sizeof why,
                           "character 0x%02x is not allowed",
                           (unsigned)(unsigned char)*p);
        else
            (void)snprintf(why, sizeof why, "%s", shmseq_strerror(rc));
    }
    fprintf(stderr,
            "%s: region name '%s' is not valid: %s (use 1..%u characters "
            "from A-Z a-z 0-9 . _ -%s)\n",
            prog, name, why, (unsigned)SHMSEQ_NAME_MAX,
            name[0] == '.' ? "" : ", not starting with '.'");
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
        example_name_error(prog, name, rc);
        break;
    default:
        fprintf(stderr, "%s: cannot open region '%s': %s\n", prog, name,
                shmseq_strerror(rc));
        break;
    }
}

#endif /* SHMSEQ_EXAMPLE_UTIL_H */
