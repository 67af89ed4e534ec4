/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the sink wrapper and the file sinks (sink/sink.c,
 * sink/file.c) through the public ops-table API: unknown sinks and
 * settings a sink cannot honour are refused at open with a reason; a CSV
 * file holds exactly the writer's rows; an existing target is refused
 * without force; a sink closed before begin leaves no file; rotation
 * splits a binary log into segments that each scan clean and continue
 * each other; --force replaces a file (or a symbolic link, never its
 * target) by rename at begin and leaves it untouched if the run never
 * begins; a FIFO and /dev/null are written as they are, never synced; the
 * record-count sync policy leaves nothing pending; and a
 * write error (ENOSPC from /dev/full) is sticky and counts every record
 * given, then and later, as lost: given == written + lost_io.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shmseq/sink.h>

static char dir[64];
static char path[128];
static shmseq_sink k;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/shmseq-sink-%ld", (long)getpid());
    if (mkdir(dir, 0700) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/out", dir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[160];

    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_header(shmseq_log_header *h, uint32_t width)
{
    memset(h, 0, sizeof *h);
    h->width = width;
    h->capacity = 64;
    h->epoch = 1;
    h->head = 10;
    snprintf(h->name, sizeof h->name, "unit");
}

static void make_record(shmseq_log_record *r, uint64_t seq, uint32_t width)
{
    uint32_t c;

    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->timestamp_ns = 1000u * seq;
    r->epoch = 1;
    r->width = width;
    for (c = 0; c < width; c++)
        r->values[c] = (double)seq + 0.25 * c;
}

static size_t slurp(const char *p, char *buf, size_t cap)
{
    FILE *f = fopen(p, "rb");
    size_t n;

    assert_non_null(f);
    n = fread(buf, 1, cap - 1, f);
    buf[n] = '\0';
    fclose(f);
    return n;
}

static void test_open_refusals(void **state)
{
    shmseq_sink_config cfg = {.target = "-"};

    (void)state;
    assert_int_equal(shmseq_sink_open(&k, "nosuch", &cfg), -ENOENT);
    assert_non_null(strstr(k.why, "nosuch"));
    assert_int_equal(shmseq_sink_open(&k, "bin", &cfg), -EINVAL);
    assert_non_null(strstr(k.why, "needs a file"));
    cfg.max_bytes = 100;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EINVAL);
    cfg.max_bytes = 0;
    cfg.params = "x=1";
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EINVAL);
    assert_null(k.ops);
    assert_non_null(shmseq_sink_find("csv"));
    assert_non_null(shmseq_sink_find("bin"));
    assert_null(shmseq_sink_at(100));
}

static void test_csv_file(void **state)
{
    shmseq_sink_config cfg = {.target = path};
    shmseq_log_header h;
    shmseq_log_record r[3];
    char want[1024], got[1024];
    size_t off, n;
    int i;

    (void)state;
    unlink(path);
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    assert_string_equal(k.where, path);
    assert_int_equal(k.durable, 1);
    make_header(&h, 2);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    off = shmseq_log_csv_header(want, sizeof want, 2);
    for (i = 0; i < 3; i++) {
        make_record(&r[i], 10u + (unsigned)i, 2);
        off += shmseq_log_csv_row(want + off, sizeof want - off, &r[i]);
    }
    assert_int_equal(shmseq_sink_write(&k, r, 3, 0), 0);
    assert_int_equal(shmseq_sink_pending(&k), 3);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_null(k.ops);
    assert_int_equal(k.written, 3);
    assert_int_equal(k.lost_io, 0);
    assert_int_equal(shmseq_sink_pending(&k), 0);
    n = slurp(path, got, sizeof got);
    assert_int_equal(n, off);
    assert_int_equal(k.bytes, off);
    assert_string_equal(got, want);

    /* The file exists now: refused without force, untouched. */
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EEXIST);
    assert_non_null(strstr(k.why, "exists"));
    assert_int_equal(slurp(path, got, sizeof got), off);
    cfg.force = 1;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
}

static void test_close_before_begin(void **state)
{
    shmseq_sink_config cfg = {.target = path};

    (void)state;
    unlink(path);
    assert_int_equal(shmseq_sink_open(&k, "bin", &cfg), 0);
    assert_int_equal(access(path, F_OK), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(access(path, F_OK), -1);
    assert_int_equal(shmseq_sink_close(&k), 0); /* twice is fine */
}

/* --force: the new file is made under a temporary name and renamed over
 * the old one at begin; a run that never begins leaves the old one as it
 * was; a symbolic link is replaced, its target never written. */
static void test_force_replaces_by_rename(void **state)
{
    shmseq_sink_config cfg = {.target = path, .force = 1};
    shmseq_log_header h;
    shmseq_log_record r;
    char got[256], target[160];
    FILE *f;

    (void)state;
    unlink(path);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("old\n", f);
    fclose(f);
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    assert_int_equal(shmseq_sink_close(&k), 0); /* never began */
    slurp(path, got, sizeof got);
    assert_string_equal(got, "old\n");
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "old\n"); /* not truncated at open */
    make_header(&h, 1);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r, 10, 1);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "seq,timestamp_ns,epoch,v0\n10,10000,1,10\n");

    /* A symbolic link: refused without force, replaced with it. */
    snprintf(target, sizeof target, "%s/target", dir);
    f = fopen(target, "w");
    assert_non_null(f);
    fputs("keep\n", f);
    fclose(f);
    unlink(path);
    assert_int_equal(symlink(target, path), 0);
    cfg.force = 0;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EEXIST);
    cfg.force = 1;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    slurp(target, got, sizeof got);
    assert_string_equal(got, "keep\n");

    /* A directory: what is wrong is said with or without force (not
     * "exists", which --force would not help). */
    cfg.target = dir;
    cfg.force = 0;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EISDIR);
    assert_null(strstr(k.why, "exists"));
    cfg.force = 1;
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EISDIR);
    slurp(path, got, sizeof got);
    assert_string_equal(got, "seq,timestamp_ns,epoch,v0\n");
}

