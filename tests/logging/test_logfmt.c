/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the log formats (sink/logfmt.c, sink/csv.c): CRC-32
 * against known vectors and a bit-by-bit regeneration of its table, the exact
 * little-endian bytes of the header and records, every header check, and
 * recovery: a log cut at EVERY byte offset inside its header and its last
 * records yields exactly the complete records before the cut and the right
 * torn-tail size, and every single-bit flip of a record or the header is
 * caught by its CRC; the CSV reader reads back what the writer wrote.
 */
#define _POSIX_C_SOURCE 200809L

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/logfmt.h>

#define W 3u
#define NREC 300u
#define RS SHMSEQ_LOG_RECORD_SIZE(W)
#define LOG_LEN (SHMSEQ_LOG_HEADER_SIZE + NREC * RS)

static unsigned char log_buf[LOG_LEN];
static unsigned char work[LOG_LEN];

static void make_record(shmseq_log_record *r, uint64_t i)
{
    uint32_t c;

    memset(r, 0, sizeof *r);
    r->seq = 1000 + i;
    r->timestamp_ns = 5000000000ull + i * 1000000ull;
    r->lost_before = 0;
    r->epoch = 2;
    r->width = W;
    for (c = 0; c < W; c++)
        r->values[c] = (double)i * 0.25 - (double)c / 3.0;
}

static void make_header(shmseq_log_header *h)
{
    memset(h, 0, sizeof *h);
    h->width = W;
    h->capacity = 1024;
    h->epoch = 2;
    h->writer_pid = 4242;
    h->segment = 0;
    h->start_realtime_ns = 0x0102030405060708ull;
    h->start_monotonic_ns = 77;
    h->created_realtime_ns = 1700000000000000000ull;
    h->created_monotonic_ns = 66;
    h->head = 1000;
    h->run_id = 0x1122334455667788ull;
    strcpy(h->name, "imu-0");
}

/* The records' CRC seed under make_header()'s run id. */
static uint32_t log_seed(void)
{
    shmseq_log_header h;

    make_header(&h);
    return shmseq_log_record_seed(&h);
}

static void build_log(void)
{
    shmseq_log_header h;
    shmseq_log_record r;
    size_t off = SHMSEQ_LOG_HEADER_SIZE;
    uint64_t i;

    make_header(&h);
    shmseq_log_header_encode(&h, log_buf);
    for (i = 0; i < NREC; i++) {
        make_record(&r, i);
        off += shmseq_log_record_encode(&r, shmseq_log_record_seed(&h),
                                        log_buf + off);
    }
    assert_int_equal(off, LOG_LEN);
}

static void test_crc_vectors(void **state)
{
    const uint32_t *t = shmseq_log_crc32_table();
    uint32_t n, c, k;

    (void)state;
    assert_int_equal(shmseq_log_crc32(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(shmseq_log_crc32(0, "", 0), 0u);
    assert_int_equal(shmseq_log_crc32(0, "a", 1), 0xE8B7BE43u);
    assert_int_equal(
        shmseq_log_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
        0x414FA339u);
    /* Chaining equals one pass. */
    assert_int_equal(shmseq_log_crc32(shmseq_log_crc32(0, "1234", 4),
                                      "56789", 5), 0xCBF43926u);
    /* The constant table is the reflected polynomial, bit by bit. */
    for (n = 0; n < 256; n++) {
        c = n;
        for (k = 0; k < 8; k++)
            c = (c & 1u) ? (c >> 1) ^ 0xEDB88320u : c >> 1;
        assert_int_equal(t[n], c);
    }
}

static uint64_t le64(const unsigned char *p)
{
    uint64_t v = 0;
    int i;

    for (i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void test_header_bytes(void **state)
{
    shmseq_log_header h, d;
    unsigned char b[SHMSEQ_LOG_HEADER_SIZE];

    (void)state;
    make_header(&h);
    shmseq_log_header_encode(&h, b);
    /* Explicit little-endian bytes at the documented offsets. */
    assert_memory_equal(b, "SHMSQLOG", 8);
    assert_int_equal(b[8], 2);
    assert_int_equal(b[9] | b[10] | b[11], 0);
    assert_int_equal(le64(b + 148), 0x1122334455667788ull);
    assert_int_equal(b[12], 160);
    assert_int_equal(b[16], RS);
    assert_int_equal(b[20], W);
    assert_int_equal(le64(b + 40), 0x0102030405060708ull);
    assert_int_equal(b[40], 0x08);
    assert_int_equal(b[47], 0x01);
    assert_int_equal(le64(b + 72), 1000);
    assert_int_equal(b[80], 5);
    assert_memory_equal(b + 84, "imu-0", 5);
    assert_int_equal(b[89], 0);
    assert_int_equal((uint32_t)b[156] | (uint32_t)b[157] << 8 |
                         (uint32_t)b[158] << 16 | (uint32_t)b[159] << 24,
                     shmseq_log_crc32(0, b, 156));
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d), SHMSEQ_LOG_OK);
    assert_int_equal(d.width, W);
    assert_int_equal(d.record_size, RS);
    assert_int_equal(d.capacity, 1024);
    assert_int_equal(d.writer_pid, 4242);
    assert_int_equal(d.created_realtime_ns, h.created_realtime_ns);
    assert_string_equal(d.name, "imu-0");
    assert_int_equal(d.run_id, h.run_id);
    assert_int_equal(d.version, 2);
    /* Version 1 (no run id) is still written on request and read. */
    h.version = 1;
    shmseq_log_header_encode(&h, b);
    assert_int_equal(b[8], 1);
    assert_int_equal(le64(b + 148), 0);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d), SHMSEQ_LOG_OK);
    assert_int_equal(d.version, 1);
    assert_int_equal(d.run_id, 0);
    assert_int_equal(shmseq_log_record_seed(&d), 0);
}

