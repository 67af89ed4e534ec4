/* SPDX-License-Identifier: MIT */
/*
 * The fleet's wire formats: batch, acknowledgement, JSON, topics
 * (wire.h; docs/fleet.md is the byte-for-byte reference).
 */
#include "wire.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void put16(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xffu);
    p[1] = (unsigned char)((v >> 8) & 0xffu);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (unsigned i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8u * i)) & 0xffu);
}

static void put64(unsigned char *p, uint64_t v)
{
    for (unsigned i = 0; i < 8; i++)
        p[i] = (unsigned char)((v >> (8u * i)) & 0xffu);
}

static uint32_t get16(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;

    for (unsigned i = 8; i-- > 0;)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t dbl_bits(double d)
{
    uint64_t u;

    memcpy(&u, &d, sizeof u);
    return u;
}

static double bits_dbl(uint64_t u)
{
    double d;

    memcpy(&d, &u, sizeof d);
    return d;
}

int fleet_name_check(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n > FLEET_NAME_MAX || s[0] == '.')
        return -EINVAL;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return -EINVAL;
    }
    return 0;
}

size_t fleet_batch_size(const char *node, const char *region, uint32_t width,
                        uint32_t count)
{
    return FLEET_BATCH_FIXED + strlen(node) + strlen(region) +
           (size_t)count * FLEET_SAMPLE_SIZE(width) + 4u;
}

size_t fleet_batch_encode(const fleet_batch *b, const shmseq_log_record *r,
                          unsigned char *out)
{
    size_t nl = strlen(b->node), rl = strlen(b->region);
    size_t hl = FLEET_BATCH_FIXED + nl + rl, off;

    for (unsigned i = 0; i < 4; i++) /* the magic, without its NUL */
        out[i] = (unsigned char)FLEET_BATCH_MAGIC[i];
    put16(out + 4, FLEET_VERSION);
    put16(out + 6, (uint32_t)hl);
    put64(out + 8, b->first_seq);
    put64(out + 16, b->overrun_before);
    put64(out + 24, b->dropped_before);
    put64(out + 32, b->held_from);
    put64(out + 40, b->created_ns);
    put32(out + 48, b->epoch);
    put32(out + 52, b->count);
    put16(out + 56, b->width);
    out[58] = (unsigned char)nl;
    out[59] = (unsigned char)rl;
    put32(out + 60, 0);
    memcpy(out + FLEET_BATCH_FIXED, b->node, nl);
    memcpy(out + FLEET_BATCH_FIXED + nl, b->region, rl);
    off = hl;
    for (uint32_t i = 0; i < b->count; i++) {
        put64(out + off, r[i].timestamp_ns);
        off += 8;
        for (uint32_t j = 0; j < b->width; j++, off += 8)
            put64(out + off, dbl_bits(r[i].values[j]));
    }
    put32(out + off, shmseq_log_crc32(0, out, off));
    return off + 4;
}

int fleet_batch_decode(const unsigned char *buf, size_t len, fleet_batch *b)
{
    size_t hl, nl, rl, want;

    memset(b, 0, sizeof *b);
    if (len < 4)
        return SHMSEQ_LOG_SHORT;
    if (memcmp(buf, FLEET_BATCH_MAGIC, 4) != 0)
        return SHMSEQ_LOG_BAD_MAGIC;
    if (len < 6)
        return SHMSEQ_LOG_SHORT;
    if (get16(buf + 4) != FLEET_VERSION)
        return SHMSEQ_LOG_BAD_VERSION;
    if (len < FLEET_BATCH_FIXED + 4u)
        return SHMSEQ_LOG_SHORT;
    if (get32(buf + len - 4) != shmseq_log_crc32(0, buf, len - 4))
        return SHMSEQ_LOG_BAD_CRC;
    hl = get16(buf + 6);
    nl = buf[58];
    rl = buf[59];
    b->first_seq = get64(buf + 8);
    b->overrun_before = get64(buf + 16);
    b->dropped_before = get64(buf + 24);
    b->held_from = get64(buf + 32);
    b->created_ns = get64(buf + 40);
    b->epoch = get32(buf + 48);
    b->count = get32(buf + 52);
    b->width = get16(buf + 56);
    if (hl != FLEET_BATCH_FIXED + nl + rl || nl == 0 || rl == 0 ||
        nl > FLEET_NAME_MAX || rl > FLEET_NAME_MAX || get32(buf + 60) != 0 ||
        b->held_from > b->first_seq ||
        b->width == 0 || b->width > SHMSEQ_LOG_WIDTH_MAX || b->count == 0)
        return SHMSEQ_LOG_BAD_FIELD;
    want = hl + (size_t)b->count * FLEET_SAMPLE_SIZE(b->width) + 4u;
    if (want != len || b->first_seq > UINT64_MAX - b->count)
        return SHMSEQ_LOG_BAD_FIELD;
    memcpy(b->node, buf + FLEET_BATCH_FIXED, nl);
    b->node[nl] = '\0';
    memcpy(b->region, buf + FLEET_BATCH_FIXED + nl, rl);
    b->region[rl] = '\0';
    if (fleet_name_check(b->node) != 0 || fleet_name_check(b->region) != 0)
        return SHMSEQ_LOG_BAD_FIELD;
    b->samples = buf + hl;
    return 0;
}

