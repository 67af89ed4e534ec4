/* SPDX-License-Identifier: MIT */
/*
 * Helpers for the multi-process torture programs (tests/torture/): a small
 * shared mapping for orchestration and results (separate from the region
 * under test, so the test never writes the ring itself), a watchdog wait
 * for child processes, and the common command line (--samples).
 *
 * Header-only and POSIX: include it after defining _GNU_SOURCE.
 */
#ifndef SHMSEQ_TORTURE_H
#define SHMSEQ_TORTURE_H

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "shmseq_test.h"

/* Anonymous shared memory, inherited by forked children. */
static inline void *torture_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    memset(p, 0, size);
    return p;
}

static inline uint64_t torture_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void torture_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/*
 * Wait for the @n children in @pids (entries set to 0 once reaped; each
 * status goes to @status). If they are not all gone after @timeout_s
 * seconds, SIGKILL the rest and return -1, so a blocking bug fails the
 * test instead of hanging it. Returns 0 when all exited in time.
 */
static inline int torture_wait_all(pid_t *pids, int *status, int n,
                                   double timeout_s)
{
    uint64_t deadline = torture_now_ns() + (uint64_t)(timeout_s * 1e9);
    int left = 0;
    for (int i = 0; i < n; i++)
        left += pids[i] > 0;
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            if (pids[i] <= 0)
                continue;
            int st;
            pid_t r = waitpid(pids[i], &st, WNOHANG);
            if (r == pids[i]) {
                status[i] = st;
                pids[i] = 0;
                left--;
            }
        }
        if (left == 0)
            break;
        if (torture_now_ns() > deadline) {
            for (int i = 0; i < n; i++) {
                if (pids[i] > 0) {
                    kill(pids[i], SIGKILL);
                    kill(pids[i], SIGCONT);
                    waitpid(pids[i], &status[i], 0);
                    pids[i] = 0;
                }
            }
            return -1;
        }
        torture_sleep_ms(5);
    }
    return 0;
}

/*
 * fork() for test children: stdio is flushed first (children _exit, and
 * buffered output would otherwise be lost or duplicated), and the child
 * is killed if the test process dies (ctest timeout, failed check), so no
 * writer is left spinning.
 */
static inline pid_t torture_fork(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    return pid;
}

/*
 * Fork @p n children, child i running _exit(body(i)), into @p pids; then,
 * if @p ready is not NULL, wait until @p ready counts all @p n (each child
 * adds one once attached). 0, or -1 if a fork failed (perror said why).
 */
static inline int torture_fork_n(pid_t *pids, int n, int (*body)(int),
                                 atomic_uint *ready)
{
    for (int i = 0; i < n; i++) {
        pids[i] = torture_fork();
        if (pids[i] < 0) {
            perror("fork");
            return -1;
        }
        if (pids[i] == 0)
            _exit(body(i));
    }
    while (ready != NULL && atomic_load(ready) < (unsigned)n)
        torture_sleep_ms(1);
    return 0;
}

/* "ok" when a child exited with status 0. */
static inline int torture_child_ok(int status)
{
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/*
 * The sample count: "--samples N" (or "--samples=N", default @def), times
 * the SHMSEQ_TEST_SCALE factor if set (so a slow emulator or sanitizer run
 * can shrink every torture at once). Unknown arguments: exit 2.
 */
static inline uint64_t torture_samples(int argc, char **argv, uint64_t def)
{
    uint64_t n = def;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = NULL;
        if (strcmp(a, "--samples") == 0 && i + 1 < argc)
            v = argv[++i];
        else if (strncmp(a, "--samples=", 10) == 0)
            v = a + 10;
        if (v == NULL) {
            fprintf(stderr, "usage: %s [--samples N]\n", argv[0]);
            exit(2);
        }
        n = strtoull(v, NULL, 0);
        if (n == 0) {
            fprintf(stderr, "%s: --samples must be > 0\n", argv[0]);
            exit(2);
        }
    }
    return shmseq_test_scaled(n, 1000);
}

/*
 * The crash tortures' command line: the kill count (@def_kills, or the
 * SHMSEQ_CRASH_KILLS environment variable for long runs, or --kills N) and
 * the random seed (--seed S; default: the clock). Bad input: exit 2.
 */
static inline uint64_t torture_parse_u64(const char *prog, const char *s)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 0);
    if (*s == '\0' || *end != '\0') {
        fprintf(stderr, "%s: bad number '%s'\n", prog, s);
        exit(2);
    }
    return v;
}

static inline void torture_kill_args(int argc, char **argv, uint64_t def_kills,
                                     uint64_t *kills, uint64_t *seed)
{
    const char *env = getenv("SHMSEQ_CRASH_KILLS");
    *kills = def_kills;
    if (env != NULL && *env != '\0')
        *kills = torture_parse_u64(argv[0], env);
    *seed = torture_now_ns() | 1u;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kills") == 0 && i + 1 < argc)
            *kills = torture_parse_u64(argv[0], argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            *seed = torture_parse_u64(argv[0], argv[++i]) | 1u;
        else {
            fprintf(stderr, "usage: %s [--kills N] [--seed S]\n", argv[0]);
            exit(2);
        }
    }
}

/* xorshift64 over @s (never 0): the tortures print their seed, so a run
 * can be repeated (up to timing) with --seed. */
static inline uint64_t torture_rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A per-process unique region name with @tag. */
static inline void torture_name(char *buf, size_t size, const char *tag)
{
    snprintf(buf, size, "torture-%ld-%s", (long)getpid(), tag);
}

#endif /* SHMSEQ_TORTURE_H */
