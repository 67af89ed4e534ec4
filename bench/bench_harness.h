/* SPDX-License-Identifier: MIT */
/*
 * The harness every peer program shares (bench_ck, bench_zmq,
 * bench_iceoryx, bench_readers): the message they all send, the TEST with
 * its defaults, the warm-up, the alarm, the reader's accounting of what
 * it received (losses as gaps in the sample numbers, latency, CPU use
 * while idle), the paced stream and the timed publish batches of the
 * writer, and the result rows. Each program keeps only what is its own:
 * how its channel is set up, sent to and read from. Nothing here asserts
 * on time.
 */
#ifndef SHMSEQ_BENCH_HARNESS_H
#define SHMSEQ_BENCH_HARNESS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_util.h"

/** Publishes per timed batch (bench_publish's unit): the median batch /
 *  BENCH_BATCH is the cost of one publish. */
#define BENCH_BATCH 1000u
/** The writer's idle time before a latency stream (the reader's CPU use
 *  over it is the idle-CPU figure). */
#define BENCH_IDLE_NS 200000000u

/** The message every peer sends: sample number, timestamp, then --width
 *  float64 values (only the first 16 + 8 * width bytes go out). */
typedef struct bench_msg {
    uint64_t seq;
    uint64_t stamp;
    double v[64];
} bench_msg;

/** A peer program's tests: names[i] with defaults[i] = {count, rate_hz};
 *  bit i of @p latency marks a latency test (warm-up samples before the
 *  measured ones), bit i of @p batched a test timed in BENCH_BATCH
 *  publishes (its count is at least one batch). */
typedef struct bench_tests {
    const char *const *names;
    const uint64_t (*defaults)[2];
    size_t n;
    unsigned latency, batched;
    const char *prog, *usage;
} bench_tests;

/** What a run sends, set by bench_begin(). */
typedef struct bench_plan {
    int test;        /**< index into the tests */
    int latency;     /**< a latency test */
    size_t msg_size; /**< bytes of bench_msg sent */
    uint64_t warm;   /**< samples sent before the measured ones */
    uint64_t total;  /**< warm + count */
} bench_plan;

/** Parse the TEST and the options into @p o, fill @p p and the message
 *  @p m (values 0, 0.5, 1, ...); exits 2 on bad arguments. */
void bench_begin(int argc, char **argv, bench_opts *o, const bench_tests *t,
                 bench_plan *p, bench_msg *m);

/** alarm() long enough for @p total samples at the pace (100 kHz when
 *  flat out) plus @p base seconds: a hung peer ends, it never hangs the
 *  caller. */
void bench_alarm(unsigned base, uint64_t total, uint64_t rate_hz);

/** The reader's side of a run: what it received into @p r. */
typedef struct bench_rx {
    bench_result *r;
    uint64_t *lat;   /* latency samples (latency tests) */
    uint64_t nrec, want, warm, prev, idle_t0;
    double idle_c0;
    int first, ended;
} bench_rx;

/** Start: @p want latency samples after @p warm (0: no latency kept).
 *  Returns 0, or -1 if out of memory. */
int bench_rx_start(bench_rx *rx, bench_result *r, uint64_t want,
                   uint64_t warm);
/** The idle time starts now (the reader is about to say it is ready). */
void bench_rx_idle(bench_rx *rx);
/** One sample received at @p now: the idle CPU figure on the first, gaps
 *  in @p seq counted as lost, the latency kept. */
void bench_rx_take(bench_rx *rx, uint64_t seq, uint64_t stamp, uint64_t now);
/** The end: the reader's stamp, the latency distribution; frees. */
void bench_rx_end(bench_rx *rx);

/** A readers run (bench_readers_run()): the paced stream is samples
 *  0..@p total - 1, the timed batches number on from @p total. Takes one
 *  sample; on the stream's last one, or the first one past it (the
 *  stream's samples it never saw then counted as lost), ends the
 *  accounting and returns 1; every call after that returns 1 too. The
 *  caller counts the ended readers (bench_readers_ctl.ended). */
int bench_rx_take_paced(bench_rx *rx, uint64_t seq, uint64_t stamp,
                        uint64_t now, uint64_t total);

/** Send one message; returns 0, or non-zero if it did not go out (the
 *  caller's callback decides what that means: a failure count, a dead
 *  peer). */
typedef int (*bench_send_fn)(void *ctx, const bench_msg *m);

