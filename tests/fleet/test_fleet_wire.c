/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fleet's wire formats (tools/mqtt/wire.c, drawn in
 * docs/fleet.md): a batch's bytes are exactly the documented ones (a
 * hand-built reference at every offset), it decodes back bit for bit,
 * every single-bit flip anywhere in it is refused, every cut is refused,
 * a good CRC over an impossible field is refused; the acknowledgement
 * likewise; topics are built and split, and names that would break a
 * topic ('/', '+', '#') are refused.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define W 3
#define N 4

static shmseq_log_record recs[N];
static fleet_batch ref;

static void make_batch(void)
{
    memset(&ref, 0, sizeof ref);
    snprintf(ref.node, sizeof ref.node, "%s", "board-7");
    snprintf(ref.region, sizeof ref.region, "%s", "imu");
    ref.created_ns = 0x1122334455667788ull;
    ref.first_seq = 1000;
    ref.overrun_before = 5;
    ref.dropped_before = 2;
    ref.held_from = 990;
    ref.epoch = 3;
    ref.count = N;
    ref.width = W;
    for (uint32_t i = 0; i < N; i++) {
        recs[i].seq = 1000 + i;
        recs[i].timestamp_ns = 5000000000ull + i * 100000u;
        recs[i].epoch = 3;
        recs[i].width = W;
        for (uint32_t j = 0; j < W; j++)
            recs[i].values[j] = (double)i * 1.5 - (double)j / 3.0;
    }
}

static uint64_t le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;

    while (n-- > 0)
        v = (v << 8) | p[n];
    return v;
}

static void test_batch_bytes(void **state)
{
    unsigned char buf[1024];
    size_t len, want = 64 + 7 + 3 + N * (8 + 8 * W) + 4;
    uint64_t bits;

    (void)state;
    make_batch();
    assert_int_equal(fleet_batch_size("board-7", "imu", W, N), want);
    len = fleet_batch_encode(&ref, recs, buf);
    assert_int_equal(len, want);
    assert_memory_equal(buf, "SQMB", 4);
    assert_int_equal(le(buf + 4, 2), 1);
    assert_int_equal(le(buf + 6, 2), 64 + 7 + 3);
    assert_int_equal(le(buf + 8, 8), 1000);
    assert_int_equal(le(buf + 16, 8), 5);
    assert_int_equal(le(buf + 24, 8), 2);
    assert_int_equal(le(buf + 32, 8), 990);
    assert_true(le(buf + 40, 8) == 0x1122334455667788ull);
    assert_int_equal(le(buf + 48, 4), 3);
    assert_int_equal(le(buf + 52, 4), N);
    assert_int_equal(le(buf + 56, 2), W);
    assert_int_equal(buf[58], 7);
    assert_int_equal(buf[59], 3);
    assert_int_equal(le(buf + 60, 4), 0);
    assert_memory_equal(buf + 64, "board-7imu", 10);
    /* sample 2: timestamp, then its values' IEEE-754 bits */
    assert_int_equal(le(buf + 74 + 2 * (8 + 8 * W), 8), recs[2].timestamp_ns);
    memcpy(&bits, &recs[2].values[1], 8);
    assert_true(le(buf + 74 + 2 * (8 + 8 * W) + 16, 8) == bits);
    assert_int_equal(le(buf + len - 4, 4), shmseq_log_crc32(0, buf, len - 4));
}

static void test_batch_roundtrip(void **state)
{
    unsigned char buf[1024];
    size_t len;
    fleet_batch b;
    shmseq_log_record r;

    (void)state;
    make_batch();
    len = fleet_batch_encode(&ref, recs, buf);
    assert_int_equal(fleet_batch_decode(buf, len, &b), 0);
    assert_string_equal(b.node, "board-7");
    assert_string_equal(b.region, "imu");
    assert_true(b.created_ns == ref.created_ns);
    assert_int_equal(b.first_seq, 1000);
    assert_int_equal(b.overrun_before, 5);
    assert_int_equal(b.dropped_before, 2);
    assert_int_equal(b.held_from, 990);
    assert_int_equal(b.epoch, 3);
    assert_int_equal(b.count, N);
    assert_int_equal(b.width, W);
    for (uint32_t i = 0; i < N; i++) {
        fleet_batch_sample(&b, i, &r);
        assert_int_equal(r.seq, 1000 + i);
        assert_int_equal(r.timestamp_ns, recs[i].timestamp_ns);
        assert_int_equal(r.lost_before, i == 0 ? 7 : 0);
        assert_memory_equal(r.values, recs[i].values, W * sizeof(double));
    }
}

static void test_batch_every_flip_and_cut(void **state)
{
    unsigned char buf[1024], bad[1024];
    size_t len;
    fleet_batch b;
    unsigned flips = 0;

    (void)state;
    make_batch();
    len = fleet_batch_encode(&ref, recs, buf);
    for (size_t i = 0; i < len; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, buf, len);
            bad[i] ^= (unsigned char)(1u << bit);
            assert_int_not_equal(fleet_batch_decode(bad, len, &b), 0);
            flips++;
        }
    for (size_t cut = 0; cut < len; cut++)
        assert_int_not_equal(fleet_batch_decode(buf, cut, &b), 0);
    printf("every one of %u single-bit flips and %zu cuts refused\n", flips,
           len);
}