/* An existing FIFO or character device is written as it is: no "exists"
 * refusal, nothing to sync, no rotation. */
static void test_fifo_and_device(void **state)
{
    shmseq_sink_config cfg = {.target = path};
    shmseq_log_header h;
    shmseq_log_record r;
    char got[256];
    ssize_t n;
    int rd;

    (void)state;
    unlink(path);
    assert_int_equal(mkfifo(path, 0600), 0);
    /* A reader first, so the sink's open does not wait for one. */
    rd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    assert_string_equal(k.kind, "FIFO");
    assert_int_equal(k.durable, 0);
    make_header(&h, 1);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    make_record(&r, 10, 1);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(k.written, 1);
    n = read(rd, got, sizeof got - 1);
    close(rd);
    assert_true(n > 0);
    got[n] = '\0';
    assert_string_equal(got, "seq,timestamp_ns,epoch,v0\n10,10000,1,10\n");
    assert_int_equal(access(path, F_OK), 0); /* never removed */
    cfg.max_bytes = 1000;
    rd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), -EINVAL);
    assert_non_null(strstr(k.why, "rotation needs a regular file"));
    close(rd);
    unlink(path);

    cfg.target = "/dev/null";
    cfg.max_bytes = 0;
    assert_int_equal(shmseq_sink_open(&k, "bin", &cfg), 0);
    assert_string_equal(k.kind, "character device");
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
    assert_int_equal(shmseq_sink_sync(&k, 0), 0); /* no fsync: no EINVAL */
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(k.written, 1);
    assert_int_equal(k.lost_io, 0);
}

static void test_bin_rotation(void **state)
{
    const uint32_t w = 2, per_file = 3, total = 10;
    shmseq_sink_config cfg = {.target = path, .sync_records = 2};
    shmseq_log_header h;
    shmseq_log_record r;
    shmseq_log_scan s;
    char seg[160];
    uint32_t i, files;

    (void)state;
    unlink(path);
    cfg.max_bytes = SHMSEQ_LOG_HEADER_SIZE + per_file * SHMSEQ_LOG_RECORD_SIZE(w);
    assert_int_equal(shmseq_sink_open(&k, "bin", &cfg), 0);
    make_header(&h, w);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    for (i = 0; i < total; i++) {
        make_record(&r, 10u + i, w);
        assert_int_equal(shmseq_sink_write(&k, &r, 1, 0), 0);
        /* sync every 2 records: never more than one pending */
        assert_true(shmseq_sink_pending(&k) + k.unsynced < 2);
    }
    assert_int_equal(shmseq_sink_close(&k), 0);
    assert_int_equal(k.written, total);
    files = (total + per_file - 1) / per_file;
    assert_int_equal(k.outputs, files);
    memset(&s, 0, sizeof s);
    for (i = 0; i < files; i++) {
        FILE *f;

        if (i == 0)
            snprintf(seg, sizeof seg, "%s", path);
        else
            snprintf(seg, sizeof seg, "%s.%06u", path, (unsigned)i);
        f = fopen(seg, "rb");
        assert_non_null(f);
        assert_int_equal(shmseq_log_scan_file(f, &s, NULL, NULL), 0);
        fclose(f);
        assert_int_equal(s.header.segment, i);
        assert_int_equal(s.header.head, 10u + per_file * i);
        assert_int_equal(s.first_seq, 10u + per_file * i);
        assert_int_equal(s.skips + s.gaps + s.torn_bytes, 0);
        assert_int_equal(s.records, i + 1 < files ? per_file
                                                  : total - per_file * i);
    }
}

static void test_write_error_is_sticky(void **state)
{
    shmseq_sink_config cfg = {.target = "/dev/full", .force = 1};
    shmseq_log_header h;
    shmseq_log_record r[4];
    int i;

    (void)state;
    if (access("/dev/full", W_OK) != 0)
        skip();
    assert_int_equal(shmseq_sink_open(&k, "csv", &cfg), 0);
    make_header(&h, 1);
    assert_int_equal(shmseq_sink_begin(&k, &h, 0), 0);
    for (i = 0; i < 4; i++)
        make_record(&r[i], (unsigned)i, 1);
    assert_int_equal(shmseq_sink_write(&k, r, 4, 0), 0);
    assert_int_equal(shmseq_sink_flush(&k), -ENOSPC);
    assert_int_equal(k.error, -ENOSPC);
    assert_non_null(strstr(k.why, "writing '/dev/full' failed"));
    assert_int_equal(k.lost_io, 4);
    assert_int_equal(shmseq_sink_write(&k, r, 2, 0), -ENOSPC);
    assert_int_equal(k.lost_io, 6);
    assert_int_equal(shmseq_sink_close(&k), -ENOSPC);
    assert_int_equal(k.given, k.written + k.lost_io);
    assert_int_equal(k.written, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test(test_csv_file),
        cmocka_unit_test(test_close_before_begin),
        cmocka_unit_test(test_force_replaces_by_rename),
        cmocka_unit_test(test_fifo_and_device),
        cmocka_unit_test(test_bin_rotation),
        cmocka_unit_test(test_write_error_is_sticky),
    };

    return cmocka_run_group_tests_name("sink", tests, setup, teardown);
}
