/* SPDX-License-Identifier: MIT */
/*
 * "The writer never waits" (invariant 2), across processes.
 *
 * Two readers attach, one asleep in shmseq_read_wait() (so the writer sees
 * a sleeper and issues wake-ups) and one polling; both are then frozen
 * with SIGSTOP. A writer process publishes N samples and must finish: it
 * arms alarm(60) and the parent kills it after 60 s of wall clock, so a
 * writer that blocks on a stopped reader fails the test instead of hanging
 * it. The same run with no reader gives a baseline; both rates are printed
 * but never asserted on (timing is not a pass/fail criterion). Then the
 * readers are resumed and must account for every sample: received + lost
 * equals what was published since they attached, with no torn sample.
 *
 * usage: torture_nowait [--samples N]   (N: default 10^6; times SHMSEQ_TEST_SCALE)
 */
#define _GNU_SOURCE

#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq_torture.h"

#define WIDTH 4u
#define CAPACITY 64u
#define WRITER_BOUND_S 60

struct rres {
    uint64_t received, lost, bad;
    char msg[120];
};

struct control {
    atomic_uint attached;
    atomic_uint done;
    uint64_t final_head;
    uint64_t publish_ns;
    struct rres res[2];
};

static struct control *ctl;

/* Publish @n samples into @name (creating it), as the writer process. */
static int writer_run(const char *name, uint64_t n)
{
    alarm(WRITER_BOUND_S); /* a blocked writer dies of SIGALRM */
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, name, &cfg);
    if (rc < 0) {
        fprintf(stderr, "writer: %s\n", shmseq_strerror(rc));
        return 1;
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
    shmseq_writer_close(&w);
    return 0;
}

/* Run the writer in a child; returns its publish time, or 0 on failure. */
static uint64_t timed_writer(const char *name, uint64_t n)
{
    fflush(NULL);
    pid_t pid = torture_fork();
    if (pid < 0)
        return 0;
    if (pid == 0)
        _exit(writer_run(name, n));
    int status = 0;
    if (torture_wait_all(&pid, &status, 1, WRITER_BOUND_S + 5) < 0) {
        printf("writer: still running after %d s: it waited on a reader\n",
               WRITER_BOUND_S + 5);
        return 0;
    }
    if (!torture_child_ok(status)) {
        printf("writer: failed (%s %d)\n",
               WIFSIGNALED(status) ? "signal" : "exit",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        return 0;
    }
    return ctl->publish_ns ? ctl->publish_ns : 1;
}

static int reader_run(const char *name, int idx)
{
    struct rres *res = &ctl->res[idx];
    bool blocking = idx == 0;
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, name,
                                blocking ? SHMSEQ_START_LATEST
                                         : SHMSEQ_START_LATEST | SHMSEQ_READER_POLL);
    atomic_fetch_add(&ctl->attached, 1);
    if (rc < 0) {
        snprintf(res->msg, sizeof res->msg, "open: %s", shmseq_strerror(rc));
        return 1;
    }
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    uint64_t expect = st.first;
    double v[WIDTH];
    shmseq_sample m;
    bool done = false;
    for (;;) {
        rc = blocking ? shmseq_read_wait(&r, &m, v, WIDTH, done ? 0 : 200000000ll)
                      : shmseq_read(&r, &m, v, WIDTH);
        if (rc == 0) {
            res->received++;
            res->lost += m.lost;
            if (shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) != 0 ||
                m.seq != expect + m.lost) {
                res->bad++;
                if (res->msg[0] == '\0')
                    snprintf(res->msg, sizeof res->msg, "bad sample #%llu",
                             (unsigned long long)m.seq);
            }
            expect = m.seq + 1u;
            continue;
        }
        if (rc != -EAGAIN && rc != -ETIMEDOUT && rc != -EINTR) {
            snprintf(res->msg, sizeof res->msg, "read: %s", shmseq_strerror(rc));
            return 1;
        }
        if (done)
            break;
        if (atomic_load_explicit(&ctl->done, memory_order_acquire))
            done = true;
        else if (!blocking)
            torture_sleep_ms(1);
    }
    shmseq_reader_get_stats(&r, &st);
    uint64_t head = ctl->final_head;
    if (st.received + st.lost != head - st.first || st.next != head) {
        res->bad++;
        snprintf(res->msg, sizeof res->msg,
                 "received + lost = %llu, published since attach %llu",
                 (unsigned long long)(st.received + st.lost),
                 (unsigned long long)(head - st.first));
    }
    shmseq_reader_close(&r);
    return res->bad != 0;
}

