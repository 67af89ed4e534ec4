/* SPDX-License-Identifier: MIT */
/*
 * The "sqlite" sink: records into one SQLite database (docs/logging.md,
 * "The SQLite sink", draws the schema), built only when CMake found
 * libsqlite3. Made for a board's flash:
 *
 *  - WAL mode, INSERTs prepared once (16 rows per step, and one row for
 *    a batch's tail), records buffered in memory and
 *    inserted in one transaction every commit_ms or commit_rows,
 *    whichever comes first, so the read loop pays one commit per batch;
 *    the batch stays in memory until its COMMIT succeeds, so a busy or
 *    full database costs nothing already read;
 *  - the key is (region, seq), so a restarted logger (resume) continues
 *    where the database ends and a record can never be stored twice;
 *  - gaps are rows: a break in the sample numbers becomes a gaps row
 *    with its reason (overrun, writer replaced, or the one the caller
 *    gave with the optional op gap: spool overflow), and records that
 *    could not be stored (disk full, I/O) become one too;
 *  - durability: synchronous=NORMAL between syncs (a commit is atomic
 *    but may be rolled back by a power cut), each sync is a commit with
 *    synchronous=FULL (the WAL is fsynced) and a passive checkpoint;
 *    "--fsync exit" runs with synchronous=OFF until the final sync;
 *  - retention (keep_rows, keep_seconds) inside the commit transaction,
 *    auto_vacuum=INCREMENTAL to give freed pages back, a WAL size limit;
 *  - one logger per region and database: an OFD lock on a byte of the
 *    database file that SQLite never locks, chosen by the node and the
 *    region name (two boards' regions of one name are two regions);
 *    loggers of other regions share the database, serialised by SQLite's
 *    own write lock (busy handler, bounded).
 *
 * Parameters (cfg->params, "key=value,..."): commit_ms (100), commit_rows
 * (4096), keep_rows (0: all), keep_seconds (0: all), on_full=stop|
 * drop-oldest (stop), busy_ms (250: the longest one commit waits for
 * another connection's write lock before it is retried later).
 */
#define _GNU_SOURCE /* F_OFD_SETLK */

#include "sink_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

/* "shsq": PRAGMA application_id of a shmseq database. */
#define SQ_APP_ID 0x73687371
/* PRAGMA user_version: the schema this code writes (docs/logging.md);
 * version 1 (the gaps reasons without 'spool overflow') is upgraded at
 * begin. */
#define SQ_SCHEMA 2
/* The gaps table of schema 2, named @p t (the upgrade builds it aside). */
#define SQ_GAPS_DDL(t)                                                     \
    "CREATE TABLE IF NOT EXISTS " t " (region INTEGER NOT NULL, "          \
    "first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, "              \
    "reason TEXT NOT NULL CHECK (reason IN ('overrun', "                   \
    "'writer replaced', 'io', 'full', 'spool overflow')), "                \
    "PRIMARY KEY (region, first_seq)) WITHOUT ROWID"
/* The reasons a caller may give (the op gap); 'io' and 'full' are the
 * sink's own. */
static const char *const sq_given_reasons[] = {
    "overrun", "writer replaced", "spool overflow",
};
/* Byte range for the per-region claim: above SQLite's lock bytes
 * (0x40000000 + 512), below 2^31 so 32-bit off_t needs nothing more. */
#define SQ_CLAIM_BASE 0x50000000L
#define SQ_CLAIM_SPAN 0x00100000L
/* Pages kept back below --max-bytes, so the gap of a failed batch can
 * still be written when the database is full. */
#define SQ_RESERVE_PAGES 8
#define SQ_LAT_RING 4096u
/* Rows per INSERT statement: one step stores this many, which halves the
 * per-row cost of the virtual machine (bench_sink). */
#define SQ_ROWS 16u
#define SQ_GAPS_MAX 64u
#define SQ_COLS_MAX (SHMSEQ_LOG_WIDTH_MAX * 33u + 64u)

/* A pending gaps row: [first, last], reason. */
typedef struct sq_gap {
    uint64_t first, last;
    const char *reason;
} sq_gap;

typedef struct sq_sink {
    sqlite3 *db;
    sqlite3_stmt *ins;      /* the INSERT of SQ_ROWS samples at once */
    sqlite3_stmt *ins1;     /* ... and of one, for a batch's tail */
    sqlite3_stmt *ins_gap;
    int lock_fd;            /* the region claim; -1 none */
    int created;            /* open created the file */
    int claimed;
    int64_t region;         /* regions.id; 0 before begin */
    uint32_t width;
    /* parameters */
    uint64_t commit_ns, keep_rows, keep_seconds;
    uint32_t commit_rows, busy_ms, buf_cap;
    int drop_oldest;
    int sync_level;         /* 0 OFF, 1 NORMAL, 2 FULL between syncs */
    /* the batch: records not yet committed */
    uint64_t *seqs, *ts;
    uint32_t *epochs;
    double *vals;           /* buf_cap * width */
    uint32_t n;
    uint64_t batch_start_ns, next_try_ns;
    sq_gap gaps[SQ_GAPS_MAX];
    uint32_t ngaps;
    /* reasons the caller gave (op gap) for the break before the next
     * record; each reason points into sq_given_reasons */
    sq_gap given[SHMSEQ_SINK_GAPS_MAX];
    uint32_t ngiven;
    /* continuity, to turn breaks into gaps */
    int have_prev;
    uint64_t prev_seq;
    uint32_t prev_epoch;
    /* before the first record: where the region's coverage begins (its
     * first_seq), when nothing of it is stored yet */
    int have_expect;
    uint64_t expect;
    uint32_t expect_epoch;
    /* what the status line shows */
    uint32_t lat_us[SQ_LAT_RING];
    uint64_t commits, busy_waits, busy_retries, dropped, deleted;
    uint64_t page_size, pages;
    char cols[SQ_COLS_MAX]; /* channel column names, comma-separated */
    char node[256];
} sq_sink;

typedef struct sq_state {
    sq_sink *s;
} sq_state;

_Static_assert(sizeof(sq_state) <= SHMSEQ_SINK_STATE_SIZE,
               "sqlite sink state must fit the sink's state area");

static sq_sink *sq_of(shmseq_sink *k)
{
    return ((sq_state *)shmseq_sink_state(k))->s;
}

static uint64_t mono_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An errno for a SQLite result, for callers that speak errno. */
static int sq_errno(int rc)
{
    switch (rc & 0xff) {
    case SQLITE_FULL: return -ENOSPC;
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return -EBUSY;
    case SQLITE_NOMEM: return -ENOMEM;
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH: return -EACCES;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB: return -EBADMSG;
    case SQLITE_CANTOPEN: return -ENOENT;
    case SQLITE_CONSTRAINT: return -EEXIST;
    default: return -EIO;
    }
}

static int sq_fail(shmseq_sink *k, int rc, const char *what)
{
    sq_sink *s = sq_of(k);
    const char *msg = s != NULL && s->db != NULL ? sqlite3_errmsg(s->db)
                                                 : sqlite3_errstr(rc);

    return shmseq_sink_fail(k, sq_errno(rc), "%s '%.300s' failed: %s", what,
                            k->where, msg);
}

