/* SPDX-License-Identifier: MIT */
/*
 * The hot path allocates nothing (invariant 2, and the "caller allocates"
 * rule): malloc, calloc, realloc, free and friends are wrapped at link
 * time (-Wl,--wrap=..., see tests/torture/torture.cmake), and once the trap
 * is armed any call aborts the process. With the trap armed, the writer
 * publishes and the readers use shmseq_read(), shmseq_read_latest() and
 * shmseq_read_wait() (which sleeps on the futex word, so the writer's wake
 * path runs too, against a reader in another process).
 *
 * --wrap redirects the calls made by this program and by the static
 * libshmseq.a it links, which is what is under test; allocations inside
 * the C library itself are out of its reach. Opening and closing regions
 * happen before the trap is armed: only the hot path is promised
 * allocation-free.
 *
 * Not built under sanitizers: ASan replaces malloc itself.
 *
 * usage: torture_noalloc [--samples N]   (N: default 10^5; times SHMSEQ_TEST_SCALE)
 */
#define _GNU_SOURCE

#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq_torture.h"

#define WIDTH 3u
#define CAPACITY 128u

#include "shmseq_wrap_malloc.h"

static atomic_int armed;
static atomic_int selftest; /* the trap's own check: expected to fire */

static void trap(const char *what)
{
    if (atomic_load(&armed) && atomic_load(&selftest)) {
        static const char ok[] = "torture_noalloc: trap self-test: malloc intercepted\n";
        (void)!write(2, ok, sizeof ok - 1);
        abort();
    }
    if (atomic_load(&armed)) {
        static const char head[] = "torture_noalloc: FAILED: ";
        static const char tail[] = " called on the hot path\n";
        /* write(2), not stdio: stdio itself may allocate. */
        (void)!write(2, head, sizeof head - 1);
        (void)!write(2, what, strlen(what));
        (void)!write(2, tail, sizeof tail - 1);
        abort();
    }
}

void *__wrap_malloc(size_t size)
{
    trap("malloc");
    return __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
    trap("calloc");
    return __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
    trap("realloc");
    return __real_realloc(p, size);
}

void __wrap_free(void *p)
{
    trap("free");
    __real_free(p);
}

void *__wrap_aligned_alloc(size_t align, size_t size)
{
    trap("aligned_alloc");
    return __real_aligned_alloc(align, size);
}

int __wrap_posix_memalign(void **p, size_t align, size_t size)
{
    trap("posix_memalign");
    return __real_posix_memalign(p, align, size);
}

struct control {
    atomic_uint attached;
    atomic_uint done;
    uint64_t received;
    uint64_t lost;
    uint64_t bad;
};

static struct control *ctl;

/* The sleeping reader in another process: read_wait with the trap armed. */
static int child_reader(const char *name)
{
    shmseq_reader r;
    if (shmseq_reader_open(&r, name, SHMSEQ_START_LATEST) < 0)
        return 1;
    atomic_store(&armed, 1);
    atomic_fetch_add(&ctl->attached, 1);
    double v[WIDTH];
    shmseq_sample m;
    bool done = false;
    for (;;) {
        int rc = shmseq_read_wait(&r, &m, v, WIDTH, done ? 0 : 100000000ll);
        if (rc == 0) {
            ctl->received++;
            ctl->lost += m.lost;
            ctl->bad += shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) != 0;
            continue;
        }
        if (rc != -ETIMEDOUT)
            return 1;
        if (done)
            break;
        done = atomic_load(&ctl->done) != 0;
    }
    atomic_store(&armed, 0);
    shmseq_reader_close(&r);
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t n = torture_samples(argc, argv, 100000u);
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctl = torture_shared(sizeof *ctl);
    char name[64];
    torture_name(name, sizeof name, "noalloc");
    (void)shmseq_unlink(name);

    /* Self-test: the trap fires (else this test would prove nothing). */
    fflush(NULL);
    pid_t probe = torture_fork();
    if (probe == 0) {
        atomic_store(&selftest, 1);
        atomic_store(&armed, 1);
        void *volatile p = malloc(16); /* must abort here */
        free(p);
        _exit(0);
    }
    int probe_status = 0;
    if (torture_wait_all(&probe, &probe_status, 1, 30.0) < 0 ||
        !WIFSIGNALED(probe_status) || WTERMSIG(probe_status) != SIGABRT) {
        printf("torture_noalloc: the malloc trap does not fire (not linked "
               "with --wrap?): 0 passed, 1 failed\n");
        return 1;
    }

    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, name, &cfg);
    if (rc < 0) {
        printf("torture_noalloc: %s\n", shmseq_strerror(rc));
        return 1;
    }
    shmseq_reader rr, rl, rw;
    if (shmseq_reader_open(&rr, name, SHMSEQ_START_OLDEST) < 0 ||
        shmseq_reader_open(&rl, name, SHMSEQ_START_OLDEST) < 0 ||
        shmseq_reader_open(&rw, name, SHMSEQ_START_OLDEST) < 0) {
        printf("torture_noalloc: reader open failed\n");
        return 1;
    }
    fflush(NULL);
    pid_t pid = torture_fork();
    if (pid == 0)
        _exit(child_reader(name));
    while (atomic_load(&ctl->attached) < 1)
        torture_sleep_ms(1);

    atomic_store(&armed, 1);
    double v[WIDTH], out[WIDTH];
    shmseq_sample m;
    uint64_t bad = 0, got = 0;
    struct timespec nap = {0, 200000}; /* lets the child fall asleep */
    for (uint64_t k = 0; k < n; k++) {
        shmseq_test_fill(v, WIDTH, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
        switch (k % 3u) {
        case 0:
            rc = shmseq_read(&rr, &m, out, WIDTH);
            break;
        case 1:
            rc = shmseq_read_latest(&rl, &m, out, WIDTH);
            break;
        default:
            rc = shmseq_read_wait(&rw, &m, out, WIDTH, 1000000);
            break;
        }
        if (rc == 0) {
            got++;
            bad += shmseq_test_check(out, WIDTH, m.seq, m.timestamp_ns) != 0;
        }
        if (k % 1000u == 999u)
            nanosleep(&nap, NULL);
    }
    /* Timeouts too: the sleeping path with nothing to read. */
    while (shmseq_read_wait(&rw, &m, out, WIDTH, 0) == 0)
        got++;
    rc = shmseq_read_wait(&rw, &m, out, WIDTH, 2000000);
    atomic_store(&armed, 0);

    atomic_store(&ctl->done, 1);
    int status = 0;
    int waited = torture_wait_all(&pid, &status, 1, 60.0);
    shmseq_reader_close(&rr);
    shmseq_reader_close(&rl);
    shmseq_reader_close(&rw);
    shmseq_writer_close(&w);
    (void)shmseq_unlink(name);

    int failed = rc != -ETIMEDOUT || bad != 0 || ctl->bad != 0 || waited < 0 ||
                 !torture_child_ok(status) || got == 0 || ctl->received == 0 ||
                 ctl->received + ctl->lost != n;
    printf("torture_noalloc: published %llu, read in-process %llu, "
           "child read_wait received %llu lost %llu, bad %llu%s\n",
           (unsigned long long)n, (unsigned long long)got,
           (unsigned long long)ctl->received, (unsigned long long)ctl->lost,
           (unsigned long long)(bad + ctl->bad),
           torture_child_ok(status) ? "" : " (child reader failed)");
    printf("torture_noalloc: no allocation on the hot path: %d passed, %d failed\n",
           failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