void fleet_batch_sample(const fleet_batch *b, uint32_t i, shmseq_log_record *r)
{
    const unsigned char *p = b->samples + (size_t)i * FLEET_SAMPLE_SIZE(b->width);

    r->seq = b->first_seq + i;
    r->timestamp_ns = get64(p);
    r->lost_before = i == 0 ? b->overrun_before + b->dropped_before : 0;
    r->epoch = b->epoch;
    r->width = b->width;
    for (uint32_t j = 0; j < b->width; j++)
        r->values[j] = bits_dbl(get64(p + 8 + 8u * j));
}

size_t fleet_batch_json(const fleet_batch *b, const shmseq_log_record *r,
                        char *out, size_t cap)
{
    size_t off = 0;
    int n;

#define JSON_ADD(...)                                                         \
    do {                                                                      \
        n = snprintf(out + off, cap - off, __VA_ARGS__);                      \
        if (n < 0 || (size_t)n >= cap - off)                                  \
            return 0;                                                         \
        off += (size_t)n;                                                     \
    } while (0)

    JSON_ADD("{\"v\":%u,\"node\":\"%s\",\"region\":\"%s\",\"created_ns\":%"
             PRIu64 ",\"epoch\":%" PRIu32 ",\"first_seq\":%" PRIu64
             ",\"overrun_before\":%" PRIu64 ",\"dropped_before\":%" PRIu64
             ",\"held_from\":%" PRIu64 ",\"width\":%" PRIu32
             ",\"samples\":[",
             FLEET_VERSION, b->node, b->region, b->created_ns, b->epoch,
             b->first_seq, b->overrun_before, b->dropped_before,
             b->held_from, b->width);
    for (uint32_t i = 0; i < b->count; i++) {
        JSON_ADD("%s[%" PRIu64, i ? "," : "", r[i].timestamp_ns);
        for (uint32_t j = 0; j < b->width; j++) {
            double v = r[i].values[j];

            /* JSON has no NaN or infinity: null. */
            if (v != v || v - v != 0.0)
                JSON_ADD(",null");
            else
                JSON_ADD(",%.17g", v);
        }
        JSON_ADD("]");
    }
    JSON_ADD("]}");
#undef JSON_ADD
    return off;
}

void fleet_ack_encode(const fleet_ack *a, unsigned char out[FLEET_ACK_SIZE])
{
    for (unsigned i = 0; i < 4; i++) /* the magic, without its NUL */
        out[i] = (unsigned char)FLEET_ACK_MAGIC[i];
    put16(out + 4, FLEET_VERSION);
    put16(out + 6, 0);
    put64(out + 8, a->created_ns);
    put64(out + 16, a->next_seq);
    put32(out + 24, shmseq_log_crc32(0, out, 24));
}

int fleet_ack_decode(const unsigned char *buf, size_t len, fleet_ack *a)
{
    if (len < 4)
        return SHMSEQ_LOG_SHORT;
    if (memcmp(buf, FLEET_ACK_MAGIC, 4) != 0)
        return SHMSEQ_LOG_BAD_MAGIC;
    if (len < 6)
        return SHMSEQ_LOG_SHORT;
    if (get16(buf + 4) != FLEET_VERSION)
        return SHMSEQ_LOG_BAD_VERSION;
    if (len != FLEET_ACK_SIZE)
        return len < FLEET_ACK_SIZE ? SHMSEQ_LOG_SHORT : SHMSEQ_LOG_BAD_FIELD;
    if (get32(buf + 24) != shmseq_log_crc32(0, buf, 24))
        return SHMSEQ_LOG_BAD_CRC;
    if (get16(buf + 6) != 0)
        return SHMSEQ_LOG_BAD_FIELD;
    a->created_ns = get64(buf + 8);
    a->next_seq = get64(buf + 16);
    return 0;
}

int fleet_topic(char *buf, size_t cap, const char *node, const char *region,
                const char *leaf)
{
    int n = snprintf(buf, cap, "shmseq/%s/%s/%s", node, region, leaf);

    return (n < 0 || (size_t)n >= cap) ? -ENAMETOOLONG : 0;
}

int fleet_topic_parse(const char *topic, char *node, char *region,
                      const char **leaf)
{
    const char *p, *q, *r;

    if (strncmp(topic, "shmseq/", 7) != 0)
        return -EINVAL;
    p = topic + 7;
    q = strchr(p, '/');
    if (q == NULL || (size_t)(q - p) > FLEET_NAME_MAX)
        return -EINVAL;
    r = strchr(q + 1, '/');
    if (r == NULL || (size_t)(r - q - 1) > FLEET_NAME_MAX)
        return -EINVAL;
    memcpy(node, p, (size_t)(q - p));
    node[q - p] = '\0';
    memcpy(region, q + 1, (size_t)(r - q - 1));
    region[r - q - 1] = '\0';
    *leaf = r + 1;
    if (fleet_name_check(node) != 0 || fleet_name_check(region) != 0 ||
        strchr(*leaf, '/') != NULL)
        return -EINVAL;
    return 0;
}
