/* SPDX-License-Identifier: MIT */
/*
 * Multi-process invariant torture (invariants 3, 4 and 5), in the manner of
 * ck's regressions/ck_sequence/validate: one writer process publishes N
 * samples whose every word derives from the sample number into a small
 * ring (so it laps the readers constantly), while reader processes of three
 * kinds consume at once:
 *
 *   poll    shmseq_read() in a busy loop, from the oldest sample
 *   wait    shmseq_read_wait() (sleeps on the futex word when caught up)
 *   latest  shmseq_read_latest() in a busy loop
 *   many    shmseq_read_many() in a busy loop, batches of 1..BATCH_MAX
 *   mwait   shmseq_read_many_wait() (sleeps when caught up), likewise
 *
 * Every sample a reader gets is checked word for word against its number
 * (a torn sample fails), sample numbers must follow exactly as
 * previous + 1 + meta.lost, and at the end received + lost must equal the
 * samples published since the reader attached (for the batch readers too:
 * each sample of a batch is checked as a single read would be). Readers stop when the
 * writer says it is done (a flag in a separate shared mapping) and they
 * have drained the ring. Exit status 0 only if every check held.
 *
 * usage: torture_mp [--samples N]   (N: default 10^7; times SHMSEQ_TEST_SCALE)
 */
#define _GNU_SOURCE

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq_torture.h"

#define WIDTH 6u
#define CAPACITY 256u
#define READERS_PER_KIND 1
#define KINDS 5
#define BATCH_MAX 37u /* batch sizes cycle 1..BATCH_MAX, not a power of two */
#define NREADERS (KINDS * READERS_PER_KIND)

enum kind { K_POLL, K_WAIT, K_LATEST, K_MANY, K_MWAIT };
static const char *const kind_name[KINDS] = {"poll", "wait", "latest",
                                             "many", "mwait"};

struct result {
    uint64_t received, lost, first, next;
    uint64_t torn, order, epoch, accounting, timeouts;
    int attached;
    char msg[160];
};

/* The orchestration mapping: never the ring under test. */
struct control {
    atomic_uint region_ready;
    atomic_uint attached;
    atomic_uint done;    /* release-stores final_head before it */
    uint64_t final_head; /* written before done, read after it */
    uint64_t publish_ns;
    struct result res[NREADERS];
};

static struct control *ctl;
static char region[64];

static void note(struct result *r, const char *fmt, uint64_t a, uint64_t b)
{
    if (r->msg[0] == '\0')
        snprintf(r->msg, sizeof r->msg, fmt, (unsigned long long)a,
                 (unsigned long long)b);
}

static int run_writer(uint64_t n)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        fprintf(stderr, "writer: open: %s\n", shmseq_strerror(rc));
        return 1;
    }
    atomic_store(&ctl->region_ready, 1);
    /* Start once every reader is attached, so each sees the whole run. */
    uint64_t deadline = torture_now_ns() + 30ull * 1000000000u;
    while (atomic_load(&ctl->attached) < NREADERS) {
        if (torture_now_ns() > deadline) {
            fprintf(stderr, "writer: readers did not attach\n");
            return 1;
        }
        torture_sleep_ms(1);
    }
    double v[WIDTH];
    uint64_t first = shmseq_writer_next(&w);
    uint64_t t0 = torture_now_ns();
    for (uint64_t k = first; k < first + n; k++) {
        shmseq_test_fill(v, WIDTH, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
    }
    ctl->publish_ns = torture_now_ns() - t0;
    ctl->final_head = shmseq_writer_next(&w);
    atomic_store_explicit(&ctl->done, 1, memory_order_release);
    shmseq_writer_close(&w);
    return 0;
}

