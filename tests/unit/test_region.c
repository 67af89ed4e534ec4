/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the named-region API (src/region.c over core and the
 * POSIX port): name and config validation, one writer per region
 * (invariant 1), takeover after a SIGKILLed writer with epoch and loss
 * seen by readers (invariants 5 and 9), refusal of foreign, truncated or
 * other-version regions (invariant 7), unlink/info/strerror, and blocking
 * reads across processes. Each test uses region names containing its pid,
 * so parallel ctest runs do not collide; every region is unlinked.
 *
 * Forked children never return into CMocka: they check with plain ifs and
 * report through their exit status.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#define TEST_REGION_PREFIX "t"
#include "shmseq_test_proc.h"
#include "shmseq_test_region.h"

static void publish_n(shmseq_writer *w, uint64_t n, uint32_t width)
{
    double v[SHMSEQ_WIDTH_MAX];
    shmseq_test_fill(v, width, n);
    assert_int_equal(shmseq_writer_next(w), n);
    assert_int_equal(shmseq_publish(w, v, shmseq_test_ts(n)), 0);
}

static void expect_read(shmseq_reader *r, uint64_t seq, uint64_t lost,
                        uint32_t epoch)
{
    double v[SHMSEQ_WIDTH_MAX];
    shmseq_sample m;
    assert_int_equal(shmseq_read(r, &m, v, SHMSEQ_WIDTH_MAX), 0);
    assert_int_equal(m.seq, seq);
    assert_int_equal(m.lost, lost);
    assert_int_equal(m.epoch, epoch);
    assert_int_equal(shmseq_test_check(v, m.width, m.seq, m.timestamp_ns), 0);
}

/* True if no POSIX shm object backs region @name. */
static bool region_absent(const char *name)
{
    char path[SHMSEQ_NAME_MAX + 16];
    snprintf(path, sizeof path, "/shmseq.%s", name);
    int fd = shm_open(path, O_RDONLY, 0);
    if (fd >= 0) {
        close(fd);
        return false;
    }
    return true;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}


/* ---- names and configs --------------------------------------------------- */

static void test_name_check(void **state)
{
    (void)state;
    char long_name[SHMSEQ_NAME_MAX + 2];
    memset(long_name, 'a', sizeof long_name);
    long_name[SHMSEQ_NAME_MAX + 1] = '\0'; /* 65 chars */
    char max_name[SHMSEQ_NAME_MAX + 1];
    memset(max_name, 'b', sizeof max_name);
    max_name[SHMSEQ_NAME_MAX] = '\0'; /* 64 chars */

    const struct {
        const char *name;
        int want;
    } cases[] = {
        {"", -EINVAL},
        {"/x", -EINVAL},
        {"a/b", -EINVAL},
        {"bad name!", -EINVAL},
        {".hidden", -EINVAL},
        {".", -EINVAL},
        {"..", -EINVAL},
        {"tab\there", -EINVAL},
        {"caf\xc3\xa9", -EINVAL},
        {long_name, -ENAMETOOLONG},
        {max_name, 0},
        {"a", 0},
        {"imu", 0},
        {"Sensor_01.raw-x", 0},
        {"x.", 0},
        {"0", 0},
        {"-dash", 0},
    };
    shmseq_config cfg = {.width = 1, .capacity = 2};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *n = cases[i].name;
        int want = cases[i].want;
        assert_int_equal(shmseq_name_check(n), want);
        if (want == 0)
            continue;
        /* Every entry point refuses it, and nothing gets created. */
        shmseq_writer w;
        shmseq_reader r;
        shmseq_region_info info;
        assert_int_equal(shmseq_writer_open(&w, n, &cfg), want);
        assert_int_equal(shmseq_reader_open(&r, n, 0), want);
        assert_int_equal(shmseq_info(n, &info), want);
        assert_int_equal(shmseq_unlink(n), want);
        assert_true(region_absent(n));
    }

    /* A 64-character name really works end to end. */
    snprintf(max_name, sizeof max_name, "t-%ld-", (long)getpid());
    size_t len = strlen(max_name);
    memset(max_name + len, 'm', SHMSEQ_NAME_MAX - len);
    max_name[SHMSEQ_NAME_MAX] = '\0';
    (void)shmseq_unlink(max_name);
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, max_name, &cfg), 0);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(max_name), 0);
}

