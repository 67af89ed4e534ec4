/* SPDX-License-Identifier: MIT */
/*
 * check_csv: the end-to-end tests' checker.
 *
 * Default mode checks a logger CSV produced from the sim sensor: the header,
 * consecutive sample numbers with no gap, one epoch, non-decreasing
 * timestamps, the row count within a tolerance, and that EVERY value is bit
 * for bit shmseq_sim_value() recomputed from the row's sample number (the
 * logger prints 17 significant digits, which strtod reads back exactly).
 *
 * --saver mode checks reader_saver's stdout: N lines "SEQ original a,b,..
 * doubled A,B,..", sample numbers 0..N-1, and A == 2a exactly.
 *
 * Exit status: 0 all checks passed, 1 a check failed, 2 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/bsp.h>

#define LINE_MAX_BYTES 8192

static const char *prog = "check_csv";

static int usage(void)
{
    fprintf(stderr,
"Usage: %s [--board NAME] [--rate HZ] [--params STR] [--rows N]\n"
"                 [--tolerance PCT] FILE\n"
"       %s --saver --count N FILE\n"
"  --board NAME      board whose sim parameters and width made FILE (desktop)\n"
"  --rate HZ         the sensor_reader's --rate     (board's rate)\n"
"  --params STR      the sensor_reader's --params   (board's parameters)\n"
"  --rows N          expected rows                  (no check)\n"
"  --tolerance PCT   allowed row-count deviation    (10)\n"
"  --saver           check reader_saver output instead\n"
"  --count N         expected reader_saver lines\n"
"Exit status: 0 pass, 1 check failed, 2 usage error.\n", prog, prog);
    return 2;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return (*end != '\0' || errno == ERANGE) ? -1 : 0;
}

/* Split @p line at ',' in place; returns the field count. */
static size_t split(char *line, char **fields, size_t max)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        if (n < max)
            fields[n] = p;
        n++;
        p = strchr(p, ',');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    return n;
}

static int parse_value(const char *s, double *out)
{
    char *end;

    if (*s == '\0')
        return -1;
    *out = strtod(s, &end);
    return *end == '\0' ? 0 : -1;
}

static int chomp(char *line, FILE *f, uint64_t lineno)
{
    size_t len = strlen(line);

    if (len == 0 || line[len - 1] != '\n') {
        fprintf(stderr, "%s: line %" PRIu64 ": %s\n", prog, lineno,
                feof(f) ? "no final newline (truncated output?)"
                        : "line too long");
        return -1;
    }
    line[len - 1] = '\0';
    return 0;
}

