/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target over the path that meets untrusted shared memory
 * (invariant 7): shmseq_ring_check, shmseq_ring_reader_attach and then a
 * bounded number of reads, with a hostile "writer" changing words between
 * them; and shmseq_ring_writer_attach plus publish/read on a copy.
 *
 * Input layout (little-endian):
 *   [0..3]   mapped size (masked to BUF_MAX, rounded down to 8 bytes)
 *   [4]      reader flags (bit 0: SHMSEQ_START_OLDEST)
 *   [5]      max_values offered to reads (0..255)
 *   [6..7]   unused
 *   [8..]    the region's bytes, packed: its three header lines (static,
 *            writer, reader-control: 192 bytes, as they lie at 0, 64 and
 *            SHMSEQ_CTL_OFFSET), then the slots from SHMSEQ_HEADER_SIZE
 *            on (zero after the input; the padding between is zero),
 *            then, past the packed size, 8-byte operations:
 *            op[0] % 5: 0 read, 1 read_latest, 2 ready, 3 poke the 32-bit
 *            word at packed offset (op[2..3] * 4) % packed size with
 *            op[4..7], 4 read with max_values = op[1]
 *
 * Packing keeps inputs small (the padding is 128 KiB of zeros that no
 * code reads) while every byte the library reads stays reachable.
 *
 * Nothing beyond the mapped size is addressable: the rest of the static
 * buffer is poisoned for AddressSanitizer, as unmapped pages would be.
 * Checked on every call: no crash or sanitizer report; only documented
 * return codes; a read never writes more than the region's width values
 * (nor any on error); received + lost == next - first at all times; and on
 * the copy, whatever a reader gets back after the writer attached is
 * exactly what that writer published.
 *
 * Run: fuzz_attach CORPUS_DIR SEED_DIR -runs=N (see tests/fuzz/fuzz.cmake).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include <shmseq/ring.h>

#define BUF_MAX (64u * 1024u + SHMSEQ_HEADER_SIZE)
#define LINES (3u * SHMSEQ_LINE_SIZE) /* packed header: three lines */
#define MAX_OPS 64u
#define GUARD 8u
#define SENTINEL 0x5a5a5a5a5a5a5a5au

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(64) unsigned char region[BUF_MAX];
static _Alignas(64) unsigned char copy[BUF_MAX];

#define CHECK(cond)                                                           \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "fuzz_attach: check failed: %s (line %d)\n",     \
                    #cond, __LINE__);                                         \
            abort();                                                          \
        }                                                                     \
    } while (0)

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

/* Make [0, n) of @buf addressable and the rest not, like a mapping of n
 * bytes followed by nothing. */
static void map_as(unsigned char *buf, size_t n)
{
    ASAN_UNPOISON_MEMORY_REGION(buf, BUF_MAX);
    if (n < BUF_MAX)
        ASAN_POISON_MEMORY_REGION(buf + n, BUF_MAX - n);
}

static void fill_sentinel(uint64_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        v[i] = SENTINEL;
}

/* Region offset of packed offset @c. */
static size_t unpack_off(size_t c)
{
    if (c < 2u * SHMSEQ_LINE_SIZE)
        return c;
    if (c < LINES)
        return SHMSEQ_CTL_OFFSET + (c - 2u * SHMSEQ_LINE_SIZE);
    return SHMSEQ_HEADER_SIZE + (c - LINES);
}

/* Packed bytes that a region of @n mapped bytes holds. */
static size_t packed_size(size_t n)
{
    if (n <= 2u * SHMSEQ_LINE_SIZE)
        return n;
    if (n <= SHMSEQ_CTL_OFFSET)
        return 2u * SHMSEQ_LINE_SIZE;
    if (n <= SHMSEQ_CTL_OFFSET + SHMSEQ_LINE_SIZE)
        return 2u * SHMSEQ_LINE_SIZE + (n - SHMSEQ_CTL_OFFSET);
    if (n <= SHMSEQ_HEADER_SIZE)
        return LINES;
    return LINES + (n - SHMSEQ_HEADER_SIZE);
}

/* A read wrote at most @width values, and none on error. */
static void check_values(const uint64_t *v, size_t n, int rc, uint32_t width)
{
    size_t from = rc == 0 ? width : 0;
    for (size_t i = from; i < n; i++)
        CHECK(v[i] == SENTINEL);
}

static void check_stats(const shmseq_ring_reader *r)
{
    shmseq_reader_stats st;
    shmseq_ring_reader_stats(r, &st);
    CHECK(st.next >= st.first);
    CHECK(st.received + st.lost == st.next - st.first);
}

/* Number after the last sample returned (or the first): every success
 * must return expect + meta.lost, as the torture tests demand. */
static uint64_t expect;

/* One read of kind @op with room @room; checks codes, bounds and meta. */
static void one_read(shmseq_ring_reader *r, unsigned op, uint32_t room,
                     uint32_t width)
{
    uint64_t vals[SHMSEQ_WIDTH_MAX + GUARD];
    double dv[SHMSEQ_WIDTH_MAX + GUARD];
    shmseq_sample m;
    uint32_t max_values = room > SHMSEQ_WIDTH_MAX + GUARD ? SHMSEQ_WIDTH_MAX + GUARD : room;
    fill_sentinel(vals, SHMSEQ_WIDTH_MAX + GUARD);
    memcpy(dv, vals, sizeof dv);
    shmseq_reader_stats before;
    shmseq_ring_reader_stats(r, &before);
    int rc = op == 1 ? shmseq_ring_read_latest(r, &m, dv, max_values)
                     : shmseq_ring_read(r, &m, dv, max_values);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -EMSGSIZE);
    CHECK(rc != -EMSGSIZE || max_values < width);
    CHECK(rc != 0 || max_values >= width);
    memcpy(vals, dv, sizeof vals);
    check_values(vals, SHMSEQ_WIDTH_MAX + GUARD, rc, width);
    if (rc == 0) {
        CHECK(m.width == width);
        CHECK(m.seq >= before.next);
        CHECK(m.seq == expect + m.lost);
        expect = m.seq + 1u;
    }
    check_stats(r);
}

