/* SPDX-License-Identifier: MIT */
/*
 * The binary log format (see shmseq/logfmt.h and docs/logging.md): CRC-32,
 * the byte-by-byte little-endian encoding of the header and records, and
 * the scanner that shmseq-log's verify, csv and recover are built on. The
 * CSV format is in csv.c.
 */
#define _POSIX_C_SOURCE 200809L

#include <shmseq/logfmt.h>

#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The reflected CRC-32 table for polynomial 0xEDB88320, a constant so the
 * CRC needs no initialisation (and no lock or allocation); the unit test
 * regenerates it bit by bit and compares. */
static const uint32_t crc_table[256] = {
    0x00000000u, 0x77073096u, 0xee0e612cu, 0x990951bau, 0x076dc419u, 0x706af48fu,
    0xe963a535u, 0x9e6495a3u, 0x0edb8832u, 0x79dcb8a4u, 0xe0d5e91eu, 0x97d2d988u,
    0x09b64c2bu, 0x7eb17cbdu, 0xe7b82d07u, 0x90bf1d91u, 0x1db71064u, 0x6ab020f2u,
    0xf3b97148u, 0x84be41deu, 0x1adad47du, 0x6ddde4ebu, 0xf4d4b551u, 0x83d385c7u,
    0x136c9856u, 0x646ba8c0u, 0xfd62f97au, 0x8a65c9ecu, 0x14015c4fu, 0x63066cd9u,
    0xfa0f3d63u, 0x8d080df5u, 0x3b6e20c8u, 0x4c69105eu, 0xd56041e4u, 0xa2677172u,
    0x3c03e4d1u, 0x4b04d447u, 0xd20d85fdu, 0xa50ab56bu, 0x35b5a8fau, 0x42b2986cu,
    0xdbbbc9d6u, 0xacbcf940u, 0x32d86ce3u, 0x45df5c75u, 0xdcd60dcfu, 0xabd13d59u,
    0x26d930acu, 0x51de003au, 0xc8d75180u, 0xbfd06116u, 0x21b4f4b5u, 0x56b3c423u,
    0xcfba9599u, 0xb8bda50fu, 0x2802b89eu, 0x5f058808u, 0xc60cd9b2u, 0xb10be924u,
    0x2f6f7c87u, 0x58684c11u, 0xc1611dabu, 0xb6662d3du, 0x76dc4190u, 0x01db7106u,
    0x98d220bcu, 0xefd5102au, 0x71b18589u, 0x06b6b51fu, 0x9fbfe4a5u, 0xe8b8d433u,
    0x7807c9a2u, 0x0f00f934u, 0x9609a88eu, 0xe10e9818u, 0x7f6a0dbbu, 0x086d3d2du,
    0x91646c97u, 0xe6635c01u, 0x6b6b51f4u, 0x1c6c6162u, 0x856530d8u, 0xf262004eu,
    0x6c0695edu, 0x1b01a57bu, 0x8208f4c1u, 0xf50fc457u, 0x65b0d9c6u, 0x12b7e950u,
    0x8bbeb8eau, 0xfcb9887cu, 0x62dd1ddfu, 0x15da2d49u, 0x8cd37cf3u, 0xfbd44c65u,
    0x4db26158u, 0x3ab551ceu, 0xa3bc0074u, 0xd4bb30e2u, 0x4adfa541u, 0x3dd895d7u,
    0xa4d1c46du, 0xd3d6f4fbu, 0x4369e96au, 0x346ed9fcu, 0xad678846u, 0xda60b8d0u,
    0x44042d73u, 0x33031de5u, 0xaa0a4c5fu, 0xdd0d7cc9u, 0x5005713cu, 0x270241aau,
    0xbe0b1010u, 0xc90c2086u, 0x5768b525u, 0x206f85b3u, 0xb966d409u, 0xce61e49fu,
    0x5edef90eu, 0x29d9c998u, 0xb0d09822u, 0xc7d7a8b4u, 0x59b33d17u, 0x2eb40d81u,
    0xb7bd5c3bu, 0xc0ba6cadu, 0xedb88320u, 0x9abfb3b6u, 0x03b6e20cu, 0x74b1d29au,
    0xead54739u, 0x9dd277afu, 0x04db2615u, 0x73dc1683u, 0xe3630b12u, 0x94643b84u,
    0x0d6d6a3eu, 0x7a6a5aa8u, 0xe40ecf0bu, 0x9309ff9du, 0x0a00ae27u, 0x7d079eb1u,
    0xf00f9344u, 0x8708a3d2u, 0x1e01f268u, 0x6906c2feu, 0xf762575du, 0x806567cbu,
    0x196c3671u, 0x6e6b06e7u, 0xfed41b76u, 0x89d32be0u, 0x10da7a5au, 0x67dd4accu,
    0xf9b9df6fu, 0x8ebeeff9u, 0x17b7be43u, 0x60b08ed5u, 0xd6d6a3e8u, 0xa1d1937eu,
    0x38d8c2c4u, 0x4fdff252u, 0xd1bb67f1u, 0xa6bc5767u, 0x3fb506ddu, 0x48b2364bu,
    0xd80d2bdau, 0xaf0a1b4cu, 0x36034af6u, 0x41047a60u, 0xdf60efc3u, 0xa867df55u,
    0x316e8eefu, 0x4669be79u, 0xcb61b38cu, 0xbc66831au, 0x256fd2a0u, 0x5268e236u,
    0xcc0c7795u, 0xbb0b4703u, 0x220216b9u, 0x5505262fu, 0xc5ba3bbeu, 0xb2bd0b28u,
    0x2bb45a92u, 0x5cb36a04u, 0xc2d7ffa7u, 0xb5d0cf31u, 0x2cd99e8bu, 0x5bdeae1du,
    0x9b64c2b0u, 0xec63f226u, 0x756aa39cu, 0x026d930au, 0x9c0906a9u, 0xeb0e363fu,
    0x72076785u, 0x05005713u, 0x95bf4a82u, 0xe2b87a14u, 0x7bb12baeu, 0x0cb61b38u,
    0x92d28e9bu, 0xe5d5be0du, 0x7cdcefb7u, 0x0bdbdf21u, 0x86d3d2d4u, 0xf1d4e242u,
    0x68ddb3f8u, 0x1fda836eu, 0x81be16cdu, 0xf6b9265bu, 0x6fb077e1u, 0x18b74777u,
    0x88085ae6u, 0xff0f6a70u, 0x66063bcau, 0x11010b5cu, 0x8f659effu, 0xf862ae69u,
    0x616bffd3u, 0x166ccf45u, 0xa00ae278u, 0xd70dd2eeu, 0x4e048354u, 0x3903b3c2u,
    0xa7672661u, 0xd06016f7u, 0x4969474du, 0x3e6e77dbu, 0xaed16a4au, 0xd9d65adcu,
    0x40df0b66u, 0x37d83bf0u, 0xa9bcae53u, 0xdebb9ec5u, 0x47b2cf7fu, 0x30b5ffe9u,
    0xbdbdf21cu, 0xcabac28au, 0x53b39330u, 0x24b4a3a6u, 0xbad03605u, 0xcdd70693u,
    0x54de5729u, 0x23d967bfu, 0xb3667a2eu, 0xc4614ab8u, 0x5d681b02u, 0x2a6f2b94u,
    0xb40bbe37u, 0xc30c8ea1u, 0x5a05df1bu, 0x2d02ef8du,
};

