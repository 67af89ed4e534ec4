/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the bsp: the sim driver's waveforms and parameter parsing,
 * the driver wrappers (unknown driver, width limits, short buffers) and the
 * board table. The sim formula is checked at indices where its value is
 * known in closed form, so a change to the formula fails here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>

#include <shmseq/bsp.h>

/* cmocka 1.1's float assertion works in float; these need double. */
#define assert_near(a, b, eps) assert_true(fabs((a) - (b)) <= (eps))

static void open_ok(shmseq_sensor *s, const char *params, uint32_t width,
                    uint32_t rate)
{
    int rc = shmseq_sensor_open(s, "sim", params, width, rate);

    if (rc != 0)
        fail_msg("open(%s): %d %s", params, rc, s->why);
}

static double read1(shmseq_sensor *s, uint32_t channel, uint64_t index)
{
    double v[SHMSEQ_SIM_WIDTH_MAX];

    assert_int_equal(shmseq_sensor_read(s, index, 0, v, SHMSEQ_SIM_WIDTH_MAX),
                     0);
    return v[channel];
}

static void test_deterministic(void **state)
{
    const char *params = "wave=sine,freq=3,noise=0.5,seed=7";
    shmseq_sensor a, b, c;
    double va[4], vb[4], vc[4];
    uint64_t i;
    int differs = 0;

    (void)state;
    open_ok(&a, params, 4, 1000);
    open_ok(&b, params, 4, 1000);
    open_ok(&c, "wave=sine,freq=3,noise=0.5,seed=8", 4, 1000);
    /* Read b in another order: no hidden state between samples. */
    for (i = 0; i < 2000; i++) {
        uint64_t j = 1999 - i;
        assert_int_equal(shmseq_sensor_read(&a, j, 0, va, 4), 0);
        assert_int_equal(shmseq_sensor_read(&b, j, 123456789, vb, 4), 0);
        assert_int_equal(shmseq_sensor_read(&c, j, 0, vc, 4), 0);
        assert_memory_equal(va, vb, sizeof va);
        if (memcmp(va, vc, sizeof va) != 0)
            differs++;
    }
    assert_true(differs > 1900); /* another seed, other noise */
    assert_int_equal(a.reads, 2000);
    assert_int_equal(a.errors, 0);
    shmseq_sensor_close(&a);
    shmseq_sensor_close(&b);
    shmseq_sensor_close(&c);
}

static void test_read_matches_value(void **state)
{
    shmseq_sim_params p;
    shmseq_sensor s;
    double v[16];
    uint64_t i;
    uint32_t ch;
    const char *params = "wave=noise,amp=3,offset=-1,noise=0.25,seed=0x2a";

    (void)state;
    assert_int_equal(shmseq_sim_parse(params, 500, &p, NULL, 0), 0);
    open_ok(&s, params, 16, 500);
    for (i = 0; i < 1000; i++) {
        assert_int_equal(shmseq_sensor_read(&s, i * 977, 0, v, 16), 0);
        for (ch = 0; ch < 16; ch++) {
            double want = shmseq_sim_value(&p, ch, i * 977);
            assert_memory_equal(&v[ch], &want, sizeof want);
        }
    }
    shmseq_sensor_close(&s);
}

static void test_sine(void **state)
{
    shmseq_sensor s;

    (void)state;
    /* 4 samples per cycle: 0, 1/4, 1/2, 3/4 of a turn. */
    open_ok(&s, "wave=sine,freq=1,rate=4,amp=2,offset=1,phase=0", 2, 1000);
    assert_near(read1(&s, 0, 0), 1.0, 1e-12);
    assert_near(read1(&s, 0, 1), 3.0, 1e-12);
    assert_near(read1(&s, 0, 2), 1.0, 1e-12);
    assert_near(read1(&s, 0, 3), -1.0, 1e-12);
    assert_near(read1(&s, 0, 4), 1.0, 1e-12);
    assert_near(read1(&s, 0, 4000001), 3.0, 1e-6);
    /* phase=0: both channels equal. */
    assert_near(read1(&s, 1, 1), 3.0, 1e-12);
    shmseq_sensor_close(&s);
}

