/* SPDX-License-Identifier: MIT */
/*
 * bench_iceoryx: Eclipse iceoryx (zero-copy shared memory through the RouDi
 * daemon) as a peer of shmseq, through its C binding, measured the way
 * bench_latency, bench_publish and bench_throughput measure the others and
 * writing the same CSV rows, so bench/table.sh puts it in the same table.
 *
 *   latency-poll     one-way latency, the subscriber polls iox_sub_take_chunk
 *   latency-wait     ... the subscriber sleeps in a waitset (HAS_DATA)
 *   publish-none     loan + fill + publish per sample, no subscriber
 *   publish-poll     ... one subscriber polling on the other CPU
 *   publish-stopped  ... one waitset subscriber stopped with SIGSTOP
 *   throughput       the publisher flat out, one polling subscriber
 *   readers-poll     --readers N polling subscribers (bench_harness.h:
 *                    publisher ns per publish, subscriber 1's latency,
 *                    losses per subscriber; bench_readers's rows)
 *   readers-wait     ... N subscribers sleeping in a waitset
 *
 * iceoryx is set up as a user of "latest samples, never block the sensor"
 * would: the subscriber's queue discards the oldest sample when full (its
 * queue holds at most 256 chunks, so --capacity is capped there), the
 * publisher never waits. iceoryx counts no losses, so the subscriber counts
 * gaps in the sample numbers. The RouDi daemon must run (bench/run.sh and
 * bench/smoke.sh start iox-roudi); without it iox_runtime_init waits, and
 * the alarm ends the program. Built only when the C binding is found.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <iceoryx_binding_c/api.h>

#include "bench_harness.h"

#define IOX_QUEUE_MAX 256u /* MAX_SUBSCRIBER_QUEUE_CAPACITY of Debian's build */

enum test {
    T_LAT_POLL, T_LAT_WAIT, T_PUB_NONE, T_PUB_POLL, T_PUB_STOPPED,
    T_THROUGHPUT, T_READERS_POLL, T_READERS_WAIT
};

static const char *const test_names[] = {
    "latency-poll", "latency-wait", "publish-none", "publish-poll",
    "publish-stopped", "throughput", "readers-poll", "readers-wait",
};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish,
 * bench_throughput and bench_readers. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {200000, 100000}, {2000000, 0}, {2000000, 0},
    {2000000, 0}, {20000000, 0}, {20000, 100000}, {20000, 100000},
};
static const bench_tests tests = {
    .names = test_names, .defaults = test_defaults,
    .n = sizeof test_names / sizeof test_names[0],
    .latency = 1u << T_LAT_POLL | 1u << T_LAT_WAIT | 1u << T_READERS_POLL |
               1u << T_READERS_WAIT,
    .batched = 1u << T_PUB_NONE | 1u << T_PUB_POLL | 1u << T_PUB_STOPPED,
    .prog = "bench_iceoryx",
    .usage = "Usage: bench_iceoryx TEST [OPTION]...\n"
             "Eclipse iceoryx (C binding) as a peer; iox-roudi must run.\n"
             "TEST: latency-poll latency-wait publish-none publish-poll "
             "publish-stopped throughput readers-poll readers-wait\n"
             "--capacity is the subscriber's queue (at most 256);\n"
             "readers-*: --readers N subscribers (bench_harness.h)",
};

/* Shared between the writer and the readers (anonymous shared mapping):
 * one bench_result per reader; the single-reader tests use r[0]. */
typedef bench_readers_ctl ctl;

static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = IOX_QUEUE_MAX,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static bench_plan p;
static ctl *sh;
static char event[32];  /* the service's event: the writer's pid */

static int readers_test(void)
{
    return p.test == T_READERS_POLL || p.test == T_READERS_WAIT;
}

/* The runtime is ended by exit() alone (its destructor sends TERMINATION
 * to RouDi and waits for the acknowledgement), never with
 * iox_runtime_shutdown() first. That call only unblocks publishers with
 * ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER, which this program never uses,
 * and in iceoryx 2.0.x it races with the exit: it makes the runtime's
 * keep-alive thread send PREPARE_APP_TERMINATION on its next tick (every
 * 300 ms), on the same socket and without the lock the other requests
 * take. If that tick falls in the exit's TERMINATION exchange, each thread
 * can read the other's answer, or RouDi, which has already removed the
 * process, answers the PREPARE_APP_TERMINATION with nothing ("Unknown
 * application ... requested shutdown preparation" in its log): either way
 * one thread waits for ever and exit() never returns. On a loaded machine
 * it hung bench-smoke's publish-none until the alarm. */
