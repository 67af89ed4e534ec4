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

#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ck_sequence.h>

#include "bench_util.h"

#define IDLE_NS 200000000u /* writer idle before the latency stream */
#define BATCH 1000u        /* publishes per timed batch (bench_publish) */

typedef struct msg {
    uint64_t seq;
    uint64_t stamp;
    double v[64];
} msg;

enum test { T_LAT_POLL, T_PUB_NONE, T_PUB_POLL, T_THROUGHPUT };

static const char *const test_names[] = {
    "latency-poll", "publish-none", "publish-poll", "throughput",
};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish and
 * bench_throughput. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {2000000, 0}, {2000000, 0}, {20000000, 0},
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint ready;
    atomic_uint stop;
    bench_result r; /* counts, stamps, floor probe */
    /* the latest-value slot: the sequence and the sample it guards, laid
     * out as a user would (one struct, starting on its own cache line) */
    _Alignas(64) ck_sequence_t sq;
    msg slot;
    _Alignas(64) char pad[64];
} ctl;

static enum test test;
/* .capacity: unused (one slot), a value bench_parse accepts */
static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = 2,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static uint64_t warm, total;
static size_t msg_size;

/* The single writer (ck_sequence's writer side needs no lock with one). */
static void publish(const msg *m)
{
    ck_sequence_write_begin(&sh->sq);
    memcpy(&sh->slot, m, msg_size);
    ck_sequence_write_end(&sh->sq);
}

/* Copy the slot if its sequence moved past *last: 1 and *out filled, or 0
 * when nothing new was published (or the copy raced with the writer: the
 * next call retries). Version 0 is the slot before the first write. */
static int take(unsigned *last, msg *out)
{
    unsigned v = ck_sequence_read_begin(&sh->sq);

    if (v == *last)
        return 0;
    memcpy(out, &sh->slot, msg_size);
    if (ck_sequence_read_retry(&sh->sq, v))
        return 0;
    *last = v;
    return 1;
}

/* ---- reader ------------------------------------------------------------ */

static int reader_main(void *arg)
{
    uint64_t *lat = NULL, nrec = 0, prev = UINT64_MAX, idle_t0;
    unsigned last = 0;
    double idle_c0;
    int latency = test == T_LAT_POLL, first = 1;
    msg m;

    (void)arg;
    alarm((unsigned)(60 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));
    if (latency && (lat = calloc((size_t)o.count, sizeof *lat)) == NULL)
        return 1;
    if (test != T_PUB_POLL)
        bench_probe_reader(&sh->r.probe, 0);
    idle_c0 = bench_cpu_ns();
    idle_t0 = bench_now();
    atomic_store(&sh->ready, 1);

    for (;;) {
        uint64_t now;

        if (!take(&last, &m)) {
            if (test == T_PUB_POLL &&
                atomic_load_explicit(&sh->stop, memory_order_relaxed))
                break;
            continue;
        }
        now = bench_now();
        if (first) {
            double wall = (double)(now - idle_t0);
            first = 0;
            sh->r.idle_cpu_pct =
                wall > 0 ? 100.0 * (bench_cpu_ns() - idle_c0) / wall : 0;
        }
        if (prev != UINT64_MAX && m.seq > prev + 1)
            sh->r.lost += m.seq - prev - 1;
        else if (prev == UINT64_MAX && m.seq > 0)
            sh->r.lost += m.seq; /* overwritten before the first look */
        prev = m.seq;
        sh->r.received++;
        if (latency && m.seq >= warm && nrec < o.count)
            lat[nrec++] = now >= m.stamp ? now - m.stamp : 0;
        if (test != T_PUB_POLL && m.seq + 1 >= total)
            break;
    }
    sh->r.t_reader_end = bench_now();
    if (test != T_PUB_POLL)
        bench_probe_reader(&sh->r.probe, 1);
    if (latency)
        bench_dist_of(lat, (size_t)nrec, &sh->r.d);
    free(lat);
    return 0;
}

/* ---- writer ------------------------------------------------------------ */

static void emit_publish(uint64_t *batch_ns, size_t nb)
{
    /* blocked_after -1: the writer never blocks, it overwrites. */
    bench_emit_publish(&o, test == T_PUB_NONE ? "ck-seq-none" : "ck-seq-poll",
                       batch_ns, nb, BATCH, -1, 0, NULL);
}

