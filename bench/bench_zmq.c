/* SPDX-License-Identifier: MIT */
/*
 * bench_zmq: ZeroMQ over ipc:// (a UNIX socket with ZeroMQ's framing, I/O
 * threads and queues) as a peer of shmseq: what a user would pick for
 * "messages between two processes on one host" from a messaging library.
 * A PUSH socket in the writer process, a PULL socket in the reader
 * process; the message is the one the other programs send (sample number,
 * timestamp, --width float64). Measured the way bench_latency,
 * bench_publish and bench_throughput measure the others, writing the same
 * CSV rows (peer or mode zmq-ipc), so bench/table.sh puts it in the same
 * table.
 *
 *   latency     one-way latency, the reader blocks in zmq_recv
 *   publish     a non-blocking writer (ZMQ_DONTWAIT): first with a
 *               connected reader that does not receive, until the queues
 *               are full ("blocks after N", like the pipe row), then with
 *               the reader draining (EAGAIN retries counted)
 *   throughput  the writer flat out with blocking sends: at the high-water
 *               mark (ZeroMQ's default, 1000 messages on each socket) it
 *               waits for the reader, so nothing is lost
 *
 * ZeroMQ is set up as its guide suggests, nothing tuned: one I/O thread
 * per context, default options (high-water marks included; --capacity
 * does not apply) but a bounded linger. Contexts own threads, so the
 * processes fork before either creates one. Each process is pinned to its
 * CPU, its I/O thread too, except the writer's I/O thread whenever the
 * writer's own thread spins (latency and a paced throughput: the pacing
 * of bench_latency; publish: the EAGAIN retries of bench_publish): there
 * it runs on the reader's CPU, as it would otherwise starve the thread
 * that does ZeroMQ's socket writes (measured here: latency p99 about 4 ms
 * instead of 0.14 ms, 6.5 us per publish instead of 1.2 us). Flat out, the
 * writer blocks at the high-water mark, and its I/O thread does best
 * beside it. The reader
 * sleeps in zmq_recv, leaving its CPU to the I/O threads. The socket is a
 * file in a private directory under $TMPDIR, removed at exit. Built only
 * when libzmq is found.
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

#include <zmq.h>

#include "bench_util.h"

#define IDLE_NS 200000000u /* writer idle before the latency stream */
#define BATCH 1000u        /* publishes per timed batch (bench_publish) */
#define LINGER_MS 2000     /* a close never waits longer for a peer */
#define SNDTIMEO_MS 500    /* a blocked send checks on the reader this often */
#define HELLO (UINT64_MAX - 1) /* the handshake message's number */
#define LAST UINT64_MAX          /* publish: the end of the stream */

typedef struct msg {
    uint64_t seq;
    uint64_t stamp;
    double v[64];
} msg;

enum test { T_LATENCY, T_PUBLISH, T_THROUGHPUT };

static const char *const test_names[] = {"latency", "publish", "throughput"};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish and
 * bench_throughput. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {200000, 0}, {1000000, 0},
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint bound; /* the writer listens: the reader may connect */
    atomic_uint ready; /* the reader got the handshake */
    atomic_uint go;    /* publish: the reader may start draining */
    atomic_uint done;  /* the reader has its last message */
    bench_result r; /* counts, stamps, floor probe */
} ctl;

static enum test test;
/* .capacity: unused (ZeroMQ's own high-water marks), a value bench_parse
 * accepts */
static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = 1024,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static uint64_t warm, total;
static size_t msg_size;
/* The ipc:// endpoint: a socket file in a private directory. */
static char dir[96], sock_path[128], endpoint[160];
static pid_t parent; /* the writer: only it removes the directory */
static int hwm;      /* the writer socket's high-water mark, as read back */
static pid_t reader_pid; /* in the writer: the reader's pid */

/* In the writer: whether the reader has exited (not reaped: bench_wait
 * still gets its status). */
static int reader_gone(void)
{
    siginfo_t si;

    if (reader_pid <= 0)
        return 0;
    memset(&si, 0, sizeof si);
    return waitid(P_PID, (id_t)reader_pid, &si,
                  WEXITED | WNOHANG | WNOWAIT) == 0 &&
           si.si_pid == reader_pid;
}