/* Offsets in the header (docs/logging.md). */
enum {
    H_MAGIC = 0,
    H_VERSION = 8,
    H_HEADER_SIZE = 12,
    H_RECORD_SIZE = 16,
    H_WIDTH = 20,
    H_CAPACITY = 24,
    H_EPOCH = 28,
    H_WRITER_PID = 32,
    H_SEGMENT = 36,
    H_START_RT = 40,
    H_START_MONO = 48,
    H_CREATED_RT = 56,
    H_CREATED_MONO = 64,
    H_HEAD = 72,
    H_NAME_LEN = 80,
    H_NAME = 84,
    H_RUN_ID = 148,
    H_CRC = 156
};

/* Offsets in a record; the values start at R_VALUES, the CRC follows them. */
enum { R_SEQ = 0, R_TIMESTAMP = 8, R_LOST = 16, R_EPOCH = 24, R_VALUES = 28 };

_Static_assert(H_CRC + 4 == SHMSEQ_LOG_HEADER_SIZE, "header size");
_Static_assert(H_NAME + SHMSEQ_LOG_NAME_MAX == H_RUN_ID, "name field");
_Static_assert(R_VALUES + 4 == SHMSEQ_LOG_RECORD_SIZE(0), "record size");
_Static_assert(sizeof(double) == 8, "float64");

const char *shmseq_log_strerror(int rc)
{
    switch (rc) {
    case SHMSEQ_LOG_OK: return "ok";
    case SHMSEQ_LOG_SHORT: return "incomplete (the file ends inside it)";
    case SHMSEQ_LOG_BAD_MAGIC: return "not a shmseq log (bad magic)";
    case SHMSEQ_LOG_BAD_VERSION: return "unsupported log format version";
    case SHMSEQ_LOG_BAD_FIELD: return "inconsistent header fields";
    case SHMSEQ_LOG_BAD_CRC: return "CRC mismatch";
    default: return rc < 0 ? strerror(-rc) : "unknown result";
    }
}

uint32_t shmseq_log_crc32(uint32_t crc, const void *buf, size_t len)
{
    const unsigned char *p = buf;

    crc = ~crc;
    while (len-- != 0)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

const uint32_t *shmseq_log_crc32_table(void)
{
    return crc_table;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xffu);
    p[1] = (unsigned char)((v >> 8) & 0xffu);
    p[2] = (unsigned char)((v >> 16) & 0xffu);
    p[3] = (unsigned char)((v >> 24) & 0xffu);
}

static void put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t)(v & 0xffffffffu));
    put32(p + 4, (uint32_t)(v >> 32));
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* A float64 travels as its IEEE-754 bit pattern (memcpy is the defined way
 * to get it), then little-endian like every integer. */
static void put_f64(unsigned char *p, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    put64(p, bits);
}

static double get_f64(const unsigned char *p)
{
    uint64_t bits = get64(p);
    double v;

    memcpy(&v, &bits, sizeof v);
    return v;
}

