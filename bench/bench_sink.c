/* SPDX-License-Identifier: MIT */
/*
 * bench_sink: the sustained store rate of the logger's sinks, fed straight
 * through the sink API (no region, no reader: what a sink alone costs).
 * For each width (4 and 16) and each built sink (bin, csv, sqlite) it
 * stores N records into a fresh file in a temporary directory, with the
 * logger's defaults (--fsync 1000ms; sqlite: commits every 100 ms or 4096
 * rows), and times from begin to the end of close (the final durable
 * sync included). It prints records per second and the ratio to the
 * binary sink measured in the same run.
 *
 *   bench_sink [-n N] [--csv FILE]     (default N = 1000000)
 *
 * CSV columns: sink,width,records,seconds,rate_per_s,ratio_to_bin.
 * Nothing here asserts on time.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/sink.h>

#define BATCH 256u

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Store n records of @p width into @p path through sink @p name; the
 * seconds it took, or a negative value if the sink failed. */
static double run_sink(const char *name, const char *path, uint32_t width,
                       uint64_t n)
{
    static shmseq_sink k;
    static shmseq_log_record recs[BATCH];
    shmseq_sink_config cfg;
    shmseq_log_header h;
    uint64_t seq = 0, t0, t1;
    uint32_t i, c;

    memset(&cfg, 0, sizeof cfg);
    cfg.target = path;
    cfg.force = 1;
    cfg.sync_ns = 1000000000u;
    if (shmseq_sink_open(&k, name, &cfg) < 0) {
        fprintf(stderr, "bench_sink: %s: %s\n", name, k.why);
        return -1.0;
    }
    memset(&h, 0, sizeof h);
    h.width = width;
    h.capacity = 4096;
    h.epoch = 1;
    h.created_realtime_ns = 1;
    snprintf(h.name, sizeof h.name, "bench");
    t0 = now_ns();
    shmseq_sink_begin(&k, &h, t0);
    while (seq < n) {
        uint32_t m = n - seq < BATCH ? (uint32_t)(n - seq) : BATCH;
        uint64_t t;

        for (i = 0; i < m; i++) {
            recs[i].seq = seq + i;
            recs[i].timestamp_ns = (seq + i) * 100000u;
            recs[i].lost_before = 0;
            recs[i].epoch = 1;
            recs[i].width = width;
            for (c = 0; c < width; c++)
                recs[i].values[c] = (double)(seq + i) * 0.001 + c;
        }
        t = now_ns();
        if (shmseq_sink_write(&k, recs, m, t) < 0)
            break;
        (void)shmseq_sink_tick(&k, t);
        seq += m;
    }
    shmseq_sink_close(&k);
    t1 = now_ns();
    if (k.error != 0 || k.written != n) {
        fprintf(stderr, "bench_sink: %s: %s (%" PRIu64 " of %" PRIu64
                " stored)\n", name, k.why, k.written, n);
        return -1.0;
    }
    return (double)(t1 - t0) / 1e9;
}

int main(int argc, char **argv)
{
    static const char *const sinks[] = {"bin", "csv", "sqlite"};
    static const uint32_t widths[] = {4, 16};
    const char *csv = NULL;
    char dir[] = "/tmp/shmseq-bench-sink.XXXXXX", path[128], cmd[160];
    uint64_t n = 1000000;
    FILE *out = NULL;
    size_t wi, si;
    int i, failed = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
            n = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--csv") == 0 && i + 1 < argc)
            csv = argv[++i];
        else {
            fprintf(stderr, "usage: bench_sink [-n N] [--csv FILE]\n");
            return 2;
        }
    }
    if (n == 0 || mkdtemp(dir) == NULL) {
        fprintf(stderr, "bench_sink: bad -n or no temporary directory\n");
        return 2;
    }
    if (csv != NULL) {
        out = fopen(csv, "a");
        if (out == NULL) {
            fprintf(stderr, "bench_sink: %s: %s\n", csv, strerror(errno));
            return 1;
        }
    }
    for (wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        double bin_rate = 0;

        for (si = 0; si < sizeof sinks / sizeof sinks[0]; si++) {
            double s, rate;

            if (shmseq_sink_find(sinks[si]) == NULL) {
                printf("sink=%s width=%u: not built\n", sinks[si],
                       (unsigned)widths[wi]);
                continue;
            }
            snprintf(path, sizeof path, "%s/out.%s", dir, sinks[si]);
            s = run_sink(sinks[si], path, widths[wi], n);
            snprintf(cmd, sizeof cmd, "rm -f '%s'*", path);
            if (system(cmd) != 0)
                fprintf(stderr, "bench_sink: could not remove %s\n", path);
            if (s <= 0) {
                failed = 1;
                continue;
            }
            rate = (double)n / s;
            if (si == 0)
                bin_rate = rate;
            printf("sink=%s width=%u records=%" PRIu64 " seconds=%.3f "
                   "rate=%.0f/s ratio_to_bin=%.3f\n", sinks[si],
                   (unsigned)widths[wi], n, s, rate,
                   bin_rate > 0 ? rate / bin_rate : 0.0);
            if (out != NULL)
                fprintf(out, "%s,%u,%" PRIu64 ",%.6f,%.0f,%.4f\n", sinks[si],
                        (unsigned)widths[wi], n, s, rate,
                        bin_rate > 0 ? rate / bin_rate : 0.0);
        }
    }
    if (out != NULL)
        fclose(out);
    rmdir(dir);
    return failed;
}