int main(int argc, char **argv)
{
    uint64_t n = torture_samples(argc, argv, 1000000u);
    setvbuf(stdout, NULL, _IOLBF, 0);
    ctl = torture_shared(sizeof *ctl);
    char base[64], name[64];
    torture_name(base, sizeof base, "nowait-base");
    torture_name(name, sizeof name, "nowait");
    (void)shmseq_unlink(base);
    (void)shmseq_unlink(name);
    int failed = 0;

    /* Baseline: nobody reading. */
    uint64_t t_base = timed_writer(base, n);
    (void)shmseq_unlink(base);
    failed |= t_base == 0;

    /* Create the region, attach two readers, let the blocking one fall
     * asleep, then freeze both. */
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, name, &cfg);
    if (rc < 0) {
        printf("torture_nowait: create: %s\n", shmseq_strerror(rc));
        return 1;
    }
    shmseq_writer_close(&w);
    pid_t readers[2];
    int rstatus[2] = {0, 0};
    fflush(NULL);
    for (int i = 0; i < 2; i++) {
        readers[i] = torture_fork();
        if (readers[i] == 0)
            _exit(reader_run(name, i));
    }
    while (atomic_load(&ctl->attached) < 2)
        torture_sleep_ms(1);
    torture_sleep_ms(100); /* the blocking reader is now in its futex wait */
    kill(readers[0], SIGSTOP);
    kill(readers[1], SIGSTOP);

    uint64_t t_stopped = timed_writer(name, n);
    failed |= t_stopped == 0;

    kill(readers[0], SIGCONT);
    kill(readers[1], SIGCONT);
    atomic_store_explicit(&ctl->done, 1, memory_order_release);
    if (torture_wait_all(readers, rstatus, 2, 60.0) < 0) {
        printf("torture_nowait: readers did not finish\n");
        failed = 1;
    }
    (void)shmseq_unlink(name);

    printf("writer, no reader:        %llu samples in %.3f s (%.2f M/s)\n",
           (unsigned long long)n, (double)t_base / 1e9,
           t_base ? (double)n / ((double)t_base / 1e9) / 1e6 : 0.0);
    printf("writer, 2 stopped readers: %llu samples in %.3f s (%.2f M/s)%s\n",
           (unsigned long long)n, (double)t_stopped / 1e9,
           t_stopped ? (double)n / ((double)t_stopped / 1e9) / 1e6 : 0.0,
           t_stopped ? "" : "  FAILED: the writer did not finish");
    for (int i = 0; i < 2; i++) {
        const struct rres *r = &ctl->res[i];
        int ok = torture_child_ok(rstatus[i]);
        failed |= !ok;
        printf("reader %d (%s, stopped then resumed): received %llu lost %llu: %s%s%s\n",
               i, i == 0 ? "wait" : "poll", (unsigned long long)r->received,
               (unsigned long long)r->lost, ok ? "ok" : "FAILED",
               r->msg[0] ? " - " : "", r->msg);
    }
    printf("torture_nowait: 2 stopped readers, %llu published: %d passed, %d failed\n",
           (unsigned long long)n, failed ? 0 : 1, failed ? 1 : 0);
    return failed ? 1 : 0;
}