static void runtime_init(const char *role, unsigned i)
{
    char name[64];
    snprintf(name, sizeof name, "shmseq-bench-%s%u-%ld", role, i,
             (long)getpid());
    /* Debian's build logs every segment mapping at debug level. */
    iox_set_loglevel(Iceoryx_LogLevel_Warn);
    iox_runtime_init(name);
}

static iox_sub_t sub_open(iox_sub_storage_t *st)
{
    iox_sub_options_t so;
    iox_sub_options_init(&so);
    so.queueCapacity = o.capacity < IOX_QUEUE_MAX ? o.capacity : IOX_QUEUE_MAX;
    so.historyRequest = 0;
    so.queueFullPolicy = QueueFullPolicy_DISCARD_OLDEST_DATA;
    return iox_sub_init(st, "shmseq-bench", "iceoryx", event, &so);
}

static iox_pub_t pub_open(iox_pub_storage_t *st)
{
    iox_pub_options_t po;
    iox_pub_options_init(&po);
    po.historyCapacity = 0;
    po.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_DISCARD_OLDEST_DATA;
    return iox_pub_init(st, "shmseq-bench", "iceoryx", event, &po);
}

/* Loan a chunk, fill it, publish it. Returns 0, or 1 if no chunk could be
 * loaned (counted by the caller; the sample is then not sent). */
static int send_one(void *pub, const bench_msg *m)
{
    void *chunk = NULL;
    if (iox_pub_loan_chunk(pub, &chunk, (uint32_t)p.msg_size) !=
        AllocationResult_SUCCESS)
        return 1;
    memcpy(chunk, m, p.msg_size);
    iox_pub_publish_chunk(pub, chunk);
    return 0;
}

/* The stream's last sample must go out (the reader stops at it): a failed
 * loan of it is retried and counted in *failed. */
static int send_counted(void *pub, const bench_msg *m, uint64_t n,
                        uint64_t *failed)
{
    while (send_one(pub, m) != 0) {
        ++*failed;
        if (m->seq + 1 != n)
            break;
    }
    return 0;
}

typedef struct stream_ctx {
    iox_pub_t pub;
    uint64_t n, failed;
} stream_ctx;

static int send_stream(void *ctx, const bench_msg *m)
{
    stream_ctx *s = ctx;
    return send_counted(s->pub, m, s->n, &s->failed);
}

/* ---- reader ------------------------------------------------------------ */

