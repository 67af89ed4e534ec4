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

#include "bench_harness.h"

#define LINGER_MS 2000     /* a close never waits longer for a peer */
#define SNDTIMEO_MS 500    /* a blocked send checks on the reader this often */
#define HELLO (UINT64_MAX - 1) /* the handshake message's number */
#define LAST UINT64_MAX          /* publish: the end of the stream */

enum test { T_LATENCY, T_PUBLISH, T_THROUGHPUT };

static const char *const test_names[] = {"latency", "publish", "throughput"};
/* {count, rate_hz} per TEST: those of bench_latency, bench_publish and
 * bench_throughput. */
static const uint64_t test_defaults[][2] = {
    {200000, 100000}, {200000, 0}, {1000000, 0},
};
static const bench_tests tests = {
    .names = test_names, .defaults = test_defaults,
    .n = sizeof test_names / sizeof test_names[0],
    .latency = 1u << T_LATENCY, .batched = 1u << T_PUBLISH,
    .prog = "bench_zmq",
    .usage = "Usage: bench_zmq TEST [OPTION]...\n"
             "ZeroMQ PUSH/PULL over ipc:// as a peer.\n"
             "TEST: latency publish throughput\n"
             "--capacity does not apply: ZeroMQ's default high-water "
             "marks",
};

/* Shared between the writer and the reader (anonymous shared mapping). */
typedef struct ctl {
    atomic_uint bound; /* the writer listens: the reader may connect */
    atomic_uint ready; /* the reader got the handshake */
    atomic_uint go;    /* publish: the reader may start draining */
    atomic_uint done;  /* the reader has its last message */
    bench_result r; /* counts, stamps, floor probe */
} ctl;

/* .capacity: unused (ZeroMQ's own high-water marks), a value bench_parse
 * accepts */
static bench_opts o = {
    .count = 1, .rate_hz = 0, .width = 1, .capacity = 1024,
    .wcpu = 0, .rcpu = 1, .run = 1, .csv = NULL,
};
static ctl *sh;
static bench_plan p;
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
    bench_rx rx;
    void *ctx, *sock;
    bench_msg m;

    (void)arg;
    bench_alarm(60, p.total, o.rate_hz);
    if (bench_rx_start(&rx, &sh->r, p.latency ? o.count : 0, p.warm) != 0)
        return 1;
    if (p.test != T_PUBLISH)
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
    bench_rx_idle(&rx);
    atomic_store(&sh->ready, 1);
    if (p.test == T_PUBLISH)
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
        if ((size_t)n != p.msg_size) {
            fprintf(stderr, "bench_zmq: a message of %d bytes, want %zu\n", n,
                    p.msg_size);
            return 1;
        }
        if (p.test == T_PUBLISH) {
            if (m.seq == LAST)
                break;
            continue;
        }
        bench_rx_take(&rx, m.seq, m.stamp, now);
        if (m.seq + 1 >= p.total)
            break;
    }
    bench_rx_end(&rx);
    atomic_store(&sh->done, 1);
    if (p.test != T_PUBLISH)
        bench_probe_reader(&sh->r.probe, 1);
    zmq_close(sock);
    zmq_ctx_term(ctx);
    return 0;
}

/* ---- writer ------------------------------------------------------------ */

/* A blocking send; the socket's ZMQ_SNDTIMEO makes it look up now and
 * then whether the reader is still there: 0, or -1 if it died. */
static int send_blocking(void *sock, const bench_msg *m)
{
    while (zmq_send(sock, m, p.msg_size, 0) < 0) {
        if (zmq_errno() == EAGAIN && reader_gone())
            return -1;
        if (zmq_errno() != EINTR && zmq_errno() != EAGAIN)
            die("writer: zmq_send");
    }
    return 0;
}

