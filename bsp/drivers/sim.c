/* SPDX-License-Identifier: MIT */
/*
 * The sim sensor driver: deterministic waveforms, the desktop default.
 *
 * Every value is a pure function of (parameters, channel, sample number),
 * computed by shmseq_sim_value() (formula in <shmseq/bsp.h>). The driver
 * keeps no state besides its parsed parameters, so the end-to-end test can
 * recompute bit for bit what the sensor task published from the sample
 * number alone, and a writer that takes a region over continues the same
 * waveform.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq_util/parse.h>

#include "../bsp_internal.h"

_Static_assert(sizeof(shmseq_sim_params) <= SHMSEQ_SENSOR_STATE_SIZE,
               "sim parameters must fit the sensor's state area");

#define SIM_TWO_PI 6.283185307179586476925286766559
/* 2^-53: turns the top 53 bits of a 64-bit hash into [0, 1) exactly. */
#define SIM_2POW_M53 (1.0 / 9007199254740992.0)
#define SIM_TOKEN_MAX 64u

static const char *const wave_names[] = {"sine", "ramp", "square", "noise"};

/* splitmix64 (Steele, Lea, Flood 2014): a bijective 64-bit mixer, used in
 * counter mode so that any sample's noise is computable on its own. */
static uint64_t sim_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

static double sim_uniform(uint64_t seed, uint32_t channel, uint64_t index,
                          uint64_t stream)
{
    uint64_t h = sim_mix(seed ^ (stream * 0xd1b54a32d192ed03u));

    h = sim_mix(h ^ channel);
    h = sim_mix(h ^ index);
    return (double)(h >> 11) * SIM_2POW_M53;
}

double shmseq_sim_value(const shmseq_sim_params *p, uint32_t channel,
                        uint64_t index)
{
    double x = (double)index * p->freq / p->rate + (double)channel * p->phase;
    double f = x - floor(x);
    double v;

    switch (p->wave) {
    case SHMSEQ_SIM_RAMP:
        v = p->amp * (2.0 * f - 1.0);
        break;
    case SHMSEQ_SIM_SQUARE:
        v = f < 0.5 ? p->amp : -p->amp;
        break;
    case SHMSEQ_SIM_NOISE:
        v = p->amp * (2.0 * sim_uniform(p->seed, channel, index, 0) - 1.0);
        break;
    case SHMSEQ_SIM_SINE:
    default:
        v = p->amp * sin(SIM_TWO_PI * f);
        break;
    }
    v += p->offset;
    if (p->noise > 0.0)
        v += p->noise * (2.0 * sim_uniform(p->seed, channel, index, 1) - 1.0);
    return v;
}

static void set_why(char *why, size_t size, const char *fmt, const char *a)
{
    if (why != NULL && size > 0)
        snprintf(why, size, fmt, a);
}

/* A finite double, the whole string consumed. */
static int parse_double(const char *s, double *out)
{
    char *end;
    double v;

    if (*s == '\0')
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -EINVAL;
    *out = v;
    return 0;
}

static int parse_pair(shmseq_sim_params *p, const char *key, const char *val)
{
    double d;
    size_t i;

    if (strcmp(key, "wave") == 0) {
        for (i = 0; i < sizeof wave_names / sizeof wave_names[0]; i++)
            if (strcmp(val, wave_names[i]) == 0) {
                p->wave = (shmseq_sim_wave)i;
                return 0;
            }
        return -EINVAL;
    }
    if (strcmp(key, "seed") == 0)
        return shmseq_parse_u64(val, &p->seed);
    if (parse_double(val, &d) < 0)
        return -EINVAL;
    if (strcmp(key, "freq") == 0 && d >= 0.0)
        p->freq = d;
    else if (strcmp(key, "amp") == 0)
        p->amp = d;
    else if (strcmp(key, "offset") == 0)
        p->offset = d;
    else if (strcmp(key, "phase") == 0)
        p->phase = d;
    else if (strcmp(key, "noise") == 0 && d >= 0.0)
        p->noise = d;
    else if (strcmp(key, "rate") == 0 && d > 0.0)
        p->rate = d;
    else
        return -EINVAL;
    return 0;
}

static int known_key(const char *key)
{
    static const char *const keys[] = {"wave",  "freq",  "amp",  "offset",
                                       "phase", "noise", "rate", "seed"};
    size_t i;

    for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(key, keys[i]) == 0)
            return 1;
    return 0;
}

int shmseq_sim_parse(const char *params, uint32_t rate_hz,
                     shmseq_sim_params *out, char *why, size_t why_size)
{
    shmseq_sim_params p = {
        .wave = SHMSEQ_SIM_SINE,
        .freq = 1.0,
        .amp = 1.0,
        .offset = 0.0,
        .phase = 0.25,
        .noise = 0.0,
        .rate = rate_hz != 0 ? (double)rate_hz : 1000.0,
        .seed = 1,
    };
    const char *s = params != NULL ? params : "";

    while (*s != '\0') {
        char tok[SIM_TOKEN_MAX];
        size_t n = strcspn(s, ",");
        char *eq;

        if (n == 0 || n >= sizeof tok) {
            set_why(why, why_size, "sim: %s parameter in the list",
                    n == 0 ? "empty" : "overlong");
            return -EINVAL;
        }
        memcpy(tok, s, n);
        tok[n] = '\0';
        eq = strchr(tok, '=');
        if (eq == NULL) {
            set_why(why, why_size, "sim: '%s' is not key=value", tok);
            return -EINVAL;
        }
        *eq = '\0';
        if (!known_key(tok)) {
            set_why(why, why_size,
                    "sim: unknown key '%s' (keys: wave freq amp offset "
                    "phase noise rate seed)", tok);
            return -EINVAL;
        }
        if (parse_pair(&p, tok, eq + 1) < 0) {
            *eq = '=';
            set_why(why, why_size, "sim: bad value in '%s'", tok);
            return -EINVAL;
        }
        s += n;
        if (*s == ',') {
            s++;
            if (*s == '\0') {
                set_why(why, why_size, "sim: %s", "trailing ','");
                return -EINVAL;
            }
        }
    }
    *out = p;
    return 0;
}

static int sim_open(shmseq_sensor *s, const char *params)
{
    shmseq_sim_params p;
    int rc;

    if (s->width < 1 || s->width > SHMSEQ_SIM_WIDTH_MAX) {
        snprintf(s->why, sizeof s->why,
                 "sim: width %u out of range 1..%u", (unsigned)s->width,
                 (unsigned)SHMSEQ_SIM_WIDTH_MAX);
        return -EINVAL;
    }
    rc = shmseq_sim_parse(params, s->rate_hz, &p, s->why, sizeof s->why);
    if (rc < 0)
        return rc;
    memcpy(shmseq_sensor_state(s), &p, sizeof p);
    return 0;
}

static int sim_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                    double *values, uint32_t width)
{
    const shmseq_sim_params *p =
        (const shmseq_sim_params *)shmseq_sensor_state(s);
    uint32_t c;

    (void)now_ns; /* deterministic: the sample number is the clock */
    for (c = 0; c < width; c++)
        values[c] = shmseq_sim_value(p, c, index);
    return 0;
}

const shmseq_sensor_ops shmseq__sensor_sim = {
    .name = "sim",
    .summary = "deterministic waveforms (sine ramp square noise), 1..16 "
               "channels; params wave,freq,amp,offset,phase,noise,rate,seed",
    .open = sim_open,
    .read = sim_read,
    .close = NULL,
};
