/* SPDX-License-Identifier: MIT */
/*
 * shmseq board support: sensor drivers and board descriptions.
 *
 * Drivers are ops tables, boards are data (as Zephyr's sensor API and board
 * folders). A sensor driver fills float64 values for one sample; a board
 * says which driver, with which parameters, at which rate, width and ring
 * capacity, on which CPUs and at which real-time priorities the sensor task
 * and the logger run. The examples and tools take their defaults from a
 * board; the library proper (shmseq::shmseq) knows nothing of boards.
 *
 * Adding a driver: write bsp/drivers/<name>.c defining a const
 * shmseq_sensor_ops, declare it in bsp/bsp_internal.h and add it to the
 * table in bsp/sensor.c. Adding a board: a folder bsp/<board>/ with a
 * board.c holding one const shmseq_board and a README.md, plus one line in
 * the table in bsp/board.c.
 *
 * @code
 * const shmseq_board *b = shmseq_board_find("desktop");
 * shmseq_sensor s;
 * double v[16];
 * int rc = shmseq_sensor_open(&s, b->sensor, b->sensor_params, b->width,
 *                             b->rate_hz);
 * if (rc < 0) {
 *     fprintf(stderr, "sensor %s: %s (%s)\n", b->sensor,
 *             shmseq_strerror(rc), s.why);
 *     return 1;
 * }
 * rc = shmseq_sensor_read(&s, sample_number, shmseq_now_ns(), v, 16);
 * shmseq_sensor_close(&s);
 * @endcode
 */
#ifndef SHMSEQ_BSP_H
#define SHMSEQ_BSP_H

#include <stddef.h>
#include <stdint.h>

#include <shmseq/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of driver-private state inside every shmseq_sensor (no malloc). */
#define SHMSEQ_SENSOR_STATE_SIZE 2048u
/** Room for the sentence explaining why shmseq_sensor_open() failed. */
#define SHMSEQ_SENSOR_WHY_SIZE 128u

typedef struct shmseq_sensor shmseq_sensor;

/**
 * A sensor driver. Every op is required; a NULL op makes
 * shmseq_sensor_open() (for open/read) fail with -ENOSYS, close may be NULL
 * when there is nothing to release.
 */
typedef struct shmseq_sensor_ops {
    /** Driver name, as given to shmseq_sensor_open() and in board data. */
    const char *name;
    /** One line for --help listings. */
    const char *summary;
    /**
     * Parse @p params ("key=value,key=value", NULL or "" for defaults) and
     * set up s->state for s->width channels (s->width and s->rate_hz are
     * filled before the call). On failure write the reason to s->why.
     * Called once, from a normal (non-real-time) context; may block.
     * @retval 0, -EINVAL (bad width, key or value), or another -errno.
     */
    int (*open)(shmseq_sensor *s, const char *params);
    /**
     * Fill @p width (== s->width) values for sample number @p index taken
     * at @p now_ns (CLOCK_MONOTONIC). Called from the periodic sensor task,
     * possibly at SCHED_FIFO priority: it must not block, sleep or allocate.
     * A channel that cannot be read this time is NaN, not an error: the
     * caller counts NaNs per channel and publishes the sample.
     * A driver whose open set s->paced (the device delivers samples at its
     * own rate: iio mode=buffered) waits here for the next sample instead,
     * in poll(), bounded by its own timeout; it may set s->sample_ns and
     * add to s->overruns.
     * @retval 0 or a negative errno (counted in s->errors; no sample).
     * @retval -ENODATA the source has ended (replay without loop): not
     *                  counted as an error; the caller should stop.
     * @retval -EAGAIN, -EINTR (paced drivers) no sample within the timeout,
     *                  or a signal came: not counted; call again.
     */
    int (*read)(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                double *values, uint32_t width);
    /** Release what open took. Called once; never from the periodic task. */
    void (*close)(shmseq_sensor *s);
} shmseq_sensor_ops;

/**
 * An open sensor. Caller-allocated (stack, static, embedded); read the
 * public fields, never write them.
 */