static int sq_exec(sq_sink *s, const char *sql)
{
    return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* One integer from a query (a PRAGMA, a max()); *out = 0 for NULL. */
static int sq_int(sq_sink *s, const char *sql, int64_t bind1, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_bind_parameter_count(st) >= 1)
        sqlite3_bind_int64(st, 1, bind1);
    rc = sqlite3_step(st);
    *out = 0;
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

/* Run a statement of this region's to its end: ?1 is the region, ?2 (if
 * the statement has one) @p arg2; the rows it changed are added to
 * *changed when that is not NULL. */
static int sq_run(sq_sink *s, const char *sql, int64_t arg2,
                  uint64_t *changed)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, s->region);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_int64(st, 2, arg2);
    rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : sqlite3_errcode(s->db);
    if (changed != NULL)
        *changed += (uint64_t)sqlite3_changes(s->db);
    sqlite3_finalize(st);
    return rc;
}

/* The busy handler: another connection holds the write lock (a user's
 * write transaction, a logger of another region, a checkpoint). Sleep
 * and retry for up to busy_ms, counting the waits for the status line. */
static int sq_busy(void *ctx, int count)
{
    sq_sink *s = ctx;
    struct timespec ts = {0, 2000000}; /* 2 ms */

    if (count == 0)
        s->busy_waits++;
    if ((uint64_t)count * 2u >= s->busy_ms)
        return 0;
    s->busy_retries++;
    nanosleep(&ts, NULL);
    return 1;
}

/* ---- parameters ------------------------------------------------------ */

static int parse_u64(const char *v, size_t len, uint64_t *out)
{
    char buf[32], *end;

    if (len == 0 || len >= sizeof buf || v[0] < '0' || v[0] > '9')
        return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    errno = 0;
    *out = strtoull(buf, &end, 10);
    return (*end != '\0' || errno == ERANGE) ? -1 : 0;
}

static int sq_params(shmseq_sink *k, sq_sink *s)
{
    const char *p = k->cfg.params;
    uint64_t v;

    s->commit_ns = 100000000u;
    s->commit_rows = 4096;
    s->busy_ms = 250;
    while (p != NULL && *p != '\0') {
        const char *eq = strchr(p, '='), *end = strchr(p, ',');
        size_t klen, vlen;

        if (end == NULL)
            end = p + strlen(p);
        if (eq == NULL || eq > end)
            return shmseq_sink_fail(k, -EINVAL, "sqlite sink parameter "
                                    "'%.*s': want key=value", (int)(end - p),
                                    p);
        klen = (size_t)(eq - p);
        vlen = (size_t)(end - eq - 1);
#define KEY(name) (klen == strlen(name) && strncmp(p, name, klen) == 0)
        if (KEY("on_full")) {
            if (vlen == 4 && strncmp(eq + 1, "stop", 4) == 0)
                s->drop_oldest = 0;
            else if (vlen == 11 && strncmp(eq + 1, "drop-oldest", 11) == 0)
                s->drop_oldest = 1;
            else
                return shmseq_sink_fail(k, -EINVAL, "on_full '%.*s': want "
                                        "stop or drop-oldest", (int)vlen,
                                        eq + 1);
        } else if (parse_u64(eq + 1, vlen, &v) < 0) {
            return shmseq_sink_fail(k, -EINVAL, "sqlite sink parameter "
                                    "'%.*s': want a number", (int)(end - p),
                                    p);
        } else if (KEY("commit_ms")) {
            if (v > 3600000u)
                return shmseq_sink_fail(k, -EINVAL, "commit_ms %" PRIu64
                                        ": at most 3600000", v);
            s->commit_ns = v * 1000000u;
        } else if (KEY("commit_rows")) {
            if (v < 1 || v > 1000000u)
                return shmseq_sink_fail(k, -EINVAL, "commit_rows %" PRIu64
                                        ": want 1..1000000", v);
            s->commit_rows = (uint32_t)v;
        } else if (KEY("keep_rows")) {
            s->keep_rows = v;
        } else if (KEY("keep_seconds")) {
            if (v > 100u * 365u * 86400u)
                return shmseq_sink_fail(k, -EINVAL, "keep_seconds %" PRIu64
                                        ": at most 100 years", v);
            s->keep_seconds = v;
        } else if (KEY("busy_ms")) {
            if (v > 600000u)
                return shmseq_sink_fail(k, -EINVAL, "busy_ms %" PRIu64
                                        ": at most 600000", v);
            s->busy_ms = (uint32_t)v;
        } else {
            return shmseq_sink_fail(k, -EINVAL, "unknown sqlite sink "
                                    "parameter '%.*s' (commit_ms, "
                                    "commit_rows, keep_rows, keep_seconds, "
                                    "on_full, busy_ms)", (int)klen, p);
        }
#undef KEY
        p = *end == ',' ? end + 1 : end;
    }
    /* Room for four batches: a batch kept while the database is busy,
     * and the records that arrive meanwhile. */
    s->buf_cap = s->commit_rows * 4u;
    return 0;
}

/* Channel names -> s->cols ("v0,v1" when none given): letters, digits and
 * '_', not starting with a digit, none of the fixed columns. */
static int sq_columns(shmseq_sink *k, sq_sink *s, uint32_t width)
{
    const char *p = k->cfg.channels;
    size_t off = 0;
    uint32_t c;

    s->cols[0] = '\0';
    for (c = 0; c < width; c++) {
        char name[64];
        size_t len = 0;

        if (p != NULL && *p != '\0') {
            const char *end = strchr(p, ',');

            len = end != NULL ? (size_t)(end - p) : strlen(p);
            if (len == 0 || len > 31)
                return shmseq_sink_fail(k, -EINVAL, "channel name %u: want "
                                        "1..31 characters", (unsigned)c);
            memcpy(name, p, len);
            name[len] = '\0';
            p = end != NULL ? end + 1 : p + len;
            for (size_t i = 0; i < len; i++) {
                char ch = name[i];
                int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
                         || ch == '_' || (i > 0 && ch >= '0' && ch <= '9');
                if (!ok)
                    return shmseq_sink_fail(k, -EINVAL, "channel name '%s':"
                                            " letters, digits and '_' only, "
                                            "not starting with a digit",
                                            name);
            }
            if (strcmp(name, "region") == 0 || strcmp(name, "seq") == 0 ||
                strcmp(name, "epoch") == 0 || strcmp(name, "ts_ns") == 0)
                return shmseq_sink_fail(k, -EINVAL, "channel name '%s' is a "
                                        "fixed column", name);
        } else if (k->cfg.channels != NULL && k->cfg.channels[0] != '\0') {
            return shmseq_sink_fail(k, -EINVAL, "%u channel names for width "
                                    "%u", (unsigned)c, (unsigned)width);
        } else {
            snprintf(name, sizeof name, "v%u", (unsigned)c);
        }
        off += (size_t)snprintf(s->cols + off, sizeof s->cols - off, "%s%s",
                                c == 0 ? "" : ",", name);
    }
    if (p != NULL && *p != '\0')
        return shmseq_sink_fail(k, -EINVAL, "more channel names than the "
                                "width %u", (unsigned)width);
    return 0;
}

/* ---- open: refuse what is not ours before anything is written -------- */

