/* SPDX-License-Identifier: MIT */
/*
 * Threaded invariant torture for ThreadSanitizer: one writer thread and
 * seven reader threads (polling read, read_latest, batches of
 * shmseq_ring_read_many(), and four blocking readers that sleep on the
 * futex word through shmseq_ring_sleep() and the port wait) on ONE ring
 * in an aligned static buffer, through the core API. The writer pauses
 * briefly every PAUSE_EVERY samples so the blocking readers catch up and
 * fall asleep together, again and again: several sleepers share one
 * "waiting" flag, the case of protocol.md "Two sleeping readers". A
 * sleeper whose wait runs out its timeout (STRAND_NS) while the head moved
 * past what it saw was stranded: a lost wake-up, a failure. All threads
 * touch the same addresses, so TSan sees every shared access; the ring
 * must be data-race-free by construction (all shared words are atomics),
 * and any report fails the run (the build sets -fno-sanitize-recover). The samples carry words
 * derived from their number, so a torn copy fails as in torture_mp.
 *
 * usage: torture_threads [--samples N]   (N: default 2x10^6; times SHMSEQ_TEST_SCALE)
 */
#define _GNU_SOURCE

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "shmseq/port.h"
#include <shmseq/ring.h>

#include "shmseq_torture.h"

#define WIDTH 5u
#define CAPACITY 64u
#define NWAIT 4
#define NREADERS (3 + NWAIT)
#define BATCH_MAX 13u
#define PAUSE_EVERY 1024u
#define PAUSE_NS 50000
/* A publish wakes a sleeper within microseconds; seconds mean stranded. */
#define STRAND_NS 2000000000ll

static _Alignas(64) unsigned char mem[SHMSEQ_HEADER_SIZE + CAPACITY * 128u];
static atomic_int done;
static uint64_t samples;
static uint64_t final_head; /* written before done (release) */

enum kind { K_POLL, K_LATEST, K_MANY, K_WAIT }; /* NWAIT of K_WAIT */
static const char *const kind_name[] = {"poll", "latest", "many", "wait"};

struct reader {
    shmseq_ring_reader r;
    enum kind kind;
    uint64_t received, lost, bad, sleeps, stranded;
    char msg[120];
};

static void wake(void *ctx, void *word)
{
    (void)ctx;
    shmseq_port_wake(word);
}

static int sleep_fn(void *ctx, void *word, uint32_t value, int64_t timeout_ns)
{
    struct reader *rd = ctx;
    rd->sleeps++;
    return shmseq_port_wait(word, value, timeout_ns);
}

static void *writer_main(void *arg)
{
    shmseq_ring_writer *w = arg;
    double v[WIDTH];
    for (uint64_t k = 0; k < samples; k++) {
        shmseq_test_fill(v, WIDTH, k);
        shmseq_ring_publish(w, v, shmseq_test_ts(k));
        if (k % PAUSE_EVERY == PAUSE_EVERY - 1u) {
            struct timespec ts = {0, PAUSE_NS};
            nanosleep(&ts, NULL);
        }
    }
    final_head = shmseq_ring_writer_next(w);
    atomic_store_explicit(&done, 1, memory_order_release);
    /* A sleeper that missed the end still wakes within its timeout. */
    return NULL;
}

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    shmseq_reader_stats st;
    shmseq_ring_reader_stats(&rd->r, &st);
    uint64_t expect = st.first;
    double vs[BATCH_MAX][WIDTH];
    shmseq_sample ms[BATCH_MAX];
    uint32_t batch = 0;
    bool finishing = false;
    for (;;) {
        int rc, got = 1;
        batch = batch % BATCH_MAX + 1u;
        if (rd->kind == K_LATEST)
            rc = shmseq_ring_read_latest(&rd->r, &ms[0], vs[0], WIDTH);
        else if (rd->kind == K_MANY)
            rc = got = shmseq_ring_read_many(&rd->r, ms, &vs[0][0], WIDTH, batch);
        else
            rc = shmseq_ring_read(&rd->r, &ms[0], vs[0], WIDTH);
        for (int i = 0; rc >= 0 && i < got; i++) {
            const shmseq_sample *m = &ms[i];
            rd->received++;
            rd->lost += m->lost;
            if (shmseq_test_check(vs[i], WIDTH, m->seq, m->timestamp_ns) != 0 ||
                m->seq != expect + m->lost || (uint32_t)got > batch) {
                if (rd->bad++ == 0)
                    snprintf(rd->msg, sizeof rd->msg,
                             "bad sample #%llu (expected #%llu + lost %llu)",
                             (unsigned long long)m->seq,
                             (unsigned long long)expect,
                             (unsigned long long)m->lost);
            }
            expect = m->seq + 1u;
        }
        if (rc >= 0)
            continue;
        if (finishing)
            break;
        if (atomic_load_explicit(&done, memory_order_acquire)) {
            finishing = true;
            continue;
        }
        if (rd->kind == K_WAIT) {
            uint64_t seen = shmseq_ring_reader_head(&rd->r);
            if (shmseq_ring_sleep(&rd->r, STRAND_NS) == -ETIMEDOUT &&
                shmseq_ring_reader_head(&rd->r) != seen &&
                rd->stranded++ == 0 && rd->bad++ == 0)
                snprintf(rd->msg, sizeof rd->msg,
                         "stranded asleep: head moved past #%llu, no wake-up",
                         (unsigned long long)seen);
        } else {
            shmseq_port_yield();
        }
    }
    shmseq_ring_reader_stats(&rd->r, &st);
    if (st.received + st.lost != final_head - st.first || st.next != final_head ||
        st.lost != rd->lost) {
        if (rd->bad++ == 0)
            snprintf(rd->msg, sizeof rd->msg,
                     "received + lost = %llu, published since attach %llu",
                     (unsigned long long)(st.received + st.lost),
                     (unsigned long long)(final_head - st.first));
    }
    return NULL;
}

