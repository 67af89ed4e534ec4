/* SPDX-License-Identifier: MIT */
/*
 * The peer programs' shared harness (bench_harness.h): setup, the
 * reader's accounting and the result rows, written once.
 */
#define _GNU_SOURCE

#include "bench_harness.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void bench_begin(int argc, char **argv, bench_opts *o, const bench_tests *t,
                 bench_plan *p, bench_msg *m)
{
    uint32_t j;

    memset(p, 0, sizeof *p);
    p->test = bench_parse_test(argc, argv, o, t->names, t->defaults, t->n,
                               t->prog, t->usage);
    p->latency = (t->latency >> p->test) & 1u;
    if (((t->batched >> p->test) & 1u) && o->count < BENCH_BATCH)
        o->count = BENCH_BATCH;
    p->msg_size = 16 + 8 * (size_t)o->width;
    p->warm = p->latency ? (o->count / 10 < 10000 ? o->count / 10 : 10000) : 0;
    p->total = p->warm + o->count;
    memset(m, 0, sizeof *m);
    for (j = 0; j < o->width; j++)
        m->v[j] = (double)j * 0.5;
}

void bench_alarm(unsigned base, uint64_t total, uint64_t rate_hz)
{
    alarm((unsigned)(base + 4 * total / (rate_hz ? rate_hz : 100000)));
}

int bench_rx_start(bench_rx *rx, bench_result *r, uint64_t want,
                   uint64_t warm)
{
    memset(rx, 0, sizeof *rx);
    rx->r = r;
    rx->want = want;
    rx->warm = warm;
    rx->prev = UINT64_MAX;
    rx->first = 1;
    if (want > 0 && (rx->lat = calloc((size_t)want, sizeof *rx->lat)) == NULL)
        return -1;
    bench_rx_idle(rx);
    return 0;
}

void bench_rx_idle(bench_rx *rx)
{
    rx->idle_c0 = bench_cpu_ns();
    rx->idle_t0 = bench_now();
}

void bench_rx_take(bench_rx *rx, uint64_t seq, uint64_t stamp, uint64_t now)
{
    bench_result *r = rx->r;

    if (rx->first) {
        double wall = (double)(now - rx->idle_t0);
        rx->first = 0;
        r->idle_cpu_pct =
            wall > 0 ? 100.0 * (bench_cpu_ns() - rx->idle_c0) / wall : 0;
    }
    if (rx->prev != UINT64_MAX && seq > rx->prev + 1)
        r->lost += seq - rx->prev - 1;
    else if (rx->prev == UINT64_MAX && seq > 0)
        r->lost += seq; /* lost before the first one seen */
    rx->prev = seq;
    r->received++;
    if (rx->lat != NULL && seq >= rx->warm && rx->nrec < rx->want)
        rx->lat[rx->nrec++] = now >= stamp ? now - stamp : 0;
}

void bench_rx_end(bench_rx *rx)
{
    rx->r->t_reader_end = bench_now();
    if (rx->lat != NULL)
        bench_dist_of(rx->lat, (size_t)rx->nrec, &rx->r->d);
    free(rx->lat);
    rx->lat = NULL;
}

int bench_rx_take_paced(bench_rx *rx, uint64_t seq, uint64_t stamp,
                        uint64_t now, uint64_t total)
{
    if (rx->ended)
        return 1;
    if (seq < total) {
        bench_rx_take(rx, seq, stamp, now);
        if (seq + 1 < total)
            return 0;
    } else {
        /* the stream's tail it never saw */
        rx->r->lost += rx->prev == UINT64_MAX ? total : total - 1 - rx->prev;
    }
    rx->ended = 1;
    bench_rx_end(rx);
    return 1;
}

/* The paced stream's send: the inner send, timed from the stamp the
 * stream took just before it. */
typedef struct paced_ctx {
    bench_send_fn send;
    void *ctx;
    uint64_t *ns, n, warm;
} paced_ctx;

static int send_timed(void *ctx, const bench_msg *m)
{
    paced_ctx *pc = ctx;
    int rc = pc->send(pc->ctx, m);
    uint64_t now = bench_now();

    if (m->seq >= pc->warm)
        pc->ns[pc->n++] = now - m->stamp;
    return rc;
}

