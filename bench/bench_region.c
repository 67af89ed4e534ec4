/* SPDX-License-Identifier: MIT */
/*
 * bench_region: the memory footprint of a region, shmseq_region_size() for
 * a few (width, capacity) pairs, so a static system can plan its shared
 * memory. Prints a table and, with --csv FILE, appends it as CSV.
 */
#define _POSIX_C_SOURCE 200809L

#include <inttypes.h>
#include <string.h>

#include <shmseq/shmseq.h>

#include "bench_util.h"

int main(int argc, char **argv)
{
    static const uint32_t widths[] = {1, 3, 6, 16, 64};
    static const uint32_t caps[] = {64, 1024, 4096, 65536};
    bench_opts o = {.count = 1, .width = 1, .capacity = 2, .wcpu = -1,
                    .rcpu = -1, .run = 1, .csv = NULL};
    size_t i, j;

    bench_parse(argc, argv, &o,
                "Usage: bench_region [--csv FILE]\n"
                "Region bytes for a few (width, capacity) pairs.");
    printf("%-6s %-9s %-10s %-12s\n", "width", "capacity", "slot B",
           "region B");
    for (i = 0; i < sizeof widths / sizeof widths[0]; i++)
        for (j = 0; j < sizeof caps / sizeof caps[0]; j++) {
            size_t sz = shmseq_region_size(widths[i], caps[j]);
            uint32_t slot = shmseq_slot_size(widths[i]);
            printf("%-6u %-9u %-10u %-12zu\n", (unsigned)widths[i],
                   (unsigned)caps[j], (unsigned)slot, sz);
            bench_csv(o.csv, "width,capacity,slot_bytes,region_bytes",
                      "%u,%u,%u,%zu", (unsigned)widths[i], (unsigned)caps[j],
                      (unsigned)slot, sz);
        }
    return 0;
}