static int check_sim_csv(FILE *f, const shmseq_board *b, uint32_t rate,
                         const char *params, uint64_t want_rows, double tol)
{
    static char line[LINE_MAX_BYTES];
    char expect[LINE_MAX_BYTES];
    char *fields[3 + SHMSEQ_SIM_WIDTH_MAX];
    shmseq_sim_params p;
    char why[128] = "";
    uint32_t width = b->width, c, epoch = 0;
    uint64_t rows = 0, lineno = 1, first = 0, prev = 0, prev_ts = 0;
    uint64_t bad_values = 0;
    size_t off, n;

    if (width > SHMSEQ_SIM_WIDTH_MAX) {
        fprintf(stderr, "%s: board width %u too large\n", prog,
                (unsigned)width);
        return 2;
    }
    if (shmseq_sim_parse(params, rate, &p, why, sizeof why) < 0) {
        fprintf(stderr, "%s: --params: %s\n", prog, why);
        return 2;
    }
    off = (size_t)snprintf(expect, sizeof expect, "seq,timestamp_ns,epoch");
    for (c = 0; c < width; c++)
        off += (size_t)snprintf(expect + off, sizeof expect - off, ",v%u",
                                (unsigned)c);
    if (fgets(line, sizeof line, f) == NULL) {
        fprintf(stderr, "%s: empty file (no header)\n", prog);
        return 1;
    }
    if (chomp(line, f, lineno) < 0)
        return 1;
    if (strcmp(line, expect) != 0) {
        fprintf(stderr, "%s: header '%s', want '%s'\n", prog, line, expect);
        return 1;
    }
    while (fgets(line, sizeof line, f) != NULL) {
        uint64_t seq, ts, ep;

        lineno++;
        if (chomp(line, f, lineno) < 0)
            return 1;
        n = split(line, fields, sizeof fields / sizeof fields[0]);
        if (n != 3 + width) {
            fprintf(stderr, "%s: line %" PRIu64 ": %zu fields, want %u\n",
                    prog, lineno, n, (unsigned)(3 + width));
            return 1;
        }
        if (parse_u64(fields[0], &seq) < 0 || parse_u64(fields[1], &ts) < 0 ||
            parse_u64(fields[2], &ep) < 0 || ep == 0 || ep > UINT32_MAX) {
            fprintf(stderr, "%s: line %" PRIu64 ": bad seq, timestamp or "
                    "epoch\n", prog, lineno);
            return 1;
        }
        if (rows == 0) {
            first = seq;
            epoch = (uint32_t)ep;
        } else {
            if (seq != prev + 1) {
                fprintf(stderr, "%s: line %" PRIu64 ": seq %" PRIu64
                        " follows %" PRIu64 " (gap of %" PRIu64 ")\n",
                        prog, lineno, seq, prev,
                        seq > prev ? seq - prev - 1 : 0);
                return 1;
            }
            if (ts < prev_ts) {
                fprintf(stderr, "%s: line %" PRIu64 ": timestamp goes "
                        "backwards\n", prog, lineno);
                return 1;
            }
            if (ep != epoch) {
                fprintf(stderr, "%s: line %" PRIu64 ": epoch %" PRIu64
                        " after %u (unexpected writer takeover)\n", prog,
                        lineno, ep, (unsigned)epoch);
                return 1;
            }
        }
        for (c = 0; c < width; c++) {
            double got, want = shmseq_sim_value(&p, c, seq);

            if (parse_value(fields[3 + c], &got) < 0) {
                fprintf(stderr, "%s: line %" PRIu64 ": v%u '%s' is not a "
                        "number\n", prog, lineno, (unsigned)c, fields[3 + c]);
                return 1;
            }
            if (memcmp(&got, &want, sizeof got) != 0) {
                if (bad_values < 5)
                    fprintf(stderr, "%s: line %" PRIu64 ": seq %" PRIu64
                            " v%u = %.17g, sim gives %.17g\n", prog, lineno,
                            seq, (unsigned)c, got, want);
                bad_values++;
            }
        }
        prev = seq;
        prev_ts = ts;
        rows++;
    }
    if (ferror(f)) {
        fprintf(stderr, "%s: read error\n", prog);
        return 1;
    }
    if (bad_values != 0) {
        fprintf(stderr, "%s: %" PRIu64 " values differ from the sim "
                "waveform\n", prog, bad_values);
        return 1;
    }
    if (want_rows != 0) {
        double lo = (double)want_rows * (1.0 - tol / 100.0);
        double hi = (double)want_rows * (1.0 + tol / 100.0);

        if ((double)rows < lo || (double)rows > hi) {
            fprintf(stderr, "%s: %" PRIu64 " rows, want %" PRIu64
                    " +- %g%%\n", prog, rows, want_rows, tol);
            return 1;
        }
    }
    if (rows == 0) {
        fprintf(stderr, "%s: no rows\n", prog);
        return 1;
    }
    printf("%s: OK: %" PRIu64 " rows, seq %" PRIu64 "..%" PRIu64
           " consecutive, epoch %u, every value equals the sim waveform\n",
           prog, rows, first, prev, (unsigned)epoch);
    return 0;
}

/* "a,b,c" -> values; returns the count or -1. */
static int parse_list(char *s, double *v, int max)
{
    char *fields[SHMSEQ_SIM_WIDTH_MAX * 4 + 1];
    size_t n = split(s, fields, sizeof fields / sizeof fields[0]), i;

    if (n > (size_t)max || n > sizeof fields / sizeof fields[0])
        return -1;
    for (i = 0; i < n; i++)
        if (parse_value(fields[i], &v[i]) < 0)
            return -1;
    return (int)n;
}

