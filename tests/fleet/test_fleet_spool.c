/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the board's spool (tools/mqtt/spool.c): records come back
 * in order, cut into batches at a gap and at a new epoch; every segment is
 * a log the logger's scanner reads clean; an acknowledgement removes only
 * wholly acknowledged segments; the bound drops the oldest segments and
 * counts every record dropped; a rewind lands on the exact record; a
 * reopened spool (a killed bridge) holds every record, its torn tail cut
 * to the last whole record; a segment of another region is refused; a
 * record damaged on disk is skipped and the gap it leaves is said.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define W 2

static char dir[96];
static shmseq_log_header hdr;
static spool sp;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/shmseq-spool-%ld/imu-1", (long)getpid());
    memset(&hdr, 0, sizeof hdr);
    hdr.width = W;
    hdr.epoch = 1;
    hdr.created_realtime_ns = 1;
    snprintf(hdr.name, sizeof hdr.name, "imu");
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    spool_close(&sp);
    snprintf(cmd, sizeof cmd, "rm -rf /tmp/shmseq-spool-%ld", (long)getpid());
    return system(cmd) == 0 ? 0 : -1;
}

static void rec(shmseq_log_record *r, uint64_t seq, uint64_t lost,
                uint32_t epoch)
{
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->timestamp_ns = seq * 1000u;
    r->lost_before = lost;
    r->epoch = epoch;
    r->width = W;
    r->values[0] = (double)seq;
    r->values[1] = -(double)seq;
}

/* Append seq from..to (inclusive) one record at a time. */
static void fill(uint64_t from, uint64_t to, uint32_t epoch)
{
    shmseq_log_record r;

    for (uint64_t s = from; s <= to; s++) {
        rec(&r, s, 0, epoch);
        assert_int_equal(spool_append(&sp, &r, 1), 0);
    }
}

static int scan_cb(void *ctx, const shmseq_log_scan *s,
                   const shmseq_log_record *r)
{
    if (s->event != SHMSEQ_LOG_EV_RECORD)
        return 0;
    assert_true(r->values[0] == (double)r->seq);
    (*(uint64_t *)ctx)++;
    return 0;
}

/* Every segment file scans clean; returns the records in all of them. */
static uint64_t scan_all(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    uint64_t total = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL) {
        char p[512];
        shmseq_log_scan sc;
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        f = fopen(p, "rb");
        assert_non_null(f);
        memset(&sc, 0, sizeof sc);
        assert_int_equal(shmseq_log_scan_file(f, &sc, scan_cb, &total), 0);
        assert_int_equal(sc.skipped_bytes, 0);
        assert_int_equal(sc.torn_bytes, 0);
        fclose(f);
    }
    closedir(d);
    return total;
}

static void test_batches_in_order(void **state)
{
    shmseq_log_record r[64], g;

    (void)state;
    assert_int_equal(spool_open(&sp, dir, &hdr, 1u << 20), 0);
    assert_true(spool_empty(&sp));
    fill(0, 9, 1);
    rec(&g, 15, 5, 1); /* an overrun of 5 before 15 */
    assert_int_equal(spool_append(&sp, &g, 1), 0);
    fill(16, 19, 1);
    fill(20, 24, 2);   /* a new writer epoch */
    assert_int_equal(spool_first(&sp), 0);
    assert_int_equal(spool_last(&sp), 24);
    assert_int_equal(spool_read(&sp, r, 64), 10);
    assert_int_equal(r[9].seq, 9);
    assert_int_equal(spool_read(&sp, r, 3), 3);
    assert_int_equal(r[0].seq, 15);
    assert_int_equal(r[0].lost_before, 5);
    assert_int_equal(spool_read(&sp, r, 64), 2);
    assert_int_equal(r[1].seq, 19);
    assert_int_equal(spool_read(&sp, r, 64), 5);
    assert_int_equal(r[0].seq, 20);
    assert_int_equal(r[0].epoch, 2);
    assert_int_equal(spool_read(&sp, r, 64), 0);
    assert_true(spool_at_end(&sp));
    /* rewind lands on the exact record, also inside a gap */
    assert_int_equal(spool_rewind(&sp, 7), 0);
    assert_int_equal(spool_read(&sp, r, 64), 3);
    assert_int_equal(r[0].seq, 7);
    assert_int_equal(spool_rewind(&sp, 12), 0);
    assert_int_equal(spool_read(&sp, r, 1), 1);
    assert_int_equal(r[0].seq, 15);
    assert_int_equal(scan_all(), 20);
}

