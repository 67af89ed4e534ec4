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
    H_RESERVED = 148,
    H_CRC = 156
};

/* Offsets in a record; the values start at R_VALUES, the CRC follows them. */
enum { R_SEQ = 0, R_TIMESTAMP = 8, R_LOST = 16, R_EPOCH = 24, R_VALUES = 28 };

_Static_assert(H_CRC + 4 == SHMSEQ_LOG_HEADER_SIZE, "header size");
_Static_assert(H_NAME + SHMSEQ_LOG_NAME_MAX == H_RESERVED, "name field");
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

    assert(h != NULL && out != NULL);
    assert(h->width >= 1 && h->width <= SHMSEQ_LOG_WIDTH_MAX);
    memset(out, 0, SHMSEQ_LOG_HEADER_SIZE);
    /* 8 magic bytes, not a string: no terminator wanted. */
    memcpy(out + H_MAGIC, SHMSEQ_LOG_MAGIC, 8); /* NOLINT(bugprone-not-null-terminated-result) */
    put32(out + H_VERSION, SHMSEQ_LOG_VERSION);
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
    put32(out + H_CRC, shmseq_log_crc32(0, out, H_CRC));
}

int shmseq_log_header_decode(const unsigned char *buf, size_t len,
                             shmseq_log_header *h)
{
    uint32_t name_len, i;

    assert(buf != NULL || len == 0);
    assert(h != NULL);
    memset(h, 0, sizeof *h);
    /* The magic first, so a file that is no log at all says so even when
     * it is short; then the version, because another version may place
     * the CRC elsewhere. */
    if (len < 8)
        return len == 0 || memcmp(buf, SHMSEQ_LOG_MAGIC, len) == 0
                   ? SHMSEQ_LOG_SHORT : SHMSEQ_LOG_BAD_MAGIC;
    if (memcmp(buf + H_MAGIC, SHMSEQ_LOG_MAGIC, 8) != 0)
        return SHMSEQ_LOG_BAD_MAGIC;
    if (len < SHMSEQ_LOG_HEADER_SIZE)
        return SHMSEQ_LOG_SHORT;
    h->version = get32(buf + H_VERSION);
    if (h->version != SHMSEQ_LOG_VERSION)
        return SHMSEQ_LOG_BAD_VERSION;
    if (get32(buf + H_CRC) != shmseq_log_crc32(0, buf, H_CRC))
        return SHMSEQ_LOG_BAD_CRC;
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
    memcpy(h->name, buf + H_NAME, name_len);
    h->name[name_len] = '\0';
    return SHMSEQ_LOG_OK;
}

size_t shmseq_log_record_encode(const shmseq_log_record *r,
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
    put32(out + crc_at, shmseq_log_crc32(0, out, crc_at));
    return SHMSEQ_LOG_RECORD_SIZE(r->width);
}

int shmseq_log_record_decode(const unsigned char *buf, uint32_t width,
                             shmseq_log_record *r)
{
    uint32_t c, crc_at;

    assert(buf != NULL && r != NULL);
    assert(width >= 1 && width <= SHMSEQ_LOG_WIDTH_MAX);
    r->seq = get64(buf + R_SEQ);
    r->timestamp_ns = get64(buf + R_TIMESTAMP);
    r->lost_before = get64(buf + R_LOST);
    r->epoch = get32(buf + R_EPOCH);
    r->width = width;
    for (c = 0; c < width; c++)
        r->values[c] = get_f64(buf + R_VALUES + 8u * c);
    crc_at = R_VALUES + 8u * width;
    return get32(buf + crc_at) == shmseq_log_crc32(0, buf, crc_at)
               ? SHMSEQ_LOG_OK : SHMSEQ_LOG_BAD_CRC;
}

/* Read up to @p want bytes (short only at the end of the file). */
static size_t read_full(FILE *in, unsigned char *buf, size_t want)
{
    size_t got = 0, n;

    errno = 0; /* so a failed read's errno is not mistaken for an old one */
    while (got < want) {
        n = fread(buf + got, 1, want - got, in);
        if (n == 0)
            break;
        got += n;
    }
    return got;
}

/* The -errno of a failed fread (stdio keeps errno from the read(2)). */
static int read_error(void)
{
    return errno > 0 ? -errno : -EIO;
}

int shmseq_log_scan_file(FILE *in, shmseq_log_scan *s,
                         int (*fn)(void *ctx, const shmseq_log_record *r,
                                   uint64_t offset),
                         void *ctx)
{
    unsigned char buf[SHMSEQ_LOG_RECORD_MAX > SHMSEQ_LOG_HEADER_SIZE
                          ? SHMSEQ_LOG_RECORD_MAX : SHMSEQ_LOG_HEADER_SIZE];
    shmseq_log_record rec;
    uint64_t offset;
    size_t got;
    uint32_t size;
    int rc;

    assert(in != NULL && s != NULL);
    s->header_rc = SHMSEQ_LOG_SHORT;
    s->header_bytes = 0;
    s->records = s->bad_records = s->torn_bytes = s->torn_offset = 0;
    s->first_seq = s->last_seq = s->lost_before = s->gaps = 0;
    s->first_bad_offset = 0;
    s->epochs = 0;

    got = read_full(in, buf, SHMSEQ_LOG_HEADER_SIZE);
    if (ferror(in))
        return s->header_rc = read_error();
    s->header_bytes = got;
    s->header_rc = shmseq_log_header_decode(buf, got, &s->header);
    if (s->header_rc != SHMSEQ_LOG_OK)
        return s->header_rc;
    if (s->width == 0)
        s->width = s->header.width;
    size = s->header.record_size;
    offset = SHMSEQ_LOG_HEADER_SIZE;
    for (;;) {
        got = read_full(in, buf, size);
        if (ferror(in))
            return read_error();
        if (got < size) {
            /* A record cut short: what a crash or a full disk leaves. */
            s->torn_bytes = got;
            s->torn_offset = got != 0 ? offset : 0;
            break;
        }
        if (shmseq_log_record_decode(buf, s->header.width, &rec) !=
            SHMSEQ_LOG_OK) {
            if (s->bad_records++ == 0)
                s->first_bad_offset = offset;
            /* What followed the damage cannot be checked against it. */
            s->have_prev = 0;
            offset += size;
            continue;
        }
        if (s->have_prev && (rec.seq != s->prev_seq + 1 + rec.lost_before ||
                             rec.epoch < s->prev_epoch))
            s->gaps++;
        if (s->records == 0 || rec.epoch != s->prev_epoch)
            s->epochs++;
        if (s->records == 0)
            s->first_seq = rec.seq;
        s->last_seq = rec.seq;
        s->records++;
        s->lost_before += rec.lost_before;
        s->have_prev = 1;
        s->prev_seq = rec.seq;
        s->prev_epoch = rec.epoch;
        if (fn != NULL) {
            rc = fn(ctx, &rec, offset);
            if (rc != 0)
                return rc;
        }
        offset += size;
    }
    return SHMSEQ_LOG_OK;
}
