/* SPDX-License-Identifier: MIT */
/*
 * A region truncated by another process after a reader attached
 * (docs/reliability.md, "Truncation"). The reader runs in a forked child so
 * that a SIGBUS is seen by the parent as a failure with a clear message
 * (where it is not the documented outcome) instead of killing the runner:
 *
 *  - caught_up: the reader has read everything; the object is cut to its
 *    header and the first page of the ring (the reader's next slot kept):
 *    shmseq_read_wait returns -EBADMSG (it re-checks the size before it
 *    sleeps), every time, and never a sample;
 *  - asleep: the reader is inside shmseq_read_wait (timeout) when the
 *    object is cut: a later call returns -EBADMSG, never a sample;
 *  - zeroed: cut to 0 and grown back (all zero, no magic): polling reads
 *    return no sample and shmseq_read_wait returns -EBADMSG;
 *  - sigbus: a polling reader with samples pending in pages past the new
 *    end: every sample it returns is right, and it dies with SIGBUS when it
 *    touches a page past the end (the platform's answer, documented): never
 *    a wrong value.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

/* Samples the polling reader verified before its fault (shared). */
static volatile uint64_t *good_before_fault;

#define WIDTH 2u
#define CAPACITY 1024u

#define TEST_REGION_PREFIX "t"
#include "shmseq_test_region.h"

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Read until -EAGAIN, checking each sample; returns how many. */
static uint64_t child_drain(shmseq_reader *r)
{
    double v[WIDTH];
    shmseq_sample m;
    uint64_t n = 0;
    while (shmseq_read(r, &m, v, WIDTH) == 0) {
        CHILD_CHECK(shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) == 0,
                    "wrong values in sample #%llu", (unsigned long long)m.seq);
        n++;
    }
    return n;
}

enum how { CAUGHT_UP, ASLEEP, ZEROED, SIGBUS_POLL };

static _Noreturn void reader_child(const char *n, enum how how, int ready, int go)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* CMocka traps SIGBUS and SIGSEGV in the runner; a child must die of
     * them, as a reader would, for the parent to see it. */
    signal(SIGBUS, SIG_DFL);
    signal(SIGSEGV, SIG_DFL);
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST);
    CHILD_CHECK(rc == 0, "open: %s", shmseq_strerror(rc));
    if (how != SIGBUS_POLL)
        CHILD_CHECK(child_drain(&r) == 10, "expected the 10 samples first");
    char c = 1;
    CHILD_CHECK(write(ready, &c, 1) == 1, "ready pipe");

    double v[WIDTH];
    shmseq_sample m;
    switch (how) {
    case CAUGHT_UP:
        CHILD_CHECK(read(go, &c, 1) == 1, "go pipe");
        for (int i = 0; i < 3; i++) {
            rc = shmseq_read_wait(&r, &m, v, WIDTH, 10000000000);
            CHILD_CHECK(rc == -EBADMSG, "read_wait after truncation: %d (%s), "
                        "want -EBADMSG", rc, shmseq_strerror(rc));
        }
        break;
    case ASLEEP:
        /* The parent cuts the object while we are (most likely) asleep. */
        for (int i = 0;; i++) {
            rc = shmseq_read_wait(&r, &m, v, WIDTH, 100000000);
            if (rc == -EBADMSG)
                break;
            CHILD_CHECK(rc == -ETIMEDOUT, "read_wait: %d (%s), want "
                        "-ETIMEDOUT then -EBADMSG", rc, shmseq_strerror(rc));
            CHILD_CHECK(i < 600, "read_wait never noticed the truncation");
        }
        break;
    case ZEROED:
        CHILD_CHECK(read(go, &c, 1) == 1, "go pipe");
        for (int i = 0; i < 100; i++) {
            rc = shmseq_read(&r, &m, v, WIDTH);
            CHILD_CHECK(rc != 0, "a zeroed region gave sample #%llu",
                        (unsigned long long)m.seq);
        }
        rc = shmseq_read_wait(&r, &m, v, WIDTH, 10000000000);
        CHILD_CHECK(rc == -EBADMSG, "read_wait on a zeroed region: %d (%s), "
                    "want -EBADMSG", rc, shmseq_strerror(rc));
        break;
    case SIGBUS_POLL:
    default: {
        CHILD_CHECK(read(go, &c, 1) == 1, "go pipe");
        uint64_t good = 0;
        for (int i = 0; i < 100000; i++) {
            rc = shmseq_read(&r, &m, v, WIDTH);
            if (rc != 0)
                continue;
            CHILD_CHECK(shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) == 0,
                        "wrong values in sample #%llu after truncation",
                        (unsigned long long)m.seq);
            *good_before_fault = ++good;
        }
        _exit(3); /* never touched the missing pages: not what we set up */
    }
    }
    shmseq_reader_close(&r);
    _exit(0);
}

