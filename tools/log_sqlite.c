/* SPDX-License-Identifier: MIT */
/*
 * shmseq-log sqlite: import binary logs (a log recovered after a crash, a
 * torn or damaged one included: the scanner keeps every intact record)
 * into the database the logger's sqlite sink writes (docs/logging.md, "The
 * SQLite sink"), through that same sink, so an import and a live logger
 * make the same rows, the same gaps and the same refusals.
 *
 * Each run of records of one region (a header and what follows it) is one
 * session of the sink: resume says where the database's data of that
 * region ends, records below it are skipped (importing a log twice, or a
 * log the logger already stored, adds nothing), breaks in the numbering
 * become gaps. Kept apart from shmseq_log.c so that file keeps to the log
 * format; it is reached as the command "sqlite".
 */
#define _POSIX_C_SOURCE 200809L

#include "log_sqlite.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/logfmt.h>
#include <shmseq/sink.h>

static const char *prog = "shmseq-log";

static void sqlite_usage(void)
{
    printf(
"Usage: %s sqlite -o DB [--force] FILE...\n"
"Store the intact records of the binary logs (rotated segments, logs\n"
"recovered after a crash, damaged ones: what verify calls intact) into\n"
"the SQLite database DB, as 'logger --format sqlite' does: a region's\n"
"samples already in DB are skipped (exactly once), breaks in the numbering\n"
"become rows of the gaps table. DB is created, or continued if it is a\n"
"shmseq database.\n"
"\n"
"  -o, --out DB    the database (required)\n"
"  -f, --force     replace DB instead of continuing it\n"
"  -h, --help      this text\n"
"\n"
"Exit status: 0 every file imported intact, 1 damage found (the intact\n"
"records were imported), 2 usage error, 3 a file could not be read, 4 not\n"
"a log, 6 the database refused or failed (nothing more was stored).\n",
        prog);
}

typedef struct import_ctx {
    shmseq_sink k;
    shmseq_sink_config cfg;
    const char *path;
    int open;              /* a session of the sink is open */
    int failed;            /* the sink failed: stop */
    shmseq_log_header hdr; /* the session's region */
    uint64_t next;         /* records below this are in the database */
    uint64_t stored, skipped, sessions;
} import_ctx;

static int session_end(import_ctx *c)
{
    int rc;

    if (!c->open)
        return 0;
    c->open = 0;
    rc = shmseq_sink_close(&c->k);
    c->stored += c->k.written;
    if (rc < 0) {
        fprintf(stderr, "%s: sqlite: %s\n", prog, c->k.why);
        c->failed = 1;
    }
    return rc;
}

/* A session for the region of @p h: open, resume, begin. */
static int session_start(import_ctx *c, const shmseq_log_header *h)
{
    int rc;

    rc = shmseq_sink_open(&c->k, "sqlite", &c->cfg);
    if (rc == 0) {
        c->cfg.force = 0; /* replace once, then continue */
        c->hdr = *h;
        c->next = 0;
        rc = shmseq_sink_resume(&c->k, h, &c->next);
        if (rc >= 0)
            rc = shmseq_sink_begin(&c->k, h, 0);
        c->open = 1;
        c->sessions++;
    }
    if (rc < 0) {
        fprintf(stderr, "%s: sqlite: %s\n", prog, c->k.why);
        if (c->open)
            (void)shmseq_sink_close(&c->k);
        c->open = 0;
        c->failed = 1;
    }
    return rc;
}

static int same_region(const shmseq_log_header *a, const shmseq_log_header *b)
{
    return strcmp(a->name, b->name) == 0 &&
           a->created_realtime_ns == b->created_realtime_ns &&
           a->width == b->width;
}

