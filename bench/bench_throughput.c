/* SPDX-License-Identifier: MIT */
/*
 * bench_throughput: the writer publishes --count samples of --width values
 * as fast as it can (or paced at --rate), one reader process on the other
 * CPU consumes everything it can. Reports samples delivered per second
 * (received / time from the first publish to the last sample read), the
 * samples lost, and whether received + lost adds up to what was published
 * (shmseq's exact loss accounting). The pipe, UNIX socket and POSIX mq
 * peers block the writer instead of losing anything.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "bench_util.h"

typedef struct ctl {
    atomic_uint ready;
    bench_result r; /* counts, stamps, floor probe */
    uint64_t first, next; /* the reader's stats: what it attached at, passed */
    /* paced runs: the longest the polling reader went between two looks at
     * the ring (preempted, interrupted): a stall longer than the ring's
     * capacity / rate must lose samples, whatever the library does */
    uint64_t max_stall_ns;
    _Alignas(64) char pad[64];
} ctl;

static bench_opts o = {
    .count = 20000000, .rate_hz = 0, .width = 1, .capacity = 4096,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static char region[64];
static bench_peer peer;
static int is_shmseq;

static int reader_main(void *arg)
{
    double v[64];
    uint64_t m[2 + 64];
    (void)arg;

    alarm(120);
    bench_probe_reader(&sh->r.probe, 0);
    if (is_shmseq) {
        shmseq_reader r;
        shmseq_sample meta;
        shmseq_reader_stats st;
        int rc = shmseq_reader_open(&r, region,
                                    SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL);
        if (rc < 0) {
            fprintf(stderr, "bench_throughput: reader_open: %s\n",
                    shmseq_strerror(rc));
            return 1;
        }
        atomic_store(&sh->ready, 1);
        /* A clock read per look costs ~20 ns: only when paced (200 ns per
         * sample at 5 M/s), never flat out (~10 ns per sample). */
        uint64_t prev = o.rate_hz ? bench_now() : 0, now;
        for (;;) {
            rc = shmseq_read(&r, &meta, v, 64);
            if (o.rate_hz) {
                now = bench_now();
                if (now - prev > sh->max_stall_ns)
                    sh->max_stall_ns = now - prev;
                prev = now;
            }
            if (rc == -EAGAIN)
                continue;
            if (rc < 0)
                return 1;
            if (meta.seq + 1 >= o.count)
                break;
        }
        sh->r.t_reader_end = bench_now();
        shmseq_reader_get_stats(&r, &st);
        sh->r.received = st.received;
        sh->r.lost = st.lost;
        sh->first = st.first;
        sh->next = st.next;
        shmseq_reader_close(&r);
    } else {
        bench_peer_keep_reader(&peer);
        atomic_store(&sh->ready, 1);
        while (bench_peer_recv(&peer, m) == 0) {
            sh->r.received++;
            if (m[0] + 1 >= o.count)
                break;
        }
        sh->r.t_reader_end = bench_now();
        sh->next = sh->r.received;
        bench_peer_close(&peer);
    }
    bench_probe_reader(&sh->r.probe, 1);
    return 0;
}

int main(int argc, char **argv)
{
    shmseq_writer w;
    double v[64];
    uint64_t m[2 + 64], i;
    bench_pacer pace;
    const char *name;
    int k = -1, rc;
    pid_t pid;
    int accounted;

    bench_parse(argc, argv, &o,
                "Usage: bench_throughput PEER [OPTION]...\n"
                "Samples per second delivered to one reader.\n"
                "PEER: shmseq pipe uds mq");
    if (optind + 1 != argc) {
        fprintf(stderr, "bench_throughput: want one PEER (see --help)\n");
        return 2;
    }
    name = argv[optind];
    is_shmseq = strcmp(name, "shmseq") == 0;
    if (!is_shmseq && (k = bench_peer_kind_of(name)) < 0) {
        fprintf(stderr, "bench_throughput: unknown PEER '%s'\n", name);
        return 2;
    }
    sh = bench_shared(sizeof *sh);
    memset(m, 0, sizeof m);
    for (i = 0; i < 64; i++)
        v[i] = (double)i;
    bench_pin(o.wcpu);
    alarm(120);

    if (is_shmseq) {
        shmseq_config cfg = {.width = o.width, .capacity = o.capacity,
                             .flags = SHMSEQ_WRITER_RECREATE};
        snprintf(region, sizeof region, "bench-thr-%ld", (long)getpid());
        rc = shmseq_writer_open(&w, region, &cfg);
        if (rc < 0) {
            fprintf(stderr, "bench_throughput: writer_open: %s\n",
                    shmseq_strerror(rc));
            return 1;
        }
    } else {
        bench_peer_open(&peer, (enum bench_peer_kind)k,
                        16 + 8 * (size_t)o.width, 0);
    }
    pid = bench_fork(o.rcpu, reader_main, NULL);
    if (!is_shmseq)
        bench_peer_keep_writer(&peer);
    sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);
    while (!atomic_load(&sh->ready))
        ;

    bench_pacer_start(&pace, o.rate_hz);
    sh->r.t_start = pace.next;
    for (i = 0; i < o.count; i++) {
        bench_pacer_wait(&pace);
        if (is_shmseq) {
            shmseq_publish(&w, v, i);
        } else {
            m[0] = i;
            m[1] = i;
            bench_peer_send(&peer, m);
        }
    }
    sh->r.t_writer_end = bench_now();
    if (!is_shmseq)
        bench_peer_close(&peer);
    sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
    rc = bench_wait(pid);
    if (is_shmseq) {
        shmseq_writer_close(&w);
        shmseq_unlink(region);
    }
    if (rc != 0) {
        fprintf(stderr, "bench_throughput: %s: the reader failed\n", name);
        return 1;
    }
    bench_thr t = {
        .peer = name, .capacity = (unsigned)o.capacity,
        .received = sh->r.received, .lost = sh->r.lost, .t_start = sh->r.t_start,
        .t_writer_end = sh->r.t_writer_end, .t_reader_end = sh->r.t_reader_end,
        .accounted = sh->r.received + sh->r.lost == sh->next - sh->first &&
                     sh->next == o.count,
        .rtt_before = sh->r.rtt_before, .rtt_after = sh->r.rtt_after,
        .stall_known = is_shmseq && o.rate_hz != 0,
        .max_stall_ns = sh->max_stall_ns,
        .region_bytes = is_shmseq ? shmseq_region_size(o.width, o.capacity) : 0,
    };
    bench_emit_throughput(&o, &t);
    accounted = t.accounted;
    return accounted ? 0 : 3;
}