/* Wait for a flag without spinning: the process's ZeroMQ I/O thread
 * shares the CPU. In the writer, a reader that died ends the wait
 * (returns -1; bench_wait then reports it). */
static int await(atomic_uint *flag)
{
    struct timespec t = {0, 100000};
    while (!atomic_load(flag)) {
        if (reader_gone())
            return -1;
        nanosleep(&t, NULL);
    }
    return 0;
}

/* Both ends of the socket file go: unlink and rmdir are async-signal-safe,
 * so this also runs from the signal handler. */
static void cleanup(void)
{
    if (sock_path[0] != '\0')
        (void)unlink(sock_path);
    if (dir[0] != '\0')
        (void)rmdir(dir);
}

static void on_signal(int sig)
{
    if (reader_pid > 0)
        (void)kill(reader_pid, SIGKILL); /* it may wait in zmq_recv */
    cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static int set_int(void *sock, int opt, int v)
{
    return zmq_setsockopt(sock, opt, &v, sizeof v);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_zmq: %s: %s\n", what, zmq_strerror(zmq_errno()));
    fflush(NULL);
    if (getpid() != parent)
        _exit(1); /* the reader: the writer's atexit cleans up */
    exit(1);
}

/* ---- reader ------------------------------------------------------------ */

static int reader_main(void *arg)
{
    uint64_t *lat = NULL, nrec = 0, prev = UINT64_MAX, idle_t0 = 0;
    double idle_c0 = 0;
    int latency = test == T_LATENCY, first = 1;
    void *ctx, *sock;
    msg m;

    (void)arg;
    alarm((unsigned)(60 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));
    if (latency && (lat = calloc((size_t)o.count, sizeof *lat)) == NULL)
        return 1;
    if (test != T_PUBLISH)
        bench_probe_reader(&sh->r.probe, 0);
    (void)await(&sh->bound);
    ctx = zmq_ctx_new();
    if (ctx == NULL)
        die("reader: zmq_ctx_new");
    sock = zmq_socket(ctx, ZMQ_PULL);
    if (sock == NULL || set_int(sock, ZMQ_LINGER, LINGER_MS) != 0 ||
        zmq_connect(sock, endpoint) != 0)
        die("reader: PULL socket");
    /* The handshake: after it the connection exists both ways. */
    while (zmq_recv(sock, &m, sizeof m, 0) < 0)
        if (zmq_errno() != EINTR)
            die("reader: zmq_recv");
    idle_c0 = bench_cpu_ns();
    idle_t0 = bench_now();
    atomic_store(&sh->ready, 1);
    if (test == T_PUBLISH)
        (void)await(&sh->go);

    for (;;) {
        uint64_t now;
        int n = zmq_recv(sock, &m, sizeof m, 0);

        if (n < 0) {
            if (zmq_errno() == EINTR)
                continue;
            die("reader: zmq_recv");
        }
        now = bench_now();
        if ((size_t)n != msg_size) {
            fprintf(stderr, "bench_zmq: a message of %d bytes, want %zu\n", n,
                    msg_size);
            return 1;
        }
        if (test == T_PUBLISH) {
            if (m.seq == LAST)
                break;
            continue;
        }
        if (first) {
            double wall = (double)(now - idle_t0);
            first = 0;
            sh->r.idle_cpu_pct =
                wall > 0 ? 100.0 * (bench_cpu_ns() - idle_c0) / wall : 0;
        }
        if (prev != UINT64_MAX && m.seq > prev + 1)
            sh->r.lost += m.seq - prev - 1;
        else if (prev == UINT64_MAX && m.seq > 0)
            sh->r.lost += m.seq;
        prev = m.seq;
        sh->r.received++;
        if (latency && m.seq >= warm && nrec < o.count)
            lat[nrec++] = now >= m.stamp ? now - m.stamp : 0;
        if (m.seq + 1 >= total)
            break;
    }
    sh->r.t_reader_end = bench_now();
    atomic_store(&sh->done, 1);
    if (test != T_PUBLISH)
        bench_probe_reader(&sh->r.probe, 1);
    if (latency)
        bench_dist_of(lat, (size_t)nrec, &sh->r.d);
    free(lat);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- writer ------------------------------------------------------------ */

/* A blocking send; the socket's ZMQ_SNDTIMEO makes it look up now and
 * then whether the reader is still there: 0, or -1 if it died. */
static int send_blocking(void *sock, const msg *m)
{
    while (zmq_send(sock, m, msg_size, 0) < 0) {
        if (zmq_errno() == EAGAIN && reader_gone())
            return -1;
        if (zmq_errno() != EINTR && zmq_errno() != EAGAIN)
            die("writer: zmq_send");
    }
    return 0;
}

/* 0 sent, 1 the queues are full (EAGAIN). */
static int send_nowait(void *sock, const msg *m)
{
    if (zmq_send(sock, m, msg_size, ZMQ_DONTWAIT) >= 0)
        return 0;
    if (zmq_errno() == EAGAIN)
        return 1;
    if (zmq_errno() == EINTR)
        return 1;
    die("writer: zmq_send");
    return 1;
}

static void emit_publish(uint64_t *batch_ns, size_t nb,
                         long long blocked_after, uint64_t eagain)
{
    bench_emit_publish(&o, "zmq-ipc", batch_ns, nb, BATCH, blocked_after,
                       eagain, NULL);
}

static int emit_throughput(void)
{
    bench_thr t = {
        .peer = "zmq-ipc", .capacity = (unsigned)hwm,
        .received = sh->r.received, .lost = sh->r.lost, .t_start = sh->r.t_start,
        .t_writer_end = sh->r.t_writer_end, .t_reader_end = sh->r.t_reader_end,
        .accounted = sh->r.received + sh->r.lost == o.count,
        .rtt_before = sh->r.rtt_before, .rtt_after = sh->r.rtt_after,
        .extra = "(blocking writer at the high-water mark)",
    };
    bench_emit_throughput(&o, &t);
    return t.accounted ? 0 : 3;
}

/* Paced (rate_hz) or flat-out stream of n samples, blocking sends: 0, or
 * -1 if the reader died. */
static int stream(void *sock, msg *m, uint64_t n, int stamp_now)
{
    bench_pacer pace;
    uint64_t i;

    bench_pacer_start(&pace, o.rate_hz);
    for (i = 0; i < n; i++) {
        bench_pacer_wait(&pace);
        m->seq = i;
        m->stamp = stamp_now ? bench_now() : i;
        if (send_blocking(sock, m) != 0)
            return -1;
    }
    return 0;
}

/* publish: how many messages a reader that does not receive takes before
 * the writer would block. ZeroMQ's I/O threads move messages from the
 * writer's queue to the socket and into the reader's queue concurrently,
 * so EAGAIN is final only once a pause lets them settle and still nothing
 * goes in. */
static long long fill(void *sock, msg *m)
{
    struct timespec settle = {0, 20000000};
    long long n = 0;

    for (;;) {
        m->seq = (uint64_t)n;
        if (send_nowait(sock, m) == 0) {
            n++;
            continue;
        }
        nanosleep(&settle, NULL);
        if (send_nowait(sock, m) != 0)
            return n;
        n++;
    }
}

int main(int argc, char **argv)
{
    msg m;
    pid_t pid;
    void *ctx, *sock;
    uint64_t i, *t = NULL, eagain = 0;
    long long filled = -1;
    size_t nb = 0, j;
    const char *tmp;
    int k = -1, rc;

    k = bench_parse_test(argc, argv, &o, test_names, test_defaults,
                         sizeof test_names / sizeof test_names[0],
                         "bench_zmq",
                         "Usage: bench_zmq TEST [OPTION]...\n"
                         "ZeroMQ PUSH/PULL over ipc:// as a peer.\n"
                         "TEST: latency publish throughput\n"
                         "--capacity does not apply: ZeroMQ's default high-water "
                         "marks");
    test = (enum test)k;
    if (test == T_PUBLISH && o.count < BATCH)
        o.count = BATCH;
    msg_size = 16 + 8 * (size_t)o.width;
    warm = test == T_LATENCY ? (o.count / 10 < 10000 ? o.count / 10 : 10000)
                             : 0;
    total = warm + o.count;
    memset(&m, 0, sizeof m);
    for (j = 0; j < o.width; j++)
        m.v[j] = (double)j * 0.5;

    tmp = getenv("TMPDIR");
    if (tmp == NULL || tmp[0] == '\0')
        tmp = P_tmpdir;
    if ((size_t)snprintf(dir, sizeof dir, "%s/shmseq-bench-zmq.XXXXXX", tmp) >=
            sizeof dir ||
        mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_zmq: cannot make a directory under %s\n", tmp);
        dir[0] = '\0';
        return 1;
    }
    parent = getpid();
    atexit(cleanup);
    snprintf(sock_path, sizeof sock_path, "%s/s", dir);
    snprintf(endpoint, sizeof endpoint, "ipc://%s", sock_path);

    sh = bench_shared(sizeof *sh);
    bench_pin(o.wcpu);
    alarm((unsigned)(120 + 4 * total / (o.rate_hz ? o.rate_hz : 100000)));

    /* Fork before any context exists: a context has threads. */
    pid = bench_fork(o.rcpu, reader_main, NULL);
    reader_pid = pid;
    signal(SIGALRM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (test != T_PUBLISH)
        sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);

    ctx = zmq_ctx_new();
    if (ctx == NULL)
        die("zmq_ctx_new");
    /* Before the first socket starts the I/O thread (see the top). */
    if ((test != T_THROUGHPUT || o.rate_hz > 0) && o.rcpu >= 0 &&
        o.rcpu != o.wcpu &&
        zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, o.rcpu) != 0)
        die("ZMQ_THREAD_AFFINITY_CPU_ADD");
    sock = zmq_socket(ctx, ZMQ_PUSH);
    if (sock == NULL || set_int(sock, ZMQ_LINGER, LINGER_MS) != 0 ||
        set_int(sock, ZMQ_SNDTIMEO, SNDTIMEO_MS) != 0 ||
        zmq_bind(sock, endpoint) != 0)
        die("writer: PUSH socket");
    {
        size_t len = sizeof hwm;
        if (zmq_getsockopt(sock, ZMQ_SNDHWM, &hwm, &len) != 0)
            die("writer: ZMQ_SNDHWM");
    }
    atomic_store(&sh->bound, 1);
    /* A PUSH socket holds a message until a peer is connected. */
    m.seq = HELLO;
    if (send_blocking(sock, &m) != 0 || await(&sh->ready) != 0)
        goto out;

    switch (test) {
    case T_LATENCY: {
        struct timespec idle = {0, IDLE_NS};
        nanosleep(&idle, NULL);
        if (stream(sock, &m, total, 1) != 0 || await(&sh->done) != 0)
            goto out;
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }
    case T_PUBLISH:
        filled = fill(sock, &m);
        atomic_store(&sh->go, 1);
        nb = (size_t)(o.count / BATCH);
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        for (j = 0, i = 0; j < nb; j++) {
            uint64_t t0 = bench_now(), n;
            for (n = 0; n < BATCH; n++, i++) {
                m.seq = i;
                m.stamp = i;
                while (send_nowait(sock, &m) != 0)
                    if ((++eagain & 0xfffffu) == 0 && reader_gone())
                        goto out;
            }
            t[j] = bench_now() - t0;
        }
        m.seq = LAST;
        (void)send_blocking(sock, &m); /* if it died, bench_wait says so */
        break;
    case T_THROUGHPUT:
        sh->r.t_start = bench_now();
        if (stream(sock, &m, o.count, 0) != 0)
            goto out;
        sh->r.t_writer_end = bench_now();
        if (await(&sh->done) != 0)
            goto out;
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }

out:
    rc = bench_wait(pid);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    if (rc != 0) {
        fprintf(stderr, "bench_zmq: %s: the reader failed\n", test_names[test]);
        free(t);
        return 1;
    }
    switch (test) {
    case T_LATENCY:
        bench_emit_latency(o.csv, "zmq-ipc", (unsigned)o.width, o.run, &sh->r.d,
                           sh->r.lost, sh->r.idle_cpu_pct, sh->r.rtt_before,
                           sh->r.rtt_after);
        break;
    case T_THROUGHPUT:
        rc = emit_throughput();
        break;
    case T_PUBLISH:
        emit_publish(t, nb, filled, eagain);
        break;
    }
    free(t);
    return rc;
}
