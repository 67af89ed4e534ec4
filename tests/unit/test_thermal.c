/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the thermal sensor driver on a fake sysfs tree: thermal
 * zones and hwmon inputs by number and by name, millidegrees to degrees,
 * errors at open naming the path, NaN for garbage at run time, and reads
 * served by the descriptors kept since open.
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

#define ZONE0 "class/thermal/thermal_zone0/"
#define ZONE1 "class/thermal/thermal_zone1/"
#define HWMON0 "class/hwmon/hwmon0/"
#define HWMON3 "class/hwmon/hwmon3/"

static int setup(void **state)
{
    (void)state;
    fake_make_root();
    fake_write(ZONE0 "type", "cpu-thermal\n");
    fake_write(ZONE0 "temp", "45000\n");
    fake_write(ZONE1 "type", "gpu-thermal\n");
    fake_write(ZONE1 "temp", "-5250\n");
    fake_write(HWMON0 "name", "nvme\n");
    fake_write(HWMON0 "temp1_input", "38850\n");
    fake_write(HWMON3 "name", "coretemp\n");
    fake_write(HWMON3 "temp2_input", "51234\n");
    return 0;
}

static int open_thermal(shmseq_sensor *s, const char *extra, uint32_t width)
{
    return fake_sensor_open(s, "thermal", extra, width, 10);
}

static void test_zones_and_hwmon_in_degrees(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    assert_int_equal(
        open_thermal(&s, "zones=thermal_zone0:thermal_zone1,"
                         "hwmon=hwmon0/temp1_input:hwmon3/temp2_input", 4),
        0);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
    assert_true(v[0] == 45.0);
    assert_true(v[1] == -5.25);
    assert_true(v[2] == 38.85);
    assert_true(v[3] == 51.234);
    shmseq_sensor_close(&s);
}

static void test_by_type_and_name_and_default(void **state)
{
    shmseq_sensor s;
    double v[8];

    (void)state;
    assert_int_equal(
        open_thermal(&s, "zones=gpu-thermal,hwmon=coretemp/temp2_input", 2),
        0);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
    assert_true(v[0] == -5.25);
    assert_true(v[1] == 51.234);
    shmseq_sensor_close(&s);
    /* No zones or hwmon: thermal_zone0. */
    assert_int_equal(open_thermal(&s, "", 1), 0);
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
    assert_true(v[0] == 45.0);
    shmseq_sensor_close(&s);
}

static void test_missing_names_the_path(void **state)
{
    shmseq_sensor s;

    (void)state;
    assert_int_equal(open_thermal(&s, "zones=thermal_zone0:thermal_zone9", 2),
                     -ENOENT);
    assert_non_null(strstr(s.why, "class/thermal/thermal_zone9/temp"));
    assert_int_equal(open_thermal(&s, "zones=soc-thermal", 1), -ENOENT);
    assert_non_null(strstr(s.why, "soc-thermal"));
    assert_int_equal(open_thermal(&s, "hwmon=hwmon0/temp7_input", 1),
                     -ENOENT);
    assert_non_null(strstr(s.why, "hwmon0/temp7_input"));
    assert_int_equal(open_thermal(&s, "hwmon=k10temp/temp1_input", 1),
                     -ENOENT);
    assert_non_null(strstr(s.why, "k10temp"));
    assert_int_equal(open_thermal(&s, "hwmon=hwmon0", 1), -EINVAL);
    assert_int_equal(open_thermal(&s, "zone=thermal_zone0", 1), -EINVAL);
    assert_int_equal(open_thermal(&s, "zones=thermal_zone0", 2), -EINVAL);
    assert_non_null(strstr(s.why, "width is 2"));
    assert_null(s.ops);
}

static void test_garbage_is_nan_and_reading_goes_on(void **state)
{
    static const char *const garbage[] = {"", "hot\n", "45000 C\n",
                                          "1e99\n", "-\n"};
    shmseq_sensor s;
    double v[8];
    size_t i;

    (void)state;
    assert_int_equal(open_thermal(&s, "zones=thermal_zone0:thermal_zone1", 2),
                     0);
    for (i = 0; i < sizeof garbage / sizeof garbage[0]; i++) {
        fake_write(ZONE0 "temp", garbage[i]);
        assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
        if (!isnan(v[0]))
            fail_msg("temp '%s' read as %g, want NaN", garbage[i], v[0]);
        assert_true(v[1] == -5.25);
        fake_write(ZONE0 "temp", "40000\n");
        assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
        assert_true(v[0] == 40.0);
    }
    assert_int_equal((int)s.errors, 0);
    shmseq_sensor_close(&s);
}

static void test_files_kept_open_cloexec(void **state)
{
    shmseq_sensor s;
    double v[8];
    int n, no_cloexec;

    (void)state;
    assert_int_equal(
        open_thermal(&s, "zones=thermal_zone1,hwmon=nvme/temp1_input", 2), 0);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0) {
        assert_int_equal(n, 2);
        assert_int_equal(no_cloexec, 0);
    }
    fake_unlink(ZONE1 "temp");
    fake_unlink(HWMON0 "temp1_input");
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 8), 0);
    assert_true(v[0] == -5.25);
    assert_true(v[1] == 38.85);
    shmseq_sensor_close(&s);
    n = fake_open_fds(&no_cloexec);
    if (n >= 0)
        assert_int_equal(n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, fake_teardown)
        T(test_zones_and_hwmon_in_degrees),
        T(test_by_type_and_name_and_default),
        T(test_missing_names_the_path),
        T(test_garbage_is_nan_and_reading_goes_on),
        T(test_files_kept_open_cloexec),
#undef T
    };

    return cmocka_run_group_tests_name("thermal", tests, NULL, NULL);
}