int main(int argc, char **argv)
{
    samples = torture_samples(argc, argv, 2000000u);
    setvbuf(stdout, NULL, _IOLBF, 0);
    size_t size = shmseq_region_size(WIDTH, CAPACITY);
    if (size == 0 || size > sizeof mem ||
        shmseq_ring_format(mem, sizeof mem, WIDTH, CAPACITY, 0, 0) != 0) {
        printf("torture_threads: format failed\n");
        return 1;
    }
    shmseq_ring_writer w;
    if (shmseq_ring_writer_attach(&w, mem, sizeof mem) != 0) {
        printf("torture_threads: writer attach failed\n");
        return 1;
    }
    w.wake = wake;
    w.wake_ctx = NULL;

    static struct reader rd[NREADERS];
    for (int i = 0; i < NREADERS; i++) {
        rd[i].kind = i < K_WAIT ? (enum kind)i : K_WAIT;
        unsigned flags = i == K_POLL || i == K_MANY ? SHMSEQ_START_OLDEST
                                                    : SHMSEQ_START_LATEST;
        if (shmseq_ring_reader_attach(&rd[i].r, mem, sizeof mem, flags) != 0) {
            printf("torture_threads: reader attach failed\n");
            return 1;
        }
        if (rd[i].kind == K_WAIT)
            shmseq_ring_reader_set_sleep(&rd[i].r, mem + SHMSEQ_CTL_OFFSET,
                                         sleep_fn, &rd[i]);
    }

    pthread_t rt[NREADERS], wt;
    for (int i = 0; i < NREADERS; i++)
        if (pthread_create(&rt[i], NULL, reader_main, &rd[i]) != 0)
            return 2;
    if (pthread_create(&wt, NULL, writer_main, &w) != 0)
        return 2;
    pthread_join(wt, NULL);
    for (int i = 0; i < NREADERS; i++)
        pthread_join(rt[i], NULL);

    int failed = 0;
    for (int i = 0; i < NREADERS; i++) {
        failed |= rd[i].bad != 0 || rd[i].received == 0;
        printf("reader %d (%s): received %llu lost %llu sleeps %llu stranded %llu: %s%s%s\n",
               i, kind_name[rd[i].kind], (unsigned long long)rd[i].received,
               (unsigned long long)rd[i].lost, (unsigned long long)rd[i].sleeps,
               (unsigned long long)rd[i].stranded,
               rd[i].bad || rd[i].received == 0 ? "FAILED" : "ok",
               rd[i].msg[0] ? " - " : "", rd[i].msg);
    }
    printf("torture_threads: %d reader threads, %llu published: %d passed, %d failed\n",
           NREADERS, (unsigned long long)samples, failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
