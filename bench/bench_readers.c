/* SPDX-License-Identifier: MIT */
/*
 * bench_readers: how shmseq's cost grows with the number of reader
 * processes (--readers N). The design claims the writer's cost does not
 * depend on it: readers never write the ring, so a publish is the same
 * stores whoever reads. One writer on --wcpu, N readers forked onto
 * --rcpu (2 and more share that CPU: on a 2-CPU machine they are
 * oversubscribed, and their latency shows it), one run in two parts
 * (bench_harness.h, bench_readers_run()): a paced stream for reader 1's
 * latency and every reader's losses, then the writer flat out, timed in
 * batches, for its ns per publish. Rows go to readers.csv.
 *
 *   poll   every reader polls shmseq_read (SHMSEQ_READER_POLL)
 *   wait   every reader sleeps in shmseq_read_wait: the writer pays a
 *          wake (one futex call per publish that finds a sleeper, not one
 *          per reader) whenever one is asleep
 *   spin   every reader spins SPIN_NS then sleeps (shmseq_reader_set_spin)
 *   mix    reader i polls, sleeps, spins for i mod 3 = 0, 1, 2
 *   nowake poll, with a writer opened with SHMSEQ_WRITER_NO_WAKE
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "bench_harness.h"

/* shmseq-spin's budget (bench_latency): 5 periods at 100 kHz */
#define SPIN_NS 50000u
/* a sleeping reader looks at the stop flag this often */
#define WAIT_NS 10000000

enum test { T_POLL, T_WAIT, T_SPIN, T_MIX, T_NOWAKE };
enum how { H_POLL, H_WAIT, H_SPIN };

static const char *const test_names[] = {"poll", "wait", "spin", "mix",
                                         "nowake"};
static const uint64_t test_defaults[][2] = {
    {20000, 100000}, {20000, 100000}, {20000, 100000}, {20000, 100000},
    {20000, 100000},
};
static const bench_tests tests = {
    .names = test_names, .defaults = test_defaults,
    .n = sizeof test_names / sizeof test_names[0],
    .latency = 0x1fu, .batched = 0,
    .prog = "bench_readers",
    .usage = "Usage: bench_readers TEST [OPTION]...\n"
             "One shmseq writer, --readers N reader processes on --rcpu.\n"
             "TEST: poll wait spin mix nowake (how the readers read)\n"
             "-n: samples of the paced stream; the writer then publishes\n"
             "10 x -n flat out, timed",
};

static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = 4096,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static bench_plan p;
static bench_readers_ctl *sh;
static char region[64];

static enum how how_of(unsigned i)
{
    switch (p.test) {
    case T_WAIT: return H_WAIT;
    case T_SPIN: return H_SPIN;
    case T_MIX: return (enum how)(i % 3);
    default: return H_POLL;
    }
}

static int reader_main(void *arg)
{
    unsigned i = (unsigned)(uintptr_t)arg;
    enum how how = how_of(i);
    shmseq_reader r;
    shmseq_sample meta;
    bench_rx rx;
    double v[64];
    int rc, ended = 0;

    bench_alarm(60, p.total * (1 + BENCH_READERS_PUB), o.rate_hz);
    if (bench_rx_start(&rx, &sh->r[i], i == 0 ? o.count : 0, p.warm) != 0)
        return 1;
    /* forked before the writer opened the region: wait for it */
    while ((rc = shmseq_reader_open(&r, region,
                                    SHMSEQ_START_OLDEST |
                                        (how == H_POLL ? SHMSEQ_READER_POLL
                                                       : 0))) == -ENOENT ||
           rc == -EAGAIN)
        (void)shmseq_sleep_ns(1000000);
    if (rc < 0) {
        fprintf(stderr, "bench_readers: reader_open: %s\n",
                shmseq_strerror(rc));
        return 1;
    }
    if (how == H_SPIN)
        shmseq_reader_set_spin(&r, SPIN_NS);
    bench_rx_idle(&rx);
    atomic_fetch_add(&sh->ready, 1);
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        if (how == H_POLL)
            rc = shmseq_read(&r, &meta, v, 64);
        else
            rc = shmseq_read_wait(&r, &meta, v, 64, WAIT_NS);
        if (rc == -EAGAIN || rc == -ETIMEDOUT || rc == -EINTR)
            continue;
        if (rc < 0) {
            fprintf(stderr, "bench_readers: read: %s\n", shmseq_strerror(rc));
            return 1;
        }
        /* The ring numbers every publish: meta.seq is the stream's. */
        if (!ended &&
            bench_rx_take_paced(&rx, meta.seq, meta.timestamp_ns, bench_now(),
                                p.total)) {
            ended = 1;
            atomic_fetch_add(&sh->ended, 1);
        }
    }
    if (!ended) /* stopped before the stream's end: free what it kept */
        bench_rx_end(&rx);
    shmseq_reader_close(&r);
    return 0;
}

static int publish(void *ctx, const bench_msg *m)
{
    return shmseq_publish(ctx, m->v, m->stamp);
}

int main(int argc, char **argv)
{
    shmseq_config cfg = {.flags = SHMSEQ_WRITER_RECREATE};
    shmseq_writer w;
    pid_t pid[BENCH_READERS_MAX];
    uint64_t *t = NULL, failed;
    size_t nb = 0;
    bench_msg m;
    unsigned i, n = 0;
    int rc = 0;

    bench_begin(argc, argv, &o, &tests, &p, &m);
    cfg.width = o.width;
    cfg.capacity = o.capacity;
    if (p.test == T_NOWAKE)
        cfg.flags |= SHMSEQ_WRITER_NO_WAKE;
    sh = bench_shared(sizeof *sh);
    snprintf(region, sizeof region, "bench-readers-%ld", (long)getpid());
    /* The readers fork first: a child must not share the writer's lock
     * (shmseq_writer_open's warning); they wait until the region exists. */
    for (n = 0; n < o.readers; n++)
        pid[n] = bench_fork(o.rcpu, reader_main, (void *)(uintptr_t)n);
    bench_pin(o.wcpu);
    bench_alarm(120, p.total * (1 + BENCH_READERS_PUB), o.rate_hz);
    rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        fprintf(stderr, "bench_readers: writer_open: %s\n",
                shmseq_strerror(rc));
        failed = UINT64_MAX;
    } else {
        while (atomic_load(&sh->ready) < o.readers)
            ;
        failed = bench_readers_run(&o, &p, sh, &m, publish, &w, &t, &nb);
        shmseq_writer_close(&w);
    }
    atomic_store(&sh->stop, 1);
    for (i = 0; i < n; i++)
        rc |= bench_wait(pid[i]);
    shmseq_unlink(region);
    if (rc != 0 || failed == UINT64_MAX) {
        fprintf(stderr, "bench_readers: %s: a reader failed\n",
                test_names[p.test]);
        free(t);
        return 1;
    }
    snprintf(region, sizeof region, "shmseq-%s", test_names[p.test]);
    bench_emit_readers(&o, region, sh, t, nb, failed);
    free(t);
    return 0;
}