void shmseq_log_header_encode(const shmseq_log_header *h, unsigned char *out)
{
    size_t len;
    uint32_t version;

    assert(h != NULL && out != NULL);
    version = h->version == 1u ? 1u : SHMSEQ_LOG_VERSION;
    assert(h->width >= 1 && h->width <= SHMSEQ_LOG_WIDTH_MAX);
    memset(out, 0, SHMSEQ_LOG_HEADER_SIZE);
    /* 8 magic bytes, not a string: no terminator wanted. */
    memcpy(out + H_MAGIC, SHMSEQ_LOG_MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result) */
    put32(out + H_VERSION, version);
    put32(out + H_HEADER_SIZE, SHMSEQ_LOG_HEADER_SIZE);
    put32(out + H_RECORD_SIZE, SHMSEQ_LOG_RECORD_SIZE(h->width));
    put32(out + H_WIDTH, h->width);
    put32(out + H_CAPACITY, h->capacity);
    put32(out + H_EPOCH, h->epoch);
    put32(out + H_WRITER_PID, h->writer_pid);
    put32(out + H_SEGMENT, h->segment);
    put64(out + H_START_RT, h->start_realtime_ns);
    put64(out + H_START_MONO, h->start_monotonic_ns);
    put64(out + H_CREATED_RT, h->created_realtime_ns);
    put64(out + H_CREATED_MONO, h->created_monotonic_ns);
    put64(out + H_HEAD, h->head);
    len = strnlen(h->name, SHMSEQ_LOG_NAME_MAX);
    put32(out + H_NAME_LEN, (uint32_t)len);
    memcpy(out + H_NAME, h->name, len);
    if (version >= 2u)
        put64(out + H_RUN_ID, h->run_id);
    put32(out + H_CRC, shmseq_log_crc32(0, out, H_CRC));
}

/* Every field as found, unchecked (also for a header being rebuilt); the
 * name stops at the first NUL or at its maximum length. */
static void header_fields(const unsigned char *buf, shmseq_log_header *h)
{
    uint32_t name_len, i;

    memset(h, 0, sizeof *h);
    h->version = get32(buf + H_VERSION);
    h->header_size = get32(buf + H_HEADER_SIZE);
    h->record_size = get32(buf + H_RECORD_SIZE);
    h->width = get32(buf + H_WIDTH);
    h->capacity = get32(buf + H_CAPACITY);
    h->epoch = get32(buf + H_EPOCH);
    h->writer_pid = get32(buf + H_WRITER_PID);
    h->segment = get32(buf + H_SEGMENT);
    h->start_realtime_ns = get64(buf + H_START_RT);
    h->start_monotonic_ns = get64(buf + H_START_MONO);
    h->created_realtime_ns = get64(buf + H_CREATED_RT);
    h->created_monotonic_ns = get64(buf + H_CREATED_MONO);
    h->head = get64(buf + H_HEAD);
    h->run_id = h->version >= 2u ? get64(buf + H_RUN_ID) : 0;
    name_len = get32(buf + H_NAME_LEN);
    for (i = 0; i < name_len && i < SHMSEQ_LOG_NAME_MAX && buf[H_NAME + i] != 0;
         i++)
        h->name[i] = (char)buf[H_NAME + i];
    h->name[i] = '\0';
}

static int version_known(uint32_t v)
{
    return v >= SHMSEQ_LOG_VERSION_MIN && v <= SHMSEQ_LOG_VERSION;
}

int shmseq_log_header_decode(const unsigned char *buf, size_t len,
                             shmseq_log_header *h)
{
    uint32_t name_len, i;

    assert(buf != NULL || len == 0);
    assert(h != NULL);
    memset(h, 0, sizeof *h);
    /* The magic first, so a file that is no log at all says so even when
     * it is short. Every known version keeps the CRC at the same place, so
     * an unknown version whose CRC does not match is a damaged header, and
     * one whose CRC matches is another version. */
    if (len < 8)
        return len == 0 || memcmp(buf, SHMSEQ_LOG_MAGIC, len) == 0
                   ? SHMSEQ_LOG_SHORT : SHMSEQ_LOG_BAD_MAGIC;
    if (memcmp(buf + H_MAGIC, SHMSEQ_LOG_MAGIC, 8) != 0)
        return SHMSEQ_LOG_BAD_MAGIC;
    if (len < SHMSEQ_LOG_HEADER_SIZE)
        return SHMSEQ_LOG_SHORT;
    if (get32(buf + H_CRC) != shmseq_log_crc32(0, buf, H_CRC))
        return SHMSEQ_LOG_BAD_CRC;
    if (!version_known(get32(buf + H_VERSION)))
        return SHMSEQ_LOG_BAD_VERSION;
    header_fields(buf, h);
    name_len = get32(buf + H_NAME_LEN);
    /* A matching CRC only says the bytes are what was written; a buggy or
     * hostile writer can still have written nonsense, so check anyway. */
    if (h->header_size != SHMSEQ_LOG_HEADER_SIZE || h->width < 1 ||
        h->width > SHMSEQ_LOG_WIDTH_MAX ||
        h->record_size != SHMSEQ_LOG_RECORD_SIZE(h->width) ||
        name_len > SHMSEQ_LOG_NAME_MAX)
        return SHMSEQ_LOG_BAD_FIELD;
    for (i = 0; i < name_len; i++)
        if (buf[H_NAME + i] == 0)
            return SHMSEQ_LOG_BAD_FIELD;
    return SHMSEQ_LOG_OK;
}

