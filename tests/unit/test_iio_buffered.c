/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the iio driver's buffered mode on a fake device: a fake
 * sysfs tree (scan_elements, buffer/, current_timestamp_clock) and a FIFO
 * standing in for /dev/iio:deviceN, which the test fills with scans it
 * encodes itself. The encoder here is independent of the driver's decoder
 * (iio_scan.c): it places each raw value at its hand-computed offset with
 * the bits outside the value filled with noise, so a decoder that forgot a
 * shift, a mask, a sign extension or the byte order reads a wrong value.
 * Covered: signed and unsigned; 8, 12, 16, 24, 32 and 64 bits; shifts;
 * both byte orders; a repeat count; with and without the timestamp; scans
 * split across read() calls; lost scans told by the timestamps; open
 * enabling exactly the chosen channels and close restoring everything;
 * a trigger selected or an hrtimer trigger made through configfs;
 * no allocation in a read (the malloc family counted, plain builds).
 */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <shmseq/bsp.h>

#include "fake_sysfs.h"
#include "shmseq_count_malloc.h"
#include "../../bsp/drivers/iio_scan.h"

#define DEV "bus/iio/devices/iio:device0/"
#define SCAN DEV "scan_elements/"

/* One channel of the fake device: its files and where its values sit. */
typedef struct fch {
    const char *name;  /* "in_voltage0" */
    const char *type;  /* its _type text */
    unsigned index;    /* _index */
    unsigned offset;   /* byte offset in the scan, computed by hand */
    unsigned bytes, bits, shift, is_signed, be, repeat;
    const char *scale, *off; /* _scale/_offset text, NULL: none */
    double scale_v, off_v;
} fch;

/* Eight channels in every format; offsets as the kernel lays them out
 * when all are enabled: each aligned to its own storage size. */
static const fch dev_a[] = {
    {"in_voltage0", "le:s12/16>>4", 0, 0, 2, 12, 4, 1, 0, 1, "0.5", "100", 0.5, 100},
    {"in_voltage1", "be:u16/16>>0", 1, 2, 2, 16, 0, 0, 1, 1, "0.25", NULL, 0.25, 0},
    {"in_accel_x", "le:s8/8>>0", 2, 4, 1, 8, 0, 1, 0, 1, "0.0390625", NULL, 0.0390625, 0},
    {"in_temp0", "be:s24/32>>8", 3, 8, 4, 24, 8, 1, 1, 1, "0.001", "-7", 0.001, -7},
    {"in_voltage2", "le:u32/32>>0", 4, 12, 4, 32, 0, 0, 0, 1, NULL, NULL, 1, 0},
    {"in_voltage3", "le:s64/64>>0", 5, 16, 8, 64, 0, 1, 0, 1, "2", NULL, 2, 0},
    {"in_voltage4", "be:u12/16>>2", 6, 24, 2, 12, 2, 0, 1, 1, "3", "1", 3, 1},
    {"in_voltage5", "be:u8/8>>0", 7, 26, 1, 8, 0, 0, 1, 1, NULL, "-1", 1, -1},
};
#define DEV_A_TS_OFFSET 32u /* after 27 bytes, aligned to 8 */
#define DEV_A_SCAN 40u