struct shmseq_sensor {
    const shmseq_sensor_ops *ops; /**< the driver; NULL when closed */
    uint32_t width;               /**< values per read */
    uint32_t rate_hz;             /**< sample rate the caller announced */
    uint64_t reads;               /**< successful reads */
    uint64_t errors;              /**< failed reads */
    int last_error;               /**< the last failed read's code, or 0 */
    /** The period the driver asks to be read at, set by its open (replay:
     *  the recorded or given rate); 0 = none, use the caller's rate. */
    uint64_t period_hint_ns;
    /** Nonzero when the device paces the reads (set by open): read()
     *  blocks until the next sample, so the caller runs no timer. */
    int paced;
    /** The device's own time of the last sample read (CLOCK_MONOTONIC,
     *  e.g. the IIO timestamp), 0 when the driver has none. */
    uint64_t sample_ns;
    /** Samples the device lost before they could be read (the kernel's
     *  buffer was full), as far as the driver can tell. */
    uint64_t overruns;
    char why[SHMSEQ_SENSOR_WHY_SIZE]; /**< why open failed; "" if it did not */
    /** Driver-private state; drivers use shmseq_sensor_state(). */
    union {
        max_align_t align_;
        unsigned char bytes[SHMSEQ_SENSOR_STATE_SIZE];
    } state;
};

/** @brief The driver-private state area of @p s (for drivers). */
static inline void *shmseq_sensor_state(shmseq_sensor *s)
{
    return s->state.bytes;
}

/**
 * @brief Open sensor driver @p driver with @p params for @p width values.
 *
 * @param[out] s        handle to initialise
 * @param[in]  driver   driver name ("sim", ...)
 * @param[in]  params   driver parameters, "key=value,..."; NULL or "" for
 *                      the driver's defaults
 * @param[in]  width    values per sample (each driver has its own limits)
 * @param[in]  rate_hz  sample rate the caller will read at (drivers whose
 *                      output depends on time, like sim, use it; 0 unknown)
 * @retval 0        open
 * @retval -ENOENT  no driver of that name (s->why says so; list them with
 *                  shmseq_sensor_driver_at())
 * @retval -ENOSYS  the driver lacks a required op
 * @retval -EINVAL  bad width, parameter key or value (s->why says which)
 * @retval other    as the driver's open returns
 */
int shmseq_sensor_open(shmseq_sensor *s, const char *driver,
                       const char *params, uint32_t width, uint32_t rate_hz);

/**
 * @brief Read one sample (sample number @p index) into @p values.
 *
 * Real-time safe if the driver is: no allocation, no blocking in the
 * wrapper itself.
 *
 * @param[in]  s           an open sensor
 * @param[in]  index       the sample number this reading will be published
 *                         as (shmseq_writer_next()); deterministic drivers
 *                         compute their values from it
 * @param[in]  now_ns      CLOCK_MONOTONIC now
 * @param[out] values      receives s->width values
 * @param[in]  max_values  room at @p values
 * @retval 0          read (a channel that could not be read is NaN)
 * @retval -EMSGSIZE  @p max_values < s->width; nothing read
 * @retval -ENODATA   the source has ended (not counted in s->errors)
 * @retval -EAGAIN    a paced sensor (s->paced) had no sample within its
 *                    timeout; -EINTR: a signal came (neither counted)
 * @retval other      the driver's error (counted in s->errors)
 */
int shmseq_sensor_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                       double *values, uint32_t max_values);

/** @brief Close the sensor. Safe to call twice. */
void shmseq_sensor_close(shmseq_sensor *s);

/** @brief The driver named @p name, or NULL. */
const shmseq_sensor_ops *shmseq_sensor_driver_find(const char *name);

/** @brief The @p i-th built-in driver, or NULL past the last (iterate). */
const shmseq_sensor_ops *shmseq_sensor_driver_at(size_t i);

/* ---- boards ----------------------------------------------------------- */

/**
 * A board: pure data describing how the demo runs on one machine.
 * Negative CPUs mean "not pinned", priority 0 means "normal scheduling".
 */
