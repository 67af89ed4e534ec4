/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the region layout (core/layout.h) and the size
 * arithmetic of core/ring.c: the shared layout must be the same on every
 * ABI (invariant 6) and its size fixed by width and capacity alone
 * (invariant 8). Runs on plain memory; no shared memory involved.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <shmseq/ring.h>

#include "layout.h"

static void test_header_offsets(void **state)
{
    (void)state;
    /* Repeated at run time so a cross build run under qemu-user shows the
     * numbers of the target ABI, not only the compiler's. */
    assert_int_equal(sizeof(struct shmseq__region), SHMSEQ_HEADER_SIZE);
    assert_int_equal(SHMSEQ_HEADER_SIZE, 131072);
    assert_int_equal(SHMSEQ_CTL_OFFSET, 65536);
    assert_int_equal(offsetof(struct shmseq__region, s.magic), 0);
    assert_int_equal(offsetof(struct shmseq__region, s.version), 4);
    assert_int_equal(offsetof(struct shmseq__region, s.byte_order), 8);
    assert_int_equal(offsetof(struct shmseq__region, s.header_size), 12);
    assert_int_equal(offsetof(struct shmseq__region, s.slot_size), 16);
    assert_int_equal(offsetof(struct shmseq__region, s.width), 20);
    assert_int_equal(offsetof(struct shmseq__region, s.capacity), 24);
    assert_int_equal(offsetof(struct shmseq__region, s.line_size), 28);
    assert_int_equal(offsetof(struct shmseq__region, s.region_size_lo), 32);
    assert_int_equal(offsetof(struct shmseq__region, s.region_size_hi), 36);
    assert_int_equal(offsetof(struct shmseq__region, s.created_rt_lo), 40);
    assert_int_equal(offsetof(struct shmseq__region, s.created_mono_lo), 48);
    assert_int_equal(offsetof(struct shmseq__region, s.ctl_offset), 56);
    assert_int_equal(offsetof(struct shmseq__region, w), 64);
    assert_int_equal(offsetof(struct shmseq__region, w.head), 64);
    assert_int_equal(offsetof(struct shmseq__region, w.epoch), 68);
    assert_int_equal(offsetof(struct shmseq__region, w.writer_pid), 72);
    assert_int_equal(offsetof(struct shmseq__region, r), 65536);
    assert_int_equal(offsetof(struct shmseq__region, r.futex), 65536);
    assert_int_equal(offsetof(struct shmseq__region, r.waiting), 65540);
}

static void test_slot_offsets(void **state)
{
    (void)state;
    assert_int_equal(sizeof(shmseq__word), 4);
    assert_int_equal(offsetof(struct shmseq__slot, seq), 0);
    assert_int_equal(offsetof(struct shmseq__slot, epoch), 4);
    assert_int_equal(offsetof(struct shmseq__slot, number_lo), 8);
    assert_int_equal(offsetof(struct shmseq__slot, number_hi), 12);
    assert_int_equal(offsetof(struct shmseq__slot, ts_lo), 16);
    assert_int_equal(offsetof(struct shmseq__slot, ts_hi), 20);
    assert_int_equal(offsetof(struct shmseq__slot, values), 24);
}

static void test_slot_size(void **state)
{
    (void)state;
    assert_int_equal(shmseq_slot_size(0), 0);
    assert_int_equal(shmseq_slot_size(SHMSEQ_WIDTH_MAX + 1u), 0);
    assert_int_equal(shmseq_slot_size(1), 64);  /* 24 + 8 */
    assert_int_equal(shmseq_slot_size(5), 64);  /* 24 + 40 = 64 exactly */
    assert_int_equal(shmseq_slot_size(6), 128); /* 24 + 48 */
    assert_int_equal(shmseq_slot_size(16), 192); /* 24 + 128 */
    assert_int_equal(shmseq_slot_size(64), 576); /* 24 + 512 */
    for (uint32_t w = 1; w <= SHMSEQ_WIDTH_MAX; w++) {
        uint32_t s = shmseq_slot_size(w);
        assert_int_equal(s % SHMSEQ_LINE_SIZE, 0);
        assert_true(s >= SHMSEQ__SLOT_META_BYTES + 8u * w);
        assert_true(s < SHMSEQ__SLOT_META_BYTES + 8u * w + SHMSEQ_LINE_SIZE);
    }
}

static void test_region_size(void **state)
{
    (void)state;
    const uint32_t widths[] = {1, 5, 6, 16, 64};
    const uint32_t caps[] = {2, 1u << 16};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        for (size_t j = 0; j < sizeof caps / sizeof caps[0]; j++) {
            uint64_t want = (uint64_t)SHMSEQ_HEADER_SIZE +
                            (uint64_t)caps[j] * shmseq_slot_size(widths[i]);
            assert_int_equal(shmseq_region_size(widths[i], caps[j]), want);
        }
    }
    /* Known numbers, so a change to the arithmetic is noticed. */
    assert_int_equal(shmseq_region_size(1, 2), 131072 + 2 * 64);
    assert_int_equal(shmseq_region_size(6, 256), 131072 + 256 * 128);
    assert_int_equal(shmseq_region_size(64, 1u << 16), 131072 + 65536ull * 576);
    assert_int_equal(shmseq_region_size(64, SHMSEQ_CAPACITY_MAX),
                     131072 + (uint64_t)SHMSEQ_CAPACITY_MAX * 576);
}

static void test_region_size_invalid(void **state)
{
    (void)state;
    assert_int_equal(shmseq_region_size(0, 16), 0);
    assert_int_equal(shmseq_region_size(65, 16), 0);
    assert_int_equal(shmseq_region_size(UINT32_MAX, 16), 0);
    assert_int_equal(shmseq_region_size(1, 0), 0);
    assert_int_equal(shmseq_region_size(1, 1), 0);
    assert_int_equal(shmseq_region_size(1, 3), 0);
    assert_int_equal(shmseq_region_size(1, 1000), 0);
    assert_int_equal(shmseq_region_size(1, 1u << 21), 0);
    assert_int_equal(shmseq_region_size(1, UINT32_MAX), 0);
    assert_int_equal(shmseq_region_size(1, 0x80000000u), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_offsets),
        cmocka_unit_test(test_slot_offsets),
        cmocka_unit_test(test_slot_size),
        cmocka_unit_test(test_region_size),
        cmocka_unit_test(test_region_size_invalid),
    };
    return cmocka_run_group_tests_name("layout", tests, NULL, NULL);
}
