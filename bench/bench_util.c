/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs (see bench_util.h). The peers
 * here are the plain POSIX channels a user would pick instead of shmseq;
 * each is set up the way its manual suggests, nothing tuned for the race.
 */
#define _GNU_SOURCE

#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <mqueue.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t parse_u64(const char *prog, const char *opt, const char *s)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') {
        fprintf(stderr, "%s: %s '%s': want a number\n", prog, opt, s);
        exit(2);
    }
    return (uint64_t)v;
}

static int parse_cpu(const char *prog, const char *opt, const char *s)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0' || v < -1 || v > 1023) {
        fprintf(stderr, "%s: %s '%s': want a CPU number or -1\n", prog, opt, s);
        exit(2);
    }
    return (int)v;
}

void bench_parse(int argc, char **argv, bench_opts *o, const char *usage)
{
    static const struct option longopts[] = {
        {"count", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},
        {"width", required_argument, NULL, 'w'},
        {"capacity", required_argument, NULL, 'c'},
        {"wcpu", required_argument, NULL, 'W'},
        {"rcpu", required_argument, NULL, 'R'},
        {"run", required_argument, NULL, 'i'},
        {"csv", required_argument, NULL, 'o'},
        {"readers", required_argument, NULL, 'N'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;

    while ((c = getopt_long(argc, argv, "n:r:w:c:W:R:i:o:N:h", longopts,
                            NULL)) != -1) {
        switch (c) {
        case 'n': o->count = parse_u64(argv[0], "--count", optarg); break;
        case 'r': o->rate_hz = parse_u64(argv[0], "--rate", optarg); break;
        case 'w':
            o->width = (uint32_t)parse_u64(argv[0], "--width", optarg);
            break;
        case 'c':
            o->capacity = (uint32_t)parse_u64(argv[0], "--capacity", optarg);
            break;
        case 'W': o->wcpu = parse_cpu(argv[0], "--wcpu", optarg); break;
        case 'R': o->rcpu = parse_cpu(argv[0], "--rcpu", optarg); break;
        case 'i': o->run = (int)parse_u64(argv[0], "--run", optarg); break;
        case 'o': o->csv = optarg; break;
        case 'N':
            o->readers = (uint32_t)parse_u64(argv[0], "--readers", optarg);
            break;
        case 'h':
            printf("%s\n"
                   "  -n, --count N     messages/samples (default %llu)\n"
                   "  -r, --rate HZ     writer pace, 0 = flat out (default %llu)\n"
                   "  -w, --width N     float64 values per message (default %u)\n"
                   "  -c, --capacity N  ring slots (default %u)\n"
                   "  -W, --wcpu N      writer CPU, -1 = no pinning (default %d)\n"
                   "  -R, --rcpu N      reader CPU (default %d)\n"
                   "  -i, --run N       run number for the CSV\n"
                   "  -o, --csv FILE    append the result rows to FILE\n"
                   "  -N, --readers N   reader processes, where it applies "
                   "(default 1)\n",
                   usage, (unsigned long long)o->count,
                   (unsigned long long)o->rate_hz, (unsigned)o->width,
                   (unsigned)o->capacity, o->wcpu, o->rcpu);
            exit(0);
        default:
            fprintf(stderr, "Try '%s --help'.\n", argv[0]);
            exit(2);
        }
    }
    if (o->readers == 0)
        o->readers = 1;
    if (o->readers > BENCH_READERS_MAX) {
        fprintf(stderr, "%s: --readers: want 1..%u\n", argv[0],
                BENCH_READERS_MAX);
        exit(2);
    }
    if (o->width < 1 || o->width > 64) {
        fprintf(stderr, "%s: --width: want 1..64\n", argv[0]);
        exit(2);
    }
    if (o->capacity < 2 || (o->capacity & (o->capacity - 1)) != 0) {
        fprintf(stderr, "%s: --capacity: want a power of two >= 2\n", argv[0]);
        exit(2);
    }
    if (o->count == 0) {
        fprintf(stderr, "%s: --count: want at least 1\n", argv[0]);
        exit(2);
    }
}

void bench_pin(int cpu)
{
    cpu_set_t set;

    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        fprintf(stderr, "bench: cannot pin to CPU %d: %s (unpinned)\n", cpu,
                strerror(errno));
}

uint64_t bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_spin_until(uint64_t t)
{
    uint64_t now;
    while ((now = bench_now()) < t)
        ;
    return now;
}

void *bench_shared(size_t size)
{
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("bench: mmap");
        exit(1);
    }
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static uint64_t pct(const uint64_t *v, size_t n, double p)
{
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

void bench_dist_of(uint64_t *v, size_t n, bench_dist *out)
{
    double sum = 0;
    size_t i;

    memset(out, 0, sizeof *out);
    if (n == 0)
        return;
    qsort(v, n, sizeof *v, cmp_u64);
    for (i = 0; i < n; i++)
        sum += (double)v[i];
    out->n = n;
    out->min = v[0];
    out->p50 = pct(v, n, 0.50);
    out->p99 = pct(v, n, 0.99);
    out->p999 = pct(v, n, 0.999);
    out->max = v[n - 1];
    out->mean = sum / (double)n;
}

pid_t bench_fork(int cpu, int (*fn)(void *), void *arg)
{
    pid_t pid;

    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(1);
    }
    if (pid == 0) {
        int rc;
        bench_pin(cpu);
        rc = fn(arg);
        fflush(NULL);
        _exit(rc);
    }
    return pid;
}

int bench_wait(pid_t pid)
{
    int st = 0;

    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st) && WTERMSIG(st) != SIGKILL)
        fprintf(stderr, "bench: child died of signal %d\n", WTERMSIG(st));
    return 1;
}

