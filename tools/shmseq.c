/* SPDX-License-Identifier: MIT */
/*
 * shmseq: the operator's command-line tool, in the style of ipcs/ipcrm.
 * It lets the people who run a board see what each region is doing without
 * writing code: `ls` lists the regions, `stat` shows one header and its
 * publish rate, `watch` follows a region live through a reader of its own,
 * `dump` prints samples as the logger's CSV, `rm` removes regions.
 *
 * It uses the public API only (<shmseq/shmseq.h>), so it sees exactly what
 * any other reader sees and never depends on the layout. docs/cli.md is its
 * manual; the exit statuses below are part of that contract.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <shmseq/shmseq.h>

/* Exit statuses, the same for every command (docs/cli.md, EXIT STATUS). */
#define CLI_OK 0
#define CLI_FAIL 1  /* runtime failure: busy, corrupt, permission, I/O */
#define CLI_USAGE 2 /* bad command line or region name */
#define CLI_NOENT 3 /* no region of that name */

#define NS_PER_MS 1000000u
#define NS_PER_S 1000000000u

/* How many values `watch` shows per line. */
#define WATCH_VALUES 4u

static const char *prog = "shmseq";

/* Set by SIGINT/SIGTERM in watch and dump --follow; their loops poll it. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

/*
 * No SA_RESTART: a blocking shmseq_read_wait() or nanosleep() returns at
 * once with EINTR, so Ctrl-C is answered immediately.
 */
static void catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
}

/* ---- small helpers ------------------------------------------------------ */

static uint64_t realtime_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* Sleeps @p ns; returns early on a signal (the caller checks stop_signal). */
static void sleep_ns(uint64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    (void)nanosleep(&ts, NULL);
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || *s < '0' || *s > '9')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

/* Milliseconds in [min, max]. */
static int parse_ms(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;

    if (parse_u64(s, &v) < 0 || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

/* The symbolic name of an error code, for --json (stable across
 * architectures, unlike the numbers). */
static const char *errno_name(int rc)
{
    switch (-rc) {
    case EINVAL: return "EINVAL";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case EEXIST: return "EEXIST";
    case EPROTO: return "EPROTO";
    case EBADMSG: return "EBADMSG";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    default: return "EIO";
    }
}

/*
 * The library's sentence for @p rc, except -EAGAIN: from an open or info
 * call it can only mean "being created", and the library's generic text
 * also speaks of samples.
 */
static const char *region_strerror(int rc)
{
    if (rc == -EAGAIN)
        return "the region is still being created (try again in a moment)";
    if (rc == -EPERM)
        return "the region belongs to another user";
    return shmseq_strerror(rc);
}

/*
 * Reader flags for watch and dump. The operator names the region to inspect
 * explicitly, as with `shmseq stat` (which describes regions of any owner),
 * so a region created by another user (the sensor task's account) is read
 * too, where the library makes that a choice.
 */
#define CLI_READER_FLAGS SHMSEQ_READER_ANY_OWNER

/* Exit status for an error from opening or describing a region. */
static int exit_status(int rc)
{
    switch (rc) {
    case 0: return CLI_OK;
    case -ENOENT: return CLI_NOENT;
    case -EINVAL:
    case -ENAMETOOLONG: return CLI_USAGE;
    default: return CLI_FAIL;
    }
}

/* "shmseq: stat imu: no region of that name (...)", plus a hint where one
 * helps; returns the exit status for @p rc. */
static int region_error(const char *cmd, const char *name, int rc)
{
    if (rc == -EINVAL || rc == -ENAMETOOLONG) {
        fprintf(stderr,
                "%s: %s %s: not a valid region name (use 1..%u characters "
                "from A-Z a-z 0-9 . _ -, not starting with '.')\n",
                prog, cmd, name, (unsigned)SHMSEQ_NAME_MAX);
        return CLI_USAGE;
    }
    fprintf(stderr, "%s: %s %s: %s", prog, cmd, name, region_strerror(rc));
    if (rc == -ENOENT)
        fprintf(stderr, "; 'shmseq ls' lists the regions");
    else if (rc == -EBADMSG || rc == -EPROTO)
        fprintf(stderr, "; to remove it: shmseq rm %s", name);
    fputc('\n', stderr);
    return exit_status(rc);
}

/* Prints the usage error for @p cmd and returns CLI_USAGE. */
static int usage_error(const char *cmd, const char *what, const char *arg)
{
    fprintf(stderr, "%s %s: ", prog, cmd);
    fprintf(stderr, what, arg);
    fprintf(stderr, "\nTry '%s %s --help'.\n", prog, cmd);
    return CLI_USAGE;
}

/* A region name from the command line: checked before anything touches the
 * system, so a typo is a usage error (2), not "no such region" (3). */
static int check_name(const char *cmd, const char *name)
{
    int rc = shmseq_name_check(name);

    return rc < 0 ? region_error(cmd, name, rc) : CLI_OK;
}

/* "3d04h", "1h02m", "5m12s", "42.1s": coarse, for people. */
static void fmt_age(char *buf, size_t size, uint64_t ns)
{
    uint64_t s = ns / NS_PER_S;

    if (s >= 86400u)
        (void)snprintf(buf, size, "%" PRIu64 "d%02uh", s / 86400u,
                       (unsigned)(s % 86400u / 3600u));
    else if (s >= 3600u)
        (void)snprintf(buf, size, "%" PRIu64 "h%02um", s / 3600u,
                       (unsigned)(s % 3600u / 60u));
    else if (s >= 60u)
        (void)snprintf(buf, size, "%" PRIu64 "m%02us", s / 60u,
                       (unsigned)(s % 60u));
    else
        (void)snprintf(buf, size, "%.1fs", (double)ns / 1e9);
}

/* "896 B", "12.0 KiB", "1.0 MiB". */
static void fmt_size(char *buf, size_t size, uint64_t bytes)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    unsigned u = 0;

    if (bytes < 1024u) {
        (void)snprintf(buf, size, "%" PRIu64 " B", bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1u < sizeof unit / sizeof unit[0]) {
        v /= 1024.0;
        u++;
    }
    (void)snprintf(buf, size, "%.1f %s", v, unit[u]);
}

/* Local wall-clock time of a CLOCK_REALTIME stamp. */
static void fmt_time(char *buf, size_t size, uint64_t realtime, int date)
{
    time_t t = (time_t)(realtime / NS_PER_S);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S %Z" : "%H:%M:%S",
                 &tm) == 0)
        (void)snprintf(buf, size, "?");
}