static void sq_unlink_all(const char *path)
{
    char p[SHMSEQ_SINK_WHERE_SIZE + 8];

    (void)unlink(path);
    snprintf(p, sizeof p, "%s-wal", path);
    (void)unlink(p);
    snprintf(p, sizeof p, "%s-shm", path);
    (void)unlink(p);
    snprintf(p, sizeof p, "%s-journal", path);
    (void)unlink(p);
}

/* Look at the file before SQLite does: 1 a SQLite file, 0 absent or
 * empty, -EEXIST something else. */
static int sq_peek(shmseq_sink *k)
{
    static const char magic[16] = "SQLite format 3";
    char head[16];
    struct stat st;
    ssize_t n;
    int fd = open(k->where, O_RDONLY | O_CLOEXEC), err;

    if (fd < 0) {
        err = errno;
        if (err == ENOENT)
            return 0;
        return shmseq_sink_fail(k, -err, "cannot open '%s': %s", k->where,
                                strerror(err));
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return shmseq_sink_fail(k, -EEXIST, "'%s' is not a regular file",
                                k->where);
    }
    n = read(fd, head, sizeof head);
    close(fd);
    if (st.st_size == 0)
        return 0;
    if (n != (ssize_t)sizeof head || memcmp(head, magic, sizeof head) != 0)
        return shmseq_sink_fail(k, -EEXIST, "'%s' exists and is not a SQLite"
                                " database: refusing to write into it",
                                k->where);
    return 1;
}

/* An existing database: ours (application_id), a schema we know, sound
 * (quick_check). Nothing is written. */
static int sq_check(shmseq_sink *k, sq_sink *s)
{
    int64_t app = 0, ver = 0, tables = 0;
    sqlite3_stmt *st;
    int rc;

    rc = sq_int(s, "PRAGMA application_id", 0, &app);
    if (rc == SQLITE_OK)
        rc = sq_int(s, "PRAGMA user_version", 0, &ver);
    if (rc == SQLITE_OK)
        rc = sq_int(s, "SELECT count(*) FROM sqlite_schema", 0, &tables);
    if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
        return shmseq_sink_fail(k, -EBADMSG, "'%s' is a damaged SQLite "
                                "database (%s): refusing to write into it",
                                k->where, sqlite3_errmsg(s->db));
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "reading");
    if (app != SQ_APP_ID && tables != 0)
        return shmseq_sink_fail(k, -EEXIST, "'%s' is a SQLite database of "
                                "another program (application_id 0x%08" PRIx32
                                ", not shmseq's): refusing to write into it",
                                k->where, (uint32_t)app);
    if (ver > SQ_SCHEMA)
        return shmseq_sink_fail(k, -EPROTONOSUPPORT, "'%s' has schema "
                                "version %" PRId64 ", newer than this "
                                "program's %d", k->where, ver, SQ_SCHEMA);
    rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const char *r = (const char *)sqlite3_column_text(st, 0);

            if (r == NULL || strcmp(r, "ok") != 0) {
                shmseq_sink_fail(k, -EBADMSG, "'%s' is a damaged SQLite "
                                 "database (quick_check: %.200s): refusing "
                                 "to write into it", k->where,
                                 r != NULL ? r : "?");
                sqlite3_finalize(st);
                return k->error;
            }
            rc = SQLITE_OK;
        }
        sqlite3_finalize(st);
    }
    if (rc != SQLITE_OK)
        return shmseq_sink_fail(k, -EBADMSG, "'%s' is a damaged SQLite "
                                "database (%s): refusing to write into it",
                                k->where, sqlite3_errmsg(s->db));
    return 0;
}

static void sq_free(sq_sink *s)
{
    if (s == NULL)
        return;
    sqlite3_finalize(s->ins);
    sqlite3_finalize(s->ins1);
    sqlite3_finalize(s->ins_gap);
    if (s->db != NULL)
        sqlite3_close(s->db);
    /* After sqlite3_close: closing any descriptor of the file drops the
     * process's POSIX locks on it, SQLite's included. */
    if (s->lock_fd >= 0)
        close(s->lock_fd);
    free(s->seqs);
    free(s->ts);
    free(s->epochs);
    free(s->vals);
    free(s);
}

static int sq_open(shmseq_sink *k)
{
    sq_state *stt = (sq_state *)shmseq_sink_state(k);
    sq_sink *s;
    struct utsname u;
    int rc, exists = 1; /* until looked at: never removed on failure */

    stt->s = NULL;
    if (snprintf(k->where, sizeof k->where, "%s", k->cfg.target) >=
        (int)sizeof k->where)
        return shmseq_sink_fail(k, -ENAMETOOLONG, "database path too long");
    if (strcmp(k->cfg.target, "-") == 0)
        return shmseq_sink_fail(k, -EINVAL, "the sqlite sink needs a "
                                "database file (--out FILE), not stdout");
    s = calloc(1, sizeof *s);
    if (s == NULL)
        return shmseq_sink_fail(k, -ENOMEM, "out of memory");
    s->lock_fd = -1;
    stt->s = s;
    rc = sq_params(k, s);
    if (rc < 0)
        goto fail;
    if (k->cfg.node != NULL && k->cfg.node[0] != '\0')
        snprintf(s->node, sizeof s->node, "%s", k->cfg.node);
    else if (uname(&u) == 0)
        snprintf(s->node, sizeof s->node, "%s", u.nodename);
    /* --fsync exit: nothing synced before the end; a count of 1: every
     * commit durable; any other policy: NORMAL, durable at each sync. */
    s->sync_level = (k->cfg.sync_records == 0 && k->cfg.sync_ns == 0) ? 0
                    : k->cfg.sync_records == 1 ? 2 : 1;

    exists = sq_peek(k);
    if (exists < 0 && !(k->cfg.force && exists == -EEXIST)) {
        rc = exists;
        goto fail;
    }
    if (k->cfg.force) {
        /* Replace whatever is there: a fresh database. */
        sq_unlink_all(k->where);
        k->error = 0;
        k->why[0] = '\0';
        exists = 0;
    }
    s->created = !exists;
    rc = sqlite3_open_v2(k->where, &s->db,
                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX,
                         NULL);
    if (rc != SQLITE_OK) {
        rc = sq_fail(k, rc, "opening");
        goto fail;
    }
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_handler(s->db, sq_busy, s);
    if (exists) {
        rc = sq_check(k, s);
        if (rc < 0)
            goto fail;
    }
    s->lock_fd = open(k->where, O_RDWR | O_CLOEXEC);
    if (s->lock_fd < 0) {
        int err = errno;

        rc = shmseq_sink_fail(k, -err, "cannot open '%s': %s", k->where,
                              strerror(err));
        goto fail;
    }
    k->durable = 1;
    k->outputs = 1;
    return 0;
fail:
    sq_free(s);
    stt->s = NULL;
    if (!exists || k->cfg.force)
        sq_unlink_all(k->where);
    return rc < 0 ? rc : -EIO;
}

/* ---- the region's claim and its row ----------------------------------- */

