/* SPDX-License-Identifier: MIT */
/*
 * bench_latency: one-way latency from a paced writer process to a reader
 * process on another CPU. The writer stamps CLOCK_MONOTONIC into each
 * message; the reader takes now - stamp. Besides shmseq (polling reader,
 * blocking reader, spin-then-sleep reader) it runs the channels a user would pick instead (pipe,
 * UNIX socket, POSIX mq, a process-shared mutex/condvar mailbox) and the
 * physical floors (one cache line written and polled, a cache-line ping-pong
 * round trip, the cost of clock_gettime), so that ratios within one run on
 * one machine can be compared. bench/run.sh drives it; docs/benchmarks.md
 * explains the figures.
 *
 * Before the stream the writer stays idle for a moment while the reader
 * waits: the reader's CPU use over that time is reported (idle_cpu_pct),
 * which is how "0% CPU while idle" is checked for blocking readers.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "bench_util.h"

#define IDLE_NS 200000000u /* writer idle before the stream: 200 ms */
/* shmseq-spin: spin budget before sleeping, 5 periods at the default
 * 100 kHz: a stream at that pace is taken at polling latency, an idle
 * reader sleeps after 50 us. */
#define SPIN_NS 50000u

typedef struct msg {
    uint64_t seq;
    uint64_t stamp;
    double v[64];
} msg;

enum kind {
    K_SHMSEQ_POLL, K_SHMSEQ_WAIT, K_SHMSEQ_SPIN, K_PIPE, K_UDS, K_MQ, K_CONDVAR, K_LINE,
    K_PINGPONG, K_CLOCK
};

static const char *const kind_names[] = {
    "shmseq-poll", "shmseq-wait", "shmseq-spin", "pipe", "uds", "mq", "condvar",
    "line", "pingpong", "clock",
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint ready;
    bench_result r; /* counts, stamps, floor probe */
    /* condvar peer: a one-message mailbox, the usual shm + condvar design */
    pthread_mutex_t m;
    pthread_cond_t c;
    uint64_t posted;
    msg box;
    /* line peer: one cache line, seq + stamp */
    _Alignas(64) atomic_uint line_seq;
    atomic_uint line_lo, line_hi;
    /* ping-pong line */
    _Alignas(64) atomic_uint ping;
    _Alignas(64) char pad[64];
} ctl;