/* 0 sent, 1 the queues are full (EAGAIN). */
static int send_nowait(void *sock, const bench_msg *m)
{
    if (zmq_send(sock, m, p.msg_size, ZMQ_DONTWAIT) >= 0)
        return 0;
    if (zmq_errno() == EAGAIN)
        return 1;
    if (zmq_errno() == EINTR)
        return 1;
    die("writer: zmq_send");
    return 1;
}

/* publish: a non-blocking send retried until it goes (the retries
 * counted); 1 once the reader has died, and from then on. */
typedef struct retry_ctx {
    void *sock;
    uint64_t eagain;
    int gone;
} retry_ctx;

static int send_retrying(void *ctx, const bench_msg *m)
{
    retry_ctx *c = ctx;

    while (!c->gone && send_nowait(c->sock, m) != 0)
        if ((++c->eagain & 0xfffffu) == 0 && reader_gone())
            c->gone = 1;
    return c->gone;
}

/* publish: how many messages a reader that does not receive takes before
 * the writer would block. ZeroMQ's I/O threads move messages from the
 * writer's queue to the socket and into the reader's queue concurrently,
 * so EAGAIN is final only once a pause lets them settle and still nothing
 * goes in. */
static long long fill(void *sock, bench_msg *m)
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
    bench_msg m;
    pid_t pid;
    void *ctx, *sock;
    uint64_t *t = NULL;
    long long filled = -1;
    size_t nb = 0;
    retry_ctx rc_pub = {0};
    const char *tmp;
    int rc;

    bench_begin(argc, argv, &o, &tests, &p, &m);

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
    bench_alarm(120, p.total, o.rate_hz);

    /* Fork before any context exists: a context has threads. */
    pid = bench_fork(o.rcpu, reader_main, NULL);
    reader_pid = pid;
    signal(SIGALRM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (p.test != T_PUBLISH)
        sh->r.rtt_before = bench_probe_writer(&sh->r.probe, 0);

    ctx = zmq_ctx_new();
    if (ctx == NULL)
        die("zmq_ctx_new");
    /* Before the first socket starts the I/O thread (see the top). */
    if ((p.test != T_THROUGHPUT || o.rate_hz > 0) && o.rcpu >= 0 &&
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

    switch (p.test) {
    case T_LATENCY: {
        struct timespec idle = {0, BENCH_IDLE_NS};
        nanosleep(&idle, NULL);
        if (bench_stream(&o, &m, p.total, 1, send_blocking, sock) != 0 ||
            await(&sh->done) != 0)
            goto out;
        sh->r.rtt_after = bench_probe_writer(&sh->r.probe, 1);
        break;
    }
    case T_PUBLISH:
        filled = fill(sock, &m);
        atomic_store(&sh->go, 1);
        nb = (size_t)(o.count / BENCH_BATCH);
        t = calloc(nb, sizeof *t);
        if (t == NULL)
            return 1;
        rc_pub.sock = sock;
        if (bench_batches(t, nb, &m, 0, send_retrying, &rc_pub) != 0)
            goto out;
        m.seq = LAST;
        (void)send_blocking(sock, &m); /* if it died, bench_wait says so */
        break;
    case T_THROUGHPUT:
        sh->r.t_start = bench_now();
        if (bench_stream(&o, &m, o.count, 0, send_blocking, sock) != 0)
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
        fprintf(stderr, "bench_zmq: %s: the reader failed\n", test_names[p.test]);
        free(t);
        return 1;
    }
    switch (p.test) {
    case T_LATENCY:
        bench_emit_rx_latency(&o, "zmq-ipc", &sh->r);
        break;
    case T_THROUGHPUT:
        rc = bench_emit_rx_throughput(&o, &sh->r, "zmq-ipc", (unsigned)hwm,
                                      "(blocking writer at the high-water "
                                      "mark)");
        break;
    case T_PUBLISH:
        bench_emit_publish(&o, "zmq-ipc", t, nb, BENCH_BATCH, filled,
                           rc_pub.eagain, NULL);
        break;
    }
    free(t);
    return rc;
}
