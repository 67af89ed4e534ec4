/* SPDX-License-Identifier: MIT */
/*
 * Recovery of damaged binary logs (shmseq_log_recover() in sink/logfmt.c),
 * with the damage made at EVERY byte offset of a small log: a cut, a hole
 * of 1, 5 and one record's bytes, a flipped bit in the header and in the
 * records; and two logs joined into one file, a rotated log's segments
 * joined in and out of order, another run's record in place of one of
 * this run's, a header damaged beyond one bit. Each time: every intact
 * record comes back, exactly once and unchanged, every output verifies
 * clean (no skip, gap or step back), the samples missing in the damage are
 * counted as lost in the record after them, and the scan says where the
 * damage starts. The number of damaged logs checked is printed.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <shmseq/logfmt.h>

#define W 2u
#define N 20u
#define RS SHMSEQ_LOG_RECORD_SIZE(W)
#define HS SHMSEQ_LOG_HEADER_SIZE
#define LEN (HS + N * RS)
#define SEQ0 1000u
#define OUTS 4u

static unsigned char log_a[LEN], log_b[LEN], work[4 * LEN];
static unsigned char out[OUTS][4 * LEN];
static size_t out_len[OUTS];

static void make_header(shmseq_log_header *h, uint64_t run_id,
                        uint32_t segment, uint64_t head)
{
    memset(h, 0, sizeof *h);
    h->width = W;
    h->capacity = 256;
    h->epoch = 1;
    h->segment = segment;
    h->head = head;
    h->run_id = run_id;
    strcpy(h->name, "damage");
}

static void make_record(shmseq_log_record *r, uint64_t seq)
{
    memset(r, 0, sizeof *r);
    r->seq = seq;
    r->timestamp_ns = 7000u * seq;
    r->epoch = 1;
    r->width = W;
    r->values[0] = (double)seq * 0.5;
    r->values[1] = -(double)seq;
}

/* A log of @p n records seq first.., under @p run_id; its length. */
static size_t build(unsigned char *buf, uint64_t run_id, uint32_t segment,
                    uint64_t first, uint32_t n)
{
    shmseq_log_header h;
    shmseq_log_record r;
    size_t off = HS;
    uint32_t i;

    make_header(&h, run_id, segment, first);
    shmseq_log_header_encode(&h, buf);
    for (i = 0; i < n; i++) {
        make_record(&r, first + i);
        off += shmseq_log_record_encode(&r, shmseq_log_record_seed(&h),
                                        buf + off);
    }
    return off;
}

static int capture(void *ctx, unsigned index, const unsigned char *b,
                   size_t n)
{
    (void)ctx;
    if (index >= OUTS || out_len[index] + n > sizeof out[0])
        return 1;
    memcpy(out[index] + out_len[index], b, n);
    out_len[index] += n;
    return 0;
}

static FILE *open_mem(const unsigned char *buf, size_t len)
{
    /* fmemopen may refuse an empty buffer: an empty file is /dev/null. */
    FILE *f = len != 0 ? fmemopen((void *)(uintptr_t)buf, len, "r")
                       : fopen("/dev/null", "r");

    assert_non_null(f);
    return f;
}

static int recover(const unsigned char *buf, size_t len,
                   shmseq_log_recovery *rv)
{
    FILE *f = open_mem(buf, len);
    int rc;

    memset(out_len, 0, sizeof out_len);
    memset(rv, 0, sizeof *rv);
    rc = shmseq_log_recover(f, rv, capture, NULL, NULL);
    fclose(f);
    return rc;
}

/* What an output holds: which seqs (a bitmap over SEQ0-64..), how many. */
typedef struct seen {
    unsigned char have[256];
    uint64_t n, lost;
    int dup, bad;
} seen;