static enum kind kind;
static bench_opts o = {
    .count = 200000, .rate_hz = 100000, .width = 1, .capacity = 4096,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static uint64_t warm;   /* messages sent before recording starts */
static uint64_t total;  /* warm + count */
static ctl *sh;
static bench_peer peer;
static char region[64];
static uint64_t *lat;   /* the reader's samples */

/* Reader bookkeeping for message number @p seq stamped @p stamp at @p now.
 * Returns 1 when the last message arrived. */
static uint64_t nrec, idle_t0;
static double idle_c0;
static int first_seen;

static void reader_ready(void)
{
    idle_c0 = bench_cpu_ns();
    idle_t0 = bench_now();
    atomic_store(&sh->ready, 1);
}

static int record(uint64_t seq, uint64_t stamp, uint64_t now)
{
    if (!first_seen) {
        double wall = (double)(now - idle_t0);
        first_seen = 1;
        sh->r.idle_cpu_pct = wall > 0 ? 100.0 * (bench_cpu_ns() - idle_c0) / wall : 0;
    }
    sh->r.received++;
    if (seq >= warm && nrec < o.count)
        lat[nrec++] = now >= stamp ? now - stamp : 0;
    return seq + 1 >= total;
}

static void reader_finish(void)
{
    bench_dist_of(lat, (size_t)nrec, &sh->r.d);
}

static int reader_main(void *arg)
{
    msg m;
    shmseq_reader r;
    shmseq_sample meta;
    uint64_t last = 0, prev = UINT64_MAX;
    int rc;

    (void)arg;
    alarm((unsigned)(60 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));
    lat = calloc((size_t)o.count, sizeof *lat);
    if (lat == NULL)
        return 1;
    if (kind != K_PINGPONG)
        bench_probe_reader(&sh->r.probe, 0);
    switch (kind) {
    case K_SHMSEQ_POLL:
    case K_SHMSEQ_WAIT:
    case K_SHMSEQ_SPIN:
        rc = shmseq_reader_open(&r, region,
                                SHMSEQ_START_OLDEST |
                                (kind == K_SHMSEQ_POLL ? SHMSEQ_READER_POLL : 0));
        if (rc < 0) {
            fprintf(stderr, "bench_latency: reader_open: %s\n",
                    shmseq_strerror(rc));
            return 1;
        }
        if (kind == K_SHMSEQ_SPIN)
            shmseq_reader_set_spin(&r, SPIN_NS);
        reader_ready();
        for (;;) {
            if (kind == K_SHMSEQ_POLL)
                rc = shmseq_read(&r, &meta, m.v, o.width);
            else
                rc = shmseq_read_wait(&r, &meta, m.v, o.width, -1);
            if (rc == -EAGAIN || rc == -EINTR)
                continue;
            if (rc < 0) {
                fprintf(stderr, "bench_latency: read: %s\n",
                        shmseq_strerror(rc));
                return 1;
            }
            sh->r.lost += meta.lost;
            if (record(meta.seq, meta.timestamp_ns, bench_now()))
                break;
        }
        shmseq_reader_close(&r);
        break;
    case K_PIPE:
    case K_UDS:
    case K_MQ:
        bench_peer_keep_reader(&peer);
        reader_ready();
        while (bench_peer_recv(&peer, &m) == 0)
            if (record(m.seq, m.stamp, bench_now()))
                break;
        bench_peer_close(&peer);
        break;
    case K_CONDVAR:
        reader_ready();
        for (;;) {
            pthread_mutex_lock(&sh->m);
            while (sh->posted == last)
                pthread_cond_wait(&sh->c, &sh->m);
            last = sh->posted;
            memcpy(&m, &sh->box, 16 + 8 * (size_t)o.width);
            pthread_mutex_unlock(&sh->m);
            if (prev != UINT64_MAX && m.seq > prev + 1)
                sh->r.lost += m.seq - prev - 1;
            prev = m.seq;
            if (record(m.seq, m.stamp, bench_now()))
                break;
        }
        break;
    case K_LINE:
        reader_ready();
        for (;;) {
            unsigned s;
            uint64_t stamp;
            while ((s = atomic_load_explicit(&sh->line_seq,
                                             memory_order_acquire)) == last)
                ;
            stamp = atomic_load_explicit(&sh->line_lo, memory_order_relaxed) |
                    (uint64_t)atomic_load_explicit(&sh->line_hi,
                                                   memory_order_relaxed) << 32;
            if (last + 1 < s)
                sh->r.lost += s - last - 1;
            last = s;
            if (record(s - 1u, stamp, bench_now()))
                break;
        }
        break;
    case K_PINGPONG: {
        unsigned i;
        reader_ready();
        for (i = 0; i < (unsigned)total; i++) {
            while (atomic_load_explicit(&sh->ping, memory_order_acquire) !=
                   2 * i + 1)
                ;
            atomic_store_explicit(&sh->ping, 2 * i + 2, memory_order_release);
        }
        return 0;
    }
    case K_CLOCK:
        break;
    }
    bench_probe_reader(&sh->r.probe, 1);
    reader_finish();
    return 0;
}

static void send_one(uint64_t i, msg *m, shmseq_writer *w)
{
    m->seq = i;
    m->stamp = bench_now();
    switch (kind) {
    case K_SHMSEQ_POLL:
    case K_SHMSEQ_WAIT:
    case K_SHMSEQ_SPIN:
        shmseq_publish(w, m->v, m->stamp);
        break;
    case K_PIPE:
    case K_UDS:
    case K_MQ:
        bench_peer_send(&peer, m);
        break;
    case K_CONDVAR:
        pthread_mutex_lock(&sh->m);
        memcpy(&sh->box, m, 16 + 8 * (size_t)o.width);
        sh->posted++;
        pthread_cond_signal(&sh->c);
        pthread_mutex_unlock(&sh->m);
        break;
    case K_LINE:
        atomic_store_explicit(&sh->line_lo, (unsigned)m->stamp,
                              memory_order_relaxed);
        atomic_store_explicit(&sh->line_hi, (unsigned)(m->stamp >> 32),
                              memory_order_relaxed);
        atomic_store_explicit(&sh->line_seq, (unsigned)(i + 1),
                              memory_order_release);
        break;
    case K_PINGPONG:
    case K_CLOCK:
        break;
    }
}

static void emit(const char *name, const bench_dist *d, uint64_t lost,
                 double idle, uint64_t rtt0, uint64_t rtt1)
{
    bench_emit_latency(o.csv, name, (unsigned)o.width, o.run, d, lost, idle,
                       rtt0, rtt1);
}

static int run_clock(void)
{
    uint64_t *v = calloc((size_t)o.count + 1, sizeof *v);
    uint64_t i;
    bench_dist d;

    if (v == NULL)
        return 1;
    bench_pin(o.wcpu);
    for (i = 0; i <= o.count; i++)
        v[i] = bench_now();
    for (i = 0; i < o.count; i++)
        v[i] = v[i + 1] - v[i];
    bench_dist_of(v, (size_t)o.count, &d);
    emit("clock_gettime", &d, 0, -1, 0, 0);
    free(v);
    return 0;
}

static int run_pingpong(void)
{
    uint64_t *rtt = calloc((size_t)o.count, sizeof *rtt);
    uint64_t i;
    bench_dist d;
    pid_t pid;
    int rc;

    if (rtt == NULL)
        return 1;
    pid = bench_fork(o.rcpu, reader_main, NULL);
    while (!atomic_load(&sh->ready))
        ;
    for (i = 0; i < total; i++) {
        unsigned v = (unsigned)(2 * i + 1);
        uint64_t t0 = bench_now();
        atomic_store_explicit(&sh->ping, v, memory_order_release);
        while (atomic_load_explicit(&sh->ping, memory_order_acquire) != v + 1)
            ;
        if (i >= warm)
            rtt[i - warm] = bench_now() - t0;
    }
    rc = bench_wait(pid);
    bench_dist_of(rtt, (size_t)o.count, &d);
    emit("line-rtt", &d, 0, -1, 0, 0);
    for (i = 0; i < o.count; i++)
        rtt[i] /= 2;
    bench_dist_of(rtt, (size_t)o.count, &d);
    emit("line-half-rtt", &d, 0, -1, 0, 0);
    free(rtt);
    return rc;
}

int main(int argc, char **argv)
{
    shmseq_writer w;
    msg m;
    pid_t pid;
    uint64_t i;
    bench_pacer pace;
    int rc, k = -1;
    size_t j;

    bench_parse(argc, argv, &o,
                "Usage: bench_latency PEER [OPTION]...\n"
                "One-way latency, writer and reader in two processes.\n"
                "PEER: shmseq-poll shmseq-wait shmseq-spin pipe uds mq condvar line "
                "pingpong clock");
    if (optind < argc)
        for (j = 0; j < sizeof kind_names / sizeof kind_names[0]; j++)
            if (strcmp(argv[optind], kind_names[j]) == 0)
                k = (int)j;
    if (k < 0 || optind + 1 != argc) {
        fprintf(stderr, "bench_latency: want one PEER (see --help)\n");
        return 2;
    }
    kind = (enum kind)k;
    warm = o.count / 10 < 10000 ? o.count / 10 : 10000;
    total = warm + o.count;
    memset(&m, 0, sizeof m);
    for (j = 0; j < o.width; j++)
        m.v[j] = (double)j;

    sh = bench_shared(sizeof *sh);
    if (kind == K_CLOCK)
        return run_clock();
    bench_pin(o.wcpu);
    alarm((unsigned)(60 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));
    if (kind == K_PINGPONG)
        return run_pingpong();

    switch (kind) {
    case K_SHMSEQ_POLL:
    case K_SHMSEQ_WAIT:
    case K_SHMSEQ_SPIN: {
        shmseq_config cfg = {.width = o.width, .capacity = o.capacity,
                             .flags = SHMSEQ_WRITER_RECREATE};
        snprintf(region, sizeof region, "bench-lat-%ld", (long)getpid());
        rc = shmseq_writer_open(&w, region, &cfg);
        if (rc < 0) {
            fprintf(stderr, "bench_latency: writer_open: %s\n",
                    shmseq_strerror(rc));
            return 1;
        }
        break;
    }
    case K_PIPE:
    case K_UDS:
    case K_MQ:
        bench_peer_open(&peer, (enum bench_peer_kind)(kind - K_PIPE),
                        16 + 8 * (size_t)o.width, 0);
        break;
    case K_CONDVAR: {
        pthread_mutexattr_t ma;
        pthread_condattr_t ca;
        pthread_mutexattr_init(&ma);
        pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
        pthread_mutex_init(&sh->m, &ma);
        pthread_condattr_init(&ca);
        pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
        pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        pthread_cond_init(&sh->c, &ca);
        break;
    }
    default:
        break;
    }

    pid = bench_fork(o.rcpu, reader_main, NULL);
    if (kind == K_PIPE || kind == K_UDS || kind == K_MQ)
        bench_peer_keep_writer(&peer);
    sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);
    while (!atomic_load(&sh->ready))
        ;
    bench_spin_until(bench_now() + IDLE_NS / 1000); /* let it settle */
    {
        struct timespec idle = {0, IDLE_NS};
        nanosleep(&idle, NULL);
    }

    bench_pacer_start(&pace, o.rate_hz);
    for (i = 0; i < total; i++) {
        bench_pacer_wait(&pace);
        send_one(i, &m, &w);
    }

    if (kind == K_PIPE || kind == K_UDS || kind == K_MQ)
        bench_peer_close(&peer);
    sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
    rc = bench_wait(pid);
    if (kind == K_SHMSEQ_POLL || kind == K_SHMSEQ_WAIT ||
        kind == K_SHMSEQ_SPIN) {
        shmseq_writer_close(&w);
        shmseq_unlink(region);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_latency: %s: the reader failed\n",
                kind_names[kind]);
        return 1;
    }
    emit(kind_names[kind], &sh->r.d, sh->r.lost, sh->r.idle_cpu_pct, sh->r.rtt_before,
         sh->r.rtt_after);
    return 0;
}