static void test_ramp_and_phase(void **state)
{
    shmseq_sensor s;

    (void)state;
    /* Default phase 0.25 cycles per channel; rate from the caller (4 Hz). */
    open_ok(&s, "wave=ramp,freq=1", 4, 4);
    assert_true(read1(&s, 0, 0) == -1.0);
    assert_true(read1(&s, 0, 1) == -0.5);
    assert_true(read1(&s, 0, 2) == 0.0);
    assert_true(read1(&s, 0, 3) == 0.5);
    assert_true(read1(&s, 0, 4) == -1.0); /* sawtooth wraps */
    assert_true(read1(&s, 1, 0) == -0.5);
    assert_true(read1(&s, 2, 0) == 0.0);
    assert_true(read1(&s, 3, 0) == 0.5);
    assert_true(read1(&s, 3, 1) == -1.0);
    shmseq_sensor_close(&s);
}

static void test_square(void **state)
{
    shmseq_sensor s;

    (void)state;
    open_ok(&s, "wave=square,freq=1,rate=4,amp=5,phase=0", 1, 0);
    assert_true(read1(&s, 0, 0) == 5.0);
    assert_true(read1(&s, 0, 1) == 5.0);
    assert_true(read1(&s, 0, 2) == -5.0);
    assert_true(read1(&s, 0, 3) == -5.0);
    assert_true(read1(&s, 0, 4) == 5.0);
    shmseq_sensor_close(&s);
}

static void test_noise(void **state)
{
    shmseq_sensor s;
    double sum = 0.0, v[2];
    uint64_t i, same = 0;

    (void)state;
    open_ok(&s, "wave=noise,amp=2,seed=99", 2, 1000);
    for (i = 0; i < 20000; i++) {
        assert_int_equal(shmseq_sensor_read(&s, i, 0, v, 2), 0);
        assert_true(v[0] >= -2.0 && v[0] < 2.0);
        assert_true(v[1] >= -2.0 && v[1] < 2.0);
        sum += v[0];
        if (v[0] == v[1])
            same++;
    }
    /* Uniform on [-2, 2): mean 0, sd of the mean ~ 0.008. */
    assert_true(fabs(sum / 20000.0) < 0.05);
    assert_true(same == 0); /* channels are independent streams */
    shmseq_sensor_close(&s);
}

static void test_rate_default_and_override(void **state)
{
    shmseq_sim_params p;

    (void)state;
    assert_int_equal(shmseq_sim_parse("", 250, &p, NULL, 0), 0);
    assert_true(p.rate == 250.0);
    assert_int_equal(shmseq_sim_parse(NULL, 0, &p, NULL, 0), 0);
    assert_true(p.rate == 1000.0);
    assert_true(p.wave == SHMSEQ_SIM_SINE && p.freq == 1.0 && p.amp == 1.0);
    assert_int_equal(shmseq_sim_parse("rate=10,amp=2,amp=3", 250, &p, NULL, 0),
                     0);
    assert_true(p.rate == 10.0);
    assert_true(p.amp == 3.0); /* last one wins */
    assert_int_equal(shmseq_sim_parse("seed=18446744073709551615", 0, &p,
                                      NULL, 0), 0);
    assert_true(p.seed == UINT64_MAX);
}