static void test_writer_bad_config(void **state)
{
    (void)state;
    const char *n = rname("badcfg");
    const shmseq_config bad[] = {
        {.width = 0, .capacity = 16},
        {.width = SHMSEQ_WIDTH_MAX + 1u, .capacity = 16},
        {.width = 2, .capacity = 0},
        {.width = 2, .capacity = 1},
        {.width = 2, .capacity = 3},
        {.width = 2, .capacity = 24},
        {.width = 2, .capacity = SHMSEQ_CAPACITY_MAX * 2u},
        {.width = 2, .capacity = 16, .flags = 0x80},
        {.width = 2, .capacity = 16, .flags = SHMSEQ_WRITER_RECREATE | 0x2u},
        {.width = 2, .capacity = 16, .mode = 01000},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        shmseq_writer w;
        assert_int_equal(shmseq_writer_open(&w, n, &bad[i]), -EINVAL);
        assert_true(region_absent(n));
    }
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, 0x2), -EINVAL);
    assert_int_equal(shmseq_reader_open(&r, n, 0x100), -EINVAL);
}

static void test_missing(void **state)
{
    (void)state;
    const char *n = rname("missing");
    shmseq_reader r;
    shmseq_region_info info;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -ENOENT);
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), -ENOENT);
    assert_int_equal(shmseq_info(n, &info), -ENOENT);
    assert_int_equal(shmseq_unlink(n), -ENOENT);
}

/* ---- open / publish / read ----------------------------------------------- */

static void test_open_publish_read(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 6, .capacity = 16};
    shmseq_writer w;
    shmseq_reader oldest, latest;
    const char *n = open_test_writer(&w, "basic", &cfg);
    assert_int_equal(shmseq_writer_epoch(&w), 1);
    assert_int_equal(shmseq_writer_next(&w), 0);
    assert_int_equal(shmseq_reader_open(&oldest, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_width(&oldest), 6);
    assert_int_equal(shmseq_reader_writer_alive(&oldest), 1);

    shmseq_sample m;
    double v[6];
    assert_int_equal(shmseq_read(&oldest, &m, v, 6), -EAGAIN);
    assert_int_equal(shmseq_read_latest(&oldest, &m, v, 6), -EAGAIN);
    for (uint64_t k = 0; k < 5; k++)
        publish_n(&w, k, 6);
    assert_int_equal(shmseq_reader_open(&latest, n, SHMSEQ_START_LATEST), 0);
    for (uint64_t k = 0; k < 5; k++)
        expect_read(&oldest, k, 0, 1);
    assert_int_equal(shmseq_read(&latest, &m, v, 6), -EAGAIN);
    assert_int_equal(shmseq_read(&oldest, &m, v, 5), -EMSGSIZE);

    /* Lapping: exact loss. */
    for (uint64_t k = 5; k < 5 + 16 * 3 + 5; k++)
        publish_n(&w, k, 6);
    uint64_t head = 5 + 16 * 3 + 5;
    uint64_t expect = 5, lost = 0;
    int rc;
    while ((rc = shmseq_read(&oldest, &m, v, 6)) == 0) {
        assert_int_equal(m.seq, expect + m.lost);
        assert_int_equal(shmseq_test_check(v, 6, m.seq, m.timestamp_ns), 0);
        lost += m.lost;
        expect = m.seq + 1;
    }
    assert_int_equal(rc, -EAGAIN);
    assert_true(lost > 0);
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&oldest, &st);
    assert_int_equal(st.lost, lost);
    assert_int_equal(st.received + st.lost, head);
    assert_int_equal(shmseq_read_latest(&latest, &m, v, 6), 0);
    assert_int_equal(m.seq, head - 1);
    assert_int_equal(m.lost, head - 1 - 5);

    /* read_wait with data ready returns it at once; with nothing, times out. */
    publish_n(&w, head, 6);
    assert_int_equal(shmseq_read_wait(&oldest, &m, v, 6, 0), 0);
    assert_int_equal(m.seq, head);
    assert_int_equal(shmseq_read_wait(&oldest, &m, v, 6, 0), -ETIMEDOUT);
    assert_int_equal(shmseq_read_wait(&oldest, &m, v, 6, 20000000), -ETIMEDOUT);
    assert_int_equal(shmseq_read_wait(&oldest, &m, v, 5, 0), -EMSGSIZE);

    shmseq_reader_close(&oldest);
    shmseq_reader_close(&oldest); /* twice is safe */
    shmseq_reader_close(&latest);
    shmseq_writer_close(&w);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

