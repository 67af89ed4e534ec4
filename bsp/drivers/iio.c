/* SPDX-License-Identifier: MIT */
/*
 * The iio sensor driver: Linux Industrial I/O channels through sysfs.
 *
 * open() finds the device (by the content of its "name" file or by its
 * index), opens each channel's <chan>_raw (or, failing that, the already
 * processed <chan>_input) once with O_CLOEXEC, and reads the channel's
 * scale and offset once, looking them up as the kernel's IIO core names
 * them: per channel, shared by type, by direction, by all. read() is then
 * one pread() per channel on the kept descriptors - no open, no
 * allocation - and yields (raw + offset) * scale in the ABI's units
 * (millivolts, milli degrees Celsius, m/s^2, ...). A channel that cannot
 * be read or holds no number yields NaN for that sample only; the task
 * goes on. Parameters and rules: docs/sensors.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bsp_internal.h"

/** Channels one iio sensor reads (bounded by the state area). */
#define IIO_CHANNELS_MAX 8u
#define IIO_NAME_MAX 64u

typedef struct iio_state {
    int fd[IIO_CHANNELS_MAX];
    double scale[IIO_CHANNELS_MAX];  /* 1 for an _input channel */
    double offset[IIO_CHANNELS_MAX]; /* 0 for an _input channel */
} iio_state;

_Static_assert(sizeof(iio_state) <= SHMSEQ_SENSOR_STATE_SIZE,
               "iio state must fit the sensor's state area");

typedef struct iio_params {
    char root[SHMSEQ__PATH_MAX / 2];
    char device[IIO_NAME_MAX];
    char channels[SHMSEQ__PATH_MAX / 2];
} iio_params;

static int iio_parse(shmseq_sensor *s, const char *params, iio_params *p)
{
    char key[16];
    char val[SHMSEQ__PATH_MAX / 2];
    int rc;

    (void)shmseq__copy(p->root, sizeof p->root, "/sys");
    p->device[0] = '\0';
    p->channels[0] = '\0';
    while ((rc = shmseq__param_next(&params, "iio", key, sizeof key, val,
                                    sizeof val, s->why, sizeof s->why)) > 0) {
        if (strcmp(key, "root") == 0 && val[0] != '\0' &&
            shmseq__copy(p->root, sizeof p->root, val) == 0)
            ; /* NOLINT(bugprone-branch-clone): one empty branch per accepted key */
        else if (strcmp(key, "device") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->device, sizeof p->device, val) == 0)
            ;
        else if (strcmp(key, "channels") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->channels, sizeof p->channels, val) == 0)
            ;
        else {
            shmseq__why(s, "iio: bad parameter '%s' (keys: root device channels)",
                     key);
            return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (p->device[0] == '\0' || p->channels[0] == '\0') {
        shmseq__why(s, "iio: device=NAME|N and channels=a:b:... are required");
        return -EINVAL;
    }
    return 0;
}

/* The device directory: "N" or "iio:deviceN" by index, else by name. */
static int iio_find_device(shmseq_sensor *s, const iio_params *p, char *dir,
                           size_t size)
{
    char devices[SHMSEQ__PATH_MAX], entry[IIO_NAME_MAX + 16];
    const char *d = p->device;
    struct stat st;
    int rc;

    if (shmseq__path(devices, sizeof devices, p->root, "bus/iio/devices",
                     NULL) < 0)
        goto too_long;
    if (strncmp(d, "iio:device", 10) == 0)
        d += 10;
    if (d[0] >= '0' && d[0] <= '9' && strspn(d, "0123456789") == strlen(d)) {
        if (strlen(d) > 12)
            goto too_long;
        snprintf(entry, sizeof entry, "iio:device%.12s", d);
        if (shmseq__path(dir, size, devices, entry, NULL) < 0)
            goto too_long;
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
            shmseq__why(s, "iio: no device %s", dir);
            return -ENOENT;
        }
        return 0;
    }
    rc = shmseq__dir_find(devices, "iio:device", "name", p->device, entry,
                          sizeof entry);
    if (rc < 0) {
        shmseq__why(s, "iio: no device named '%s' in %s",
                 p->device, devices);
        return -ENOENT;
    }
    if (shmseq__path(dir, size, devices, entry, NULL) < 0)
        goto too_long;
    return 0;
too_long:
    shmseq__why(s, "iio: root path too long");
    return -ENAMETOOLONG;
}

/*
 * The IIO core names an info attribute (scale, offset) after how widely it
 * is shared: in_voltage0_scale (this channel), in_voltage_scale (every
 * channel of the type; in_voltage-voltage_scale for differential ones),
 * in_scale (every input), scale (every channel). The first that exists
 * applies. Missing everywhere: the neutral value.
 */