static void test_width_limits(void **state)
{
    shmseq_sensor s;
    double v[SHMSEQ_SIM_WIDTH_MAX];

    (void)state;
    assert_int_equal(shmseq_sensor_open(&s, "sim", "", 0, 1000), -EINVAL);
    assert_non_null(strstr(s.why, "width"));
    assert_int_equal(shmseq_sensor_open(&s, "sim", "", 17, 1000), -EINVAL);
    open_ok(&s, "", 1, 1000);
    shmseq_sensor_close(&s);
    open_ok(&s, "", 16, 1000);
    /* A buffer too small for the width: refused, nothing counted. */
    assert_int_equal(shmseq_sensor_read(&s, 0, 0, v, 15), -EMSGSIZE);
    assert_int_equal(s.reads, 0);
    shmseq_sensor_close(&s);
    shmseq_sensor_close(&s); /* twice is fine */
}

static void test_bad_params(void **state)
{
    static const char *const bad[] = {
        "wave=triangle", "freq=-1", "bogus=1", "amp", "amp=", "amp=1x",
        "rate=0", "rate=-5", "seed=-1", "seed=abc", ",", "amp=1,", ",amp=1",
        "noise=-0.1", "noise=nan", "freq=inf", "amp=1e999", "=1",
        "wave=sine amp=1",
        "offset=1111111111111111111111111111111111111111111111111111111111111",
    };
    shmseq_sensor s;
    size_t i;

    (void)state;
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = shmseq_sensor_open(&s, "sim", bad[i], 4, 1000);
        if (rc != -EINVAL)
            fail_msg("params '%s' gave %d, want -EINVAL", bad[i], rc);
        assert_true(s.why[0] != '\0');
        assert_null(s.ops);
    }
    assert_int_equal(shmseq_sensor_open(&s, "sim", "fre=1", 4, 1000), -EINVAL);
    assert_non_null(strstr(s.why, "fre"));
}

static void test_unknown_driver(void **state)
{
    shmseq_sensor s;

    (void)state;
    assert_int_equal(shmseq_sensor_open(&s, "nosuch", "", 4, 1000), -ENOENT);
    assert_non_null(strstr(s.why, "nosuch"));
    assert_int_equal(shmseq_sensor_open(&s, NULL, "", 4, 1000), -ENOENT);
    assert_null(shmseq_sensor_driver_find("nosuch"));
    assert_ptr_equal(shmseq_sensor_driver_find("sim"),
                     shmseq_sensor_driver_at(0));
}

static void test_boards(void **state)
{
    const shmseq_board *b = shmseq_board_find("desktop");
    shmseq_sensor s;
    size_t i, n = 0;

    (void)state;
    assert_non_null(b);
    assert_string_equal(b->sensor, "sim");
    assert_int_equal(b->width, 4);
    assert_int_equal(b->rate_hz, 1000);
    assert_int_equal(b->capacity, 4096);
    assert_int_equal(b->writer_cpu, -1);
    assert_int_equal(b->writer_priority, 0);
    assert_null(shmseq_board_find("nosuch"));
    for (i = 0; shmseq_board_at(i) != NULL; i++) {
        const shmseq_board *x = shmseq_board_at(i);
        n++;
        /* Every board must describe something that opens. */
        assert_ptr_equal(shmseq_board_find(x->name), x);
        assert_true(x->capacity >= 2 && (x->capacity & (x->capacity - 1)) == 0);
        if (shmseq_sensor_driver_find(x->sensor) != NULL &&
            strcmp(x->sensor, "sim") == 0) {
            int rc = shmseq_sensor_open(&s, x->sensor, x->sensor_params,
                                        x->width, x->rate_hz);
            if (rc != 0)
                fail_msg("board %s: %s", x->name, s.why);
            shmseq_sensor_close(&s);
        }
    }
    assert_true(n >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_read_matches_value),
        cmocka_unit_test(test_sine),
        cmocka_unit_test(test_ramp_and_phase),
        cmocka_unit_test(test_square),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_rate_default_and_override),
        cmocka_unit_test(test_width_limits),
        cmocka_unit_test(test_bad_params),
        cmocka_unit_test(test_unknown_driver),
        cmocka_unit_test(test_boards),
    };
    return cmocka_run_group_tests_name("bsp", tests, NULL, NULL);
}
