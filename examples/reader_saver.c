/* SPDX-License-Identifier: MIT */
/*
 * reader_saver: the original Python sketch of shmseq, in C.
 *
 * The sketch had a "Reader" process fetching data into shared memory and a
 * "Saver" process reading it, doubling it and storing it. Here the parent
 * forks the Saver (a shmseq reader: it waits for the region, reads the
 * samples oldest first, blocking, and prints each original and doubled),
 * creates the region as its writer, and forks the Reader, which inherits
 * that writer (so it is the region's first and only writer: epoch 1),
 * publishes N seeded random samples and exits. The parent waits for both
 * and removes the region on every path, failures included.
 *
 * With --db FILE the Saver also stores what it computed, the doubled
 * values, in a SQLite database (the logger's sqlite sink, the sketch's
 * "stores the processed data in a database" made real), and at the end
 * prints them back with a query, so what was stored is seen, not assumed.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/log_sample.h>
#include <shmseq/sink.h>

#ifdef SHMSEQ_HAVE_SQLITE
#include <sqlite3.h>
#endif

#include "example_util.h"

static const char *prog = "reader_saver";

/* getopt_long's value for --seed, which has no short letter (docs/cli.md,
 * OPTION LETTERS: -s is --sensor). */
#define OPT_SEED 0x100
#define OPT_DB 0x101

struct settings {
    char name[SHMSEQ_NAME_MAX + 1];
    uint32_t count, width, capacity;
    uint64_t seed;
    double timeout_s;
    const char *db;   /* --db: the Saver's database, or NULL */
    shmseq_writer *w; /* the parent's writer, inherited by the Reader */
};

/* The options listed here are those of docs/cli.md, OPTION LETTERS (one
 * meaning per letter in every program); the test cli_options compares. */
static void usage(void)
{
    printf(
"Usage: %s [OPTION]...\n"
"Create a shmseq region; fork a Reader process that publishes random\n"
"samples into it (its first writer: epoch 1) and a Saver process that\n"
"reads them, doubles them and prints them; then remove the region.\n"
"\n"
"  -n, --name REGION   region name             (default reader-saver-<pid>)\n"
"  -c, --count N       samples to pass, 1..capacity           (default 20)\n"
"  -w, --width N       values per sample, 1..%u               (default 4)\n"
"  -C, --capacity N    ring slots, power of two               (default 64)\n"
"      --seed N        seed of the Reader's random numbers    (default 1)\n"
"  -t, --timeout S     the Saver gives up after S seconds without a sample\n"
"                                                             (default 5)\n"
"      --db FILE       the Saver also stores the doubled values in the\n"
"                      SQLite database FILE (created or continued; the\n"
"                      logger's schema) and prints them back with a query\n"
"                      (needs libsqlite3)\n"
"  -h, --help          this text\n"
"  -V, --version       print the version\n"
"\n"
"stdout: one line per sample from the Saver:\n"
"  SEQ original V0,V1,... doubled 2*V0,2*V1,...\n"
"and with --db, after them, one line per row the query read back:\n"
"  SEQ stored 2*V0,2*V1,...\n"
"stderr: what each process did.\n"
"Exit status: 0 ok, 1 runtime failure (a child failed), 2 usage error.\n",
        prog, (unsigned)SHMSEQ_WIDTH_MAX);
}

/* xorshift64* (Vigna 2016): a seeded, reproducible generator. */
static uint64_t next_random(uint64_t *s)
{
    uint64_t x = *s;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1du;
}

/* The Reader child: shmseq's writer, through the writer the parent opened
 * (the lock belongs to the open file, which fork shares). Returns its exit
 * status. */
static int run_reader(const struct settings *st)
{
    double v[SHMSEQ_WIDTH_MAX];
    uint64_t rng = st->seed != 0 ? st->seed : 0x9e3779b97f4a7c15u;
    uint32_t i, c;

    for (i = 0; i < st->count; i++) {
        for (c = 0; c < st->width; c++)
            v[c] = (double)(next_random(&rng) >> 11) *
                   (1.0 / 9007199254740992.0);
        shmseq_publish(st->w, v, shmseq_now_ns());
    }
    fprintf(stderr, "Reader: published %u samples into '%s' (epoch %u)\n",
            (unsigned)st->count, st->name,
            (unsigned)shmseq_writer_epoch(st->w));
    shmseq_writer_close(st->w);
    return EX_OK;
}

/* The Saver starts before the region exists: wait for it (bounded by
 * --timeout). -EAGAIN: it is being created right now. */
