/* SPDX-License-Identifier: MIT */
/*
 * abi_peer: one side of the mixed-ABI test (README.md, invariant 6). The
 * same source is built for every target (x86_64, aarch64, armhf, riscv64);
 * tests/abi/run.sh starts a writer of one ABI and readers of others, the
 * foreign ones under qemu-user, all on one region at the same time. If any
 * ABI laid the region out differently, or split a 64-bit quantity
 * differently, the readers would see wrong words, and every word is checked.
 *
 *   abi_peer writer --name N --samples S [--width W] [--capacity C]
 *                   [--rate HZ] [--wait-ready FILE]... [--timeout SEC]
 *                   [--crash-after K]
 *   abi_peer reader --name N --expect S [--mode wait|poll|latest]
 *                   [--timeout SEC] [--width W] [--first F] [--ready FILE]
 *                   [--no-loss]
 *   abi_peer selftest [--samples S]
 *   abi_peer abi
 *
 * Sample n carries values and a timestamp derived from n alone
 * (tests/common/shmseq_test.h), so a reader verifies each sample bit for
 * bit without talking to the writer. A reader attaches from the oldest
 * sample, reads until it has had sample S-1 (or the writer is gone and
 * nothing is left), checks that sample numbers follow as
 * previous + 1 + lost, and that received + lost == S - first. It prints one
 * result line, naming the ABI it was built for, and exits 0 only on PASS.
 *
 * A reader given --ready creates that file once attached; a writer given
 * --wait-ready waits for those files before publishing its first sample,
 * so the readers provably attached before sample 0 (first == 0). selftest
 * forks one writer and three readers (one per read mode) of this very
 * binary, so ctest exercises the program on every target.
 */
#define _GNU_SOURCE

#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <shmseq/shmseq.h>

#include "shmseq_torture.h"

#define DEFAULT_WIDTH 5u
#define DEFAULT_CAPACITY 64u
#define DEFAULT_TIMEOUT_S 120.0
#define MAX_READY 16
#define SELF_READERS 3

/* ---- the ABI this binary was built for ----------------------------------- */

static const char *arch_name(void)
{
#if defined(__x86_64__) && defined(__ILP32__)
    return "x32";
#elif defined(__x86_64__)
    return "x86_64";
#elif defined(__i386__)
    return "i386";
#elif defined(__aarch64__)
    return "aarch64";
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
    return "armhf";
#elif defined(__arm__)
    return "armel";
#elif defined(__riscv) && defined(__riscv_xlen) && __riscv_xlen == 64
    return "riscv64";
#elif defined(__riscv)
    return "riscv32";
#else
    return "unknown";
#endif
}

static const char *abi_name(void)
{
    if (sizeof(void *) == 8 && sizeof(long) == 8)
        return "lp64";
    if (sizeof(void *) == 4 && sizeof(long) == 4)
        return "ilp32";
    if (sizeof(void *) == 8 && sizeof(long) == 4)
        return "llp64";
    return "other";
}

static const char *byte_order(void)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return "little";
#elif defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return "big";
#else
    return "unknown";
#endif
}

static void print_abi(const char *role)
{
    printf("abi_peer: %s abi arch=%s abi=%s ptr=%u long=%u size_t=%u "
           "align_u64=%u align_double=%u endian=%s\n",
           role, arch_name(), abi_name(), (unsigned)sizeof(void *),
           (unsigned)sizeof(long), (unsigned)sizeof(size_t),
           (unsigned)_Alignof(uint64_t), (unsigned)_Alignof(double),
           byte_order());
}

/* ---- command line -------------------------------------------------------- */

struct opts {
    const char *name;
    uint64_t samples;   /* writer: how many; reader: --expect */
    uint32_t width;     /* reader: 0 = accept the region's width */
    uint32_t capacity;
    double rate;        /* writer: samples per second, 0 = flat out */
    double timeout_s;
    const char *mode;   /* reader: wait, poll or latest */
    const char *ready;  /* reader: file to create once attached */
    const char *wait_ready[MAX_READY];
    int nwait;
    int64_t first;      /* reader: required first sample number, -1 = any */
    bool no_loss;       /* reader: any lost sample is a failure */
    uint64_t crash_after; /* writer: SIGKILL itself after K samples, 0 = no */
    /* selftest only: the orchestration counter, anonymous shared memory */
    atomic_uint *ready_count;
    unsigned ready_needed;
};

