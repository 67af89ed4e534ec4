/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the sqlite sink (sink/sqlite.c) through the sink wrappers,
 * reading the database back with libsqlite3: the exact rows and the
 * regions row; breaks in the numbering become gaps rows with their reason
 * (overrun, writer replaced); resume says where the stored data ends (and,
 * for a region whose logger stored nothing, its first_seq), so a second
 * session continues with neither duplicate nor false gap; a batch is not
 * committed before commit_ms unless tick finds it old enough; retention
 * by rows and by seconds keeps exactly what it should and the file small
 * over many commits; a database
 * full under max_bytes records the batch as a 'full' gap and keeps the
 * accounting identity given == written + lost_io; a close before begin
 * leaves no file; a non-database and another width are refused untouched;
 * reasons the caller gives (shmseq_sink_gap: spool overflow) split a break
 * into rows over exactly their samples, the rest keeping the sink's own
 * reason, and misuse is refused; a version-1 database is upgraded in place
 * (its rows kept, the new reason accepted, the CHECK still enforced), a
 * newer one refused.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include <shmseq/sink.h>

static char dir[64];
static char path[128];
static shmseq_sink k;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/shmseq-sink-sq-%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/t.db", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void fresh(void)
{
    static const char *const tails[] = {"", "-wal", "-shm"};
    char p[sizeof path + 8];
    size_t i;

    for (i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s%s", path, tails[i]);
        (void)unlink(p);
    }
}

static void make_header(shmseq_log_header *h, uint32_t width, uint64_t head)
{
    memset(h, 0, sizeof *h);
    h->width = width;
    h->capacity = 64;
    h->epoch = 1;
    h->head = head;
    h->created_realtime_ns = 1234;
    snprintf(h->name, sizeof h->name, "unit");
}

static void make_record(shmseq_log_record *r, uint64_t seq, uint32_t epoch,
                        uint32_t width)
{
    uint32_t c;

    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->timestamp_ns = 1000u * seq;
    r->epoch = epoch;
    r->width = width;
    for (c = 0; c < width; c++)
        r->values[c] = (double)seq + 0.25 * c;
}

/* One integer (or text as a number) from the database at @p path. */
static long long q1(const char *sql)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    long long v = -1;

    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static int open_sink(const char *params, uint64_t max_bytes)
{
    shmseq_sink_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.target = path;
    cfg.params = params;
    cfg.max_bytes = max_bytes;
    cfg.sync_ns = 1000000000u;
    cfg.node = "unit-node";
    return shmseq_sink_open(&k, "sqlite", &cfg);
}

