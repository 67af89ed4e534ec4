/* SPDX-License-Identifier: MIT */
/*
 * Writer killed at random points (invariant 9), while readers of every kind
 * run: the crash torture of docs/reliability.md.
 *
 * The parent forks one writer process after another and SIGKILLs each at a
 * random moment: sometimes before it has even finished opening (inside the
 * takeover and its repair), usually while it publishes flat out. In half of
 * the rounds the test-only hook of core/ring.c (built into the
 * shmseq_hooks library variant with SHMSEQ_TEST_HOOKS) spins in the middle
 * of every fourth slot write, with the sequence word odd and the payload
 * half stored, so most of those kills land mid-write. After each kill the
 * parent looks at the region (read-only) and counts the kills that left a
 * slot odd. Each new writer must report epoch = previous + 1 and continue
 * the numbering exactly at the published head.
 *
 * Four reader processes run the whole time: poll (shmseq_read), wait
 * (shmseq_read_wait, 20 ms timeout), forever (shmseq_read_wait with no
 * timeout: a dead writer never wakes it, the next writer must) and latest
 * (shmseq_read_latest). Each checks every sample word for word (no torn
 * sample), that numbers follow as previous + 1 + lost, that epochs never go
 * back, and at the end received + lost == published since it attached.
 * A watchdog fails the test if any reader hangs.
 *
 * usage: crash_writer [--kills N] [--seed S]
 *   N: default 1000, or SHMSEQ_CRASH_KILLS (the long run); never fewer
 *   than 1000 unless given on the command line.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "layout.h"
#include "shmseq_torture.h"

#define WIDTH 4u
#define CAPACITY 32u
#define NREADERS 4

/* Defined in core/ring.c when built with SHMSEQ_TEST_HOOKS. */
extern void (*shmseq__test_hook_mid_write)(void);

enum kind { K_POLL, K_WAIT, K_FOREVER, K_LATEST };
static const char *const kind_name[NREADERS] = {"poll", "wait", "forever",
                                                "latest"};

struct result {
    uint64_t received, lost, first, next, calls;
    uint64_t torn, order, epoch_back, reused, accounting, errors;
    uint32_t epoch_changes;
    int finished;
    char msg[160];
};

struct control {
    atomic_uint attached;       /* readers attached */
    atomic_uint w_round;        /* round whose writer finished opening */
    atomic_uint hook_spin;      /* this round's writer spins mid-write */
    uint32_t w_epoch;           /* written before w_round (release) */
    uint32_t w_odd;             /* its first slot was odd after opening */
    uint64_t w_next;
    atomic_uint done;           /* final_head is valid (release) */
    uint64_t final_head;
    struct result res[NREADERS];
};

static struct control *ctl;

/* starts[e]: the number writer epoch e began at, stored by the writer
 * before its first publish (so a reader that has a sample of epoch e sees
 * it: the region's release/acquire orders it); UINT64_MAX: not known.
 * No number may carry two epochs: a reader's last sample of an older epoch
 * must lie below starts[e]. */
static _Atomic uint64_t *starts;
static uint64_t nstarts;

static void record_start(uint32_t epoch, uint64_t next)
{
    if (epoch < nstarts)
        atomic_store_explicit(&starts[epoch], next, memory_order_relaxed);
}
static char region[64];

static uint64_t rng_state;

static uint64_t rnd(void)
{
    return torture_rnd(&rng_state);
}

static void note(struct result *r, const char *fmt, uint64_t a, uint64_t b)
{
    if (r->msg[0] == '\0')
        snprintf(r->msg, sizeof r->msg, fmt, (unsigned long long)a,
                 (unsigned long long)b);
}

/* ---- a read-only view of the region (parent; inherited by writers) ------- */

struct view {
    const unsigned char *base;
    size_t size;
};

static struct view vw;

static const struct shmseq__slot *slot_of(const struct view *v, uint64_t n)
{
    uint32_t slot = shmseq_slot_size(WIDTH);
    return (const struct shmseq__slot *)(const void *)(v->base + SHMSEQ_HEADER_SIZE +
                                                       (size_t)(n & (CAPACITY - 1u)) * slot);
}