uint64_t bench_readers_run(const bench_opts *o, const bench_plan *p,
                           bench_readers_ctl *c, bench_msg *m,
                           bench_send_fn send, void *ctx,
                           uint64_t **batch_ns, size_t *nb)
{
    uint64_t t_end, failed;
    struct timespec ms = {0, 1000000};
    paced_ctx pc = {.send = send, .ctx = ctx, .warm = p->warm};
    int rc;

    *nb = (size_t)(o->count * BENCH_READERS_PUB / BENCH_BATCH);
    if (*nb == 0)
        *nb = 1;
    *batch_ns = calloc(*nb, sizeof **batch_ns);
    if (*batch_ns == NULL)
        return UINT64_MAX;
    pc.ns = calloc((size_t)p->total, sizeof *pc.ns);
    if (pc.ns == NULL)
        return UINT64_MAX;
    c->r[0].t_start = bench_now();
    rc = bench_stream(o, m, p->total, 1, send_timed, &pc);
    c->r[0].t_writer_end = bench_now();
    bench_dist_of(pc.ns, (size_t)pc.n, &c->paced);
    free(pc.ns);
    if (rc != 0)
        return UINT64_MAX;
    /* The batches number on from the stream, so the first one a reader
     * sees ends its stream; until then it may still be catching up. */
    t_end = bench_now() + 2000000000u;
    while (atomic_load(&c->ended) < o->readers && bench_now() < t_end) {
        m->seq = p->total;
        m->stamp = 0;
        (void)send(ctx, m);
        nanosleep(&ms, NULL);
    }
    failed = bench_batches(*batch_ns, *nb, m, p->total + 1, send, ctx);
    atomic_store(&c->stop, 1);
    return failed;
}

void bench_emit_readers(const bench_opts *o, const char *peer,
                        const bench_readers_ctl *c, uint64_t *batch_ns,
                        size_t nb, uint64_t failed)
{
    uint64_t lmin = UINT64_MAX, lmax = 0, ltot = 0;
    bench_dist d;
    unsigned i;

    for (i = 0; i < o->readers; i++) {
        uint64_t l = c->r[i].lost;
        lmin = l < lmin ? l : lmin;
        lmax = l > lmax ? l : lmax;
        ltot += l;
    }
    bench_dist_of(batch_ns, nb, &d);
    printf("%-15s readers %2u  width %2u  publish ns/op p50 %8.2f  min %7.2f"
           "  mean %8.2f  paced p50 %6" PRIu64 " p99 %7" PRIu64
           "  reader-1 latency p50 %8" PRIu64 "  p99 %9" PRIu64
           " ns  lost per reader min %" PRIu64 " max %" PRIu64
           "  send failures %" PRIu64 "\n",
           peer, (unsigned)o->readers, (unsigned)o->width,
           (double)d.p50 / BENCH_BATCH, (double)d.min / BENCH_BATCH,
           d.mean / BENCH_BATCH, c->paced.p50, c->paced.p99, c->r[0].d.p50,
           c->r[0].d.p99, lmin, lmax, failed);
    bench_csv(o->csv,
              "peer,readers,width,run,n,pub_ns_p50,pub_ns_mean,lat1_p50_ns,"
              "lat1_p99_ns,lost_min,lost_max,lost_total,send_failed,"
              "pub_ns_min,paced_ns_p50,paced_ns_p99",
              "%s,%u,%u,%d,%" PRIu64 ",%.3f,%.3f,%" PRIu64 ",%" PRIu64
              ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.3f,%" PRIu64
              ",%" PRIu64,
              peer, (unsigned)o->readers, (unsigned)o->width, o->run,
              c->r[0].d.n, (double)d.p50 / BENCH_BATCH,
              d.mean / BENCH_BATCH, c->r[0].d.p50, c->r[0].d.p99, lmin, lmax,
              ltot, failed, (double)d.min / BENCH_BATCH, c->paced.p50,
              c->paced.p99);
}

void bench_emit_rx_latency(const bench_opts *o, const char *name,
                           const bench_result *r)
{
    bench_emit_latency(o->csv, name, (unsigned)o->width, o->run, &r->d,
                       r->lost, r->idle_cpu_pct, r->rtt_before, r->rtt_after);
}

int bench_emit_rx_throughput(const bench_opts *o, const bench_result *r,
                             const char *peer, unsigned capacity,
                             const char *extra)
{
    bench_thr t = {
        .peer = peer, .capacity = capacity, .received = r->received,
        .lost = r->lost, .t_start = r->t_start,
        .t_writer_end = r->t_writer_end, .t_reader_end = r->t_reader_end,
        .accounted = r->received + r->lost == o->count,
        .rtt_before = r->rtt_before, .rtt_after = r->rtt_after,
        .extra = extra,
    };
    bench_emit_throughput(o, &t);
    return t.accounted ? 0 : 3;
}