static void test_second_writer_busy(void **state)
{
    (void)state;
    const char *n = rname("busy");
    shmseq_config cfg = {.width = 2, .capacity = 8};
    shmseq_writer w1, w2;
    assert_int_equal(shmseq_writer_open(&w1, n, &cfg), 0);
    /* In this process ... */
    assert_int_equal(shmseq_writer_open(&w2, n, &cfg), -EBUSY);
    /* ... even asking to recreate it ... */
    shmseq_config re = cfg;
    re.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w2, n, &re), -EBUSY);
    /* ... and from another process. */
    pid_t pid = spawn();
    assert_true(pid >= 0);
    if (pid == 0) {
        shmseq_writer w;
        _exit(shmseq_writer_open(&w, n, &cfg) == -EBUSY ? 0 : 1);
    }
    int status = wait_child(pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    /* The refused attempts changed nothing. */
    publish_n(&w1, 0, 2);
    assert_int_equal(shmseq_writer_epoch(&w1), 1);
    shmseq_writer_close(&w1);
    /* Released on close: a new writer gets it. */
    assert_int_equal(shmseq_writer_open(&w2, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w2), 2);
    assert_int_equal(shmseq_writer_next(&w2), 1);
    shmseq_writer_close(&w2);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* Child: be the writer of @n, publish @count samples, tell the parent, then
 * wait to be killed. */
static void child_writer(const char *n, const shmseq_config *cfg,
                         uint64_t count, int fd)
{
    shmseq_writer w;
    if (shmseq_writer_open(&w, n, cfg) != 0)
        _exit(2);
    double v[SHMSEQ_WIDTH_MAX];
    for (uint64_t k = shmseq_writer_next(&w); count > 0; k++, count--) {
        shmseq_test_fill(v, cfg->width, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
    }
    char c = 'r';
    if (write(fd, &c, 1) != 1)
        _exit(3);
    for (;;)
        pause();
}

static void test_killed_writer_takeover(void **state)
{
    (void)state;
    const char *n = rname("kill");
    shmseq_config cfg = {.width = 3, .capacity = 16};
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = spawn();
    assert_true(pid >= 0);
    if (pid == 0)
        child_writer(n, &cfg, 10, fds[1]);
    char c;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    close(fds[1]);

    shmseq_reader current, lagging;
    assert_int_equal(shmseq_reader_open(&current, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_open(&lagging, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_writer_alive(&current), 1);
    for (uint64_t k = 0; k < 10; k++)
        expect_read(&current, k, 0, 1);
    expect_read(&lagging, 0, 0, 1);

    /* While it lives, nobody else may write. */
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBUSY);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status = wait_child(pid);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    assert_int_equal(shmseq_reader_writer_alive(&current), 0);
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.writer_alive, 0);
    assert_int_equal(info.epoch, 1);
    assert_int_equal(info.head, 10);

    /* The region survives its writer; a new one takes over. */
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w), 2);
    assert_int_equal(shmseq_writer_next(&w), 10);
    assert_int_equal(shmseq_reader_writer_alive(&current), 1);
    for (uint64_t k = 10; k < 14; k++)
        publish_n(&w, k, 3);

    /* The caught-up reader sees the numbering continue under epoch 2. */
    for (uint64_t k = 10; k < 14; k++)
        expect_read(&current, k, 0, 2);
    for (uint64_t k = 14; k < 50; k++)
        publish_n(&w, k, 3);
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&current, &st);
    assert_int_equal(st.epoch, 2);
    assert_int_equal(st.epoch_changes, 1);

    /* The lagging reader counts what it lost across the takeover. */
    shmseq_sample m;
    double v[3];
    assert_int_equal(shmseq_read(&lagging, &m, v, 3), 0);
    assert_true(m.lost > 0);
    assert_int_equal(m.seq, 1 + m.lost);
    assert_int_equal(m.epoch, 2);
    assert_int_equal(shmseq_test_check(v, 3, m.seq, m.timestamp_ns), 0);
    while (shmseq_read(&lagging, &m, v, 3) == 0)
        assert_int_equal(shmseq_test_check(v, 3, m.seq, m.timestamp_ns), 0);
    shmseq_reader_get_stats(&lagging, &st);
    assert_int_equal(st.received + st.lost, 50);
    assert_int_equal(st.epoch_changes, 1);

    shmseq_reader_close(&current);
    shmseq_reader_close(&lagging);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* Child: take the region over and publish until killed. */
