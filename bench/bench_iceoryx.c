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

#include "bench_util.h"

#define IDLE_NS 200000000u /* writer idle before the latency stream */
#define BATCH 1000u        /* publishes per timed batch (bench_publish) */
#define IOX_QUEUE_MAX 256u /* MAX_SUBSCRIBER_QUEUE_CAPACITY of Debian's build */

typedef struct msg {
    uint64_t seq;
    uint64_t stamp;
    double v[64];
} msg;

enum test {
    T_LAT_POLL, T_LAT_WAIT, T_PUB_NONE, T_PUB_POLL, T_PUB_STOPPED, T_THROUGHPUT
};

static const char *const test_names[] = {
    "latency-poll", "latency-wait", "publish-none", "publish-poll",
    "publish-stopped", "throughput",
};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish and
 * bench_throughput. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {200000, 100000}, {2000000, 0}, {2000000, 0},
    {2000000, 0}, {20000000, 0},
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint ready;
    atomic_uint stop;
    bench_result r; /* counts, stamps, floor probe */
} ctl;

static enum test test;
static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = IOX_QUEUE_MAX,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static char event[32];  /* the service's event: the writer's pid */
static uint64_t warm, total;
static size_t msg_size;

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
static void runtime_init(const char *role)
{
    char name[64];
    snprintf(name, sizeof name, "shmseq-bench-%s-%ld", role, (long)getpid());
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
static int send_one(iox_pub_t pub, const msg *m)
{
    void *chunk = NULL;
    if (iox_pub_loan_chunk(pub, &chunk, (uint32_t)msg_size) !=
        AllocationResult_SUCCESS)
        return 1;
    memcpy(chunk, m, msg_size);
    iox_pub_publish_chunk(pub, chunk);
    return 0;
}

/* ---- reader ------------------------------------------------------------ */

static int reader_main(void *arg)
{
    iox_sub_storage_t sst;
    iox_ws_storage_t wst;
    iox_sub_t sub;
    iox_ws_t ws = NULL;
    iox_notification_info_t infos[4];
    uint64_t *lat = NULL, nrec = 0, prev = UINT64_MAX, missed, idle_t0 = 0;
    double idle_c0 = 0;
    int waits = test == T_LAT_WAIT || test == T_PUB_STOPPED;
    int latency = test == T_LAT_POLL || test == T_LAT_WAIT;
    int first = 1, done = 0;

    (void)arg;
    alarm((unsigned)(60 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));
    if (latency && (lat = calloc((size_t)o.count, sizeof *lat)) == NULL)
        return 1;
    runtime_init("r");
    sub = sub_open(&sst);
    if (waits) {
        ws = iox_ws_init(&wst);
        if (iox_ws_attach_subscriber_state(ws, sub, SubscriberState_HAS_DATA,
                                           0, NULL) != WaitSetResult_SUCCESS) {
            fprintf(stderr, "bench_iceoryx: cannot attach to the waitset\n");
            return 1;
        }
    }
    if (latency)
        bench_probe_reader(&sh->r.probe, 0);
    idle_c0 = bench_cpu_ns();
    idle_t0 = bench_now();
    atomic_store(&sh->ready, 1);

    while (!done) {
        const void *chunk = NULL;
        const msg *m;
        uint64_t now;

        if ((test == T_PUB_POLL || test == T_PUB_STOPPED) &&
            atomic_load_explicit(&sh->stop, memory_order_relaxed))
            break;
        if (iox_sub_take_chunk(sub, &chunk) != ChunkReceiveResult_SUCCESS) {
            if (waits)
                (void)iox_ws_wait(ws, infos, 4, &missed);
            continue;
        }
        now = bench_now();
        m = chunk;
        if (first) {
            double wall = (double)(now - idle_t0);
            first = 0;
            sh->r.idle_cpu_pct =
                wall > 0 ? 100.0 * (bench_cpu_ns() - idle_c0) / wall : 0;
        }
        if (prev != UINT64_MAX && m->seq > prev + 1)
            sh->r.lost += m->seq - prev - 1;
        else if (prev == UINT64_MAX && m->seq > 0)
            sh->r.lost += m->seq; /* lost before the first one seen */
        prev = m->seq;
        sh->r.received++;
        if (latency && m->seq >= warm && nrec < o.count)
            lat[nrec++] = now >= m->stamp ? now - m->stamp : 0;
        if ((latency || test == T_THROUGHPUT) && m->seq + 1 >= total)
            done = 1;
        iox_sub_release_chunk(sub, chunk);
    }
    sh->r.t_reader_end = bench_now();
    if (latency) {
        bench_probe_reader(&sh->r.probe, 1);
        bench_dist_of(lat, (size_t)nrec, &sh->r.d);
    }
    if (ws != NULL)
        iox_ws_deinit(ws);
    iox_sub_deinit(sub);
    free(lat);
    /* exit, not the _exit of bench_fork: the runtime unregisters from
     * RouDi in its destructors. A process RouDi still lists when it is
     * stopped makes it fail its own shutdown (it tries to SIGTERM it).
     * No iox_runtime_shutdown() before it: see runtime_init. */
    fflush(NULL);
    exit(0);
}

/* ---- writer ------------------------------------------------------------ */

/* Until RouDi has connected the subscriber: iceoryx's discovery runs in
 * the daemon's loop, so this takes a few hundred ms. */
static int wait_connected(iox_pub_t pub)
{
    uint64_t t_end = bench_now() + 20000000000u;
    struct timespec ms = {0, 1000000};

    while (!atomic_load(&sh->ready) || !iox_pub_has_subscribers(pub)) {
        if (bench_now() > t_end) {
            fprintf(stderr, "bench_iceoryx: no subscriber after 20 s\n");
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

static void emit_latency(void)
{
    bench_emit_latency(o.csv,
                       test == T_LAT_POLL ? "iceoryx-poll" : "iceoryx-wait",
                       (unsigned)o.width, o.run, &sh->r.d, sh->r.lost,
                       sh->r.idle_cpu_pct, sh->r.rtt_before, sh->r.rtt_after);
}

static void emit_publish(uint64_t *batch_ns, size_t nb, uint64_t failed)
{
    char extra[64];
    snprintf(extra, sizeof extra, "loan failures %" PRIu64, failed);
    /* blocked_after -1: iceoryx never blocks the writer here; a failed
     * loan shows in the eagain column. */
    bench_emit_publish(&o,
                       test == T_PUB_NONE   ? "iceoryx-none"
                       : test == T_PUB_POLL ? "iceoryx-poll"
                                            : "iceoryx-stopped",
                       batch_ns, nb, BATCH, -1, failed, extra);
}

static void emit_throughput(uint64_t failed)
{
    char extra[64];
    snprintf(extra, sizeof extra, "loan failures %" PRIu64, failed);
    bench_thr t = {
        .peer = "iceoryx",
        .capacity = o.capacity < IOX_QUEUE_MAX ? o.capacity : IOX_QUEUE_MAX,
        .received = sh->r.received, .lost = sh->r.lost, .t_start = sh->r.t_start,
        .t_writer_end = sh->r.t_writer_end, .t_reader_end = sh->r.t_reader_end,
        /* Every sample is either received or a gap in the numbers; a
         * failed loan is a sample never sent, counted as lost too. */
        .accounted = sh->r.received + sh->r.lost == o.count,
        .extra = extra,
    };
    bench_emit_throughput(&o, &t);
}

int main(int argc, char **argv)
{
    iox_pub_storage_t pst;
    iox_pub_t pub;
    msg m;
    pid_t pid = 0;
    uint64_t i, failed = 0, *t = NULL;
    size_t nb = 0, j;
    int k = -1, rc = 0;

    k = bench_parse_test(argc, argv, &o, test_names, test_defaults,
                         sizeof test_names / sizeof test_names[0],
                         "bench_iceoryx",
                         "Usage: bench_iceoryx TEST [OPTION]...\n"
                         "Eclipse iceoryx (C binding) as a peer; iox-roudi must run.\n"
                         "TEST: latency-poll latency-wait publish-none publish-poll "
                         "publish-stopped throughput\n"
                         "--capacity is the subscriber's queue (at most 256)");
    test = (enum test)k;
    /* A RouDi with its process monitoring on (its default; bench/roudi.sh
     * turns it off) removes a process whose keep-alive it has missed for
     * 1.5 s (iceoryx 2.0's PROCESS_KEEP_ALIVE_TIMEOUT): a subscriber
     * stopped that long is dropped, and once resumed it aborts or hangs in
     * its runtime's exit. Keep the SIGSTOP far shorter (about 1 us per
     * publish: 0.1 s). */
    if (test == T_PUB_STOPPED && o.count > 100000)
        o.count = 100000;
    msg_size = 16 + 8 * (size_t)o.width;
    warm = (test == T_LAT_POLL || test == T_LAT_WAIT)
               ? (o.count / 10 < 10000 ? o.count / 10 : 10000)
               : 0;
    total = warm + o.count;
    memset(&m, 0, sizeof m);
    for (j = 0; j < o.width; j++)
        m.v[j] = (double)j * 0.5;
    snprintf(event, sizeof event, "w%ld", (long)getpid());
    sh = bench_shared(sizeof *sh);
    bench_pin(o.wcpu);
    alarm((unsigned)(120 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));

    /* Fork before the writer's runtime exists: iceoryx's runtime has
     * threads and a connection to RouDi that a fork must not duplicate. */
    if (test != T_PUB_NONE)
        pid = bench_fork(o.rcpu, reader_main, NULL);
    runtime_init("w");
    pub = pub_open(&pst);
    if (test == T_LAT_POLL || test == T_LAT_WAIT)
        sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);
    if (pid > 0 && wait_connected(pub) != 0) {
        kill(pid, SIGKILL);
        bench_wait(pid);
        return 1;
    }

    switch (test) {
    case T_LAT_POLL:
    case T_LAT_WAIT: {
        struct timespec idle = {0, IDLE_NS};
        bench_pacer pace;
        nanosleep(&idle, NULL);
        bench_pacer_start(&pace, o.rate_hz);
        for (i = 0; i < total; i++) {
            bench_pacer_wait(&pace);
            m.seq = i;
            m.stamp = bench_now();
            while (send_one(pub, &m) != 0 && ++failed && i + 1 == total)
                ; /* the reader stops at the last one: it must go out */
        }
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }
    case T_PUB_NONE:
    case T_PUB_POLL:
    case T_PUB_STOPPED:
        nb = (size_t)(o.count / BATCH);
        if (nb == 0)
            nb = 1;
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        if (test == T_PUB_STOPPED) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL); /* let it fall asleep in the waitset */
            kill(pid, SIGSTOP);
        }
        for (j = 0, i = 0; j < nb; j++) {
            uint64_t t0 = bench_now(), n;
            for (n = 0; n < BATCH; n++, i++) {
                m.seq = i;
                m.stamp = i;
                failed += (uint64_t)send_one(pub, &m);
            }
            t[j] = bench_now() - t0;
        }
        break;
    case T_THROUGHPUT:
        sh->r.t_start = bench_now();
        for (i = 0; i < o.count; i++) {
            m.seq = i;
            m.stamp = i;
            while (send_one(pub, &m) != 0 && ++failed && i + 1 == o.count)
                ; /* the reader stops at the last one: it must go out */
        }
        sh->r.t_writer_end = bench_now();
        break;
    }

    if (pid > 0) {
        atomic_store(&sh->stop, 1);
        if (test == T_PUB_STOPPED) {
            /* Let it go and end cleanly (see reader_main's exit): one more
             * sample wakes its waitset if the queue was empty. */
            kill(pid, SIGCONT);
            (void)send_one(pub, &m);
        }
        rc = wait_reader(pid);
        if (test == T_PUB_STOPPED && rc != 0) {
            /* The figures are the writer's and complete; only the
             * subscriber's exit went wrong (see main). */
            fprintf(stderr, "bench_iceoryx: (publish-stopped: the writer's "
                            "figures stand)\n");
            rc = 0;
        }
    }
    iox_pub_deinit(pub); /* the runtime ends with the exit: runtime_init */
    if (rc != 0) {
        fprintf(stderr, "bench_iceoryx: %s: the reader failed\n",
                test_names[test]);
        return 1;
    }
    switch (test) {
    case T_LAT_POLL:
    case T_LAT_WAIT: emit_latency(); break;
    case T_THROUGHPUT: emit_throughput(failed); return sh->r.received + sh->r.lost == o.count ? 0 : 3;
    default: emit_publish(t, nb, failed); break;
    }
    free(t);
    return 0;
}