/* Fork the reader, let it get ready, cut the object as @how says, and
 * return its wait status. */
static int run(enum how how, off_t cut)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "trunc", &cfg);
    publish_next(&w, WIDTH, how == SIGBUS_POLL ? 300 : 10);

    int ready, go;
    pid_t pid = fork_with_pipes(&ready, &go);
    assert_true(pid >= 0);
    if (pid == 0)
        reader_child(n, how, ready, go);
    char c;
    assert_int_equal(read(ready, &c, 1), 1);
    if (how == ASLEEP)
        nap_ms(50); /* let it fall asleep in read_wait */

    /* "Another process": the cut is made through its own open file. */
    if (how == ZEROED) {
        assert_int_equal(truncate(path_buf, 0), 0);
        assert_int_equal(truncate(path_buf, (off_t)shmseq_region_size(WIDTH, CAPACITY)), 0);
    } else {
        assert_int_equal(truncate(path_buf, cut), 0);
    }
    c = 1;
    assert_int_equal(write(go, &c, 1), 1);
    int status = wait_child(pid);
    close(ready);
    close(go);
    /* The writer's mapping is cut too: it must not publish any more. */
    shmseq_writer_close(&w);
    return status;
}

static void expect_clean_exit(int status, const char *what)
{
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
        fail_msg("%s: the reader died of SIGBUS: shmseq_read_wait touched a "
                 "page past the new end instead of returning -EBADMSG", what);
    expect_child_ok(status, what);
}

static void test_caught_up(void **state)
{
    (void)state;
    off_t cut = (off_t)SHMSEQ_HEADER_SIZE + (off_t)sysconf(_SC_PAGESIZE);
    expect_clean_exit(run(CAUGHT_UP, cut), "caught_up");
    print_message("caught_up: cut to %lld bytes: read_wait -> -EBADMSG (3 of 3)\n",
                  (long long)cut);
}

static void test_asleep(void **state)
{
    (void)state;
    off_t cut = (off_t)SHMSEQ_HEADER_SIZE + (off_t)sysconf(_SC_PAGESIZE);
    expect_clean_exit(run(ASLEEP, cut), "asleep");
    print_message("asleep: cut while in read_wait: -EBADMSG on the next look\n");
}

static void test_zeroed(void **state)
{
    (void)state;
    expect_clean_exit(run(ZEROED, 0), "zeroed");
    print_message("zeroed: cut to 0 and regrown: 100 polls, 0 samples; "
                  "read_wait -> -EBADMSG\n");
}

static void test_sigbus_poll(void **state)
{
    (void)state;
    long page = sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    good_before_fault = p;
    int status = run(SIGBUS_POLL, (off_t)SHMSEQ_HEADER_SIZE + (off_t)page);
    uint64_t good = *good_before_fault;
    munmap(p, sizeof(uint64_t));
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) {
        print_message("sigbus: polling reader: %llu samples right, then SIGBUS "
                      "at the first page past the new end (documented)\n",
                      (unsigned long long)good);
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        fail_msg("sigbus: the reader returned a wrong value (message above)");
    fail_msg("sigbus: expected death by SIGBUS, got status 0x%x", (unsigned)status);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_caught_up, cleanup),
        cmocka_unit_test_teardown(test_asleep, cleanup),
        cmocka_unit_test_teardown(test_zeroed, cleanup),
        cmocka_unit_test_teardown(test_sigbus_poll, cleanup),
    };
    return cmocka_run_group_tests_name("truncate", tests, NULL, NULL);
}
