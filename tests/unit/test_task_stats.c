/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the periodic task's OS-free arithmetic (core/task_stats.c)
 * on a plain shmseq_task, with made-up times: no clock, no sleep, so every
 * expected value is exact. Deadline skipping and missed-period counting,
 * the latency bookkeeping (min/avg/max, the 1 us histogram, its overflow
 * bucket and saturation) and the 99th percentile.
 */
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "task_stats.h"

#define PERIOD 1000000u   /* 1 ms */
#define T0 5000000000ull  /* the first deadline, an arbitrary time */

/* 4 KiB of histogram: static, not on the test's stack. */
static shmseq_task task;

static shmseq_task *fresh(void)
{
    memset(&task, 0xA5, sizeof task);   /* reset must clear everything */
    task.qos_handle = 7;
    shmseq__task_reset(&task, PERIOD, T0);
    return &task;
}

static void test_reset(void **state)
{
    shmseq_task *t = fresh();
    shmseq_task_stats s;
    uint32_t i;

    (void)state;
    assert_int_equal(t->period_ns, PERIOD);
    assert_int_equal(t->next_ns, T0);
    assert_int_equal(t->qos_handle, 7);     /* the port's, left alone */
    for (i = 0; i < SHMSEQ_TASK_HIST_BUCKETS; i++)
        assert_int_equal(t->hist[i], 0);
    shmseq_task_get_stats(t, &s);
    assert_int_equal(s.cycles, 0);
    assert_int_equal(s.missed, 0);
    assert_int_equal(s.min_ns, 0);
    assert_int_equal(s.max_ns, 0);
    assert_int_equal(s.avg_ns, 0);
    assert_int_equal(s.p99_ns, 0);
    assert_int_equal(s.overflow, 0);
}

static void test_on_time_not_skipped(void **state)
{
    shmseq_task *t = fresh();

    (void)state;
    shmseq__task_skip_missed(t, T0 - 10);           /* before it */
    shmseq__task_skip_missed(t, T0);                /* at it */
    shmseq__task_skip_missed(t, T0 + PERIOD / 2);   /* late, served */
    shmseq__task_skip_missed(t, T0 + PERIOD);       /* one period: served */
    assert_int_equal(t->missed, 0);
    assert_int_equal(t->next_ns, T0);
}

static void test_overrun_skips_to_the_future(void **state)
{
    shmseq_task *t = fresh();

    (void)state;
    /* One nanosecond more than a period behind: that deadline and the
     * next one are both past, the one after is the first in the future. */
    shmseq__task_skip_missed(t, T0 + PERIOD + 1);
    assert_int_equal(t->missed, 2);
    assert_int_equal(t->next_ns, T0 + 2u * PERIOD);
    assert_true(t->next_ns < T0 + PERIOD + 1 + PERIOD);

    /* 5.5 periods behind: deadlines T0..T0+5P are gone (6 of them). */
    t = fresh();
    shmseq__task_skip_missed(t, T0 + 5u * PERIOD + PERIOD / 2);
    assert_int_equal(t->missed, 6);
    assert_int_equal(t->next_ns, T0 + 6u * PERIOD);

    /* Counted across overruns; a deadline equal to now counts as past. */
    shmseq__task_skip_missed(t, T0 + 9u * PERIOD);
    assert_int_equal(t->missed, 10);
    assert_int_equal(t->next_ns, T0 + 10u * PERIOD);
}