/* One step of the CRC register over a zero byte: how a difference in the
 * register travels through the bytes after it. */
static uint32_t crc_step(uint32_t r)
{
    return crc_table[r & 0xffu] ^ (r >> 8);
}

int shmseq_log_header_repair(unsigned char *buf, uint32_t *bit)
{
    uint32_t want = get32(buf + H_CRC), got = shmseq_log_crc32(0, buf, H_CRC);
    uint32_t diff = want ^ got, i, b, d;

    /* The bit is in the stored CRC itself: the bytes it covers are fine. */
    if (diff != 0 && (diff & (diff - 1u)) == 0) {
        for (i = 0; (diff >> i) != 1u; i++)
            ;
        put32(buf + H_CRC, got);
        *bit = H_CRC * 8u + i;
        return 0;
    }
    /* CRC-32 is linear: flipping bit b of byte k changes the CRC by
     * crc_table[1 << b] carried through the bytes after k, a value that
     * depends on (k, b) alone; those values all differ for a message this
     * short, so at most one flip makes the CRC match. From the last byte
     * back, each byte's value is one more step of the next one's. */
    for (b = 0; b < 8u && diff != 0; b++) {
        d = crc_table[1u << b];
        for (i = H_CRC; i-- > 0; d = crc_step(d))
            if (d == diff) {
                buf[i] ^= (unsigned char)(1u << b);
                *bit = i * 8u + b;
                return 0;
            }
    }
    return -EBADMSG;
}

uint32_t shmseq_log_record_seed(const shmseq_log_header *h)
{
    unsigned char id[8];

    if (h->version == 1u)
        return 0;
    put64(id, h->run_id);
    return shmseq_log_crc32(0, id, sizeof id);
}

size_t shmseq_log_record_encode(const shmseq_log_record *r, uint32_t seed,
                                unsigned char *out)
{
    uint32_t c, crc_at;

    assert(r != NULL && out != NULL);
    assert(r->width >= 1 && r->width <= SHMSEQ_LOG_WIDTH_MAX);
    put64(out + R_SEQ, r->seq);
    put64(out + R_TIMESTAMP, r->timestamp_ns);
    put64(out + R_LOST, r->lost_before);
    put32(out + R_EPOCH, r->epoch);
    for (c = 0; c < r->width; c++)
        put_f64(out + R_VALUES + 8u * c, r->values[c]);
    crc_at = R_VALUES + 8u * r->width;
    put32(out + crc_at, shmseq_log_crc32(seed, out, crc_at));
    return SHMSEQ_LOG_RECORD_SIZE(r->width);
}

/* Only the CRC: the resynchronisation tries it at every offset. */
static int record_crc_ok(const unsigned char *buf, uint32_t width,
                         uint32_t seed)
{
    uint32_t crc_at = R_VALUES + 8u * width;

    return get32(buf + crc_at) == shmseq_log_crc32(seed, buf, crc_at);
}

int shmseq_log_record_decode(const unsigned char *buf, uint32_t width,
                             uint32_t seed, shmseq_log_record *r)
{
    uint32_t c;

    assert(buf != NULL && r != NULL);
    assert(width >= 1 && width <= SHMSEQ_LOG_WIDTH_MAX);
    r->seq = get64(buf + R_SEQ);
    r->timestamp_ns = get64(buf + R_TIMESTAMP);
    r->lost_before = get64(buf + R_LOST);
    r->epoch = get32(buf + R_EPOCH);
    r->width = width;
    for (c = 0; c < width; c++)
        r->values[c] = get_f64(buf + R_VALUES + 8u * c);
    return record_crc_ok(buf, width, seed) ? SHMSEQ_LOG_OK
                                           : SHMSEQ_LOG_BAD_CRC;
}

/* ---- the scanner -------------------------------------------------------- */

/* A forward-only window on the input, so the scanner can look ahead (at a
 * record, a header, the first records for width inference) without
 * seeking: a pipe will do. Large enough for the width inference's look at
 * INFER_RECORDS records of the widest kind after a header. */
#define WIN_SIZE (64u * 1024u)
#define INFER_RECORDS 8u

_Static_assert(WIN_SIZE >= SHMSEQ_LOG_HEADER_SIZE +
                               INFER_RECORDS * SHMSEQ_LOG_RECORD_MAX,
               "window holds a header and the records to infer from");

typedef struct win {
    FILE *in;
    uint64_t base;  /* file offset of buf[0] */
    size_t len;     /* bytes in buf */
    int eof;
    int err;        /* -errno of a failed read, 0 */
    unsigned char buf[WIN_SIZE];
} win;

/* Make [off, off + want) available if the file has it (off >= base, want
 * <= WIN_SIZE); returns a pointer to off and sets *got to the bytes
 * available from there (less than want only at the end of the file). */
