/* SPDX-License-Identifier: MIT */
/*
 * The one number parser of the programs and drivers (see
 * include/shmseq_util/parse.h for where it sits and why).
 */
#include <shmseq_util/parse.h>

#include <errno.h>
#include <stdlib.h>

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_xdigit(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int shmseq_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    int base = 10;

    /* strtoull accepts blanks and a sign (and wraps negatives): refuse
     * anything that does not start with a digit. */
    if (s == NULL || !is_digit(*s))
        return -EINVAL;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
        if (!is_xdigit(*s))
            return -EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, base);
    if (*end != '\0' || errno == ERANGE)
        return -EINVAL;
    *out = (uint64_t)v;
    return 0;
}

int shmseq_parse_u64_range(const char *s, uint64_t min, uint64_t max,
                           uint64_t *out)
{
    uint64_t v;

    if (shmseq_parse_u64(s, &v) < 0 || v < min || v > max)
        return -EINVAL;
    *out = v;
    return 0;
}

int shmseq_parse_u32(const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v;

    if (s == NULL || !is_digit(*s))
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v > UINT32_MAX)
        return -EINVAL;
    *out = (uint32_t)v;
    return 0;
}

int shmseq_parse_int(const char *s, int *out)
{
    char *end;
    long v;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    errno = 0;
    v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < -1000000 || v > 1000000)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

int shmseq_parse_seconds(const char *s, double *out)
{
    char *end;
    double v;

    if (s == NULL || *s == '\0')
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    /* !(v >= 0) also refuses NaN; the upper bound refuses infinity. */
    if (*end != '\0' || errno == ERANGE || !(v >= 0.0) || v > 1e9)
        return -EINVAL;
    *out = v;
    return 0;
}