/* A correct CRC over an impossible header is still refused. */
static void test_batch_bad_fields(void **state)
{
    unsigned char buf[1024];
    size_t len;
    fleet_batch b;
    const size_t offs[] = { 6, 52, 56, 58, 60, 32 };

    (void)state;
    make_batch();
    for (size_t k = 0; k < sizeof offs / sizeof offs[0]; k++) {
        len = fleet_batch_encode(&ref, recs, buf);
        buf[offs[k]] ^= 0x40; /* header_len, count, width, name, reserved, held_from */
        if (offs[k] == 32)
            buf[39] = 0xff;
        {
            uint32_t crc = shmseq_log_crc32(0, buf, len - 4);

            for (unsigned i = 0; i < 4; i++)
                buf[len - 4 + i] = (unsigned char)(crc >> (8 * i));
        }
        assert_int_equal(fleet_batch_decode(buf, len, &b), SHMSEQ_LOG_BAD_FIELD);
    }
    len = fleet_batch_encode(&ref, recs, buf);
    buf[0] = 'X';
    assert_int_equal(fleet_batch_decode(buf, len, &b), SHMSEQ_LOG_BAD_MAGIC);
    len = fleet_batch_encode(&ref, recs, buf);
    buf[4] = 2;
    assert_int_equal(fleet_batch_decode(buf, len, &b), SHMSEQ_LOG_BAD_VERSION);
}

static void test_ack(void **state)
{
    unsigned char buf[FLEET_ACK_SIZE], bad[FLEET_ACK_SIZE];
    fleet_ack a = { 0x0102030405060708ull, 123456789ull }, d;

    (void)state;
    fleet_ack_encode(&a, buf);
    assert_memory_equal(buf, "SQMA", 4);
    assert_int_equal(le(buf + 4, 2), 1);
    assert_int_equal(le(buf + 6, 2), 0);
    assert_true(le(buf + 8, 8) == a.created_ns);
    assert_int_equal(le(buf + 16, 8), 123456789);
    assert_int_equal(le(buf + 24, 4), shmseq_log_crc32(0, buf, 24));
    assert_int_equal(fleet_ack_decode(buf, sizeof buf, &d), 0);
    assert_true(d.created_ns == a.created_ns && d.next_seq == a.next_seq);
    for (size_t i = 0; i < sizeof buf; i++)
        for (unsigned bit = 0; bit < 8; bit++) {
            memcpy(bad, buf, sizeof buf);
            bad[i] ^= (unsigned char)(1u << bit);
            assert_int_not_equal(fleet_ack_decode(bad, sizeof bad, &d), 0);
        }
    for (size_t cut = 0; cut < sizeof buf; cut++)
        assert_int_not_equal(fleet_ack_decode(buf, cut, &d), 0);
}

static void test_json(void **state)
{
    char out[2048];
    size_t len;

    (void)state;
    make_batch();
    ref.count = 1;
    recs[0].values[2] = 0.0 / 0.0;
    len = fleet_batch_json(&ref, recs, out, sizeof out);
    assert_true(len > 0);
    assert_string_equal(out,
        "{\"v\":1,\"node\":\"board-7\",\"region\":\"imu\",\"created_ns\":"
        "1234605616436508552,\"epoch\":3,\"first_seq\":1000,"
        "\"overrun_before\":5,\"dropped_before\":2,\"held_from\":990,"
        "\"width\":3,\"samples\":[[5000000000,0,-0.33333333333333331,"
        "null]]}");
    assert_int_equal(fleet_batch_json(&ref, recs, out, 20), 0);
}

static void test_topics(void **state)
{
    char t[FLEET_TOPIC_MAX], node[FLEET_NAME_MAX + 1], region[FLEET_NAME_MAX + 1];
    const char *leaf;

    (void)state;
    assert_int_equal(fleet_topic(t, sizeof t, "b1", "imu", "samples"), 0);
    assert_string_equal(t, "shmseq/b1/imu/samples");
    assert_int_equal(fleet_topic_parse(t, node, region, &leaf), 0);
    assert_string_equal(node, "b1");
    assert_string_equal(region, "imu");
    assert_string_equal(leaf, "samples");
    assert_int_not_equal(fleet_topic_parse("shmseq/b1/imu", node, region, &leaf), 0);
    assert_int_not_equal(fleet_topic_parse("shmseq/b+/imu/ack", node, region, &leaf), 0);
    assert_int_not_equal(fleet_topic_parse("other/b1/imu/ack", node, region, &leaf), 0);
    assert_int_not_equal(fleet_topic_parse("shmseq/b1/imu/a/b", node, region, &leaf), 0);
    assert_int_equal(fleet_name_check("node-1.a_b"), 0);
    assert_int_not_equal(fleet_name_check(""), 0);
    assert_int_not_equal(fleet_name_check(".hidden"), 0);
    assert_int_not_equal(fleet_name_check("a/b"), 0);
    assert_int_not_equal(fleet_name_check("a+"), 0);
    assert_int_not_equal(fleet_name_check("#"), 0);
    memset(t, 'a', 65);
    t[65] = '\0';
    assert_int_not_equal(fleet_name_check(t), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_bytes),
        cmocka_unit_test(test_batch_roundtrip),
        cmocka_unit_test(test_batch_every_flip_and_cut),
        cmocka_unit_test(test_batch_bad_fields),
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_topics),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
