/* SPDX-License-Identifier: MIT */
/*
 * Writes the seed corpus of fuzz_attach (tests/fuzz/corpus/): a few valid
 * regions of different geometry and state, in fuzz_attach's input layout
 * (8-byte prefix, the region's bytes packed: the three header lines, then
 * the slots; then read operations). The committed files were made with
 * it; rerun after a layout change:
 *
 *   make_seeds tests/fuzz/corpus
 *
 * except huge-number-head, an input the fuzzer found (a slot numbered past
 * 2^63), kept as a regression seed: after a layout change, patch its
 * version, offsets, region size and mapped size by hand (it does not
 * change otherwise, and make_seeds does not remove it).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <shmseq/ring.h>

#include "ring_test.h"

static _Alignas(64) unsigned char mem[SHMSEQ_HEADER_SIZE + 64 * 1024];

static int save(const char *dir, const char *name, size_t size,
                unsigned flags, unsigned room)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    unsigned char prefix[8] = {(unsigned char)size, (unsigned char)(size >> 8),
                               (unsigned char)(size >> 16),
                               (unsigned char)(size >> 24), (unsigned char)flags,
                               (unsigned char)room, 0, 0};
    /* Operations: read, read_latest, ready, read, poke head, read. */
    static const unsigned char ops[6][8] = {
        {0, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0},
        {2, 0, 0, 0, 0, 0, 0, 0}, {4, 64, 0, 0, 0, 0, 0, 0},
        {3, 0, 16, 0, 7, 0, 0, 0}, {0, 0, 0, 0, 0, 0, 0, 0},
    };
    size_t ring = size - SHMSEQ_HEADER_SIZE;
    int bad = fwrite(prefix, 1, sizeof prefix, f) != sizeof prefix ||
              fwrite(mem, 1, 2 * SHMSEQ_LINE_SIZE, f) != 2 * SHMSEQ_LINE_SIZE ||
              fwrite(mem + SHMSEQ_CTL_OFFSET, 1, SHMSEQ_LINE_SIZE, f) !=
                  SHMSEQ_LINE_SIZE ||
              fwrite(mem + SHMSEQ_HEADER_SIZE, 1, ring, f) != ring ||
              fwrite(ops, 1, sizeof ops, f) != sizeof ops;
    bad |= fclose(f) != 0;
    if (bad)
        fprintf(stderr, "%s: write failed\n", path);
    return bad;
}

static size_t make(uint32_t width, uint32_t capacity, uint64_t publish,
                   uint64_t first)
{
    memset(mem, 0, sizeof mem);
    size_t size = shmseq_region_size(width, capacity);
    if (shmseq_ring_format(mem, size, width, capacity, 1, 2) != 0)
        return 0;
    if (first != 0 && shmseq__ring_test_start(mem, size, first, 0xfffffff0u) != 0)
        return 0;
    shmseq_ring_writer w;
    if (shmseq_ring_writer_attach(&w, mem, size) != 0)
        return 0;
    double v[SHMSEQ_WIDTH_MAX];
    for (uint64_t k = 0; k < publish; k++) {
        for (uint32_t i = 0; i < width; i++)
            v[i] = (double)k + i;
        shmseq_ring_publish(&w, v, k);
    }
    return size;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int bad = 0;
    size_t n;

    n = make(1, 2, 0, 0); /* smallest, empty */
    bad |= n == 0 || save(dir, "w1-c2-empty", n, 1, 1);
    n = make(3, 4, 6, 0); /* lapped once */
    bad |= n == 0 || save(dir, "w3-c4-lapped", n, 1, 3);
    n = make(2, 8, 5, 0xfffffffeu); /* crossing 2^32 */
    bad |= n == 0 || save(dir, "w2-c8-wrap", n, 0, 2);
    n = make(64, 2, 3, 0); /* widest */
    bad |= n == 0 || save(dir, "w64-c2", n, 1, 64);
    n = make(1, 16, 20, 0); /* a writer died mid-write: slot of head odd */
    if (n != 0) {
        uint32_t head;
        memcpy(&head, mem + SHMSEQ_LINE_SIZE, sizeof head);
        unsigned char *slot = mem + SHMSEQ_HEADER_SIZE +
                              (size_t)(head & 15u) * shmseq_slot_size(1);
        uint32_t seq;
        memcpy(&seq, slot, sizeof seq);
        seq |= 1u;
        memcpy(slot, &seq, sizeof seq);
    }
    bad |= n == 0 || save(dir, "w1-c16-odd", n, 1, 1);
    return bad ? 1 : 0;
}