static void test_ack_and_overflow(void **state)
{
    shmseq_log_record r[8];
    uint64_t per_seg, held;

    (void)state;
    /* 256 KiB bound: 64 KiB segments of (64 KiB - 160) / 48 records */
    assert_int_equal(spool_open(&sp, dir, &hdr, 256u * 1024u), 0);
    per_seg = (64u * 1024u - SHMSEQ_LOG_HEADER_SIZE) / SHMSEQ_LOG_RECORD_SIZE(W);
    fill(0, 3 * per_seg - 1, 1);
    assert_int_equal(sp.nseg, 3);
    /* acknowledged up to the middle of segment 1: only segment 0 goes */
    assert_int_equal(spool_ack(&sp, per_seg + 5), 0);
    assert_int_equal(sp.nseg, 2);
    assert_int_equal(spool_first(&sp), per_seg);
    assert_int_equal(sp.dropped, 0);
    /* beyond the bound: the oldest segments go, counted */
    fill(3 * per_seg, 8 * per_seg - 1, 1);
    assert_true(sp.bytes <= 256u * 1024u);
    held = spool_last(&sp) + 1 - spool_first(&sp);
    assert_int_equal(spool_last(&sp), 8 * per_seg - 1);
    assert_int_equal(sp.dropped + held, 8 * per_seg - per_seg);
    assert_true(sp.drop_pending);
    assert_int_equal(sp.dropped_from, per_seg);
    assert_int_equal(scan_all(), held);
    /* the cursor was in a dropped segment: it now reads the oldest held */
    assert_int_equal(spool_read(&sp, r, 8), 8);
    assert_int_equal(r[0].seq, spool_first(&sp));
}

static void test_reopen_after_kill(void **state)
{
    shmseq_log_record r[4];
    char p[512];
    int fd;
    shmseq_log_header other = hdr;

    (void)state;
    assert_int_equal(spool_open(&sp, dir, &hdr, 1u << 20), 0);
    fill(100, 199, 1);
    spool_close(&sp);
    /* a torn tail: half a record at the end of the segment */
    snprintf(p, sizeof p, "%s/%020d.log", dir, 100);
    fd = open(p, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "0123456789", 10), 10);
    close(fd);
    assert_int_equal(spool_open(&sp, dir, &hdr, 1u << 20), 0);
    assert_int_equal(sp.recovered, 100);
    assert_int_equal(sp.torn_bytes, 10);
    assert_int_equal(spool_first(&sp), 100);
    assert_int_equal(spool_last(&sp), 199);
    fill(200, 201, 1);
    assert_int_equal(spool_rewind(&sp, 198), 0);
    assert_int_equal(spool_read(&sp, r, 4), 4);
    assert_int_equal(r[3].seq, 201);
    assert_int_equal(scan_all(), 102);
    spool_close(&sp);
    /* a segment of another region instance is refused, with a reason */
    other.created_realtime_ns = 2;
    assert_int_equal(spool_open(&sp, dir, &other, 1u << 20), -EINVAL);
    assert_non_null(strstr(sp.why, "another region"));
}

/* A record damaged on the spool's disk is skipped, and the batch after it
 * says how many samples are gone there (the fleet end records the gap
 * instead of waiting for a resend that cannot come). */
static void test_damaged_record(void **state)
{
    shmseq_log_record r[16];
    char p[512];
    unsigned char b = 0;
    int fd;

    (void)state;
    assert_int_equal(spool_open(&sp, dir, &hdr, 1u << 20), 0);
    fill(0, 9, 1);
    snprintf(p, sizeof p, "%s/%020d.log", dir, 0);
    fd = open(p, O_RDWR);
    assert_true(fd >= 0);
    off_t at = (off_t)(SHMSEQ_LOG_HEADER_SIZE + 5u * SHMSEQ_LOG_RECORD_SIZE(W) + 20u);
    assert_int_equal(pread(fd, &b, 1, at), 1);
    b ^= 0x10;
    assert_int_equal(pwrite(fd, &b, 1, at), 1);
    close(fd);
    assert_int_equal(spool_read(&sp, r, 16), 5);
    assert_int_equal(sp.damage_gap, 0);
    assert_int_equal(spool_read(&sp, r, 16), 4);
    assert_int_equal(r[0].seq, 6);
    assert_int_equal(sp.damaged, 1);
    assert_int_equal(sp.damage_gap, 1);
    /* a resend from the damaged record itself says the same */
    assert_int_equal(spool_rewind(&sp, 5), 0);
    assert_int_equal(spool_read(&sp, r, 16), 4);
    assert_int_equal(r[0].seq, 6);
    assert_int_equal(sp.damage_gap, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batches_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ack_and_overflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_after_kill, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_record, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