/* A repeat count (a quaternion) and one more: no timestamp. */
static const fch dev_b[] = {
    {"in_rot_quaternion", "le:s16/16X4>>0", 0, 0, 2, 16, 0, 1, 0, 4, "0.5", NULL, 0.5, 0},
    {"in_voltage0", "be:s29/32>>3", 1, 8, 4, 29, 3, 1, 1, 1, NULL, NULL, 1, 0},
    {"in_voltage1", "le:u64/64>>0", 2, 16, 8, 64, 0, 0, 0, 1, NULL, NULL, 1, 0},
};
#define DEV_B_SCAN 24u

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fake_channels(const fch *ch, size_t n)
{
    char path[256], text[64];
    size_t i;

    for (i = 0; i < n; i++) {
        snprintf(path, sizeof path, SCAN "%s_type", ch[i].name);
        snprintf(text, sizeof text, "%s\n", ch[i].type);
        fake_write(path, text);
        snprintf(path, sizeof path, SCAN "%s_index", ch[i].name);
        snprintf(text, sizeof text, "%u\n", ch[i].index);
        fake_write(path, text);
        snprintf(path, sizeof path, SCAN "%s_en", ch[i].name);
        fake_write(path, "0\n");
        if (ch[i].scale != NULL) {
            snprintf(path, sizeof path, DEV "%s_scale", ch[i].name);
            snprintf(text, sizeof text, "%s\n", ch[i].scale);
            fake_write(path, text);
        }
        if (ch[i].off != NULL) {
            snprintf(path, sizeof path, DEV "%s_offset", ch[i].name);
            snprintf(text, sizeof text, "%s\n", ch[i].off);
            fake_write(path, text);
        }
    }
}

static int fifo = -1;

static int setup(void **state)
{
    char path[FAKE_PATH_MAX];

    (void)state;
    fake_make_root();
    fake_write(DEV "name", "fake-adc\n");
    fake_write(DEV "buffer/enable", "0\n");
    fake_write(DEV "buffer/length", "2\n");
    fake_write(DEV "buffer/watermark", "1\n");
    fake_write(DEV "current_timestamp_clock", "realtime\n");
    fake_write(DEV "sampling_frequency", "1000\n");
    fake_write(SCAN "in_timestamp_type", "le:s64/64>>0\n");
    fake_write(SCAN "in_timestamp_index", "8\n");
    fake_write(SCAN "in_timestamp_en", "0\n");
    /* Someone else left a channel on: open turns it off, close back on. */
    fake_write(SCAN "in_other0_type", "le:u16/16>>0\n");
    fake_write(SCAN "in_other0_index", "9\n");
    fake_write(SCAN "in_other0_en", "1\n");
    fake_path(path, sizeof path, "dev/iio:device0");
    fake_mkparents(path);
    if (mkfifo(path, 0600) < 0) {
        perror(path);
        abort();
    }
    /* Read-write: the FIFO never sees its writer go. */
    fifo = open(path, O_RDWR | O_CLOEXEC);
    if (fifo < 0)
        abort();
    return 0;
}

static int teardown(void **state)
{
    if (fifo >= 0)
        (void)close(fifo);
    fifo = -1;
    return fake_teardown(state);
}

static void put(const void *p, size_t n)
{
    assert_int_equal(write(fifo, p, n), (ssize_t)n);
}

static int open_buffered(shmseq_sensor *s, const char *extra, uint32_t width)
{
    char params[FAKE_PATH_MAX / 2];
    int n = snprintf(params, sizeof params,
                     "mode=buffered,devdir=%s/dev,device=fake-adc,"
                     "timeout_ms=50%s%s",
                     fake_root, extra[0] != '\0' ? "," : "", extra);

    if (n < 0 || (size_t)n >= sizeof params)
        abort(); /* a test path that long is a bug in the test */
    return fake_sensor_open(s, "iio", params, width, 1000);
}

/* The first line of a fake attribute. The driver rewrites attributes in
 * place (as sysfs wants), so a shorter value leaves the old tail behind
 * its newline in a plain file; sysfs itself keeps only what was written. */
static void expect_file(const char *rel, const char *want)
{
    char path[FAKE_PATH_MAX], text[64];
    FILE *f;
    size_t n;

    fake_path(path, sizeof path, rel);
    f = fopen(path, "r");
    assert_non_null(f);
    n = fread(text, 1, sizeof text - 1, f);
    (void)fclose(f);
    text[n] = '\0';
    text[strcspn(text, "\n")] = '\0';
    if (strcmp(text, want) != 0)
        fail_msg("%s holds '%s', want '%s'", rel, text, want);
}