static int run_reader(int idx, enum kind kind)
{
    struct result *res = &ctl->res[idx];
    uint64_t deadline = torture_now_ns() + 30ull * 1000000000u;
    while (!atomic_load(&ctl->region_ready)) {
        if (torture_now_ns() > deadline) {
            note(res, "the writer never created the region", 0, 0);
            return 1;
        }
        torture_sleep_ms(1);
    }
    shmseq_reader r;
    unsigned flags = kind == K_POLL || kind == K_MANY
                         ? SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL
                         : SHMSEQ_START_LATEST;
    int rc = shmseq_reader_open(&r, region, flags);
    if (rc < 0) {
        note(res, "open failed: %llu", (uint64_t)-rc, 0);
        atomic_fetch_add(&ctl->attached, 1);
        return 1;
    }
    res->attached = 1;
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    uint64_t expect = st.first;
    atomic_fetch_add(&ctl->attached, 1);

    double vs[BATCH_MAX][WIDTH];
    shmseq_sample ms[BATCH_MAX];
    uint32_t batch = 0;
    bool done = false;
    unsigned idle = 0;
    for (;;) {
        int got = 1;
        batch = batch % BATCH_MAX + 1u;
        switch (kind) {
        case K_POLL:
            rc = shmseq_read(&r, &ms[0], vs[0], WIDTH);
            break;
        case K_WAIT:
            rc = shmseq_read_wait(&r, &ms[0], vs[0], WIDTH,
                                  done ? 0 : 1000000000ll);
            break;
        case K_MANY:
            rc = got = shmseq_read_many(&r, ms, &vs[0][0], WIDTH, batch);
            break;
        case K_MWAIT:
            rc = got = shmseq_read_many_wait(&r, ms, &vs[0][0], WIDTH, batch,
                                             done ? 0 : 1000000000ll);
            break;
        case K_LATEST:
        default:
            rc = shmseq_read_latest(&r, &ms[0], vs[0], WIDTH);
            break;
        }
        if (rc >= 0 && (got < 1 || (uint32_t)got > batch)) {
            res->order++;
            note(res, "a batch of %llu for max %llu", (uint64_t)got, batch);
            break;
        }
        for (int i = 0; rc >= 0 && i < got; i++) {
            const shmseq_sample *m = &ms[i];
            const double *v = vs[i];
            idle = 0;
            res->received++;
            res->lost += m->lost;
            if (m->width != WIDTH ||
                shmseq_test_check(v, WIDTH, m->seq, m->timestamp_ns)) {
                res->torn++;
                note(res, "torn sample #%llu (word %llu)", m->seq,
                     shmseq_test_check(v, WIDTH, m->seq, m->timestamp_ns));
            }
            if (m->seq != expect + m->lost) {
                res->order++;
                note(res, "sample #%llu, expected #%llu + lost", m->seq, expect);
            }
            if (m->epoch != 1) {
                res->epoch++;
                note(res, "epoch %llu on #%llu", m->epoch, m->seq);
            }
            expect = m->seq + 1u;
        }
        if (rc >= 0)
            continue;
        if (rc != -EAGAIN && rc != -ETIMEDOUT) {
            note(res, "read error %llu at #%llu", (uint64_t)-rc, expect);
            res->order++;
            break;
        }
        if (rc == -ETIMEDOUT && !done)
            res->timeouts++;
        if (done)
            break; /* drained: nothing left after the writer finished */
        if (atomic_load_explicit(&ctl->done, memory_order_acquire)) {
            done = true; /* one more pass reads what is left */
            continue;
        }
        /* Two cores, seven processes: let the writer run now and then. */
        if (++idle % 64u == 0)
            sched_yield();
    }

    shmseq_reader_get_stats(&r, &st);
    res->first = st.first;
    res->next = st.next;
    uint64_t head = ctl->final_head;
    if (st.received != res->received || st.lost != res->lost ||
        st.received + st.lost != head - st.first || st.next != head) {
        res->accounting++;
        note(res, "received + lost = %llu, published since attach %llu",
             st.received + st.lost, head - st.first);
    }
    shmseq_reader_close(&r);
    return res->torn || res->order || res->epoch || res->accounting;
}

int main(int argc, char **argv)
{
    uint64_t n = torture_samples(argc, argv, 10000000u);
    setvbuf(stdout, NULL, _IOLBF, 0);
    torture_name(region, sizeof region, "mp");
    (void)shmseq_unlink(region);
    ctl = torture_shared(sizeof *ctl);

    pid_t pids[NREADERS + 1];
    int status[NREADERS + 1];
    memset(status, 0, sizeof status);
    fflush(NULL); /* children _exit: nothing buffered may be duplicated */
    for (int i = 0; i < NREADERS; i++) {
        pids[i] = torture_fork();
        if (pids[i] == 0)
            _exit(run_reader(i, (enum kind)(i % KINDS)));
    }
    pids[NREADERS] = torture_fork();
    if (pids[NREADERS] == 0)
        _exit(run_writer(n));
    for (int i = 0; i <= NREADERS; i++)
        if (pids[i] < 0) {
            perror("fork");
            return 2;
        }

    int waited = torture_wait_all(pids, status, NREADERS + 1, 240.0);
    (void)shmseq_unlink(region);

    int failed = waited < 0 || !torture_child_ok(status[NREADERS]);
    uint64_t torn = 0;
    double secs = (double)ctl->publish_ns / 1e9;
    printf("writer: %llu samples (width %u, capacity %u) in %.3f s, %.1f M/s%s\n",
           (unsigned long long)n, WIDTH, CAPACITY, secs,
           secs > 0 ? (double)n / secs / 1e6 : 0.0,
           torture_child_ok(status[NREADERS]) ? "" : "  FAILED");
    for (int i = 0; i < NREADERS; i++) {
        const struct result *r = &ctl->res[i];
        int ok = torture_child_ok(status[i]) && r->attached;
        failed |= !ok;
        torn += r->torn;
        printf("reader %d (%s): received %llu lost %llu (first %llu next %llu) "
               "torn %llu order %llu epoch %llu accounting %llu timeouts %llu: %s%s%s\n",
               i, kind_name[i % KINDS], (unsigned long long)r->received,
               (unsigned long long)r->lost, (unsigned long long)r->first,
               (unsigned long long)r->next, (unsigned long long)r->torn,
               (unsigned long long)r->order, (unsigned long long)r->epoch,
               (unsigned long long)r->accounting, (unsigned long long)r->timeouts,
               ok ? "ok" : "FAILED", r->msg[0] ? " - " : "", r->msg);
    }
    if (waited < 0)
        printf("torture_mp: timed out; children killed\n");
    printf("torture_mp: %d readers, %llu published, %llu torn: %d passed, %d failed\n",
           NREADERS, (unsigned long long)n, (unsigned long long)torn,
           failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
