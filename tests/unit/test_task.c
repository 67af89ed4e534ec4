/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * Unit tests of the periodic task helper (include/shmseq/task.h, in
 * port/posix/task.c): cycles are counted and the statistics are coherent,
 * an overrun is counted as missed periods and skipped rather than caught
 * up in a burst, bad configurations are refused, and priority/affinity
 * apply to the calling thread only.
 *
 * Nothing asserts on absolute latencies: the machine may be loaded or
 * running under a sanitizer or an emulator.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shmseq/port.h"
#include "shmseq/task.h"

#define PERIOD 1000000u   /* 1 ms */

static shmseq_task_config plain(void)
{
    shmseq_task_config c;

    memset(&c, 0, sizeof c);
    c.period_ns = PERIOD;
    c.priority = 0;
    c.cpu = -1;
    c.lock_memory = 0;
    return c;
}

static void test_cycles_and_stats(void **state)
{
    shmseq_task_config c = plain();
    shmseq_task t;
    shmseq_task_stats s;
    uint64_t waited = 0;
    int i, rc;

    (void)state;
    assert_int_equal(shmseq_task_start(&t, &c), 0);
    shmseq_task_get_stats(&t, &s);
    assert_int_equal(s.cycles, 0);
    assert_int_equal(s.min_ns, 0);
    assert_int_equal(s.max_ns, 0);
    for (i = 0; i < 50; i++) {
        rc = shmseq_task_wait(&t);
        if (rc == -EINTR)
            continue;
        assert_int_equal(rc, 0);
        waited++;
    }
    shmseq_task_get_stats(&t, &s);
    assert_int_equal(s.cycles, waited);
    assert_true(s.min_ns <= s.avg_ns);
    assert_true(s.avg_ns <= s.max_ns);
    assert_true(s.min_ns <= s.p99_ns);
    assert_true(s.p99_ns <= s.max_ns);
    assert_true(s.overflow <= s.cycles);
}

static void test_missed_periods_skipped(void **state)
{
    shmseq_task_config c = plain();
    shmseq_task t;
    shmseq_task_stats s;
    uint64_t before, missed0, t0;

    (void)state;
    assert_int_equal(shmseq_task_start(&t, &c), 0);
    assert_int_equal(shmseq_task_wait(&t), 0);
    shmseq_task_get_stats(&t, &s);
    missed0 = s.missed;
    /* Overrun: the work of this cycle takes five periods. */
    assert_int_equal(shmseq_port_sleep_ns(5u * PERIOD), 0);
    t0 = shmseq_port_monotonic_ns();
    assert_int_equal(shmseq_task_wait(&t), 0);
    shmseq_task_get_stats(&t, &s);
    /* At least four deadlines passed while we were busy (>= 5 with the
     * skip-to-the-future rule). */
    assert_true(s.missed - missed0 >= 4);
    assert_int_equal(s.cycles, 2);
    /* No burst: the deadline this wait slept to lay after the call. */
    before = t.next_ns - t.period_ns;
    assert_true(before >= t0);
    /* And the task goes on normally. */
    assert_int_equal(shmseq_task_wait(&t), 0);
    shmseq_task_get_stats(&t, &s);
    assert_int_equal(s.cycles, 3);
}

static void test_invalid_config(void **state)
{
    shmseq_task_config c;
    shmseq_task t;

    (void)state;
    c = plain();
    c.period_ns = 0;
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
    c = plain();
    c.priority = 100;
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
    c = plain();
    c.priority = -1;
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
    c = plain();
    c.cpu = 4096;
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
}

/* Priority and affinity are tried in their own thread, so the test
 * process itself stays an ordinary, unpinned one. */
struct settings_result {
    int rc_prio, policy;
    int rc_cpu, cpu, pinned;
};

static void *try_settings(void *arg)
{
    struct settings_result *res = arg;
    shmseq_task_config c = plain();
    shmseq_task t;
    cpu_set_t set;

    c.priority = 1;
    res->rc_prio = shmseq_task_start(&t, &c);
    res->policy = sched_getscheduler(0);

    c = plain();
    c.cpu = res->cpu;
    res->rc_cpu = shmseq_task_start(&t, &c);
    CPU_ZERO(&set);
    res->pinned = sched_getaffinity(0, sizeof set, &set) == 0 &&
                  CPU_COUNT(&set) == 1 && CPU_ISSET((size_t)res->cpu, &set);
    return NULL;
}

static void test_priority_and_affinity(void **state)
{
    struct settings_result res;
    cpu_set_t set;
    pthread_t th;
    int i;

    (void)state;
    memset(&res, 0, sizeof res);
    res.cpu = -1;
    assert_int_equal(sched_getaffinity(0, sizeof set, &set), 0);
    for (i = 0; i < CPU_SETSIZE && res.cpu < 0; i++)
        if (CPU_ISSET((size_t)i, &set))
            res.cpu = i;
    assert_true(res.cpu >= 0);
    assert_int_equal(pthread_create(&th, NULL, try_settings, &res), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    /* Real-time priority needs a privilege we may lack: then -EPERM, and
     * nothing else. */
    if (res.rc_prio == 0)
        assert_int_equal(res.policy, SCHED_FIFO);
    else
        assert_int_equal(res.rc_prio, -EPERM);
    assert_int_equal(res.rc_cpu, 0);
    assert_true(res.pinned);
    /* The main thread was not touched. */
    assert_int_equal(sched_getscheduler(0), SCHED_OTHER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycles_and_stats),
        cmocka_unit_test(test_missed_periods_skipped),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_priority_and_affinity),
    };

    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
