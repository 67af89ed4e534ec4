/* SPDX-License-Identifier: MIT */
/*
 * check_iio: the emulated board's checker for the iio driver against the
 * test module tests/system/kmod/shmseq_iio_test.c.
 *
 * It reads a logger CSV of the module's five channels, in the module's
 * channel order (in_voltage0 in_voltage1 in_voltage2 in_temp0 in_accel_x),
 * and recomputes every value: v0 is the scan number n, and each v_c must
 * equal (raw_c(n) + offset_c) * scale_c bit for bit, with raw_c the
 * module's waveform (its header comment has the table) and scale and
 * offset read from the device's own sysfs files, parsed as the driver
 * parses them. Also:
 *   sysfs mode     n is the row's index from --first (each sample reads
 *                  every channel once, so all five share one n);
 *   buffered mode  n only increases; each gap of g is g - 1 scans the
 *                  kernel dropped, and the sum must equal --dropped (the
 *                  driver's count of kernel-side overruns); each
 *                  timestamp is t0 + n * 1e9/--rate exactly (the module
 *                  stamps scans on that grid).
 * Sample numbers must be consecutive and the epoch one. Prints one line:
 *   check_iio: rows R n A..B gaps G dropped D exact
 * Exit status: 0 pass, 1 a check failed, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/logfmt.h>

#define NCHAN 5

static const char *prog = "check_iio";
static const char *const chan[NCHAN] = {"in_voltage0", "in_voltage1",
                                        "in_voltage2", "in_temp0",
                                        "in_accel_x"};

/* The module's waveforms (shmseq_iio_test.c, raw_of()). */
static int64_t raw_of(int c, uint64_t n)
{
    uint32_t k = (uint32_t)n;

    switch (c) {
    case 0: return k;
    case 1: return (int64_t)((k * 37u) & 0xfffu) - 2048;
    case 2: return (k * 1013u) & 0xffffu;
    case 3: return (int64_t)((k * 7919u) & 0xffffffu) - 0x800000;
    default: return (int64_t)((k * 3u) & 0xffu) - 128;
    }
}

/* dir/name as a number; neutral when absent. */
static int attr(const char *dir, const char *name, double neutral, double *out)
{
    char path[1024], text[64];
    FILE *f;
    char *end;

    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "r");
    if (f == NULL) {
        *out = neutral;
        return errno == ENOENT ? 0 : -1;
    }
    if (fgets(text, sizeof text, f) == NULL) {
        (void)fclose(f);
        return -1;
    }
    (void)fclose(f);
    *out = strtod(text, &end);
    return end == text ? -1 : 0;
}

