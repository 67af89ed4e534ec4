/* SPDX-License-Identifier: MIT */
/*
 * The publish path makes no system call and allocates nothing while no
 * reader sleeps (invariant 2), proved under seccomp strict mode: after
 * prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) any system call other than
 * read, write, _exit and sigreturn kills the process with SIGKILL. A forked
 * writer opens its region, enters strict mode, publishes 10^6 samples (a
 * polling reader reads at the same time from another process), reports the
 * count through a pipe with write(2) and leaves with syscall(SYS_exit):
 * glibc's _exit() is exit_group, which strict mode does not allow.
 *
 * Cases:
 *   control    strict mode kills a child that calls getpid(): the trap works
 *   wake       a reader raised the "waiting" flag and was SIGKILLed asleep;
 *              a writer in strict mode is killed by its first publish (the
 *              one wake-up system call): the trap sees the wake path
 *   idle       no reader sleeps: 10^6 publishes in strict mode
 *   dead       a reader died asleep again: the first publish (outside
 *              strict mode) pays the one wake call and clears the flag; the
 *              next 10^6 publish in strict mode
 *
 * In plain builds malloc and friends are also wrapped (-Wl,--wrap, see
 * reliability.cmake) and counted while publishing; the count must be 0.
 * Under qemu-user (or a kernel without seccomp) prctl fails: the test says
 * why and exits 77 (ctest: skipped).
 *
 * usage: seccomp_publish [--samples N]   (default 10^6, never fewer)
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/syscall.h>

#include <shmseq/shmseq.h>

#include "shmseq/port.h"

#include "layout.h"
#include "shmseq_torture.h"

#define WIDTH 4u
#define CAPACITY 256u

/* ---- the allocation counter (plain builds) ------------------------------ */

#include "shmseq_count_malloc.h"

#ifdef SHMSEQ_TRAP_MALLOC
#define TRAP_NOTE "malloc family counted"
#else
#define TRAP_NOTE "malloc not trapped (sanitizer build)"
#endif

/* ---- shared state ------------------------------------------------------- */

struct report {
    uint64_t published;
    uint64_t allocs;
    int32_t stage; /* how far the child got */
    int32_t err;
};

struct control {
    atomic_uint reader_done;
    atomic_uint reader_attached;
    uint64_t reader_received, reader_lost, reader_torn;
};

static struct control *ctl;
static char region[64];
static const shmseq__word *waiting_flag; /* parent's read-only view */

enum { STAGE_OPEN = 1, STAGE_STRICT = 2, STAGE_DONE = 3 };

static _Noreturn void sys_exit(int code)
{
    syscall(SYS_exit, code);
    for (;;) {
    }
}

static int dead_sleeper(void);

/*
 * The writer child: open (system calls allowed), enter strict mode,
 * publish @n samples, report.
 * @probe: call getpid() in strict mode instead (the control case).
 * @sleeper: after the open, a reader falls asleep and dies (its "waiting"
 * flag stays up), so the first publish in strict mode owes a wake call.
 */
static _Noreturn void writer_child(int fd, uint64_t n, bool probe,
                                   bool sleeper)
{
    struct report rep = {0, 0, 0, 0};
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    double v[WIDTH];
    if (!probe) {
        int rc = shmseq_writer_open(&w, region, &cfg);
        if (rc < 0) {
            rep.err = rc;
            (void)!write(fd, &rep, sizeof rep);
            _exit(2);
        }
        rep.stage = STAGE_OPEN;
        (void)!write(fd, &rep, sizeof rep);
        if (sleeper && dead_sleeper() < 0) {
            rep.err = -EIO;
            (void)!write(fd, &rep, sizeof rep);
            _exit(3);
        }
    }
    if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) {
        rep.err = -errno;
        (void)!write(fd, &rep, sizeof rep);
        _exit(77);
    }
    rep.stage = STAGE_STRICT;
    (void)!write(fd, &rep, sizeof rep); /* write(2) is allowed */
    if (probe)
        (void)syscall(SYS_getpid); /* must be the end of us */
    atomic_store(&counting, 1);
    uint64_t first = probe ? 0 : shmseq_writer_next(&w);
    for (uint64_t k = first; k < first + n && !probe; k++) {
        shmseq_test_fill(v, WIDTH, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
    }
    atomic_store(&counting, 0);
    rep.published = probe ? 0 : shmseq_writer_next(&w) - first;
    rep.allocs = atomic_load(&allocs);
    rep.stage = STAGE_DONE;
    (void)!write(fd, &rep, sizeof rep);
    sys_exit(0);
}

