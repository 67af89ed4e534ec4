/* SPDX-License-Identifier: MIT */
/*
 * The one number parser of drivers, examples and tools
 * (util/include/shmseq_util/parse.h): what a user types is what they get,
 * and anything else is refused rather than half-read.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include <shmseq_util/parse.h>

static void test_parse_u64(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(shmseq_parse_u64("0", &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(shmseq_parse_u64("010", &v), 0);
    assert_int_equal(v, 10); /* decimal, never octal */
    assert_int_equal(shmseq_parse_u64("0x10", &v), 0);
    assert_int_equal(v, 16);
    assert_int_equal(shmseq_parse_u64("0XfF", &v), 0);
    assert_int_equal(v, 255);
    assert_int_equal(shmseq_parse_u64("18446744073709551615", &v), 0);
    assert_true(v == UINT64_MAX);
    v = 7;
    const char *bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x", "0x-1",
                         "0x 1", "08y", "18446744073709551616", "abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(shmseq_parse_u64(bad[i], &v), -EINVAL);
        assert_int_equal(v, 7); /* untouched */
    }
    assert_int_equal(shmseq_parse_u64(NULL, &v), -EINVAL);
}

static void test_parse_u64_range(void **state)
{
    (void)state;
    uint64_t v = 7;
    assert_int_equal(shmseq_parse_u64_range("10", 10, 20, &v), 0);
    assert_int_equal(v, 10);
    assert_int_equal(shmseq_parse_u64_range("20", 10, 20, &v), 0);
    assert_int_equal(v, 20);
    v = 7;
    assert_int_equal(shmseq_parse_u64_range("9", 10, 20, &v), -EINVAL);
    assert_int_equal(shmseq_parse_u64_range("21", 10, 20, &v), -EINVAL);
    assert_int_equal(shmseq_parse_u64_range("1x", 0, 20, &v), -EINVAL);
    assert_int_equal(v, 7);
}

static void test_parse_u32_int_seconds(void **state)
{
    (void)state;
    uint32_t u = 0;
    int i = 0;
    double d = 0;
    assert_int_equal(shmseq_parse_u32("4294967295", &u), 0);
    assert_int_equal(u, UINT32_MAX);
    assert_int_equal(shmseq_parse_u32("4294967296", &u), -EINVAL);
    assert_int_equal(shmseq_parse_u32("010", &u), 0);
    assert_int_equal(u, 10);
    assert_int_equal(shmseq_parse_u32("0x10", &u), -EINVAL);
    assert_int_equal(shmseq_parse_int("-1", &i), 0);
    assert_int_equal(i, -1);
    assert_int_equal(shmseq_parse_int("1000001", &i), -EINVAL);
    assert_int_equal(shmseq_parse_seconds("1.5", &d), 0);
    assert_true(d == 1.5);
    assert_int_equal(shmseq_parse_seconds("-1", &d), -EINVAL);
    assert_int_equal(shmseq_parse_seconds("nan", &d), -EINVAL);
    assert_int_equal(shmseq_parse_seconds("1e10", &d), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_u64),
        cmocka_unit_test(test_parse_u64_range),
        cmocka_unit_test(test_parse_u32_int_seconds),
    };
    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