/* FNV-1a of the region name: which byte of the claim range is its. */
static long sq_claim_offset(const char *node, const char *name)
{
    uint32_t h = 2166136261u;

    /* The node is part of the key: two boards' regions of one name are
     * two regions of a fleet database. */
    for (; *node != '\0'; node++)
        h = (h ^ (unsigned char)*node) * 16777619u;
    h = (h ^ (unsigned char)'/') * 16777619u;
    for (; *name != '\0'; name++)
        h = (h ^ (unsigned char)*name) * 16777619u;
    return SQ_CLAIM_BASE + (long)(h % (uint32_t)SQ_CLAIM_SPAN);
}

/* Claim the region in this database: an OFD write lock on its byte (the
 * kernel drops it when the logger dies, however it dies). */
static int sq_claim(shmseq_sink *k, sq_sink *s, const char *name)
{
    struct flock fl;
    int rc;

    if (s->claimed)
        return 0;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = sq_claim_offset(s->node, name);
    fl.l_len = 1;
    rc = fcntl(s->lock_fd, F_OFD_SETLK, &fl);
    if (rc != 0 && errno == EINVAL) /* a kernel without OFD locks */
        rc = fcntl(s->lock_fd, F_SETLK, &fl);
    if (rc != 0) {
        int err = errno;

        /* Another writer uses this database: it is never this sink's to
         * remove at close, even if this open created the file (two
         * processes starting on a new database both see it missing). */
        if (err == EAGAIN || err == EACCES)
            s->created = 0;
        if (err == EAGAIN || err == EACCES)
            return shmseq_sink_fail(k, -EBUSY, "another logger is storing "
                                    "region '%s' into '%s' (one logger per "
                                    "region and database: stop that one "
                                    "first)", name, k->where);
        return shmseq_sink_fail(k, -err, "locking '%s' failed: %s", k->where,
                                strerror(err));
    }
    s->claimed = 1;
    return 0;
}

/* The region's row: id of (name, created_realtime_ns, node), or 0. */
static int sq_find_region(sq_sink *s, const shmseq_log_header *h,
                          int64_t *id)
{
    sqlite3_stmt *st;
    int64_t tables = 0;
    int rc;

    *id = 0;
    rc = sq_int(s, "SELECT count(*) FROM sqlite_schema WHERE name = "
                   "'regions'", 0, &tables);
    if (rc != SQLITE_OK || tables == 0)
        return rc;
    rc = sqlite3_prepare_v2(s->db, "SELECT id FROM regions WHERE name = ?1 "
                            "AND created_realtime_ns = ?2 AND node = ?3", -1,
                            &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)h->created_realtime_ns);
    sqlite3_bind_text(st, 3, s->node, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? SQLITE_OK : rc;
    sqlite3_finalize(st);
    return rc;
}

static int sq_resume(shmseq_sink *k, const shmseq_log_header *h,
                     uint64_t *next_seq)
{
    sq_sink *s = sq_of(k);
    sqlite3_stmt *st;
    int64_t id;
    int rc;

    rc = sq_claim(k, s, h->name);
    if (rc < 0)
        return rc;
    rc = sq_find_region(s, h, &id);
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "reading");
    if (id == 0)
        return 0;
    /* The newest stored row and the newest gap, whichever ends later. */
    rc = sqlite3_prepare_v2(s->db,
        "SELECT max(coalesce((SELECT max(seq) FROM samples WHERE region = ?1),"
        " -1), coalesce((SELECT max(last_seq) FROM gaps WHERE region = ?1),"
        " -1)), (SELECT epoch FROM samples WHERE region = ?1 ORDER BY seq "
        "DESC LIMIT 1), (SELECT first_seq FROM regions WHERE id = ?1), "
        "(SELECT first_epoch FROM regions WHERE id = ?1)", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "reading");
    sqlite3_bind_int64(st, 1, id);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sq_fail(k, rc, "reading");
    }
    if (sqlite3_column_int64(st, 0) < 0) {
        /* A logger began here and stored nothing before it died: the
         * coverage still begins where that one could first read. */
        *next_seq = (uint64_t)sqlite3_column_int64(st, 2);
        s->have_expect = 1;
        s->expect = *next_seq;
        s->expect_epoch = (uint32_t)sqlite3_column_int64(st, 3);
        sqlite3_finalize(st);
        return 1;
    }
    *next_seq = (uint64_t)sqlite3_column_int64(st, 0) + 1u;
    s->have_prev = 1;
    s->prev_seq = *next_seq - 1u;
    s->prev_epoch = (uint32_t)sqlite3_column_int64(st, 1);
    if (sqlite3_column_type(st, 1) == SQLITE_NULL)
        s->prev_epoch = h->epoch;
    sqlite3_finalize(st);
    return 1;
}

/* ---- begin: schema, region row, the prepared INSERT ------------------- */

static int sq_check_width(shmseq_sink *k, sq_sink *s, uint32_t width);

/* Schema 1 to 2, inside the caller's write transaction: SQLite cannot
 * change a CHECK constraint, so the gaps table is rebuilt under the new
 * one (every version-1 row satisfies it) and renamed into place; a crash
 * leaves version 1 or version 2, never half of each. Read here, under the
 * write lock, so two processes upgrading at once do it once. */
static int sq_upgrade(sq_sink *s)
{
    int64_t ver = 0;
    int rc = sq_int(s, "PRAGMA user_version", 0, &ver);

    if (rc != SQLITE_OK || ver != 1)
        return rc;
    rc = sq_exec(s, SQ_GAPS_DDL("gaps_v2"));
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "INSERT INTO gaps_v2 (region, first_seq, last_seq, "
                     "reason) SELECT region, first_seq, last_seq, reason "
                     "FROM gaps");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "DROP TABLE gaps");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "ALTER TABLE gaps_v2 RENAME TO gaps");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "PRAGMA user_version = 2");
    return rc;
}

/* The tables, in one write transaction that first checks an existing
 * samples table against this width (so two loggers starting at once on a
 * new database cannot both think they made it); an existing database of
 * another width is left untouched. */
static int sq_schema(shmseq_sink *k, sq_sink *s, uint32_t width)
{
    char sql[SQ_COLS_MAX * 2 + 512];
    const char *c;
    size_t off;
    int rc, fresh;

    /* Before the first table: auto_vacuum cannot change afterwards. */
    rc = sq_exec(s, "PRAGMA auto_vacuum = INCREMENTAL");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "creating the tables of");
    fresh = sq_check_width(k, s, width);
    if (fresh < 0) {
        (void)sq_exec(s, "ROLLBACK");
        return fresh;
    }
    c = s->cols; /* the database's names, if it had them */
    off = (size_t)snprintf(sql, sizeof sql,
        "CREATE TABLE IF NOT EXISTS samples (region INTEGER NOT NULL, "
        "seq INTEGER NOT NULL, epoch INTEGER NOT NULL, ts_ns INTEGER NOT "
        "NULL");
    while (*c != '\0') {
        size_t len = strcspn(c, ",");

        off += (size_t)snprintf(sql + off, sizeof sql - off, ", \"%.*s\" REAL",
                                (int)len, c);
        c += len + (c[len] == ',');
    }
    snprintf(sql + off, sizeof sql - off,
             ", PRIMARY KEY (region, seq)) WITHOUT ROWID");
    (void)width;
    rc = sq_exec(s,
        "CREATE TABLE IF NOT EXISTS regions (id INTEGER PRIMARY KEY, "
        "name TEXT NOT NULL, width INTEGER NOT NULL, channels TEXT NOT NULL, "
        "node TEXT NOT NULL, capacity INTEGER NOT NULL, "
        "first_epoch INTEGER NOT NULL, "
        "first_seq INTEGER NOT NULL, "
        "created_realtime_ns INTEGER NOT NULL, "
        "created_monotonic_ns INTEGER NOT NULL, "
        "created TEXT NOT NULL, "
        "synced TEXT, "
        "UNIQUE (name, created_realtime_ns))");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, sql);
    if (rc == SQLITE_OK)
        rc = sq_upgrade(s);
    if (rc == SQLITE_OK)
        rc = sq_exec(s, SQ_GAPS_DDL("gaps"));
    if (rc == SQLITE_OK && fresh) {
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d; "
                 "PRAGMA user_version = %d", SQ_APP_ID, SQ_SCHEMA);
        rc = sq_exec(s, sql);
    }
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK) {
        rc = sq_fail(k, rc, "creating the tables of");
        (void)sq_exec(s, "ROLLBACK");
        return rc;
    }
    return 0;
}

