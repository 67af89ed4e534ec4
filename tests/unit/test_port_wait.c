/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * Unit tests of the port's wait/wake on a 32-bit shared word (on Linux
 * port/posix/wait_futex_linux.c): a timeout is reported, a changed value
 * returns at once, a wake from another thread and from another process
 * (the futex must not be process-private) ends the sleep, and a signal
 * interrupts it with -EINTR.
 *
 * No assertion on how fast anything happens: a broken wake shows as a
 * long timeout expiring (-ETIMEDOUT) instead of 0.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shmseq/port.h"

#define MS 1000000ll
#define LONG_WAIT (10000 * MS)  /* "forever" for a test: only hit on failure */

/* Call wait until it reports something other than a spurious 0 (the
 * polling port returns 0 after each nap), honouring the total timeout. */
static int wait_until(_Atomic uint32_t *w, uint32_t v, int64_t timeout_ns)
{
    uint64_t end = shmseq_port_monotonic_ns() + (uint64_t)timeout_ns;
    int rc;

    for (;;) {
        uint64_t now = shmseq_port_monotonic_ns();
        int64_t left = now >= end ? 0 : (int64_t)(end - now);

        rc = shmseq_port_wait((void *)w, v, left);
        if (rc != 0 || shmseq_port_wait_is_blocking())
            return rc;
        if (atomic_load(w) != v)
            return 0;
    }
}

static void test_timeout(void **state)
{
    _Atomic uint32_t w = 7;
    uint64_t t0 = shmseq_port_monotonic_ns();

    (void)state;
    assert_int_equal(wait_until(&w, 7, 20 * MS), -ETIMEDOUT);
    /* The timeout passed: a lower bound, not a speed claim. */
    assert_true(shmseq_port_monotonic_ns() - t0 >= (uint64_t)(20 * MS));
    assert_int_equal(shmseq_port_wait((void *)&w, 7, 0), -ETIMEDOUT);
}

static void test_value_differs(void **state)
{
    _Atomic uint32_t w = 5;

    (void)state;
    assert_int_equal(shmseq_port_wait((void *)&w, 4, LONG_WAIT), 0);
    assert_int_equal(shmseq_port_wait((void *)&w, 4, -1), 0);
}

struct waker {
    _Atomic uint32_t *word;
    atomic_int done;
    int change;
};

static void *waker_thread(void *arg)
{
    struct waker *k = arg;

    /* The sleeper may not be asleep yet: keep waking until it says so. */
    while (!atomic_load(&k->done)) {
        if (k->change)
            atomic_store(k->word, 2);
        shmseq_port_wake((void *)k->word);
        (void)shmseq_port_sleep_ns(1 * MS);
    }
    return NULL;
}

static void test_thread_wakes(void **state)
{
    _Atomic uint32_t w = 1;
    struct waker k;
    pthread_t th;
    int rc;

    (void)state;
    k.word = &w;
    atomic_init(&k.done, 0);
    k.change = !shmseq_port_wait_is_blocking();
    assert_int_equal(pthread_create(&th, NULL, waker_thread, &k), 0);
    /* With a futex the value does not even change: only the wake ends the
     * sleep. The polling port needs the change. */
    rc = wait_until(&w, 1, LONG_WAIT);
    atomic_store(&k.done, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(rc, 0);
}

static void test_process_wakes(void **state)
{
    struct shared {
        _Atomic uint32_t word;
        atomic_int done;
    } *s;
    pid_t pid;
    int rc, st = 0;

    (void)state;
    if (!shmseq_port_wait_is_blocking())
        skip();
    s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
             MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(s != MAP_FAILED);
    atomic_init(&s->word, 1);
    atomic_init(&s->done, 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* A process-private futex would never reach the parent. */
        alarm(30);
        while (!atomic_load(&s->done)) {
            shmseq_port_wake((void *)&s->word);
            (void)shmseq_port_sleep_ns(1 * MS);
        }
        _exit(0);
    }
    rc = shmseq_port_wait((void *)&s->word, 1, LONG_WAIT);
    atomic_store(&s->done, 1);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    assert_int_equal(rc, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    (void)munmap(s, sizeof *s);
}

static volatile sig_atomic_t signals;

static void on_signal(int sig)
{
    (void)sig;
    signals++;
}

struct killer {
    pthread_t target;
    atomic_int done;
};

static void *killer_thread(void *arg)
{
    struct killer *k = arg;

    while (!atomic_load(&k->done)) {
        (void)pthread_kill(k->target, SIGUSR1);
        (void)shmseq_port_sleep_ns(5 * MS);
    }
    return NULL;
}

static void test_signal_interrupts(void **state)
{
    _Atomic uint32_t w = 3;
    struct sigaction sa, old;
    struct killer k;
    pthread_t th;
    int rc;

    (void)state;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = 0;                 /* no SA_RESTART: report, not retry */
    sigemptyset(&sa.sa_mask);
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    k.target = pthread_self();
    atomic_init(&k.done, 0);
    assert_int_equal(pthread_create(&th, NULL, killer_thread, &k), 0);
    rc = wait_until(&w, 3, LONG_WAIT);
    atomic_store(&k.done, 1);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    assert_int_equal(rc, -EINTR);
    assert_true(signals > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeout),
        cmocka_unit_test(test_value_differs),
        cmocka_unit_test(test_thread_wakes),
        cmocka_unit_test(test_process_wakes),
        cmocka_unit_test(test_signal_interrupts),
    };

    return cmocka_run_group_tests_name("port_wait", tests, NULL, NULL);
}