/* Run a writer child; its last report and exit status. */
static int run_writer(uint64_t n, bool probe, bool sleeper,
                      struct report *rep, int *status)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = torture_fork();
    if (pid == 0) {
        close(fds[0]);
        writer_child(fds[1], n, probe, sleeper);
    }
    close(fds[1]);
    memset(rep, 0, sizeof *rep);
    struct report r;
    while (read(fds[0], &r, sizeof r) == (ssize_t)sizeof r)
        *rep = r;
    close(fds[0]);
    if (torture_wait_all(&pid, status, 1, 120.0) < 0)
        return -1;
    return 0;
}

/* A reader that falls asleep in read_wait (no timeout) and is SIGKILLed
 * there, leaving the "waiting" flag raised. */
static int dead_sleeper(void)
{
    pid_t pid = torture_fork();
    if (pid == 0) {
        shmseq_reader r;
        if (shmseq_reader_open(&r, region, SHMSEQ_START_LATEST) != 0)
            _exit(2);
        shmseq_sample m;
        double v[WIDTH];
        for (;;)
            (void)shmseq_read_wait(&r, &m, v, WIDTH, -1);
    }
    uint64_t deadline = torture_now_ns() + 20ull * 1000000000u;
    while (atomic_load(waiting_flag) == 0) {
        if (torture_now_ns() > deadline)
            break;
        torture_sleep_ms(1);
    }
    torture_sleep_ms(20); /* let it reach futex_wait (either way is fine) */
    kill(pid, SIGKILL);
    int status = 0;
    torture_wait_all(&pid, &status, 1, 20.0);
    return atomic_load(waiting_flag) != 0 ? 0 : -1;
}

/* A polling reader in another process while the strict writer runs. */
static pid_t poll_reader(void)
{
    pid_t pid = torture_fork();
    if (pid == 0) {
        shmseq_reader r;
        if (shmseq_reader_open(&r, region, SHMSEQ_START_LATEST | SHMSEQ_READER_POLL) != 0)
            _exit(2);
        atomic_store(&ctl->reader_attached, 1);
        shmseq_sample m;
        double v[WIDTH];
        while (!atomic_load(&ctl->reader_done)) {
            if (shmseq_read(&r, &m, v, WIDTH) == 0) {
                ctl->reader_received++;
                ctl->reader_lost += m.lost;
                ctl->reader_torn += shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) != 0;
            }
        }
        while (shmseq_read(&r, &m, v, WIDTH) == 0) {
            ctl->reader_received++;
            ctl->reader_lost += m.lost;
        }
        shmseq_reader_close(&r);
        _exit(0);
    }
    while (!atomic_load(&ctl->reader_attached))
        torture_sleep_ms(1);
    return pid;
}

static bool killed(int status)
{
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
}