static void child_flat_out(const char *n, const shmseq_config *cfg)
{
    shmseq_writer w;
    int rc;
    while ((rc = shmseq_writer_open(&w, n, cfg)) == -EBUSY)
        sleep_ms(1); /* the previous child's lock is released at its exit */
    if (rc != 0)
        _exit(2);
    double v[SHMSEQ_WIDTH_MAX];
    for (uint64_t k = shmseq_writer_next(&w);; k++) {
        shmseq_test_fill(v, cfg->width, k);
        shmseq_publish(&w, v, shmseq_test_ts(k));
    }
}

/* Writers killed at arbitrary instructions mid-stream: the reader never
 * hangs, never sees a torn sample, and every number is received or lost. */
static void test_killed_midstream(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 5, .capacity = 8};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "midkill", &cfg);
    shmseq_writer_close(&w);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL), 0);

    const int rounds = (int)shmseq_test_scaled(12, 3);
    uint64_t expect = 0, received = 0;
    uint32_t epoch = 0;
    shmseq_sample m;
    double v[5];
    for (int i = 0; i < rounds; i++) {
        pid_t pid = spawn();
        assert_true(pid >= 0);
        if (pid == 0)
            child_flat_out(n, &cfg);
        /* Read until this child's samples flow, then kill it. */
        uint64_t got = 0;
        uint64_t deadline = shmseq_now_ns() + 30ull * 1000000000u;
        while (got < 200 && shmseq_now_ns() < deadline) {
            int rc = shmseq_read(&r, &m, v, 5);
            if (rc == -EAGAIN)
                continue;
            assert_int_equal(rc, 0);
            assert_int_equal(m.seq, expect + m.lost);
            assert_int_equal(shmseq_test_check(v, 5, m.seq, m.timestamp_ns), 0);
            assert_true(m.epoch >= epoch);
            if (m.epoch == (uint32_t)i + 2u)
                got++;
            epoch = m.epoch;
            expect = m.seq + 1;
            received++;
        }
        assert_int_equal(got, 200);
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status = wait_child(pid);
        assert_true(WIFSIGNALED(status));
        /* Whatever it left, reading stays bounded. */
        for (int k = 0; k < 1000; k++) {
            int rc = shmseq_read(&r, &m, v, 5);
            if (rc == -EAGAIN)
                continue;
            assert_int_equal(rc, 0);
            assert_int_equal(m.seq, expect + m.lost);
            assert_int_equal(shmseq_test_check(v, 5, m.seq, m.timestamp_ns), 0);
            expect = m.seq + 1;
            received++;
        }
    }
    /* A last writer repairs whatever the last kill left and goes on. */
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w), (uint32_t)rounds + 2u);
    uint64_t next = shmseq_writer_next(&w);
    publish_n(&w, next, 5);
    int rc;
    uint64_t deadline = shmseq_now_ns() + 10ull * 1000000000u;
    while ((rc = shmseq_read(&r, &m, v, 5)) == 0 || shmseq_now_ns() < deadline) {
        if (rc != 0)
            continue;
        assert_int_equal(m.seq, expect + m.lost);
        assert_int_equal(shmseq_test_check(v, 5, m.seq, m.timestamp_ns), 0);
        expect = m.seq + 1;
        received++;
        if (m.seq == next)
            break;
    }
    assert_int_equal(m.seq, next);
    assert_int_equal(m.epoch, (uint32_t)rounds + 2u);
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    assert_int_equal(st.received, received);
    assert_int_equal(st.received + st.lost, next + 1);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* ---- foreign, truncated and other-version regions ------------------------ */

