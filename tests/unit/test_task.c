/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * Unit tests of the periodic task helper (include/shmseq/task.h: src/task.c
 * over the POSIX port) on the real clock: cycles are counted and the
 * statistics are coherent,
 * an overrun is counted as missed periods and skipped rather than caught
 * up in a burst, bad configurations are refused, priority/affinity
 * apply to the calling thread only, and the CPU latency request is held
 * from start to stop: one descriptor on /dev/cpu_dma_latency, closed by
 * shmseq_task_stop (twice, or after a failed start, harmlessly). Whether
 * the request can be taken here (root, a kernel with PM QoS) is probed
 * independently, and the start's result must agree with it.
 *
 * Nothing asserts on absolute latencies: the machine may be loaded or
 * running under a sanitizer or an emulator.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shmseq/region.h"
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
    assert_int_equal(shmseq_sleep_ns(5u * PERIOD), 0);
    t0 = shmseq_now_ns();
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

#define LATENCY_DEV "/dev/cpu_dma_latency"

/* Open descriptors of this process (the directory stream's own included,
 * the same every time). */
static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

/* What shmseq_task_start must answer for the request, found out on our
 * own: 0 if the device opens for writing, else the contract's code. */
static int expected_latency_rc(void)
{
    int fd = open(LATENCY_DEV, O_WRONLY | O_CLOEXEC);

    if (fd >= 0) {
        close(fd);
        return 0;
    }
    if (errno == EACCES || errno == EPERM)
        return -EPERM;
    if (errno == ENOENT || errno == ENODEV || errno == ENXIO)
        return -ENOSYS;
    return -errno;
}

/* The kernel's current limit (the smallest request held), -1 if it cannot
 * be read here. */
static long latency_limit(void)
{
    int32_t v;
    int fd = open(LATENCY_DEV, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    if (fd < 0)
        return -1;
    n = read(fd, &v, sizeof v);
    close(fd);
    return n == (ssize_t)sizeof v ? (long)v : -1;
}

static shmseq_task_config with_latency(uint32_t us)
{
    shmseq_task_config c = plain();

    c.hold_cpu_latency = 1;
    c.cpu_latency_us = us;
    return c;
}

static void test_cpu_latency_held_until_stop(void **state)
{
    shmseq_task_config c = with_latency(0);
    shmseq_task t;
    char path[64], target[64];
    int want = expected_latency_rc(), fds0, fd, flags;
    long limit;
    ssize_t n;

    (void)state;
    fds0 = count_fds();
    assert_int_equal(shmseq_task_start(&t, &c), want);
    if (want == 0) {
        /* One descriptor more, on the device, not inherited by exec. */
        assert_int_equal(count_fds(), fds0 + 1);
        fd = t.qos_handle;
        assert_true(fd >= 0);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        n = readlink(path, target, sizeof target - 1);
        assert_true(n > 0);
        target[n] = '\0';
        assert_string_equal(target, LATENCY_DEV);
        flags = fcntl(fd, F_GETFD);
        assert_true(flags >= 0 && (flags & FD_CLOEXEC));
        /* The kernel took the value: the limit is the smallest request
         * (when the device is also readable here). */
        limit = latency_limit();
        if (limit >= 0)
            assert_int_equal(limit, 0);
    } else {
        /* Refused: nothing left open, and the task still runs. */
        assert_int_equal(count_fds(), fds0);
        assert_int_equal(t.qos_handle, -1);
    }
    assert_int_equal(shmseq_task_wait(&t), 0);
    shmseq_task_stop(&t);
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(t.qos_handle, -1);
    /* Twice is harmless. */
    shmseq_task_stop(&t);
    assert_int_equal(count_fds(), fds0);
}

static void test_cpu_latency_value_reaches_kernel(void **state)
{
    shmseq_task_config c = with_latency(7);
    shmseq_task t;
    int want = expected_latency_rc();
    long before, held;

    (void)state;
    before = latency_limit();
    assert_int_equal(shmseq_task_start(&t, &c), want);
    held = latency_limit();
    if (want != 0 || before < 0) {
        /* Without the device (or root) there is no value to look at. */
        shmseq_task_stop(&t);
        skip();
    }
    /* min(7, what others hold): 7 unless someone asks for less. */
    assert_true(held >= 0 && held <= 7);
    if (before > 7)
        assert_int_equal(held, 7);
    shmseq_task_stop(&t);
}

static void test_no_latency_request_by_default(void **state)
{
    shmseq_task_config c = plain();
    shmseq_task t;
    int fds0;

    (void)state;
    c.cpu_latency_us = 5;           /* ignored without hold_cpu_latency */
    fds0 = count_fds();
    assert_int_equal(shmseq_task_start(&t, &c), 0);
    assert_int_equal(count_fds(), fds0);
    assert_int_equal(t.qos_handle, -1);
    shmseq_task_stop(&t);
    assert_int_equal(count_fds(), fds0);
}

static void test_stop_after_failed_start(void **state)
{
    shmseq_task_config c;
    shmseq_task t;
    int fds0, devnull = -1;

    (void)state;
    /* The task is zeroed on start: a stop that trusted a zero handle
     * would close descriptor 0. Make sure there is one to lose. */
    if (fcntl(0, F_GETFD) < 0) {
        devnull = open("/dev/null", O_RDONLY);
        assert_int_equal(devnull, 0);
    }
    fds0 = count_fds();
    c = with_latency(0);
    c.period_ns = 0;
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
    shmseq_task_stop(&t);
    shmseq_task_stop(&t);
    assert_int_equal(count_fds(), fds0);
    assert_true(fcntl(0, F_GETFD) >= 0);

    /* Out of the kernel's s32 range: refused before anything is held. */
    c = with_latency((uint32_t)INT32_MAX + 1u);
    assert_int_equal(shmseq_task_start(&t, &c), -EINVAL);
    assert_int_equal(count_fds(), fds0);
    shmseq_task_stop(&t);
    assert_int_equal(count_fds(), fds0);
    if (devnull >= 0)
        close(devnull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cycles_and_stats),
        cmocka_unit_test(test_missed_periods_skipped),
        cmocka_unit_test(test_invalid_config),
        cmocka_unit_test(test_priority_and_affinity),
        cmocka_unit_test(test_cpu_latency_held_until_stop),
        cmocka_unit_test(test_cpu_latency_value_reaches_kernel),
        cmocka_unit_test(test_no_latency_request_by_default),
        cmocka_unit_test(test_stop_after_failed_start),
    };

    return cmocka_run_group_tests_name("task", tests, NULL, NULL);
}