static void put_le64(unsigned char *p, int64_t v)
{
    unsigned i;

    for (i = 0; i < 8; i++)
        p[i] = (unsigned char)((uint64_t)v >> (8 * i));
}

/* A random raw value that fits channel c, and its bits in the scan at
 * the channel's offset (repeat k), the bits outside it random. */
static int64_t encode(unsigned char *scan, const fch *c, unsigned k)
{
    uint64_t mask = c->bits == 64 ? ~(uint64_t)0 : ((uint64_t)1 << c->bits) - 1;
    uint64_t stor = c->bytes == 8 ? ~(uint64_t)0
                                  : ((uint64_t)1 << (8 * c->bytes)) - 1;
    uint64_t r = next_random(), field;
    int64_t raw;
    unsigned i;

    if (c->is_signed) {
        /* sign-extend the low `bits` bits */
        uint64_t v = r & mask;

        if (c->bits < 64 && (v >> (c->bits - 1)) != 0)
            v |= ~mask;
        raw = (int64_t)v;
    } else {
        raw = (int64_t)(r & mask);
    }
    field = (((uint64_t)raw & mask) << c->shift) |
            (next_random() & stor & ~(mask << c->shift));
    for (i = 0; i < c->bytes; i++) {
        unsigned shift = c->be ? 8 * (c->bytes - 1 - i) : 8 * i;

        scan[c->offset + k * c->bytes + i] = (unsigned char)(field >> shift);
    }
    return raw;
}

/* What the driver must publish for a raw value: (raw + offset) * scale,
 * with the raw as a double the way C converts it. */
static double expected(const fch *c, int64_t raw)
{
    double r = c->is_signed ? (double)raw : (double)(uint64_t)raw;

    return (r + c->off_v) * c->scale_v;
}

static void test_every_format_bit_exact(void **state)
{
    /* The user's order differs from the scan order on purpose. */
    static const unsigned order[8] = {4, 0, 7, 2, 1, 6, 3, 5};
    shmseq_sensor s;
    char chans[256] = "";
    unsigned char scan[DEV_A_SCAN];
    double want[8], v[8];
    unsigned i, k;
    int64_t ts = 1000000000;
    int rc;

    (void)state;
    fake_channels(dev_a, 8);
    for (i = 0; i < 8; i++) {
        strcat(chans, i ? ":" : "channels=");
        strcat(chans, dev_a[order[i]].name);
    }
    assert_int_equal(open_buffered(&s, chans, 8), 0);
    assert_true(s.paced);
    for (k = 0; k < 200; k++) {
        memset(scan, 0xa5, sizeof scan); /* padding is noise too */
        for (i = 0; i < 8; i++)
            want[i] = expected(&dev_a[order[i]],
                               encode(scan, &dev_a[order[i]], 0));
        ts += 1000000;
        put_le64(scan + DEV_A_TS_OFFSET, ts);
        put(scan, sizeof scan);
        atomic_store(&counting, 1);
        rc = shmseq_sensor_read(&s, k, 0, v, 8);
        atomic_store(&counting, 0);
        assert_int_equal(rc, 0);
        for (i = 0; i < 8; i++)
            if (memcmp(&v[i], &want[i], sizeof v[i]) != 0)
                fail_msg("scan %u, %s (%s): got %.17g, want %.17g", k,
                         dev_a[order[i]].name, dev_a[order[i]].type, v[i],
                         want[i]);
        assert_true(s.sample_ns == (uint64_t)ts);
    }
    assert_true(s.overruns == 0);
    assert_int_equal(atomic_load(&allocs), 0);
    shmseq_sensor_close(&s);
}