static _Noreturn void usage(void)
{
    fprintf(stderr,
        "usage: abi_peer writer --name N --samples S [--width W] [--capacity C]\n"
        "                       [--rate HZ] [--wait-ready FILE]... [--timeout SEC]\n"
        "                       [--crash-after K]\n"
        "       abi_peer reader --name N --expect S [--mode wait|poll|latest]\n"
        "                       [--timeout SEC] [--width W] [--first F] [--ready FILE]\n"
        "                       [--no-loss]\n"
        "       abi_peer selftest [--samples S]\n"
        "       abi_peer abi\n");
    exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno != 0 || end == s || *end != '\0' || *s == '-') {
        fprintf(stderr, "abi_peer: %s: bad number '%s'\n", opt, s);
        exit(2);
    }
    return (uint64_t)v;
}

static uint32_t parse_u32(const char *opt, const char *s)
{
    uint64_t v = parse_u64(opt, s);
    if (v > UINT32_MAX) {
        fprintf(stderr, "abi_peer: %s: out of range '%s'\n", opt, s);
        exit(2);
    }
    return (uint32_t)v;
}

static double parse_double(const char *opt, const char *s)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || !(v >= 0.0)) {
        fprintf(stderr, "abi_peer: %s: bad number '%s'\n", opt, s);
        exit(2);
    }
    return v;
}

/* Accepts "--opt VALUE" and "--opt=VALUE". */
static void parse(struct opts *o, int argc, char **argv, bool writer)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *eq = strchr(a, '=');
        char key[32];
        const char *v;
        size_t klen = eq != NULL ? (size_t)(eq - a) : strlen(a);
        if (strncmp(a, "--", 2) != 0 || klen >= sizeof key)
            usage();
        if (!writer && strcmp(a, "--no-loss") == 0) {
            o->no_loss = true;
            continue;
        }
        memcpy(key, a, klen);
        key[klen] = '\0';
        if (eq != NULL)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            usage();

        if (strcmp(key, "--name") == 0)
            o->name = v;
        else if (strcmp(key, "--timeout") == 0)
            o->timeout_s = parse_double(key, v);
        else if (strcmp(key, "--width") == 0)
            o->width = parse_u32(key, v);
        else if (writer && strcmp(key, "--samples") == 0)
            o->samples = parse_u64(key, v);
        else if (writer && strcmp(key, "--capacity") == 0)
            o->capacity = parse_u32(key, v);
        else if (writer && strcmp(key, "--rate") == 0)
            o->rate = parse_double(key, v);
        else if (writer && strcmp(key, "--crash-after") == 0)
            o->crash_after = parse_u64(key, v);
        else if (writer && strcmp(key, "--wait-ready") == 0) {
            if (o->nwait == MAX_READY)
                usage();
            o->wait_ready[o->nwait++] = v;
        } else if (!writer && strcmp(key, "--expect") == 0)
            o->samples = parse_u64(key, v);
        else if (!writer && strcmp(key, "--mode") == 0)
            o->mode = v;
        else if (!writer && strcmp(key, "--ready") == 0)
            o->ready = v;
        else if (!writer && strcmp(key, "--first") == 0)
            o->first = (int64_t)parse_u64(key, v);
        else
            usage();
    }
    if (o->name == NULL || o->samples == 0)
        usage();
    if (!writer && strcmp(o->mode, "wait") != 0 && strcmp(o->mode, "poll") != 0 &&
        strcmp(o->mode, "latest") != 0)
        usage();
}

static void opts_default(struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->capacity = DEFAULT_CAPACITY;
    o->timeout_s = DEFAULT_TIMEOUT_S;
    o->mode = "wait";
    o->first = -1;
}

/* ---- writer -------------------------------------------------------------- */

