/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the seqlock primitive (core/seqlock.h): the sequence word
 * is odd exactly while a write is open, and a reader detects any write that
 * overlapped its copy, including across the 2^32 wrap of the word. A
 * concurrent writer is simulated by interleaving the calls by hand.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "seqlock.h"

static void test_write_begin_end(void **state)
{
    (void)state;
    shmseq__word seq;
    atomic_init(&seq, 0);
    uint32_t q = shmseq__seq_write_begin(&seq);
    assert_int_equal(q, 0);
    assert_int_equal(shmseq__ld(&seq), 1); /* odd: write open */
    shmseq__seq_write_end(&seq, q);
    assert_int_equal(shmseq__ld(&seq), 2); /* even, +2 */

    q = shmseq__seq_write_begin(&seq);
    assert_int_equal(q, 2);
    assert_int_equal(shmseq__ld(&seq), 3);
    shmseq__seq_write_end(&seq, q);
    assert_int_equal(shmseq__ld(&seq), 4);
}

static void test_read_no_writer(void **state)
{
    (void)state;
    shmseq__word seq, data;
    atomic_init(&seq, 10);
    atomic_init(&data, 1234);
    uint32_t q = shmseq__seq_read_begin(&seq);
    assert_int_equal(q, 10);
    assert_int_equal(shmseq__ld(&data), 1234);
    assert_false(shmseq__seq_read_retry(&seq, q));
}

static void test_read_sees_open_write(void **state)
{
    (void)state;
    shmseq__word seq;
    atomic_init(&seq, 6);
    uint32_t w = shmseq__seq_write_begin(&seq);
    /* A reader starting now sees an odd value and must retry. */
    uint32_t q = shmseq__seq_read_begin(&seq);
    assert_true(q & 1u);
    assert_true(shmseq__seq_read_retry(&seq, q));
    shmseq__seq_write_end(&seq, w);
    q = shmseq__seq_read_begin(&seq);
    assert_int_equal(q, 8);
    assert_false(shmseq__seq_read_retry(&seq, q));
}

static void test_read_detects_concurrent_write(void **state)
{
    (void)state;
    shmseq__word seq, lo, hi;
    atomic_init(&seq, 0);
    atomic_init(&lo, 1);
    atomic_init(&hi, 1);

    /* Reader copies half, a whole write happens, reader copies the rest. */
    uint32_t q = shmseq__seq_read_begin(&seq);
    uint32_t got_lo = shmseq__ld(&lo);
    uint32_t w = shmseq__seq_write_begin(&seq);
    shmseq__st(&lo, 2);
    shmseq__st(&hi, 2);
    shmseq__seq_write_end(&seq, w);
    uint32_t got_hi = shmseq__ld(&hi);
    assert_int_not_equal(got_lo, got_hi); /* the copy is torn ... */
    assert_true(shmseq__seq_read_retry(&seq, q)); /* ... and detected */

    /* Writer opens during the copy and is still open at the check. */
    q = shmseq__seq_read_begin(&seq);
    w = shmseq__seq_write_begin(&seq);
    shmseq__st(&lo, 3);
    assert_true(shmseq__seq_read_retry(&seq, q));
    shmseq__st(&hi, 3);
    shmseq__seq_write_end(&seq, w);

    /* Clean retry after the write. */
    q = shmseq__seq_read_begin(&seq);
    got_lo = shmseq__ld(&lo);
    got_hi = shmseq__ld(&hi);
    assert_false(shmseq__seq_read_retry(&seq, q));
    assert_int_equal(got_lo, 3);
    assert_int_equal(got_hi, 3);
}

static void test_wrap(void **state)
{
    (void)state;
    shmseq__word seq;
    atomic_init(&seq, 0xFFFFFFFEu);
    uint32_t q = shmseq__seq_read_begin(&seq);
    uint32_t w = shmseq__seq_write_begin(&seq);
    assert_int_equal(w, 0xFFFFFFFEu);
    assert_int_equal(shmseq__ld(&seq), 0xFFFFFFFFu); /* odd at the top */
    assert_true(shmseq__seq_read_retry(&seq, q));
    uint32_t q2 = shmseq__seq_read_begin(&seq);
    assert_true(shmseq__seq_read_retry(&seq, q2));
    shmseq__seq_write_end(&seq, w);
    assert_int_equal(shmseq__ld(&seq), 0); /* wrapped to even 0 */
    assert_true(shmseq__seq_read_retry(&seq, q)); /* old value still stale */
    q = shmseq__seq_read_begin(&seq);
    assert_int_equal(q, 0);
    assert_false(shmseq__seq_read_retry(&seq, q));
    w = shmseq__seq_write_begin(&seq);
    assert_int_equal(shmseq__ld(&seq), 1);
    shmseq__seq_write_end(&seq, w);
    assert_int_equal(shmseq__ld(&seq), 2);
}

static void test_accessors64(void **state)
{
    (void)state;
    shmseq__word lo, hi;
    atomic_init(&lo, 0);
    atomic_init(&hi, 0);
    shmseq__st64(&lo, &hi, 0x0123456789abcdefu);
    assert_int_equal(shmseq__ld(&lo), 0x89abcdefu);
    assert_int_equal(shmseq__ld(&hi), 0x01234567u);
    assert_true(shmseq__ld64(&lo, &hi) == 0x0123456789abcdefu);
    double d = -1.5e300;
    assert_true(shmseq__bits_f64(shmseq__f64_bits(d)) == d);
    assert_true(shmseq__f64_bits(1.0) == 0x3ff0000000000000u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_begin_end),
        cmocka_unit_test(test_read_no_writer),
        cmocka_unit_test(test_read_sees_open_write),
        cmocka_unit_test(test_read_detects_concurrent_write),
        cmocka_unit_test(test_wrap),
        cmocka_unit_test(test_accessors64),
    };
    return cmocka_run_group_tests_name("seqlock", tests, NULL, NULL);
}