static void test_other_geometry(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "geom", &cfg);
    publish_n(&w, 0, 2);
    shmseq_writer_close(&w);

    shmseq_config wider = {.width = 3, .capacity = 16};
    shmseq_config longer = {.width = 2, .capacity = 32};
    assert_int_equal(shmseq_writer_open(&w, n, &wider), -EEXIST);
    assert_int_equal(shmseq_writer_open(&w, n, &longer), -EEXIST);
    /* The refused writers left it intact. */
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.width, 2);
    assert_int_equal(info.head, 1);

    wider.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &wider), 0);
    assert_int_equal(shmseq_writer_epoch(&w), 1); /* a new region */
    assert_int_equal(shmseq_writer_next(&w), 0);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_width(&r), 3);
    publish_n(&w, 0, 3);
    expect_read(&r, 0, 0, 1);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

static void test_truncated_region(void **state)
{
    (void)state;
    const char *n = rname("trunc");
    char path[SHMSEQ_NAME_MAX + 16];
    snprintf(path, sizeof path, "/shmseq.%s", n);
    int fd = shm_open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 100), 0);
    close(fd);

    shmseq_reader r;
    shmseq_region_info info;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EBADMSG);
    assert_int_equal(shmseq_info(n, &info), -EBADMSG);

    /* A 100-byte file is not empty and not a region: a writer refuses it
     * unless told to replace it, and then says what it replaced. */
    shmseq_config cfg = {.width = 2, .capacity = 4};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBADMSG);
    cfg.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_replaced(&w), -EBADMSG);
    assert_int_equal(shmseq_writer_epoch(&w), 1);
    publish_n(&w, 0, 2);
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    expect_read(&r, 0, 0, 1);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);

    /* A file shorter than its header says: refused, never mapped past. */
    fd = shm_open(path, O_RDWR, 0);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)shmseq_region_size(2, 4) - 64), 0);
    close(fd);
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EBADMSG);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* Overwrite the 32-bit word at byte @offset of region @n. */
static void patch_word(const char *n, size_t offset, uint32_t value)
{
    char path[SHMSEQ_NAME_MAX + 16];
    snprintf(path, sizeof path, "/shmseq.%s", n);
    int fd = shm_open(path, O_RDWR, 0);
    assert_true(fd >= 0);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(p != MAP_FAILED);
    memcpy((unsigned char *)p + offset, &value, sizeof value);
    munmap(p, 4096);
    close(fd);
}

static void test_other_version(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "version", &cfg);
    shmseq_writer_close(&w);
    patch_word(n, 4, SHMSEQ_LAYOUT_VERSION + 1u); /* layout version word */

    shmseq_reader r;
    shmseq_region_info info;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EPROTO);
    assert_int_equal(shmseq_info(n, &info), -EPROTO);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EPROTO);

    /* The other byte order is refused the same way. */
    patch_word(n, 4, SHMSEQ_LAYOUT_VERSION);
    patch_word(n, 8, 0x04030201u); /* byte-order mark, swapped */
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EPROTO);
    /* Garbage is corrupt, not "other version". */
    patch_word(n, 0, 0x12345678u);
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EBADMSG);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBADMSG);

    cfg.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_reader_open(&r, n, 0), 0);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* ---- unlink, info, strerror ---------------------------------------------- */

static void test_unlink(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 1, .capacity = 2};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "unlink", &cfg);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_unlink(n), -EBUSY);
    publish_n(&w, 0, 1);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
    assert_true(region_absent(n));
    assert_int_equal(shmseq_unlink(n), -ENOENT);
    /* An attached reader keeps its mapping. */
    expect_read(&r, 0, 0, 1);
    shmseq_reader_close(&r);
    assert_int_equal(shmseq_reader_open(&r, n, 0), -ENOENT);
}

/* A writer that recreates the region (another geometry) leaves attached
 * readers on the old object: they are told so (-ESTALE), not "a writer is
 * alive" from the new object's lock, and a reopen follows the new one. */