void bench_csv(const char *path, const char *header, const char *fmt, ...)
{
    FILE *f;
    va_list ap;
    struct stat st;

    if (path == NULL)
        return;
    f = fopen(path, "a");
    if (f == NULL) {
        fprintf(stderr, "bench: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (fstat(fileno(f), &st) == 0 && st.st_size == 0)
        fprintf(f, "%s\n", header);
    va_start(ap, fmt);
    vfprintf(f, fmt, ap);
    va_end(ap);
    fputc('\n', f);
    fclose(f);
}

int bench_peer_kind_of(const char *name)
{
    if (strcmp(name, "pipe") == 0)
        return BENCH_PIPE;
    if (strcmp(name, "uds") == 0)
        return BENCH_UDS;
    if (strcmp(name, "mq") == 0)
        return BENCH_MQ;
    return -1;
}

const char *bench_peer_name(enum bench_peer_kind k)
{
    switch (k) {
    case BENCH_PIPE: return "pipe";
    case BENCH_UDS: return "uds";
    case BENCH_MQ: return "mq";
    }
    return "?";
}

void bench_peer_open(bench_peer *p, enum bench_peer_kind k, size_t msg,
                     int nonblock_writer)
{
    int fds[2];

    memset(p, 0, sizeof *p);
    p->kind = k;
    p->msg = msg;
    p->rfd = p->wfd = -1;
    switch (k) {
    case BENCH_PIPE:
        if (pipe(fds) != 0) {
            perror("bench: pipe");
            exit(1);
        }
        p->rfd = fds[0];
        p->wfd = fds[1];
        break;
    case BENCH_UDS:
        /* SOCK_SEQPACKET keeps message boundaries, as a user would want. */
        if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, fds) != 0) {
            perror("bench: socketpair");
            exit(1);
        }
        p->rfd = fds[0];
        p->wfd = fds[1];
        break;
    case BENCH_MQ: {
        struct mq_attr a;
        memset(&a, 0, sizeof a);
        a.mq_maxmsg = 10; /* the default /proc/sys/fs/mqueue/msg_max */
        a.mq_msgsize = (long)msg;
        snprintf(p->mq_name, sizeof p->mq_name, "/shmseq-bench.%ld",
                 (long)getpid());
        mq_unlink(p->mq_name);
        p->rfd = mq_open(p->mq_name, O_RDONLY | O_CREAT | O_EXCL, 0600, &a);
        if (p->rfd < 0) {
            perror("bench: mq_open");
            exit(1);
        }
        p->wfd = mq_open(p->mq_name, O_WRONLY);
        if (p->wfd < 0) {
            perror("bench: mq_open");
            exit(1);
        }
        mq_unlink(p->mq_name); /* gone once both ends close */
        break;
    }
    }
    if (nonblock_writer) {
        if (k == BENCH_MQ) {
            struct mq_attr a;
            memset(&a, 0, sizeof a);
            a.mq_flags = O_NONBLOCK;
            mq_setattr(p->wfd, &a, NULL);
        } else {
            int fl = fcntl(p->wfd, F_GETFL);
            fcntl(p->wfd, F_SETFL, fl | O_NONBLOCK);
        }
    }
}