/* The writer half, on a private copy: attach, publish, read back. */
static void writer_on_copy(size_t n)
{
    map_as(copy, n);
    memcpy(copy, region, n);
    shmseq_ring_writer w;
    int rc = shmseq_ring_writer_attach(&w, copy, n);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG || rc == -EPROTO);
    if (rc != 0) {
        map_as(copy, BUF_MAX);
        return;
    }
    shmseq_ring_reader r;
    CHECK(shmseq_ring_reader_attach(&r, copy, n, SHMSEQ_START_LATEST) == 0);
    uint32_t width = shmseq_ring_reader_width(&r);
    uint64_t first = shmseq_ring_writer_next(&w);
    double in[SHMSEQ_WIDTH_MAX];
    for (uint64_t k = 0; k < 3; k++) {
        for (uint32_t i = 0; i < width; i++)
            in[i] = (double)(first + k) + (double)i / 128.0;
        CHECK(shmseq_ring_publish(&w, in, first + k) == 0);
    }
    double out[SHMSEQ_WIDTH_MAX];
    shmseq_sample m;
    for (int k = 0; k < 4; k++) {
        rc = shmseq_ring_read(&r, &m, out, SHMSEQ_WIDTH_MAX);
        CHECK(rc == 0 || rc == -EAGAIN);
        if (rc != 0)
            break;
        /* A slot that hostile bytes left odd may cost samples (counted as
         * lost); what arrives is exactly what was published. */
        CHECK(m.seq >= first && m.seq < first + 3);
        CHECK(m.timestamp_ns == m.seq);
        CHECK(m.epoch == w.epoch);
        for (uint32_t i = 0; i < width; i++)
            CHECK(out[i] == (double)m.seq + (double)i / 128.0);
    }
    check_stats(&r);
    map_as(copy, BUF_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8)
        return 0;
    size_t n = le32(data) % (BUF_MAX + 1u);
    n &= ~(size_t)7u;
    unsigned flags = (data[4] & 1u) ? SHMSEQ_START_OLDEST : SHMSEQ_START_LATEST;
    uint32_t room = data[5];
    const uint8_t *body = data + 8;
    size_t body_len = size - 8;

    map_as(region, BUF_MAX);
    memset(region, 0, n); /* the rest is poisoned below */
    size_t packed = packed_size(n);
    size_t take = body_len < packed ? body_len : packed;
    for (size_t c = 0; c < take;) { /* runs of packed bytes, in place */
        size_t at = unpack_off(c);
        size_t run = c < 2u * SHMSEQ_LINE_SIZE ? 2u * SHMSEQ_LINE_SIZE - c
                     : c < LINES               ? LINES - c
                                               : take - c;
        if (run > take - c)
            run = take - c;
        memcpy(region + at, body + c, run);
        c += run;
    }
    const uint8_t *ops = body + take;
    size_t nops = (body_len - take) / 8u;
    if (nops > MAX_OPS)
        nops = MAX_OPS;
    map_as(region, n);

    shmseq_region_info info;
    int rc = shmseq_ring_check(region, n, &info);
    CHECK(rc == 0 || rc == -EAGAIN || rc == -EBADMSG || rc == -EPROTO);
    if (rc == 0) {
        CHECK(info.width >= 1 && info.width <= SHMSEQ_WIDTH_MAX);
        CHECK(info.capacity >= SHMSEQ_CAPACITY_MIN &&
              (info.capacity & (info.capacity - 1u)) == 0);
        CHECK(info.region_size <= n);
        CHECK(info.region_size == shmseq_region_size(info.width, info.capacity));
    }

    shmseq_ring_reader r;
    int ra = shmseq_ring_reader_attach(&r, region, n, flags);
    CHECK(ra == rc);
    if (ra == 0) {
        CHECK(shmseq_ring_reader_width(&r) == info.width);
        check_stats(&r);
        shmseq_reader_stats st;
        shmseq_ring_reader_stats(&r, &st);
        expect = st.first;
        for (size_t i = 0; i < nops; i++) {
            const uint8_t *op = ops + 8u * i;
            switch (op[0] % 5u) {
            case 0:
                one_read(&r, 0, room, info.width);
                break;
            case 1:
                one_read(&r, 1, room, info.width);
                break;
            case 2:
                (void)shmseq_ring_ready(&r);
                break;
            case 3: {
                /* The hostile writer changes a word under the reader. */
                size_t off = packed == 0 ? 0 : unpack_off(
                                 ((size_t)(op[2] | op[3] << 8) * 4u) % packed);
                if (off + 4u > n)
                    break;
                uint32_t v = le32(op + 4);
                memcpy(region + off, &v, sizeof v);
                break;
            }
            default:
                one_read(&r, 0, op[1], info.width);
                break;
            }
        }
        if (nops == 0) /* at least exercise the read path */
            one_read(&r, 0, room, info.width);
    }
    writer_on_copy(n);
    map_as(region, BUF_MAX);
    return 0;
}
