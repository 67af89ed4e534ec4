/* SPDX-License-Identifier: MIT */
/*
 * Access control that needs a second user, and the stale region held by a
 * live writer (docs/reliability.md, "Access control"):
 *
 *  - read_only_reader: the region is created by this user (root in the
 *    tests and CI) with mode 0644; a child becomes 'nobody' (65534) and
 *    opens it with SHMSEQ_READER_ANY_OWNER: it attaches read-only (it
 *    cannot sleep on the futex word, so it polls), reads what the parent
 *    publishes, shmseq_read_wait works (by polling); a store through its
 *    mapping faults (SIGSEGV, in a grandchild), the mapping cannot be made
 *    writable, and opening the region as a writer fails with -EACCES;
 *  - private_region: a 0600 region is refused to 'nobody' (-EACCES);
 *  - stale_live_writer: a region whose layout version is not ours, held by
 *    a live writer process: readers get -EPROTO with a message that says
 *    how to remove it; shmseq_remove without FORCE and a RECREATE writer
 *    both refuse (-EBUSY); once the writer is gone both work.
 *
 * The first two need root (to become another user); elsewhere they are
 * skipped, saying so.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "layout.h"
#include "region_internal.h"
#include "shmseq_test.h"

#define WIDTH 3u
#define CAPACITY 64u
#define NOBODY 65534

#define TEST_REGION_PREFIX "a"
#include "shmseq_test_region.h"

static void skip_unless_root(const char *what)
{
    if (geteuid() != 0) {
        print_message("%s: SKIPPED: needs root to become 'nobody' (uid %d)\n",
                      what, NOBODY);
        skip();
    }
}

static void become_nobody(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    CHILD_CHECK(setgroups(0, NULL) == 0, "setgroups: %s", strerror(errno));
}

/* ---- a read-only reader as another user ---------------------------------- */

static void nobody_reader(const char *n, int ready, int go)
{
    become_nobody();
    CHILD_CHECK(setgid(NOBODY) == 0 && setuid(NOBODY) == 0, "setuid: %s",
                strerror(errno));
    CHILD_CHECK(geteuid() == NOBODY, "still uid %d", (int)geteuid());

    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, 0);
    CHILD_CHECK(rc == -EPERM, "another user's region without ANY_OWNER: %d", rc);
    rc = shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST | SHMSEQ_READER_ANY_OWNER);
    CHILD_CHECK(rc == 0, "read-only open: %s", shmseq_strerror(rc));
    CHILD_CHECK(!shmseq_ring_reader_can_sleep(&r.ring),
                "a read-only reader must poll (it cannot raise the flag)");

    /* Samples published before and after it attached. */
    char c = 1;
    CHILD_CHECK(write(ready, &c, 1) == 1, "ready pipe");
    CHILD_CHECK(read(go, &c, 1) == 1, "go pipe");
    double v[WIDTH];
    shmseq_sample m;
    uint64_t got = 0;
    while ((rc = shmseq_read(&r, &m, v, WIDTH)) == 0) {
        CHILD_CHECK(m.seq == got && m.lost == 0, "sample #%llu, expected #%llu",
                    (unsigned long long)m.seq, (unsigned long long)got);
        CHILD_CHECK(shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) == 0,
                    "wrong values in #%llu", (unsigned long long)m.seq);
        got++;
    }
    CHILD_CHECK(got == 20, "read %llu samples by polling, expected 20",
                (unsigned long long)got);

    /* read_wait works by polling: the parent publishes once more after we
     * say we are waiting. */
    CHILD_CHECK(write(ready, &c, 1) == 1, "ready pipe");
    rc = shmseq_read_wait(&r, &m, v, WIDTH, 30000000000);
    CHILD_CHECK(rc == 0 && m.seq == 20 &&
                    shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) == 0,
                "read_wait (polling): %d, #%llu", rc, (unsigned long long)m.seq);
    rc = shmseq_read_wait(&r, &m, v, WIDTH, 1000000);
    CHILD_CHECK(rc == -ETIMEDOUT, "read_wait with nothing new: %d", rc);

    /* A store through the mapping faults (in a grandchild, so we live). */
    fflush(NULL);
    pid_t pid = fork();
    CHILD_CHECK(pid >= 0, "fork");
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL); /* CMocka's runner traps it */
        const shmseq_port_region *map = shmseq__port(&r.platform);
        volatile uint32_t *head =
            (volatile uint32_t *)((unsigned char *)map->base + 64);
        *head = 12345u; /* the writer's head word */
        _exit(0);
    }
    int status = 0;
    CHILD_CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    CHILD_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
                "a store through a read-only reader's mapping did not fault "
                "(status 0x%x)", (unsigned)status);
    /* Nor can it make the mapping writable (the file is open read-only). */
    const shmseq_port_region *map = shmseq__port(&r.platform);
    CHILD_CHECK(mprotect(map->base, map->size, PROT_READ | PROT_WRITE) != 0 &&
                    errno == EACCES,
                "mprotect(PROT_WRITE) on a read-only reader's mapping worked");
    shmseq_reader_close(&r);

    /* Nor open it as a writer. */
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY,
                         .flags = SHMSEQ_WRITER_ANY_OWNER};
    shmseq_writer w;
    rc = shmseq_writer_open(&w, n, &cfg);
    CHILD_CHECK(rc == -EACCES, "writer open as 'nobody': %d (%s), want -EACCES",
                rc, shmseq_strerror(rc));
    cfg.flags |= SHMSEQ_WRITER_RECREATE;
    rc = shmseq_writer_open(&w, n, &cfg);
    CHILD_CHECK(rc == -EACCES || rc == -EBUSY,
                "RECREATE writer as 'nobody': %d (%s)", rc, shmseq_strerror(rc));
    CHILD_CHECK(shmseq_remove(n, SHMSEQ_REMOVE_FORCE) == -EACCES,
                "'nobody' removed root's region");
    _exit(0);
}