static void test_recreated_under_reader(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 2, .capacity = 8};
    shmseq_writer w;
    shmseq_reader r;
    const char *n = open_test_writer(&w, "recreated", &cfg);
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_writer_alive(&r), 1);
    publish_n(&w, 0, 2);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_reader_writer_alive(&r), 0);

    shmseq_config wider = {.width = 3, .capacity = 8,
                           .flags = SHMSEQ_WRITER_RECREATE};
    assert_int_equal(shmseq_writer_open(&w, n, &wider), 0);
    assert_int_equal(shmseq_reader_writer_alive(&r), -ESTALE);
    assert_non_null(strstr(shmseq_strerror(-ESTALE), "open it again"));
    /* What was published before stays readable; nothing new arrives. */
    expect_read(&r, 0, 0, 1);
    publish_n(&w, 0, 3);
    double v[3];
    shmseq_sample m;
    assert_int_equal(shmseq_read(&r, &m, v, 3), -EAGAIN);
    shmseq_reader_close(&r);
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    assert_int_equal(shmseq_reader_writer_alive(&r), 1);
    expect_read(&r, 0, 0, 1);
    assert_int_equal(shmseq_reader_width(&r), 3);
    shmseq_writer_close(&w);

    /* Removed, not replaced: -ENOENT, as before. */
    assert_int_equal(shmseq_unlink(n), 0);
    assert_int_equal(shmseq_reader_writer_alive(&r), -ENOENT);
    shmseq_reader_close(&r);
}

static void test_info(void **state)
{
    (void)state;
    const char *n = rname("info");
    shmseq_config cfg = {.width = 3, .capacity = 32};
    uint64_t before_mono = shmseq_now_ns();
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    uint64_t before_rt = (uint64_t)rt.tv_sec * 1000000000u - 1000000000u;
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    for (uint64_t k = 0; k < 5; k++)
        publish_n(&w, k, 3);
    shmseq_region_info info;
    memset(&info, 0xee, sizeof info);
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.layout_version, SHMSEQ_LAYOUT_VERSION);
    assert_int_equal(info.header_size, SHMSEQ_HEADER_SIZE);
    assert_int_equal(info.slot_size, shmseq_slot_size(3));
    assert_int_equal(info.width, 3);
    assert_int_equal(info.capacity, 32);
    assert_int_equal(info.epoch, 1);
    assert_int_equal(info.writer_pid, (uint32_t)getpid());
    assert_int_equal(info.writer_alive, 1);
    assert_int_equal(info.region_size, shmseq_region_size(3, 32));
    assert_int_equal(info.head, 5);
    assert_true(info.created_monotonic_ns >= before_mono);
    assert_true(info.created_monotonic_ns <= shmseq_now_ns());
    assert_true(info.created_realtime_ns >= before_rt);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.writer_alive, 0);
    assert_int_equal(info.writer_pid, 0);
    assert_int_equal(info.head, 5);
    assert_int_equal(shmseq_unlink(n), 0);
}

static void test_strerror(void **state)
{
    (void)state;
    /* Every code the public API documents. */
    const int codes[] = {0, EINVAL, ENAMETOOLONG, EBUSY, EEXIST, EPROTO,
                         EBADMSG, EACCES, ENOSPC, ENOMEM, ENOSYS, ENOENT,
                         EAGAIN, EMSGSIZE, ETIMEDOUT, EINTR, EPERM, ESTALE};
    const size_t n = sizeof codes / sizeof codes[0];
    const char *text[sizeof codes / sizeof codes[0]];
    for (size_t i = 0; i < n; i++) {
        text[i] = shmseq_strerror(-codes[i]);
        assert_non_null(text[i]);
        assert_true(strlen(text[i]) > 0);
        assert_string_equal(text[i], shmseq_strerror(codes[i]));
        /* The library is used by programs it does not know: no sentence
         * names one, nor a placeholder for a command line. */
        assert_null(strstr(text[i], "shmseq rm"));
        assert_null(strstr(text[i], "sensor_reader"));
        assert_null(strstr(text[i], "NAME"));
        /* One table gives the name too. */
        assert_non_null(shmseq_errname(-codes[i]));
        assert_string_equal(shmseq_errname(-codes[i]),
                            shmseq_errname(codes[i]));
        for (size_t j = 0; j < i; j++)
            if (strcmp(text[i], text[j]) == 0)
                fail_msg("codes %d and %d share the text \"%s\"", codes[i],
                         codes[j], text[i]);
    }
    assert_string_equal(shmseq_errname(-EBUSY), "EBUSY");
    assert_string_equal(shmseq_errname(-EBADMSG), "EBADMSG");
    assert_string_equal(shmseq_errname(0), "OK");
    assert_null(shmseq_errname(-EXDEV)); /* never returned by shmseq */
    /* Unknown values still get a text. */
    assert_non_null(shmseq_strerror(-12345));
    assert_true(strlen(shmseq_strerror(-EXDEV)) > 0);
}