static int reader_main(void *arg)
{
    unsigned idx = (unsigned)(uintptr_t)arg;
    iox_sub_storage_t sst;
    iox_ws_storage_t wst;
    iox_sub_t sub;
    iox_ws_t ws = NULL;
    iox_notification_info_t infos[4];
    struct timespec tick = {0, 10000000};
    uint64_t missed;
    bench_rx rx;
    int waits = p.test == T_LAT_WAIT || p.test == T_PUB_STOPPED ||
                p.test == T_READERS_WAIT;
    int until_stop = p.test == T_PUB_POLL || p.test == T_PUB_STOPPED ||
                     readers_test();
    int done = 0, ended = 0;

    bench_alarm(60, p.total * (readers_test() ? 1 + BENCH_READERS_PUB : 1),
                o.rate_hz);
    if (bench_rx_start(&rx, &sh->r[idx],
                       p.latency && idx == 0 ? o.count : 0, p.warm) != 0)
        return 1;
    runtime_init("r", idx);
    sub = sub_open(&sst);
    if (waits) {
        ws = iox_ws_init(&wst);
        if (iox_ws_attach_subscriber_state(ws, sub, SubscriberState_HAS_DATA,
                                           0, NULL) != WaitSetResult_SUCCESS) {
            fprintf(stderr, "bench_iceoryx: cannot attach to the waitset\n");
            return 1;
        }
    }
    if (p.latency && !readers_test())
        bench_probe_reader(&sh->r[0].probe, 0);
    /* RouDi connects a subscriber in its own loop: ready once it has. */
    while (iox_sub_get_subscription_state(sub) != SubscribeState_SUBSCRIBED)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    bench_rx_idle(&rx);
    atomic_fetch_add(&sh->ready, 1);

    while (!done) {
        const void *chunk = NULL;
        const bench_msg *m;
        uint64_t now;

        if (until_stop && atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        if (iox_sub_take_chunk(sub, &chunk) != ChunkReceiveResult_SUCCESS) {
            if (waits)
                (void)iox_ws_timed_wait(ws, tick, infos, 4, &missed);
            continue;
        }
        now = bench_now();
        m = chunk;
        if (readers_test()) {
            if (!ended &&
                bench_rx_take_paced(&rx, m->seq, m->stamp, now, p.total)) {
                ended = 1;
                atomic_fetch_add(&sh->ended, 1);
            }
        } else {
            bench_rx_take(&rx, m->seq, m->stamp, now);
            if ((p.latency || p.test == T_THROUGHPUT) && m->seq + 1 >= p.total)
                done = 1;
        }
        iox_sub_release_chunk(sub, chunk);
    }
    if (!ended) /* a readers-* reader ends its accounting on the way */
        bench_rx_end(&rx);
    if (p.latency && !readers_test())
        bench_probe_reader(&sh->r[0].probe, 1);
    if (ws != NULL)
        iox_ws_deinit(ws);
    iox_sub_deinit(sub);
    /* exit, not the _exit of bench_fork: the runtime unregisters from
     * RouDi in its destructors. A process RouDi still lists when it is
     * stopped makes it fail its own shutdown (it tries to SIGTERM it).
     * No iox_runtime_shutdown() before it: see runtime_init. */
    fflush(NULL);
    exit(0);
}

/* ---- writer ------------------------------------------------------------ */

/* Until every subscriber is connected: iceoryx's discovery runs in the
 * daemon's loop, so this takes a few hundred ms. */
static int wait_connected(iox_pub_t pub, unsigned n)
{
    uint64_t t_end = bench_now() + 20000000000u;
    struct timespec ms = {0, 1000000};

    while (atomic_load(&sh->ready) < n || !iox_pub_has_subscribers(pub)) {
        if (bench_now() > t_end) {
            fprintf(stderr, "bench_iceoryx: %u of %u subscribers after 20 s\n",
                    atomic_load(&sh->ready), n);
            return -1;
        }
        nanosleep(&ms, NULL);
    }
    return 0;
}

/* bench_wait with a deadline: if RouDi has dropped the subscriber (see
 * main), its runtime can hang in its shutdown; it is killed after 3 s. */
static int wait_reader(pid_t pid)
{
    struct timespec ms = {0, 1000000};
    int i, st;

    for (i = 0; i < 3000; i++) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
        if (r < 0 && errno != EINTR)
            return 1;
        nanosleep(&ms, NULL);
    }
    fprintf(stderr, "bench_iceoryx: the subscriber did not end: killed\n");
    kill(pid, SIGKILL);
    bench_wait(pid);
    return 1;
}

static void emit_publish(uint64_t *batch_ns, size_t nb, uint64_t failed)
{
    char extra[64];
    snprintf(extra, sizeof extra, "loan failures %" PRIu64, failed);
    /* blocked_after -1: iceoryx never blocks the writer here; a failed
     * loan shows in the eagain column. */
    bench_emit_publish(&o,
                       p.test == T_PUB_NONE   ? "iceoryx-none"
                       : p.test == T_PUB_POLL ? "iceoryx-poll"
                                              : "iceoryx-stopped",
                       batch_ns, nb, BENCH_BATCH, -1, failed, extra);
}