static void test_rows_and_gaps(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r[6];
    uint64_t next = 99;

    (void)state;
    fresh();
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 3, 10);
    assert_int_equal(shmseq_sink_resume(&k, &h, &next), 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    /* 10, 11, then 14 (12..13 overrun), then 20 of a new writer epoch
     * (15..19 writer replaced), 21. */
    make_record(&r[0], 10, 1, 3);
    make_record(&r[1], 11, 1, 3);
    make_record(&r[2], 14, 1, 3);
    make_record(&r[3], 20, 2, 3);
    make_record(&r[4], 21, 2, 3);
    assert_int_equal(shmseq_sink_write(&k, r, 5, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(k.written, 5);
    assert_int_equal(k.lost_io, 0);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 5);
    assert_int_equal(q1("SELECT v2 * 4 FROM samples WHERE seq = 14"), 58);
    assert_int_equal(q1("SELECT count(*) FROM gaps"), 2);
    assert_int_equal(q1("SELECT last_seq FROM gaps WHERE first_seq = 12 AND "
                        "reason = 'overrun'"), 13);
    assert_int_equal(q1("SELECT last_seq FROM gaps WHERE first_seq = 15 AND "
                        "reason = 'writer replaced'"), 19);
    assert_int_equal(q1("SELECT first_seq FROM regions WHERE name = 'unit' "
                        "AND node = 'unit-node' AND width = 3"), 10);
    assert_int_equal(q1("PRAGMA user_version"), 2);
    assert_int_equal(q1("PRAGMA application_id"), 0x73687371);

    /* A second session of the same region resumes after 21. */
    assert_int_equal(open_sink(NULL, 0), 0);
    assert_int_equal(shmseq_sink_resume(&k, &h, &next), 1);
    assert_int_equal(next, 22);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r[5], 22, 2, 3);
    assert_int_equal(shmseq_sink_write(&k, &r[5], 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 6);
    assert_int_equal(q1("SELECT count(*) FROM gaps"), 2);
    assert_int_equal(q1("SELECT count(*) FROM regions"), 1);
}

/* Every gaps row as "first-last:reason;...", in order. */
static void gap_rows(char *out, size_t cap)
{
    sqlite3 *db;
    sqlite3_stmt *st;
    size_t off = 0;

    out[0] = '\0';
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT first_seq, last_seq, "
                                        "reason FROM gaps ORDER BY region, "
                                        "first_seq", -1, &st, NULL),
                     SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW && off < cap)
        off += (size_t)snprintf(out + off, cap - off, "%lld-%lld:%s;",
                                (long long)sqlite3_column_int64(st, 0),
                                (long long)sqlite3_column_int64(st, 1),
                                (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

static void test_given_reasons(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r[4];
    char rows[512];

    (void)state;
    fresh();
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 2, 10);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r[0], 10, 1, 2);
    assert_int_equal(shmseq_sink_write(&k, &r[0], 1, 0), 0);
    /* The hole 11..19: 11..14 the sink's own reason, 15..16 dropped by a
     * spool, 17..19 overrun: three rows. */
    assert_int_equal(shmseq_sink_gap(&k, 15, 16, "spool overflow"), 0);
    assert_int_equal(shmseq_sink_gap(&k, 17, 19, "overrun"), 0);
    make_record(&r[1], 20, 1, 2);
    /* 21..22 spool overflow right after a record; 23..24 across a new
     * epoch stay 'writer replaced'. */
    make_record(&r[2], 25, 2, 2);
    assert_int_equal(shmseq_sink_write(&k, &r[1], 1, 0), 0);
    assert_int_equal(shmseq_sink_gap(&k, 21, 22, "spool overflow"), 0);
    assert_int_equal(shmseq_sink_write(&k, &r[2], 1, 0), 0);
    /* A range with no break after it is consumed: 26 follows 25. */
    make_record(&r[3], 26, 2, 2);
    assert_int_equal(shmseq_sink_write(&k, &r[3], 1, 0), 0);
    assert_int_equal(shmseq_sink_sync(&k, 0), 0);
    /* A range at or below a record given: refused (sticky). */
    assert_int_equal(shmseq_sink_gap(&k, 26, 27, "overrun"), -EINVAL);
    assert_non_null(strstr(k.why, "out of order"));
    assert_int_equal(shmseq_sink_close(&k), -EINVAL);
    gap_rows(rows, sizeof rows);
    assert_string_equal(rows, "11-14:overrun;15-16:spool overflow;"
                              "17-19:overrun;21-22:spool overflow;"
                              "23-24:writer replaced;");
    assert_int_equal(q1("SELECT count(*) FROM samples"), 4);

    /* A reason the sink does not know; a range reaching the next record. */
    assert_int_equal(open_sink(NULL, 0), 0);
    snprintf(h.name, sizeof h.name, "other");
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_gap(&k, 30, 31, "cosmic rays"), -EINVAL);
    assert_non_null(strstr(k.why, "not a gap reason"));
    shmseq_sink_close(&k);
    assert_int_equal(open_sink(NULL, 0), 0);
    snprintf(h.name, sizeof h.name, "third");
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_gap(&k, 30, 45, "spool overflow"), 0);
    make_record(&r[0], 44, 1, 2);
    assert_int_equal(shmseq_sink_write(&k, &r[0], 1, 0), -EINVAL);
    assert_non_null(strstr(k.why, "said missing, then sample 44"));
    shmseq_sink_close(&k);
    assert_int_equal(q1("SELECT count(*) FROM gaps"), 5);
}

/* A database as schema version 1 wrote it, with one region, rows 0..4,
 * an overrun gap 5..6 and rows 7..8. */