static void test_repeat_without_timestamp(void **state)
{
    shmseq_sensor s;
    unsigned char scan[DEV_B_SCAN];
    double want[6], v[6];
    unsigned i, k;

    (void)state;
    fake_channels(dev_b, 3);
    if (open_buffered(&s, "timestamp=0,channels=in_rot_quaternion:"
                          "in_voltage0:in_voltage1", 6) != 0)
        fail_msg("open: %s", s.why);
    expect_file(SCAN "in_timestamp_en", "0");
    for (k = 0; k < 100; k++) {
        memset(scan, 0x5a, sizeof scan);
        for (i = 0; i < 4; i++)
            want[i] = expected(&dev_b[0], encode(scan, &dev_b[0], i));
        want[4] = expected(&dev_b[1], encode(scan, &dev_b[1], 0));
        want[5] = expected(&dev_b[2], encode(scan, &dev_b[2], 0));
        put(scan, sizeof scan);
        assert_int_equal(shmseq_sensor_read(&s, k, 0, v, 6), 0);
        assert_memory_equal(v, want, sizeof want);
        assert_true(s.sample_ns == 0);
    }
    shmseq_sensor_close(&s);
    /* The width counts repeat values: 3 channels but 6 values. */
    assert_int_equal(
        open_buffered(&s, "timestamp=0,channels=in_rot_quaternion:in_voltage0:"
                          "in_voltage1", 3), -EINVAL);
    assert_non_null(strstr(s.why, "width"));
}

/* The layout alone, on the kernel's rules: each element aligned to its
 * own size (storage x repeat), the whole to the largest. */
static void test_layout_rules(void **state)
{
    shmseq__iio_elem e[4];
    int size;

    (void)state;
    assert_int_equal(shmseq__iio_parse_type("le:s12/16>>4", &e[0]), 0);
    assert_int_equal(shmseq__iio_parse_type("be:u8/8>>0", &e[1]), 0);
    assert_int_equal(shmseq__iio_parse_type("le:s16/16X2>>0", &e[2]), 0);
    assert_int_equal(shmseq__iio_parse_type("le:s64/64>>0", &e[3]), 0);
    size = shmseq__iio_layout(e, 4);
    assert_int_equal(e[0].offset, 0);
    assert_int_equal(e[1].offset, 2);
    assert_int_equal(e[2].offset, 4);
    assert_int_equal(e[3].offset, 8);
    assert_int_equal(size, 16);
    assert_int_equal(shmseq__iio_layout(e, 2), 4); /* 3 bytes -> 2-aligned */
    /* What the parser refuses. */
    assert_int_equal(shmseq__iio_parse_type("xe:s12/16>>4", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s17/16>>0", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s12/16>>5", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s12/12>>0", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s12/16X0>>0", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:q12/16>>0", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s12/16>>4x", &e[0]), -EINVAL);
    assert_int_equal(shmseq__iio_parse_type("le:s12/16>>4\n", &e[0]), 0);
}

static void test_split_scans_reassembled(void **state)
{
    shmseq_sensor s;
    unsigned char scans[3 * DEV_A_SCAN];
    double want[3][2], v[2];
    int64_t ts;
    unsigned k;

    (void)state;
    fake_channels(dev_a, 8);
    assert_int_equal(open_buffered(&s, "channels=in_temp0:in_voltage3", 2), 0);
    /* in_temp0 (be:s24/32>>8) at 0, in_voltage3 (le:s64) at 8, the
     * timestamp at 16: 24-byte scans. */
    memset(scans, 0, sizeof scans);
    for (k = 0; k < 3; k++) {
        fch t = dev_a[3], w = dev_a[5];

        t.offset = 0;
        w.offset = 8;
        want[k][0] = expected(&t, encode(scans + 24 * k, &t, 0));
        want[k][1] = expected(&w, encode(scans + 24 * k, &w, 0));
        ts = 5000000 + 1000000 * (int64_t)k;
        put_le64(scans + 24 * k + 16, ts);
    }
    /* 5 bytes, then nothing: the read waits its timeout and says so.
     * Every read here, the poll and the joining included, is counted. */
    atomic_store(&counting, 1);
    put(scans, 5);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 2), -EAGAIN);
    assert_true(s.errors == 0);
    /* The rest of scan 0 and half of scan 1. */
    put(scans + 5, 31);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 2), 0);
    assert_memory_equal(v, want[0], sizeof v);
    assert_int_equal(shmseq_sensor_read(&s, 1, 0, v, 2), -EAGAIN);
    put(scans + 36, 36);
    assert_int_equal(shmseq_sensor_read(&s, 1, 0, v, 2), 0);
    assert_memory_equal(v, want[1], sizeof v);
    assert_int_equal(shmseq_sensor_read(&s, 2, 0, v, 2), 0);
    assert_memory_equal(v, want[2], sizeof v);
    assert_true(s.sample_ns == 7000000u);
    atomic_store(&counting, 0);
    assert_int_equal(atomic_load(&allocs), 0);
    shmseq_sensor_close(&s);
}

