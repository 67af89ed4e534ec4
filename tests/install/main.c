/* SPDX-License-Identifier: MIT */
/*
 * Consumer of an installed shmseq (tests/install/run.sh builds it with
 * find_package and with pkg-config). It checks that the installed headers
 * compile on their own (no port header is installed, yet the handles are
 * complete types the caller allocates) and that the archive links and
 * works: sizes, error text, and one sample through a ring in static memory.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <shmseq/shmseq.h>

/* A region of width 4 and 16 slots: the header's two 64 KiB pages
 * (layout 3: the reader-control line and the ring each on a page of its
 * own, docs/layout.md), then 16 slots of 64 bytes. */
#define REGION_BYTES (SHMSEQ_HEADER_SIZE + 16u * 64u)
static _Alignas(64) unsigned char mem[REGION_BYTES];

int main(void)
{
    size_t size = shmseq_region_size(4, 16);
    const char *busy = shmseq_strerror(-EBUSY);
    shmseq_ring_writer w;
    shmseq_ring_reader r;
    shmseq_sample meta;
    double in[4] = {1.0, 2.0, 3.0, 4.0}, out[4] = {0};

    printf("region_size(4, 16) = %zu\n", size);
    printf("sizeof(shmseq_writer) = %zu, sizeof(shmseq_reader) = %zu\n",
           sizeof(shmseq_writer), sizeof(shmseq_reader));
    printf("strerror(-EBUSY) = %s\n", busy);
    if (size != REGION_BYTES || size != 131072u + 16u * 64u ||
        busy == NULL || busy[0] == '\0' ||
        shmseq_region_size(0, 16) != 0)
        return 1;

    if (shmseq_ring_format(mem, sizeof mem, 4, 16, 0, 0) != 0 ||
        shmseq_ring_writer_attach(&w, mem, sizeof mem) != 0 ||
        shmseq_ring_reader_attach(&r, mem, sizeof mem, SHMSEQ_START_OLDEST) != 0 ||
        shmseq_ring_publish(&w, in, 42) != 0 ||
        shmseq_ring_read(&r, &meta, out, 4) != 0)
        return 1;
    if (meta.seq != 0 || meta.timestamp_ns != 42 || memcmp(in, out, sizeof in) != 0)
        return 1;
    printf("ring round trip ok (sample %llu, epoch %u)\n",
           (unsigned long long)meta.seq, (unsigned)meta.epoch);
    return 0;
}