/* The existing samples table must have this width and these names.
 * @return 1 no samples table yet, 0 it fits, or the failure. */
static int sq_check_width(shmseq_sink *k, sq_sink *s, uint32_t width)
{
    sqlite3_stmt *st;
    char have[SQ_COLS_MAX];
    size_t off = 0;
    uint32_t n = 0;
    int rc;

    rc = sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info("
                            "'samples') WHERE cid >= 4 ORDER BY cid", -1,
                            &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "reading");
    have[0] = '\0';
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *nm = (const char *)sqlite3_column_text(st, 0);

        off += (size_t)snprintf(have + off, sizeof have - off, "%s%s",
                                n == 0 ? "" : ",", nm != NULL ? nm : "");
        if (off >= sizeof have)
            off = sizeof have - 1;
        n++;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_fail(k, rc, "reading");
    if (n == 0)
        return 1; /* no samples table yet */
    if (n != width)
        return shmseq_sink_fail(k, -EINVAL, "'%s' holds samples of width %u "
                                "(%s), this region has width %u: refusing "
                                "to mix them (use another database)",
                                k->where, (unsigned)n, have, (unsigned)width);
    if (strcmp(have, s->cols) != 0) {
        if (k->cfg.channels == NULL || k->cfg.channels[0] == '\0') {
            /* No names given: take the database's. */
            snprintf(s->cols, sizeof s->cols, "%s", have);
            return 0;
        }
        return shmseq_sink_fail(k, -EINVAL, "'%s' names its channels %s, "
                                "not %s: refusing to mix them", k->where,
                                have, s->cols);
    }
    return 0;
}

static int sq_region_row(shmseq_sink *k, sq_sink *s,
                         const shmseq_log_header *h)
{
    sqlite3_stmt *st;
    int rc = sq_find_region(s, h, &s->region);

    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "reading");
    if (s->region != 0)
        return 0;
    rc = sqlite3_prepare_v2(s->db,
        "INSERT INTO regions (name, width, channels, node, capacity, "
        "first_epoch, first_seq, created_realtime_ns, created_monotonic_ns, "
        "created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?9, ?7, ?8, "
        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))", -1, &st, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "writing");
    sqlite3_bind_text(st, 1, h->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 2, (int)h->width);
    sqlite3_bind_text(st, 3, s->cols, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, s->node, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, h->capacity);
    sqlite3_bind_int64(st, 6, h->epoch);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)h->created_realtime_ns);
    sqlite3_bind_int64(st, 8, (sqlite3_int64)h->created_monotonic_ns);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)h->head);
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return sq_fail(k, rc, "writing");
    s->region = sqlite3_last_insert_rowid(s->db);
    /* The coverage begins at the first sample this run can hold: one
     * overwritten before it is read is a gap, not a silent start. */
    if (!s->have_prev && !s->have_expect) {
        s->have_expect = 1;
        s->expect = h->head;
        s->expect_epoch = h->epoch;
    }
    return 0;
}

static int sq_setup(shmseq_sink *k, sq_sink *s, const shmseq_log_header *h);

static int sq_begin(shmseq_sink *k, const shmseq_log_header *h)
{
    sq_sink *s = sq_of(k);
    uint32_t busy_ms;
    int rc;

    s->width = h->width;
    rc = sq_columns(k, s, h->width);
    if (rc == 0)
        rc = sq_claim(k, s, h->name);
    if (rc < 0)
        return rc;
    /* Setting up waits longer for a reader or writer that holds the
     * database (a user's query while journal_mode changes, another
     * logger making the tables): nothing is batched yet; what the ring
     * cannot hold meanwhile becomes an overrun gap, never a silent loss. */
    busy_ms = s->busy_ms;
    if (s->busy_ms < 5000u)
        s->busy_ms = 5000u;
    rc = sq_setup(k, s, h);
    s->busy_ms = busy_ms;
    return rc;
}

