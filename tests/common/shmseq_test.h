/* SPDX-License-Identifier: MIT */
/*
 * Shared test helpers: a deterministic sample generator and its checker,
 * and the iteration scale for slow (sanitizer, emulator) runs.
 *
 * Every word of sample n derives from n: value i is a float64 in [1, 2)
 * whose 52 mantissa bits come from splitmix64(n, i), and the timestamp is
 * another mix of n. A reader that gets a mix of two samples (a torn read)
 * or a sample under the wrong number fails shmseq_test_check(), bit for
 * bit, as the ck_sequence validation test does. Header-only so every test
 * program, unit or torture, can use it without another library.
 */
#ifndef SHMSEQ_TEST_H
#define SHMSEQ_TEST_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* splitmix64 (Steele, Lea, Flood 2014): every input bit moves every output
 * bit, so neighbouring sample numbers give unrelated words. */
static inline uint64_t shmseq_test_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* Bits of value @i of sample @n: exponent fixed (a finite double in [1, 2),
 * so no NaN payload can be altered in flight), mantissa from the mix. */
static inline uint64_t shmseq_test_value_bits(uint64_t n, uint32_t i)
{
    uint64_t m = shmseq_test_mix(n ^ ((uint64_t)(i + 1u) * 0xd1b54a32d192ed03u));
    return 0x3ff0000000000000u | (m & 0x000fffffffffffffu);
}

static inline double shmseq_test_value(uint64_t n, uint32_t i)
{
    uint64_t bits = shmseq_test_value_bits(n, i);
    double d;
    memcpy(&d, &bits, sizeof d);
    return d;
}

/* Timestamp of sample @n: every bit depends on n too. */
static inline uint64_t shmseq_test_ts(uint64_t n)
{
    return shmseq_test_mix(~n);
}

/* Fill @width values of sample @n. */
static inline void shmseq_test_fill(double *values, uint32_t width, uint64_t n)
{
    for (uint32_t i = 0; i < width; i++)
        values[i] = shmseq_test_value(n, i);
}

/* 0 if @values / @ts are exactly sample @n's, else the 1-based index of the
 * first wrong word (width + 1 for the timestamp). */
static inline uint32_t shmseq_test_check(const double *values, uint32_t width,
                                         uint64_t n, uint64_t ts)
{
    for (uint32_t i = 0; i < width; i++) {
        uint64_t bits;
        memcpy(&bits, &values[i], sizeof bits);
        if (bits != shmseq_test_value_bits(n, i))
            return i + 1u;
    }
    if (ts != shmseq_test_ts(n))
        return width + 1u;
    return 0;
}

/*
 * Scale an iteration count by the SHMSEQ_TEST_SCALE environment variable
 * (a factor, e.g. 0.05 under sanitizers or qemu-user; default 1). Never
 * returns less than @min.
 */
static inline uint64_t shmseq_test_scaled(uint64_t n, uint64_t min)
{
    const char *s = getenv("SHMSEQ_TEST_SCALE");
    if (s != NULL && *s != '\0') {
        double f = strtod(s, NULL);
        if (f > 0.0)
            n = (uint64_t)((double)n * f);
    }
    return n < min ? min : n;
}

#endif /* SHMSEQ_TEST_H */
