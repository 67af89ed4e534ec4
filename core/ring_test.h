/* SPDX-License-Identifier: MIT */
/*
 * Test hook of the ring (core/ring.c), for tests and seed generators only;
 * not part of the public API and never installed (as Zephyr's
 * ring_buf_internal_reset).
 */
#ifndef SHMSEQ_CORE_RING_TEST_H
#define SHMSEQ_CORE_RING_TEST_H

#include <stddef.h>
#include <stdint.h>

/**
 * @brief Make a freshly formatted region start at sample @p first and every
 *        slot's sequence word at @p seq (even), so tests cross the 2^32
 *        wrap of head and sequence words quickly.
 * @retval 0        done
 * @retval -EINVAL  @p seq odd
 * @retval -EAGAIN, -EBADMSG, -EPROTO  as shmseq_ring_check()
 */
int shmseq__ring_test_start(void *mem, size_t size, uint64_t first,
                            uint32_t seq);

#endif /* SHMSEQ_CORE_RING_TEST_H */