static const unsigned char *win_at(win *w, uint64_t off, size_t want,
                                   size_t *got)
{
    size_t skip, n;

    assert(off >= w->base && want <= WIN_SIZE);
    if (off - w->base + want > w->len && !w->eof) {
        /* Slide: drop what is before off, then fill to the end. */
        skip = off - w->base < w->len ? (size_t)(off - w->base) : w->len;
        memmove(w->buf, w->buf + skip, w->len - skip);
        w->len -= skip;
        w->base += skip;
        while (w->base < off && !w->eof) {
            /* off beyond what was read (never in practice): read past. */
            n = fread(w->buf, 1, (size_t)(off - w->base) < WIN_SIZE
                                     ? (size_t)(off - w->base) : WIN_SIZE,
                      w->in);
            if (n == 0)
                w->eof = 1;
            w->base += n;
        }
        errno = 0;
        while (w->len < WIN_SIZE && !w->eof) {
            n = fread(w->buf + w->len, 1, WIN_SIZE - w->len, w->in);
            w->len += n;
            if (n == 0) {
                w->eof = 1;
                if (ferror(w->in))
                    w->err = errno > 0 ? -errno : -EIO;
            }
        }
    }
    if (off > w->base + w->len) {
        *got = 0;
        return w->buf + w->len;
    }
    n = w->len - (size_t)(off - w->base);
    *got = n < want ? n : want;
    return w->buf + (off - w->base);
}

/* How many records, up to INFER_RECORDS, check with this width and seed
 * from offset @p off on, each numbered above the one before (stops at the
 * first that does not): repeated bytes (a zeroed block) check under the
 * seed solved from their first copy, but are never two records of a log. */
static uint32_t infer_count(const unsigned char *p, size_t avail, size_t off,
                            uint32_t width, uint32_t seed)
{
    uint32_t rs = SHMSEQ_LOG_RECORD_SIZE(width), n = 0;

    while (n < INFER_RECORDS && off + rs <= avail &&
           record_crc_ok(p + off, width, seed) &&
           (n == 0 || get64(p + off + R_SEQ) > get64(p + off - rs + R_SEQ))) {
        n++;
        off += rs;
    }
    return n;
}

/* What the header rebuild computes once per call (no state is kept
 * between calls: the scanner may run in several threads at once). */
typedef struct rebuild_ctx {
    uint8_t by_top[256];  /* table entry whose top byte is the index */
    uint32_t cols[SHMSEQ_LOG_WIDTH_MAX + 1][32]; /* seed_of()'s maps */
    unsigned char built[SHMSEQ_LOG_WIDTH_MAX + 1];
} rebuild_ctx;

static void rebuild_ctx_init(rebuild_ctx *x)
{
    uint32_t i;

    for (i = 0; i < 256u; i++)
        x->by_top[crc_table[i] >> 24] = (uint8_t)i;
    memset(x->built, 0, sizeof x->built);
}

/* crc_step() undone: the CRC-32 table's top bytes are all different, so
 * the top byte of the result names the table entry used. */
static uint32_t crc_unstep(const rebuild_ctx *x, uint32_t r)
{
    uint32_t i = x->by_top[r >> 24];

    return ((r ^ crc_table[i]) << 8) | i;
}

/* The seed under which the record at @p rec (of @p width values) checks.
 * CRC-32 is affine: crc(seed, B) ^ crc(0, B) is the seed carried through
 * len(B) zero-byte steps, a linear map; undoing those steps gives the
 * seed. The undoing is itself linear, so it is kept per width as 32
 * columns (built on first use) and applied in 32 steps. */
static uint32_t seed_of(rebuild_ctx *x, const unsigned char *rec,
                        uint32_t width)
{
    uint32_t crc_at = R_VALUES + 8u * width, i, j, r, seed = 0;

    if (!x->built[width]) {
        for (j = 0; j < 32u; j++) {
            r = 1u << j;
            for (i = 0; i < crc_at; i++)
                r = crc_unstep(x, r);
            x->cols[width][j] = r;
        }
        x->built[width] = 1;
    }
    r = get32(rec + crc_at) ^ shmseq_log_crc32(0, rec, crc_at);
    for (j = 0; r != 0; j++, r >>= 1)
        if (r & 1u)
            seed ^= x->cols[width][j];
    return seed;
}

/* How far from its place a rebuilt header's first record is looked for (a
 * hole in the header moves it back, an insertion forward). */
#define REBUILD_REACH SHMSEQ_LOG_RECORD_MAX

/* The header is damaged beyond one bit: find the width, the seed and the
 * offset of the first record, and rebuild the header around them. First
 * where the records belong (offset 160) under the header's own run id or
 * none (version 1); then, for a header that lost or gained bytes or whose
 * run id is damaged, at offsets ever farther from 160, taking the seed
 * from one record and requiring the next to check under it. 0, or
 * SHMSEQ_LOG_BAD_CRC. */
