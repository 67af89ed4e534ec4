/* SPDX-License-Identifier: MIT */
/*
 * Wake-mode torture (docs/protocol.md, "A writer that never wakes"): a
 * sequence of writers, each opened either waking (the default) or with
 * SHMSEQ_WRITER_NO_WAKE, takes the region over in turn while readers sit
 * in shmseq_read_wait(). The property under test: a change of mode never
 * strands a reader asleep. A reader that went to sleep under a waking
 * writer and is not woken when a never-waking writer takes over would
 * sleep until its timeout, since that writer never looks at the "waiting"
 * flag.
 *
 * Readers (R processes, forked before any writer exists) wait with a
 * finite timeout (WAIT_NS); the odd-numbered ones spin SPIN_NS first
 * (shmseq_reader_set_spin), readers 0, 1 (4, 5) start at the oldest
 * sample, 2, 3 (6, 7) at the latest. The writer side runs G generations
 * in batches: each batch is a child process that opens, publishes and
 * closes 1..3 generations in a row (a takeover each time: the epoch goes
 * up by one), the mode of each drawn from the seed, 0..MAX_BURST samples
 * each with random gaps (a quarter of them 1-3 ms, long enough for every
 * reader to fall asleep), and random gaps between generations and
 * batches. Every sample carries its publish time (shmseq_now_ns()) as
 * timestamp; its values derive from its number (shmseq_test_fill).
 *
 * Before a generation closes, it waits until every reader has received
 * its last sample (bounded by BARRIER_NS). So a stranded reader cannot be
 * rescued by the next waking writer: it sleeps until its timeout and
 * delivers the sample late. Any delivery later than STALL_NS after the
 * publish, and any -ETIMEDOUT while the run is on, fails the test (and
 * ends the run early). The max delivery latency per reader is printed,
 * for information.
 *
 * Readers also check every sample word for word (shmseq_test_check), its
 * timestamp and epoch against what the writer recorded for that number,
 * that numbers follow as previous + 1 + lost, that epochs never go back,
 * and at the end that received + lost == samples published since they
 * attached. Writers check that their epoch is the previous one + 1 and
 * that shmseq_info() shows the mode they asked for. The last generation's
 * last sample ends the run (the stop is announced before it is published).
 *
 * usage: torture_wakemode [--generations G] [--readers R] [--seed S]
 *        (G: default 500, times SHMSEQ_TEST_SCALE, at least 20;
 *         R: default 4, 1..MAX_READERS; S: default from the clock)
 */
#define _GNU_SOURCE

#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq_torture.h"

#define WIDTH 3u
#define CAPACITY 64u
#define MAX_READERS 8
#define MAX_BURST 6u          /* samples per generation: 0..MAX_BURST */
#define MAX_BATCH 3u          /* generations per writer process */
#define SPIN_NS 20000u        /* spin budget of the spinning readers */
#define WAIT_NS 5000000000ll  /* shmseq_read_wait() timeout */
#define STALL_NS 2500000000ull /* delivery later than this: stranded */
#define BARRIER_NS 8000000000ull /* a generation waits this long at most */
#define MS 1000000ull

struct result {
    uint64_t received, lost, first, next, head;
    uint64_t torn, order, epoch, accounting, timeouts, stalls;
    uint64_t max_lat_wake, max_lat_nowake; /* ns, by the writer's mode */
    uint64_t nowake_received;
    int attached, spin, oldest;
    char msg[160];
};

/* What the writer recorded for each sample number, before publishing it
 * (the ring's release/acquire orders it before the reader's look). */
struct published {
    uint64_t ts;
    uint32_t epoch;
    uint32_t no_wake;
};