static void close_end(bench_peer *p, int *fd)
{
    if (*fd < 0)
        return;
    if (p->kind == BENCH_MQ)
        mq_close(*fd);
    else
        close(*fd);
    *fd = -1;
}

void bench_peer_keep_reader(bench_peer *p) { close_end(p, &p->wfd); }
void bench_peer_keep_writer(bench_peer *p) { close_end(p, &p->rfd); }

int bench_peer_send(bench_peer *p, const void *buf)
{
    for (;;) {
        ssize_t n;
        if (p->kind == BENCH_MQ)
            n = mq_send(p->wfd, buf, p->msg, 0) == 0 ? (ssize_t)p->msg : -1;
        else
            n = write(p->wfd, buf, p->msg);
        if (n == (ssize_t)p->msg)
            return 0;
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return -EAGAIN;
        /* A short pipe write cannot happen for msg <= PIPE_BUF. */
        perror("bench: send");
        exit(1);
    }
}

int bench_peer_recv(bench_peer *p, void *buf)
{
    for (;;) {
        ssize_t n;
        if (p->kind == BENCH_MQ)
            n = mq_receive(p->rfd, buf, p->msg, NULL);
        else
            n = read(p->rfd, buf, p->msg);
        if (n == (ssize_t)p->msg)
            return 0;
        if (n == 0)
            return -1;
        if (n < 0 && errno == EINTR)
            continue;
        if (n > 0 && p->kind == BENCH_PIPE) {
            /* A pipe is a byte stream: finish the message. */
            size_t got = (size_t)n;
            while (got < p->msg) {
                n = read(p->rfd, (char *)buf + got, p->msg - got);
                if (n <= 0 && !(n < 0 && errno == EINTR))
                    return -1;
                if (n > 0)
                    got += (size_t)n;
            }
            return 0;
        }
        perror("bench: recv");
        exit(1);
    }
}

void bench_peer_close(bench_peer *p)
{
    close_end(p, &p->rfd);
    close_end(p, &p->wfd);
}

/* ---- floor probe and latency rows ---------------------------------------- */

void bench_probe_reader(void *word, unsigned phase)
{
    atomic_uint *w = word;
    unsigned base = phase * 2u * BENCH_PROBE_ROUNDS;
    for (unsigned i = 0; i < BENCH_PROBE_ROUNDS; i++) {
        while (atomic_load_explicit(w, memory_order_acquire) != base + 2 * i + 1)
            ;
        atomic_store_explicit(w, base + 2 * i + 2, memory_order_release);
    }
}

uint64_t bench_probe_writer(void *word, unsigned phase)
{
    static uint64_t rtt[BENCH_PROBE_ROUNDS];
    atomic_uint *w = word;
    unsigned base = phase * 2u * BENCH_PROBE_ROUNDS;
    bench_dist d;
    for (unsigned i = 0; i < BENCH_PROBE_ROUNDS; i++) {
        uint64_t t0 = bench_now();
        atomic_store_explicit(w, base + 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(w, memory_order_acquire) != base + 2 * i + 2)
            ;
        rtt[i] = bench_now() - t0;
    }
    bench_dist_of(rtt, BENCH_PROBE_ROUNDS, &d);
    return d.p50;
}

void bench_emit_latency(const char *csv, const char *name, unsigned width,
                        int run, const bench_dist *d, uint64_t lost,
                        double idle_cpu_pct, uint64_t rtt0, uint64_t rtt1)
{
    printf("%-16s width %2u  n %7" PRIu64 "  lost %6" PRIu64
           "  min %7" PRIu64 "  p50 %7" PRIu64 "  p99 %8" PRIu64
           "  p99.9 %8" PRIu64 "  max %9" PRIu64 " ns  idle-cpu %5.1f%%",
           name, width, d->n, lost, d->min, d->p50, d->p99, d->p999, d->max,
           idle_cpu_pct);
    if (rtt0 != 0)
        printf("  line-rtt before/after %" PRIu64 "/%" PRIu64 " ns", rtt0, rtt1);
    putchar('\n');
    bench_csv(csv,
              "peer,width,run,n,lost,min_ns,p50_ns,p99_ns,p999_ns,max_ns,"
              "mean_ns,idle_cpu_pct,rtt_before_ns,rtt_after_ns",
              "%s,%u,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
              ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%.1f,%.1f,%" PRIu64
              ",%" PRIu64,
              name, width, run, d->n, lost, d->min, d->p50, d->p99, d->p999,
              d->max, d->mean, idle_cpu_pct, rtt0, rtt1);
}

