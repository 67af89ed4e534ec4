/* SPDX-License-Identifier: MIT */
/*
 * flat_writer: a C writer for the Python package's tests
 * (python/tests/test_c_interop.py). Publishes COUNT samples into region
 * NAME as fast as it can, every word derived from the sample number n so
 * that a reader in Python checks each copy whole with numpy: value i is
 * n * 64 + i (exact in a double up to 2^47 samples), the timestamp is
 * 3n + 1. The region must exist (the test creates it, so its reader is
 * attached from sample 0); this program takes it over as its writer.
 *
 * usage: flat_writer NAME COUNT
 * Prints "flat_writer: published COUNT from #FIRST" on success.
 */
#include <stdio.h>
#include <stdlib.h>

#include <shmseq/shmseq.h>

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s NAME COUNT\n", argv[0]);
        return 2;
    }
    uint64_t count = strtoull(argv[2], NULL, 0);
    shmseq_region_info info;
    int rc = shmseq_info(argv[1], &info);
    if (rc < 0) {
        fprintf(stderr, "flat_writer: %s: %s\n", argv[1], shmseq_strerror(rc));
        return 1;
    }
    shmseq_config cfg = {.width = info.width, .capacity = info.capacity};
    shmseq_writer w;
    rc = shmseq_writer_open(&w, argv[1], &cfg);
    if (rc < 0) {
        fprintf(stderr, "flat_writer: %s: %s\n", argv[1], shmseq_strerror(rc));
        return 1;
    }
    double v[SHMSEQ_WIDTH_MAX];
    uint64_t first = shmseq_writer_next(&w);
    for (uint64_t n = first; n < first + count; n++) {
        for (uint32_t i = 0; i < cfg.width; i++)
            v[i] = (double)(n * 64u + i);
        shmseq_publish(&w, v, 3u * n + 1u);
    }
    shmseq_writer_close(&w);
    printf("flat_writer: published %llu from #%llu\n", (unsigned long long)count,
           (unsigned long long)first);
    return 0;
}
