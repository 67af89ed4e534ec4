/* SPDX-License-Identifier: MIT */
/*
 * bench_publish: what one publish costs the writer, in ns per operation,
 * timed over batches of BATCH publishes (the median batch is reported).
 *
 *   store           baseline: plain stores of the same bytes (sample
 *                   number, timestamp, width float64) into slots of the
 *                   same size, in the same kind of memory
 *   shmseq-none     shmseq_publish with no reader
 *   shmseq-nowake   ... by a writer opened with SHMSEQ_WRITER_NO_WAKE (no
 *                   wake handshake, so no full fence), no reader
 *   shmseq-poll     ... with one reader polling on the other CPU
 *   shmseq-stopped  ... with one blocking reader stopped by SIGSTOP (while
 *                   asleep, its "waiting" flag raised: the worst case)
 *   pipe, uds, mq   a non-blocking writer: first with no reader, until the
 *                   channel is full ("blocks after N"), then with a reader
 *                   draining it (EAGAIN retries counted)
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "bench_util.h"

#define BATCH 1000u

typedef struct ctl {
    atomic_uint ready;
    atomic_uint stop;
} ctl;

static bench_opts o = {
    .count = 2000000, .rate_hz = 0, .width = 1, .capacity = 4096,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static char region[64];
static bench_peer peer;

static void emit(const char *mode, uint64_t *batch_ns, size_t nb,
                 long long blocked_after, uint64_t eagain)
{
    bench_emit_publish(&o, mode, batch_ns, nb, BATCH, blocked_after, eagain,
                       NULL);
}

static int poll_reader(void *arg)
{
    shmseq_reader r;
    double v[64];
    int rc;

    (void)arg;
    rc = shmseq_reader_open(&r, region, SHMSEQ_READER_POLL);
    if (rc < 0)
        return 1;
    atomic_store(&sh->ready, 1);
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed))
        (void)shmseq_read(&r, NULL, v, 64);
    shmseq_reader_close(&r);
    return 0;
}

static int sleeping_reader(void *arg)
{
    shmseq_reader r;
    double v[64];
    int rc;

    (void)arg;
    rc = shmseq_reader_open(&r, region, 0);
    if (rc < 0)
        return 1;
    atomic_store(&sh->ready, 1);
    for (;;)
        (void)shmseq_read_wait(&r, NULL, v, 64, -1);
}

static int drain_reader(void *arg)
{
    uint64_t m[2 + 64];

    (void)arg;
    bench_peer_keep_reader(&peer);
    atomic_store(&sh->ready, 1);
    while (bench_peer_recv(&peer, m) == 0)
        if (m[0] == UINT64_MAX)
            break;
    return 0;
}

static void wait_ready(void)
{
    while (!atomic_load(&sh->ready))
        ;
}

static int run_shmseq(const char *mode)
{
    shmseq_writer w;
    shmseq_config cfg = {.width = o.width, .capacity = o.capacity,
                         .flags = SHMSEQ_WRITER_RECREATE};
    if (strcmp(mode, "shmseq-nowake") == 0)
        cfg.flags |= SHMSEQ_WRITER_NO_WAKE;
    double v[64];
    size_t nb = (size_t)(o.count / BATCH), b;
    uint64_t *t = calloc(nb ? nb : 1, sizeof *t), i = 0;
    pid_t pid = 0;
    int rc;

    if (t == NULL || nb == 0)
        return 1;
    for (b = 0; b < 64; b++)
        v[b] = (double)b * 0.5;
    snprintf(region, sizeof region, "bench-pub-%ld", (long)getpid());
    rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        fprintf(stderr, "bench_publish: writer_open: %s\n",
                shmseq_strerror(rc));
        return 1;
    }
    if (strcmp(mode, "shmseq-poll") == 0) {
        pid = bench_fork(o.rcpu, poll_reader, NULL);
        wait_ready();
    } else if (strcmp(mode, "shmseq-stopped") == 0) {
        struct timespec ts = {0, 20000000};
        pid = bench_fork(o.rcpu, sleeping_reader, NULL);
        wait_ready();
        nanosleep(&ts, NULL); /* let it fall asleep on the futex */
        kill(pid, SIGSTOP);
    }
    for (b = 0; b < nb; b++) {
        uint64_t t0 = bench_now(), k;
        for (k = 0; k < BATCH; k++, i++)
            shmseq_publish(&w, v, i);
        t[b] = bench_now() - t0;
    }
    rc = 0;
    if (pid > 0) {
        atomic_store(&sh->stop, 1);
        if (strcmp(mode, "shmseq-stopped") == 0) {
            kill(pid, SIGKILL);
            bench_wait(pid);
        } else {
            rc = bench_wait(pid);
        }
    }
    shmseq_writer_close(&w);
    shmseq_unlink(region);
    emit(mode, t, nb, -1, 0);
    free(t);
    return rc;
}