/* The orchestration mapping: never the ring under test. */
struct control {
    atomic_uint region_ready;
    atomic_uint attached;
    atomic_uint done;    /* release-stores final_head before it */
    atomic_uint stalled; /* a reader saw a stall or timeout: wind up */
    atomic_uint abort;   /* a writer failed: readers leave */
    uint64_t final_head;
    /* Low 32 bits of each reader's next expected number (the barrier). */
    atomic_uint progress[MAX_READERS];
    struct result res[MAX_READERS];
    /* Written by the one writer process alive at a time. */
    uint64_t gens, gens_nowake, published, barrier_max_ns;
    uint32_t last_epoch;
    char wmsg[160];
    uint64_t cap; /* entries in pub[] */
    struct published pub[];
};

static struct control *ctl;
static char region[64];
static int nreaders = 4;

static void nap_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* A gap: a quarter 1-3 ms (every reader falls asleep, spinners too), a
 * third 5-200 us (around the spin budget), the rest none. */
static void gap(uint64_t *s)
{
    uint64_t r = torture_rnd(s) % 12u;
    if (r < 3u)
        nap_ns(1 * MS + torture_rnd(s) % (2 * MS));
    else if (r < 7u)
        nap_ns(5000u + torture_rnd(s) % 195000u);
}

static void note(char *msg, const char *fmt, uint64_t a, uint64_t b)
{
    if (msg[0] == '\0')
        snprintf(msg, 160, fmt, (unsigned long long)a, (unsigned long long)b);
}

/* Every reader has received everything before @head (or left). */
static int readers_caught_up(uint64_t head)
{
    for (int i = 0; i < nreaders; i++) {
        uint32_t p = atomic_load_explicit(&ctl->progress[i], memory_order_acquire);
        if ((int32_t)(p - (uint32_t)head) < 0)
            return 0;
    }
    return 1;
}

/* One generation: open (a takeover after the first), publish @n samples,
 * wait for the readers, close. @last: announce the stop before the last
 * sample. */
static int run_generation(bool no_wake, unsigned n, bool last, uint64_t *s)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY,
                         .flags = no_wake ? SHMSEQ_WRITER_NO_WAKE : 0u};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        note(ctl->wmsg, "generation %llu: open: -%llu", ctl->gens, (uint64_t)-rc);
        return 1;
    }
    uint32_t epoch = shmseq_writer_epoch(&w);
    if (epoch != ctl->last_epoch + 1u) {
        note(ctl->wmsg, "epoch %llu after %llu", epoch, ctl->last_epoch);
        shmseq_writer_close(&w);
        return 1;
    }
    ctl->last_epoch = epoch;
    shmseq_region_info info;
    rc = shmseq_info(region, &info);
    if (rc < 0) {
        note(ctl->wmsg, "shmseq_info: -%llu", (uint64_t)-rc, 0);
        shmseq_writer_close(&w);
        return 1;
    }
    if (info.no_wake != (no_wake ? 1u : 0u)) {
        note(ctl->wmsg, "shmseq_info says no_wake %llu, the writer asked %llu",
             info.no_wake, no_wake);
        shmseq_writer_close(&w);
        return 1;
    }
    if (!atomic_load(&ctl->region_ready)) {
        /* First writer: start once every reader is attached. */
        atomic_store(&ctl->region_ready, 1);
        uint64_t deadline = torture_now_ns() + 30000 * MS;
        while (atomic_load(&ctl->attached) < (unsigned)nreaders) {
            if (torture_now_ns() > deadline) {
                note(ctl->wmsg, "readers did not attach", 0, 0);
                shmseq_writer_close(&w);
                return 1;
            }
            torture_sleep_ms(1);
        }
    }
    ctl->gens++;
    ctl->gens_nowake += no_wake;

    double v[WIDTH];
    for (unsigned k = 0; k < n; k++) {
        gap(s);
        uint64_t seq = shmseq_writer_next(&w);
        if (seq >= ctl->cap) {
            note(ctl->wmsg, "sample #%llu past the table (%llu)", seq, ctl->cap);
            shmseq_writer_close(&w);
            return 1;
        }
        if (last && k + 1u == n) {
            ctl->final_head = seq + 1u;
            atomic_store_explicit(&ctl->done, 1, memory_order_release);
        }
        shmseq_test_fill(v, WIDTH, seq);
        uint64_t ts = shmseq_now_ns();
        ctl->pub[seq] = (struct published){ts, epoch, no_wake};
        shmseq_publish(&w, v, ts);
        ctl->published++;
    }

    /* The readers must get this generation's samples from this writer: a
     * reader it left asleep is not rescued by the next one. */
    uint64_t head = shmseq_writer_next(&w);
    uint64_t t0 = torture_now_ns();
    while (!readers_caught_up(head)) {
        if (torture_now_ns() - t0 > BARRIER_NS) {
            note(ctl->wmsg, "readers still behind #%llu after %llu ms", head,
                 BARRIER_NS / MS);
            shmseq_writer_close(&w);
            return 1;
        }
        nap_ns(20000u);
    }
    uint64_t waited = torture_now_ns() - t0;
    if (waited > ctl->barrier_max_ns)
        ctl->barrier_max_ns = waited;
    shmseq_writer_close(&w);
    return 0;
}