/* begin's work, under the longer busy wait. */
static int sq_setup(shmseq_sink *k, sq_sink *s, const shmseq_log_header *h)
{
    char sql[SQ_COLS_MAX * 2 + 512];
    const char *c;
    size_t off;
    uint32_t i;
    int64_t v;
    int rc;

    /* WAL: the logger's commits never wait for a user's query, and a
     * query never sees a half-written batch. */
    rc = sq_exec(s, "PRAGMA journal_mode = WAL");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "PRAGMA journal_size_limit = 4194304");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, s->sync_level == 0 ? "PRAGMA synchronous = OFF"
                        : s->sync_level == 2 ? "PRAGMA synchronous = FULL"
                                             : "PRAGMA synchronous = NORMAL");
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "setting up");
    rc = sq_schema(k, s, h->width);
    if (rc == 0)
        rc = sq_region_row(k, s, h);
    if (rc < 0)
        return rc;
    if (sq_int(s, "PRAGMA page_size", 0, &v) == SQLITE_OK)
        s->page_size = (uint64_t)v;
    if (k->cfg.max_bytes != 0 && s->page_size != 0) {
        uint64_t pages = k->cfg.max_bytes / s->page_size;
        /* A batch never needs more than a quarter of the limit (a row is
         * about 9 bytes per column and 16 of b-tree cell overhead), so
         * drop-oldest always has older batches to make room with. */
        uint64_t fit = k->cfg.max_bytes / (4u * (16u + 9u * (h->width + 4u)));

        if (s->commit_rows > fit)
            s->commit_rows = fit != 0 ? (uint32_t)fit : 1u;

        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %" PRIu64,
                 pages > SQ_RESERVE_PAGES * 2 ? pages - SQ_RESERVE_PAGES
                                              : pages);
        (void)sq_exec(s, sql);
    }
    off = (size_t)snprintf(sql, sizeof sql, "INSERT INTO samples (region, "
                           "seq, epoch, ts_ns");
    for (c = s->cols; *c != '\0';) {
        size_t len = strcspn(c, ",");

        off += (size_t)snprintf(sql + off, sizeof sql - off, ", \"%.*s\"",
                                (int)len, c);
        c += len + (c[len] == ',');
    }
    off += (size_t)snprintf(sql + off, sizeof sql - off, ") VALUES (?, ?, ?, ?");
    for (i = 0; i < h->width; i++)
        off += (size_t)snprintf(sql + off, sizeof sql - off, ", ?");
    off += (size_t)snprintf(sql + off, sizeof sql - off, ")");
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
                            &s->ins1, NULL);
    if (rc == SQLITE_OK) {
        /* The same with SQ_ROWS tuples: "VALUES (...), (...), ...". */
        char *many = malloc(off * SQ_ROWS + 16u);
        size_t vlen = strlen(strstr(sql, " VALUES ") + 8), moff = off;

        if (many == NULL)
            return shmseq_sink_fail(k, -ENOMEM, "out of memory");
        memcpy(many, sql, off);
        for (i = 1; i < SQ_ROWS; i++) {
            many[moff++] = ',';
            memcpy(many + moff, sql + off - vlen, vlen);
            moff += vlen;
        }
        many[moff] = '\0';
        rc = sqlite3_prepare_v3(s->db, many, -1, SQLITE_PREPARE_PERSISTENT,
                                &s->ins, NULL);
        free(many);
    }
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v3(s->db, "INSERT INTO gaps (region, "
                                "first_seq, last_seq, reason) VALUES "
                                "(?, ?, ?, ?)", -1,
                                SQLITE_PREPARE_PERSISTENT, &s->ins_gap, NULL);
    if (rc != SQLITE_OK)
        return sq_fail(k, rc, "preparing the inserts of");
    s->seqs = calloc(s->buf_cap, sizeof *s->seqs);
    s->ts = calloc(s->buf_cap, sizeof *s->ts);
    s->epochs = calloc(s->buf_cap, sizeof *s->epochs);
    s->vals = calloc((size_t)s->buf_cap * h->width, sizeof *s->vals);
    if (s->seqs == NULL || s->ts == NULL || s->epochs == NULL ||
        s->vals == NULL)
        return shmseq_sink_fail(k, -ENOMEM, "out of memory for a batch of "
                                "%u records", (unsigned)s->buf_cap);
    sq_int(s, "PRAGMA page_count", 0, &v);
    s->pages = (uint64_t)v;
    k->bytes = s->pages * s->page_size;
    return 0;
}

/* ---- the batch and its commit ----------------------------------------- */

static int sq_put_gap(sq_sink *s, uint64_t first, uint64_t last,
                      const char *reason)
{
    sqlite3_bind_int64(s->ins_gap, 1, s->region);
    sqlite3_bind_int64(s->ins_gap, 2, (sqlite3_int64)first);
    sqlite3_bind_int64(s->ins_gap, 3, (sqlite3_int64)last);
    sqlite3_bind_text(s->ins_gap, 4, reason, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s->ins_gap);
    sqlite3_reset(s->ins_gap);
    return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Retention, inside the commit's transaction: the oldest rows of this
 * region beyond keep_rows or older than keep_seconds, and the gaps that
 * end before the oldest row left. */
static int sq_retain(sq_sink *s)
{
    int rc = SQLITE_OK;

    if (s->keep_rows != 0)
        rc = sq_run(s,
            "DELETE FROM samples WHERE region = ?1 AND seq < (SELECT seq "
            "FROM samples WHERE region = ?1 ORDER BY seq DESC LIMIT 1 "
            "OFFSET ?2)", (int64_t)(s->keep_rows - 1u), &s->deleted);
    if (rc == SQLITE_OK && s->keep_seconds != 0)
        rc = sq_run(s,
            "DELETE FROM samples WHERE region = ?1 AND ts_ns < (SELECT "
            "ts_ns FROM samples WHERE region = ?1 ORDER BY seq DESC LIMIT 1)"
            " - ?2", (int64_t)s->keep_seconds * (int64_t)1000000000,
            &s->deleted);
    if (rc == SQLITE_OK && (s->keep_rows != 0 || s->keep_seconds != 0))
        rc = sq_run(s,
            "DELETE FROM gaps WHERE region = ?1 AND last_seq < (SELECT "
            "min(seq) FROM samples WHERE region = ?1)", 0, NULL);
    return rc;
}

/* Insert the batch and its gaps; the caller runs BEGIN and COMMIT. */
static int sq_insert(sq_sink *s)
{
    uint32_t i, c;
    int rc;

    for (i = 0; i < s->ngaps; i++) {
        rc = sq_put_gap(s, s->gaps[i].first, s->gaps[i].last,
                        s->gaps[i].reason);
        if (rc != SQLITE_OK)
            return rc;
    }
    for (i = 0; i < s->n;) {
        sqlite3_stmt *st = s->n - i >= SQ_ROWS ? s->ins : s->ins1;
        uint32_t rows = st == s->ins ? SQ_ROWS : 1u, j;
        int p = 1;

        for (j = 0; j < rows; j++, i++) {
            const double *v = s->vals + (size_t)i * s->width;

            sqlite3_bind_int64(st, p++, s->region);
            sqlite3_bind_int64(st, p++, (sqlite3_int64)s->seqs[i]);
            sqlite3_bind_int64(st, p++, s->epochs[i]);
            sqlite3_bind_int64(st, p++, (sqlite3_int64)s->ts[i]);
            for (c = 0; c < s->width; c++)
                sqlite3_bind_double(st, p++, v[c]);
        }
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return rc;
    }
    return sq_retain(s);
}

static void sq_rollback(sq_sink *s)
{
    if (!sqlite3_get_autocommit(s->db))
        (void)sq_exec(s, "ROLLBACK");
}

/* Full: make room by deleting the oldest rows of this region (as many as
 * the batch holds, at least 1/16 of them, times 2^@p round: freed rows
 * are not always whole free pages), in their own transaction. */
static int sq_drop_oldest(sq_sink *s, int round)
{
    int64_t rows = 0;
    uint64_t drop;
    int rc;

    rc = sq_int(s, "SELECT count(*) FROM samples WHERE region = ?1",
                s->region, &rows);
    if (rc != SQLITE_OK)
        return rc;
    drop = (uint64_t)rows / 16u;
    if (drop < s->n)
        drop = s->n;
    drop <<= round;
    if (rows <= 0)
        return SQLITE_FULL;
    rc = sq_exec(s, "BEGIN IMMEDIATE");
    if (rc != SQLITE_OK)
        return rc;
    rc = sq_run(s,
        "DELETE FROM samples WHERE region = ?1 AND seq < (SELECT seq FROM "
        "samples WHERE region = ?1 ORDER BY seq LIMIT 1 OFFSET ?2)",
        (int64_t)(drop < (uint64_t)rows ? drop : (uint64_t)rows - 1u),
        &s->dropped);
    if (rc == SQLITE_OK)
        rc = sq_run(s,
            "DELETE FROM gaps WHERE region = ?1 AND last_seq < (SELECT "
            "min(seq) FROM samples WHERE region = ?1)", 0, NULL);
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK)
        sq_rollback(s);
    return rc;
}

static void sq_note_latency(sq_sink *s, uint64_t t0)
{
    uint64_t us = (mono_ns() - t0) / 1000u;

    s->lat_us[s->commits % SQ_LAT_RING] =
        us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
    s->commits++;
}