static int header_rebuild(const unsigned char *p, size_t avail,
                          shmseq_log_header *h, uint32_t *seed_out,
                          uint64_t *start)
{
    shmseq_log_header found;
    uint32_t w, best_w = 0, best_n = 0, best_seed = 0, v, n, seed, d, rs;
    size_t best_off = 0, off;
    rebuild_ctx *x = NULL;
    int side;

    header_fields(p, &found);
    for (w = 1; w <= SHMSEQ_LOG_WIDTH_MAX; w++)
        for (v = 1; v <= SHMSEQ_LOG_VERSION; v++) {
            found.version = v;
            found.run_id = v >= 2u ? get64(p + H_RUN_ID) : 0;
            seed = shmseq_log_record_seed(&found);
            n = infer_count(p, avail, SHMSEQ_LOG_HEADER_SIZE, w, seed);
            if (n > best_n) {
                best_n = n;
                best_w = w;
                best_seed = seed;
                best_off = SHMSEQ_LOG_HEADER_SIZE;
            }
        }
    if (best_n == 0) {
        x = malloc(sizeof *x);
        if (x == NULL)
            return -ENOMEM;
        rebuild_ctx_init(x);
    }
    for (d = 0; best_n == 0 && d <= REBUILD_REACH; d++)
        for (side = -1; side <= 1; side += 2) {
            if ((d == 0 && side < 0) ||
                (side < 0 && d > SHMSEQ_LOG_HEADER_SIZE))
                continue;
            off = side < 0 ? SHMSEQ_LOG_HEADER_SIZE - d
                           : SHMSEQ_LOG_HEADER_SIZE + d;
            for (w = 1; w <= SHMSEQ_LOG_WIDTH_MAX; w++) {
                rs = SHMSEQ_LOG_RECORD_SIZE(w);
                if (off + 2u * rs > avail)
                    continue;
                seed = seed_of(x, p + off, w);
                if (!record_crc_ok(p + off + rs, w, seed))
                    continue;
                n = infer_count(p, avail, off, w, seed);
                if (n < 2u)
                    continue; /* the seed came from the first: the second
                                 must be a record after it */
                if (n > best_n) {
                    best_n = n;
                    best_w = w;
                    best_seed = seed;
                    best_off = off;
                }
            }
        }
    free(x);
    if (best_n == 0)
        return SHMSEQ_LOG_BAD_CRC;
    /* A hole of whole records' size in the header puts a record where
     * the first belonged: the ones before it are records too. */
    rs = SHMSEQ_LOG_RECORD_SIZE(best_w);
    while (best_off >= rs && record_crc_ok(p + best_off - rs, best_w,
                                            best_seed))
        best_off -= rs;
    *h = found;
    /* The run id as found if it gives the seed; else a version 2 header
     * whose run id (its CRC is the seed's) the recovery re-seeds anyway. */
    h->version = best_seed == 0 ? 1u : 2u;
    h->run_id = 0;
    if (best_seed != 0) {
        h->run_id = get64(p + H_RUN_ID);
        if (shmseq_log_record_seed(h) != best_seed)
            h->run_id = (uint64_t)best_seed << 32 | best_seed;
    }
    h->width = best_w;
    h->header_size = SHMSEQ_LOG_HEADER_SIZE;
    h->record_size = SHMSEQ_LOG_RECORD_SIZE(best_w);
    *seed_out = best_seed;
    *start = best_off;
    return SHMSEQ_LOG_OK;
}

/* Bytes of the magic a damaged one must still show in a row. */
#define MAGIC_RUN 4u

/* A header whose magic is damaged, not absent: the magic but one bit, or
 * MAGIC_RUN of its bytes in a row near their place (a hole or an
 * insertion moved them by up to MAGIC_RUN bytes). Such a file is a log
 * whose header must be rebuilt from its records; any other file is not a
 * log at all. */
static int magic_close(const unsigned char *p)
{
    uint32_t i, j, bits = 0;
    unsigned x;

    for (i = 0; i < 8; i++)
        for (x = (unsigned)(p[i] ^ (unsigned char)SHMSEQ_LOG_MAGIC[i]);
             x != 0; x &= x - 1u)
            bits++;
    if (bits <= 1)
        return 1;
    for (i = 0; i + MAGIC_RUN <= 8u; i++)
        for (j = i > MAGIC_RUN ? i - MAGIC_RUN : 0; j <= i + MAGIC_RUN; j++)
            if (memcmp(p + j, &SHMSEQ_LOG_MAGIC[i], MAGIC_RUN) == 0)
                return 1;
    return 0;
}

static int emit(shmseq_log_scan *s, shmseq_log_scan_fn fn, void *ctx,
                shmseq_log_event ev, uint64_t off, uint64_t bytes,
                const shmseq_log_record *r)
{
    s->event = ev;
    s->event_offset = off;
    s->event_bytes = bytes;
    return fn != NULL ? fn(ctx, s, r) : 0;
}

/* The file's own header at offset 0: decoded, repaired or rebuilt. Sets
 * s->seed and *start, the offset of the first record. */