static int emit_throughput(void)
{
    bench_thr t = {
        .peer = "ck-seq", .capacity = 1, .received = sh->r.received,
        .lost = sh->r.lost, .t_start = sh->r.t_start,
        .t_writer_end = sh->r.t_writer_end, .t_reader_end = sh->r.t_reader_end,
        /* Every sample is either received or a gap in the numbers. */
        .accounted = sh->r.received + sh->r.lost == o.count,
        .rtt_before = sh->r.rtt_before, .rtt_after = sh->r.rtt_after,
        .extra = "(one-slot mailbox: losses by design)",
    };
    bench_emit_throughput(&o, &t);
    return t.accounted ? 0 : 3;
}

/* Paced (rate_hz) or flat-out stream of total samples, as bench_latency
 * and bench_throughput send theirs. */
static void stream(msg *m, uint64_t n, int stamp_now)
{
    bench_pacer pace;
    uint64_t i;

    bench_pacer_start(&pace, o.rate_hz);
    for (i = 0; i < n; i++) {
        bench_pacer_wait(&pace);
        m->seq = i;
        m->stamp = stamp_now ? bench_now() : i;
        publish(m);
    }
}

int main(int argc, char **argv)
{
    msg m;
    pid_t pid = 0;
    uint64_t i, *t = NULL;
    size_t nb = 0, j;
    int k = -1, rc = 0;

    k = bench_parse_test(argc, argv, &o, test_names, test_defaults,
                         sizeof test_names / sizeof test_names[0],
                         "bench_ck",
                         "Usage: bench_ck TEST [OPTION]...\n"
                         "Concurrency Kit ck_sequence around a latest-value slot as a "
                         "peer.\n"
                         "TEST: latency-poll publish-none publish-poll throughput\n"
                         "--capacity does not apply: one slot");
    test = (enum test)k;
    if ((test == T_PUB_NONE || test == T_PUB_POLL) && o.count < BATCH)
        o.count = BATCH;
    msg_size = 16 + 8 * (size_t)o.width;
    warm = test == T_LAT_POLL ? (o.count / 10 < 10000 ? o.count / 10 : 10000)
                              : 0;
    total = warm + o.count;
    memset(&m, 0, sizeof m);
    for (j = 0; j < o.width; j++)
        m.v[j] = (double)j * 0.5;
    sh = bench_shared(sizeof *sh);
    ck_sequence_init(&sh->sq);
    bench_pin(o.wcpu);
    alarm((unsigned)(120 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));

    if (test != T_PUB_NONE)
        pid = bench_fork(o.rcpu, reader_main, NULL);
    if (test != T_PUB_POLL && pid > 0)
        sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);
    while (pid > 0 && !atomic_load(&sh->ready))
        ;

    switch (test) {
    case T_LAT_POLL: {
        struct timespec idle = {0, IDLE_NS};
        bench_spin_until(bench_now() + IDLE_NS / 1000); /* let it settle */
        nanosleep(&idle, NULL);
        stream(&m, total, 1);
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }
    case T_PUB_NONE:
    case T_PUB_POLL:
        nb = (size_t)(o.count / BATCH);
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        for (j = 0, i = 0; j < nb; j++) {
            uint64_t t0 = bench_now(), n;
            for (n = 0; n < BATCH; n++, i++) {
                m.seq = i;
                m.stamp = i;
                publish(&m);
            }
            t[j] = bench_now() - t0;
        }
        atomic_store(&sh->stop, 1);
        break;
    case T_THROUGHPUT:
        sh->r.t_start = bench_now();
        stream(&m, o.count, 0);
        sh->r.t_writer_end = bench_now();
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }

    if (pid > 0)
        rc = bench_wait(pid);
    if (rc != 0) {
        fprintf(stderr, "bench_ck: %s: the reader failed\n", test_names[test]);
        free(t);
        return 1;
    }
    switch (test) {
    case T_LAT_POLL:
        bench_emit_latency(o.csv, "ck-seq-poll", (unsigned)o.width, o.run,
                           &sh->r.d, sh->r.lost, sh->r.idle_cpu_pct, sh->r.rtt_before,
                           sh->r.rtt_after);
        break;
    case T_THROUGHPUT:
        rc = emit_throughput();
        break;
    default:
        emit_publish(t, nb);
        break;
    }
    free(t);
    return rc;
}