static int import_event(void *ctx, const shmseq_log_scan *s,
                        const shmseq_log_record *r)
{
    import_ctx *c = ctx;

    if (s->event == SHMSEQ_LOG_EV_HEADER) {
        if (c->open && !same_region(&c->hdr, &s->header))
            (void)session_end(c);
        if (!c->open && !c->failed)
            (void)session_start(c, &s->header);
        return c->failed;
    }
    if (s->event != SHMSEQ_LOG_EV_RECORD)
        return 0;
    if (!c->open && !c->failed)
        (void)session_start(c, &s->header);
    if (c->failed)
        return 1;
    /* In the database already (a restart's overlap, a second import), or
     * going back in sequence (another log inside this one): skipped, so
     * every (region, seq) is stored once. */
    if (r->seq < c->next) {
        c->skipped++;
        return 0;
    }
    c->next = r->seq + 1u;
    if (shmseq_sink_write(&c->k, r, 1, 0) < 0) {
        fprintf(stderr, "%s: sqlite: %s\n", prog, c->k.why);
        c->failed = 1;
        return 1;
    }
    return 0;
}

int shmseq_log_cmd_sqlite(int argc, char **argv)
{
    static import_ctx c;
    const char *out = NULL, **files;
    int i, nfiles = 0, status = 0, force = 0;

    files = calloc((size_t)argc + 1u, sizeof *files);
    if (files == NULL) {
        fprintf(stderr, "%s: sqlite: out of memory\n", prog);
        return 6;
    }

    for (i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            sqlite_usage();
            free(files);
            return 0;
        } else if ((strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0) &&
                   i + 1 < argc) {
            out = argv[++i];
        } else if (strncmp(a, "--out=", 6) == 0) {
            out = a + 6;
        } else if (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0) {
            force = 1;
        } else if (strcmp(a, "--") == 0) {
            while (++i < argc)
                files[nfiles++] = argv[i];
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s: sqlite: unknown option '%s'\nTry '%s "
                    "sqlite --help'.\n", prog, a, prog);
            free(files);
            return 2;
        } else {
            files[nfiles++] = a;
        }
    }
    if (out == NULL || nfiles == 0) {
        fprintf(stderr, "%s: sqlite: want -o DB and at least one FILE\n"
                "Try '%s sqlite --help'.\n", prog, prog);
        free(files);
        return 2;
    }
    if (shmseq_sink_find("sqlite") == NULL) {
        fprintf(stderr, "%s: sqlite needs libsqlite3, and this build has "
                "none: install it (Debian: apt-get install libsqlite3-dev) "
                "and rebuild\n", prog);
        free(files);
        return 6;
    }
    memset(&c, 0, sizeof c);
    c.cfg.target = out;
    c.cfg.force = force;
    c.cfg.sync_ns = 1000000000u;
    for (i = 0; i < nfiles && !c.failed; i++) {
        shmseq_log_scan s;
        FILE *f;
        int rc;

        c.path = files[i];
        f = fopen(files[i], "rb");
        if (f == NULL) {
            fprintf(stderr, "%s: sqlite: cannot open '%s': %s\n", prog,
                    files[i], strerror(errno));
            status = status == 0 ? 3 : status;
            continue;
        }
        memset(&s, 0, sizeof s);
        rc = shmseq_log_scan_file(f, &s, import_event, &c);
        fclose(f);
        if (c.failed)
            break;
        if (rc != SHMSEQ_LOG_OK) {
            fprintf(stderr, "%s: sqlite: %s: %s: nothing imported\n", prog,
                    files[i], shmseq_log_strerror(rc));
            status = status == 0 ? 4 : status;
            continue;
        }
        if (s.skips != 0 || s.torn_bytes != 0) {
            fprintf(stderr, "%s: sqlite: %s: damaged: %" PRIu64 " bytes "
                    "skipped in %" PRIu64 " place(s), %" PRIu64 " torn tail "
                    "bytes; its intact records were imported\n", prog,
                    files[i], s.skipped_bytes, s.skips, s.torn_bytes);
            status = status == 0 ? 1 : status;
        }
    }
    (void)session_end(&c);
    free(files);
    printf("sqlite: %s: stored %" PRIu64 " records, skipped %" PRIu64
           " already stored, %" PRIu64 " session(s)%s\n", out, c.stored,
           c.skipped, c.sessions, c.failed ? " (FAILED)" : "");
    return c.failed ? 6 : status;
}
