/* SPDX-License-Identifier: MIT */
/*
 * logger: the logger task. Attaches to a named shmseq region as a reader
 * (waiting for it to appear), hands every sample to a sink (shmseq/sink.h:
 * a CSV or binary log file or a SQLite database, docs/logging.md), reports its rate and losses
 * once a second on stderr, and stops on a signal, after --count samples, or
 * when the region has gone idle with no writer.
 *
 * The sink knows exactly which records it stored and counts every other
 * one as lost to I/O; the summary checks published == written +
 * lost-to-overrun + lost-to-I/O (+ unread, the samples published after the
 * logger stopped reading).
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>

#include <shmseq/log_sample.h>
#include <shmseq/sink.h>

#include "example_util.h"

static const char *prog = "logger";

/* Exit status: the region was replaced under the logger (see --help). */
#define EX_REPLACED 4

/* The database sink's options (--commit-ms ...), as its parameters. */
typedef struct sqlite_opts {
    uint64_t commit_ms, commit_rows, keep_rows, keep_seconds, busy_ms;
    const char *on_full;
    int given; /* any of them on the command line */
} sqlite_opts;

/* --fsync: "exit", N (records) or T followed by "ms" or "s". */
static int parse_fsync(const char *s, shmseq_sink_config *k)
{
    char *end;
    unsigned long long v;

    k->sync_records = k->sync_ns = 0;
    if (strcmp(s, "exit") == 0)
        return 0;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE || v == 0 || v > 1000000000ull)
        return -1;
    if (*end == '\0')
        k->sync_records = v;
    else if (strcmp(end, "ms") == 0)
        k->sync_ns = v * 1000000u;
    else if (strcmp(end, "s") == 0)
        k->sync_ns = v * 1000000000u;
    else
        return -1;
    return 0;
}