/* Re-CRC a modified header so the field checks behind the CRC are hit. */
static void reseal(unsigned char *b)
{
    uint32_t crc = shmseq_log_crc32(0, b, 156);

    b[156] = (unsigned char)crc;
    b[157] = (unsigned char)(crc >> 8);
    b[158] = (unsigned char)(crc >> 16);
    b[159] = (unsigned char)(crc >> 24);
}

static void test_header_checks(void **state)
{
    shmseq_log_header h, d;
    unsigned char good[SHMSEQ_LOG_HEADER_SIZE], b[SHMSEQ_LOG_HEADER_SIZE];

    (void)state;
    make_header(&h);
    shmseq_log_header_encode(&h, good);
    memcpy(b, good, sizeof b);
    b[0] = 'X';
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_MAGIC);
    assert_int_equal(shmseq_log_header_decode(b, 3, &d), SHMSEQ_LOG_BAD_MAGIC);
    assert_int_equal(shmseq_log_header_decode(good, 3, &d), SHMSEQ_LOG_SHORT);
    assert_int_equal(shmseq_log_header_decode(good, 159, &d),
                     SHMSEQ_LOG_SHORT);
    memcpy(b, good, sizeof b);
    b[8] = 3; /* a version from the future, CRC intact */
    reseal(b);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_VERSION);
    b[8] = 2; /* the version field damaged: the CRC says so */
    b[9] = 1;
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_CRC);
    memcpy(b, good, sizeof b);
    b[100] ^= 1;
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_CRC);
    memcpy(b, good, sizeof b);
    b[20] = 65; /* width 65 */
    reseal(b);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_FIELD);
    memcpy(b, good, sizeof b);
    b[16] = (unsigned char)(RS + 8); /* record size not the width's */
    reseal(b);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_FIELD);
    memcpy(b, good, sizeof b);
    b[80] = 65; /* name too long */
    reseal(b);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_FIELD);
    memcpy(b, good, sizeof b);
    b[86] = 0; /* NUL inside the name */
    reseal(b);
    assert_int_equal(shmseq_log_header_decode(b, sizeof b, &d),
                     SHMSEQ_LOG_BAD_FIELD);
}

