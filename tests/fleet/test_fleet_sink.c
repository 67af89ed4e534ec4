/* SPDX-License-Identifier: MIT */
/*
 * The SQLite sink as the fleet end uses it (docs/fleet.md): many boards
 * whose regions share a name ("imu" on every board) into one database.
 * Two nodes' streams of one region name are two regions: both are
 * claimed, both stored, each resumes from its own rows; the same node's
 * stream twice at once is refused (-EBUSY: one sub stores it, another
 * stands by) and the refused one leaves the database to the other even
 * when both found it missing.
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
#include <unistd.h>

#include <shmseq/sink.h>

static char db[96];
static shmseq_sink ka, kb, kc;

static int teardown(void **state)
{
    char p[128];

    (void)state;
    unlink(db);
    snprintf(p, sizeof p, "%s-wal", db);
    unlink(p);
    snprintf(p, sizeof p, "%s-shm", db);
    unlink(p);
    return 0;
}

static void header(shmseq_log_header *h)
{
    memset(h, 0, sizeof *h);
    h->width = 2;
    h->capacity = 1024;
    h->epoch = 1;
    h->created_realtime_ns = 1000;
    snprintf(h->name, sizeof h->name, "imu");
}

static void open_node(shmseq_sink *k, const char *node)
{
    shmseq_sink_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.target = db;
    cfg.node = node;
    assert_int_equal(shmseq_sink_open(k, "sqlite", &cfg), 0);
}

static void store(shmseq_sink *k, uint64_t from, uint64_t n)
{
    shmseq_log_record r;

    for (uint64_t s = from; s < from + n; s++) {
        memset(&r, 0, sizeof r);
        r.seq = s;
        r.timestamp_ns = s;
        r.epoch = 1;
        r.width = 2;
        r.values[0] = (double)s;
        assert_int_equal(shmseq_sink_write(k, &r, 1, 0), 0);
    }
}

static void test_same_region_name_two_nodes(void **state)
{
    shmseq_log_header h, hb;
    uint64_t next = 0;

    (void)state;
    snprintf(db, sizeof db, "/tmp/shmseq-fleet-sink-%ld.db", (long)getpid());
    header(&h);
    header(&hb);
    hb.created_realtime_ns = 2000; /* made on its own board, at its time */
    open_node(&ka, "board-a");
    assert_int_equal(shmseq_sink_resume(&ka, &h, &next), 0);
    assert_int_equal(shmseq_sink_begin(&ka, &h, 0), 0);
    /* another board, the same region name: not a second writer of it */
    open_node(&kb, "board-b");
    assert_int_equal(shmseq_sink_resume(&kb, &hb, &next), 0);
    assert_int_equal(shmseq_sink_begin(&kb, &hb, 0), 0);
    /* the same board's stream a second time: refused while held */
    open_node(&kc, "board-a");
    assert_int_equal(shmseq_sink_resume(&kc, &h, &next), -EBUSY);
    shmseq_sink_close(&kc);
    store(&ka, 0, 10);
    store(&kb, 0, 25);
    assert_int_equal(shmseq_sink_close(&ka), 0);
    assert_int_equal(shmseq_sink_close(&kb), 0);
    assert_int_equal(ka.written, 10);
    assert_int_equal(kb.written, 25);
    /* each resumes from its own rows */
    open_node(&ka, "board-a");
    assert_int_equal(shmseq_sink_resume(&ka, &h, &next), 1);
    assert_int_equal(next, 10);
    shmseq_sink_close(&ka);
    open_node(&kb, "board-b");
    assert_int_equal(shmseq_sink_resume(&kb, &hb, &next), 1);
    assert_int_equal(next, 25);
    shmseq_sink_close(&kb);
}

/* Two fleet ends starting together on a new database: both see it
 * missing, one claims the stream, the other is refused and closes before
 * it began -- and must leave the database alone: it is the first one's. */
static void test_refused_sink_keeps_a_shared_new_database(void **state)
{
    shmseq_log_header h;
    uint64_t next = 0;

    (void)state;
    snprintf(db, sizeof db, "/tmp/shmseq-fleet-sink2-%ld.db", (long)getpid());
    header(&h);
    open_node(&ka, "board-a");
    open_node(&kb, "board-a");
    assert_int_equal(shmseq_sink_resume(&ka, &h, &next), 0);
    assert_int_equal(shmseq_sink_resume(&kb, &h, &next), -EBUSY);
    shmseq_sink_close(&kb);
    assert_int_equal(access(db, F_OK), 0);
    assert_int_equal(shmseq_sink_begin(&ka, &h, 0), 0);
    store(&ka, 0, 7);
    assert_int_equal(shmseq_sink_close(&ka), 0);
    assert_int_equal(ka.written, 7);
    open_node(&ka, "board-a");
    assert_int_equal(shmseq_sink_resume(&ka, &h, &next), 1);
    assert_int_equal(next, 7);
    shmseq_sink_close(&ka);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_same_region_name_two_nodes, teardown),
        cmocka_unit_test_teardown(test_refused_sink_keeps_a_shared_new_database,
                                  teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