static int scan_first_header(win *w, shmseq_log_scan *s, uint64_t *start)
{
    unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
    const unsigned char *p;
    size_t got;
    int rc;

    *start = SHMSEQ_LOG_HEADER_SIZE;
    p = win_at(w, 0, WIN_SIZE, &got);
    if (w->err != 0 && got < SHMSEQ_LOG_HEADER_SIZE)
        return s->header_rc = w->err;
    s->header_bytes = got < SHMSEQ_LOG_HEADER_SIZE ? got
                                                   : SHMSEQ_LOG_HEADER_SIZE;
    rc = shmseq_log_header_decode(p, got, &s->header);
    if (rc == SHMSEQ_LOG_BAD_MAGIC && got >= SHMSEQ_LOG_HEADER_SIZE &&
        magic_close(p))
        rc = SHMSEQ_LOG_BAD_CRC; /* a damaged magic: a damaged header */
    if (rc == SHMSEQ_LOG_OK)
        s->seed = shmseq_log_record_seed(&s->header);
    if (rc != SHMSEQ_LOG_BAD_CRC)
        return s->header_rc = rc;
    memcpy(hb, p, sizeof hb);
    if (shmseq_log_header_repair(hb, &s->header_bit) == 0 &&
        shmseq_log_header_decode(hb, sizeof hb, &s->header) == 0) {
        s->header_state = SHMSEQ_LOG_HEADER_REPAIRED;
        s->seed = shmseq_log_record_seed(&s->header);
        return s->header_rc = SHMSEQ_LOG_OK;
    }
    rc = header_rebuild(p, got, &s->header, &s->seed, start);
    if (rc == SHMSEQ_LOG_OK)
        s->header_state = SHMSEQ_LOG_HEADER_REBUILT;
    return s->header_rc = rc;
}

/* A good record: continuity, counters, the callback. */
static int take_record(shmseq_log_scan *s, const shmseq_log_record *r,
                       uint64_t off, uint32_t size, shmseq_log_scan_fn fn,
                       void *ctx)
{
    uint64_t expect;

    s->event_missing = 0;
    s->event_backwards = 0;
    if (s->have_prev) {
        expect = s->prev_seq + 1u + r->lost_before;
        if (r->seq < expect || r->epoch < s->prev_epoch ||
            expect < s->prev_seq) {
            s->backwards++;
            s->event_backwards = 1;
        } else if (r->seq > expect) {
            s->gaps++;
            s->missing += r->seq - expect;
            s->event_missing = r->seq - expect;
        }
    } else if (s->header_state != SHMSEQ_LOG_HEADER_REBUILT) {
        /* The first record: the header's head is the first sample the
         * file was to hold, so records lost at the start show too. */
        expect = s->header.head + r->lost_before;
        if (r->seq > expect && expect >= s->header.head) {
            s->gaps++;
            s->missing += r->seq - expect;
            s->event_missing = r->seq - expect;
        }
    }
    if (s->records == 0 || r->epoch != s->prev_epoch)
        s->epochs++;
    if (s->records == 0)
        s->first_seq = r->seq;
    s->last_seq = r->seq;
    s->records++;
    s->lost_before += r->lost_before;
    s->have_prev = 1;
    s->prev_seq = r->seq;
    s->prev_epoch = r->epoch;
    return emit(s, fn, ctx, SHMSEQ_LOG_EV_RECORD, off, size, r);
}

/* A header inside the file at @p p (a concatenated log or segment)? */
static int header_here(const unsigned char *p, size_t got,
                       shmseq_log_header *h)
{
    return got >= SHMSEQ_LOG_HEADER_SIZE &&
           memcmp(p, SHMSEQ_LOG_MAGIC, 8) == 0 &&
           shmseq_log_header_decode(p, got, h) == SHMSEQ_LOG_OK;
}

