/* SPDX-License-Identifier: MIT */
/*
 * bench_ck: Concurrency Kit's ck_sequence (a seqlock) guarding one
 * latest-value slot in shared memory, as a peer of shmseq: what a user
 * would write by hand with a well-known seqlock instead of a ring. The
 * writer and the reader are two forked processes sharing an anonymous
 * MAP_SHARED mapping; the message is the one the other programs send
 * (sample number, timestamp, --width float64). Measured the way
 * bench_latency, bench_publish and bench_throughput measure the others,
 * writing the same CSV rows, so bench/table.sh puts it in the same table.
 *
 *   latency-poll   one-way latency, the reader polls the slot's sequence
 *                  (row ck-seq-poll in latency.csv)
 *   publish-none   write_begin + copy + write_end per sample, no reader
 *                  (row ck-seq-none in publish.csv)
 *   publish-poll   ... one reader polling on the other CPU (ck-seq-poll)
 *   throughput     the writer flat out, one polling reader (ck-seq in
 *                  throughput.csv)
 *
 * One slot is a mailbox, not a queue: a new sample overwrites the last, so
 * a reader that is late loses samples by design. The reader counts them
 * as gaps in the sample numbers (received + lost adds up to what was
 * published, because the last sample stays in the slot). --capacity does
 * not apply (reported as 1). The memory ordering is ck's own (ck_pr loads,
 * stores and fences; the payload is copied with plain memcpy inside the
 * read/retry loop, as ck's own seqlock users do): the peer's design, not
 * ours to change. Built only when ck_sequence.h and libck are found.
 */
#define _GNU_SOURCE

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ck_sequence.h>

#include "bench_harness.h"

enum test { T_LAT_POLL, T_PUB_NONE, T_PUB_POLL, T_THROUGHPUT };

static const char *const test_names[] = {
    "latency-poll", "publish-none", "publish-poll", "throughput",
};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish and
 * bench_throughput. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {2000000, 0}, {2000000, 0}, {20000000, 0},
};
static const bench_tests tests = {
    .names = test_names, .defaults = test_defaults,
    .n = sizeof test_names / sizeof test_names[0],
    .latency = 1u << T_LAT_POLL,
    .batched = 1u << T_PUB_NONE | 1u << T_PUB_POLL,
    .prog = "bench_ck",
    .usage = "Usage: bench_ck TEST [OPTION]...\n"
             "Concurrency Kit ck_sequence around a latest-value slot as a "
             "peer.\n"
             "TEST: latency-poll publish-none publish-poll throughput\n"
             "--capacity does not apply: one slot",
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint ready;
    atomic_uint stop;
    bench_result r; /* counts, stamps, floor probe */
    /* the latest-value slot: the sequence and the sample it guards, laid
     * out as a user would (one struct, starting on its own cache line) */
    _Alignas(64) ck_sequence_t sq;
    bench_msg slot;
    _Alignas(64) char pad[64];
} ctl;

/* .capacity: unused (one slot), a value bench_parse accepts */
static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = 2,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static bench_plan p;
static ctl *sh;

/* The single writer (ck_sequence's writer side needs no lock with one). */
static int publish(void *ctx, const bench_msg *m)
{
    (void)ctx;
    ck_sequence_write_begin(&sh->sq);
    memcpy(&sh->slot, m, p.msg_size);
    ck_sequence_write_end(&sh->sq);
    return 0;
}

/* Copy the slot if its sequence moved past *last: 1 and *out filled, or 0
 * when nothing new was published (or the copy raced with the writer: the
 * next call retries). Version 0 is the slot before the first write. */
static int take(unsigned *last, bench_msg *out)
{
    unsigned v = ck_sequence_read_begin(&sh->sq);

    if (v == *last)
        return 0;
    memcpy(out, &sh->slot, p.msg_size);
    if (ck_sequence_read_retry(&sh->sq, v))
        return 0;
    *last = v;
    return 1;
}

/* ---- reader ------------------------------------------------------------ */

static int reader_main(void *arg)
{
    bench_rx rx;
    unsigned last = 0;
    bench_msg m;

    (void)arg;
    bench_alarm(60, p.total, o.rate_hz);
    if (bench_rx_start(&rx, &sh->r, p.latency ? o.count : 0, p.warm) != 0)
        return 1;
    if (p.test != T_PUB_POLL)
        bench_probe_reader(&sh->r.probe, 0);
    bench_rx_idle(&rx);
    atomic_store(&sh->ready, 1);

    for (;;) {
        if (!take(&last, &m)) {
            if (p.test == T_PUB_POLL &&
                atomic_load_explicit(&sh->stop, memory_order_relaxed))
                break;
            continue;
        }
        bench_rx_take(&rx, m.seq, m.stamp, bench_now());
        if (p.test != T_PUB_POLL && m.seq + 1 >= p.total)
            break;
    }
    bench_rx_end(&rx);
    if (p.test != T_PUB_POLL)
        bench_probe_reader(&sh->r.probe, 1);
    return 0;
}

/* ---- writer ------------------------------------------------------------ */

int main(int argc, char **argv)
{
    bench_msg m;
    pid_t pid = 0;
    uint64_t *t = NULL;
    size_t nb = 0;
    int rc = 0;

    bench_begin(argc, argv, &o, &tests, &p, &m);
    sh = bench_shared(sizeof *sh);
    ck_sequence_init(&sh->sq);
    bench_pin(o.wcpu);
    bench_alarm(120, p.total, o.rate_hz);

    if (p.test != T_PUB_NONE)
        pid = bench_fork(o.rcpu, reader_main, NULL);
    if (p.test != T_PUB_POLL && pid > 0)
        sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);
    while (pid > 0 && !atomic_load(&sh->ready))
        ;

    switch (p.test) {
    case T_LAT_POLL: {
        struct timespec idle = {0, BENCH_IDLE_NS};
        bench_spin_until(bench_now() + BENCH_IDLE_NS / 1000); /* settle */
        nanosleep(&idle, NULL);
        (void)bench_stream(&o, &m, p.total, 1, publish, NULL);
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }
    case T_PUB_NONE:
    case T_PUB_POLL:
        nb = (size_t)(o.count / BENCH_BATCH);
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        (void)bench_batches(t, nb, &m, 0, publish, NULL);
        atomic_store(&sh->stop, 1);
        break;
    case T_THROUGHPUT:
        sh->r.t_start = bench_now();
        (void)bench_stream(&o, &m, o.count, 0, publish, NULL);
        sh->r.t_writer_end = bench_now();
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }

    if (pid > 0)
        rc = bench_wait(pid);
    if (rc != 0) {
        fprintf(stderr, "bench_ck: %s: the reader failed\n",
                test_names[p.test]);
        free(t);
        return 1;
    }
    switch (p.test) {
    case T_LAT_POLL:
        bench_emit_rx_latency(&o, "ck-seq-poll", &sh->r);
        break;
    case T_THROUGHPUT:
        rc = bench_emit_rx_throughput(&o, &sh->r, "ck-seq", 1,
                                      "(one-slot mailbox: losses by design)");
        break;
    default:
        /* blocked_after -1: the writer never blocks, it overwrites. */
        bench_emit_publish(&o,
                           p.test == T_PUB_NONE ? "ck-seq-none" : "ck-seq-poll",
                           t, nb, BENCH_BATCH, -1, 0, NULL);
        break;
    }
    free(t);
    return rc;
}
