/* SPDX-License-Identifier: MIT */
/*
 * bench_fill: fill a region with N samples as fast as the writer goes,
 * then exit and leave the region in place, so a reader started afterwards
 * (the fleet bridge in bench/fleet.sh) has a backlog to drain at its own
 * full speed, whatever a paced sensor task could supply.
 *
 *   bench_fill NAME WIDTH CAPACITY N
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/shmseq.h>

int main(int argc, char **argv)
{
    shmseq_writer w;
    shmseq_config cfg;
    double v[64];
    unsigned long n;
    int rc;

    if (argc != 5) {
        fprintf(stderr, "usage: bench_fill NAME WIDTH CAPACITY N\n");
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.width = (uint32_t)strtoul(argv[2], NULL, 10);
    cfg.capacity = (uint32_t)strtoul(argv[3], NULL, 10);
    cfg.flags = SHMSEQ_WRITER_RECREATE;
    n = strtoul(argv[4], NULL, 10);
    if (cfg.width == 0 || cfg.width > 64 || n == 0 || n > cfg.capacity) {
        fprintf(stderr, "bench_fill: width 1..64, 1 <= N <= CAPACITY\n");
        return 2;
    }
    /* A fresh region: numbering from 0, nothing of an earlier fill. */
    rc = shmseq_unlink(argv[1]);
    if (rc < 0 && rc != -ENOENT) {
        fprintf(stderr, "bench_fill: %s: %s\n", argv[1], shmseq_strerror(rc));
        return 1;
    }
    rc = shmseq_writer_open(&w, argv[1], &cfg);
    if (rc < 0) {
        fprintf(stderr, "bench_fill: %s: %s\n", argv[1], shmseq_strerror(rc));
        return 1;
    }
    for (unsigned long i = 0; i < n; i++) {
        for (uint32_t j = 0; j < cfg.width; j++)
            v[j] = (double)i + (double)j / 8.0;
        shmseq_publish(&w, v, shmseq_now_ns());
    }
    shmseq_writer_close(&w);
    return 0;
}