/** Paced (o->rate_hz) or flat-out stream of @p n samples numbered from 0,
 *  stamped with bench_now() (@p stamp_now) or their number. Stops at the
 *  first non-zero send and returns it; 0 when all went. Inline so that a
 *  constant @p send is inlined into the loop. */
static inline int bench_stream(const bench_opts *o, bench_msg *m, uint64_t n,
                               int stamp_now, bench_send_fn send, void *ctx)
{
    bench_pacer pace;
    uint64_t i;
    int rc;

    bench_pacer_start(&pace, o->rate_hz);
    for (i = 0; i < n; i++) {
        bench_pacer_wait(&pace);
        m->seq = i;
        m->stamp = stamp_now ? bench_now() : i;
        if ((rc = send(ctx, m)) != 0)
            return rc;
    }
    return 0;
}

/** Time @p nb batches of BENCH_BATCH sends, numbered from @p seq0, into
 *  @p batch_ns; returns how many sends returned non-zero (each is
 *  counted, not retried). */
static inline uint64_t bench_batches(uint64_t *batch_ns, size_t nb,
                                     bench_msg *m, uint64_t seq0,
                                     bench_send_fn send, void *ctx)
{
    uint64_t i = seq0, failed = 0;

    for (size_t j = 0; j < nb; j++) {
        uint64_t t0 = bench_now();
        for (unsigned n = 0; n < BENCH_BATCH; n++, i++) {
            m->seq = i;
            m->stamp = i;
            failed += send(ctx, m) != 0;
        }
        batch_ns[j] = bench_now() - t0;
    }
    return failed;
}

/*
 * Readers runs: how the writer's cost and the readers' latency grow with
 * the number of reader processes (bench_readers for shmseq, bench_iceoryx
 * readers-*). One writer, o->readers readers, all readers on o->rcpu (on a
 * 2-CPU machine 2 and more readers are oversubscribed: they share one
 * CPU), one run in two parts:
 *   1. a paced stream (o->rate_hz) of warm + o->count stamped samples:
 *      reader 1's latency p50/p99, each reader's losses, and the time of
 *      each publish (from the stamp taken just before it to a clock read
 *      just after it: one clock read included), where blocking readers
 *      are asleep and the writer pays the wake;
 *   2. the writer flat out, o->count * BENCH_READERS_PUB publishes timed
 *      in batches while every reader keeps reading: ns per publish.
 */
#define BENCH_READERS_PUB 10u

/** Shared by the writer and the readers of a readers run (in the
 *  program's bench_shared() block). */
typedef struct bench_readers_ctl {
    atomic_uint ready; /* readers attached and able to receive */
    atomic_uint ended; /* readers past the paced stream */
    atomic_uint stop;  /* the writer is done: readers return */
    bench_dist paced;  /* the writer's ns per publish in the stream */
    bench_result r[BENCH_READERS_MAX];
} bench_readers_ctl;

/** The writer's side of a readers run, once every reader is ready: the
 *  paced stream, a wait (at most 2 s) for the readers to pass it, the
 *  timed batches (their count is o->count * BENCH_READERS_PUB /
 *  BENCH_BATCH), then stop. Returns the failed sends of the batches, or
 *  UINT64_MAX if a send of the stream failed or out of memory; the batch
 *  times go to *@p batch_ns (malloc'ed, *@p nb of them). */
uint64_t bench_readers_run(const bench_opts *o, const bench_plan *p,
                           bench_readers_ctl *c, bench_msg *m,
                           bench_send_fn send, void *ctx,
                           uint64_t **batch_ns, size_t *nb);

/** Print and append one row of readers.csv: @p peer with o->readers
 *  readers, the writer's ns per publish (median batch; and in the paced
 *  stream), reader 1's latency, the losses of each reader over the paced
 *  stream. */
void bench_emit_readers(const bench_opts *o, const char *peer,
                        const bench_readers_ctl *c, uint64_t *batch_ns,
                        size_t nb, uint64_t failed);

/** Print and append the latency row of a run from its result. */
void bench_emit_rx_latency(const bench_opts *o, const char *name,
                           const bench_result *r);

/** Print and append the throughput row of a run from its result: every
 *  sample is either received or a gap (lost). Returns 0, or 3 if they do
 *  not add up to o->count. */
int bench_emit_rx_throughput(const bench_opts *o, const bench_result *r,
                             const char *peer, unsigned capacity,
                             const char *extra);

#endif /* SHMSEQ_BENCH_HARNESS_H */