/* --max-bytes: a number with an optional k, M or G (powers of 1024). */
static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'M')
        shift = 20;
    else if (*end == 'G')
        shift = 30;
    if (shift != 0)
        end++;
    if (*end != '\0' || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

/* The options listed here are those of docs/cli.md, OPTION LETTERS (one
 * meaning per letter in every program); the test cli_options compares. */
static void usage(void)
{
    printf(
"Usage: %s [OPTION]...\n"
"Read every sample of a shmseq region and store it as CSV, a binary log or\n"
"a SQLite database.\n"
"\n"
"  -n, --name REGION   region to read                          (default %s)\n"
"      --wait S        wait up to S seconds for the region to appear\n"
"                                                              (default 5)\n"
"  -o, --out FILE      output file, '-' = stdout (CSV only)    (default -);\n"
"                      an existing FIFO or character device (/dev/null) is\n"
"                      written as it is: never synced, no rotation\n"
"  -F, --format FMT    csv, bin (the binary log of docs/logging.md, read\n"
"                      it with shmseq-log) or sqlite (a database: FILE is\n"
"                      created or continued; needs libsqlite3)  (default csv)\n"
"  -f, --force         replace existing output files (default: refuse): the\n"
"                      new file is written under a temporary name and\n"
"                      renamed over the old one once the region is found;\n"
"                      a symbolic link is replaced, never followed\n"
"      --fsync WHEN    make the file durable (fsync) every N records ('N'),\n"
"                      every T milliseconds or seconds ('Tms', 'Ts'), or\n"
"                      only at exit ('exit'); always also at exit and\n"
"                      before each rotation (sqlite: a durable commit and a\n"
"                      checkpoint; see docs/logging.md)     (default 1000ms)\n"
"  -M, --max-bytes B   start a new file before one would exceed B bytes\n"
"                      (k, M, G suffixes: powers of 1024): FILE, then\n"
"                      FILE.000001, FILE.000002, ...; each begins with its\n"
"                      own header; 0 = one file (sqlite: the database's\n"
"                      size limit, see --on-full)           (default 0)\n"
"      --commit-ms MS  sqlite: commit a batch every MS ms   (default 100)\n",
        prog, EXAMPLE_DEFAULT_REGION);
    printf(
"      --commit-rows N sqlite: ... or every N rows, whichever first\n"
"                                                           (default 4096)\n"
"      --keep-rows N   sqlite: keep only the newest N rows of the region\n"
"                      (deleted in the commit); 0 = all     (default 0)\n"
"      --keep-seconds S  sqlite: keep only the last S seconds; 0 = all\n"
"      --on-full WHAT  sqlite, database full: 'stop' (record the batch as a\n"
"                      gap, exit 1) or 'drop-oldest' (delete the oldest\n"
"                      rows and go on)                      (default stop)\n"
"      --busy-ms MS    sqlite: wait at most MS ms per commit for another\n"
"                      connection's write lock, then retry later\n"
"                                                           (default 250)\n"
"      --channels LIST sqlite: column names of the channels, comma-separated\n"
"                      (default v0,v1,...)\n"
"  -O, --oldest        start with the oldest sample in the ring\n"
"                      (default: with the next sample published); sqlite:\n"
"                      continue where the database ends (exactly once)\n"
"  -A, --any-owner     read a region created by another user (e.g. a sensor\n"
"                      task running under its own account, region mode 0640)\n"
"  -I, --idle S        stop once no sample arrived for S seconds and no\n"
"                      writer holds the region; 0 = never      (default 2)\n"
"  -S, --spin US       spin-then-sleep: poll up to US microseconds for the\n"
"                      next sample before sleeping (lower latency for fast\n"
"                      streams, up to US of CPU per sample); 0 = sleep at\n"
"                      once                                    (default 0)\n"
"      --poll-ms MS    instead of sleeping until each sample, take what has\n"
"                      arrived every MS ms (one wake-up per period, for high\n"
"                      rates into a batching sink; the ring must hold MS ms\n"
"                      of samples); 0 = wait per sample     (default 0)\n"
"  -N, --no-loss       treat any lost sample as an error (exit status 3)\n"
"  -c, --count N       stop after N samples; 0 = no limit      (default 0)\n"
"  -q, --quiet         no per-second status lines\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"CSV columns: seq,timestamp_ns,epoch,v0,v1,... (values with 17 significant\n"
"digits, so they read back bit for bit). Status lines and the summary go\n"
"to stderr; the summary checks published = written + lost-to-overrun +\n"
"lost-to-I/O + unread. It stops on Ctrl-C/SIGTERM, --count or --idle.\n"
"After a write or fsync error (disk full, I/O error) it says so once, cuts\n"
"the file back to its last complete record, keeps reading and counts every\n"
"further sample as lost to I/O, and exits with status 1.\n"
"With --format sqlite, a sink failure (database full, locked too long)\n"
"stops the logger (status 1); a restart with --oldest continues where the\n"
"database ends. A second logger of the same region into the same database\n"
"is refused.\n"
"If a writer replaces the region (sensor_reader --recreate with another\n"
"width or capacity, or `shmseq rm` and a new writer), this logger's mapping\n"
"can never see a new sample: after a second without one it says so and\n"
"stops with status 4, so a supervisor can start it on the new region.\n"
"Exit status: 0 ok, 1 runtime failure (I/O error included), 2 usage error,\n"
"3 samples lost with --no-loss, 4 the region was replaced.\n");
}

/* Attach, retrying while the region does not exist yet or is being made. */
static int open_waiting(shmseq_reader *r, const char *name, unsigned flags,
                        double wait_s)
{
    uint64_t deadline = shmseq_now_ns() + example_seconds_to_ns(wait_s);
    int rc;

    for (;;) {
        rc = shmseq_reader_open(r, name, flags);
        if (rc != -ENOENT && rc != -EAGAIN)
            return rc;
        if (example_stop_signal || shmseq_now_ns() >= deadline)
            return rc;
        /* 20 ms: quick enough to catch a starting writer early. */
        shmseq_sleep_ns(20000000u);
    }
}

/* What the command line asks for. */
typedef struct logger_opts {
    const char *name;
    const char *format;     /* a sink name: csv, bin, sqlite */
    shmseq_sink_config out; /* --out, --force, --fsync, --max-bytes */
    sqlite_opts sq;         /* --commit-ms ... (the sqlite sink's params) */
    double wait_s, idle_s;
    uint64_t count, spin_us, poll_ms;
    int oldest, any_owner, no_loss, quiet;
} logger_opts;

/* What the read loop saw. */
typedef struct logger_run {
    uint64_t received, lost, first_seq, last_seq;
    uint64_t resume_next;  /* the sink already holds what is below this */
    uint64_t skipped;      /* samples the sink already held: read or lost */
    uint64_t lost_held;    /* of those, overwritten before read */
    int resumed;
    uint32_t last_epoch, epochs;
    const char *why;       /* why it stopped */
    int status;            /* EX_OK, EX_FAIL, EX_REPLACED */
    int loss_failed;       /* --no-loss tripped */
    int said_io;           /* the sink's failure was reported */
} logger_run;

static shmseq_sink out_sink;

/* getopt_long's values for the options without a short letter (docs/cli.md,
 * OPTION LETTERS: -w is --width and -s --sensor in every program). */
enum { OPT_WAIT = 0x100, OPT_FSYNC, OPT_COMMIT_MS, OPT_COMMIT_ROWS,
       OPT_KEEP_ROWS, OPT_KEEP_SECONDS, OPT_ON_FULL, OPT_BUSY_MS,
       OPT_CHANNELS, OPT_POLL_MS };

/* The sqlite sink's parameter string from its options. */
static void sqlite_params(logger_opts *o)
{
    static char params[256];

    snprintf(params, sizeof params, "commit_ms=%" PRIu64 ",commit_rows=%"
             PRIu64 ",keep_rows=%" PRIu64 ",keep_seconds=%" PRIu64
             ",on_full=%s,busy_ms=%" PRIu64, o->sq.commit_ms,
             o->sq.commit_rows, o->sq.keep_rows, o->sq.keep_seconds,
             o->sq.on_full, o->sq.busy_ms);
    o->out.params = params;
}

/* A number option of the sqlite sink, within [lo, hi]. */
static uint64_t sq_opt(const char *name, const char *arg, uint64_t lo,
                       uint64_t hi, sqlite_opts *sq)
{
    uint64_t v;

    if (shmseq_parse_u64(arg, &v) < 0 || v < lo || v > hi) {
        char why[160];

        snprintf(why, sizeof why, "%s '%.40s': want a number %" PRIu64 "..%"
                 PRIu64, name, arg, lo, hi);
        example_usage_error(prog, "%s", why);
    }
    sq->given = 1;
    return v;
}

static void parse_args(int argc, char **argv, logger_opts *o)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'F'},
        {"force", no_argument, NULL, 'f'},
        {"fsync", required_argument, NULL, OPT_FSYNC},
        {"commit-ms", required_argument, NULL, OPT_COMMIT_MS},
        {"commit-rows", required_argument, NULL, OPT_COMMIT_ROWS},
        {"keep-rows", required_argument, NULL, OPT_KEEP_ROWS},
        {"keep-seconds", required_argument, NULL, OPT_KEEP_SECONDS},
        {"on-full", required_argument, NULL, OPT_ON_FULL},
        {"busy-ms", required_argument, NULL, OPT_BUSY_MS},
        {"channels", required_argument, NULL, OPT_CHANNELS},
        {"poll-ms", required_argument, NULL, OPT_POLL_MS},
        {"max-bytes", required_argument, NULL, 'M'},
        {"oldest", no_argument, NULL, 'O'},
        {"any-owner", no_argument, NULL, 'A'},
        {"idle", required_argument, NULL, 'I'},
        {"no-loss", no_argument, NULL, 'N'},
        {"spin", required_argument, NULL, 'S'},
        {"count", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;

    memset(o, 0, sizeof *o);
    o->name = EXAMPLE_DEFAULT_REGION;
    o->format = "csv";
    o->out.target = "-";
    o->out.sync_ns = 1000000000u; /* --fsync 1000ms */
    o->wait_s = 5.0;
    o->idle_s = 2.0;
    o->sq.commit_ms = 100;
    o->sq.commit_rows = 4096;
    o->sq.busy_ms = 250;
    o->sq.on_full = "stop";
    example_begin(argv, prog);
    while ((opt = getopt_long(argc, argv, "n:o:F:fM:OAI:NS:c:qhV", opts,
                              NULL)) != -1) {
        switch (opt) {
        case 'n': o->name = optarg; break;
        case OPT_WAIT:
            if (shmseq_parse_seconds(optarg, &o->wait_s) < 0)
                example_usage_error(prog, "--wait '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'o': o->out.target = optarg; break;
        case 'F':
            if (strcmp(optarg, "bin") != 0 && strcmp(optarg, "csv") != 0 &&
                strcmp(optarg, "sqlite") != 0)
                example_usage_error(prog, "--format '%s': want csv, bin or "
                                    "sqlite", optarg);
            if (shmseq_sink_find(optarg) == NULL) {
                fprintf(stderr, "%s: --format %s needs libsqlite3, and this "
                        "logger was built without it: install it (Debian: "
                        "apt-get install libsqlite3-dev) and rebuild\n",
                        prog, optarg);
                exit(EX_FAIL);
            }
            o->format = optarg;
            break;
        case OPT_COMMIT_MS:
            o->sq.commit_ms = sq_opt("--commit-ms", optarg, 0, 3600000u,
                                     &o->sq);
            break;
        case OPT_COMMIT_ROWS:
            o->sq.commit_rows = sq_opt("--commit-rows", optarg, 1, 1000000u,
                                       &o->sq);
            break;
        case OPT_KEEP_ROWS:
            o->sq.keep_rows = sq_opt("--keep-rows", optarg, 0, INT64_MAX,
                                     &o->sq);
            break;
        case OPT_KEEP_SECONDS:
            o->sq.keep_seconds = sq_opt("--keep-seconds", optarg, 0,
                                        100ull * 365u * 86400u, &o->sq);
            break;
        case OPT_BUSY_MS:
            o->sq.busy_ms = sq_opt("--busy-ms", optarg, 0, 600000u, &o->sq);
            break;
        case OPT_ON_FULL:
            if (strcmp(optarg, "stop") != 0 &&
                strcmp(optarg, "drop-oldest") != 0)
                example_usage_error(prog, "--on-full '%s': want stop or "
                                    "drop-oldest", optarg);
            o->sq.on_full = optarg;
            o->sq.given = 1;
            break;
        case OPT_POLL_MS:
            if (shmseq_parse_u64(optarg, &o->poll_ms) < 0 ||
                o->poll_ms > 1000u)
                example_usage_error(prog, "--poll-ms '%s': want 0..1000",
                                    optarg);
            break;
        case OPT_CHANNELS:
            o->out.channels = optarg;
            o->sq.given = 1;
            break;
        case 'f': o->out.force = 1; break;
        case OPT_FSYNC:
            if (parse_fsync(optarg, &o->out) < 0)
                example_usage_error(prog, "--fsync '%s': want N (records), "
                                    "Tms, Ts or exit", optarg);
            break;
        case 'M':
            if (parse_bytes(optarg, &o->out.max_bytes) < 0)
                example_usage_error(prog, "--max-bytes '%s': want bytes "
                                    "(k, M, G allowed)", optarg);
            break;
        case 'O': o->oldest = 1; break;
        case 'A': o->any_owner = 1; break;
        case 'I':
            if (shmseq_parse_seconds(optarg, &o->idle_s) < 0)
                example_usage_error(prog, "--idle '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'N': o->no_loss = 1; break;
        case 'S':
            /* At most an hour: a budget is a spin, not a poll loop. */
            if (shmseq_parse_u64(optarg, &o->spin_us) < 0 ||
                o->spin_us > 3600ull * 1000000u)
                example_usage_error(prog, "--spin '%s': want microseconds, "
                                    "0..3600000000", optarg);
            break;
        case 'c':
            if (shmseq_parse_u64(optarg, &o->count) < 0)
                example_usage_error(prog, "--count '%s': want a number >= 0",
                                    optarg);
            break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(); exit(EX_OK);
        case 'V': example_version(prog); exit(EX_OK);
        default:
            fprintf(stderr, "Try '%s --help'.\n", prog);
            exit(EX_USAGE);
        }
    }
    if (optind < argc)
        example_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    if (strcmp(o->format, "sqlite") == 0)
        sqlite_params(o);
    else if (o->sq.given)
        example_usage_error(prog, "%s", "--commit-ms, --commit-rows, "
                            "--keep-rows, --keep-seconds, --on-full, "
                            "--busy-ms and --channels need --format sqlite");
}

/* Open the output before the region is attached, so a refused --out fails
 * at once instead of after waiting for the region. */
static int open_sink(shmseq_sink *k, const logger_opts *o)
{
    int rc = shmseq_sink_open(k, o->format, &o->out);

    if (rc == -EINVAL)
        example_usage_error(prog, "%s", k->why);
    if (rc < 0)
        fprintf(stderr, "%s: %s%s\n", prog, k->why, rc == -EEXIST
                    ? " (not overwriting it: pass --force, or another --out)"
                    : "");
    return rc;
}

/* Say the sink's failure once, when it happens. */
static void check_sink(shmseq_sink *k, logger_run *run)
{
    if (k->error != 0 && !run->said_io) {
        fprintf(stderr, "%s: %s; %" PRIu64 " records stored, counting "
                "every further sample as lost to I/O\n", prog, k->why,
                k->written);
        run->said_io = 1;
    }
}

/* A database outlives the run: after its failure, stopping loses nothing
 * more (a restart with --oldest continues where it ends), while reading
 * on would count every further sample as lost. */
static int stop_on_failure(const logger_opts *o)
{
    return strcmp(o->format, "sqlite") == 0;
}

/* One sample read: count it, store it (the sample after a gap too, so the
 * output holds exactly the samples counted as received). 1: stop. */
static int take_sample(shmseq_sink *k, const logger_opts *o, logger_run *run,
                       const shmseq_sample *meta, const double *v,
                       uint64_t now)
{
    shmseq_log_record rec;
    uint64_t lost = meta->lost;

    if (run->resumed && lost != 0 && meta->seq - lost < run->resume_next) {
        /* Overrun while catching up: the part of the loss the sink had
         * stored before the restart is not lost. */
        uint64_t held = (meta->seq < run->resume_next ? meta->seq
                                                      : run->resume_next) -
                        (meta->seq - lost);

        run->skipped += held;
        run->lost_held += held;
        lost -= held;
    }
    if (run->received == 0)
        run->first_seq = meta->seq;
    run->last_seq = meta->seq;
    run->received++;
    if (meta->epoch != run->last_epoch) {
        run->epochs++;
        run->last_epoch = meta->epoch;
    }
    if (run->resumed && meta->seq < run->resume_next) {
        /* The sink stored it before a restart: exactly once. */
        run->skipped++;
        return 0;
    }
    shmseq_log_record_from_sample(&rec, meta, v);
    rec.lost_before = lost;
    (void)shmseq_sink_write(k, &rec, 1, now);
    check_sink(k, run);
    if (k->error != 0 && stop_on_failure(o)) {
        run->status = EX_FAIL;
        run->why = "output failed";
        return 1;
    }
    if (lost != 0) {
        run->lost += lost;
        if (o->no_loss) {
            fprintf(stderr, "%s: lost %" PRIu64 " samples before sample %"
                    PRIu64 " (the logger fell more than the ring's capacity "
                    "behind); stopping (--no-loss)\n", prog, lost,
                    meta->seq);
            run->loss_failed = 1;
            run->why = "loss";
            return 1;
        }
    }
    if (o->count != 0 &&
        run->received - (run->skipped - run->lost_held) >= o->count) {
        run->why = "count reached";
        return 1;
    }
    return 0;
}

/* The read loop: until a signal, --count, --no-loss, idleness with no
 * writer, a replaced region or a read error. */
static void read_loop(shmseq_reader *r, shmseq_sink *k, const logger_opts *o,
                      logger_run *run)
{
    shmseq_sample meta;
    double v[SHMSEQ_WIDTH_MAX];
    uint64_t idle_ns = example_seconds_to_ns(o->idle_s);
    uint64_t last_arrival = shmseq_now_ns(), prev_received = 0;
    uint64_t prev_status = last_arrival, next_status, next_probe;
    int rc;

    next_status = next_probe = last_arrival + 1000000000u;

    while (!example_stop_signal) {
        uint64_t now;

        /* 100 ms: short enough to print status and notice idleness.
         * --poll-ms: take what has arrived, then sleep once for the lot
         * (one wake-up per period instead of one per sample). */
        if (o->poll_ms != 0) {
            rc = shmseq_read(r, &meta, v, SHMSEQ_WIDTH_MAX);
            if (rc == -EAGAIN)
                shmseq_sleep_ns(o->poll_ms * 1000000u);
        } else {
            rc = shmseq_read_wait(r, &meta, v, SHMSEQ_WIDTH_MAX, 100000000);
        }
        now = shmseq_now_ns();
        if (rc == 0) {
            last_arrival = now;
            if (take_sample(k, o, run, &meta, v, now))
                break;
        } else if (rc == -ETIMEDOUT || rc == -EAGAIN) {
            /* After a second of silence, and once a second after that,
             * look whether the region was replaced under us (two system
             * calls; never while samples flow). Idle only counts once no
             * writer is there to resume: a writer that is merely slow or
             * paused keeps us waiting. */
            bool idle = idle_ns != 0 && now - last_arrival >= idle_ns;
            int alive = 1;
            if (idle || (now - last_arrival >= 1000000000u && now >= next_probe)) {
                alive = shmseq_reader_writer_alive(r);
                next_probe = now + 1000000000u;
            }
            if (alive == -ESTALE) {
                fprintf(stderr, "%s: region '%s' was replaced by a new one "
                        "(a writer recreated it); this logger cannot follow "
                        "it: stopping (start the logger again)\n", prog,
                        o->name);
                run->status = EX_REPLACED;
                run->why = "region replaced";
                break;
            }
            if (idle && alive != 1) {
                run->why = "idle, no writer";
                break;
            }
        } else if (rc != -EINTR) {
            fprintf(stderr, "%s: read failed: %s\n", prog,
                    shmseq_strerror(rc));
            run->status = EX_FAIL;
            run->why = "error";
            break;
        }
        (void)shmseq_sink_tick(k, now);
        check_sink(k, run);
        if (k->error != 0 && stop_on_failure(o)) {
            run->status = EX_FAIL;
            run->why = "output failed";
            break;
        }
        if (now >= next_status) {
            char extra[256];
            shmseq_reader_stats st;

            (void)shmseq_sink_flush(k);
            check_sink(k, run);
            shmseq_reader_get_stats(r, &st);
            shmseq_sink_status(k, extra, sizeof extra);
            if (!o->quiet)
                fprintf(stderr,
                        "%s: rate %.1f/s received %" PRIu64 " lost %" PRIu64
                        " bytes %" PRIu64 " lag %" PRIu64 "%s%s%s\n",
                        prog,
                        (double)(run->received - prev_received) * 1e9 /
                            (double)(now - prev_status),
                        run->received, run->lost, k->bytes,
                        shmseq_reader_head(r) - st.next,
                        extra[0] != '\0' ? " " : "", extra,
                        k->error != 0 ? " (output failed)" : "");
            prev_received = run->received;
            prev_status = now;
            next_status = now + 1000000000u;
        }
    }
}

/* The summary and the exit status. Published, as the region counts it:
 * from the logger's first sample to the region's head at the end, read
 * through the logger's own mapping, so it is exact even if the region's
 * name was removed meanwhile. */
static int report(shmseq_reader *r, const shmseq_sink *k,
                  const logger_opts *o, const logger_run *run,
                  const char *sink_status)
{
    shmseq_reader_stats st;
    uint64_t head_end, published, unread;
    int status = run->status;
    int balanced;

    shmseq_reader_get_stats(r, &st);
    head_end = shmseq_reader_head(r);
    published = head_end - st.first;
    unread = head_end - st.next;
    fprintf(stderr, "%s: stopped (%s): received %" PRIu64 " lost %" PRIu64,
            prog, example_stop_signal ? example_stop_name() : run->why,
            run->received, run->lost);
    if (run->received != 0)
        fprintf(stderr, " first seq %" PRIu64 " last seq %" PRIu64,
                run->first_seq, run->last_seq);
    else
        fprintf(stderr, " first seq - last seq -");
    fprintf(stderr, " epochs seen %u bytes %" PRIu64 "\n",
            (unsigned)run->epochs, k->bytes);
    balanced = published == k->written + run->lost + k->lost_io + unread +
                                run->skipped;
    fprintf(stderr, "%s: accounting: published %" PRIu64 " = written %"
            PRIu64 " + lost-to-overrun %" PRIu64 " + lost-to-I/O %" PRIu64
            " + unread %" PRIu64, prog, published, k->written, run->lost,
            k->lost_io, unread);
    if (run->resumed)
        fprintf(stderr, " + already-stored %" PRIu64, run->skipped);
    fprintf(stderr, ": %s", balanced ? "balanced" : "MISMATCH");
    /* Where "written" went: files made durable, or a target that cannot
     * be synced (stdout, a FIFO, a character device such as /dev/null). */
    if (k->durable)
        fprintf(stderr, " (%u file%s)\n", (unsigned)k->outputs,
                k->outputs == 1 ? "" : "s");
    else
        fprintf(stderr, " (written to %s%s%s%s, which cannot be synced)\n",
                k->kind != NULL ? k->kind : "output",
                strcmp(k->where, "stdout") == 0 ? "" : " '",
                strcmp(k->where, "stdout") == 0 ? "" : k->where,
                strcmp(k->where, "stdout") == 0 ? "" : "'");
    if (sink_status[0] != '\0')
        fprintf(stderr, "%s: %s: %s\n", prog, o->format, sink_status);
    if (st.received != run->received || st.lost != run->lost + run->lost_held)
        fprintf(stderr, "%s: warning: library counters disagree: received %"
                PRIu64 " lost %" PRIu64 "\n", prog, st.received, st.lost);
    if (!balanced || run->received - (run->skipped - run->lost_held) !=
                        k->written + k->lost_io)
        status = EX_FAIL;
    if (k->error != 0 || k->lost_io != 0) {
        fprintf(stderr, "%s: %" PRIu64 " samples could not be stored in '%s'"
                "\n", prog, k->lost_io, k->where);
        return EX_FAIL;
    }
    if (run->loss_failed)
        return 3;
    if (status != EX_OK)
        return status;
    if (o->no_loss && run->lost != 0)
        return 3;
    return EX_OK;
}

int main(int argc, char **argv)
{
    shmseq_sink *k = &out_sink;
    char sink_status[256];
    shmseq_log_header hdr;
    logger_opts o;
    logger_run run;
    shmseq_reader r;
    int rc;

    parse_args(argc, argv, &o);
    rc = shmseq_name_check(o.name);
    if (rc < 0) {
        example_region_error(prog, o.name, rc, 0);
        return EX_USAGE;
    }
    if (open_sink(k, &o) < 0)
        return EX_FAIL;
    example_catch_signals();
    rc = open_waiting(&r, o.name,
                      (o.oldest ? SHMSEQ_START_OLDEST : SHMSEQ_START_LATEST) |
                          (o.any_owner ? SHMSEQ_READER_ANY_OWNER : 0u),
                      o.wait_s);
    if (rc < 0) {
        /* Closed before begin: the sink leaves no file behind. */
        shmseq_sink_close(k);
        if (example_stop_signal && (rc == -ENOENT || rc == -EAGAIN))
            return EX_FAIL; /* interrupted while waiting; nothing to say */
        example_region_error(prog, o.name, rc, 0);
        return EX_FAIL;
    }
    shmseq_reader_set_spin(&r, o.spin_us * 1000u);
    shmseq_log_header_from_reader(&hdr, &r, o.name);
    memset(&run, 0, sizeof run);
    /* A database may already hold this region (a restart): where it ends.
     * With --oldest the samples below that still in the ring are skipped;
     * a break before the first new one is recorded as a gap. */
    rc = shmseq_sink_resume(k, &hdr, &run.resume_next);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, k->why);
        shmseq_sink_close(k);
        shmseq_reader_close(&r);
        return EX_FAIL;
    }
    run.resumed = rc == 1;
    if (shmseq_sink_begin(k, &hdr, shmseq_now_ns()) < 0 &&
        stop_on_failure(&o)) {
        fprintf(stderr, "%s: %s\n", prog, k->why);
        shmseq_sink_close(k);
        shmseq_reader_close(&r);
        return EX_FAIL;
    }
    if (!o.quiet)
        fprintf(stderr, "%s: reading region '%s' (width %u) from the %s "
                "sample into %s (%s)\n", prog, o.name, (unsigned)hdr.width,
                o.oldest ? "oldest" : "next", k->where,
                strcmp(o.format, "bin") == 0      ? "binary log"
                : strcmp(o.format, "sqlite") == 0 ? "SQLite database"
                                                  : "CSV");
    if (!o.quiet && run.resumed)
        fprintf(stderr, "%s: the database holds region '%s' up to sample %"
                PRIu64 "; continuing with sample %" PRIu64 "\n", prog,
                o.name, run.resume_next - 1u, run.resume_next);
    run.why = "signal";
    read_loop(&r, k, &o, &run);
    (void)shmseq_sink_flush(k);
    shmseq_sink_status(k, sink_status, sizeof sink_status);
    shmseq_sink_close(k);
    check_sink(k, &run);
    rc = report(&r, k, &o, &run, sink_status);
    shmseq_reader_close(&r);
    return rc;
}