static void test_lost_scans_from_timestamps(void **state)
{
    static const int64_t stamps[] = {1000000, 2000000, 5000000, 6000000,
                                     6900000, 8100000, 18000000};
    shmseq_sensor s;
    unsigned char scan[16] = {0};
    double v[1];
    size_t i;

    (void)state;
    fake_channels(dev_a, 8);
    assert_int_equal(open_buffered(&s, "channels=in_voltage2", 1), 0);
    /* in_voltage2 (le:u32) at 0, the timestamp at 8. */
    for (i = 0; i < sizeof stamps / sizeof stamps[0]; i++) {
        put_le64(scan + 8, stamps[i]);
        put(scan, sizeof scan);
        assert_int_equal(shmseq_sensor_read(&s, i, 0, v, 1), 0);
    }
    /* 1 ms apart at sampling_frequency 1000: 2->5 lost 2, 6->6.9 and
     * 6.9->8.1 are jitter (0 lost), 8.1->18 (~10 periods) lost 9. */
    assert_true(s.overruns == 11);
    shmseq_sensor_close(&s);
}

static void test_open_sets_and_close_restores(void **state)
{
    shmseq_sensor s;

    (void)state;
    fake_channels(dev_a, 8);
    assert_int_equal(
        open_buffered(&s, "channels=in_voltage1:in_accel_x,length=64,"
                          "watermark=8", 2), 0);
    expect_file(DEV "buffer/enable", "1");
    expect_file(DEV "buffer/length", "64");
    expect_file(DEV "buffer/watermark", "8");
    expect_file(DEV "current_timestamp_clock", "monotonic");
    expect_file(SCAN "in_voltage1_en", "1");
    expect_file(SCAN "in_accel_x_en", "1");
    expect_file(SCAN "in_timestamp_en", "1");
    expect_file(SCAN "in_voltage0_en", "0");
    expect_file(SCAN "in_other0_en", "0");
    shmseq_sensor_close(&s);
    expect_file(DEV "buffer/enable", "0");
    expect_file(DEV "buffer/length", "2");
    expect_file(DEV "buffer/watermark", "1");
    expect_file(DEV "current_timestamp_clock", "realtime");
    expect_file(SCAN "in_voltage1_en", "0");
    expect_file(SCAN "in_accel_x_en", "0");
    expect_file(SCAN "in_timestamp_en", "0");
    expect_file(SCAN "in_other0_en", "1");
    {
        int without;

        assert_int_equal(fake_open_fds(&without), 1); /* the test's FIFO */
    }
}

static void test_trigger_selected_and_restored(void **state)
{
    shmseq_sensor s;

    (void)state;
    fake_channels(dev_a, 8);
    fake_write(DEV "trigger/current_trigger", "\n");
    assert_int_equal(
        open_buffered(&s, "channels=in_voltage1,trigger=timer7", 1), 0);
    expect_file(DEV "trigger/current_trigger", "timer7");
    shmseq_sensor_close(&s);
    expect_file(DEV "trigger/current_trigger", "");
}

/* hrtimer=NAME: the trigger made in configfs, its rate set, selected,
 * and removed at close. (A plain directory stands in for configfs; the
 * trigger the kernel would register is written by the test.) */