static void sleep_until(uint64_t t_ns)
{
    struct timespec ts;
    ts.tv_sec = (time_t)(t_ns / 1000000000u);
    ts.tv_nsec = (long)(t_ns % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

/* Wait until every reader said it is attached. 0, or -1 on timeout. */
static int wait_readers(const struct opts *o, uint64_t deadline)
{
    for (int i = 0; i < o->nwait; i++)
        while (access(o->wait_ready[i], F_OK) != 0) {
            if (torture_now_ns() > deadline) {
                fprintf(stderr, "abi_peer: writer: no reader made %s\n",
                        o->wait_ready[i]);
                return -1;
            }
            torture_sleep_ms(5);
        }
    if (o->ready_count != NULL)
        while (atomic_load(o->ready_count) < o->ready_needed) {
            if (torture_now_ns() > deadline) {
                fprintf(stderr, "abi_peer: writer: readers did not attach\n");
                return -1;
            }
            torture_sleep_ms(1);
        }
    return 0;
}

static int run_writer(const struct opts *o)
{
    uint32_t width = o->width != 0 ? o->width : DEFAULT_WIDTH;
    shmseq_config cfg = {.width = width, .capacity = o->capacity};
    shmseq_writer w;
    double v[SHMSEQ_WIDTH_MAX];

    print_abi("writer");
    if (width > SHMSEQ_WIDTH_MAX) {
        fprintf(stderr, "abi_peer: writer: width %" PRIu32 " > %u\n", width,
                SHMSEQ_WIDTH_MAX);
        return 2;
    }
    int rc = shmseq_writer_open(&w, o->name, &cfg);
    if (rc < 0) {
        fprintf(stderr, "abi_peer: writer: open %s: %s\n", o->name,
                shmseq_strerror(rc));
        return 1;
    }
    /* Readers expect samples 0..S-1: a used region would break that. */
    if (shmseq_writer_next(&w) != 0) {
        fprintf(stderr, "abi_peer: writer: region %s already holds %" PRIu64
                " samples; use a fresh name\n", o->name, shmseq_writer_next(&w));
        shmseq_writer_close(&w);
        return 1;
    }
    uint64_t deadline = torture_now_ns() + (uint64_t)(o->timeout_s * 1e9);
    if (wait_readers(o, deadline) < 0) {
        shmseq_writer_close(&w);
        return 1;
    }

    uint64_t period = o->rate > 0.0 ? (uint64_t)(1e9 / o->rate) : 0;
    uint64_t t0 = torture_now_ns();
    for (uint64_t n = 0; n < o->samples; n++) {
        if (o->crash_after != 0 && n == o->crash_after) {
            printf("abi_peer: writer crashing after %" PRIu64 " samples\n", n);
            fflush(stdout);
            raise(SIGKILL); /* no close: as if the sensor task died */
        }
        if (period != 0)
            sleep_until(t0 + n * period);
        shmseq_test_fill(v, width, n);
        shmseq_publish(&w, v, shmseq_test_ts(n));
    }
    uint64_t secs_ms = (torture_now_ns() - t0) / 1000000u;
    uint64_t next = shmseq_writer_next(&w);
    uint32_t epoch = shmseq_writer_epoch(&w);
    shmseq_writer_close(&w);
    int ok = next == o->samples;
    printf("abi_peer: writer arch=%s abi=%s name=%s width=%" PRIu32
           " capacity=%" PRIu32 " published=%" PRIu64 " epoch=%" PRIu32
           " ms=%" PRIu64 " result=%s\n",
           arch_name(), abi_name(), o->name, width, o->capacity, next, epoch,
           secs_ms, ok ? "PASS" : "FAIL");
    fflush(stdout);
    return ok ? 0 : 1;
}

/* ---- reader -------------------------------------------------------------- */

struct tally {
    uint64_t received, lost, first, last, next;
    uint64_t first_loss; /* sample number after the first gap */
    uint64_t torn, order, bad_width, beyond;
    uint32_t epoch, epoch_changes;
    char reason[160];
};

static void fail_reason(struct tally *t, const char *fmt, uint64_t a, uint64_t b)
{
    char buf[160];
    if (t->reason[0] != '\0')
        return;
    /* fmt takes two uint64_t through PRIu64 */
    snprintf(buf, sizeof buf, fmt, a, b);
    memcpy(t->reason, buf, sizeof t->reason);
}

static int attach(shmseq_reader *r, const struct opts *o, uint64_t deadline)
{
    for (;;) {
        int rc = shmseq_reader_open(r, o->name, SHMSEQ_START_OLDEST);
        if (rc == 0)
            return 0;
        if (rc != -ENOENT && rc != -EAGAIN) {
            fprintf(stderr, "abi_peer: reader: open %s: %s\n", o->name,
                    shmseq_strerror(rc));
            return rc;
        }
        if (torture_now_ns() > deadline) {
            fprintf(stderr, "abi_peer: reader: region %s did not appear\n",
                    o->name);
            return rc;
        }
        torture_sleep_ms(5);
    }
}

static void signal_ready(const struct opts *o)
{
    if (o->ready != NULL) {
        int fd = open(o->ready, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0)
            (void)close(fd);
        else
            perror("abi_peer: reader: --ready");
    }
    if (o->ready_count != NULL)
        atomic_fetch_add(o->ready_count, 1);
}

static int read_one(shmseq_reader *r, char mode, shmseq_sample *m, double *v)
{
    switch (mode) {
    case 'p':
        return shmseq_read(r, m, v, SHMSEQ_WIDTH_MAX);
    case 'l':
        return shmseq_read_latest(r, m, v, SHMSEQ_WIDTH_MAX);
    default:
        return shmseq_read_wait(r, m, v, SHMSEQ_WIDTH_MAX, 50000000); /* 50 ms */
    }
}

static void check_sample(struct tally *t, const shmseq_sample *m,
                         const double *v, uint32_t width, uint64_t expect)
{
    if (m->width != width) {
        t->bad_width++;
        fail_reason(t, "sample %" PRIu64 " has width %" PRIu64, m->seq, m->width);
        return;
    }
    uint32_t bad = shmseq_test_check(v, width, m->seq, m->timestamp_ns);
    if (bad != 0) {
        t->torn++;
        fail_reason(t, "sample %" PRIu64 " word %" PRIu64 " wrong (torn or "
                    "mis-laid-out)", m->seq, bad);
    }
    if (m->seq != expect + m->lost) {
        t->order++;
        fail_reason(t, "got sample %" PRIu64 ", expected %" PRIu64 " + lost",
                    m->seq, expect);
    }
    if (t->received > 0 && m->seq <= t->last) {
        t->order++;
        fail_reason(t, "sample %" PRIu64 " after %" PRIu64, m->seq, t->last);
    }
    if (t->epoch != 0 && m->epoch != t->epoch)
        t->epoch_changes++;
    t->epoch = m->epoch;
}

static int run_reader(const struct opts *o)
{
    shmseq_reader r;
    struct tally t;
    shmseq_sample m;
    double v[SHMSEQ_WIDTH_MAX];
    const uint64_t S = o->samples;
    const char mode = o->mode[0];
    uint64_t deadline = torture_now_ns() + (uint64_t)(o->timeout_s * 1e9);

    memset(&t, 0, sizeof t);
    print_abi("reader");
    if (attach(&r, o, deadline) != 0) {
        printf("abi_peer: reader arch=%s abi=%s mode=%s name=%s result=FAIL "
               "reason=\"could not attach\"\n", arch_name(), abi_name(),
               o->mode, o->name);
        fflush(stdout);
        return 1;
    }
    uint32_t width = shmseq_reader_width(&r);
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    t.first = st.first;
    signal_ready(o);

    if (o->width != 0 && width != o->width)
        fail_reason(&t, "region width %" PRIu64 ", expected %" PRIu64, width,
                    o->width);
    if (o->first >= 0 && t.first != (uint64_t)o->first)
        fail_reason(&t, "first sample %" PRIu64 ", expected %" PRIu64, t.first,
                    (uint64_t)o->first);

    uint64_t expect = t.first;
    uint64_t last_probe = 0;
    unsigned idle = 0;
    bool writer_gone = false, timed_out = false;
    while (expect < S) {
        int rc = read_one(&r, mode, &m, v);
        if (rc == 0) {
            idle = 0;
            check_sample(&t, &m, v, width, expect);
            if (m.seq >= S) {
                t.beyond++;
                fail_reason(&t, "sample %" PRIu64 " beyond --expect %" PRIu64,
                            m.seq, S);
            }
            if (m.lost != 0 && t.lost == 0)
                t.first_loss = m.seq;
            t.received++;
            t.lost += m.lost;
            t.last = m.seq;
            expect = m.seq + 1u;
            continue;
        }
        if (rc == -EINTR)
            continue;
        if (rc != -EAGAIN && rc != -ETIMEDOUT) {
            fail_reason(&t, "read error %" PRIu64 " at sample %" PRIu64,
                        (uint64_t)-rc, expect);
            break;
        }
        /* Nothing new. The writer may be done (or dead): ask the kernel
         * whether it still holds the region. If not, one more read must
         * come back empty before we stop, so a sample published just
         * before the writer left is not missed. Probing costs a few system
         * calls, so pollers do it only now and then. */
        if (writer_gone)
            break;
        uint64_t now = torture_now_ns();
        if (now > deadline) {
            timed_out = true;
            break;
        }
        if (mode == 'w' || now - last_probe > 20000000u) {
            last_probe = now;
            if (shmseq_reader_writer_alive(&r) == 0) {
                writer_gone = true;
                continue;
            }
        }
        if (mode != 'w' && ++idle % 64u == 0)
            torture_sleep_ms(1); /* two cores: let the writer run */
        else if (mode != 'w')
            sched_yield();
    }

    shmseq_reader_get_stats(&r, &st);
    shmseq_reader_close(&r);
    t.next = expect;
    if (timed_out)
        fail_reason(&t, "timed out at sample %" PRIu64 " of %" PRIu64, expect, S);
    else if (writer_gone && expect < S)
        fail_reason(&t, "writer gone after sample %" PRIu64 " of %" PRIu64,
                    expect, S);
    if (st.received != t.received || st.lost != t.lost)
        fail_reason(&t, "library counts received+lost %" PRIu64
                    ", mine %" PRIu64, st.received + st.lost,
                    t.received + t.lost);
    if (t.received + t.lost != expect - t.first)
        fail_reason(&t, "received + lost = %" PRIu64 ", expected %" PRIu64,
                    t.received + t.lost, expect - t.first);
    if (o->no_loss && t.lost != 0)
        fail_reason(&t, "%" PRIu64 " samples lost with --no-loss (first at or "
                    "before sample %" PRIu64 ")", t.lost, t.first_loss);
    if (t.received == 0)
        fail_reason(&t, "no sample received (next %" PRIu64 " of %" PRIu64 ")",
                    expect, S);

    bool ok = t.reason[0] == '\0';
    printf("abi_peer: reader arch=%s abi=%s mode=%s name=%s width=%" PRIu32
           " received=%" PRIu64 " lost=%" PRIu64 " first=%" PRIu64
           " last=%" PRIu64 " expect=%" PRIu64 " epoch=%" PRIu32
           " torn=%" PRIu64 " order=%" PRIu64 " result=%s%s%s%s\n",
           arch_name(), abi_name(), o->mode, o->name, width, t.received,
           t.lost, t.first, t.last, S, t.epoch, t.torn, t.order,
           ok ? "PASS" : "FAIL", ok ? "" : " reason=\"", t.reason,
           ok ? "" : "\"");
    fflush(stdout);
    return ok ? 0 : 1;
}

/* ---- selftest: this binary alone, one writer and three readers ---------- */

static int run_selftest(int argc, char **argv)
{
    static const char *const modes[SELF_READERS] = {"wait", "poll", "latest"};
    uint64_t samples = shmseq_test_scaled(200000u, 2000u);
    char name[64];

    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
            samples = parse_u64("--samples", argv[++i]);
        else
            usage();
    }
    snprintf(name, sizeof name, "abi-self-%ld", (long)getpid());
    (void)shmseq_unlink(name);
    atomic_uint *count = torture_shared(sizeof *count);

    struct opts o;
    opts_default(&o);
    o.name = name;
    o.samples = samples;
    o.first = 0;
    o.ready_count = count;
    o.ready_needed = SELF_READERS;

    pid_t pids[SELF_READERS + 1];
    int status[SELF_READERS + 1];
    memset(status, 0, sizeof status);
    fflush(NULL); /* children _exit: nothing buffered may be duplicated */
    for (int i = 0; i < SELF_READERS; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            o.mode = modes[i];
            _exit(run_reader(&o));
        }
    }
    pids[SELF_READERS] = fork();
    if (pids[SELF_READERS] == 0)
        _exit(run_writer(&o));
    for (int i = 0; i <= SELF_READERS; i++)
        if (pids[i] < 0) {
            perror("fork");
            return 2;
        }

    int waited = torture_wait_all(pids, status, SELF_READERS + 1,
                                  DEFAULT_TIMEOUT_S + 30.0);
    (void)shmseq_unlink(name);
    int passed = 0, failed = 0;
    for (int i = 0; i <= SELF_READERS; i++) {
        if (torture_child_ok(status[i]))
            passed++;
        else
            failed++;
    }
    if (waited < 0)
        printf("abi_self: a peer hung and was killed\n");
    printf("abi_self: %d passed, %d failed\n", passed, failed);
    return failed == 0 && waited == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct opts o;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2)
        usage();
    opts_default(&o);
    if (strcmp(argv[1], "writer") == 0) {
        parse(&o, argc, argv, true);
        return run_writer(&o);
    }
    if (strcmp(argv[1], "reader") == 0) {
        parse(&o, argc, argv, false);
        return run_reader(&o);
    }
    if (strcmp(argv[1], "selftest") == 0)
        return run_selftest(argc, argv);
    if (strcmp(argv[1], "abi") == 0) {
        print_abi("build");
        return 0;
    }
    usage();
    return 2;
}