static void make_v1(int version)
{
    sqlite3 *db;
    char sql[2048];

    fresh();
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql,
        "PRAGMA auto_vacuum = INCREMENTAL; PRAGMA journal_mode = WAL;"
        "BEGIN;"
        "CREATE TABLE regions (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "width INTEGER NOT NULL, channels TEXT NOT NULL, node TEXT NOT NULL,"
        " capacity INTEGER NOT NULL, first_epoch INTEGER NOT NULL, "
        "first_seq INTEGER NOT NULL, created_realtime_ns INTEGER NOT NULL, "
        "created_monotonic_ns INTEGER NOT NULL, created TEXT NOT NULL, "
        "synced TEXT, UNIQUE (name, created_realtime_ns));"
        "CREATE TABLE samples (region INTEGER NOT NULL, seq INTEGER NOT "
        "NULL, epoch INTEGER NOT NULL, ts_ns INTEGER NOT NULL, \"v0\" REAL,"
        " \"v1\" REAL, PRIMARY KEY (region, seq)) WITHOUT ROWID;"
        "CREATE TABLE gaps (region INTEGER NOT NULL, first_seq INTEGER NOT "
        "NULL, last_seq INTEGER NOT NULL, reason TEXT NOT NULL CHECK (reason"
        " IN ('overrun', 'writer replaced', 'io', 'full')), PRIMARY KEY "
        "(region, first_seq)) WITHOUT ROWID;"
        "INSERT INTO regions VALUES (1, 'unit', 2, 'v0,v1', 'unit-node', 64,"
        " 1, 0, 1234, 0, '2026-01-01T00:00:00Z', NULL);"
        "INSERT INTO samples VALUES (1, 0, 1, 0, 0, 0), (1, 1, 1, 0, 0, 0),"
        " (1, 2, 1, 0, 0, 0), (1, 3, 1, 0, 0, 0), (1, 4, 1, 0, 0, 0),"
        " (1, 7, 1, 0, 0, 0), (1, 8, 1, 0, 0, 0);"
        "INSERT INTO gaps VALUES (1, 5, 6, 'overrun');"
        "PRAGMA application_id = 1936225137; PRAGMA user_version = %d;"
        "COMMIT;", version);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_schema_v1(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r;
    uint64_t next = 0;
    char rows[256];
    sqlite3 *db;

    (void)state;
    make_v1(1);
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 2, 9);
    assert_int_equal(shmseq_sink_resume(&k, &h, &next), 1);
    assert_int_equal(next, 9);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_gap(&k, 9, 11, "spool overflow"), 0);
    make_record(&r, 12, 1, 2);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(q1("PRAGMA user_version"), 2);
    assert_int_equal(q1("SELECT count(*) FROM sqlite_schema WHERE name = "
                        "'gaps_v2'"), 0);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 8);
    gap_rows(rows, sizeof rows);
    assert_string_equal(rows, "5-6:overrun;9-11:spool overflow;");
    /* The rebuilt table still refuses a reason outside its list. */
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "INSERT INTO gaps VALUES (1, 20, 21, "
                                  "'cosmic rays')", NULL, NULL, NULL),
                     SQLITE_CONSTRAINT);
    sqlite3_close(db);
    /* A newer schema: refused at open, untouched. */
    make_v1(3);
    assert_int_equal(open_sink(NULL, 0), -EPROTONOSUPPORT);
    assert_non_null(strstr(k.why, "has schema version 3, newer than this "
                                  "program's 2"));
    assert_int_equal(q1("PRAGMA user_version"), 3);
}

static void test_resume_first_seq(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r;
    uint64_t next = 0;

    (void)state;
    fresh();
    /* A logger that made the region's row and stored nothing. */
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 2, 100);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    /* The next one starts where that one could first read: 100. */
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 2, 130);
    assert_int_equal(shmseq_sink_resume(&k, &h, &next), 1);
    assert_int_equal(next, 100);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r, 130, 1, 2);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(q1("SELECT last_seq FROM gaps WHERE first_seq = 100"),
                     129);
}

static void test_batch_by_time(void **state)
{
    struct timespec nap = {0, 60000000}; /* 60 ms */
    shmseq_log_header h;
    shmseq_log_record r;
    char line[256];

    (void)state;
    fresh();
    assert_int_equal(open_sink("commit_ms=50,commit_rows=1000", 0), 0);
    make_header(&h, 1, 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r, 0, 1, 1);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    /* Younger than commit_ms: still in the batch. */
    assert_int_equal(shmseq_sink_tick(&k, 0), 0);
    assert_int_equal(shmseq_sink_pending(&k), 1);
    nanosleep(&nap, NULL);
    assert_int_equal(shmseq_sink_tick(&k, 0), 0);
    assert_int_equal(shmseq_sink_pending(&k), 0);
    assert_int_equal(k.written, 1);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 1);
    assert_non_null(strstr(shmseq_sink_status(&k, line, sizeof line),
                           "commit p50"));
    assert_int_equal(shmseq_sink_close(&k), 0);
}

