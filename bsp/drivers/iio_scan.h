/* SPDX-License-Identifier: MIT */
/*
 * The IIO scan format, without the OS: parsing a scan element's *_type
 * ("le:s12/16>>4", "be:u16/16X2>>0"), laying elements out into a scan the
 * way the kernel's IIO core does (iio_compute_scan_bytes), and decoding one
 * value from the bytes of a scan. Used by the iio driver's buffered mode.
 */
#ifndef SHMSEQ_IIO_SCAN_H
#define SHMSEQ_IIO_SCAN_H

#include <stddef.h>
#include <stdint.h>

/** One scan element: a channel's place and format in a scan. */
typedef struct shmseq__iio_elem {
    uint32_t index;     /**< scan index (the order in the scan) */
    uint16_t offset;    /**< byte offset of its first value in the scan */
    uint8_t bytes;      /**< storage bytes of one value (storagebits / 8) */
    uint8_t bits;       /**< realbits: significant bits after the shift */
    uint8_t shift;      /**< right shift before masking */
    uint8_t is_signed;  /**< 's': sign-extend from bit `bits - 1` */
    uint8_t big_endian; /**< "be" */
    uint8_t repeat;     /**< values stored one after another (X<n>), >= 1 */
} shmseq__iio_elem;

/**
 * Parse a *_type attribute: "[bl]e:[su]REAL/STORAGE[Xrepeat]>>SHIFT".
 * STORAGE a multiple of 8 in 8..64, REAL in 1..STORAGE, SHIFT + REAL <=
 * STORAGE, repeat 1..255. Trailing blanks are accepted.
 * @retval 0 or -EINVAL.
 */
int shmseq__iio_parse_type(const char *text, shmseq__iio_elem *e);

/**
 * Lay out @p n elements, already in scan order (ascending index, the
 * timestamp last), as the kernel does: each element aligned to its own
 * size (storage bytes x repeat), the scan's size rounded up to the largest
 * element. Fills each offset.
 * @retval the scan size in bytes, or -E2BIG beyond 65535 bytes.
 */
int shmseq__iio_layout(shmseq__iio_elem *e, size_t n);

/**
 * Value @p k (0 .. repeat-1) of element @p e in @p scan as an integer:
 * loaded with the element's endianness, shifted right, masked to `bits`
 * and, when signed, sign-extended to 64 bits (read it as int64_t then).
 */
uint64_t shmseq__iio_bits(const unsigned char *scan, const shmseq__iio_elem *e,
                          unsigned k);

/**
 * Value @p k (0 .. repeat-1) of element @p e in @p scan: loaded with the
 * element's endianness, shifted right, masked to `bits` and sign-extended
 * when signed. Bit-exact for every integer up to 2^53; beyond that the
 * double rounds as C's conversion does.
 */
double shmseq__iio_decode(const unsigned char *scan, const shmseq__iio_elem *e,
                          unsigned k);

#endif /* SHMSEQ_IIO_SCAN_H */
