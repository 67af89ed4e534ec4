/* SPDX-License-Identifier: MIT */
/*
 * A futex that fails (ENOSYS on a kernel without it, EPERM under a seccomp
 * filter of a sandbox) must not make shmseq_read_wait() spin: the reader
 * falls back to the polling nap (docs/reliability.md).
 *
 * The count is of calls, never of time: syscall() and nanosleep() are
 * wrapped at link time (-Wl,--wrap, see reliability.cmake) and count the
 * reader's FUTEX_WAIT attempts and its naps. Each case runs in a child:
 *
 *   seccomp  a seccomp filter makes every futex call fail with EPERM (where
 *            seccomp filters cannot be installed, e.g. under qemu-user, the
 *            case says so and is skipped);
 *   enosys   the syscall() wrapper fails FUTEX_WAIT with ENOSYS itself.
 *
 * In each: read_wait with a 30 ms timeout and nothing published returns
 * -ETIMEDOUT after at most one futex wait (two system calls on 32-bit ABIs,
 * whose futex_time64 falls back to futex on ENOSYS) and at least one nap;
 * then read_wait with no timeout returns the sample that the nap wrapper
 * publishes at the third nap, again after no futex attempt. The previous
 * code retried the failing futex at once, thousands of times: so that it
 * fails rather than hangs, the syscall() wrapper publishes a sample after
 * FUTEX_RUNAWAY attempts.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#if UINTPTR_MAX > 0xffffffffu
#define SYM_NANOSLEEP nanosleep
#else
#define SYM_NANOSLEEP __nanosleep64
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

long __real_syscall(long nr, ...);
long __wrap_syscall(long nr, ...);
int CAT(__real_, SYM_NANOSLEEP)(const struct timespec *req,
                                struct timespec *rem);
int CAT(__wrap_, SYM_NANOSLEEP)(const struct timespec *req,
                                struct timespec *rem);

/* System calls one futex wait makes when each fails with ENOSYS: 32-bit
 * ABIs try futex_time64, then the old futex (port/posix). */
#if defined(SYS_futex_time64) && defined(SYS_futex)
#define CALLS_PER_WAIT 2u
#else
#define CALLS_PER_WAIT 1u
#endif

#define WIDTH 2u
#define CAPACITY 16u
#define FUTEX_RUNAWAY 1000u

static int deny_enosys;         /* the wrapper fails FUTEX_WAIT itself */
static unsigned futex_waits, naps, publish_at_nap;
static shmseq_writer writer;
static uint64_t published;

static void publish_one(void)
{
    double v[WIDTH];
    shmseq_test_fill(v, WIDTH, published);
    (void)shmseq_publish(&writer, v, shmseq_test_ts(published));
    published++;
}

static int is_futex(long nr)
{
#ifdef SYS_futex_time64
    if (nr == SYS_futex_time64)
        return 1;
#endif
#ifdef SYS_futex
    if (nr == SYS_futex)
        return 1;
#endif
    return 0;
}

long __wrap_syscall(long nr, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, nr);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    if (is_futex(nr) && (a[1] & FUTEX_CMD_MASK) == FUTEX_WAIT) {
        futex_waits++;
        if (futex_waits == FUTEX_RUNAWAY)
            publish_one(); /* end a runaway loop: the count fails it */
        if (deny_enosys) {
            errno = ENOSYS;
            return -1;
        }
    }
    return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int CAT(__wrap_, SYM_NANOSLEEP)(const struct timespec *req,
                                struct timespec *rem)
{
    naps++;
    if (publish_at_nap != 0 && naps == publish_at_nap)
        publish_one();
    return CAT(__real_, SYM_NANOSLEEP)(req, rem);
}

static int deny_futex_seccomp(void)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
#ifdef SYS_futex_time64
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex_time64, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
#ifdef SYS_futex
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
#endif
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -errno;
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
        return -errno;
    return 0;
}

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "futex_denied: %s: ", what);                  \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, " (futex waits %u, naps %u)\n", futex_waits,  \
                    naps);                                                \
            return 1;                                                     \
        }                                                                 \
    } while (0)

/* The child: 0 passed, 1 failed, 77 skipped. */
static int run_case(const char *what, const char *name, bool seccomp)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    int rc = shmseq_writer_open(&writer, name, &cfg);
    CHECK(rc == 0, "writer open: %s", shmseq_strerror(rc));
    shmseq_reader r;
    rc = shmseq_reader_open(&r, name, 0);
    CHECK(rc == 0, "reader open: %s", shmseq_strerror(rc));
    if (seccomp) {
        rc = deny_futex_seccomp();
        if (rc < 0) {
            printf("futex_denied: %s: no seccomp filter here (%s): skipped\n",
                   what, strerror(-rc));
            return 77;
        }
    } else {
        deny_enosys = 1;
    }

    shmseq_sample m;
    double out[WIDTH];
    futex_waits = naps = 0;
    rc = shmseq_read_wait(&r, &m, out, WIDTH, 30000000);
    CHECK(rc == -ETIMEDOUT, "read_wait(30 ms): %d (%s)", rc,
          shmseq_strerror(rc));
    CHECK(futex_waits <= CALLS_PER_WAIT, "the failing futex wait was retried");
    CHECK(naps >= 1, "no polling nap");
    printf("futex_denied: %s: 30 ms: %u futex wait, %u naps\n", what,
           futex_waits, naps);

    futex_waits = naps = 0;
    publish_at_nap = 3;
    rc = shmseq_read_wait(&r, &m, out, WIDTH, -1);
    CHECK(rc == 0, "read_wait(forever): %d (%s)", rc, shmseq_strerror(rc));
    CHECK(m.seq == 0 && shmseq_test_check(out, WIDTH, 0, m.timestamp_ns) == 0,
          "wrong sample");
    CHECK(futex_waits == 0, "futex tried again after it failed");
    CHECK(naps >= 3, "returned before the sample was published");
    printf("futex_denied: %s: forever: %u futex waits, %u naps, sample 0\n",
           what, futex_waits, naps);
    shmseq_reader_close(&r);
    shmseq_writer_close(&writer);
    return 0;
}

int main(void)
{
    const char *cases[] = {"seccomp", "enosys"};
    int failed = 0, ran = 0;
    for (int i = 0; i < 2; i++) {
        char name[SHMSEQ_NAME_MAX + 1];
        snprintf(name, sizeof name, "futexd-%ld-%s", (long)getpid(), cases[i]);
        (void)shmseq_remove(name, SHMSEQ_REMOVE_FORCE);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            alarm(60); /* a hang is a failure too */
            int rc = run_case(cases[i], name, i == 0);
            fflush(NULL);
            _exit(rc);
        }
        int status = 0;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        (void)shmseq_remove(name, SHMSEQ_REMOVE_FORCE);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 77)
            continue;
        ran++;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "futex_denied: %s failed (status 0x%x)\n",
                    cases[i], (unsigned)status);
            failed = 1;
        }
    }
    return failed ? 1 : (ran > 0 ? 0 : 77);
}