static void test_full(void **state)
{
    static shmseq_log_record r[256];
    shmseq_log_header h;
    uint64_t seq = 0;
    int rc = 0, i;

    (void)state;
    fresh();
    assert_int_equal(open_sink("commit_rows=64", 48u * 1024u), 0);
    make_header(&h, 8, 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    while (rc == 0 && seq < 100000u) {
        for (i = 0; i < 256; i++)
            make_record(&r[i], seq + (uint64_t)i, 1, 8);
        rc = shmseq_sink_write(&k, r, 256, 0);
        seq += 256;
    }
    assert_int_equal(rc, -ENOSPC);
    assert_non_null(strstr(k.why, "is full"));
    assert_non_null(strstr(k.why, "recorded as a 'full' gap"));
    shmseq_sink_close(&k);
    assert_int_equal(k.given, k.written + k.lost_io);
    assert_true(k.written > 0);
    assert_int_equal(q1("SELECT count(*) FROM samples"), (long long)k.written);
    assert_int_equal(q1("SELECT count(*) FROM gaps WHERE reason = 'full'"), 1);
    assert_int_equal(q1("SELECT min(first_seq) FROM gaps"),
                     (long long)k.written);
    assert_int_equal(q1("SELECT integrity_check = 'ok' FROM "
                        "pragma_integrity_check"), 1);
}

static void test_retention(void **state)
{
    static shmseq_log_record r[100];
    shmseq_log_header h;
    uint64_t seq;
    int i;

    (void)state;
    /* keep_seconds: 100 samples 0.1 s apart; keep the last 2 s. */
    fresh();
    assert_int_equal(open_sink("keep_seconds=2", 0), 0);
    make_header(&h, 1, 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    for (i = 0; i < 100; i++) {
        make_record(&r[i], (uint64_t)i, 1, 1);
        r[i].timestamp_ns = (uint64_t)i * 100000000u;
    }
    assert_int_equal(shmseq_sink_write(&k, r, 100, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(q1("SELECT min(seq) FROM samples"), 79);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 21);
    /* keep_rows over many commits: the file stays small (freed pages
     * are reused, the incremental vacuum gives extra ones back). */
    fresh();
    assert_int_equal(open_sink("keep_rows=100,commit_rows=50", 0), 0);
    make_header(&h, 4, 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    for (seq = 0; seq < 20000u; seq += 100u) {
        for (i = 0; i < 100; i++)
            make_record(&r[i], seq + (uint64_t)i, 1, 4);
        assert_int_equal(shmseq_sink_write(&k, r, 100, 0), 0);
        if (seq % 2000u == 0)
            assert_int_equal(shmseq_sink_sync(&k, 0), 0);
    }
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 100);
    assert_int_equal(q1("SELECT min(seq) FROM samples"), 19900);
    assert_true(q1("PRAGMA page_count") < 32);
}

static void test_refusals(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r;
    struct stat st;
    FILE *f;

    (void)state;
    /* Closed before begin: no database left. */
    fresh();
    assert_int_equal(open_sink(NULL, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_not_equal(stat(path, &st), 0);
    /* Not a database. */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("somebody's notes\n", f);
    fclose(f);
    assert_int_equal(open_sink(NULL, 0), -EEXIST);
    assert_non_null(strstr(k.why, "is not a SQLite database"));
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 17);
    /* Bad parameters. */
    fresh();
    assert_int_equal(open_sink("on_full=later", 0), -EINVAL);
    assert_int_equal(open_sink("nosuch=1", 0), -EINVAL);
    /* Another width: refused at begin, nothing written. */
    assert_int_equal(open_sink(NULL, 0), 0);
    make_header(&h, 2, 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r, 0, 1, 2);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(open_sink(NULL, 0), 0);
    snprintf(h.name, sizeof h.name, "other");
    h.width = 3;
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), -EINVAL);
    assert_non_null(strstr(k.why, "holds samples of width 2"));
    shmseq_sink_close(&k);
    assert_int_equal(q1("SELECT count(*) FROM regions"), 1);
    assert_int_equal(q1("SELECT count(*) FROM samples"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_and_gaps),
        cmocka_unit_test(test_resume_first_seq),
        cmocka_unit_test(test_batch_by_time),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_retention),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_given_reasons),
        cmocka_unit_test(test_schema_v1),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