static int saver_open(shmseq_reader *r, const struct settings *st)
{
    uint64_t deadline = shmseq_now_ns() +
                        example_seconds_to_ns(st->timeout_s);
    struct timespec nap = {0, 5000000};
    int rc;

    for (;;) {
        rc = shmseq_reader_open(r, st->name, SHMSEQ_START_OLDEST);
        if ((rc != -ENOENT && rc != -EAGAIN) || shmseq_now_ns() >= deadline)
            return rc;
        (void)nanosleep(&nap, NULL);
    }
}

/* --db: read back what the database holds of this region, in order. */
static int saver_print_db(const struct settings *st)
{
#ifdef SHMSEQ_HAVE_SQLITE
    sqlite3 *db;
    sqlite3_stmt *q;
    int rc, c, n = 0;

    if (sqlite3_open_v2(st->db, &db, SQLITE_OPEN_READONLY, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "Saver: cannot open '%s': %s\n", st->db,
                sqlite3_errmsg(db));
        sqlite3_close(db);
        return EX_FAIL;
    }
    /* The newest regions row of this name: this run's region. */
    rc = sqlite3_prepare_v2(db, "SELECT * FROM samples WHERE region = "
                            "(SELECT max(id) FROM regions WHERE name = ?1) "
                            "ORDER BY seq", -1, &q, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(q, 1, st->name, -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
            printf("%lld stored", (long long)sqlite3_column_int64(q, 1));
            for (c = 4; c < sqlite3_column_count(q); c++)
                printf("%c%.17g", c > 4 ? ',' : ' ',
                       sqlite3_column_double(q, c));
            printf("\n");
            n++;
        }
        sqlite3_finalize(q);
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "Saver: query of '%s' failed: %s\n", st->db,
                sqlite3_errmsg(db));
        sqlite3_close(db);
        return EX_FAIL;
    }
    sqlite3_close(db);
    fprintf(stderr, "Saver: read back %d rows from '%s'\n", n, st->db);
    return EX_OK;
#else
    (void)st;
    return EX_FAIL; /* main refused --db in this build */
#endif
}

/* The Saver child: a shmseq reader. Returns its exit status. */
static int run_saver(const struct settings *st)
{
    static shmseq_sink k; /* --db */
    shmseq_sink_config kc;
    shmseq_log_record rec;
    shmseq_log_header h;
    shmseq_reader r;
    shmseq_sample m;
    double v[SHMSEQ_WIDTH_MAX];
    uint32_t i, c;
    int rc;

    if (st->db != NULL) {
        /* Before waiting for the region: a refused database fails now. */
        memset(&kc, 0, sizeof kc);
        kc.target = st->db;
        kc.sync_ns = 1000000000u;
        if (shmseq_sink_open(&k, "sqlite", &kc) < 0) {
            fprintf(stderr, "Saver: %s\n", k.why);
            return EX_FAIL;
        }
    }
    rc = saver_open(&r, st);
    if (rc < 0) {
        if (st->db != NULL)
            shmseq_sink_close(&k);
        example_region_error("reader_saver: Saver", st->name, rc, 0);
        return EX_FAIL;
    }
    if (st->db != NULL) {
        shmseq_log_header_from_reader(&h, &r, st->name);
        if (shmseq_sink_begin(&k, &h, shmseq_now_ns()) < 0) {
            fprintf(stderr, "Saver: %s\n", k.why);
            shmseq_sink_close(&k);
            shmseq_reader_close(&r);
            return EX_FAIL;
        }
    }
    for (i = 0; i < st->count; i++) {
        rc = shmseq_read_wait(&r, &m, v, SHMSEQ_WIDTH_MAX,
                              (int64_t)example_seconds_to_ns(st->timeout_s));
        if (rc == -ETIMEDOUT) {
            fprintf(stderr, "Saver: no sample for %g s after %u of %u; is "
                    "the Reader running? (raise --timeout)\n",
                    st->timeout_s, (unsigned)i, (unsigned)st->count);
            shmseq_reader_close(&r);
            return EX_FAIL;
        }
        if (rc < 0) {
            fprintf(stderr, "Saver: read failed: %s\n", shmseq_strerror(rc));
            shmseq_reader_close(&r);
            return EX_FAIL;
        }
        if (m.lost != 0) {
            /* Cannot happen with count <= capacity; say so if it does. */
            fprintf(stderr, "Saver: lost %" PRIu64 " samples before %" PRIu64
                    "\n", m.lost, m.seq);
            shmseq_reader_close(&r);
            return EX_FAIL;
        }
        printf("%" PRIu64 " original", m.seq);
        for (c = 0; c < m.width; c++)
            printf("%c%.17g", c ? ',' : ' ', v[c]);
        printf(" doubled");
        for (c = 0; c < m.width; c++)
            printf("%c%.17g", c ? ',' : ' ', 2.0 * v[c]);
        printf("\n");
        if (st->db != NULL) {
            rec.seq = m.seq;
            rec.timestamp_ns = m.timestamp_ns;
            rec.lost_before = m.lost;
            rec.epoch = m.epoch;
            rec.width = m.width;
            for (c = 0; c < m.width; c++)
                rec.values[c] = 2.0 * v[c];
            (void)shmseq_sink_write(&k, &rec, 1, shmseq_now_ns());
            (void)shmseq_sink_tick(&k, shmseq_now_ns());
        }
    }
    shmseq_reader_close(&r);
    if (st->db != NULL) {
        if (shmseq_sink_close(&k) < 0) {
            fprintf(stderr, "Saver: %s; %" PRIu64 " of %u stored\n", k.why,
                    k.written, (unsigned)st->count);
            return EX_FAIL;
        }
        fprintf(stderr, "Saver: stored %" PRIu64 " rows in '%s'\n",
                k.written, st->db);
        if (fflush(stdout) != 0 || saver_print_db(st) != EX_OK)
            return EX_FAIL;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "Saver: cannot write the output: %s\n",
                strerror(errno));
        return EX_FAIL;
    }
    fprintf(stderr, "Saver: read and doubled %u samples\n",
            (unsigned)st->count);
    return EX_OK;
}