static int view_open(struct view *v)
{
    char path[96];
    snprintf(path, sizeof path, "/shmseq.%s", region);
    int fd = shm_open(path, O_RDONLY, 0);
    if (fd < 0)
        return -1;
    v->size = shmseq_region_size(WIDTH, CAPACITY);
    void *p = mmap(NULL, v->size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    v->base = p;
    return 0;
}

/*
 * Where the next writer must continue, from a region no writer holds: the
 * published head, or one past it when the dead writer left sample `head`
 * whole but unannounced (killed between its slot's write_end and its store
 * of head). The next writer announces that sample, as readers taking the
 * expected slot first may already have it.
 */
static uint64_t expected_next(const struct view *v, const shmseq_region_info *before,
                              bool *unannounced)
{
    const struct shmseq__slot *s = slot_of(v, before->head);
    uint32_t q = atomic_load(&s->seq);
    uint64_t num = (uint64_t)atomic_load(&s->number_lo) |
                   (uint64_t)atomic_load(&s->number_hi) << 32;
    *unannounced = (q & 1u) == 0 && num == before->head && before->epoch != 0 &&
                   atomic_load(&s->epoch) == before->epoch;
    return before->head + (*unannounced ? 1u : 0u);
}

/* ---- the writer child ---------------------------------------------------- */

static unsigned hook_calls;

/* Mid-write (sequence word odd, payload half stored): dawdle ~20 us every
 * fourth write, so a kill is likely to land here. */
static void mid_write_hook(void)
{
    if ((++hook_calls & 3u) != 0)
        return;
    uint64_t until = torture_now_ns() + 20000u; /* vDSO: no system call */
    while (torture_now_ns() < until) {
    }
}

static _Noreturn void writer_child(unsigned round)
{
    if (atomic_load(&ctl->hook_spin))
        shmseq__test_hook_mid_write = mid_write_hook;
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc;
    while ((rc = shmseq_writer_open(&w, region, &cfg)) == -EBUSY)
        sched_yield();
    if (rc != 0)
        _exit(2);
    ctl->w_epoch = shmseq_writer_epoch(&w);
    ctl->w_next = shmseq_writer_next(&w);
    record_start(ctl->w_epoch, ctl->w_next);
    /* The takeover must have repaired the slot it starts in. */
    ctl->w_odd = atomic_load(&slot_of(&vw, ctl->w_next)->seq) & 1u;
    atomic_store_explicit(&ctl->w_round, round, memory_order_release);
    double v[WIDTH];
    for (uint64_t k = shmseq_writer_next(&w);; k++) {
        shmseq_test_fill(v, WIDTH, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
    }
}

/* ---- the readers ----------------------------------------------------------- */

static int reader_child(int idx)
{
    struct result *res = &ctl->res[idx];
    enum kind kind = (enum kind)idx;
    unsigned flags = kind == K_POLL    ? SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL
                     : kind == K_FOREVER ? SHMSEQ_START_OLDEST
                                         : SHMSEQ_START_LATEST;
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, region, flags);
    if (rc < 0) {
        note(res, "open failed: %llu", (uint64_t)-rc, 0);
        atomic_fetch_add(&ctl->attached, 1);
        return 1;
    }
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    uint64_t expect = st.first;
    uint32_t epoch = 0;
    atomic_fetch_add(&ctl->attached, 1);

    double v[WIDTH];
    shmseq_sample m;
    for (;;) {
        res->calls++;
        switch (kind) {
        case K_POLL:
            rc = shmseq_read(&r, &m, v, WIDTH);
            break;
        case K_WAIT:
            rc = shmseq_read_wait(&r, &m, v, WIDTH, 20000000);
            break;
        case K_FOREVER:
            rc = shmseq_read_wait(&r, &m, v, WIDTH, -1);
            break;
        case K_LATEST:
        default:
            rc = shmseq_read_latest(&r, &m, v, WIDTH);
            break;
        }
        if (rc == 0) {
            res->received++;
            res->lost += m.lost;
            uint32_t bad = shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns);
            if (bad != 0 || m.width != WIDTH) {
                res->torn++;
                note(res, "torn sample #%llu (word %llu)", m.seq, bad);
            }
            if (m.seq != expect + m.lost) {
                res->order++;
                note(res, "sample #%llu, expected #%llu + lost", m.seq, expect);
            }
            if (m.epoch < epoch) {
                res->epoch_back++;
                note(res, "epoch went back to %llu from %llu", m.epoch, epoch);
            }
            uint64_t start = m.epoch < nstarts
                                 ? atomic_load_explicit(&starts[m.epoch],
                                                        memory_order_relaxed)
                                 : UINT64_MAX;
            if (start != UINT64_MAX &&
                (m.seq < start || (m.epoch > epoch && epoch != 0 && expect > start))) {
                /* expect - 1: the number of our last sample, older epoch. */
                res->reused++;
                note(res, "epoch %llu starts at #%llu: a number read twice", m.epoch,
                     start);
            }
            epoch = m.epoch;
            expect = m.seq + 1;
        } else if (rc != -EAGAIN && rc != -ETIMEDOUT) {
            res->errors++;
            note(res, "read error %llu", (uint64_t)-rc, 0);
            break;
        } else if (kind == K_POLL || kind == K_LATEST) {
            sched_yield(); /* two cores: let the writer run */
        }
        if (atomic_load_explicit(&ctl->done, memory_order_acquire)) {
            shmseq_reader_get_stats(&r, &st);
            if (st.next >= ctl->final_head)
                break;
        }
    }
    shmseq_reader_get_stats(&r, &st);
    res->first = st.first;
    res->next = st.next;
    res->epoch_changes = st.epoch_changes;
    if (st.received != res->received || st.lost != res->lost) {
        res->accounting++;
        note(res, "stats say received %llu, reads returned %llu", st.received,
             res->received);
    }
    if (st.received + st.lost != ctl->final_head - st.first) {
        res->accounting++;
        note(res, "received + lost = %llu, published %llu",
             st.received + st.lost, ctl->final_head - st.first);
    }
    res->finished = 1;
    shmseq_reader_close(&r);
    return res->torn || res->order || res->epoch_back || res->reused ||
                   res->accounting ||
                   res->errors
               ? 1
               : 0;
}

