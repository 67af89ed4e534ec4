/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the batch reads, shmseq_read_many() and
 * shmseq_read_many_wait() (src/region.c over core's
 * shmseq_ring_read_many()): rows land at the stride, a batch is capped by
 * max_n and by what is there (max_n larger than the ring included), the
 * loss accounting is exactly that of single reads on the same stream, the
 * argument errors consume nothing, and the waiting variant returns as soon
 * as one sample is there instead of waiting to fill the batch (held open
 * by a child writer that stops after one sample until the parent has
 * returned). Also the handle sizes that bindings allocate by.
 * Region names carry the pid; every region is removed.
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
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#define TEST_REGION_PREFIX "rm"
#include "shmseq_test_region.h"

static void publish_range(shmseq_writer *w, uint64_t from, uint64_t to,
                          uint32_t width)
{
    double v[SHMSEQ_WIDTH_MAX];
    for (uint64_t k = from; k < to; k++) {
        assert_int_equal(shmseq_writer_next(w), k);
        shmseq_test_fill(v, width, k);
        assert_int_equal(shmseq_publish(w, v, shmseq_test_ts(k)), 0);
    }
}

static void open_pair(const char *n, uint32_t width, uint32_t capacity,
                      shmseq_writer *w, shmseq_reader *r, unsigned flags)
{
    shmseq_config cfg = {.width = width, .capacity = capacity};
    assert_int_equal(shmseq_writer_open(w, n, &cfg), 0);
    assert_int_equal(shmseq_reader_open(r, n, flags), 0);
}

/* Rows at the stride, the padding between them untouched, batches capped
 * by max_n and by what is there. */
static void test_rows_and_caps(void **state)
{
    (void)state;
    const char *n = rname("rows");
    shmseq_writer w;
    shmseq_reader r;
    open_pair(n, 3, 8, &w, &r, SHMSEQ_START_OLDEST);
    publish_range(&w, 0, 5, 3);

    enum { STRIDE = 4, MAXN = 16 };
    shmseq_sample m[MAXN];
    double v[MAXN][STRIDE];
    for (int i = 0; i < MAXN; i++)
        for (int j = 0; j < STRIDE; j++)
            v[i][j] = -1.0;
    assert_int_equal(shmseq_read_many(&r, m, &v[0][0], STRIDE, 3), 3);
    assert_int_equal(shmseq_read_many(&r, m + 3, &v[3][0], STRIDE, MAXN - 3), 2);
    for (uint64_t k = 0; k < 5; k++) {
        assert_int_equal(m[k].seq, k);
        assert_int_equal(m[k].lost, 0);
        assert_int_equal(m[k].epoch, 1);
        assert_int_equal(m[k].width, 3);
        assert_int_equal(shmseq_test_check(v[k], 3, k, m[k].timestamp_ns), 0);
        assert_true(v[k][3] == -1.0); /* past the width: not written */
    }
    assert_true(v[5][0] == -1.0); /* past the count: not written */
    assert_int_equal(shmseq_read_many(&r, m, &v[0][0], STRIDE, MAXN), -EAGAIN);

    /* Dense rows (stride == width), and max_n far beyond the ring. */
    publish_range(&w, 5, 13, 3);
    double dense[1000][3];
    shmseq_sample dm[1000];
    assert_int_equal(shmseq_read_many(&r, dm, &dense[0][0], 3, 1000), 8);
    for (uint64_t k = 0; k < 8; k++) {
        assert_int_equal(dm[k].seq, 5 + k);
        assert_int_equal(shmseq_test_check(dense[k], 3, 5 + k, dm[k].timestamp_ns), 0);
    }
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    assert_int_equal(st.received, 13);
    assert_int_equal(st.lost, 0);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
}

/* Two readers of one stream, one with single reads and one with batches
 * of various sizes, agree sample for sample, loss for loss: the writer
 * laps both between rounds. */
static void test_same_accounting_as_single_reads(void **state)
{
    (void)state;
    const char *n = rname("acct");
    shmseq_writer w;
    shmseq_reader one, many;
    open_pair(n, 2, 8, &w, &one, SHMSEQ_START_OLDEST);
    assert_int_equal(shmseq_reader_open(&many, n, SHMSEQ_START_OLDEST), 0);

    static const uint32_t burst[] = {3, 20, 1, 8, 9, 0, 33, 5};
    static const uint32_t batch[] = {1, 2, 7, 64, 3, 5, 4, 1};
    uint64_t next = 0;
    for (size_t round = 0; round < sizeof burst / sizeof burst[0]; round++) {
        publish_range(&w, next, next + burst[round], 2);
        next += burst[round];

        shmseq_sample ms[64], mm[64];
        double vs[64][2], vm[64][2];
        int ns = 0;
        while (ns < 64 && shmseq_read(&one, &ms[ns], vs[ns], 2) == 0)
            ns++;
        int nm = 0;
        for (;;) {
            int rc = shmseq_read_many(&many, &mm[nm], vm[nm], 2,
                                      batch[round] < (uint32_t)(64 - nm)
                                          ? batch[round]
                                          : (uint32_t)(64 - nm));
            if (rc == -EAGAIN)
                break;
            assert_true(rc >= 1 && (uint32_t)rc <= batch[round]);
            nm += rc;
        }
        assert_int_equal(nm, ns);
        for (int i = 0; i < ns; i++) {
            assert_int_equal(mm[i].seq, ms[i].seq);
            assert_int_equal(mm[i].lost, ms[i].lost);
            assert_int_equal(mm[i].timestamp_ns, ms[i].timestamp_ns);
            assert_int_equal(shmseq_test_check(vm[i], 2, mm[i].seq,
                                               mm[i].timestamp_ns), 0);
        }
    }
    shmseq_reader_stats a, b;
    shmseq_reader_get_stats(&one, &a);
    shmseq_reader_get_stats(&many, &b);
    assert_int_equal(a.received, b.received);
    assert_int_equal(a.lost, b.lost);
    assert_true(b.lost > 0); /* the writer did lap them */
    assert_int_equal(b.received + b.lost, next - b.first);
    assert_int_equal(b.next, next);
    shmseq_reader_close(&many);
    shmseq_reader_close(&one);
    shmseq_writer_close(&w);
}

