/* SPDX-License-Identifier: MIT */
/*
 * bench_calls: what one call of the C API costs, in one process, as the
 * baseline of the Python package's figures (bench/python.sh runs this and
 * bench/bench_python.py on the same region shape, in the same run):
 *
 *   publish    ns per shmseq_publish() (a reader attached, awake)
 *   read       ns per shmseq_read() of a sample already in the ring
 *   read_many  samples per second through shmseq_read_many() in batches
 *
 * The ring is filled before each read pass, so the reads measure the copy
 * out of a cached ring and the loss accounting, not a wait for a writer.
 * Times are the process's CPU time (CLOCK_PROCESS_CPUTIME_ID), as
 * bench_python.py measures (time.process_time_ns()).
 * Rows go to stdout and, with --csv FILE, are appended as
 * impl,op,width,batch,run,n,ns_per_sample,msamples_per_s (for the single
 * calls a sample is a call). Nothing asserts on
 * time.
 *
 * usage: bench_calls [--count N] [--width W] [--capacity C] [--batch B]
 *                    [--run R] [--csv FILE]
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

/* CPU time of this process: a pass preempted by other work on a shared
 * machine is not charged for the time it did not run. Read once per pass
 * of up to a ring's worth of calls, so its own cost does not count. */
static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static FILE *csv;
static unsigned run = 1;

static void row(const char *op, uint32_t width, uint32_t batch, uint64_t n,
                uint64_t ns)
{
    double per = (double)ns / (double)n;
    double msps = (double)n / ((double)ns / 1e9) / 1e6;
    printf("c      %-10s width %u batch %-6u n %-9llu %8.1f ns/sample %8.2f M samples/s\n",
           op, width, batch, (unsigned long long)n, per, msps);
    if (csv != NULL)
        fprintf(csv, "c,%s,%u,%u,%u,%llu,%.3f,%.4f\n", op, width, batch, run,
                (unsigned long long)n, per, msps);
}

int main(int argc, char **argv)
{
    uint64_t count = 2000000;
    uint32_t width = 4, capacity = 65536, batch = 4096;
    const char *csv_path = NULL;
    for (int i = 1; i < argc; i += 2) { /* --option value pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (v == NULL)
            goto usage;
        if (strcmp(a, "--count") == 0)
            count = strtoull(v, NULL, 0);
        else if (strcmp(a, "--width") == 0)
            width = (uint32_t)strtoul(v, NULL, 0);
        else if (strcmp(a, "--capacity") == 0)
            capacity = (uint32_t)strtoul(v, NULL, 0);
        else if (strcmp(a, "--batch") == 0)
            batch = (uint32_t)strtoul(v, NULL, 0);
        else if (strcmp(a, "--run") == 0)
            run = (unsigned)strtoul(v, NULL, 0);
        else if (strcmp(a, "--csv") == 0)
            csv_path = v;
        else
            goto usage;
    }
    if (count == 0 || width < 1 || width > SHMSEQ_WIDTH_MAX || batch < 1 ||
        batch > capacity)
        goto usage;
    if (csv_path != NULL && (csv = fopen(csv_path, "a")) == NULL) {
        perror(csv_path);
        return 1;
    }

    char name[64];
    snprintf(name, sizeof name, "bench-calls-%ld", (long)getpid());
    shmseq_config cfg = {.width = width, .capacity = capacity};
    shmseq_writer w;
    shmseq_reader r;
    int rc = shmseq_writer_open(&w, name, &cfg);
    if (rc == 0 && (rc = shmseq_reader_open(&r, name, SHMSEQ_START_OLDEST)) < 0)
        shmseq_writer_close(&w);
    if (rc < 0) {
        fprintf(stderr, "bench_calls: %s: %s\n", name, shmseq_strerror(rc));
        return 1;
    }
    double *v = calloc((size_t)batch * width, sizeof *v);
    shmseq_sample *meta = calloc(batch, sizeof *meta);
    if (v == NULL || meta == NULL)
        return 1;

    /* publish: the reader keeps up between passes, so no pass laps it */
    uint64_t t = 0, done = 0;
    while (done < count) {
        uint64_t k = count - done < capacity ? count - done : capacity;
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < k; i++) {
            v[0] = (double)i;
            shmseq_publish(&w, v, t0);
        }
        t += now_ns() - t0;
        done += k;
        while (shmseq_read_many(&r, meta, v, width, batch) > 0) {
        }
    }
    row("publish", width, 1, count, t);

    /* read: one sample per call out of a full ring */
    t = 0;
    done = 0;
    while (done < count) {
        uint64_t k = count - done < capacity ? count - done : capacity;
        for (uint64_t i = 0; i < k; i++)
            shmseq_publish(&w, v, i);
        uint64_t t0 = now_ns();
        for (uint64_t i = 0; i < k; i++)
            if (shmseq_read(&r, meta, v, width) != 0)
                return 1;
        t += now_ns() - t0;
        done += k;
    }
    row("read", width, 1, count, t);

    /* read_many: batches out of a full ring */
    t = 0;
    done = 0;
    while (done < count) {
        uint64_t k = count - done < capacity ? count - done : capacity;
        for (uint64_t i = 0; i < k; i++)
            shmseq_publish(&w, v, i);
        uint64_t got = 0, t0 = now_ns();
        while (got < k) {
            rc = shmseq_read_many(&r, meta, v, width, batch);
            if (rc < 0)
                return 1;
            got += (uint64_t)rc;
        }
        t += now_ns() - t0;
        done += k;
    }
    row("read_many", width, batch, count, t);

    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
    (void)shmseq_remove(name, SHMSEQ_REMOVE_FORCE);
    free(v);
    free(meta);
    if (csv != NULL)
        fclose(csv);
    return 0;
usage:
    fprintf(stderr, "usage: bench_calls [--count N] [--width W] [--capacity C] "
                    "[--batch B<=C] [--run R] [--csv FILE]\n");
    return 2;
}
