/* SPDX-License-Identifier: MIT */
/*
 * Strict number parsing for command lines and parameter strings: what a
 * user types is what they get, and anything else is refused rather than
 * half-read ("1x", " 1", "-1" and overflow are errors; the output is left
 * untouched on error).
 *
 * Where it sits: shmseq_util is a small libc-only library BELOW everything
 * that parses text a person typed -- the sensor drivers of bsp/ (e.g. the
 * sim driver's "seed=0x2a"), the example programs and the tools -- and
 * beside the shmseq library, which it neither uses nor is used by (the
 * library parses no text). Arrows point down: bsp, examples and tools may
 * link it; it links nothing but libc.
 */
#ifndef SHMSEQ_UTIL_PARSE_H
#define SHMSEQ_UTIL_PARSE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Parse an unsigned 64-bit number: decimal, or hexadecimal with a
 *        0x/0X prefix; never octal ("010" is ten, as a user means it).
 * @retval 0        *out set
 * @retval -EINVAL  empty, signed, trailing characters or out of range
 */
int shmseq_parse_u64(const char *s, uint64_t *out);

/**
 * @brief As shmseq_parse_u64(), and refused unless min <= value <= max.
 * @retval 0        *out set
 * @retval -EINVAL  not a number, or out of [min, max]
 */
int shmseq_parse_u64_range(const char *s, uint64_t min, uint64_t max,
                           uint64_t *out);

/**
 * @brief Parse an unsigned 32-bit decimal number (no prefix, no sign).
 * @retval 0        *out set
 * @retval -EINVAL  not a decimal number, or above UINT32_MAX
 */
int shmseq_parse_u32(const char *s, uint32_t *out);

/**
 * @brief Parse a decimal int in -1000000..1000000 (a sign is allowed).
 * @retval 0        *out set
 * @retval -EINVAL  not a number, or out of that range
 */
int shmseq_parse_int(const char *s, int *out);

/**
 * @brief Parse seconds: a finite decimal >= 0 and <= 1e9 ("1.5" allowed).
 * @retval 0        *out set
 * @retval -EINVAL  not a number, negative, NaN, infinite or above 1e9
 */
int shmseq_parse_seconds(const char *s, double *out);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_UTIL_PARSE_H */