static int collect(void *ctx, const shmseq_log_scan *s,
                   const shmseq_log_record *r)
{
    seen *v = ctx;
    shmseq_log_record want;
    uint64_t i;

    if (s->event != SHMSEQ_LOG_EV_RECORD)
        return 0;
    i = r->seq - (SEQ0 - 64u);
    make_record(&want, r->seq);
    if (i >= sizeof v->have || r->timestamp_ns != want.timestamp_ns ||
        memcmp(r->values, want.values, W * sizeof(double)) != 0) {
        v->bad = 1;
        return 0;
    }
    if (v->have[i]++ != 0)
        v->dup = 1;
    v->n++;
    v->lost += r->lost_before;
    return 0;
}

/* Output @p index verifies clean; its records are added to @p v. */
static void expect_clean(unsigned index, seen *v)
{
    shmseq_log_scan s;
    FILE *f = open_mem(out[index], out_len[index]);

    memset(&s, 0, sizeof s);
    assert_int_equal(shmseq_log_scan_file(f, &s, collect, v), 0);
    fclose(f);
    assert_int_equal(s.header_state, SHMSEQ_LOG_HEADER_INTACT);
    assert_int_equal(s.skips + s.torn_bytes + s.gaps + s.backwards, 0);
    assert_int_equal(s.headers, 0);
    assert_int_equal(v->bad, 0);
    assert_int_equal(v->dup, 0);
}

/* Record i of log_a is intact in the damaged copy @p buf (@p len bytes,
 * @p gone bytes fewer than log_a) if its bytes are there unchanged, where
 * it was or moved back by the bytes gone (a coincidence can leave a
 * record touched by a hole intact: the scanner must then keep it too). */
static int intact(const unsigned char *buf, size_t len, size_t gone,
                  uint32_t i)
{
    size_t a = HS + (size_t)i * RS;

    return (a + RS <= len && memcmp(buf + a, log_a + a, RS) == 0) ||
           (gone != 0 && a >= gone && a - gone + RS <= len &&
            memcmp(buf + a - gone, log_a + a, RS) == 0);
}

/* Recover a damaged copy of log_a; every intact record must come back in
 * output 0, verified clean, with the samples lost before the last intact
 * record counted. Returns the first record not intact (N: none). */
static uint32_t expect_recovers(const unsigned char *buf, size_t len,
                                size_t gone, shmseq_log_recovery *rvp)
{
    shmseq_log_recovery rv;
    seen v;
    uint32_t i, want = 0, last = 0, first = N, damaged = N;
    int rc = recover(buf, len, &rv);

    assert_int_equal(rc, 0);
    assert_int_equal(rv.outputs, 1);
    if (rvp != NULL)
        *rvp = rv;
    memset(&v, 0, sizeof v);
    expect_clean(0, &v);
    for (i = 0; i < N; i++) {
        if (!intact(buf, len, gone, i)) {
            if (damaged == N)
                damaged = i;
            continue;
        }
        assert_int_equal(v.have[SEQ0 + i - (SEQ0 - 64u)], 1);
        want++;
        last = i;
        if (first == N)
            first = i;
    }
    assert_int_equal(v.n, want);
    /* Every sample from the head (or, under a rebuilt header whose head
     * is not trusted, from the first one kept) to the last one kept is
     * either in the output or counted as lost. */
    if (rv.scan.header_state == SHMSEQ_LOG_HEADER_REBUILT)
        last -= first;
    if (want != 0)
        assert_int_equal(v.n + v.lost, last + 1u);
    return damaged;
}

static void test_cut_everywhere(void **state)
{
    shmseq_log_recovery rv;
    size_t cut, checked = 0;

    (void)state;
    build(log_a, 0xa11ce, 0, SEQ0, N);
    for (cut = 0; cut <= LEN; cut++) {
        if (cut < HS) {
            assert_int_equal(recover(log_a, cut, &rv), SHMSEQ_LOG_SHORT);
            assert_int_equal(rv.outputs, 0);
        } else {
            expect_recovers(log_a, cut, 0, NULL);
            assert_int_equal(rv.scan.skips, 0);
        }
        checked++;
    }
    print_message("cut: %zu logs\n", checked);
}