/* The batch is stored: count it, empty it. */
static void sq_done(shmseq_sink *k, sq_sink *s, int durable)
{
    int64_t v = 0;

    k->written += s->n;
    if (!durable)
        k->unsynced += s->n;
    s->n = 0;
    s->ngaps = 0;
    if (sq_int(s, "PRAGMA page_count", 0, &v) == SQLITE_OK)
        s->pages = (uint64_t)v;
    k->bytes = s->pages * s->page_size;
}

/* The database is full and the batch cannot go in (on_full=stop, or
 * nothing left to drop): record the batch as a 'full' gap in the pages
 * kept in reserve, and fail; the wrapper counts the batch as lost. */
static int sq_full(shmseq_sink *k, sq_sink *s)
{
    uint64_t first, last, lost = s->n;
    uint32_t i;
    int rc;

    (void)sq_exec(s, "PRAGMA max_page_count = 2147483646");
    if (k->cfg.max_bytes != 0 && s->page_size != 0) {
        char sql[64];

        snprintf(sql, sizeof sql, "PRAGMA max_page_count = %" PRIu64,
                 k->cfg.max_bytes / s->page_size);
        (void)sq_exec(s, sql);
    }
    rc = sq_exec(s, "BEGIN IMMEDIATE");
    /* The gaps before the batch's first record stay what they are; the
     * batch, and the gaps between its records, become one 'full' gap. */
    first = s->n != 0 ? s->seqs[0] : 0;
    last = s->n != 0 ? s->seqs[s->n - 1] : 0;
    for (i = 0; rc == SQLITE_OK && i < s->ngaps; i++)
        if (s->n == 0 || s->gaps[i].last < first)
            rc = sq_put_gap(s, s->gaps[i].first, s->gaps[i].last,
                            s->gaps[i].reason);
    if (rc == SQLITE_OK && s->n != 0)
        rc = sq_put_gap(s, first, last, "full");
    if (rc == SQLITE_OK)
        rc = sq_exec(s, "COMMIT");
    if (rc != SQLITE_OK)
        sq_rollback(s);
    s->ngaps = 0;
    return shmseq_sink_fail(k, -ENOSPC, "'%s' is full (%" PRIu64 " bytes, "
                            "--max-bytes or the disk): %" PRIu64 " samples "
                            "could not be stored (%s as a 'full' gap)",
                            k->where, s->pages * s->page_size, lost,
                            rc == SQLITE_OK ? "recorded" : "NOT recorded");
}

/* Commit the batch. @p durable: with synchronous=FULL (a sync). @p sync:
 * also when the batch is empty (a sync commits the regions row's synced
 * time, so the WAL gets a frame to fsync). */
static int sq_commit(shmseq_sink *k, sq_sink *s, int durable)
{
    uint64_t t0 = mono_ns();
    int rc, tries;

    if (s->n == 0 && s->ngaps == 0 && !durable)
        return 0;
    if (durable && s->sync_level != 2)
        (void)sq_exec(s, "PRAGMA synchronous = FULL");
    for (tries = 0;; tries++) {
        rc = sq_exec(s, "BEGIN IMMEDIATE");
        if (rc == SQLITE_OK)
            rc = sq_insert(s);
        if (rc == SQLITE_OK && durable)
            rc = sq_run(s, "UPDATE regions SET synced = "
                        "strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                        "WHERE id = ?1", 0, NULL);
        if (rc == SQLITE_OK)
            rc = sq_exec(s, "COMMIT");
        if (rc == SQLITE_OK)
            break;
        sq_rollback(s);
        if (rc == SQLITE_FULL && s->drop_oldest && tries < 6 &&
            sq_drop_oldest(s, tries) == SQLITE_OK)
            continue;
        break;
    }
    if (durable && s->sync_level != 2)
        (void)sq_exec(s, s->sync_level == 0 ? "PRAGMA synchronous = OFF"
                                            : "PRAGMA synchronous = NORMAL");
    if (rc == SQLITE_OK) {
        sq_note_latency(s, t0);
        sq_done(k, s, durable || s->sync_level == 2);
        s->next_try_ns = 0;
        return 0;
    }
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
        /* Another connection held the write lock for busy_ms: keep the
         * batch and try again a commit period later, unless there is no
         * room left for what keeps arriving. */
        s->next_try_ns = mono_ns() + s->commit_ns;
        if (s->n + s->commit_rows <= s->buf_cap)
            return 0;
        return shmseq_sink_fail(k, -EBUSY, "'%s' stayed locked by another "
                                "connection (a long write transaction?): "
                                "waited %u ms %" PRIu64 " times, %u samples "
                                "could not be stored", k->where,
                                (unsigned)s->busy_ms, s->busy_waits,
                                (unsigned)s->n);
    }
    if (rc == SQLITE_FULL)
        return sq_full(k, s);
    return sq_fail(k, rc, "writing");
}

/* The break [from, to] as gaps rows: the ranges the caller gave (op gap)
 * with their reasons, clipped to it, the rest with @p own. */
static void sq_split(sq_sink *s, uint64_t from, uint64_t to, const char *own)
{
    uint64_t cur = from;
    uint32_t j;

    for (j = 0; j < s->ngiven; j++) {
        uint64_t a = s->given[j].first, b = s->given[j].last;

        if (b < cur || a > to)
            continue;
        if (a < cur)
            a = cur;
        if (b > to)
            b = to;
        if (a > cur)
            s->gaps[s->ngaps++] = (sq_gap){cur, a - 1u, own};
        s->gaps[s->ngaps++] = (sq_gap){a, b, s->given[j].reason};
        if (b == to)
            return;
        cur = b + 1u;
    }
    s->gaps[s->ngaps++] = (sq_gap){cur, to, own};
}

static int sq_gap_given(shmseq_sink *k, uint64_t first, uint64_t last,
                        const char *reason)
{
    sq_sink *s = sq_of(k);
    const char *known = NULL;
    size_t j;

    for (j = 0; j < sizeof sq_given_reasons / sizeof sq_given_reasons[0]; j++)
        if (strcmp(reason, sq_given_reasons[j]) == 0)
            known = sq_given_reasons[j];
    if (known == NULL)
        return shmseq_sink_fail(k, -EINVAL, "'%.40s' is not a gap reason of "
                                "the sqlite sink", reason);
    if (s->ngiven == SHMSEQ_SINK_GAPS_MAX)
        return shmseq_sink_fail(k, -EINVAL, "more than %u gap reasons "
                                "before one sample",
                                (unsigned)SHMSEQ_SINK_GAPS_MAX);
    if ((s->have_prev && first <= s->prev_seq) ||
        (s->ngiven != 0 && first <= s->given[s->ngiven - 1u].last))
        return shmseq_sink_fail(k, -EINVAL, "samples %" PRIu64 "..%" PRIu64
                                " said missing out of order", first, last);
    s->given[s->ngiven++] = (sq_gap){first, last, known};
    return 0;
}