static void test_record_roundtrip(void **state)
{
    shmseq_log_record r, d;
    unsigned char b[SHMSEQ_LOG_RECORD_MAX];
    double neg0 = -0.0;

    (void)state;
    make_record(&r, 7);
    r.lost_before = 0x1122334455667788ull;
    r.values[1] = neg0;
    assert_int_equal(shmseq_log_record_encode(&r, 0x5eed, b), RS);
    assert_int_equal(le64(b), 1007);
    assert_int_equal(le64(b + 16), 0x1122334455667788ull);
    assert_int_equal(b[24], 2);
    assert_int_equal(shmseq_log_record_decode(b, W, 0x5eed, &d),
                     SHMSEQ_LOG_OK);
    /* Another run's seed: the same bytes do not pass as this run's. */
    assert_int_equal(shmseq_log_record_decode(b, W, 0x5eee, &d),
                     SHMSEQ_LOG_BAD_CRC);
    assert_int_equal(d.seq, r.seq);
    assert_int_equal(d.timestamp_ns, r.timestamp_ns);
    assert_int_equal(d.lost_before, r.lost_before);
    assert_int_equal(d.epoch, r.epoch);
    assert_memory_equal(d.values, r.values, W * sizeof(double));
    b[RS - 1] ^= 0x80;
    assert_int_equal(shmseq_log_record_decode(b, W, 0x5eed, &d),
                     SHMSEQ_LOG_BAD_CRC);
}

static void test_csv_format(void **state)
{
    shmseq_log_record r;
    char line[SHMSEQ_LOG_CSV_ROW_MAX];

    (void)state;
    assert_int_equal(shmseq_log_csv_header(line, sizeof line, 2), 29);
    assert_string_equal(line, "seq,timestamp_ns,epoch,v0,v1\n");
    memset(&r, 0, sizeof r);
    r.seq = 3;
    r.timestamp_ns = 99;
    r.epoch = 1;
    r.width = 2;
    r.values[0] = 0.1;
    r.values[1] = -2.0;
    assert_true(shmseq_log_csv_row(line, sizeof line, &r) > 0);
    assert_string_equal(line, "3,99,1,0.10000000000000001,-2\n");
    assert_int_equal(shmseq_log_csv_row(line, 5, &r), 0);
}

/* The one CSV reader reads back, bit for bit, what the one writer wrote,
 * and marks exactly the fields it could not read. */
static void test_csv_reader(void **state)
{
    static const double vals[] = {0.1, -2.0, 1e300, -0.0, 5e-324,
                                  3.141592653589793, NAN, INFINITY};
    shmseq_log_record r, d;
    char line[SHMSEQ_LOG_CSV_ROW_MAX];
    uint32_t width = 0, c;

    (void)state;
    assert_int_equal(shmseq_log_csv_header(line, sizeof line, 8), 47);
    assert_int_equal(shmseq_log_csv_header_parse(line, &width), 0);
    assert_int_equal(width, 8);
    assert_int_equal(shmseq_log_csv_header_parse("seq,timestamp_ns,epoch\n",
                                                 &width), -EBADMSG);
    assert_int_equal(shmseq_log_csv_header_parse("seq,timestamp_ns,epochs,v0",
                                                 &width), -EBADMSG);
    assert_int_equal(shmseq_log_csv_header_parse("a,b,c,d", &width),
                     -EBADMSG);
    memset(&r, 0, sizeof r);
    r.seq = UINT64_MAX;
    r.timestamp_ns = 1234567890123456789u;
    r.epoch = UINT32_MAX;
    r.width = 8;
    memcpy(r.values, vals, sizeof vals);
    assert_true(shmseq_log_csv_row(line, sizeof line, &r) > 0);
    assert_int_equal(shmseq_log_csv_row_parse(line, 8, &d), 0);
    assert_true(d.seq == r.seq && d.timestamp_ns == r.timestamp_ns);
    assert_int_equal(d.epoch, r.epoch);
    assert_int_equal(d.width, 8);
    for (c = 0; c < 6; c++)
        assert_memory_equal(&d.values[c], &r.values[c], sizeof(double));
    assert_true(isnan(d.values[6]) && isinf(d.values[7]));
    /* Bad value fields are NaN and counted; the others still read. */
    assert_int_equal(shmseq_log_csv_row_parse("1,2,3,x,2.5,,7\r\n", 4, &d),
                     2);
    assert_true(isnan(d.values[0]) && d.values[1] == 2.5 &&
                isnan(d.values[2]) && d.values[3] == 7.0);
    /* Missing trailing fields are NaN too. */
    assert_int_equal(shmseq_log_csv_row_parse("1,2,3,4", 3, &d), 2);
    assert_true(d.values[0] == 4.0 && isnan(d.values[1]));
    /* A bad counter makes the row -EBADMSG; values are still read. */
    assert_int_equal(shmseq_log_csv_row_parse("-1,2,3,4\n", 1, &d),
                     -EBADMSG);
    assert_true(d.values[0] == 4.0);
    assert_int_equal(shmseq_log_csv_row_parse("1,2,4294967296,4", 1, &d),
                     -EBADMSG);
    assert_int_equal(shmseq_log_csv_row_parse("garbage", 1, &d), -EBADMSG);
    assert_true(isnan(d.values[0]));
}