/* A writer process: @count generations, re-opening in between. */
static int run_batch(unsigned count, bool last_batch, uint64_t seed)
{
    uint64_t s = seed;
    for (unsigned g = 0; g < count; g++) {
        /* A stall ends the run early: this generation is the last. */
        bool last = (last_batch && g + 1u == count) ||
                    atomic_load(&ctl->stalled) != 0;
        bool no_wake = (torture_rnd(&s) & 1u) != 0;
        unsigned n = (unsigned)(torture_rnd(&s) % (MAX_BURST + 1u));
        if (last && n == 0)
            n = 1;
        if (run_generation(no_wake, n, last, &s) != 0)
            return 1;
        if (last)
            return 0;
        gap(&s);
    }
    return 0;
}

static int run_reader(int idx)
{
    struct result *res = &ctl->res[idx];
    res->spin = idx % 2;
    res->oldest = (idx / 2) % 2 == 0;
    uint64_t deadline = torture_now_ns() + 30000 * MS;
    while (!atomic_load(&ctl->region_ready)) {
        if (torture_now_ns() > deadline || atomic_load(&ctl->abort)) {
            note(res->msg, "the writer never created the region", 0, 0);
            atomic_fetch_add(&ctl->attached, 1);
            return 1;
        }
        torture_sleep_ms(1);
    }
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, region, res->oldest ? SHMSEQ_START_OLDEST
                                                        : SHMSEQ_START_LATEST);
    if (rc < 0) {
        note(res->msg, "open failed: -%llu", (uint64_t)-rc, 0);
        /* Far ahead of any head: the writers do not wait for it. */
        atomic_store(&ctl->progress[idx], UINT32_MAX / 2u);
        atomic_fetch_add(&ctl->attached, 1);
        return 1;
    }
    if (res->spin)
        shmseq_reader_set_spin(&r, SPIN_NS);
    res->attached = 1;
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    uint64_t expect = st.first;
    uint32_t last_epoch = 0;
    atomic_store(&ctl->progress[idx], (uint32_t)expect);
    atomic_fetch_add(&ctl->attached, 1);

    double v[WIDTH];
    shmseq_sample m;
    for (;;) {
        rc = shmseq_read_wait(&r, &m, v, WIDTH, WAIT_NS);
        uint64_t now = shmseq_now_ns();
        if (rc == -ETIMEDOUT) {
            if (atomic_load(&ctl->abort))
                break;
            res->timeouts++;
            note(res->msg, "read_wait timed out (%llu ms) expecting #%llu",
                 (uint64_t)(WAIT_NS / (int64_t)MS), expect);
            atomic_store(&ctl->stalled, 1);
            continue;
        }
        if (rc != 0) {
            note(res->msg, "read error -%llu at #%llu", (uint64_t)-rc, expect);
            res->order++;
            break;
        }
        res->received++;
        res->lost += m.lost;
        if (m.width != WIDTH ||
            shmseq_test_check(v, WIDTH, m.seq, shmseq_test_ts(m.seq))) {
            res->torn++;
            note(res->msg, "torn sample #%llu (word %llu)", m.seq,
                 shmseq_test_check(v, WIDTH, m.seq, shmseq_test_ts(m.seq)));
        }
        if (m.seq != expect + m.lost) {
            res->order++;
            note(res->msg, "sample #%llu, expected #%llu + lost", m.seq, expect);
        }
        if (m.epoch < last_epoch) {
            res->epoch++;
            note(res->msg, "epoch went back to %llu at #%llu", m.epoch, m.seq);
        }
        last_epoch = m.epoch;
        if (m.seq < ctl->cap) {
            const struct published *p = &ctl->pub[m.seq];
            if (m.timestamp_ns != p->ts) {
                res->torn++;
                note(res->msg, "sample #%llu: timestamp %llu is not its own",
                     m.seq, m.timestamp_ns);
            }
            if (m.epoch != p->epoch) {
                res->epoch++;
                note(res->msg, "sample #%llu: epoch %llu, not the writer's",
                     m.seq, m.epoch);
            }
            uint64_t lat = now > m.timestamp_ns ? now - m.timestamp_ns : 0;
            uint64_t *max = p->no_wake ? &res->max_lat_nowake : &res->max_lat_wake;
            if (lat > *max)
                *max = lat;
            res->nowake_received += p->no_wake;
            if (lat >= STALL_NS) {
                res->stalls++;
                note(res->msg, "sample #%llu delivered %llu ms after its publish",
                     m.seq, lat / MS);
                atomic_store(&ctl->stalled, 1);
            }
        } else {
            res->order++;
            note(res->msg, "sample #%llu was never published", m.seq, 0);
        }
        expect = m.seq + 1u;
        atomic_store_explicit(&ctl->progress[idx], (uint32_t)expect,
                              memory_order_release);
        if (atomic_load_explicit(&ctl->done, memory_order_acquire) &&
            expect >= ctl->final_head)
            break;
    }

    shmseq_reader_get_stats(&r, &st);
    res->first = st.first;
    res->next = st.next;
    res->head = shmseq_reader_head(&r);
    if (atomic_load_explicit(&ctl->done, memory_order_acquire)) {
        uint64_t head = ctl->final_head;
        if (st.received != res->received || st.lost != res->lost ||
            st.received + st.lost != head - st.first || st.next != head ||
            res->head != head) {
            res->accounting++;
            note(res->msg, "received + lost = %llu, published since attach %llu",
                 st.received + st.lost, head - st.first);
        }
    } else {
        res->accounting++;
        note(res->msg, "left before the end (writer failed)", 0, 0);
    }
    shmseq_reader_close(&r);
    return res->torn || res->order || res->epoch || res->accounting ||
           res->timeouts || res->stalls;
}