int main(int argc, char **argv)
{
    iox_pub_storage_t pst;
    iox_pub_t pub;
    bench_msg m;
    pid_t pid[BENCH_READERS_MAX];
    stream_ctx sc = {0};
    uint64_t failed = 0, *t = NULL;
    size_t nb = 0;
    unsigned i, nr = 0;
    int rc = 0;
    char extra[64];

    bench_begin(argc, argv, &o, &tests, &p, &m);
    /* A RouDi with its process monitoring on (its default; bench/roudi.sh
     * turns it off) removes a process whose keep-alive it has missed for
     * 1.5 s (iceoryx 2.0's PROCESS_KEEP_ALIVE_TIMEOUT): a subscriber
     * stopped that long is dropped, and once resumed it aborts or hangs in
     * its runtime's exit. Keep the SIGSTOP far shorter (about 1 us per
     * publish: 0.1 s). */
    if (p.test == T_PUB_STOPPED && o.count > 100000)
        o.count = 100000;
    snprintf(event, sizeof event, "w%ld", (long)getpid());
    sh = bench_shared(sizeof *sh);
    bench_pin(o.wcpu);
    bench_alarm(120, p.total * (readers_test() ? 1 + BENCH_READERS_PUB : 1),
                o.rate_hz);

    /* Fork before the writer's runtime exists: iceoryx's runtime has
     * threads and a connection to RouDi that a fork must not duplicate. */
    if (p.test != T_PUB_NONE)
        nr = readers_test() ? o.readers : 1;
    for (i = 0; i < nr; i++)
        pid[i] = bench_fork(o.rcpu, reader_main, (void *)(uintptr_t)i);
    runtime_init("w", 0);
    pub = pub_open(&pst);
    if (p.latency && !readers_test())
        sh->r[0].rtt_before = bench_probe_writer(&sh->r[0].probe, 0);
    if (nr > 0 && wait_connected(pub, nr) != 0) {
        for (i = 0; i < nr; i++) {
            kill(pid[i], SIGKILL);
            bench_wait(pid[i]);
        }
        return 1;
    }
    sc.pub = pub;

    switch (p.test) {
    case T_LAT_POLL:
    case T_LAT_WAIT: {
        struct timespec idle = {0, BENCH_IDLE_NS};
        nanosleep(&idle, NULL);
        sc.n = p.total;
        (void)bench_stream(&o, &m, p.total, 1, send_stream, &sc);
        failed = sc.failed;
        sh->r[0].rtt_after = bench_probe_writer(&sh->r[0].probe, 1);
        break;
    }
    case T_PUB_NONE:
    case T_PUB_POLL:
    case T_PUB_STOPPED:
        nb = (size_t)(o.count / BENCH_BATCH);
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        if (p.test == T_PUB_STOPPED) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL); /* let it fall asleep in the waitset */
            kill(pid[0], SIGSTOP);
        }
        failed = bench_batches(t, nb, &m, 0, send_one, pub);
        break;
    case T_THROUGHPUT:
        sh->r[0].t_start = bench_now();
        sc.n = o.count;
        (void)bench_stream(&o, &m, o.count, 0, send_stream, &sc);
        failed = sc.failed;
        sh->r[0].t_writer_end = bench_now();
        break;
    default: /* readers-* */
        failed = bench_readers_run(&o, &p, sh, &m, send_one, pub, &t, &nb);
        break;
    }

    atomic_store(&sh->stop, 1);
    if (p.test == T_PUB_STOPPED) {
        /* Let it go and end cleanly (see reader_main's exit): one more
         * sample wakes its waitset if the queue was empty. */
        kill(pid[0], SIGCONT);
        (void)send_one(pub, &m);
    }
    for (i = 0; i < nr; i++)
        rc |= wait_reader(pid[i]);
    if (p.test == T_PUB_STOPPED && rc != 0) {
        /* The figures are the writer's and complete; only the
         * subscriber's exit went wrong (see main). */
        fprintf(stderr, "bench_iceoryx: (publish-stopped: the writer's "
                        "figures stand)\n");
        rc = 0;
    }
    iox_pub_deinit(pub); /* the runtime ends with the exit: runtime_init */
    if (rc != 0 || failed == UINT64_MAX) {
        fprintf(stderr, "bench_iceoryx: %s: a reader failed\n",
                test_names[p.test]);
        free(t);
        return 1;
    }
    switch (p.test) {
    case T_LAT_POLL:
    case T_LAT_WAIT:
        bench_emit_rx_latency(&o, p.test == T_LAT_POLL ? "iceoryx-poll"
                                                       : "iceoryx-wait",
                              &sh->r[0]);
        break;
    case T_THROUGHPUT:
        snprintf(extra, sizeof extra, "loan failures %" PRIu64, failed);
        /* a failed loan is a sample never sent, counted as lost too */
        rc = bench_emit_rx_throughput(
            &o, &sh->r[0], "iceoryx",
            o.capacity < IOX_QUEUE_MAX ? o.capacity : IOX_QUEUE_MAX, extra);
        break;
    case T_READERS_POLL:
    case T_READERS_WAIT:
        bench_emit_readers(&o, p.test == T_READERS_POLL ? "iceoryx-poll"
                                                        : "iceoryx-wait",
                           sh, t, nb, failed);
        break;
    default:
        emit_publish(t, nb, failed);
        break;
    }
    free(t);
    return rc;
}