static int sq_write(shmseq_sink *k, const shmseq_log_record *r, size_t n)
{
    sq_sink *s = sq_of(k);
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        if (s->n == s->buf_cap) {
            /* Still busy and no room: one more try, then fail. */
            rc = sq_commit(k, s, 0);
            if (rc < 0)
                return rc;
            if (s->n == s->buf_cap)
                return shmseq_sink_fail(k, -EBUSY, "'%s' stays locked by "
                                        "another connection: %u samples "
                                        "could not be stored", k->where,
                                        (unsigned)s->n);
        }
        if (s->have_prev && r[i].seq <= s->prev_seq)
            return shmseq_sink_fail(k, -EINVAL, "sample %" PRIu64 " after %"
                                    PRIu64 ": records must come in order, "
                                    "each once", r[i].seq, s->prev_seq);
        if (s->ngiven != 0 && s->given[s->ngiven - 1u].last >= r[i].seq)
            return shmseq_sink_fail(k, -EINVAL, "samples up to %" PRIu64
                                    " said missing, then sample %" PRIu64
                                    " given", s->given[s->ngiven - 1u].last,
                                    r[i].seq);
        if ((s->have_prev && r[i].seq > s->prev_seq + 1u) ||
            (!s->have_prev && s->have_expect && r[i].seq > s->expect)) {
            uint64_t from = s->have_prev ? s->prev_seq + 1u : s->expect;
            uint32_t ep = s->have_prev ? s->prev_epoch : s->expect_epoch;

            if (s->ngaps + 2u * s->ngiven + 1u > SQ_GAPS_MAX) {
                rc = sq_commit(k, s, 0);
                if (rc < 0)
                    return rc;
            }
            if (s->ngaps + 2u * s->ngiven + 1u <= SQ_GAPS_MAX)
                sq_split(s, from, r[i].seq - 1u,
                         r[i].epoch != ep ? "writer replaced" : "overrun");
        }
        s->ngiven = 0;
        if (s->n == 0)
            s->batch_start_ns = mono_ns();
        s->seqs[s->n] = r[i].seq;
        s->ts[s->n] = r[i].timestamp_ns;
        s->epochs[s->n] = r[i].epoch;
        memcpy(s->vals + (size_t)s->n * s->width, r[i].values,
               s->width * sizeof(double));
        s->n++;
        s->have_prev = 1;
        s->prev_seq = r[i].seq;
        s->prev_epoch = r[i].epoch;
    }
    if (s->n >= s->commit_rows ||
        mono_ns() - s->batch_start_ns >= s->commit_ns) {
        if (s->next_try_ns == 0 || mono_ns() >= s->next_try_ns)
            return sq_commit(k, s, 0);
    }
    return 0;
}

static int sq_tick(shmseq_sink *k, uint64_t now_ns)
{
    sq_sink *s = sq_of(k);

    (void)now_ns; /* the batch is timed on the sink's own clock */
    if (s->n == 0 && s->ngaps == 0)
        return 0;
    if (mono_ns() - s->batch_start_ns < s->commit_ns)
        return 0;
    if (s->next_try_ns != 0 && mono_ns() < s->next_try_ns)
        return 0;
    return sq_commit(k, s, 0);
}

static int sq_flush(shmseq_sink *k)
{
    sq_sink *s = sq_of(k);

    if (s->next_try_ns != 0 && mono_ns() < s->next_try_ns)
        return 0; /* busy: the next tick tries again */
    return sq_commit(k, s, 0);
}

/* A durable commit, then a passive checkpoint (never waits for readers);
 * freed pages beyond a quarter of the file go back to the file system. */
static int sq_sync(shmseq_sink *k)
{
    sq_sink *s = sq_of(k);
    int64_t freel = 0;
    int rc;

    if (s->region == 0)
        return 0;
    rc = sq_commit(k, s, 1);
    if (rc < 0)
        return rc;
    if (s->n != 0)
        return 0; /* kept while busy: not durable yet */
    (void)sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_PASSIVE,
                                    NULL, NULL);
    if (sq_int(s, "PRAGMA freelist_count", 0, &freel) == SQLITE_OK &&
        (uint64_t)freel * 4u > s->pages && freel > 16)
        (void)sq_exec(s, "PRAGMA incremental_vacuum");
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

    return x < y ? -1 : x > y;
}

static void sq_status(shmseq_sink *k, char *buf, size_t cap)
{
    sq_sink *s = sq_of(k);
    uint32_t lat[SQ_LAT_RING];
    size_t n, off;

    if (s == NULL) {
        buf[0] = '\0';
        return;
    }
    n = s->commits < SQ_LAT_RING ? (size_t)s->commits : SQ_LAT_RING;
    memcpy(lat, s->lat_us, n * sizeof lat[0]);
    qsort(lat, n, sizeof lat[0], cmp_u32);
    if (n != 0) {
        size_t i50 = n / 2u, i99 = n * 99u / 100u;

        off = (size_t)snprintf(buf, cap, "commit p50 %.2f ms p99 %.2f ms",
                               (double)lat[i50] / 1000.0,
                               (double)lat[i99] / 1000.0);
    }
    else
        off = (size_t)snprintf(buf, cap, "commit -");
    if (off < cap)
        off += (size_t)snprintf(buf + off, cap - off, " commits %" PRIu64
                                " db %.2f MiB", s->commits,
                                (double)(s->pages * s->page_size) / 1048576.0);
    if (off < cap && s->busy_waits != 0)
        off += (size_t)snprintf(buf + off, cap - off, " busy %" PRIu64
                                " (retries %" PRIu64 ")", s->busy_waits,
                                s->busy_retries);
    if (off < cap && s->deleted != 0)
        off += (size_t)snprintf(buf + off, cap - off, " retention-deleted %"
                                PRIu64, s->deleted);
    if (off < cap && s->dropped != 0)
        (void)snprintf(buf + off, cap - off, " dropped-for-space %" PRIu64,
                       s->dropped);
}

static int sq_close(shmseq_sink *k)
{
    sq_state *stt = (sq_state *)shmseq_sink_state(k);
    sq_sink *s = stt->s;

    int rc = 0, created;

    if (s == NULL)
        return 0;
    if (s->db != NULL && k->begun && k->error == 0 && s->n != 0) {
        /* The final sync found the database busy: wait longer, once. */
        s->busy_ms *= 20u;
        s->next_try_ns = 0;
        rc = sq_commit(k, s, 1);
        if (rc == 0 && s->n != 0)
            rc = shmseq_sink_fail(k, -EBUSY, "'%s' stayed locked by another"
                                  " connection: %u samples could not be "
                                  "stored at exit", k->where, (unsigned)s->n);
    }
    if (s->db != NULL && k->begun && k->error == 0)
        (void)sqlite3_wal_checkpoint_v2(s->db, NULL,
                                        SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                        NULL);
    created = s->created;
    sq_free(s);
    stt->s = NULL;
    /* A run that never began leaves no database behind. */
    if (!k->begun && created)
        sq_unlink_all(k->where);
    return rc;
}

const shmseq_sink_ops shmseq__sink_sqlite = {
    .name = "sqlite",
    .summary = "a SQLite database (WAL, batched commits, gaps as rows)",
    .open = sq_open,
    .begin = sq_begin,
    .write = sq_write,
    .flush = sq_flush,
    .sync = sq_sync,
    .close = sq_close,
    .resume = sq_resume,
    .tick = sq_tick,
    .status = sq_status,
    .gap = sq_gap_given,
};
