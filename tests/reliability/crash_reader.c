/* SPDX-License-Identifier: MIT */
/*
 * Readers killed at random points (docs/reliability.md): the writer and the
 * readers that survive must not notice.
 *
 * One writer process publishes flat out, in bursts of BURST samples with a
 * short pause between bursts (so readers catch up and fall asleep in
 * shmseq_read_wait, which a reader never does while a writer runs flat
 * out). Three survivor readers run the whole time (poll, wait with no
 * timeout, latest) and check every sample word for word, numbering, and at
 * the end received + lost == published since they attached. Meanwhile the
 * parent forks victim readers of every kind (poll, read_wait with a
 * timeout, read_wait without one, latest) and SIGKILLs each at a random
 * moment: while it opens, while it reads, and — for sleepers — while it is
 * asleep in the futex wait (seen in /proc/<pid>/wchan). The test fails
 * if the writer stops making progress (its head must move between kills;
 * bound: 30 s without progress, never a rate), if the writer does not
 * finish within a generous bound, or if a survivor sees anything wrong.
 *
 * After the campaign one more sleeper is killed asleep, leaving the
 * "waiting" flag raised, and the writer publishes FINAL more samples
 * counting its wake-up calls (through the ring's wake callback): at most
 * one. seccomp_publish proves the same under seccomp strict mode.
 *
 * usage: crash_reader [--kills N] [--seed S]   (default 300, never fewer
 * unless given; SHMSEQ_CRASH_KILLS sets N for a long run)
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq/port.h"

#include "layout.h"
#include "shmseq_test_proc.h"
#include "shmseq_torture.h"

#define WIDTH 3u
#define CAPACITY 256u
#define BURST 4096u
#define PAUSE_US 300
#define FINAL 100000u
#define NSURV 3

enum kind { K_POLL, K_WAIT, K_FOREVER, K_LATEST, K_KINDS };
static const char *const kind_name[K_KINDS] = {"poll", "wait", "forever",
                                               "latest"};
/* Survivors: one of each kind except the timed wait (victims do that). */
static const enum kind surv_kind[NSURV] = {K_POLL, K_FOREVER, K_LATEST};

struct result {
    uint64_t received, lost, first, bad;
    int finished;
    char msg[160];
};

struct control {
    atomic_uint attached;      /* survivors attached */
    atomic_uint stop;          /* parent: campaign over, finish */
    atomic_uint final_go;      /* parent: the last sleeper is dead */
    atomic_uint done;          /* writer: final_head valid (release) */
    atomic_uint final_done;    /* writer: FINAL publishes done */
    uint64_t final_head;
    uint64_t final_wakes;
    atomic_ulong wakes;        /* wake calls the writer made */
    struct result res[NSURV];
};

static struct control *ctl;
static char region[64];
static uint64_t rng_state;

static uint64_t rnd(void)
{
    return torture_rnd(&rng_state);
}

/* ---- the writer ---------------------------------------------------------- */

/* Counts the writer's wake calls, then makes them (the port's futex wake). */
static void counting_wake(void *c, void *word)
{
    (void)c;
    atomic_fetch_add_explicit(&ctl->wakes, 1, memory_order_relaxed);
    shmseq_port_wake(word);
}

static void publish(shmseq_writer *w)
{
    double v[WIDTH];
    uint64_t k = shmseq_writer_next(w);
    shmseq_test_fill(v, WIDTH, k);
    shmseq_publish(w, v, shmseq_test_ts(k));
}

static _Noreturn void writer_child(void)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, region, &cfg);
    if (rc < 0) {
        printf("crash_reader: writer: %s\n", shmseq_strerror(rc));
        _exit(2);
    }
    if (w.ring.wake != NULL)
        w.ring.wake = counting_wake;
    while (!atomic_load(&ctl->stop)) {
        for (unsigned i = 0; i < BURST; i++)
            publish(&w);
        struct timespec nap = {0, PAUSE_US * 1000L};
        nanosleep(&nap, NULL);
    }
    /* The sample after done wakes survivors asleep without a timeout. */
    ctl->final_head = shmseq_writer_next(&w) + 1u;
    atomic_store_explicit(&ctl->done, 1, memory_order_release);
    publish(&w);

    /* A dead sleeper costs at most one wake: FINAL publishes, counted. */
    while (!atomic_load(&ctl->final_go))
        torture_sleep_ms(1);
    uint64_t before = atomic_load(&ctl->wakes);
    for (unsigned i = 0; i < FINAL; i++)
        publish(&w);
    ctl->final_wakes = atomic_load(&ctl->wakes) - before;
    atomic_store(&ctl->final_done, 1);
    shmseq_writer_close(&w);
    _exit(0);
}

/* ---- readers ------------------------------------------------------------- */