int bench_parse_test(int argc, char **argv, bench_opts *o,
                     const char *const *names, const uint64_t (*defaults)[2],
                     size_t n, const char *prog, const char *usage)
{
    int k = -1;
    for (int j = 1; j < argc && k < 0; j++)
        for (size_t i = 0; i < n; i++)
            if (strcmp(argv[j], names[i]) == 0)
                k = (int)i;
    if (k >= 0) {
        o->count = defaults[k][0];
        o->rate_hz = defaults[k][1];
    }
    bench_parse(argc, argv, o, usage);
    if (k < 0 || optind + 1 != argc || strcmp(argv[optind], names[k]) != 0) {
        fprintf(stderr, "%s: want one TEST (see --help)\n", prog);
        exit(2);
    }
    return k;
}

void bench_emit_publish(const bench_opts *o, const char *mode,
                        uint64_t *batch_ns, size_t nb, unsigned batch,
                        long long blocked_after, uint64_t eagain,
                        const char *extra)
{
    bench_dist d;
    double min, p50, mean;

    bench_dist_of(batch_ns, nb, &d);
    min = (double)d.min / batch;
    p50 = (double)d.p50 / batch;
    mean = d.mean / batch;
    printf("%-15s width %2u  n %8" PRIu64 "  ns/op p50 %7.2f  min %7.2f"
           "  mean %7.2f", mode, (unsigned)o->width, (uint64_t)nb * batch,
           p50, min, mean);
    if (blocked_after >= 0)
        printf("  blocks after %lld  EAGAIN %" PRIu64, blocked_after, eagain);
    if (extra != NULL)
        printf("  %s", extra);
    putchar('\n');
    bench_csv(o->csv,
              "mode,width,run,n,ns_op_p50,ns_op_min,ns_op_mean,"
              "blocked_after,eagain",
              "%s,%u,%d,%" PRIu64 ",%.3f,%.3f,%.3f,%lld,%" PRIu64, mode,
              (unsigned)o->width, o->run, (uint64_t)nb * batch, p50, min, mean,
              blocked_after, eagain);
}

void bench_emit_throughput(const bench_opts *o, const bench_thr *t)
{
    double secs = (double)(t->t_reader_end - t->t_start) / 1e9;
    double wsecs = (double)(t->t_writer_end - t->t_start) / 1e9;
    double rate = secs > 0 ? (double)t->received / secs : 0;
    double wrate = wsecs > 0 ? (double)o->count / wsecs : 0;

    printf("%-7s capacity %6u  rate %9" PRIu64 "  published %9" PRIu64
           "  received %9" PRIu64 "  lost %9" PRIu64
           "  delivered %7.2f M/s  writer %7.2f M/s  accounted %s",
           t->peer, t->capacity, o->rate_hz, o->count, t->received, t->lost,
           rate / 1e6, wrate / 1e6, t->accounted ? "yes" : "NO");
    if (t->rtt_before != 0)
        printf("  line-rtt before/after %" PRIu64 "/%" PRIu64 " ns",
               t->rtt_before, t->rtt_after);
    if (t->stall_known)
        printf("  reader stall max %.1f us", (double)t->max_stall_ns / 1e3);
    if (t->region_bytes != 0)
        printf("  region %" PRIu64 " B", t->region_bytes);
    if (t->extra != NULL)
        printf("  %s", t->extra);
    putchar('\n');
    bench_csv(o->csv,
              "peer,capacity,rate_hz,run,n,received,lost,delivered_per_s,"
              "writer_per_s,accounted,rtt_before_ns,rtt_after_ns,max_stall_ns,"
              "width,region_bytes",
              "%s,%u,%" PRIu64 ",%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64
              ",%.0f,%.0f,%d,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64,
              t->peer, t->capacity, o->rate_hz, o->run, o->count, t->received,
              t->lost, rate, wrate, t->accounted, t->rtt_before, t->rtt_after,
              t->stall_known ? t->max_stall_ns : 0, (unsigned)o->width,
              t->region_bytes);
}

void bench_pacer_start(bench_pacer *p, uint64_t rate_hz)
{
    p->period = rate_hz ? 1000000000u / rate_hz : 0;
    p->next = bench_now();
}

void bench_pacer_wait(bench_pacer *p)
{
    if (p->period == 0)
        return;
    uint64_t now = bench_now();
    if (now > p->next + p->period)
        p->next = now; /* late: no catch-up burst */
    else
        bench_spin_until(p->next);
    p->next += p->period;
}

double bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