typedef struct collect {
    uint64_t n;
    int mismatch;
} collect;

/* Every record found must be the original one with its number. */
static int check_record(void *ctx, const shmseq_log_scan *s,
                        const shmseq_log_record *r)
{
    collect *c = ctx;
    shmseq_log_record want;

    if (s->event != SHMSEQ_LOG_EV_RECORD)
        return 0;
    make_record(&want, r->seq - 1000u);
    if (r->seq != want.seq || r->timestamp_ns != want.timestamp_ns ||
        memcmp(r->values, want.values, W * sizeof(double)) != 0)
        c->mismatch = 1;
    c->n++;
    return 0;
}

static int scan_prefix(const unsigned char *buf, size_t len,
                       shmseq_log_scan *s, collect *c)
{
    FILE *f;
    int rc;

    memset(s, 0, sizeof *s);
    memset(c, 0, sizeof *c);
    /* fmemopen may refuse an empty buffer: an empty file is /dev/null. */
    f = len != 0 ? fmemopen((void *)(uintptr_t)buf, len, "r")
                 : fopen("/dev/null", "r");
    assert_non_null(f);
    rc = shmseq_log_scan_file(f, s, check_record, c);
    fclose(f);
    return rc;
}

static void test_recover_every_cut(void **state)
{
    shmseq_log_scan s;
    collect c;
    size_t cut, checked = 0;
    int rc;

    (void)state;
    build_log();
    memcpy(work, log_buf, LOG_LEN);
    /* Inside the header (a torn header: nothing to recover). */
    for (cut = 0; cut < SHMSEQ_LOG_HEADER_SIZE; cut++) {
        rc = scan_prefix(work, cut, &s, &c);
        assert_int_equal(rc, SHMSEQ_LOG_SHORT);
        assert_int_equal(s.header_bytes, cut);
        assert_int_equal(c.n, 0);
        checked++;
    }
    /* Every byte of the last 5 records, and the end. */
    for (cut = LOG_LEN - 5 * RS; cut <= LOG_LEN; cut++) {
        size_t body = cut - SHMSEQ_LOG_HEADER_SIZE;

        rc = scan_prefix(work, cut, &s, &c);
        assert_int_equal(rc, SHMSEQ_LOG_OK);
        assert_int_equal(s.records, body / RS);
        assert_int_equal(c.n, body / RS);
        assert_int_equal(c.mismatch, 0);
        assert_int_equal(s.torn_bytes, body % RS);
        if (body % RS != 0)
            assert_int_equal(s.torn_offset,
                             SHMSEQ_LOG_HEADER_SIZE + (body / RS) * RS);
        assert_int_equal(s.skips, 0);
        assert_int_equal(s.gaps, 0);
        assert_int_equal(s.last_seq, 1000 + body / RS - 1);
        checked++;
    }
    /* Just after the header: a valid, empty log. */
    rc = scan_prefix(work, SHMSEQ_LOG_HEADER_SIZE, &s, &c);
    assert_int_equal(rc, SHMSEQ_LOG_OK);
    assert_int_equal(s.records, 0);
    assert_int_equal(s.torn_bytes, 0);
    checked++;
    print_message("recovered correctly at %zu cut offsets\n", checked);
}