static void test_read_only_reader(void **state)
{
    (void)state;
    skip_unless_root("read_only_reader");
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY, .mode = 0644};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "ro", &cfg);
    publish_next(&w, WIDTH, 5);

    int ready, go;
    pid_t pid = fork_with_pipes(&ready, &go);
    assert_true(pid >= 0);
    if (pid == 0)
        nobody_reader(n, ready, go);
    char c;
    assert_int_equal(read(ready, &c, 1), 1);
    publish_next(&w, WIDTH, 15);
    c = 1;
    assert_int_equal(write(go, &c, 1), 1);
    if (read(ready, &c, 1) == 1) { /* it is in read_wait now */
        publish_next(&w, WIDTH, 1);
    }
    int status = wait_child(pid);
    close(ready);
    close(go);
    /* Whatever the child tried, the region is intact for everyone. */
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    shmseq_sample m;
    double v[WIDTH];
    for (uint64_t k = 0; k < 21; k++) {
        assert_int_equal(shmseq_read(&r, &m, v, WIDTH), 0);
        assert_int_equal(m.seq, k);
        assert_int_equal(shmseq_test_check(v, WIDTH, k, m.timestamp_ns), 0);
    }
    assert_int_equal(shmseq_read(&r, &m, v, WIDTH), -EAGAIN);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
    expect_child_ok(status, "read_only_reader");
    print_message("read_only_reader: 'nobody' attached read-only to a 0644 "
                  "region, polled 20 + read_wait 1 samples; store -> SIGSEGV, "
                  "mprotect -> EACCES, writer open -> -EACCES\n");
}

static void test_private_region(void **state)
{
    (void)state;
    skip_unless_root("private_region");
    const char *n = rname("priv");
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY}; /* 0600 */
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        become_nobody();
        CHILD_CHECK(setgid(NOBODY) == 0 && setuid(NOBODY) == 0, "setuid: %s",
                    strerror(errno));
        shmseq_reader r;
        int rc = shmseq_reader_open(&r, n, SHMSEQ_READER_ANY_OWNER);
        CHILD_CHECK(rc == -EACCES, "reader of a 0600 region as 'nobody': %d "
                    "(%s), want -EACCES", rc, shmseq_strerror(rc));
        shmseq_region_info info;
        rc = shmseq_info(n, &info);
        CHILD_CHECK(rc == -EACCES, "info of a 0600 region as 'nobody': %d", rc);
        _exit(0);
    }
    int status = wait_child(pid);
    shmseq_writer_close(&w);
    expect_child_ok(status, "private_region");
    print_message("private_region: 0600 region refused to 'nobody' (-EACCES)\n");
}

/* ---- a stale region of another layout, its writer alive ------------------ */

static void test_stale_live_writer(void **state)
{
    (void)state;
    const char *n = rname("stale");
    int ready, quit;
    pid_t pid = fork_with_pipes(&ready, &quit);
    assert_true(pid >= 0);
    if (pid == 0) {
        /* The "old" writer: holds its region (and the lock) until told. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
        shmseq_writer w;
        int rc = shmseq_writer_open(&w, n, &cfg);
        CHILD_CHECK(rc == 0, "writer: %s", shmseq_strerror(rc));
        char c = 1;
        CHILD_CHECK(write(ready, &c, 1) == 1, "ready pipe");
        CHILD_CHECK(read(quit, &c, 1) >= 0, "quit pipe");
        _exit(0); /* the kernel drops its lock */
    }
    char c;
    assert_int_equal(read(ready, &c, 1), 1);

    /* Make it a region of another layout version, as an older or newer
     * shmseq would have made it. */
    int fd = open(path_buf, O_RDWR);
    assert_true(fd >= 0);
    uint32_t version = SHMSEQ_LAYOUT_VERSION + 1u;
    assert_int_equal(pwrite(fd, &version, sizeof version, 4), (ssize_t)sizeof version);
    close(fd);

    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, 0);
    assert_int_equal(rc, -EPROTO);
    const char *msg = shmseq_strerror(rc);
    print_message("stale_live_writer: reader -> -EPROTO: \"%s\"\n", msg);
    assert_non_null(strstr(msg, "remove it"));
    assert_null(strstr(msg, "shmseq rm")); /* programs add their command */
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), -EPROTO);

    /* Its writer lives: nobody removes it under it. */
    assert_int_equal(shmseq_remove(n, 0), -EBUSY);
    assert_int_equal(shmseq_unlink(n), -EBUSY);
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY,
                         .flags = SHMSEQ_WRITER_RECREATE};
    shmseq_writer w;
    rc = shmseq_writer_open(&w, n, &cfg);
    assert_int_equal(rc, -EBUSY);
    print_message("stale_live_writer: remove -> -EBUSY, RECREATE -> -EBUSY "
                  "(\"%s\")\n", shmseq_strerror(rc));
    assert_int_equal(access(path_buf, F_OK), 0); /* still there */

    /* The writer leaves: RECREATE replaces it. */
    c = 1;
    assert_int_equal(write(quit, &c, 1), 1);
    expect_child_ok(wait_child(pid), "stale writer");
    close(ready);
    close(quit);
    cfg.flags = 0;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EPROTO);
    cfg.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w), 1);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_remove(n, 0), 0);
    print_message("stale_live_writer: writer gone: RECREATE -> new region, "
                  "remove -> 0\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_read_only_reader, cleanup),
        cmocka_unit_test_teardown(test_private_region, cleanup),
        cmocka_unit_test_teardown(test_stale_live_writer, cleanup),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
