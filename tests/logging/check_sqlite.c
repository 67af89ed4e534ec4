/* SPDX-License-Identifier: MIT */
/*
 * check_sqlite: the SQLite sink tests' checker, reading a database the
 * logger wrote from the sim sensor.
 *
 * Checks: PRAGMA integrity_check says ok; no (region, seq) twice; every
 * stored value is bit for bit shmseq_sim_value() recomputed from the row's
 * sample number; the rows and the gaps rows of the region, in order, cover
 * a range with neither hole nor overlap -- from --from (default: where
 * they begin) to --to (default: where they end). It prints what it found
 * ("rows N gaps G (overrun A, ...) seq F..L").
 *
 * --probe only says (exit 0) whether the region has its row yet: the
 * kill test's cheap look at a logger that is starting.
 *
 * --hold-write MS instead holds the database's write lock for MS
 * milliseconds (BEGIN IMMEDIATE ... COMMIT), printing "holding" once it
 * has it: the busy-database test's long user transaction.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <shmseq/bsp.h>

static const char *prog = "check_sqlite";

static int usage(void)
{
    fprintf(stderr,
"Usage: %s [--board NAME] [--rate HZ] [--params STR] [--region NAME]\n"
"                    [--from N] [--to N] DB\n"
"       %s --hold-write MS DB\n"
"       %s --probe --region NAME DB\n"
"Exit status: 0 pass, 1 check failed, 2 usage error.\n", prog, prog, prog);
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (*end != '\0' || errno == ERANGE) ? -1 : 0;
}

static int hold_write(sqlite3 *db, uint64_t ms)
{
    struct timespec ts = {(time_t)(ms / 1000u), (long)(ms % 1000u) * 1000000L};

    sqlite3_busy_timeout(db, 10000);
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: BEGIN IMMEDIATE: %s\n", prog, sqlite3_errmsg(db));
        return 1;
    }
    printf("holding\n");
    fflush(stdout);
    nanosleep(&ts, NULL);
    sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return 0;
}

/* One text or integer result of @p sql. */
static int query1(sqlite3 *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    out[0] = '\0';
    if (rc != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return 0;
}

int main(int argc, char **argv)
{
    const char *board_name = "desktop", *params = NULL, *region = NULL;
    const char *path = NULL;
    uint64_t rate = 0, from = 0, to = 0, hold = 0;
    int have_from = 0, have_to = 0, have_hold = 0, probe = 0, i, rc;
    int width = 0;
    const shmseq_board *b;
    shmseq_sim_params p;
    char why[128], buf[256], sql[512];
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t region_id = 0;
    uint64_t rows = 0, bad = 0, ngaps = 0, by_reason[4] = {0, 0, 0, 0};
    uint64_t next = 0, first = 0;
    int started = 0, failed = 0;
    static const char *const reasons[4] = {"overrun", "writer replaced", "io",
                                           "full"};

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];

        if (i + 1 < argc && strcmp(a, "--board") == 0)
            board_name = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--params") == 0)
            params = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--region") == 0)
            region = argv[++i];
        else if (i + 1 < argc && strcmp(a, "--rate") == 0) {
            if (parse_u64(argv[++i], &rate) < 0 || rate == 0 ||
                rate > UINT32_MAX)
                return usage();
        } else if (i + 1 < argc && strcmp(a, "--from") == 0) {
            if (parse_u64(argv[++i], &from) < 0)
                return usage();
            have_from = 1;
        } else if (i + 1 < argc && strcmp(a, "--to") == 0) {
            if (parse_u64(argv[++i], &to) < 0)
                return usage();
            have_to = 1;
        } else if (i + 1 < argc && strcmp(a, "--hold-write") == 0) {
            if (parse_u64(argv[++i], &hold) < 0)
                return usage();
            have_hold = 1;
        } else if (strcmp(a, "--probe") == 0) {
            probe = 1;
        } else if (a[0] != '-' && path == NULL)
            path = a;
        else
            return usage();
    }
    if (path == NULL)
        return usage();
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: cannot open '%s': %s\n", prog, path,
                sqlite3_errmsg(db));
        return 1;
    }
    if (have_hold) {
        rc = hold_write(db, hold);
        sqlite3_close(db);
        return rc;
    }
    b = shmseq_board_find(board_name);
    if (b == NULL) {
        fprintf(stderr, "%s: no board '%s'\n", prog, board_name);
        return 2;
    }
    if (shmseq_sim_parse(params != NULL ? params : b->sensor_params,
                         rate != 0 ? (uint32_t)rate : b->rate_hz, &p, why,
                         sizeof why) < 0) {
        fprintf(stderr, "%s: --params: %s\n", prog, why);
        return 2;
    }
    sqlite3_busy_timeout(db, 10000);
    if (probe) {
        if (region == NULL)
            return usage();
        rc = sqlite3_prepare_v2(db, "SELECT 1 FROM regions WHERE name = ?1",
                                -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
            rc = sqlite3_step(st) == SQLITE_ROW ? 0 : 1;
            sqlite3_finalize(st);
        } else {
            rc = 1;
        }
        sqlite3_close(db);
        return rc;
    }

    query1(db, "PRAGMA integrity_check", buf, sizeof buf);
    if (strcmp(buf, "ok") != 0) {
        fprintf(stderr, "%s: integrity_check: %s\n", prog, buf);
        failed = 1;
    }
    query1(db, "SELECT count(*) FROM (SELECT 1 FROM samples GROUP BY "
               "region, seq HAVING count(*) > 1)", buf, sizeof buf);
    if (strcmp(buf, "0") != 0) {
        fprintf(stderr, "%s: %s (region, seq) stored more than once\n", prog,
                buf);
        failed = 1;
    }
    query1(db, "SELECT count(*) FROM pragma_table_info('samples')", buf,
           sizeof buf);
    width = atoi(buf) - 4;
    if (width < 1 || width > (int)SHMSEQ_SIM_WIDTH_MAX) {
        fprintf(stderr, "%s: samples has %d channel columns\n", prog, width);
        return 1;
    }
    if (region != NULL) {
        /* The newest region row of that name. */
        rc = sqlite3_prepare_v2(db, "SELECT id FROM regions WHERE name = ?1 "
                                "ORDER BY id DESC LIMIT 1", -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_text(st, 1, region, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                region_id = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    } else {
        query1(db, "SELECT max(id) FROM regions", buf, sizeof buf);
        region_id = atoll(buf);
    }
    if (region_id == 0) {
        fprintf(stderr, "%s: no such region in '%s'\n", prog, path);
        return 1;
    }

    /* Rows and gaps merged in seq order (kind 0 a row, 1 a gap); the
     * gaps branch has as many columns as "samples". */
    {
        size_t off = (size_t)snprintf(sql, sizeof sql,
            "SELECT seq, seq, 0, NULL, * FROM samples WHERE region = %" PRId64
            " UNION ALL SELECT first_seq, last_seq, 1, reason", region_id);
        for (i = 0; i < width + 4; i++)
            off += (size_t)snprintf(sql + off, sizeof sql - off, ", NULL");
        snprintf(sql + off, sizeof sql - off, " FROM gaps WHERE region = %"
                 PRId64 " ORDER BY 1", region_id);
    }
    rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", prog, sqlite3_errmsg(db));
        return 1;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t lo = (uint64_t)sqlite3_column_int64(st, 0);
        uint64_t hi = (uint64_t)sqlite3_column_int64(st, 1);
        int gap = sqlite3_column_int(st, 2);

        if (!started) {
            first = lo;
            next = have_from ? from : lo;
            started = 1;
        }
        if (lo != next) {
            if (failed < 8)
                fprintf(stderr, "%s: %s at %" PRIu64 " where %" PRIu64
                        " was expected (%s)\n", prog, gap ? "gap" : "row", lo,
                        next, lo > next ? "a hole" : "an overlap");
            failed++;
        }
        if (hi < lo) {
            fprintf(stderr, "%s: gap %" PRIu64 "..%" PRIu64 " ends before it "
                    "starts\n", prog, lo, hi);
            failed++;
        }
        next = hi + 1u;
        if (gap) {
            const char *r = (const char *)sqlite3_column_text(st, 3);
            int j;

            ngaps++;
            for (j = 0; j < 4; j++)
                if (r != NULL && strcmp(r, reasons[j]) == 0)
                    by_reason[j] += hi - lo + 1u;
            continue;
        }
        rows++;
        for (i = 0; i < width; i++) {
            double got = sqlite3_column_double(st, 8 + i);
            double want = shmseq_sim_value(&p, (uint32_t)i, lo);

            if (sqlite3_column_type(st, 8 + i) != SQLITE_FLOAT ||
                memcmp(&got, &want, sizeof got) != 0) {
                if (bad < 5)
                    fprintf(stderr, "%s: seq %" PRIu64 " column %d = %.17g, "
                            "sim gives %.17g\n", prog, lo, i, got, want);
                bad++;
            }
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "%s: %s\n", prog, sqlite3_errmsg(db));
        failed++;
    }
    if (have_from && started && first > from) {
        fprintf(stderr, "%s: coverage begins at %" PRIu64 ", want %" PRIu64
                "\n", prog, first, from);
        failed++;
    }
    if (have_to && (!started || next != to + 1u)) {
        fprintf(stderr, "%s: coverage ends at %" PRIu64 ", want %" PRIu64
                "\n", prog, next - 1u, to);
        failed++;
    }
    if (bad != 0) {
        fprintf(stderr, "%s: %" PRIu64 " values differ from the sim "
                "waveform\n", prog, bad);
        failed++;
    }
    printf("rows %" PRIu64 " gaps %" PRIu64 " (overrun %" PRIu64
           ", writer replaced %" PRIu64 ", io %" PRIu64 ", full %" PRIu64
           ") seq %" PRIu64 "..%" PRIu64 "\n", rows, ngaps, by_reason[0],
           by_reason[1], by_reason[2], by_reason[3], first,
           started ? next - 1u : 0);
    sqlite3_close(db);
    if (failed) {
        fprintf(stderr, "%s: FAILED\n", prog);
        return 1;
    }
    printf("%s: OK: integrity ok, no duplicate, every value equals the sim "
           "waveform, rows + gaps cover the range exactly\n", prog);
    return 0;
}
