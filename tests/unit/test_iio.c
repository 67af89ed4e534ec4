/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the iio sensor driver on fake sysfs trees built in a
 * temporary directory: the (raw + offset) x scale rule with per-channel
 * and shared attributes, device choice by name and index, _input
 * channels, errors at open naming the path, NaN for garbage at run time,
 * and that samples come from the descriptors kept since open (a driver
 * that opened per sample would fail the unlink check).
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

#define DEV0 "bus/iio/devices/iio:device0/"
#define DEV1 "bus/iio/devices/iio:device1/"

static int setup(void **state)
{
    (void)state;
    fake_make_root();
    /* Two devices, so that "by name" must look past the first. */
    fake_write(DEV0 "name", "other-adc\n");
    fake_write(DEV0 "in_voltage0_raw", "7\n");
    fake_write(DEV1 "name", "ads1115\n");
    return 0;
}

static int open_iio(shmseq_sensor *s, const char *extra, uint32_t width)
{
    return fake_sensor_open(s, "iio", extra, width, 100);
}

static void read_ok(shmseq_sensor *s, double *v)
{
    assert_int_equal(shmseq_sensor_read(s, 0, 0, v, 8), 0);
}

static void test_missing_scale_is_one_offset_zero(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "1234\n");
    assert_int_equal(open_iio(&s, "device=ads1115,channels=in_voltage0", 1),
                     0);
    read_ok(&s, v);
    assert_true(v[0] == 1234.0);
    shmseq_sensor_close(&s);
}

static void test_shared_and_per_channel_scale(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "10\n");
    fake_write(DEV1 "in_voltage1_raw", "10\n");
    fake_write(DEV1 "in_voltage_scale", "0.5\n");  /* shared by type */
    fake_write(DEV1 "in_voltage1_scale", "2.0\n"); /* this one wins */
    fake_write(DEV1 "in_accel_x_raw", "-3\n");
    fake_write(DEV1 "in_accel_scale", "0.25\n");
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_voltage0:in_voltage1:"
                     "in_accel_x", 3), 0);
    read_ok(&s, v);
    assert_true(v[0] == 5.0);
    assert_true(v[1] == 20.0);
    assert_true(v[2] == -0.75);
    shmseq_sensor_close(&s);
}

static void test_offset_applied_before_scale(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    fake_write(DEV1 "in_temp_raw", "100\n");
    fake_write(DEV1 "in_temp_offset", "-50\n");
    fake_write(DEV1 "in_temp_scale", "10\n");
    fake_write(DEV1 "in_voltage0-voltage1_raw", "8\n");
    fake_write(DEV1 "in_voltage-voltage_scale", "0.125\n");
    fake_write(DEV1 "in_scale", "1000\n"); /* less specific: loses */
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_temp:in_voltage0-voltage1",
                 2), 0);
    read_ok(&s, v);
    assert_true(v[0] == 500.0);
    assert_true(v[1] == 1.0);
    shmseq_sensor_close(&s);
}

static void test_input_channel_and_raw_suffix(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    /* Processed only: used as is, scale and offset ignored. */
    fake_write(DEV1 "in_temp_input", "42500\n");
    fake_write(DEV1 "in_temp_scale", "10\n");
    fake_write(DEV1 "in_voltage2_raw", "3\n");
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_temp:in_voltage2_raw", 2), 0);
    read_ok(&s, v);
    assert_true(v[0] == 42500.0);
    assert_true(v[1] == 3.0);
    shmseq_sensor_close(&s);
}

static void test_device_by_name_and_index(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "11\n");
    assert_int_equal(open_iio(&s, "device=ads1115,channels=in_voltage0", 1),
                     0);
    read_ok(&s, v);
    assert_true(v[0] == 11.0);
    shmseq_sensor_close(&s);
    assert_int_equal(open_iio(&s, "device=0,channels=in_voltage0", 1), 0);
    read_ok(&s, v);
    assert_true(v[0] == 7.0);
    shmseq_sensor_close(&s);
    assert_int_equal(open_iio(&s, "device=iio:device1,channels=in_voltage0",
                              1), 0);
    read_ok(&s, v);
    assert_true(v[0] == 11.0);
    shmseq_sensor_close(&s);
    assert_int_equal(open_iio(&s, "device=other-adc,channels=in_voltage0", 1),
                     0);
    read_ok(&s, v);
    assert_true(v[0] == 7.0);
    shmseq_sensor_close(&s);
}

static void test_missing_device_or_channel_names_the_path(void **state)
{
    shmseq_sensor s;

    (void)state;
    assert_int_equal(open_iio(&s, "device=nosuch,channels=in_voltage0", 1),
                     -ENOENT);
    assert_non_null(strstr(s.why, "nosuch"));
    assert_non_null(strstr(s.why, "bus/iio/devices"));
    assert_int_equal(open_iio(&s, "device=5,channels=in_voltage0", 1),
                     -ENOENT);
    assert_non_null(strstr(s.why, "iio:device5"));
    assert_int_equal(open_iio(&s, "device=ads1115,channels=in_voltage7", 1),
                     -ENOENT);
    assert_non_null(strstr(s.why, "iio:device1/in_voltage7_raw"));
    assert_null(s.ops);
}