typedef struct shmseq_board {
    const char *name;          /**< "desktop", ... */
    const char *description;   /**< one line */
    const char *sensor;        /**< driver name */
    const char *sensor_params; /**< driver parameters ("" for defaults) */
    uint32_t width;            /**< values per sample */
    uint32_t rate_hz;          /**< sensor task rate */
    uint32_t capacity;         /**< ring slots (power of two) */
    int writer_cpu;            /**< CPU for the sensor task, -1 none */
    int writer_priority;       /**< SCHED_FIFO 1..99 for it, 0 none */
    int logger_cpu;            /**< CPU for the logger, -1 none */
    int logger_priority;       /**< SCHED_FIFO for the logger, 0 none */
    int lock_memory;           /**< nonzero: the sensor task mlocks */
} shmseq_board;

/** @brief The board named @p name, or NULL. */
const shmseq_board *shmseq_board_find(const char *name);

/** @brief The @p i-th known board, or NULL past the last (iterate). */
const shmseq_board *shmseq_board_at(size_t i);

/* ---- the sim driver's waveform, for tests that recompute it ----------- */

/** Channels the sim driver supports. */
#define SHMSEQ_SIM_WIDTH_MAX 16u

/** Waveforms of the sim driver. */
typedef enum shmseq_sim_wave {
    SHMSEQ_SIM_SINE = 0,   /**< "sine" */
    SHMSEQ_SIM_RAMP = 1,   /**< "ramp": sawtooth from -amp to +amp */
    SHMSEQ_SIM_SQUARE = 2, /**< "square": +amp then -amp */
    SHMSEQ_SIM_NOISE = 3,  /**< "noise": uniform in [-amp, +amp) */
} shmseq_sim_wave;

/** The sim driver's parameters, parsed. */
typedef struct shmseq_sim_params {
    shmseq_sim_wave wave; /**< wave=sine|ramp|square|noise  (sine) */
    double freq;   /**< freq=HZ    cycles per second, >= 0    (1) */
    double amp;    /**< amp=A      amplitude                 (1) */
    double offset; /**< offset=O   added to every value      (0) */
    double phase;  /**< phase=P    channel c is shifted by c*P cycles (0.25) */
    double noise;  /**< noise=N    uniform noise in [-N, N) added, >= 0 (0) */
    double rate;   /**< rate=HZ    samples per second, > 0 (the caller's
                        rate_hz, or 1000 if that is 0) */
    uint64_t seed; /**< seed=S     noise seed, decimal or 0x hex  (1) */
} shmseq_sim_params;

/**
 * @brief Parse a sim parameter string.
 *
 * Keys: wave, freq, amp, offset, phase, noise, rate, seed (see
 * shmseq_sim_params for meaning and defaults), separated by ','; a key may
 * repeat (the last wins); no spaces. "" or NULL gives the defaults.
 *
 * @param[in]  params   the string
 * @param[in]  rate_hz  default for "rate" (0: 1000)
 * @param[out] out      the parameters
 * @param[out] why      if not NULL, receives the reason on failure
 * @param[in]  why_size bytes at @p why
 * @retval 0        parsed
 * @retval -EINVAL  unknown key, missing '=', bad or out-of-range value
 */
int shmseq_sim_parse(const char *params, uint32_t rate_hz,
                     shmseq_sim_params *out, char *why, size_t why_size);

/**
 * @brief The value the sim driver produces for @p channel of sample
 *        @p index: a pure function of its arguments, so a checker can
 *        recompute exactly (bit for bit) what was published.
 *
 * With x = index * freq / rate + channel * phase and f = x - floor(x):
 *
 *   sine:    amp * sin(2 pi f)
 *   ramp:    amp * (2 f - 1)
 *   square:  f < 0.5 ? amp : -amp
 *   noise:   amp * (2 u(seed, channel, index, 0) - 1)
 *
 * plus offset, plus noise * (2 u(seed, channel, index, 1) - 1) if
 * noise > 0, where u(seed, c, i, k) is the top 53 bits of
 * splitmix64(splitmix64(splitmix64(seed ^ k*0xd1b54a32d192ed03) ^ c) ^ i)
 * divided by 2^53, uniform in [0, 1). The generator is counter-based
 * (no state carried from one sample to the next), so any sample can be
 * recomputed alone and a takeover writer continues the same sequence.
 */
double shmseq_sim_value(const shmseq_sim_params *p, uint32_t channel,
                        uint64_t index);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_BSP_H */