static int usage(void)
{
    fprintf(stderr,
"Usage: %s --dir SYSFS_DEVICE_DIR --mode sysfs|buffered [--first N]\n"
"                 [--rate HZ --dropped N] FILE.csv\n", prog);
    return 2;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *mode = NULL, *file = NULL;
    uint64_t first = 0, rate = 0, dropped = 0, period = 0;
    double scale[NCHAN], offset[NCHAN];
    static char line[SHMSEQ_LOG_CSV_ROW_MAX + 64];
    shmseq_log_record r;
    uint64_t rows = 0, n0 = 0, prev_n = 0, prev_seq = 0, gaps = 0;
    uint64_t ts0 = 0;
    uint32_t width, epoch = 0;
    int buffered, i, c;
    FILE *f;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            dir = argv[++i];
        else if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc)
            mode = argv[++i];
        else if (strcmp(argv[i], "--first") == 0 && i + 1 < argc)
            first = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--rate") == 0 && i + 1 < argc)
            rate = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--dropped") == 0 && i + 1 < argc)
            dropped = strtoull(argv[++i], NULL, 10);
        else if (argv[i][0] != '-' && file == NULL)
            file = argv[i];
        else
            return usage();
    }
    if (dir == NULL || mode == NULL || file == NULL ||
        (strcmp(mode, "sysfs") != 0 && strcmp(mode, "buffered") != 0))
        return usage();
    buffered = strcmp(mode, "buffered") == 0;
    if (buffered) {
        if (rate == 0)
            return usage();
        period = 1000000000u / rate; /* the module's div_u64() */
    }
    for (c = 0; c < NCHAN; c++) {
        char name[64];

        snprintf(name, sizeof name, "%s_scale", chan[c]);
        if (attr(dir, name, 1.0, &scale[c]) < 0) {
            fprintf(stderr, "%s: bad %s/%s\n", prog, dir, name);
            return 1;
        }
        snprintf(name, sizeof name, "%s_offset", chan[c]);
        if (attr(dir, name, 0.0, &offset[c]) < 0) {
            fprintf(stderr, "%s: bad %s/%s\n", prog, dir, name);
            return 1;
        }
    }
    f = fopen(file, "r");
    if (f == NULL) {
        perror(file);
        return 1;
    }
    if (fgets(line, sizeof line, f) == NULL ||
        shmseq_log_csv_header_parse(line, &width) < 0 || width != NCHAN) {
        fprintf(stderr, "%s: %s: not a logger CSV of %d values\n", prog, file,
                NCHAN);
        return 1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        uint64_t n;

        if (shmseq_log_csv_row_parse(line, NCHAN, &r) != 0 ||
            !(r.values[0] >= 0.0 && r.values[0] < 4294967296.0)) {
            fprintf(stderr, "%s: row %" PRIu64 ": unreadable: %s", prog,
                    rows, line);
            return 1;
        }
        n = (uint64_t)r.values[0];
        if (rows == 0) {
            n0 = n;
            ts0 = r.timestamp_ns;
            epoch = r.epoch;
        } else {
            if (r.seq != prev_seq + 1 || r.epoch != epoch) {
                fprintf(stderr, "%s: row %" PRIu64 ": seq %" PRIu64
                        " epoch %u after seq %" PRIu64 " epoch %u\n", prog,
                        rows, r.seq, (unsigned)r.epoch, prev_seq,
                        (unsigned)epoch);
                return 1;
            }
            if (n <= prev_n || (!buffered && n != prev_n + 1)) {
                fprintf(stderr, "%s: row %" PRIu64 ": n %" PRIu64
                        " after %" PRIu64 "\n", prog, rows, n, prev_n);
                return 1;
            }
            gaps += n - prev_n - 1;
        }
        if (!buffered && rows == 0 && n != first) {
            fprintf(stderr, "%s: the first row has n %" PRIu64 ", want %"
                    PRIu64 "\n", prog, n, first);
            return 1;
        }
        if (buffered && r.timestamp_ns - ts0 != (n - n0) * period) {
            fprintf(stderr, "%s: row %" PRIu64 ": timestamp %" PRIu64
                    " is not t0 %" PRIu64 " + %" PRIu64 " periods of %"
                    PRIu64 " ns\n", prog, rows, r.timestamp_ns, ts0, n - n0,
                    period);
            return 1;
        }
        for (c = 0; c < NCHAN; c++) {
            double want = ((double)raw_of(c, n) + offset[c]) * scale[c];

            if (memcmp(&want, &r.values[c], sizeof want) != 0) {
                fprintf(stderr, "%s: row %" PRIu64 " (n %" PRIu64 "): %s "
                        "is %.17g, want %.17g\n", prog, rows, n, chan[c],
                        r.values[c], want);
                return 1;
            }
        }
        prev_n = n;
        prev_seq = r.seq;
        rows++;
    }
    (void)fclose(f);
    if (rows == 0) {
        fprintf(stderr, "%s: %s has no rows\n", prog, file);
        return 1;
    }
    if (buffered && gaps != dropped) {
        fprintf(stderr, "%s: %" PRIu64 " scans missing from the data, but "
                "--dropped says %" PRIu64 "\n", prog, gaps, dropped);
        return 1;
    }
    printf("%s: rows %" PRIu64 " n %" PRIu64 "..%" PRIu64 " gaps %" PRIu64
           " dropped %" PRIu64 " exact\n", prog, rows, n0, prev_n, gaps,
           dropped);
    return 0;
}