static int read_one(shmseq_reader *r, enum kind kind, shmseq_sample *m, double *v)
{
    switch (kind) {
    case K_POLL:
        return shmseq_read(r, m, v, WIDTH);
    case K_WAIT:
        return shmseq_read_wait(r, m, v, WIDTH, 2000000);
    case K_FOREVER:
        return shmseq_read_wait(r, m, v, WIDTH, -1);
    case K_LATEST:
    default:
        return shmseq_read_latest(r, m, v, WIDTH);
    }
}

static unsigned open_flags(enum kind kind)
{
    return kind == K_POLL      ? SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL
           : kind == K_FOREVER ? SHMSEQ_START_OLDEST
                               : SHMSEQ_START_LATEST;
}

static int survivor(int idx)
{
    struct result *res = &ctl->res[idx];
    enum kind kind = surv_kind[idx];
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, region, open_flags(kind));
    if (rc < 0) {
        snprintf(res->msg, sizeof res->msg, "open: %s", shmseq_strerror(rc));
        atomic_fetch_add(&ctl->attached, 1);
        return 1;
    }
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    uint64_t expect = st.first;
    atomic_fetch_add(&ctl->attached, 1);
    double v[WIDTH];
    shmseq_sample m;
    for (;;) {
        rc = read_one(&r, kind, &m, v);
        if (rc == 0) {
            res->received++;
            res->lost += m.lost;
            if (shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) != 0 ||
                m.seq != expect + m.lost) {
                if (res->bad++ == 0)
                    snprintf(res->msg, sizeof res->msg,
                             "sample #%llu wrong (expected #%llu + lost %llu)",
                             (unsigned long long)m.seq,
                             (unsigned long long)expect,
                             (unsigned long long)m.lost);
            }
            expect = m.seq + 1u;
        } else if (rc != -EAGAIN && rc != -ETIMEDOUT) {
            snprintf(res->msg, sizeof res->msg, "read: %s", shmseq_strerror(rc));
            res->bad++;
            break;
        } else if (kind != K_FOREVER) {
            sched_yield();
        }
        if (atomic_load_explicit(&ctl->done, memory_order_acquire)) {
            shmseq_reader_get_stats(&r, &st);
            if (st.next >= ctl->final_head)
                break;
        }
    }
    shmseq_reader_get_stats(&r, &st);
    res->first = st.first;
    if (st.received + st.lost != ctl->final_head - st.first && res->bad++ == 0)
        snprintf(res->msg, sizeof res->msg,
                 "received %llu + lost %llu != published %llu",
                 (unsigned long long)st.received, (unsigned long long)st.lost,
                 (unsigned long long)(ctl->final_head - st.first));
    res->finished = 1;
    shmseq_reader_close(&r);
    return res->bad ? 1 : 0;
}

static _Noreturn void victim(enum kind kind)
{
    shmseq_reader r;
    while (shmseq_reader_open(&r, region, open_flags(kind)) != 0)
        sched_yield();
    double v[WIDTH];
    shmseq_sample m;
    for (;;) {
        int rc = read_one(&r, kind, &m, v);
        if (rc == 0 && shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) != 0)
            _exit(1); /* would show as "exited", not "killed": a failure */
        if (rc != 0 && kind != K_FOREVER && kind != K_WAIT)
            sched_yield();
    }
}

static int kill_reap(pid_t pid)
{
    kill(pid, SIGKILL);
    int status = 0;
    if (torture_wait_all(&pid, &status, 1, 20.0) < 0)
        return -1;
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : -1;
}