/* Bad arguments are refused before anything is consumed; NULL meta or
 * values still consume and count. */
static void test_arguments(void **state)
{
    (void)state;
    const char *n = rname("args");
    shmseq_writer w;
    shmseq_reader r;
    open_pair(n, 4, 4, &w, &r, SHMSEQ_START_OLDEST);
    publish_range(&w, 0, 3, 4);

    shmseq_sample m[4];
    double v[4][4];
    assert_int_equal(shmseq_read_many(&r, m, &v[0][0], 4, 0), -EINVAL);
    assert_int_equal(shmseq_read_many(&r, m, &v[0][0], 3, 4), -EMSGSIZE);
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 4, 0, -1), -EINVAL);
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 3, 4, -1), -EMSGSIZE);
    /* Nothing consumed: sample 0 comes next. */
    assert_int_equal(shmseq_read_many(&r, m, NULL, 0, 1), 1);
    assert_int_equal(m[0].seq, 0);
    assert_int_equal(shmseq_read_many(&r, NULL, NULL, 0, 4), 2);
    assert_int_equal(shmseq_read_many(&r, NULL, NULL, 0, 4), -EAGAIN);
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    assert_int_equal(st.received, 3);
    assert_int_equal(st.next, 3);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* The waiting batch read returns with the first sample: the child
 * publishes one, then holds the rest back until the parent has returned
 * (a pipe), so a read that waited to fill its batch would hang. */
static void test_wait_returns_with_one(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "wait", &cfg);
    shmseq_writer_close(&w);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_LATEST), 0);

    shmseq_sample m[16];
    double v[16][2];
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 2, 16, 0), -ETIMEDOUT);
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 2, 16, 5000000),
                     -ETIMEDOUT);

    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t child = spawn();
    assert_true(child >= 0);
    if (child == 0) {
        close(go[1]);
        shmseq_writer cw;
        if (shmseq_writer_open(&cw, n, &cfg) != 0)
            _exit(2);
        sleep_ms(50); /* let the parent fall asleep first */
        double cv[2];
        shmseq_test_fill(cv, 2, 0);
        shmseq_publish(&cw, cv, shmseq_test_ts(0));
        char c;
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        for (uint64_t k = 1; k < 5; k++) {
            shmseq_test_fill(cv, 2, k);
            shmseq_publish(&cw, cv, shmseq_test_ts(k));
        }
        shmseq_writer_close(&cw);
        _exit(0);
    }
    close(go[0]);
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 2, 16, 30ll * 1000000000), 1);
    assert_int_equal(m[0].seq, 0);
    assert_int_equal(shmseq_test_check(v[0], 2, 0, m[0].timestamp_ns), 0);
    assert_int_equal(write(go[1], "g", 1), 1);
    close(go[1]);
    int status = wait_child(child);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* Already there: taken without waiting, capped by max_n. */
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 2, 3, -1), 3);
    assert_int_equal(shmseq_read_many_wait(&r, m + 3, &v[3][0], 2, 16, 0), 1);
    for (uint64_t k = 1; k < 5; k++) {
        assert_int_equal(m[k - 1].seq, k);
        assert_int_equal(shmseq_test_check(v[k - 1], 2, k, m[k - 1].timestamp_ns), 0);
    }
    assert_int_equal(shmseq_read_many_wait(&r, m, &v[0][0], 2, 16, 1000000),
                     -ETIMEDOUT);
    shmseq_reader_close(&r);
}

/* What a binding allocates (the Python package) is what C allocates. */
static void test_handle_sizes(void **state)
{
    (void)state;
    assert_int_equal(shmseq_writer_handle_size(), sizeof(shmseq_writer));
    assert_int_equal(shmseq_reader_handle_size(), sizeof(shmseq_reader));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_rows_and_caps, cleanup),
        cmocka_unit_test_teardown(test_same_accounting_as_single_reads, cleanup),
        cmocka_unit_test_teardown(test_arguments, cleanup),
        cmocka_unit_test_teardown(test_wait_returns_with_one, cleanup),
        cmocka_unit_test(test_handle_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