static void test_bad_parameters(void **state)
{
    static const char *const bad[] = {
        "device=ads1115",                          /* no channels */
        "channels=in_voltage0",                    /* no device */
        "device=ads1115,channels=in_voltage0,x=1", /* unknown key */
        "device=ads1115,channels=in_voltage0:",    /* empty item */
        "device=ads1115,channels=in_voltage0,",    /* trailing ',' */
        "device=ads1115,channels",                 /* not key=value */
    };
    shmseq_sensor s;
    size_t i;

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "1\n");
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = open_iio(&s, bad[i], 1);

        if (rc != -EINVAL)
            fail_msg("'%s' gave %d, want -EINVAL", bad[i], rc);
        assert_true(s.why[0] != '\0');
    }
    /* Too many channels for the driver. */
    assert_int_equal(
        open_iio(&s, "device=0,channels=a_b0:a_b1:a_b2:a_b3:a_b4:a_b5:a_b6:"
                     "a_b7:a_b8", 9), -EINVAL);
}

static void test_width_mismatch_names_both(void **state)
{
    shmseq_sensor s;

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "1\n");
    fake_write(DEV1 "in_voltage1_raw", "1\n");
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_voltage0:in_voltage1", 4),
        -EINVAL);
    assert_non_null(strstr(s.why, "2 channel"));
    assert_non_null(strstr(s.why, "width is 4"));
}

static void test_bad_scale_file_fails_open(void **state)
{
    shmseq_sensor s;

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "1\n");
    fake_write(DEV1 "in_voltage0_scale", "fast\n");
    assert_int_equal(open_iio(&s, "device=ads1115,channels=in_voltage0", 1),
                     -EINVAL);
    assert_non_null(strstr(s.why, "in_voltage0_scale"));
}

static void test_garbage_is_nan_and_reading_goes_on(void **state)
{
    /* Longer than any number sysfs prints (the read buffer is 64). */
    static const char overlong[] =
        "1234567890123456789012345678901234567890123456789012345678901234567"
        "890\n";
    static const char *const garbage[] = {
        "abc\n", "", "\n", "12abc\n", "99999999999999999999999\n", "nan\n",
        "inf\n", "1e400\n", overlong,
    };
    shmseq_sensor s;
    double v[8];
    size_t i;

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "5\n");
    fake_write(DEV1 "in_voltage1_raw", "6\n");
    fake_write(DEV1 "in_voltage_scale", "2\n");
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_voltage0:in_voltage1", 2), 0);
    for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        fake_write(DEV1 "in_voltage0_raw", garbage[i]);
        read_ok(&s, v);
        if (!isnan(v[0]))
            fail_msg("raw '%s' read as %g, want NaN", garbage[i], v[0]);
        assert_true(v[1] == 12.0); /* the other channel is unaffected */
        fake_write(DEV1 "in_voltage0_raw", "-5\n");
        read_ok(&s, v);
        assert_true(v[0] == -10.0);
    }
    /* NaN is a value, not a failed read. */
    assert_int_equal((int)s.errors, 0);
    assert_int_equal((int)s.reads, (int)(2 * i));
    shmseq_sensor_close(&s);
}

static void test_files_kept_open_cloexec(void **state)
{
    shmseq_sensor s;
    double v[8];
    int n, no_cloexec;

    (void)state;
    fake_write(DEV1 "in_voltage0_raw", "21\n");
    fake_write(DEV1 "in_voltage1_raw", "22\n");
    assert_int_equal(
        open_iio(&s, "device=ads1115,channels=in_voltage0:in_voltage1", 2), 0);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0) {
        assert_int_equal(n, 2);
        assert_int_equal(no_cloexec, 0);
    }
    /* Gone from the tree: only a descriptor kept since open still reads. */
    fake_unlink(DEV1 "in_voltage0_raw");
    fake_unlink(DEV1 "in_voltage1_raw");
    read_ok(&s, v);
    assert_true(v[0] == 21.0);
    assert_true(v[1] == 22.0);
    shmseq_sensor_close(&s);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0)
        assert_int_equal(n, 0);
    shmseq_sensor_close(&s); /* twice is fine */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
        T(test_missing_scale_is_one_offset_zero),
        T(test_shared_and_per_channel_scale),
        T(test_offset_applied_before_scale),
        T(test_input_channel_and_raw_suffix),
        T(test_device_by_name_and_index),
        T(test_missing_device_or_channel_names_the_path),
        T(test_bad_parameters),
        T(test_width_mismatch_names_both),
        T(test_bad_scale_file_fails_open),
        T(test_garbage_is_nan_and_reading_goes_on),
        T(test_files_kept_open_cloexec),
#undef T
    };

    return cmocka_run_group_tests_name("iio", tests, NULL, NULL);
}