static int check_saver(FILE *f, uint64_t count)
{
    static char line[LINE_MAX_BYTES];
    double a[64], d[64];
    uint64_t lineno = 0;

    while (fgets(line, sizeof line, f) != NULL) {
        char *orig, *dbl, *sp;
        uint64_t seq;
        int na, nd, i;

        lineno++;
        if (chomp(line, f, lineno) < 0)
            return 1;
        orig = strstr(line, " original ");
        dbl = strstr(line, " doubled ");
        if (orig == NULL || dbl == NULL || dbl < orig) {
            fprintf(stderr, "%s: line %" PRIu64 ": not 'SEQ original ... "
                    "doubled ...': %s\n", prog, lineno, line);
            return 1;
        }
        *orig = '\0';
        *dbl = '\0';
        sp = orig + strlen(" original ");
        if (parse_u64(line, &seq) < 0 || seq != lineno - 1) {
            fprintf(stderr, "%s: line %" PRIu64 ": sample number '%s', want %"
                    PRIu64 "\n", prog, lineno, line, lineno - 1);
            return 1;
        }
        na = parse_list(sp, a, 64);
        nd = parse_list(dbl + strlen(" doubled "), d, 64);
        if (na <= 0 || na != nd) {
            fprintf(stderr, "%s: line %" PRIu64 ": bad value lists\n", prog,
                    lineno);
            return 1;
        }
        for (i = 0; i < na; i++) {
            double want = 2.0 * a[i];

            if (memcmp(&want, &d[i], sizeof want) != 0) {
                fprintf(stderr, "%s: line %" PRIu64 ": 2 * %.17g printed as "
                        "%.17g\n", prog, lineno, a[i], d[i]);
                return 1;
            }
        }
    }
    if (lineno != count) {
        fprintf(stderr, "%s: %" PRIu64 " lines, want %" PRIu64 "\n", prog,
                lineno, count);
        return 1;
    }
    printf("%s: OK: %" PRIu64 " saver lines, every doubled value exact\n",
           prog, lineno);
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"board", required_argument, NULL, 'b'},
        {"rate", required_argument, NULL, 'r'},
        {"params", required_argument, NULL, 'p'},
        {"rows", required_argument, NULL, 'n'},
        {"tolerance", required_argument, NULL, 't'},
        {"saver", no_argument, NULL, 's'},
        {"count", required_argument, NULL, 'c'},
        {NULL, 0, NULL, 0},
    };
    const char *board_name = "desktop", *params = NULL;
    uint64_t rate = 0, rows = 0, count = 0;
    double tol = 10.0;
    int saver = 0, opt, rc;
    const shmseq_board *b;
    FILE *f;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case 'b': board_name = optarg; break;
        case 'r':
            if (parse_u64(optarg, &rate) < 0 || rate == 0 || rate > UINT32_MAX)
                return usage();
            break;
        case 'p': params = optarg; break;
        case 'n':
            if (parse_u64(optarg, &rows) < 0)
                return usage();
            break;
        case 't': tol = strtod(optarg, NULL); break;
        case 's': saver = 1; break;
        case 'c':
            if (parse_u64(optarg, &count) < 0)
                return usage();
            break;
        default: return usage();
        }
    }
    if (optind + 1 != argc)
        return usage();
    f = fopen(argv[optind], "r");
    if (f == NULL) {
        fprintf(stderr, "%s: %s: %s\n", prog, argv[optind], strerror(errno));
        return 1;
    }
    if (saver) {
        rc = check_saver(f, count);
    } else {
        b = shmseq_board_find(board_name);
        if (b == NULL || strcmp(b->sensor, "sim") != 0) {
            fprintf(stderr, "%s: no sim board '%s'\n", prog, board_name);
            fclose(f);
            return 2;
        }
        rc = check_sim_csv(f, b, rate != 0 ? (uint32_t)rate : b->rate_hz,
                           params != NULL ? params : b->sensor_params, rows,
                           tol);
    }
    fclose(f);
    return rc;
}