static void test_hole_everywhere(void **state)
{
    static const size_t holes[] = {1, 5, RS};
    shmseq_log_recovery rv;
    size_t h, at, checked = 0;
    uint32_t first;

    (void)state;
    build(log_a, 0xa11ce, 0, SEQ0, N);
    for (h = 0; h < sizeof holes / sizeof holes[0]; h++)
        for (at = 0; at + holes[h] <= LEN; at++) {
            size_t len = LEN - holes[h];

            memcpy(work, log_a, at);
            memcpy(work + at, log_a + at + holes[h], len - at);
            if (at < 4 && at + holes[h] > 4) {
                /* Fewer than 4 bytes of the magic are left in a row: not
                 * a log any more, never misread as one. */
                assert_int_equal(recover(work, len, &rv),
                                 SHMSEQ_LOG_BAD_MAGIC);
                checked++;
                continue;
            }
            first = expect_recovers(work, len, holes[h], &rv);
            if (at >= HS && first < N - 1u && rv.scan.skips != 0) {
                /* The scan says where: the first damaged record. */
                assert_int_equal(rv.scan.first_skip_offset, HS + first * RS);
            }
            checked++;
        }
    print_message("hole: %zu logs\n", checked);
}

static void test_bit_flip_everywhere(void **state)
{
    shmseq_log_recovery rv;
    size_t bit, checked = 0;

    (void)state;
    build(log_a, 0xa11ce, 0, SEQ0, N);
    for (bit = 0; bit < LEN * 8u; bit++) {
        size_t at = bit / 8u;

        memcpy(work, log_a, LEN);
        work[at] ^= (unsigned char)(1u << (bit % 8u));
        if (at < HS) {
            expect_recovers(work, LEN, 0, &rv);
            assert_int_equal(rv.scan.header_state,
                             SHMSEQ_LOG_HEADER_REPAIRED);
            assert_int_equal(rv.scan.header_bit, bit);
        } else {
            assert_int_equal(expect_recovers(work, LEN, 0, &rv),
                             (at - HS) / RS);
            assert_int_equal(rv.scan.skips, 1);
            assert_int_equal(rv.scan.first_skip_offset,
                             HS + ((at - HS) / RS) * RS);
        }
        checked++;
    }
    print_message("bit flip: %zu logs\n", checked);
}

static void test_header_rebuilt(void **state)
{
    shmseq_log_recovery rv;
    size_t a, b, checked = 0;

    (void)state;
    build(log_a, 0xa11ce, 0, SEQ0, N);
    /* Two bits far apart (one CRC cannot tell where): rebuilt from the
     * records, every record kept. The run id itself too. */
    for (a = 8; a < HS; a += 7)
        for (b = a + 13; b < HS; b += 29) {
            memcpy(work, log_a, LEN);
            work[a] ^= 0x10;
            work[b] ^= 0x01;
            expect_recovers(work, LEN, 0, &rv);
            assert_int_equal(rv.scan.header_state,
                             SHMSEQ_LOG_HEADER_REBUILT);
            assert_int_equal(rv.scan.header.width, W);
            checked++;
        }
    print_message("header rebuilt: %zu logs\n", checked);
}

static void test_two_logs_joined(void **state)
{
    shmseq_log_recovery rv;
    seen v;
    size_t la, lb;

    (void)state;
    /* Another log (another run, lower numbers) after this one: both come
     * back, each in an output of its own. */
    la = build(log_a, 0xa11ce, 0, SEQ0, N);
    lb = build(log_b, 0xb0b, 0, SEQ0 - 60u, 20);
    memcpy(work, log_a, la);
    memcpy(work + la, log_b, lb);
    assert_int_equal(recover(work, la + lb, &rv), 0);
    assert_int_equal(rv.outputs, 2);
    assert_int_equal(rv.scan.headers, 1);
    assert_int_equal(rv.scan.backwards, 1);
    memset(&v, 0, sizeof v);
    expect_clean(0, &v);
    assert_int_equal(v.n, N);
    memset(&v, 0, sizeof v);
    expect_clean(1, &v);
    assert_int_equal(v.n, 20);
    assert_int_equal(v.have[4], 1); /* SEQ0 - 60 */
}

