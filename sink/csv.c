/* SPDX-License-Identifier: MIT */
/*
 * The CSV format (see shmseq/logfmt.h and docs/logging.md): the one writer
 * behind the logger's --format csv, shmseq-log csv and shmseq dump, and the
 * one reader behind the replay sensor driver. Values are printed with 17
 * significant digits, so a row read back gives the same float64 bits.
 */
#define _POSIX_C_SOURCE 200809L

#include <shmseq/logfmt.h>

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CSV_COUNTERS "seq,timestamp_ns,epoch"

/* Append to the line at buf[*off]: 0, or -1 if it does not fit. */
static int appendf(char *buf, size_t cap, size_t *off, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int appendf(char *buf, size_t cap, size_t *off, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf + *off, cap - *off, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *off)
        return -1;
    *off += (size_t)n;
    return 0;
}

/* End the line: its length, or 0 if the newline does not fit. */
static size_t end_line(char *buf, size_t cap, size_t off)
{
    if (off + 1 >= cap)
        return 0;
    buf[off++] = '\n';
    buf[off] = '\0';
    return off;
}

size_t shmseq_log_csv_header(char *buf, size_t cap, uint32_t width)
{
    size_t off = 0;
    uint32_t c;

    if (cap == 0 || appendf(buf, cap, &off, CSV_COUNTERS) < 0)
        return 0;
    for (c = 0; c < width; c++)
        if (appendf(buf, cap, &off, ",v%u", (unsigned)c) < 0)
            return 0;
    return end_line(buf, cap, off);
}

size_t shmseq_log_csv_row(char *buf, size_t cap, const shmseq_log_record *r)
{
    size_t off = 0;
    uint32_t c;

    if (cap == 0 || appendf(buf, cap, &off, "%" PRIu64 ",%" PRIu64 ",%" PRIu32,
                            r->seq, r->timestamp_ns, r->epoch) < 0)
        return 0;
    for (c = 0; c < r->width; c++)
        if (appendf(buf, cap, &off, ",%.17g", r->values[c]) < 0)
            return 0;
    return end_line(buf, cap, off);
}

static int field_end(char c)
{
    return c == ',' || c == '\n' || c == '\r' || c == '\0';
}

/* The start of the next field after the one at @p f, or NULL at the end
 * of the line. */
static const char *next_field(const char *f)
{
    while (!field_end(*f))
        f++;
    return *f == ',' ? f + 1 : NULL;
}

int shmseq_log_csv_header_parse(const char *line, uint32_t *width)
{
    const char *f = line;
    uint32_t columns = 0;

    if (strncmp(line, CSV_COUNTERS, strlen(CSV_COUNTERS)) != 0 ||
        !field_end(line[strlen(CSV_COUNTERS)]))
        return -EBADMSG;
    while ((f = next_field(f)) != NULL)
        columns++;
    if (columns < 3 || columns - 2 > SHMSEQ_LOG_WIDTH_MAX)
        return -EBADMSG;
    *width = columns - 2;
    return 0;
}

/* An unsigned decimal filling the whole field, at most @p max. */
static int parse_counter(const char *f, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v;

    if (f == NULL || *f < '0' || *f > '9')
        return -EBADMSG;
    errno = 0;
    v = strtoull(f, &end, 10);
    if (errno == ERANGE || !field_end(*end) || v > max)
        return -EBADMSG;
    *out = v;
    return 0;
}

int shmseq_log_csv_row_parse(const char *line, uint32_t width,
                             shmseq_log_record *r)
{
    const char *f = line;
    uint64_t epoch = 0;
    uint32_t c;
    int bad = 0, counters = 0;

    assert(line != NULL && r != NULL && width <= SHMSEQ_LOG_WIDTH_MAX);
    r->seq = r->timestamp_ns = r->lost_before = 0;
    r->epoch = 0;
    r->width = width;
    counters |= parse_counter(f, UINT64_MAX, &r->seq);
    f = f != NULL ? next_field(f) : NULL;
    counters |= parse_counter(f, UINT64_MAX, &r->timestamp_ns);
    f = f != NULL ? next_field(f) : NULL;
    counters |= parse_counter(f, UINT32_MAX, &epoch);
    r->epoch = (uint32_t)epoch;
    for (c = 0; c < width; c++) {
        char *end;
        double v;

        f = f != NULL ? next_field(f) : NULL;
        if (f == NULL) {
            r->values[c] = NAN;
            bad++;
            continue;
        }
        v = strtod(f, &end);
        if (end == f || !field_end(*end)) {
            r->values[c] = NAN;
            bad++;
        } else {
            r->values[c] = v;
        }
    }
    return counters != 0 ? -EBADMSG : bad;
}