static int iio_info(shmseq_sensor *s, const char *dir, const char *chan,
                    const char *attr, double neutral, double *out)
{
    char names[4][IIO_NAME_MAX * 2 + 16];
    char dirpfx[8], type[IIO_NAME_MAX];
    const char *rest;
    size_t tlen, i;
    int differential = strchr(chan, '-') != NULL;

    rest = strchr(chan, '_');
    tlen = rest != NULL ? (size_t)(rest - chan) : 0;
    if (rest == NULL || tlen >= sizeof dirpfx)
        return -EINVAL;
    memcpy(dirpfx, chan, tlen);
    dirpfx[tlen] = '\0';
    rest++;
    tlen = strcspn(rest, "0123456789_-");
    if (tlen == 0 || tlen >= sizeof type)
        return -EINVAL;
    memcpy(type, rest, tlen);
    type[tlen] = '\0';

    snprintf(names[0], sizeof names[0], "%s_%s", chan, attr);
    if (differential)
        snprintf(names[1], sizeof names[1], "%s_%s-%s_%s", dirpfx, type,
                 type, attr);
    else
        snprintf(names[1], sizeof names[1], "%s_%s_%s", dirpfx, type, attr);
    snprintf(names[2], sizeof names[2], "%s_%s", dirpfx, attr);
    snprintf(names[3], sizeof names[3], "%s", attr);
    for (i = 0; i < 4; i++) {
        char path[SHMSEQ__PATH_MAX], text[64];
        int rc;

        if (shmseq__path(path, sizeof path, dir, names[i], NULL) < 0)
            return -ENAMETOOLONG;
        rc = shmseq__read_text(path, text, sizeof text);
        if (rc == -ENOENT)
            continue;
        if (rc < 0 || shmseq__parse_number(text, out) < 0 ||
            (strcmp(attr, "scale") == 0 && *out == 0.0)) {
            shmseq__why(s, "iio: unreadable or bad %s",
                     path);
            return -EINVAL;
        }
        return 0;
    }
    *out = neutral;
    return 0;
}

static void iio_close(shmseq_sensor *s)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    uint32_t c;

    for (c = 0; c < IIO_CHANNELS_MAX; c++)
        if (st->fd[c] >= 0) {
            (void)close(st->fd[c]);
            st->fd[c] = -1;
        }
}

static int iio_open_channel(shmseq_sensor *s, const char *dir,
                            const char *chan, uint32_t c)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    char path[SHMSEQ__PATH_MAX], file[IIO_NAME_MAX + 8];
    int rc;

    snprintf(file, sizeof file, "%s_raw", chan);
    if (shmseq__path(path, sizeof path, dir, file, NULL) < 0)
        return -ENAMETOOLONG;
    rc = shmseq__sysfs_open(path, &st->fd[c]);
    if (rc == -ENOENT) {
        /* No raw value: the driver may offer the processed one only. */
        char input[SHMSEQ__PATH_MAX];

        snprintf(file, sizeof file, "%s_input", chan);
        if (shmseq__path(input, sizeof input, dir, file, NULL) < 0)
            return -ENAMETOOLONG;
        rc = shmseq__sysfs_open(input, &st->fd[c]);
        if (rc == 0) {
            st->scale[c] = 1.0;
            st->offset[c] = 0.0;
            return 0;
        }
        if (rc == -ENOENT) {
            shmseq__why(s, "iio: no channel %s (nor _input)",
                     path);
            return rc;
        }
    }
    if (rc < 0) {
        shmseq__why(s, "iio: cannot open %s", path);
        return rc;
    }
    rc = iio_info(s, dir, chan, "scale", 1.0, &st->scale[c]);
    if (rc == 0)
        rc = iio_info(s, dir, chan, "offset", 0.0, &st->offset[c]);
    if (rc == -EINVAL && s->why[0] == '\0')
        shmseq__why(s, "iio: bad channel name '%s'", chan);
    return rc;
}

static int iio_open(shmseq_sensor *s, const char *params)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    iio_params p;
    char dir[SHMSEQ__PATH_MAX], chan[IIO_NAME_MAX];
    const char *cur;
    uint32_t n = 0, c;
    int rc;

    for (c = 0; c < IIO_CHANNELS_MAX; c++)
        st->fd[c] = -1;
    rc = iio_parse(s, params, &p);
    if (rc < 0)
        return rc;
    /* Count first, so a width mismatch is reported before any I/O. */
    cur = p.channels;
    while ((rc = shmseq__list_next(&cur, chan, sizeof chan)) > 0)
        n++;
    if (rc < 0 || n > IIO_CHANNELS_MAX) {
        shmseq__why(s, "iio: channels: want 1..%u names separated by ':'",
                 (unsigned)IIO_CHANNELS_MAX);
        return -EINVAL;
    }
    if (n != s->width) {
        shmseq__why(s, "iio: %u channel(s) given but the width is %u",
                 (unsigned)n, (unsigned)s->width);
        return -EINVAL;
    }
    rc = iio_find_device(s, &p, dir, sizeof dir);
    if (rc < 0)
        return rc;
    cur = p.channels;
    for (c = 0; c < n; c++) {
        size_t len;

        (void)shmseq__list_next(&cur, chan, sizeof chan);
        /* Accept "in_voltage0_raw" for "in_voltage0". */
        len = strlen(chan);
        if (len > 4 && strcmp(chan + len - 4, "_raw") == 0)
            chan[len - 4] = '\0';
        rc = iio_open_channel(s, dir, chan, c);
        if (rc < 0) {
            iio_close(s);
            return rc;
        }
    }
    return 0;
}

static int iio_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                    double *values, uint32_t width)
{
    const iio_state *st = (const iio_state *)shmseq_sensor_state(s);
    uint32_t c;

    (void)index;
    (void)now_ns;
    for (c = 0; c < width; c++) {
        double raw;

        if (shmseq__sysfs_read(st->fd[c], &raw) < 0)
            values[c] = NAN;
        else
            values[c] = (raw + st->offset[c]) * st->scale[c];
    }
    return 0;
}

const shmseq_sensor_ops shmseq__sensor_iio = {
    .name = "iio",
    .summary = "Linux IIO sysfs, (raw+offset)*scale, 1..8 channels; params "
               "root,device=NAME|N,channels=in_voltage0:in_temp:...",
    .open = iio_open,
    .read = iio_read,
    .close = iio_close,
};