static int scan_body(win *w, FILE *in, shmseq_log_scan *s,
                     shmseq_log_scan_fn fn, void *ctx)
{
    shmseq_log_record rec;
    shmseq_log_header h;
    const unsigned char *p;
    uint64_t off, start;
    uint32_t width, size, seed;
    size_t got;
    int rc, found;

    assert(in != NULL && s != NULL);
    s->header_rc = SHMSEQ_LOG_SHORT;
    s->header_bytes = s->file_bytes = 0;
    s->header_state = SHMSEQ_LOG_HEADER_INTACT;
    s->header_bit = 0;
    s->records = s->headers = s->skips = s->skipped_bytes = 0;
    s->first_skip_offset = s->torn_bytes = s->torn_offset = 0;
    s->first_seq = s->last_seq = s->lost_before = 0;
    s->gaps = s->missing = s->backwards = 0;
    s->epochs = 0;
    memset(w, 0, offsetof(win, buf));
    w->in = in;

    rc = scan_first_header(w, s, &off);
    if (rc != SHMSEQ_LOG_OK)
        return rc;
    if (s->width == 0)
        s->width = s->header.width;
    rc = emit(s, fn, ctx, SHMSEQ_LOG_EV_HEADER, 0, SHMSEQ_LOG_HEADER_SIZE,
              NULL);
    if (rc != 0)
        return rc;
    width = s->header.width;
    size = SHMSEQ_LOG_RECORD_SIZE(width);
    seed = s->seed;
    if (off > SHMSEQ_LOG_HEADER_SIZE) {
        /* bytes inserted after a rebuilt header */
        s->skips = 1;
        s->first_skip_offset = SHMSEQ_LOG_HEADER_SIZE;
        s->skipped_bytes = off - SHMSEQ_LOG_HEADER_SIZE;
        rc = emit(s, fn, ctx, SHMSEQ_LOG_EV_SKIP, SHMSEQ_LOG_HEADER_SIZE,
                  off - SHMSEQ_LOG_HEADER_SIZE, NULL);
        if (rc != 0)
            return rc;
    }
    for (;;) {
        p = win_at(w, off, SHMSEQ_LOG_HEADER_SIZE > size
                                ? SHMSEQ_LOG_HEADER_SIZE : size, &got);
        if (got == 0)
            break;
        if (header_here(p, got, &h)) {
            s->header = h;
            s->headers++;
            width = h.width;
            size = SHMSEQ_LOG_RECORD_SIZE(width);
            seed = s->seed = shmseq_log_record_seed(&h);
            rc = emit(s, fn, ctx, SHMSEQ_LOG_EV_HEADER, off,
                      SHMSEQ_LOG_HEADER_SIZE, NULL);
            if (rc != 0)
                return rc;
            off += SHMSEQ_LOG_HEADER_SIZE;
            continue;
        }
        if (got >= size &&
            shmseq_log_record_decode(p, width, seed, &rec) == SHMSEQ_LOG_OK) {
            rc = take_record(s, &rec, off, size, fn, ctx);
            if (rc != 0)
                return rc;
            off += size;
            continue;
        }
        /* Resynchronise: the next offset where a whole record or a header
         * checks. */
        start = off;
        found = 0;
        for (off = start + 1;; off++) {
            p = win_at(w, off, SHMSEQ_LOG_HEADER_SIZE > size
                                    ? SHMSEQ_LOG_HEADER_SIZE : size, &got);
            if (got < size && got < SHMSEQ_LOG_HEADER_SIZE)
                break;
            if ((got >= size && record_crc_ok(p, width, seed)) ||
                header_here(p, got, &h)) {
                found = 1;
                break;
            }
        }
        if (!found) {
            (void)win_at(w, start, 0, &got);
            off = w->base + w->len; /* the end of the file */
        }
        if (!found && off - start < size) {
            /* A record cut short: what a crash or a full disk leaves. */
            s->torn_bytes = off - start;
            s->torn_offset = start;
            rc = emit(s, fn, ctx, SHMSEQ_LOG_EV_TORN, start, off - start,
                      NULL);
        } else {
            if (s->skips++ == 0)
                s->first_skip_offset = start;
            s->skipped_bytes += off - start;
            rc = emit(s, fn, ctx, SHMSEQ_LOG_EV_SKIP, start, off - start,
                      NULL);
        }
        if (rc != 0)
            return rc;
        if (!found)
            break;
    }
    s->file_bytes = off;
    if (w->err != 0)
        return w->err;
    return SHMSEQ_LOG_OK;
}

int shmseq_log_scan_file(FILE *in, shmseq_log_scan *s, shmseq_log_scan_fn fn,
                         void *ctx)
{
    /* The window is the caller's own for the scan (64 KiB: not on the
     * stack), so scans in several threads never share state. */
    win *w = malloc(sizeof *w);
    int rc;

    assert(in != NULL && s != NULL);
    if (w == NULL)
        return -ENOMEM;
    rc = scan_body(w, in, s, fn, ctx);
    free(w);
    return rc;
}

/* ---- recovery ----------------------------------------------------------- */

/* Begin output rv->outputs with header @p h, head = @p head. */
static int recover_begin(shmseq_log_recovery *rv, const shmseq_log_header *h,
                         uint64_t head)
{
    unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
    shmseq_log_header oh = *h;

    oh.head = head;
    rv->width = oh.width;
    rv->seed = shmseq_log_record_seed(&oh);
    rv->out_records = 0;
    rv->outputs++;
    shmseq_log_header_encode(&oh, hb);
    return rv->out(rv->ctx, rv->outputs - 1u, hb, sizeof hb);
}

static int recover_event(void *ctx, const shmseq_log_scan *s,
                         const shmseq_log_record *r)
{
    shmseq_log_recovery *rv = ctx;
    unsigned char rec[SHMSEQ_LOG_RECORD_MAX];
    shmseq_log_record o;
    size_t n;
    int rc;

    if (rv->fn != NULL) {
        rc = rv->fn(rv->ctx, s, r);
        if (rc != 0)
            return rc;
    }
    if (s->event != SHMSEQ_LOG_EV_RECORD || r == NULL)
        return 0;
    o = *r;
    /* The samples lost in the damage are counted as lost just before this
     * record, so the output's sequence continues. */
    o.lost_before += s->event_missing;
    rv->lost_added += s->event_missing;
    if (rv->outputs == 0 || s->event_backwards || r->width != rv->width) {
        rc = recover_begin(rv, &s->header, o.seq >= o.lost_before
                                               ? o.seq - o.lost_before : 0);
        if (rc != 0)
            return rc;
    }
    n = shmseq_log_record_encode(&o, rv->seed, rec);
    rv->out_records++;
    rv->written++;
    return rv->out(rv->ctx, rv->outputs - 1u, rec, n);
}

int shmseq_log_recover(FILE *in, shmseq_log_recovery *rv,
                       int (*out)(void *ctx, unsigned index,
                                  const unsigned char *bytes, size_t n),
                       shmseq_log_scan_fn fn, void *ctx)
{
    int rc;

    assert(in != NULL && rv != NULL && out != NULL);
    rv->out = out;
    rv->fn = fn;
    rv->ctx = ctx;
    rc = shmseq_log_scan_file(in, &rv->scan, recover_event, rv);
    if (rc == SHMSEQ_LOG_OK && rv->outputs == 0)
        rc = recover_begin(rv, &rv->scan.header, rv->scan.header.head);
    return rc;
}
