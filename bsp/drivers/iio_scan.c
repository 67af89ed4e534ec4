/* SPDX-License-Identifier: MIT */
/*
 * The IIO scan format without the OS (iio_scan.h): pure functions, so the
 * decoding can be tested bit for bit on byte arrays.
 */
#include <errno.h>
#include <string.h>

#include "iio_scan.h"

/* Decimal digits at *p: the number, or -1 if none or above max. */
static long number(const char **p, long max)
{
    long v = 0;

    if (**p < '0' || **p > '9')
        return -1;
    while (**p >= '0' && **p <= '9') {
        v = v * 10 + (**p - '0');
        if (v > max)
            return -1;
        (*p)++;
    }
    return v;
}

int shmseq__iio_parse_type(const char *text, shmseq__iio_elem *e)
{
    const char *p = text;
    long real, storage, repeat = 1, shift;
    char sign;

    memset(e, 0, sizeof *e);
    if (strncmp(p, "le:", 3) == 0)
        e->big_endian = 0;
    else if (strncmp(p, "be:", 3) == 0)
        e->big_endian = 1;
    else
        return -EINVAL;
    p += 3;
    sign = *p++;
    if (sign != 's' && sign != 'u' && sign != 'S' && sign != 'U')
        return -EINVAL;
    real = number(&p, 64);
    if (real < 1 || *p++ != '/')
        return -EINVAL;
    storage = number(&p, 64);
    if (storage < 8 || storage % 8 != 0 || real > storage)
        return -EINVAL;
    if (*p == 'X') {
        p++;
        repeat = number(&p, 255);
        if (repeat < 1)
            return -EINVAL;
    }
    if (p[0] != '>' || p[1] != '>')
        return -EINVAL;
    p += 2;
    shift = number(&p, 63);
    if (shift < 0 || shift + real > storage)
        return -EINVAL;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (*p != '\0')
        return -EINVAL;
    e->is_signed = sign == 's' || sign == 'S';
    e->bits = (uint8_t)real;
    e->bytes = (uint8_t)(storage / 8);
    e->shift = (uint8_t)shift;
    e->repeat = (uint8_t)repeat;
    return 0;
}

/* The kernel's ALIGN(x, a): (x + a - 1) & ~(a - 1). For the sizes real
 * devices have (powers of two) it rounds up; for others it is kept exactly
 * as the kernel computes it, since the kernel decides the layout. */
static unsigned long kalign(unsigned long x, unsigned long a)
{
    return (x + a - 1) & ~(a - 1);
}

int shmseq__iio_layout(shmseq__iio_elem *e, size_t n)
{
    unsigned long bytes = 0, largest = 0, len;
    size_t i;

    for (i = 0; i < n; i++) {
        len = (unsigned long)e[i].bytes * e[i].repeat;
        bytes = kalign(bytes, len);
        if (bytes > 65535u)
            return -E2BIG;
        e[i].offset = (uint16_t)bytes;
        bytes += len;
        if (len > largest)
            largest = len;
    }
    if (largest > 0)
        bytes = kalign(bytes, largest);
    if (bytes > 65535u)
        return -E2BIG;
    return (int)bytes;
}

uint64_t shmseq__iio_bits(const unsigned char *scan, const shmseq__iio_elem *e,
                          unsigned k)
{
    const unsigned char *p = scan + e->offset + (size_t)k * e->bytes;
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < e->bytes; i++) {
        if (e->big_endian)
            v = v << 8 | p[i];
        else
            v |= (uint64_t)p[i] << (8 * i);
    }
    v >>= e->shift;
    if (e->bits < 64) {
        uint64_t mask = ((uint64_t)1 << e->bits) - 1;

        v &= mask;
        if (e->is_signed && (v >> (e->bits - 1)) != 0)
            v |= ~mask;
    }
    return v;
}

double shmseq__iio_decode(const unsigned char *scan, const shmseq__iio_elem *e,
                          unsigned k)
{
    uint64_t v = shmseq__iio_bits(scan, e, k);

    return e->is_signed ? (double)(int64_t)v : (double)v;
}