static void usage(const char *prog)
{
    fprintf(stderr, "usage: %s [--generations G] [--readers R] [--seed S]\n",
            prog);
    exit(2);
}

int main(int argc, char **argv)
{
    uint64_t gens = 500, seed = torture_now_ns() | 1u;
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage(argv[0]);
        if (strcmp(argv[i], "--generations") == 0)
            gens = torture_parse_u64(argv[0], argv[++i]);
        else if (strcmp(argv[i], "--readers") == 0)
            nreaders = (int)torture_parse_u64(argv[0], argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0)
            seed = torture_parse_u64(argv[0], argv[++i]) | 1u;
        else
            usage(argv[0]);
    }
    if (gens == 0 || nreaders < 1 || nreaders > MAX_READERS)
        usage(argv[0]);
    gens = shmseq_test_scaled(gens, 20);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("torture_wakemode: %llu generations, %d readers, seed %llu\n",
           (unsigned long long)gens, nreaders, (unsigned long long)seed);

    torture_name(region, sizeof region, "wakemode");
    (void)shmseq_unlink(region);
    uint64_t cap = gens * MAX_BURST + 1u;
    /* Bounded by the arguments; refuse what a 32-bit size_t cannot map. */
    if (cap > (SIZE_MAX - sizeof *ctl) / sizeof ctl->pub[0]) {
        fprintf(stderr, "torture_wakemode: too many generations\n");
        return 2;
    }
    ctl = torture_shared(sizeof *ctl + (size_t)cap * sizeof ctl->pub[0]);
    ctl->cap = cap;

    /* Readers first: a child forked while a writer is open would share
     * its lock. The parent itself never opens a writer. */
    pid_t pids[MAX_READERS];
    int status[MAX_READERS];
    memset(status, 0, sizeof status);
    if (torture_fork_n(pids, nreaders, run_reader, NULL) < 0)
        return 2;

    uint64_t s = seed, batches = 0;
    int writer_failed = 0;
    uint64_t t0 = torture_now_ns();
    for (uint64_t g = 0; g < gens && !atomic_load(&ctl->done);) {
        unsigned count = 1u + (unsigned)(torture_rnd(&s) % MAX_BATCH);
        if (count > gens - g)
            count = (unsigned)(gens - g);
        g += count;
        uint64_t batch_seed = torture_rnd(&s) | 1u;
        pid_t w = torture_fork();
        if (w < 0) {
            perror("fork");
            writer_failed = 1;
            break;
        }
        if (w == 0)
            _exit(run_batch(count, g == gens, batch_seed));
        int st = 0;
        batches++;
        if (torture_wait_all(&w, &st, 1, (double)(count + 1u) * 10.0) < 0 ||
            !torture_child_ok(st)) {
            writer_failed = 1;
            break;
        }
        gap(&s);
    }
    uint64_t run_ns = torture_now_ns() - t0;
    if (writer_failed || !atomic_load(&ctl->done)) {
        writer_failed = 1;
        atomic_store(&ctl->abort, 1);
    }

    int waited = torture_wait_all(pids, status, nreaders, 60.0);
    (void)shmseq_unlink(region);

    int failed = writer_failed || waited < 0;
    printf("writer: %llu generations (%llu never waking) in %llu processes, "
           "%llu samples, %.2f s, longest wait for readers %.2f ms%s%s%s\n",
           (unsigned long long)ctl->gens, (unsigned long long)ctl->gens_nowake,
           (unsigned long long)batches, (unsigned long long)ctl->published,
           (double)run_ns / 1e9, (double)ctl->barrier_max_ns / 1e6,
           writer_failed ? ": FAILED" : "", ctl->wmsg[0] ? " - " : "", ctl->wmsg);
    for (int i = 0; i < nreaders; i++) {
        const struct result *r = &ctl->res[i];
        int ok = torture_child_ok(status[i]) && r->attached;
        failed |= !ok;
        printf("reader %d (spin %u us, %s): received %llu (%llu from never-waking "
               "writers) lost %llu (first %llu next %llu) torn %llu order %llu "
               "epoch %llu accounting %llu timeouts %llu stalls %llu; max "
               "latency %.3f ms waking, %.3f ms never waking: %s%s%s\n",
               i, r->spin ? SPIN_NS / 1000u : 0u,
               r->oldest ? "oldest" : "latest",
               (unsigned long long)r->received,
               (unsigned long long)r->nowake_received,
               (unsigned long long)r->lost, (unsigned long long)r->first,
               (unsigned long long)r->next, (unsigned long long)r->torn,
               (unsigned long long)r->order, (unsigned long long)r->epoch,
               (unsigned long long)r->accounting,
               (unsigned long long)r->timeouts, (unsigned long long)r->stalls,
               (double)r->max_lat_wake / 1e6, (double)r->max_lat_nowake / 1e6,
               ok ? "ok" : "FAILED", r->msg[0] ? " - " : "", r->msg);
    }
    if (waited < 0)
        printf("torture_wakemode: timed out; readers killed\n");
    printf("torture_wakemode: %d readers, %llu generations, seed %llu: "
           "%d passed, %d failed\n",
           nreaders, (unsigned long long)ctl->gens, (unsigned long long)seed,
           failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