static void test_bit_flips(void **state)
{
    shmseq_log_scan s;
    collect c;
    size_t bit, mid = SHMSEQ_LOG_HEADER_SIZE + (NREC / 2) * RS, flips = 0;
    int rc;

    (void)state;
    build_log();
    /* Every bit of a record in the middle: its CRC catches the flip, the
     * scan skips exactly that record, keeps every other one, and counts
     * the one sample missing. */
    for (bit = 0; bit < RS * 8u; bit++) {
        memcpy(work, log_buf, LOG_LEN);
        work[mid + bit / 8] ^= (unsigned char)(1u << (bit % 8));
        rc = scan_prefix(work, LOG_LEN, &s, &c);
        assert_int_equal(rc, SHMSEQ_LOG_OK);
        assert_int_equal(s.skips, 1);
        assert_int_equal(s.first_skip_offset, mid);
        assert_int_equal(s.skipped_bytes, RS);
        assert_int_equal(s.records, NREC - 1);
        assert_int_equal(s.missing, 1);
        assert_int_equal(s.gaps, 1);
        assert_int_equal(c.mismatch, 0);
        flips++;
    }
    /* Every bit of the header: repaired, every record kept. */
    for (bit = 0; bit < SHMSEQ_LOG_HEADER_SIZE * 8u; bit++) {
        memcpy(work, log_buf, LOG_LEN);
        work[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        rc = scan_prefix(work, LOG_LEN, &s, &c);
        assert_int_equal(rc, SHMSEQ_LOG_OK);
        assert_int_equal(s.header_state, SHMSEQ_LOG_HEADER_REPAIRED);
        assert_int_equal(s.header_bit, bit);
        assert_int_equal(s.records, NREC);
        assert_int_equal(c.n, NREC);
        assert_int_equal(c.mismatch, 0);
        assert_int_equal(s.skips + s.gaps + s.torn_bytes, 0);
        flips++;
    }
    print_message("caught %zu single-bit flips\n", flips);
}

/* A version 1 log (no run id, unseeded record CRCs) reads as before. */
static void test_version1_log(void **state)
{
    shmseq_log_header h;
    shmseq_log_record r;
    shmseq_log_scan s;
    collect c;
    size_t off = SHMSEQ_LOG_HEADER_SIZE;
    uint64_t i;

    (void)state;
    make_header(&h);
    h.version = 1;
    shmseq_log_header_encode(&h, work);
    for (i = 0; i < NREC; i++) {
        make_record(&r, i);
        off += shmseq_log_record_encode(&r, 0, work + off);
    }
    assert_int_equal(scan_prefix(work, off, &s, &c), SHMSEQ_LOG_OK);
    assert_int_equal(s.header.version, 1);
    assert_int_equal(s.records, NREC);
    assert_int_equal(c.mismatch, 0);
    assert_int_equal(s.skips + s.gaps + s.backwards + s.torn_bytes, 0);
}

static void test_continuity(void **state)
{
    shmseq_log_scan s;
    collect c;
    shmseq_log_record r;
    size_t off = SHMSEQ_LOG_HEADER_SIZE + 10 * RS;

    (void)state;
    build_log();
    memcpy(work, log_buf, LOG_LEN);
    /* Record 10 says 3 samples were lost before it and jumps by 4: fine. */
    make_record(&r, 10);
    r.seq += 3;
    r.lost_before = 3;
    shmseq_log_record_encode(&r, log_seed(), work + off);
    scan_prefix(work, off + RS, &s, &c);
    assert_int_equal(s.gaps, 0);
    assert_int_equal(s.lost_before, 3);
    /* The rest of the file now continues from 1011, after 1013: the
     * sequence goes back. */
    scan_prefix(work, LOG_LEN, &s, &c);
    assert_int_equal(s.backwards, 1);
    assert_int_equal(s.gaps, 0);
    /* A cleanly removed record (CRCs all fine) is a gap too. */
    memcpy(work, log_buf, off);
    memcpy(work + off, log_buf + off + RS, LOG_LEN - off - RS);
    scan_prefix(work, LOG_LEN - RS, &s, &c);
    assert_int_equal(s.gaps, 1);
    assert_int_equal(s.missing, 1);
    assert_int_equal(s.skips, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_vectors),
        cmocka_unit_test(test_header_bytes),
        cmocka_unit_test(test_header_checks),
        cmocka_unit_test(test_record_roundtrip),
        cmocka_unit_test(test_csv_format),
        cmocka_unit_test(test_csv_reader),
        cmocka_unit_test(test_recover_every_cut),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_version1_log),
        cmocka_unit_test(test_continuity),
    };

    return cmocka_run_group_tests_name("logfmt", tests, NULL, NULL);
}