static int run_store(void)
{
    uint32_t slot = shmseq_slot_size(o.width), mask = o.capacity - 1;
    unsigned char *mem = bench_shared((size_t)slot * o.capacity);
    size_t nb = (size_t)(o.count / BATCH), b;
    uint64_t *t = calloc(nb ? nb : 1, sizeof *t), i = 0;
    uint64_t m[2 + 64];

    if (t == NULL || nb == 0)
        return 1;
    for (b = 0; b < 64; b++) {
        double d = (double)b * 0.5;
        memcpy(&m[2 + b], &d, sizeof d);
    }
    for (b = 0; b < nb; b++) {
        uint64_t t0 = bench_now(), k;
        for (k = 0; k < BATCH; k++, i++) {
            m[0] = i;
            m[1] = i;
            memcpy(mem + (size_t)slot * (i & mask), m, 16 + 8 * (size_t)o.width);
        }
        t[b] = bench_now() - t0;
    }
    emit("store", t, nb, -1, 0);
    free(t);
    return 0;
}

static int run_peer(enum bench_peer_kind k)
{
    uint64_t m[2 + 64];
    size_t nb = (size_t)(o.count / BATCH), b;
    uint64_t *t = calloc(nb ? nb : 1, sizeof *t), i = 0, eagain = 0;
    long long filled = 0;
    pid_t pid;

    if (t == NULL || nb == 0)
        return 1;
    memset(m, 0, sizeof m);
    bench_peer_open(&peer, k, 16 + 8 * (size_t)o.width, 1);
    /* No reader consuming yet: how many messages until the writer would
     * block (a blocking writer would hang here for ever). */
    while (bench_peer_send(&peer, m) == 0)
        filled++;
    pid = bench_fork(o.rcpu, drain_reader, NULL);
    bench_peer_keep_writer(&peer);
    wait_ready();
    for (b = 0; b < nb; b++) {
        uint64_t t0 = bench_now(), n;
        for (n = 0; n < BATCH; n++, i++) {
            m[0] = i;
            m[1] = i;
            while (bench_peer_send(&peer, m) == -EAGAIN)
                eagain++;
        }
        t[b] = bench_now() - t0;
    }
    m[0] = UINT64_MAX;
    while (bench_peer_send(&peer, m) == -EAGAIN)
        ;
    bench_peer_close(&peer);
    bench_wait(pid);
    emit(bench_peer_name(k), t, nb, filled, eagain);
    free(t);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode;
    int k;

    bench_parse(argc, argv, &o,
                "Usage: bench_publish MODE [OPTION]...\n"
                "Writer cost per publish (ns/op).\n"
                "MODE: store shmseq-none shmseq-nowake shmseq-poll shmseq-stopped pipe\n"
                "      uds mq");
    if (optind + 1 != argc) {
        fprintf(stderr, "bench_publish: want one MODE (see --help)\n");
        return 2;
    }
    mode = argv[optind];
    if (o.count < BATCH)
        o.count = BATCH;
    sh = bench_shared(sizeof *sh);
    bench_pin(o.wcpu);
    alarm(120);
    if (strcmp(mode, "store") == 0)
        return run_store();
    if (strncmp(mode, "shmseq-", 7) == 0 &&
        (strcmp(mode + 7, "none") == 0 || strcmp(mode + 7, "nowake") == 0 ||
         strcmp(mode + 7, "poll") == 0 || strcmp(mode + 7, "stopped") == 0))
        return run_shmseq(mode);
    k = bench_peer_kind_of(mode);
    if (k >= 0)
        return run_peer((enum bench_peer_kind)k);
    fprintf(stderr, "bench_publish: unknown MODE '%s'\n", mode);
    return 2;
}