static void test_segments_joined(void **state)
{
    shmseq_log_recovery rv;
    seen v;
    size_t l0, l1;

    (void)state;
    /* Segment 0 (20 records) and segment 1 (20 more) of one run. */
    l0 = build(log_a, 0x5e6, 0, SEQ0, 20);
    l1 = build(log_b, 0x5e6, 1, SEQ0 + 20u, 20);
    /* In order: one clean log of all 40. */
    memcpy(work, log_a, l0);
    memcpy(work + l0, log_b, l1);
    assert_int_equal(recover(work, l0 + l1, &rv), 0);
    assert_int_equal(rv.outputs, 1);
    memset(&v, 0, sizeof v);
    expect_clean(0, &v);
    assert_int_equal(v.n, 40);
    /* Out of order: the step back is seen, both halves come back. */
    memcpy(work, log_b, l1);
    memcpy(work + l1, log_a, l0);
    assert_int_equal(recover(work, l0 + l1, &rv), 0);
    assert_int_equal(rv.scan.backwards, 1);
    assert_int_equal(rv.outputs, 2);
    memset(&v, 0, sizeof v);
    expect_clean(0, &v);
    expect_clean(1, &v);
    assert_int_equal(v.n, 40);
}

static void test_stale_record(void **state)
{
    shmseq_log_recovery rv;
    size_t at = HS + 17u * RS;

    (void)state;
    /* Record 17 replaced by record 17 of another run (same bytes but for
     * the CRC's seed): it is not kept, and counted as missing. */
    build(log_a, 0xa11ce, 0, SEQ0, N);
    build(log_b, 0x57a1e, 0, SEQ0, N);
    memcpy(work, log_a, LEN);
    memcpy(work + at, log_b + at, RS);
    assert_int_equal(expect_recovers(work, LEN, 0, &rv), 17);
    assert_int_equal(rv.scan.skips, 1);
    assert_int_equal(rv.scan.first_skip_offset, at);
    assert_int_equal(rv.scan.missing, 1);
    assert_int_equal(rv.lost_added, 1);
}

/* A damaged magic before bytes that hold no log: repeated blocks (zeros,
 * a repeated pattern) check under the seed solved from their first copy,
 * but are never two records of a log; nothing is made of them. */
static void test_no_log_from_repeats(void **state)
{
    static const char *const magics[] = {"SHMSQLOF", "SHMSxxxx", "xxSQLOGx"};
    shmseq_log_recovery rv;
    size_t m, i;

    (void)state;
    for (m = 0; m < sizeof magics / sizeof magics[0]; m++) {
        memset(work, 0, LEN);
        memcpy(work, magics[m], 8);
        assert_true(recover(work, LEN, &rv) < 0);
        assert_int_equal(rv.outputs, 0);
        for (i = 8; i < LEN; i++)
            work[i] = (unsigned char)(i % 40u);
        assert_true(recover(work, LEN, &rv) < 0);
        assert_int_equal(rv.outputs, 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_everywhere),
        cmocka_unit_test(test_hole_everywhere),
        cmocka_unit_test(test_bit_flip_everywhere),
        cmocka_unit_test(test_header_rebuilt),
        cmocka_unit_test(test_two_logs_joined),
        cmocka_unit_test(test_segments_joined),
        cmocka_unit_test(test_stale_record),
        cmocka_unit_test(test_no_log_from_repeats),
    };

    return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