/* Age of a region from its creation stamp; 0 if the clock went back. */
static uint64_t region_age_ns(const shmseq_region_info *info, uint64_t now)
{
    return now > info->created_realtime_ns ? now - info->created_realtime_ns
                                           : 0;
}

/* A JSON string: quotes, backslashes and control characters escaped. */
static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20u || c == 0x7fu)
            fprintf(f, "\\u%04x", (unsigned)c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Fields shared by `ls --json` and `stat --json` for a readable region. */
static void json_info_fields(FILE *f, const shmseq_region_info *in,
                             uint64_t now)
{
    fprintf(f,
            "\"layout_version\": %" PRIu32 ", \"header_size\": %" PRIu32
            ", \"slot_size\": %" PRIu32 ", \"width\": %" PRIu32
            ", \"capacity\": %" PRIu32 ", \"region_size\": %" PRIu64
            ", \"epoch\": %" PRIu32 ", \"head\": %" PRIu64
            ", \"writer_alive\": %s, \"writer_pid\": %" PRIu32
            ", \"wakes_readers\": %s"
            ", \"created_realtime_ns\": %" PRIu64
            ", \"created_monotonic_ns\": %" PRIu64 ", \"age_ns\": %" PRIu64,
            in->layout_version, in->header_size, in->slot_size, in->width,
            in->capacity, in->region_size, in->epoch, in->head,
            in->writer_alive ? "true" : "false", in->writer_pid,
            in->no_wake ? "false" : "true", in->created_realtime_ns, in->created_monotonic_ns,
            region_age_ns(in, now));
}

/* "alive, pid 1234", "gone (pid 1234)", "none yet". */
static void fmt_writer(char *buf, size_t size, const shmseq_region_info *in)
{
    if (in->writer_alive && in->writer_pid != 0)
        (void)snprintf(buf, size, "alive, pid %" PRIu32, in->writer_pid);
    else if (in->writer_alive)
        (void)snprintf(buf, size, "alive");
    else if (in->writer_pid != 0)
        (void)snprintf(buf, size, "gone (pid %" PRIu32 ")", in->writer_pid);
    else if (in->epoch == 0)
        (void)snprintf(buf, size, "none yet");
    else
        (void)snprintf(buf, size, "gone");
}

/*
 * Each command parses its own options with getopt_long over argv + 1, whose
 * argv[0] is the command word: it is renamed "shmseq CMD" so getopt's own
 * messages ("shmseq stat: unrecognized option '--x'") name the command.
 */
static char cmd_prog[32];

static void cmd_begin(const char *cmd, char **argv)
{
    (void)snprintf(cmd_prog, sizeof cmd_prog, "%s %s", prog, cmd);
    argv[0] = cmd_prog;
    optind = 1;
    opterr = 1;
}

static int bad_option(const char *cmd)
{
    fprintf(stderr, "Try '%s %s --help'.\n", prog, cmd);
    return CLI_USAGE;
}

/* ---- ls ----------------------------------------------------------------- */

struct ls_entry {
    char name[SHMSEQ_NAME_MAX + 1];
    int rc; /* of shmseq_info() */
    shmseq_region_info info;
};

struct ls_list {
    struct ls_entry *v;
    size_t n, cap;
};

static int ls_collect(void *ctx, const char *name)
{
    struct ls_list *l = ctx;
    size_t len = strlen(name);

    if (len > SHMSEQ_NAME_MAX)
        return 0; /* shmseq_list() never gives one; be safe anyway */
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? 2u * l->cap : 16u;
        struct ls_entry *v = realloc(l->v, cap * sizeof *v);

        if (v == NULL)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    memcpy(l->v[l->n].name, name, len + 1u);
    l->n++;
    return 0;
}

static int ls_compare(const void *a, const void *b)
{
    return strcmp(((const struct ls_entry *)a)->name,
                  ((const struct ls_entry *)b)->name);
}

static void ls_usage(void)
{
    printf(
"Usage: %s ls [--json]\n"
"List every shmseq region on this system: name, values per sample (WIDTH),\n"
"ring slots (CAPACITY), writer, writer epoch, samples published so far\n"
"(SAMPLES), time since creation (AGE) and size in shared memory.\n"
"A region that cannot be read (corrupt, another layout version, being\n"
"created, permission denied) is listed with the reason.\n"
"\n"
"  -j, --json   a JSON array, one object per region (see docs/cli.md)\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 ok (also when some regions are unreadable), 1 the regions\n"
"cannot be listed, 2 usage error.\n", prog);
}

enum { LS_COLS = 8 };

static void ls_print_table(const struct ls_list *l, uint64_t now)
{
    static const char *const head[LS_COLS] = {
        "NAME", "WIDTH", "CAPACITY", "WRITER", "EPOCH", "SAMPLES", "AGE",
        "SIZE"};
    /* Numbers right-aligned, words left-aligned. */
    static const int right[LS_COLS] = {0, 1, 1, 0, 1, 1, 1, 1};
    char cell[LS_COLS][SHMSEQ_NAME_MAX + 8];
    size_t w[LS_COLS];
    size_t i, c;

    for (c = 0; c < LS_COLS; c++)
        w[c] = strlen(head[c]);
    /* Two passes: widths first, then the rows. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (c = 0; c < LS_COLS; c++)
                printf("%s%-*s", c != 0 ? "  " : "",
                       c + 1 == LS_COLS ? 0 : (int)w[c], head[c]);
            putchar('\n');
        }
        for (i = 0; i < l->n; i++) {
            const struct ls_entry *e = &l->v[i];
            const shmseq_region_info *in = &e->info;

            if (e->rc < 0) {
                if (strlen(e->name) > w[0])
                    w[0] = strlen(e->name);
                if (pass == 1)
                    printf("%-*s  unreadable: %s\n", (int)w[0], e->name,
                           region_strerror(e->rc));
                continue;
            }
            (void)snprintf(cell[0], sizeof cell[0], "%s", e->name);
            (void)snprintf(cell[1], sizeof cell[1], "%" PRIu32, in->width);
            (void)snprintf(cell[2], sizeof cell[2], "%" PRIu32, in->capacity);
            fmt_writer(cell[3], sizeof cell[3], in);
            (void)snprintf(cell[4], sizeof cell[4], "%" PRIu32, in->epoch);
            (void)snprintf(cell[5], sizeof cell[5], "%" PRIu64, in->head);
            fmt_age(cell[6], sizeof cell[6], region_age_ns(in, now));
            fmt_size(cell[7], sizeof cell[7], in->region_size);
            for (c = 0; c < LS_COLS; c++) {
                if (pass == 0) {
                    if (strlen(cell[c]) > w[c])
                        w[c] = strlen(cell[c]);
                } else if (c + 1 == LS_COLS && !right[c]) {
                    printf("  %s", cell[c]);
                } else {
                    printf("%s%*s", c != 0 ? "  " : "",
                           right[c] ? (int)w[c] : -(int)w[c], cell[c]);
                }
            }
            if (pass == 1)
                putchar('\n');
        }
    }
}

static void ls_print_json(const struct ls_list *l, uint64_t now)
{
    size_t i;

    printf("[");
    for (i = 0; i < l->n; i++) {
        const struct ls_entry *e = &l->v[i];

        printf("%s\n  {\"name\": ", i != 0 ? "," : "");
        json_string(stdout, e->name);
        if (e->rc == 0) {
            printf(", \"ok\": true, ");
            json_info_fields(stdout, &e->info, now);
        } else {
            printf(", \"ok\": false, \"error\": ");
            json_string(stdout, region_strerror(e->rc));
            printf(", \"error_code\": \"%s\"", errno_name(e->rc));
        }
        printf("}");
    }
    printf("%s]\n", l->n != 0 ? "\n" : "");
}

static int cmd_ls(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct ls_list l = {NULL, 0, 0};
    int json = 0, opt, rc;
    uint64_t now;
    size_t i;

    cmd_begin("ls", argv);
    while ((opt = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (opt) {
        case 'j': json = 1; break;
        case 'h': ls_usage(); return CLI_OK;
        default: return bad_option("ls");
        }
    }
    if (optind < argc)
        return usage_error("ls", "unexpected argument '%s'", argv[optind]);

    rc = shmseq_list(ls_collect, &l);
    if (rc < 0) {
        fprintf(stderr, "%s: ls: cannot list the regions: %s\n", prog,
                shmseq_strerror(rc));
        free(l.v);
        return CLI_FAIL;
    }
    if (l.n != 0)
        qsort(l.v, l.n, sizeof l.v[0], ls_compare);
    for (i = 0; i < l.n; i++)
        l.v[i].rc = shmseq_info(l.v[i].name, &l.v[i].info);
    now = realtime_ns();

    if (json)
        ls_print_json(&l, now);
    else if (l.n == 0)
        fprintf(stderr, "%s: no shmseq regions (a sensor task creates one, "
                "e.g. 'sensor_reader --name NAME')\n", prog);
    else
        ls_print_table(&l, now);
    free(l.v);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: ls: writing the output failed: %s\n", prog,
                strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- stat --------------------------------------------------------------- */

static void stat_usage(void)
{
    printf(
"Usage: %s stat NAME [--json] [--window MS]\n"
"Show every header field of region NAME, its writer (pid, alive or gone)\n"
"and its publish rate, measured by reading the header twice, MS apart.\n"
"\n"
"  -j, --json        one JSON object (see docs/cli.md)\n"
"  -w, --window MS   rate measurement window, 0..60000 ms; 0 = do not\n"
"                    measure                                  (default 500)\n"
"  -h, --help        this text\n"
"\n"
"Exit status: 0 ok, 1 region unreadable (corrupt, other layout, permission),\n"
"2 usage error, 3 no region of that name.\n", prog);
}

static void stat_print(const char *name, const shmseq_region_info *in,
                       uint64_t now, int have_rate, double rate,
                       uint64_t window_ms)
{
    char buf[64], buf2[64];

    printf("%-16s %s\n", "region", name);
    fmt_writer(buf, sizeof buf, in);
    printf("%-16s %s\n", "writer", buf);
    printf("%-16s %" PRIu32 "%s\n", "epoch", in->epoch,
           in->epoch == 0 ? " (no writer attached yet)"
           : in->epoch == 1 ? " (first writer)" : " (taken over by a new writer)");
    printf("%-16s %" PRIu64 " (samples published)\n", "head", in->head);
    printf("%-16s %s\n", "readers",
           in->no_wake ? "poll (the writer never wakes them: SHMSEQ_WRITER_NO_WAKE)"
                       : "may sleep (the writer wakes them)");
    if (have_rate)
        printf("%-16s %.1f samples/s (over %" PRIu64 " ms)\n", "rate", rate,
               window_ms);
    else
        printf("%-16s - (%s)\n", "rate",
               window_ms == 0 ? "not measured: --window 0"
                              : "unknown: the region was recreated meanwhile");
    printf("%-16s %" PRIu32 " values per sample\n", "width", in->width);
    printf("%-16s %" PRIu32 " slots", "capacity", in->capacity);
    if (have_rate && rate > 0.0)
        printf(" (%.1f s of history at this rate)",
               (double)in->capacity / rate);
    putchar('\n');
    printf("%-16s %" PRIu32 " bytes\n", "slot size", in->slot_size);
    printf("%-16s %" PRIu32 " bytes\n", "header size", in->header_size);
    fmt_size(buf, sizeof buf, in->region_size);
    printf("%-16s %" PRIu64 " bytes (%s)\n", "region size", in->region_size,
           buf);
    printf("%-16s %" PRIu32 "\n", "layout version", in->layout_version);
    fmt_time(buf, sizeof buf, in->created_realtime_ns, 1);
    fmt_age(buf2, sizeof buf2, region_age_ns(in, now));
    printf("%-16s %s (%s ago)\n", "created", buf, buf2);
    printf("%-16s %" PRIu64 " ns realtime, %" PRIu64 " ns monotonic\n",
           "created at", in->created_realtime_ns, in->created_monotonic_ns);
}

static int cmd_stat(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"window", required_argument, NULL, 'w'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    shmseq_region_info a, b;
    uint64_t window_ms = 500, t0, t1, now;
    int json = 0, have_rate = 0, opt, rc;
    const char *name;
    double rate = 0.0;

    cmd_begin("stat", argv);
    while ((opt = getopt_long(argc, argv, "jw:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'j': json = 1; break;
        case 'w':
            if (parse_ms(optarg, 0, 60000, &window_ms) < 0)
                return usage_error("stat",
                                   "--window '%s': want 0..60000 ms", optarg);
            break;
        case 'h': stat_usage(); return CLI_OK;
        default: return bad_option("stat");
        }
    }
    if (optind >= argc)
        return usage_error("stat", "missing region NAME%s", "");
    if (optind + 1 < argc)
        return usage_error("stat", "unexpected argument '%s'",
                           argv[optind + 1]);
    name = argv[optind];
    rc = check_name("stat", name);
    if (rc != CLI_OK)
        return rc;

    t0 = shmseq_now_ns();
    rc = shmseq_info(name, &a);
    if (rc < 0)
        return region_error("stat", name, rc);
    b = a;
    if (window_ms != 0) {
        sleep_ns(window_ms * NS_PER_MS);
        t1 = shmseq_now_ns();
        rc = shmseq_info(name, &b);
        if (rc < 0)
            return region_error("stat", name, rc);
        /* A head that went back means another region took the name. */
        if (b.head >= a.head && b.created_realtime_ns == a.created_realtime_ns &&
            t1 > t0) {
            rate = (double)(b.head - a.head) * 1e9 / (double)(t1 - t0);
            have_rate = 1;
        }
    }
    now = realtime_ns();

    if (json) {
        printf("{\"name\": ");
        json_string(stdout, name);
        printf(", ");
        json_info_fields(stdout, &b, now);
        if (have_rate)
            printf(", \"rate_hz\": %.3f", rate);
        else
            printf(", \"rate_hz\": null");
        printf(", \"window_ms\": %" PRIu64 "}\n", window_ms);
    } else {
        stat_print(name, &b, now, have_rate, rate, window_ms);
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: stat: writing the output failed: %s\n", prog,
                strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}

/* ---- watch -------------------------------------------------------------- */

static void watch_usage(void)
{
    printf(
"Usage: %s watch NAME [--interval MS] [--count N]\n"
"Follow region NAME live through a reader of its own, one line per refresh:\n"
"publish rate, samples received and lost by this reader, its lag behind the\n"
"writer (samples published but not yet read), the writer epoch and the\n"
"latest values (the first %u). Says so when the writer goes away, a new\n"
"writer takes over, or a writer replaces the region (another width or\n"
"capacity: it then follows the new one; the counters go on adding up).\n"
"Stops on Ctrl-C.\n"
"\n"
"  -i, --interval MS  refresh period, 10..3600000 ms          (default 1000)\n"
"  -c, --count N      stop after N refreshes; 0 = until Ctrl-C (default 0)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 ok (Ctrl-C included), 1 runtime failure, 2 usage error,\n"
"3 no region of that name.\n", prog, WATCH_VALUES);
}

/* An event line between the refresh lines, e.g. "-- imu: writer gone". */
static void watch_event(const char *name, const char *msg)
{
    char t[16];

    fmt_time(t, sizeof t, realtime_ns(), 0);
    printf("%-8s  -- %s: %s\n", t, name, msg);
}

/* Open @p name again after it was replaced; a writer may still be making
 * the new region (-EAGAIN): give it a second. */
static int watch_reopen(shmseq_reader *r, const char *name)
{
    int rc = -EAGAIN;

    for (int i = 0; i < 50 && rc == -EAGAIN && !stop_signal; i++) {
        rc = shmseq_reader_open(r, name,
                                (unsigned)SHMSEQ_START_LATEST | CLI_READER_FLAGS);
        if (rc == -EAGAIN) {
            struct timespec nap = {0, 20000000};
            (void)nanosleep(&nap, NULL);
        }
    }
    return rc;
}

static int cmd_watch(int argc, char **argv)
{
    static const struct option opts[] = {
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t interval_ms = 1000, count = 0, lines = 0;
    uint64_t prev_head, prev_t, deadline;
    uint64_t past_received = 0, past_lost = 0; /* of regions replaced */
    uint32_t past_changes = 0;
    double v[SHMSEQ_WIDTH_MAX], latest[SHMSEQ_WIDTH_MAX];
    uint32_t width, shown, last_epoch, last_pid, c;
    int opt, rc, alive, have_latest = 0, gone_said = 0;
    shmseq_region_info info;
    shmseq_reader_stats st;
    shmseq_sample meta;
    shmseq_reader r;
    const char *name;
    char msg[160];

    cmd_begin("watch", argv);
    while ((opt = getopt_long(argc, argv, "i:c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'i':
            if (parse_ms(optarg, 10, 3600000, &interval_ms) < 0)
                return usage_error("watch",
                                   "--interval '%s': want 10..3600000 ms",
                                   optarg);
            break;
        case 'c':
            if (parse_u64(optarg, &count) < 0)
                return usage_error("watch", "--count '%s': want a number",
                                   optarg);
            break;
        case 'h': watch_usage(); return CLI_OK;
        default: return bad_option("watch");
        }
    }
    if (optind >= argc)
        return usage_error("watch", "missing region NAME%s", "");
    if (optind + 1 < argc)
        return usage_error("watch", "unexpected argument '%s'",
                           argv[optind + 1]);
    name = argv[optind];
    rc = check_name("watch", name);
    if (rc != CLI_OK)
        return rc;

    catch_signals();
    rc = shmseq_reader_open(&r, name,
                            (unsigned)SHMSEQ_START_LATEST | CLI_READER_FLAGS);
    if (rc < 0)
        return region_error("watch", name, rc);
    width = shmseq_reader_width(&r);
    shown = width < WATCH_VALUES ? width : WATCH_VALUES;
    memset(&info, 0, sizeof info);
    rc = shmseq_info(name, &info);
    if (rc < 0) {
        shmseq_reader_close(&r);
        return region_error("watch", name, rc);
    }
    last_epoch = info.epoch;
    last_pid = info.writer_pid;
    alive = info.writer_alive != 0;
    /* Line-buffered even into a pipe: a watcher wants each line now. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    {
        char wbuf[48];

        fmt_writer(wbuf, sizeof wbuf, &info);
        printf("watching '%s': width %" PRIu32 ", capacity %" PRIu32
               ", writer %s, epoch %" PRIu32 "; Ctrl-C to stop\n",
               name, width, info.capacity, wbuf, info.epoch);
    }
    printf("%-8s  %10s  %10s  %8s  %6s  %5s  %s%s\n", "TIME", "RATE/s",
           "RECEIVED", "LOST", "LAG", "EPOCH", "VALUES",
           width > shown ? " (first values)" : "");
    if (!alive)
        watch_event(name, "no writer holds the region; waiting for one");

    prev_head = info.head;
    prev_t = shmseq_now_ns();
    deadline = prev_t + interval_ms * NS_PER_MS;
    while (!stop_signal) {
        uint64_t now = shmseq_now_ns();
        int have_info, a;
        char t[16], lag[24], rate[24];

        if (now < deadline) {
            rc = shmseq_read_wait(&r, &meta, v, SHMSEQ_WIDTH_MAX,
                                  (int64_t)(deadline - now));
            if (rc == 0) {
                memcpy(latest, v, sizeof latest[0] * meta.width);
                have_latest = 1;
                if (meta.epoch != last_epoch) {
                    if (last_epoch != 0) {
                        (void)snprintf(msg, sizeof msg,
                                       "new writer took over: epoch %" PRIu32
                                       " (was %" PRIu32 ")", meta.epoch,
                                       last_epoch);
                        watch_event(name, msg);
                    }
                    last_epoch = meta.epoch;
                }
                continue;
            }
            if (rc != -ETIMEDOUT && rc != -EAGAIN && rc != -EINTR) {
                fprintf(stderr, "%s: watch %s: read failed: %s\n", prog,
                        name, shmseq_strerror(rc));
                shmseq_reader_close(&r);
                return CLI_FAIL;
            }
            continue;
        }

        /* A refresh: this reader's counters, the header, the writer. */
        a = shmseq_reader_writer_alive(&r);
        if (a == -ESTALE) {
            /* A writer replaced the region (another width or capacity):
             * our mapping will never move again. Follow the new one. */
            shmseq_reader_get_stats(&r, &st);
            past_received += st.received;
            past_lost += st.lost;
            past_changes += st.epoch_changes;
            shmseq_reader_close(&r);
            rc = watch_reopen(&r, name);
            if (rc < 0) {
                (void)snprintf(msg, sizeof msg, "the region was replaced and "
                               "the new one cannot be opened: %s",
                               shmseq_strerror(rc));
                watch_event(name, msg);
                return CLI_FAIL;
            }
            width = shmseq_reader_width(&r);
            shown = width < WATCH_VALUES ? width : WATCH_VALUES;
            have_latest = 0;
            memset(&info, 0, sizeof info);
            if (shmseq_info(name, &info) == 0) {
                prev_head = info.head;
                last_epoch = info.epoch;
            }
            (void)snprintf(msg, sizeof msg, "the region was replaced by a new "
                           "one (width %" PRIu32 ", capacity %" PRIu32
                           "); following it", width, info.capacity);
            watch_event(name, msg);
            a = shmseq_reader_writer_alive(&r);
        }
        shmseq_reader_get_stats(&r, &st);
        have_info = shmseq_info(name, &info) == 0;
        if (a == 0 && alive) {
            (void)snprintf(msg, sizeof msg, "writer gone (pid %" PRIu32
                           "); waiting for a new one", last_pid);
            watch_event(name, msg);
            alive = 0;
        } else if (a > 0 && !alive) {
            (void)snprintf(msg, sizeof msg, "writer running (pid %" PRIu32
                           ")", have_info ? info.writer_pid : 0u);
            watch_event(name, msg);
            alive = 1;
        }
        if (have_info) {
            gone_said = 0;
            if (info.writer_pid != 0)
                last_pid = info.writer_pid;
        } else if (!gone_said) {
            /* The name is gone (shmseq rm): this mapping lives on but no
             * new writer can reach it. */
            watch_event(name, "the region was removed (its name is gone)");
            gone_said = 1;
        }

        now = shmseq_now_ns();
        fmt_time(t, sizeof t, realtime_ns(), 0);
        if (have_info && info.head >= prev_head && now > prev_t) {
            (void)snprintf(rate, sizeof rate, "%.1f",
                           (double)(info.head - prev_head) * 1e9 /
                               (double)(now - prev_t));
            prev_head = info.head;
        } else {
            (void)snprintf(rate, sizeof rate, "-");
            if (have_info)
                prev_head = info.head;
        }
        prev_t = now;
        if (have_info && info.head >= st.next)
            (void)snprintf(lag, sizeof lag, "%" PRIu64, info.head - st.next);
        else
            (void)snprintf(lag, sizeof lag, "-");
        printf("%-8s  %10s  %10" PRIu64 "  %8" PRIu64 "  %6s  %5" PRIu32 "  ",
               t, rate, st.received, st.lost, lag,
               st.epoch != 0 ? st.epoch : last_epoch);
        if (have_latest)
            for (c = 0; c < shown; c++)
                printf("%s%.6g", c != 0 ? " " : "", latest[c]);
        else
            printf("(no sample yet)");
        putchar('\n');
        if (ferror(stdout)) {
            shmseq_reader_close(&r);
            return CLI_FAIL;
        }
        lines++;
        if (count != 0 && lines >= count)
            break;
        deadline += interval_ms * NS_PER_MS;
        if (deadline <= now) /* we were suspended: do not catch up */
            deadline = now + interval_ms * NS_PER_MS;
    }
    shmseq_reader_get_stats(&r, &st);
    shmseq_reader_close(&r);
    printf("stopped: received %" PRIu64 " lost %" PRIu64 " writer takeovers "
           "seen %" PRIu32 "\n", past_received + st.received,
           past_lost + st.lost, past_changes + st.epoch_changes);
    return CLI_OK;
}

/* ---- dump --------------------------------------------------------------- */

static void dump_usage(void)
{
    printf(
"Usage: %s dump NAME [-n N] [--follow] [--oldest] [--no-header]\n"
"Print samples of region NAME as CSV, in the logger's format:\n"
"seq,timestamp_ns,epoch,v0,v1,... (values with 17 significant digits, so\n"
"they read back bit for bit).\n"
"Without --follow: the samples in the ring now, from the oldest, then exit.\n"
"With --follow: the samples published from now on (from the oldest with\n"
"--oldest), until Ctrl-C or N samples.\n"
"\n"
"  -n, --count N   at most N samples; 0 = no limit            (default 0)\n"
"  -f, --follow    keep printing new samples (waits for them)\n"
"  -o, --oldest    with --follow: start with the oldest sample in the ring\n"
"  -H, --no-header no CSV header line\n"
"  -h, --help      this text\n"
"\n"
"Lost samples (overwritten by the writer before they were read) are\n"
"reported on stderr; the rows printed are always whole samples.\n"
"Exit status: 0 ok (Ctrl-C included), 1 runtime failure, 2 usage error,\n"
"3 no region of that name.\n", prog);
}

static int dump_row(const shmseq_sample *m, const double *v)
{
    uint32_t c;

    printf("%" PRIu64 ",%" PRIu64 ",%" PRIu32, m->seq, m->timestamp_ns,
           m->epoch);
    for (c = 0; c < m->width; c++)
        printf(",%.17g", v[c]);
    return putchar('\n') == EOF ? -EIO : 0;
}

static int cmd_dump(int argc, char **argv)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'n'},
        {"follow", no_argument, NULL, 'f'},
        {"oldest", no_argument, NULL, 'o'},
        {"no-header", no_argument, NULL, 'H'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    uint64_t count = 0, printed = 0, lost = 0, end = UINT64_MAX;
    int follow = 0, oldest = 0, header = 1, opt, rc, status = CLI_OK;
    double v[SHMSEQ_WIDTH_MAX];
    shmseq_region_info info;
    shmseq_sample meta;
    shmseq_reader r;
    const char *name;
    uint32_t width, c;

    cmd_begin("dump", argv);
    while ((opt = getopt_long(argc, argv, "n:foHh", opts, NULL)) != -1) {
        switch (opt) {
        case 'n':
            if (parse_u64(optarg, &count) < 0)
                return usage_error("dump", "-n '%s': want a number", optarg);
            break;
        case 'f': follow = 1; break;
        case 'o': oldest = 1; break;
        case 'H': header = 0; break;
        case 'h': dump_usage(); return CLI_OK;
        default: return bad_option("dump");
        }
    }
    if (optind >= argc)
        return usage_error("dump", "missing region NAME%s", "");
    if (optind + 1 < argc)
        return usage_error("dump", "unexpected argument '%s'",
                           argv[optind + 1]);
    name = argv[optind];
    rc = check_name("dump", name);
    if (rc != CLI_OK)
        return rc;

    if (follow)
        catch_signals();
    rc = shmseq_reader_open(&r, name,
                            (follow && !oldest ? (unsigned)SHMSEQ_START_LATEST
                                               : (unsigned)SHMSEQ_START_OLDEST) |
                                CLI_READER_FLAGS);
    if (rc < 0)
        return region_error("dump", name, rc);
    width = shmseq_reader_width(&r);
    /* A snapshot ends at the head seen now; a fast writer would otherwise
     * keep a slow consumer dumping forever. */
    if (!follow && shmseq_info(name, &info) == 0)
        end = info.head;

    if (header) {
        printf("seq,timestamp_ns,epoch");
        for (c = 0; c < width; c++)
            printf(",v%" PRIu32, c);
        putchar('\n');
    }
    while (!stop_signal && (count == 0 || printed < count)) {
        rc = shmseq_read(&r, &meta, v, SHMSEQ_WIDTH_MAX);
        if (rc == -EAGAIN) {
            if (!follow)
                break;
            /* Flush while idle, so a pipe sees rows as they come. Wait in
             * slices: Ctrl-C between the flag check and the sleep must
             * not leave us asleep on a region whose writer is gone. */
            if (fflush(stdout) != 0)
                break;
            rc = shmseq_read_wait(&r, &meta, v, SHMSEQ_WIDTH_MAX,
                                  200 * (int64_t)NS_PER_MS);
            if (rc == -ETIMEDOUT || rc == -EINTR || rc == -EAGAIN)
                continue;
        }
        if (rc < 0) {
            fprintf(stderr, "%s: dump %s: read failed: %s\n", prog, name,
                    shmseq_strerror(rc));
            status = CLI_FAIL;
            break;
        }
        if (meta.seq >= end)
            break;
        if (meta.lost != 0) {
            lost += meta.lost;
            fflush(stdout);
            fprintf(stderr, "%s: dump %s: lost %" PRIu64 " samples before "
                    "sample %" PRIu64 " (overwritten before they could be "
                    "read)\n", prog, name, meta.lost, meta.seq);
        }
        if (dump_row(&meta, v) < 0)
            break;
        printed++;
    }
    shmseq_reader_close(&r);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: dump %s: writing the output failed: %s\n", prog,
                name, strerror(errno));
        return CLI_FAIL;
    }
    if (lost != 0)
        fprintf(stderr, "%s: dump %s: %" PRIu64 " samples printed, %" PRIu64
                " lost\n", prog, name, printed, lost);
    return status;
}

/* ---- rm ----------------------------------------------------------------- */

static void rm_usage(void)
{
    printf(
"Usage: %s rm [--force] NAME...\n"
"Remove regions. A region a writer still holds is not removed (stop the\n"
"sensor task first) unless --force is given: then the writer and attached\n"
"readers keep their mapping, but the name is gone and the next writer\n"
"creates a new region.\n"
"\n"
"  -f, --force   remove even while a writer holds the region\n"
"  -h, --help    this text\n"
"\n"
"Exit status: 0 all removed, 1 some could not be removed (writer running,\n"
"permission), 2 usage error (nothing removed), 3 some did not exist (and\n"
"nothing else failed).\n", prog);
}

static int cmd_rm(int argc, char **argv)
{
    static const struct option opts[] = {
        {"force", no_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int force = 0, opt, rc, i, failed = 0, missing = 0;
    shmseq_region_info info;

    cmd_begin("rm", argv);
    while ((opt = getopt_long(argc, argv, "fh", opts, NULL)) != -1) {
        switch (opt) {
        case 'f': force = 1; break;
        case 'h': rm_usage(); return CLI_OK;
        default: return bad_option("rm");
        }
    }
    if (optind >= argc)
        return usage_error("rm", "missing region NAME%s", "");
    /* All names first: a typo in one removes none. */
    for (i = optind; i < argc; i++) {
        rc = check_name("rm", argv[i]);
        if (rc != CLI_OK)
            return rc;
    }
    for (i = optind; i < argc; i++) {
        const char *name = argv[i];
        int held = shmseq_info(name, &info) == 0 && info.writer_alive;

        rc = shmseq_remove(name, force ? SHMSEQ_REMOVE_FORCE : 0u);
        if (rc == 0) {
            if (held)
                fprintf(stderr, "%s: rm %s: removed while its writer (pid %"
                        PRIu32 ") runs; it goes on writing into a region no "
                        "new reader can find\n", prog, name, info.writer_pid);
            continue;
        }
        if (rc == -EBUSY) {
            if (held && info.writer_pid != 0)
                fprintf(stderr, "%s: rm %s: a writer (pid %" PRIu32 ") "
                        "still holds this region; stop it first, or use "
                        "--force\n", prog, name, info.writer_pid);
            else
                fprintf(stderr, "%s: rm %s: a writer still holds this "
                        "region; stop it first, or use --force\n", prog,
                        name);
            failed = 1;
        } else {
            (void)region_error("rm", name, rc);
            if (rc == -ENOENT)
                missing = 1;
            else
                failed = 1;
        }
    }
    return failed ? CLI_FAIL : missing ? CLI_NOENT : CLI_OK;
}

/* ---- main --------------------------------------------------------------- */

static void usage(void)
{
    printf(
"Usage: %s COMMAND [OPTION]... [NAME]...\n"
"Inspect and manage shmseq shared-memory sample regions.\n"
"\n"
"Commands:\n"
"  ls [--json]                       list the regions\n"
"  stat NAME [--json] [--window MS]  header, writer and publish rate\n"
"  watch NAME [--interval MS]        live view until Ctrl-C\n"
"  dump NAME [-n N] [--follow]       samples as CSV\n"
"  rm NAME... [--force]              remove regions\n"
"\n"
"  -h, --help     this text ('%s COMMAND --help' for a command's options)\n"
"  -V, --version  print the version\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 no such region.\n",
        prog, prog);
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(int argc, char **argv);
    } cmds[] = {
        {"ls", cmd_ls},     {"stat", cmd_stat}, {"watch", cmd_watch},
        {"dump", cmd_dump}, {"rm", cmd_rm},
    };
    const char *cmd;
    size_t i;

    if (argc < 2) {
        fprintf(stderr, "%s: missing COMMAND (ls, stat, watch, dump, rm)\n"
                "Try '%s --help'.\n", prog, prog);
        return CLI_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        /* "shmseq help stat" is "shmseq stat --help". */
        if (strcmp(cmd, "help") == 0 && argc > 2) {
            static char help_opt[] = "--help";
            char *hargv[3] = {argv[2], help_opt, NULL};

            for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
                if (strcmp(argv[2], cmds[i].name) == 0)
                    return cmds[i].fn(2, hargv);
            fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n",
                    prog, argv[2], prog);
            return CLI_USAGE;
        }
        usage();
        return CLI_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("%s %d.%d.%d (region layout version %u)\n", prog,
               SHMSEQ_VERSION_MAJOR, SHMSEQ_VERSION_MINOR,
               SHMSEQ_VERSION_PATCH, (unsigned)SHMSEQ_LAYOUT_VERSION);
        return CLI_OK;
    }
    for (i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(cmd, cmds[i].name) == 0)
            return cmds[i].fn(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "%s: unknown option '%s' (options follow the "
                "COMMAND)\nTry '%s --help'.\n", prog, cmd, prog);
    else
        fprintf(stderr, "%s: unknown command '%s' (ls, stat, watch, dump, "
                "rm)\nTry '%s --help'.\n", prog, cmd, prog);
    return CLI_USAGE;
}