static void test_hrtimer_trigger_made_and_removed(void **state)
{
    char dir[FAKE_PATH_MAX];
    struct stat st;
    shmseq_sensor s;

    (void)state;
    fake_channels(dev_a, 8);
    fake_write(DEV "trigger/current_trigger", "\n");
    fake_write("kernel/config/iio/triggers/hrtimer/.keep", "");
    fake_write("bus/iio/devices/trigger3/name", "shmseq-t\n");
    fake_write("bus/iio/devices/trigger3/sampling_frequency", "100\n");
    fake_path(dir, sizeof dir, "kernel/config/iio/triggers/hrtimer/shmseq-t");
    assert_int_equal(
        open_buffered(&s, "channels=in_voltage1,hrtimer=shmseq-t", 1), 0);
    assert_int_equal(stat(dir, &st), 0);
    expect_file("bus/iio/devices/trigger3/sampling_frequency", "1000");
    expect_file(DEV "trigger/current_trigger", "shmseq-t");
    shmseq_sensor_close(&s);
    assert_int_equal(stat(dir, &st), -1);
    expect_file(DEV "trigger/current_trigger", "");
    /* No configfs hrtimer support: the open fails and says what to load.
     * (Plain files keep a longer old value's tail: fresh ones first.) */
    fake_write(DEV "buffer/length", "2\n");
    fake_write(DEV "current_timestamp_clock", "realtime\n");
    fake_unlink("kernel/config/iio/triggers/hrtimer/.keep");
    fake_path(dir, sizeof dir, "kernel/config/iio/triggers/hrtimer");
    assert_int_equal(rmdir(dir), 0);
    if (open_buffered(&s, "channels=in_voltage1,hrtimer=shmseq-t", 1) !=
        -ENOENT)
        fail_msg("open: want -ENOENT: %s", s.why);
    assert_non_null(strstr(s.why, "iio-trig-hrtimer"));
    expect_file(DEV "buffer/enable", "0");
    expect_file(SCAN "in_other0_en", "1");
}

static void test_busy_buffer_and_failures_change_nothing(void **state)
{
    shmseq_sensor s;

    (void)state;
    fake_channels(dev_a, 8);
    fake_write(DEV "buffer/enable", "1\n");
    assert_int_equal(open_buffered(&s, "channels=in_voltage1", 1), -EBUSY);
    assert_non_null(strstr(s.why, "in use"));
    expect_file(DEV "buffer/enable", "1");
    expect_file(SCAN "in_other0_en", "1");
    fake_write(DEV "buffer/enable", "0\n");
    /* No such channel, a bad type, the watermark above the length. */
    assert_int_equal(open_buffered(&s, "channels=in_nosuch0", 1), -ENOENT);
    assert_non_null(strstr(s.why, "in_nosuch0_type"));
    fake_write(SCAN "in_voltage0_type", "le:s12/16>>9\n");
    assert_int_equal(open_buffered(&s, "channels=in_voltage0", 1), -EINVAL);
    assert_non_null(strstr(s.why, "cannot parse"));
    assert_int_equal(
        open_buffered(&s, "channels=in_voltage1,length=4,watermark=5", 1),
        -EINVAL);
    assert_int_equal(open_buffered(&s, "channels=in_voltage1:in_voltage1", 2),
                     -EINVAL);
    /* The node missing: found before anything is changed. */
    fake_unlink("dev/iio:device0");
    assert_int_equal(open_buffered(&s, "channels=in_voltage1", 1), -ENOENT);
    expect_file(DEV "buffer/enable", "0");
    expect_file(DEV "buffer/length", "2");
    expect_file(SCAN "in_other0_en", "1");
    expect_file(SCAN "in_voltage1_en", "0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout_rules),
        cmocka_unit_test_setup_teardown(test_every_format_bit_exact, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repeat_without_timestamp, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_scans_reassembled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lost_scans_from_timestamps, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_sets_and_close_restores, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trigger_selected_and_restored, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hrtimer_trigger_made_and_removed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_busy_buffer_and_failures_change_nothing, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