int main(int argc, char **argv)
{
    uint64_t kills;
    torture_kill_args(argc, argv, 300, &kills, &rng_state);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("crash_reader: %llu kills, seed %llu\n", (unsigned long long)kills,
           (unsigned long long)rng_state);
    ctl = torture_shared(sizeof *ctl);
    torture_name(region, sizeof region, "crashr");
    (void)shmseq_remove(region, SHMSEQ_REMOVE_FORCE);

    /* The writer creates the region before anyone reads it. */
    pid_t wpid = torture_fork();
    if (wpid == 0)
        writer_child();
    shmseq_region_info info;
    uint64_t deadline = torture_now_ns() + 20ull * 1000000000u;
    while (shmseq_info(region, &info) != 0 || info.epoch == 0) {
        if (torture_now_ns() > deadline) {
            printf("crash_reader: the writer never created the region\n");
            return 1;
        }
        torture_sleep_ms(1);
    }

    pid_t surv[NSURV];
    int sstatus[NSURV] = {0};
    if (torture_fork_n(surv, NSURV, survivor, &ctl->attached) < 0)
        return 1;

    int failed = 0;
    uint64_t by_kind[K_KINDS] = {0}, asleep = 0, in_open = 0, done_kills = 0;
    uint64_t last_head = 0, stall_since = torture_now_ns();
    for (uint64_t k = 0; k < kills && !failed; k++) {
        enum kind kind = (enum kind)(rnd() % K_KINDS);
        pid_t pid = torture_fork();
        if (pid < 0) {
            perror("fork");
            failed = 1;
            break;
        }
        if (pid == 0)
            victim(kind);
        uint64_t r = rnd() % 8u;
        if (r == 0) {
            in_open++; /* most likely still inside shmseq_reader_open */
        } else if ((kind == K_FOREVER || kind == K_WAIT) && r < 5) {
            asleep += (uint64_t)shmseq_test_wait_asleep(pid, 2000);
        } else {
            struct timespec nap = {0, (long)(rnd() % 2000000u)};
            nanosleep(&nap, NULL);
        }
        if (kill_reap(pid) < 0) {
            printf("crash_reader: victim %llu (%s) did not die by SIGKILL\n",
                   (unsigned long long)k, kind_name[kind]);
            failed = 1;
        }
        by_kind[kind]++;
        done_kills++;
        /* The writer must keep publishing: its head moves. */
        if (shmseq_info(region, &info) == 0 && info.head != last_head) {
            last_head = info.head;
            stall_since = torture_now_ns();
        } else if (torture_now_ns() - stall_since > 30ull * 1000000000u) {
            printf("crash_reader: the writer made no progress for 30 s after "
                   "%llu kills (head %llu)\n", (unsigned long long)done_kills,
                   (unsigned long long)last_head);
            failed = 1;
        }
    }
    atomic_store(&ctl->stop, 1);
    int waited = torture_wait_all(surv, sstatus, NSURV, 120.0);

    /* Leave the flag raised by a sleeper killed asleep, then count the
     * writer's wake calls over FINAL publishes. */
    pid_t pid = torture_fork();
    if (pid == 0)
        victim(K_FOREVER);
    int last_asleep = shmseq_test_wait_asleep(pid, 20000);
    kill_reap(pid);
    atomic_store(&ctl->final_go, 1);
    int wstatus = 0;
    if (torture_wait_all(&wpid, &wstatus, 1, 120.0) < 0 ||
        !torture_child_ok(wstatus) || !atomic_load(&ctl->final_done)) {
        printf("crash_reader: the writer did not finish (status 0x%x)\n",
               (unsigned)wstatus);
        failed = 1;
    }
    (void)shmseq_remove(region, SHMSEQ_REMOVE_FORCE);

    uint64_t published = ctl->final_head;
    for (int i = 0; i < NSURV; i++) {
        struct result *res = &ctl->res[i];
        bool ok = torture_child_ok(sstatus[i]) && res->finished && res->bad == 0;
        printf("crash_reader: survivor %-7s received %llu + lost %llu = %llu, "
               "published since attach %llu: %s%s%s\n",
               kind_name[surv_kind[i]], (unsigned long long)res->received,
               (unsigned long long)res->lost,
               (unsigned long long)(res->received + res->lost),
               (unsigned long long)(published - res->first), ok ? "ok" : "FAILED",
               res->msg[0] ? ": " : "", res->msg);
        failed |= !ok;
    }
    if (waited < 0) {
        printf("crash_reader: a survivor hung (killed by the watchdog)\n");
        failed = 1;
    }
    bool blocking = shmseq_port_wait_is_blocking();
    if (blocking && (asleep == 0 || !last_asleep)) {
        printf("crash_reader: no victim was seen asleep in the futex wait "
               "(%llu, last %d): the sleeper case was not exercised\n",
               (unsigned long long)asleep, last_asleep);
        failed = 1;
    }
    if (ctl->final_wakes > 1) {
        printf("crash_reader: after a sleeper died asleep the writer made %llu "
               "wake calls in %u publishes (at most 1 allowed)\n",
               (unsigned long long)ctl->final_wakes, FINAL);
        failed = 1;
    }
    printf("crash_reader: kills survived %llu (poll %llu, wait %llu, forever "
           "%llu, latest %llu; asleep in futex_wait %llu; early, while "
           "opening %llu); writer published %llu, wake calls %llu in all, "
           "%llu in %u publishes after the last sleeper died\n",
           (unsigned long long)(failed ? 0 : done_kills),
           (unsigned long long)by_kind[K_POLL], (unsigned long long)by_kind[K_WAIT],
           (unsigned long long)by_kind[K_FOREVER],
           (unsigned long long)by_kind[K_LATEST], (unsigned long long)asleep,
           (unsigned long long)in_open, (unsigned long long)(published + FINAL),
           (unsigned long long)atomic_load(&ctl->wakes),
           (unsigned long long)ctl->final_wakes, FINAL);
    printf("crash_reader: %d passed, %d failed\n", failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