static void test_record_latency_and_advance(void **state)
{
    shmseq_task *t = fresh();
    shmseq_task_stats s;

    (void)state;
    shmseq__task_record(t, T0 + 2500);              /* 2.5 us late */
    assert_int_equal(t->next_ns, T0 + PERIOD);
    shmseq__task_record(t, T0 + PERIOD + 500);      /* 0.5 us late */
    assert_int_equal(t->next_ns, T0 + 2u * PERIOD);
    shmseq__task_record(t, T0 + 2u * PERIOD - 40);  /* early: latency 0 */
    assert_int_equal(t->next_ns, T0 + 3u * PERIOD); /* one period, no drift */

    assert_int_equal(t->hist[0], 2);                /* 0.5 us and 0 */
    assert_int_equal(t->hist[2], 1);                /* 2.5 us */
    shmseq_task_get_stats(t, &s);
    assert_int_equal(s.cycles, 3);
    assert_int_equal(s.min_ns, 0);
    assert_int_equal(s.max_ns, 2500);
    assert_int_equal(s.avg_ns, (2500 + 500 + 0) / 3);
    assert_int_equal(s.overflow, 0);
    /* 99% of 3 samples is all three: the 2..3 us bucket, capped at max. */
    assert_int_equal(s.p99_ns, 2500);
}

static void test_overflow_bucket(void **state)
{
    shmseq_task *t = fresh();
    uint64_t top = (uint64_t)(SHMSEQ_TASK_HIST_BUCKETS - 1) * 1000u;
    shmseq_task_stats s;

    (void)state;
    shmseq__task_record(t, t->next_ns + top - 1);   /* last regular bucket */
    shmseq__task_record(t, t->next_ns + top);       /* first overflowing */
    shmseq__task_record(t, t->next_ns + 50u * top); /* far beyond */
    assert_int_equal(t->hist[SHMSEQ_TASK_HIST_BUCKETS - 2], 1);
    assert_int_equal(t->hist[SHMSEQ_TASK_HIST_BUCKETS - 1], 2);
    shmseq_task_get_stats(t, &s);
    assert_int_equal(s.overflow, 2);
    assert_int_equal(s.max_ns, 50u * top);
    /* The percentile falls in the overflow bucket: the real max. */
    assert_int_equal(s.p99_ns, 50u * top);
}

static void test_histogram_saturates(void **state)
{
    shmseq_task *t = fresh();

    (void)state;
    t->hist[3] = UINT32_MAX - 1;
    shmseq__task_record(t, t->next_ns + 3100);
    assert_int_equal(t->hist[3], UINT32_MAX);
    shmseq__task_record(t, t->next_ns + 3100);
    assert_int_equal(t->hist[3], UINT32_MAX);      /* never wraps to 0 */
    assert_int_equal(t->cycles, 2);
}

static void test_p99(void **state)
{
    shmseq_task *t = fresh();
    shmseq_task_stats s;
    int i;

    (void)state;
    /* 990 wake-ups at 1.5 us and 10 at 20.2 us: the 990th sample (ceil of
     * 99% of 1000) is in the 1..2 us bucket, so p99 is its upper bound. */
    for (i = 0; i < 990; i++)
        shmseq__task_record(t, t->next_ns + 1500);
    for (i = 0; i < 10; i++)
        shmseq__task_record(t, t->next_ns + 20200);
    shmseq_task_get_stats(t, &s);
    assert_int_equal(s.cycles, 1000);
    assert_int_equal(s.p99_ns, 2000);
    assert_int_equal(s.max_ns, 20200);
    assert_int_equal(s.avg_ns, (990u * 1500u + 10u * 20200u) / 1000u);

    /* One more slow wake-up: ceil(99% of 1001) = 991 reaches the slow
     * bucket (20..21 us), whose upper bound is above the max: the max. */
    shmseq__task_record(t, t->next_ns + 20200);
    shmseq_task_get_stats(t, &s);
    assert_int_equal(s.p99_ns, 20200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_on_time_not_skipped),
        cmocka_unit_test(test_overrun_skips_to_the_future),
        cmocka_unit_test(test_record_latency_and_advance),
        cmocka_unit_test(test_overflow_bucket),
        cmocka_unit_test(test_histogram_saturates),
        cmocka_unit_test(test_p99),
    };

    return cmocka_run_group_tests_name("task_stats", tests, NULL, NULL);
}