/* Fork a child running @p fn; it flushes stdio before _exit because its
 * buffers would otherwise be lost (stdout is often a pipe). */
static pid_t spawn(int (*fn)(const struct settings *),
                   const struct settings *st)
{
    pid_t pid;

    fflush(stdout);
    fflush(stderr);
    pid = fork();
    if (pid == 0) {
        int code;

        signal(SIGINT, SIG_DFL);
        signal(SIGTERM, SIG_DFL);
        code = fn(st);
        if (fflush(stdout) != 0)
            code = EX_FAIL;
        fflush(stderr);
        _exit(code);
    }
    return pid;
}

/* Describe how a child ended; 0 if it succeeded. */
static int report(const char *who, pid_t pid, int wstatus)
{
    if (WIFEXITED(wstatus)) {
        if (WEXITSTATUS(wstatus) == 0)
            return 0;
        fprintf(stderr, "%s: the %s (pid %ld) failed with exit status %d\n",
                prog, who, (long)pid, WEXITSTATUS(wstatus));
    } else if (WIFSIGNALED(wstatus)) {
        const char *sig = example_signal_name(WTERMSIG(wstatus));

        if (sig != NULL)
            fprintf(stderr, "%s: the %s (pid %ld) was killed by %s\n", prog,
                    who, (long)pid, sig);
        else
            fprintf(stderr, "%s: the %s (pid %ld) was killed by signal %d\n",
                    prog, who, (long)pid, WTERMSIG(wstatus));
    } else {
        fprintf(stderr, "%s: the %s (pid %ld) ended oddly (status 0x%x)\n",
                prog, who, (long)pid, (unsigned)wstatus);
    }
    return 1;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"count", required_argument, NULL, 'c'},
        {"width", required_argument, NULL, 'w'},
        {"capacity", required_argument, NULL, 'C'},
        {"seed", required_argument, NULL, OPT_SEED},
        {"timeout", required_argument, NULL, 't'},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct settings st;
    const char *name_arg = NULL;
    shmseq_writer w;
    shmseq_config cfg;
    pid_t reader = -1, saver = -1;
    int opt, rc, failed = 0, writing = 0;

    st.count = 20;
    st.width = 4;
    st.capacity = 64;
    st.seed = 1;
    st.timeout_s = 5.0;
    st.db = NULL;
    st.w = &w;
    example_begin(argv, prog);
    while ((opt = getopt_long(argc, argv, "n:c:w:C:t:hV", opts, NULL)) != -1) {
        switch (opt) {
        case 'n': name_arg = optarg; break;
        case 'c':
            if (shmseq_parse_u32(optarg, &st.count) < 0 || st.count == 0)
                example_usage_error(prog, "--count '%s': want a number >= 1",
                                    optarg);
            break;
        case 'w':
            if (shmseq_parse_u32(optarg, &st.width) < 0 || st.width == 0 ||
                st.width > SHMSEQ_WIDTH_MAX)
                example_usage_error(prog, "--width '%s': want 1..64", optarg);
            break;
        case 'C':
            if (shmseq_parse_u32(optarg, &st.capacity) < 0 ||
                st.capacity < SHMSEQ_CAPACITY_MIN ||
                st.capacity > SHMSEQ_CAPACITY_MAX ||
                (st.capacity & (st.capacity - 1)) != 0)
                example_usage_error(prog, "--capacity '%s': want a power of "
                                    "two, 2..1048576", optarg);
            break;
        case OPT_SEED:
            if (shmseq_parse_u64(optarg, &st.seed) < 0)
                example_usage_error(prog, "--seed '%s': want a number",
                                    optarg);
            break;
        case 't':
            if (shmseq_parse_seconds(optarg, &st.timeout_s) < 0)
                example_usage_error(prog, "--timeout '%s': want seconds >= 0",
                                    optarg);
            break;
        case OPT_DB:
            if (shmseq_sink_find("sqlite") == NULL) {
                fprintf(stderr, "%s: --db needs libsqlite3, and this "
                        "program was built without it: install it (Debian: "
                        "apt-get install libsqlite3-dev) and rebuild\n",
                        prog);
                return EX_FAIL;
            }
            st.db = optarg;
            break;
        case 'h': usage(); return EX_OK;
        case 'V': example_version(prog); return EX_OK;
        default:
            fprintf(stderr, "Try '%s --help'.\n", prog);
            return EX_USAGE;
        }
    }
    if (optind < argc)
        example_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    /* The writer never waits for a reader: more samples than slots could
     * overwrite some before the Saver reads them. */
    if (st.count > st.capacity) {
        fprintf(stderr, "%s: --count %u is more than --capacity %u: the "
                "Reader never waits, so the Saver could lose samples; raise "
                "--capacity\n", prog, (unsigned)st.count,
                (unsigned)st.capacity);
        return EX_USAGE;
    }
    if (name_arg != NULL) {
        rc = shmseq_name_check(name_arg);
        if (rc < 0) {
            example_region_error(prog, name_arg, rc, 1);
            return EX_USAGE;
        }
        snprintf(st.name, sizeof st.name, "%s", name_arg);
    } else {
        /* The pid keeps two runs from colliding. */
        snprintf(st.name, sizeof st.name, "reader-saver-%ld", (long)getpid());
    }

    /* The Saver first, so it holds no copy of the writer's open file
     * (which would keep the region counted as held after the Reader):
     * it waits for the region to appear. */
    example_catch_signals();
    saver = spawn(run_saver, &st);
    if (saver < 0) {
        fprintf(stderr, "%s: cannot fork the Saver: %s\n", prog,
                strerror(errno));
        return EX_FAIL;
    }
    /* Create the region as its writer; the Reader inherits this writer, so
     * there is one writer from creation to the end: epoch 1. */
    cfg.width = st.width;
    cfg.capacity = st.capacity;
    cfg.mode = 0;
    cfg.flags = 0;
    rc = shmseq_writer_open(&w, st.name, &cfg);
    if (rc < 0) {
        /* Not ours to remove: the name may be another program's region. */
        example_region_error(prog, st.name, rc, 1);
        kill(saver, SIGTERM);
        (void)waitpid(saver, NULL, 0);
        return EX_FAIL;
    }
    writing = 1;

    /* From here on the region exists: every path goes through cleanup. */
    reader = spawn(run_reader, &st);
    if (reader < 0) {
        fprintf(stderr, "%s: cannot fork the Reader: %s\n", prog,
                strerror(errno));
        failed = 1;
        kill(saver, SIGTERM);
    }

    while (reader > 0 || saver > 0) {
        int ws;
        pid_t pid = waitpid(-1, &ws, 0);

        if (pid < 0) {
            if (errno != EINTR)
                break;
            if (example_stop_signal) {
                /* Pass Ctrl-C/SIGTERM on, then keep reaping. */
                if (reader > 0)
                    kill(reader, SIGTERM);
                if (saver > 0)
                    kill(saver, SIGTERM);
                failed = 1;
            }
            continue;
        }
        if (pid == reader) {
            reader = -1;
            /* The Reader is done with the writer: drop our copy. */
            shmseq_writer_close(&w);
            writing = 0;
            if (report("Reader", pid, ws)) {
                failed = 1;
                /* Nothing more will come: do not let the Saver wait. */
                if (saver > 0) {
                    fprintf(stderr, "%s: stopping the Saver\n", prog);
                    kill(saver, SIGTERM);
                }
            }
        } else if (pid == saver) {
            saver = -1;
            if (report("Saver", pid, ws))
                failed = 1;
        }
    }

    if (writing)
        shmseq_writer_close(&w);
    rc = shmseq_unlink(st.name);
    if (rc < 0 && rc != -ENOENT) {
        fprintf(stderr, "%s: cannot remove region '%s': %s\n", prog, st.name,
                shmseq_strerror(rc));
        failed = 1;
    }
    if (failed) {
        fprintf(stderr, "%s: failed; region '%s' removed\n", prog, st.name);
        return EX_FAIL;
    }
    fprintf(stderr, "%s: done; region '%s' removed\n", prog, st.name);
    return EX_OK;
}