int main(int argc, char **argv)
{
    uint64_t n = torture_samples(argc, argv, 1000000u);
    if (n < 1000000u)
        n = 1000000u; /* a million publishes at least, whatever the scale */
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctl = torture_shared(sizeof *ctl);
    torture_name(region, sizeof region, "seccomp");
    (void)shmseq_unlink(region);
    int passed = 0, failed = 0;
    struct report rep;
    int status = 0;

#ifdef SHMSEQ_TRAP_MALLOC
    /* The allocation counter counts (else a 0 below would prove nothing). */
    atomic_store(&counting, 1);
    void *volatile probe = malloc(16);
    free(probe);
    atomic_store(&counting, 0);
    if (atomic_load(&allocs) < 2) {
        printf("seccomp_publish: the malloc wrap does not count (not linked "
               "with --wrap?): FAILED\n");
        return 1;
    }
    atomic_store(&allocs, 0);
#endif

    /* control: strict mode kills any other system call. */
    if (run_writer(0, true, false, &rep, &status) < 0) {
        printf("seccomp_publish: control child hung\n");
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        printf("seccomp_publish: SKIPPED: prctl(PR_SET_SECCOMP, "
               "SECCOMP_MODE_STRICT) failed: %s (qemu-user or a kernel "
               "without seccomp)\n", strerror(-rep.err));
        return 77;
    }
    if (killed(status) && rep.stage == STAGE_STRICT) {
        passed++;
        printf("seccomp_publish: control: getpid() in strict mode -> SIGKILL: ok\n");
    } else {
        failed++;
        printf("seccomp_publish: control: getpid() in strict mode was not "
               "killed (status %d, stage %d): FAILED\n", status, rep.stage);
    }

    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        printf("seccomp_publish: %s\n", shmseq_strerror(rc));
        return 1;
    }
    shmseq_writer_close(&w);
    char path[96];
    snprintf(path, sizeof path, "/shmseq.%s", region);
    int fd = shm_open(path, O_RDONLY, 0);
    void *view = fd >= 0 ? mmap(NULL, SHMSEQ_HEADER_SIZE, PROT_READ, MAP_SHARED, fd, 0)
                         : MAP_FAILED;
    if (view == MAP_FAILED) {
        perror("seccomp_publish: view");
        return 1;
    }
    close(fd);
    waiting_flag = &((const struct shmseq__region *)view)->r.waiting;
    if (!shmseq_port_wait_is_blocking())
        printf("seccomp_publish: note: this port polls; no reader can sleep\n");

    /* wake: the trap sees the one wake call a reader that fell asleep while
     * the writer ran (and died) costs the next publish. */
    if (shmseq_port_wait_is_blocking()) {
        if (run_writer(1, false, true, &rep, &status) == 0 &&
                   killed(status) && rep.stage == STAGE_STRICT) {
            passed++;
            printf("seccomp_publish: wake: a publish with the flag raised "
                   "makes a system call (killed in strict mode): ok\n");
        } else {
            failed++;
            printf("seccomp_publish: wake: publishing with the flag raised was "
                   "not caught (status %d, stage %d): FAILED\n", status, rep.stage);
        }
    }

    /* idle: no reader sleeps (one polls, in another process). */
    pid_t rpid = poll_reader();
    if (run_writer(n, false, false, &rep, &status) == 0 &&
        WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
        rep.stage == STAGE_DONE && rep.published == n && rep.allocs == 0) {
        passed++;
        printf("seccomp_publish: idle: %llu publishes in strict mode, 0 system "
               "calls, %llu allocations (%s): ok\n",
               (unsigned long long)rep.published, (unsigned long long)rep.allocs,
               TRAP_NOTE);
    } else {
        failed++;
        printf("seccomp_publish: idle: child status %d, stage %d, published "
               "%llu of %llu, allocations %llu: FAILED\n", status, rep.stage,
               (unsigned long long)rep.published, (unsigned long long)n,
               (unsigned long long)rep.allocs);
    }
    atomic_store(&ctl->reader_done, 1);
    int rstatus = 0;
    torture_wait_all(&rpid, &rstatus, 1, 60.0);
    if (!torture_child_ok(rstatus) || ctl->reader_torn != 0 ||
        ctl->reader_received == 0) {
        failed++;
        printf("seccomp_publish: polling reader: received %llu, torn %llu, "
               "status %d: FAILED\n", (unsigned long long)ctl->reader_received,
               (unsigned long long)ctl->reader_torn, rstatus);
    } else {
        printf("seccomp_publish: polling reader alongside: received %llu, "
               "lost %llu, torn 0\n", (unsigned long long)ctl->reader_received,
               (unsigned long long)ctl->reader_lost);
    }

    /* dead: a sleeper that died before the writer opened costs one wake, at
     * the open (every writer open wakes every sleeper once), then none. */
    if (shmseq_port_wait_is_blocking()) {
        if (dead_sleeper() < 0) {
            failed++;
            printf("seccomp_publish: dead: the sleeping reader never raised "
                   "the flag: FAILED\n");
        } else if (run_writer(n, false, false, &rep, &status) == 0 &&
                   WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
                   rep.stage == STAGE_DONE && rep.published == n &&
                   rep.allocs == 0 && atomic_load(waiting_flag) == 0) {
            passed++;
            printf("seccomp_publish: dead sleeper: 1 wake call at open, then "
                   "%llu publishes in strict mode with 0 system calls: ok\n",
                   (unsigned long long)rep.published);
        } else {
            failed++;
            printf("seccomp_publish: dead sleeper: child status %d, stage %d, "
                   "published %llu, allocations %llu, flag %u: FAILED\n",
                   status, rep.stage, (unsigned long long)rep.published,
                   (unsigned long long)rep.allocs, atomic_load(waiting_flag));
        }
    }

    munmap(view, SHMSEQ_HEADER_SIZE);
    (void)shmseq_unlink(region);
    printf("seccomp_publish: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