/* ---- blocking reads ------------------------------------------------------ */

static void test_read_wait_cross_process(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 4, .capacity = 8};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "wait", &cfg);
    shmseq_writer_close(&w);

    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_LATEST), 0);
    shmseq_sample m;
    double v[4];
    assert_int_equal(shmseq_read_wait(&r, &m, v, 4, 10000000), -ETIMEDOUT);

    /* The writer publishes from another process while we sleep. */
    pid_t pid = spawn();
    assert_true(pid >= 0);
    if (pid == 0) {
        sleep_ms(100);
        shmseq_writer cw;
        if (shmseq_writer_open(&cw, n, &cfg) != 0)
            _exit(2);
        double cv[4];
        for (uint64_t k = 0; k < 3; k++) {
            shmseq_test_fill(cv, 4, k);
            shmseq_publish(&cw, cv, shmseq_test_ts(k));
            sleep_ms(50);
        }
        shmseq_writer_close(&cw);
        _exit(0);
    }
    for (uint64_t k = 0; k < 3; k++) {
        assert_int_equal(shmseq_read_wait(&r, &m, v, 4, 30ll * 1000000000), 0);
        assert_int_equal(m.seq, k);
        assert_int_equal(m.epoch, 2);
        assert_int_equal(shmseq_test_check(v, 4, k, m.timestamp_ns), 0);
    }
    int status = wait_child(pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_int_equal(shmseq_read_wait(&r, &m, v, 4, 1000000), -ETIMEDOUT);

    /* Forever (-1) also returns when a sample comes. */
    pid = spawn();
    assert_true(pid >= 0);
    if (pid == 0) {
        sleep_ms(50);
        shmseq_writer cw;
        if (shmseq_writer_open(&cw, n, &cfg) != 0)
            _exit(2);
        double cv[4];
        shmseq_test_fill(cv, 4, 3);
        shmseq_publish(&cw, cv, shmseq_test_ts(3));
        shmseq_writer_close(&cw);
        _exit(0);
    }
    assert_int_equal(shmseq_read_wait(&r, &m, v, 4, -1), 0);
    assert_int_equal(m.seq, 3);
    status = wait_child(pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    shmseq_reader_close(&r);
    assert_int_equal(shmseq_unlink(n), 0);
}

/* Voluntary context switches of the calling thread: one per sleep. */
static long voluntary_switches(void)
{
    struct rusage ru;
    assert_int_equal(getrusage(RUSAGE_THREAD, &ru), 0);
    return ru.ru_nvcsw;
}

/*
 * SHMSEQ_WRITER_NO_WAKE: a reader asleep on the futex word under a waking
 * writer must not be stranded when a "never wakes" writer takes over: the
 * new writer wakes it once, and from then on it polls and gets every
 * sample. Stranded, it would sleep out its whole 20 s timeout.
 */
static void test_no_wake_takeover(void **state)
{
    (void)state;
    const char *n = rname("nowake");
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_config quiet = {.width = 2, .capacity = 16,
                           .flags = SHMSEQ_WRITER_NO_WAKE};
    shmseq_region_info info;
    shmseq_writer w;

    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.no_wake, 0);
    /* Fork with no writer open: a child shares its parent's writer lock. */
    shmseq_writer_close(&w);

    /* The child says when its reader is open, so sample 0 cannot be
     * published before it attaches (START_LATEST would then skip it). */
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = spawn();
    assert_true(pid >= 0);
    if (pid == 0) {
        shmseq_reader cr;
        shmseq_sample m;
        double v[2];
        close(ready[0]);
        if (shmseq_reader_open(&cr, n, SHMSEQ_START_LATEST) != 0)
            _exit(2);
        if (write(ready[1], "r", 1) != 1)
            _exit(6);
        close(ready[1]);
        for (uint64_t k = 0; k < 3; k++) {
            uint64_t t0 = shmseq_now_ns();
            if (shmseq_read_wait(&cr, &m, v, 2, 20ll * 1000000000) != 0)
                _exit(3);
            if (m.seq != k || m.lost != 0 ||
                shmseq_test_check(v, 2, m.seq, m.timestamp_ns) != 0)
                _exit(4);
            if (shmseq_now_ns() - t0 > 10ull * 1000000000)
                _exit(5); /* slept out its timeout: never woken */
        }
        _exit(0);
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    /* Hold the window: the child asleep on the futex word before the
     * writer changes mode (bounded: 10 s). */
    assert_true(shmseq_test_wait_asleep(pid, 50000));
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_writer_open(&w, n, &quiet), 0);
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.no_wake, 1);
    for (uint64_t k = 0; k < 3; k++) {
        sleep_ms(20);
        publish_n(&w, k, 2);
    }
    int status = wait_child(pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* The next ordinary writer gives readers their sleep back. */
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.no_wake, 0);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_unlink(n), 0);
}

