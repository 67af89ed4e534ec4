/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the replay sensor driver on small hand-made recordings in
 * the logger's CSV format: rows come back in order, the recorded rate
 * becomes the period hint, the end of the file stops (-ENODATA, not an
 * error) or loops, a malformed field is NaN for that channel only, and a
 * file that does not fit is refused at open with the reason.
 */
#define _XOPEN_SOURCE 700

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <shmseq/bsp.h>

#include "fake_sysfs.h"

/* Four rows 10 ms apart, with a logger's jitter: 100 Hz recorded. */
static const char csv[] =
    "seq,timestamp_ns,epoch,v0,v1\n"
    "100,5000000000,1,1.5,-2\n"
    "101,5010000100,1,2.5,-3\n"
    "102,5019999900,1,3.5,-4\n"
    "103,5030000000,1,4.5,-5\n";

static int setup(void **state)
{
    (void)state;
    fake_make_root();
    fake_write("rec.csv", csv);
    return 0;
}

static int open_replay(shmseq_sensor *s, const char *file, const char *extra,
                       uint32_t width)
{
    char params[2 * FAKE_PATH_MAX];

    snprintf(params, sizeof params, "file=%s/%s%s%s", fake_root, file,
             extra[0] != '\0' ? "," : "", extra);
    return shmseq_sensor_open(s, "replay", params, width, 1000);
}

static void expect_row(shmseq_sensor *s, double a, double b)
{
    double v[4];

    assert_int_equal(shmseq_sensor_read(s, 0, 0, v, 4), 0);
    assert_true(v[0] == a);
    assert_true(v[1] == b);
}

static void test_recorded_rate_then_end(void **state)
{
    shmseq_sensor s;
    double v[4];

    (void)state;
    assert_int_equal(open_replay(&s, "rec.csv", "", 2), 0);
    assert_true(s.period_hint_ns == 10000000u);
    expect_row(&s, 1.5, -2);
    expect_row(&s, 2.5, -3);
    expect_row(&s, 3.5, -4);
    expect_row(&s, 4.5, -5);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), -ENODATA);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), -ENODATA);
    /* The end of a recording is not a sensor failure. */
    assert_int_equal((int)s.errors, 0);
    assert_int_equal((int)s.reads, 4);
    shmseq_sensor_close(&s);
}

static void test_given_rate_and_loop(void **state)
{
    shmseq_sensor s;
    int round;

    (void)state;
    assert_int_equal(
        open_replay(&s, "rec.csv", "rate=50,loop=1,rate=recorded,rate=40", 2),
        0);
    assert_true(s.period_hint_ns == 25000000u);
    for (round = 0; round < 3; round++) {
        expect_row(&s, 1.5, -2);
        expect_row(&s, 2.5, -3);
        expect_row(&s, 3.5, -4);
        expect_row(&s, 4.5, -5);
    }
    shmseq_sensor_close(&s);
    assert_int_equal(open_replay(&s, "rec.csv", "loop=0,rate=recorded", 2),
                     0);
    assert_true(s.period_hint_ns == 10000000u);
    shmseq_sensor_close(&s);
}

static void test_malformed_fields_are_nan(void **state)
{
    shmseq_sensor s;
    double v[4];
    char longline[6000];

    (void)state;
    memset(longline, '7', sizeof longline - 2);
    longline[sizeof longline - 2] = '\n';
    longline[sizeof longline - 1] = '\0';
    fake_write("bad.csv", "seq,timestamp_ns,epoch,v0,v1\n"
                          "0,0,1,abc,2.5\n"
                          "garbage\n"
                          "2,20,1,1.25\n"
                          "\n"
                          "4,40,1,,9x\n");
    {
        /* An overlong line, then a good one, appended. */
        char path[FAKE_PATH_MAX];
        FILE *f;

        fake_path(path, sizeof path, "bad.csv");
        f = fopen(path, "a");
        assert_non_null(f);
        fputs(longline, f);
        fputs("6,60,1,6,-6", f); /* the last line may lack its newline */
        fclose(f);
    }
    assert_int_equal(open_replay(&s, "bad.csv", "rate=100", 2), 0);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(isnan(v[0]) && v[1] == 2.5);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(isnan(v[0]) && isnan(v[1]));
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(v[0] == 1.25 && isnan(v[1]));
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(isnan(v[0]) && isnan(v[1]));
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(isnan(v[0]) && isnan(v[1]));
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), 0);
    assert_true(isnan(v[0]) && isnan(v[1])); /* the overlong line */
    expect_row(&s, 6, -6);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 4), -ENODATA);
    assert_int_equal((int)s.errors, 0);
    shmseq_sensor_close(&s);
}

static void test_file_kept_open_cloexec(void **state)
{
    shmseq_sensor s;
    int n, no_cloexec;

    (void)state;
    assert_int_equal(open_replay(&s, "rec.csv", "loop=1", 2), 0);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0) {
        assert_int_equal(n, 1);
        assert_int_equal(no_cloexec, 0);
    }
    /* Reading and looping need nothing but the stream opened at open. */
    fake_unlink("rec.csv");
    expect_row(&s, 1.5, -2);
    expect_row(&s, 2.5, -3);
    expect_row(&s, 3.5, -4);
    expect_row(&s, 4.5, -5);
    expect_row(&s, 1.5, -2);
    shmseq_sensor_close(&s);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0)
        assert_int_equal(n, 0);
}

static void test_refused_at_open(void **state)
{
    shmseq_sensor s;

    (void)state;
    assert_int_equal(open_replay(&s, "nosuch.csv", "", 2), -ENOENT);
    assert_non_null(strstr(s.why, "nosuch.csv"));
    assert_int_equal(open_replay(&s, "rec.csv", "", 3), -EINVAL);
    assert_non_null(strstr(s.why, "2 value column"));
    assert_non_null(strstr(s.why, "width is 3"));
    fake_write("nohdr.csv", "1,2,3,4\n");
    assert_int_equal(open_replay(&s, "nohdr.csv", "", 1), -EINVAL);
    assert_non_null(strstr(s.why, "header"));
    fake_write("one.csv", "seq,timestamp_ns,epoch,v0\n0,100,1,5\n");
    assert_int_equal(open_replay(&s, "one.csv", "", 1), -EINVAL);
    assert_non_null(strstr(s.why, "rate=HZ"));
    assert_int_equal(open_replay(&s, "one.csv", "rate=10", 1), 0);
    shmseq_sensor_close(&s);
    fake_write("empty.csv", "seq,timestamp_ns,epoch,v0\n");
    assert_int_equal(open_replay(&s, "empty.csv", "rate=10", 1), -EINVAL);
    assert_int_equal(open_replay(&s, "rec.csv", "loop=2", 2), -EINVAL);
    assert_int_equal(open_replay(&s, "rec.csv", "rate=0", 2), -EINVAL);
    assert_int_equal(open_replay(&s, "rec.csv", "rate=fast", 2), -EINVAL);
    assert_int_equal(open_replay(&s, "rec.csv", "speed=1", 2), -EINVAL);
    assert_int_equal(shmseq_sensor_open(&s, "replay", "", 2, 100), -EINVAL);
    assert_null(s.ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
        T(test_recorded_rate_then_end),
        T(test_given_rate_and_loop),
        T(test_malformed_fields_are_nan),
        T(test_file_kept_open_cloexec),
        T(test_refused_at_open),
#undef T
    };

    return cmocka_run_group_tests_name("replay", tests, NULL, NULL);
}