int main(int argc, char **argv)
{
    uint64_t kills;
    torture_kill_args(argc, argv, 1000, &kills, &rng_state);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("crash_writer: %llu kills, seed %llu\n", (unsigned long long)kills,
           (unsigned long long)rng_state);

    ctl = torture_shared(sizeof *ctl);
    nstarts = kills + 3u; /* epochs 1 (setup) .. kills + 2 (the last writer) */
    starts = torture_shared((size_t)nstarts * sizeof *starts);
    for (uint64_t e = 0; e < nstarts; e++)
        atomic_init(&starts[e], UINT64_MAX);
    torture_name(region, sizeof region, "crashw");
    (void)shmseq_unlink(region);

    /* Epoch 1 creates the region; the readers attach to it. */
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        printf("crash_writer: %s\n", shmseq_strerror(rc));
        return 1;
    }
    shmseq_writer_close(&w);
    if (view_open(&vw) < 0) {
        perror("crash_writer: view");
        return 1;
    }

    pid_t readers[NREADERS];
    int rstatus[NREADERS] = {0};
    if (torture_fork_n(readers, NREADERS, reader_child, &ctl->attached) < 0)
        return 1;

    uint64_t mid_write = 0, in_open = 0, checked = 0, hooked = 0, repaired = 0;
    uint64_t adopted = 0;
    int failed = 0;
    for (unsigned round = 1; round <= kills && !failed; round++) {
        shmseq_region_info before;
        if (shmseq_ring_check(vw.base, vw.size, &before) != 0) {
            printf("crash_writer: region unreadable before round %u\n", round);
            failed = 1;
            break;
        }
        bool left_odd = (atomic_load(&slot_of(&vw, before.head)->seq) & 1u) != 0;
        bool left_whole = false;
        uint64_t want_next = expected_next(&vw, &before, &left_whole);
        bool spin = (rnd() & 1u) != 0;
        hooked += spin;
        atomic_store(&ctl->hook_spin, spin ? 1u : 0u);
        pid_t pid = torture_fork();
        if (pid < 0) {
            perror("fork");
            failed = 1;
            break;
        }
        if (pid == 0)
            writer_child(round);

        uint64_t r = rnd();
        if (r % 10u == 0) {
            /* Kill it while it opens: inside the takeover and repair. */
            uint64_t until = torture_now_ns() + (rnd() % 300000u);
            while (torture_now_ns() < until) {
            }
        } else {
            uint64_t deadline = torture_now_ns() + 20ull * 1000000000u;
            while (atomic_load_explicit(&ctl->w_round, memory_order_acquire) != round) {
                if (torture_now_ns() > deadline) {
                    printf("crash_writer: writer %u never opened\n", round);
                    failed = 1;
                    break;
                }
                sched_yield();
            }
            struct timespec nap = {0, (long)(rnd() % 1500000u)};
            nanosleep(&nap, NULL);
        }
        kill(pid, SIGKILL);
        int status = 0;
        if (torture_wait_all(&pid, &status, 1, 20.0) < 0 ||
            !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
            printf("crash_writer: writer %u did not die by SIGKILL (status %d)\n",
                   round, status);
            failed = 1;
            break;
        }

        shmseq_region_info after;
        if (shmseq_ring_check(vw.base, vw.size, &after) != 0) {
            printf("crash_writer: region unreadable after round %u\n", round);
            failed = 1;
            break;
        }
        if (atomic_load_explicit(&ctl->w_round, memory_order_acquire) == round) {
            checked++;
            repaired += left_odd;
            adopted += left_whole;
            if (ctl->w_epoch != before.epoch + 1u || ctl->w_next != want_next ||
                ctl->w_odd != 0) {
                printf("crash_writer: round %u: new writer took epoch %u next %llu "
                       "(slot odd %u), expected epoch %u next %llu (slot even)\n",
                       round, ctl->w_epoch, (unsigned long long)ctl->w_next,
                       ctl->w_odd, before.epoch + 1u, (unsigned long long)want_next);
                failed = 1;
            }
        } else {
            in_open++;
        }
        if (after.head < before.head || after.epoch < before.epoch ||
            after.epoch > before.epoch + 1u) {
            printf("crash_writer: round %u: head %llu -> %llu, epoch %u -> %u\n",
                   round, (unsigned long long)before.head,
                   (unsigned long long)after.head, before.epoch, after.epoch);
            failed = 1;
        }
        uint32_t q = atomic_load(&slot_of(&vw, after.head)->seq);
        mid_write += q & 1u;
    }

    /* A last writer (this process) takes over, repairs, and finishes. */
    shmseq_region_info before;
    rc = shmseq_ring_check(vw.base, vw.size, &before);
    uint32_t odd = rc == 0 ? (atomic_load(&slot_of(&vw, before.head)->seq) & 1u) : 0;
    bool final_whole = false;
    uint64_t final_next = rc == 0 ? expected_next(&vw, &before, &final_whole) : 0;
    if (rc == 0)
        rc = shmseq_writer_open(&w, region, &cfg);
    if (rc == 0)
        record_start(shmseq_writer_epoch(&w), shmseq_writer_next(&w));
    if (rc < 0) {
        printf("crash_writer: final writer: %s\n", shmseq_strerror(rc));
        failed = 1;
    } else {
        if (shmseq_writer_epoch(&w) != before.epoch + 1u ||
            shmseq_writer_next(&w) != final_next ||
            (atomic_load(&slot_of(&vw, before.head)->seq) & 1u) != 0) {
            printf("crash_writer: final takeover wrong (epoch %u, next %llu, "
                   "slot still odd %u)\n", shmseq_writer_epoch(&w),
                   (unsigned long long)shmseq_writer_next(&w),
                   atomic_load(&slot_of(&vw, before.head)->seq) & 1u);
            failed = 1;
        }
        double v[WIDTH];
        for (int k = 0; k < 1000; k++) {
            uint64_t n = shmseq_writer_next(&w);
            shmseq_test_fill(v, WIDTH, n);
            shmseq_publish(&w, v, shmseq_test_ts(n));
        }
        /* The sample after done wakes any reader asleep without timeout. */
        ctl->final_head = shmseq_writer_next(&w) + 1u;
        atomic_store_explicit(&ctl->done, 1, memory_order_release);
        uint64_t n = shmseq_writer_next(&w);
        shmseq_test_fill(v, WIDTH, n);
        shmseq_publish(&w, v, shmseq_test_ts(n));
    }
    if (failed && !atomic_load(&ctl->done)) {
        ctl->final_head = UINT64_MAX;
        atomic_store(&ctl->done, 1);
    }
    int waited = torture_wait_all(readers, rstatus, NREADERS, failed ? 5.0 : 60.0);
    if (rc == 0)
        shmseq_writer_close(&w);
    (void)shmseq_unlink(region);

    uint64_t published = ctl->final_head;
    for (int i = 0; i < NREADERS; i++) {
        struct result *res = &ctl->res[i];
        bool ok = torture_child_ok(rstatus[i]) && res->finished;
        printf("crash_writer: reader %-7s received %llu + lost %llu = %llu, "
               "published since attach %llu, calls %llu, epoch changes %u, "
               "torn %llu: %s%s%s\n",
               kind_name[i], (unsigned long long)res->received,
               (unsigned long long)res->lost,
               (unsigned long long)(res->received + res->lost),
               (unsigned long long)(published - res->first),
               (unsigned long long)res->calls, res->epoch_changes,
               (unsigned long long)res->torn, ok ? "ok" : "FAILED",
               res->msg[0] ? ": " : "", res->msg);
        if (!ok)
            failed = 1;
    }
    if (waited < 0) {
        printf("crash_writer: a reader hung (killed by the watchdog)\n");
        failed = 1;
    }
    printf("crash_writer: kills survived %llu (mid-write, slot left odd: %llu; "
           "during open/takeover: %llu; hook rounds: %llu), takeovers checked "
           "%llu, odd slots repaired by the next writer %llu, unannounced samples "
           "announced by it %llu, final repair of an odd slot: %s, of an "
           "unannounced sample: %s, published %llu\n",
           (unsigned long long)(failed ? 0 : kills), (unsigned long long)mid_write,
           (unsigned long long)in_open, (unsigned long long)hooked,
           (unsigned long long)checked, (unsigned long long)repaired,
           (unsigned long long)adopted, odd ? "yes" : "no", final_whole ? "yes" : "no",
           (unsigned long long)published);
    printf("crash_writer: %d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