/*
 * shmseq_reader_set_spin(): a sample that comes within the budget is taken
 * without sleeping (no voluntary context switch: the reader never left the
 * CPU), the budget never outlasts the timeout, and without a budget the
 * reader does sleep.
 */
static void test_spin_then_sleep(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 1, .capacity = 8};
    shmseq_writer w;
    shmseq_reader r;
    shmseq_sample m;
    double v[1];

    const char *n = open_test_writer(&w, "spin", &cfg);
    shmseq_writer_close(&w);
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_LATEST), 0);

    /* The budget is cut to the timeout. */
    shmseq_reader_set_spin(&r, 30ull * 1000000000);
    uint64_t t0 = shmseq_now_ns();
    assert_int_equal(shmseq_read_wait(&r, &m, v, 1, 20000000), -ETIMEDOUT);
    assert_true(shmseq_now_ns() - t0 < 5ull * 1000000000);

    for (int spin = 1; spin >= 0; spin--) {
        shmseq_reader_set_spin(&r, spin ? 10ull * 1000000000 : 0);
        uint64_t k = (uint64_t)(1 - spin);
        pid_t pid = spawn();
        assert_true(pid >= 0);
        if (pid == 0) {
            sleep_ms(50);
            shmseq_writer cw;
            if (shmseq_writer_open(&cw, n, &cfg) != 0)
                _exit(2);
            double cv[1];
            shmseq_test_fill(cv, 1, k);
            shmseq_publish(&cw, cv, shmseq_test_ts(k));
            shmseq_writer_close(&cw);
            _exit(0);
        }
        long before = voluntary_switches();
        assert_int_equal(shmseq_read_wait(&r, &m, v, 1, 20ll * 1000000000), 0);
        long slept = voluntary_switches() - before;
        assert_int_equal(m.seq, k);
        if (spin)
            assert_int_equal(slept, 0);
        else
            assert_true(slept >= 1);
        int status = wait_child(pid);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    shmseq_reader_close(&r);
    assert_int_equal(shmseq_unlink(n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_name_check, cleanup),
        cmocka_unit_test_teardown(test_writer_bad_config, cleanup),
        cmocka_unit_test_teardown(test_missing, cleanup),
        cmocka_unit_test_teardown(test_open_publish_read, cleanup),
        cmocka_unit_test_teardown(test_second_writer_busy, cleanup),
        cmocka_unit_test_teardown(test_killed_writer_takeover, cleanup),
        cmocka_unit_test_teardown(test_killed_midstream, cleanup),
        cmocka_unit_test_teardown(test_other_geometry, cleanup),
        cmocka_unit_test_teardown(test_truncated_region, cleanup),
        cmocka_unit_test_teardown(test_other_version, cleanup),
        cmocka_unit_test_teardown(test_unlink, cleanup),
        cmocka_unit_test_teardown(test_recreated_under_reader, cleanup),
        cmocka_unit_test_teardown(test_info, cleanup),
        cmocka_unit_test_teardown(test_strerror, cleanup),
        cmocka_unit_test_teardown(test_read_wait_cross_process, cleanup),
        cmocka_unit_test_teardown(test_no_wake_takeover, cleanup),
        cmocka_unit_test_teardown(test_spin_then_sleep, cleanup),
    };
    return cmocka_run_group_tests_name("region", tests, NULL, NULL);
}
