/* SPDX-License-Identifier: MIT */
/*
 * The iio sensor driver: Linux Industrial I/O devices, in two modes.
 *
 * mode=sysfs (the default, for slow sensors): open() finds the device (by
 * the content of its "name" file or by its index), opens each channel's
 * <chan>_raw (or, failing that, the already processed <chan>_input) once
 * with O_CLOEXEC, and reads the channel's scale and offset once, looking
 * them up as the kernel's IIO core names them: per channel, shared by
 * type, by direction, by all. read() is then one pread() per channel on
 * the kept descriptors - no open, no allocation - and yields
 * (raw + offset) * scale in the ABI's units. A channel that cannot be read
 * or holds no number yields NaN for that sample only; the task goes on.
 *
 * mode=buffered (for fast ones): open() enables exactly the chosen
 * channels (and the timestamp) in scan_elements, parses their *_type,
 * lays the scan out as the kernel does (iio_scan.c), sets buffer/length,
 * buffer/watermark, the trigger and current_timestamp_clock=monotonic,
 * enables the buffer and keeps /dev/iio:deviceN open. read() then hands
 * out one scan per call from a fixed buffer inside the sensor, refilled
 * with read() (after poll() when empty) - the device paces the task.
 * close() disables the buffer and puts back every attribute it changed.
 * Parameters and rules: docs/sensors.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../bsp_internal.h"
#include "iio_scan.h"

/** Channels one iio sensor reads (bounded by the state area). */
#define IIO_CHANNELS_MAX 8u
/** Values per sample: a channel with a repeat count gives several. */
#define IIO_VALUES_MAX 16u
#define IIO_NAME_MAX 64u /* the "%.63s" formats below follow it */
/** Scan-element enable files open() may change (and close() restores). */
#define IIO_RESTORE_MAX 24u
/** Bytes of scans kept between reads; one read() fills what is free. */
#define IIO_BUF_SIZE 1024u
#define IIO_CLOCK_MAX 24u
#define IIO_CONFIGFS_MAX 256u

/* Buffered mode: the device node, what open() changed, the scan layout
 * and the scans read but not yet handed out. */
typedef struct iio_buffered {
    int dev_fd;       /* /dev/iio:deviceN, O_NONBLOCK */
    int enable_fd;    /* buffer/enable */
    int length_fd;    /* buffer/length, -1 when left as it was */
    int watermark_fd; /* buffer/watermark, -1 when left as it was */
    int clock_fd;     /* current_timestamp_clock, -1 when left */
    int trigger_fd;   /* trigger/current_trigger, -1 when left */
    uint32_t old_length, old_watermark;
    char old_clock[IIO_CLOCK_MAX];
    char old_trigger[IIO_NAME_MAX];
    int en_fd[IIO_RESTORE_MAX]; /* enable files changed, and their old value */
    char en_old[IIO_RESTORE_MAX];
    uint32_t en_count;
    char hrtimer_dir[IIO_CONFIGFS_MAX]; /* configfs trigger made, "" none */
    shmseq__iio_elem elem[IIO_CHANNELS_MAX + 1]; /* in scan order */
    uint8_t value_elem[IIO_VALUES_MAX]; /* value v: element ... */
    uint8_t value_rep[IIO_VALUES_MAX];  /* ... and its repeat number */
    int ts_elem;                        /* the timestamp's element, or -1 */
    uint32_t scan_size;
    uint32_t pos, len; /* buf[pos, len): read, not handed out */
    int timeout_ms;
    uint64_t period_ns; /* 1e9 / sampling_frequency; 0 unknown */
    int64_t prev_ts;
    int have_prev;
    unsigned char buf[IIO_BUF_SIZE];
} iio_buffered;

typedef struct iio_state {
    int buffered;
    double scale[IIO_VALUES_MAX];  /* 1 for an _input channel */
    double offset[IIO_VALUES_MAX]; /* 0 for an _input channel */
    union {
        int fd[IIO_CHANNELS_MAX]; /* sysfs mode: each channel's _raw */
        iio_buffered b;
    } u;
} iio_state;

_Static_assert(sizeof(iio_state) <= SHMSEQ_SENSOR_STATE_SIZE,
               "iio state must fit the sensor's state area");

typedef struct iio_params {
    char root[SHMSEQ__PATH_MAX / 2];
    char devdir[SHMSEQ__PATH_MAX / 4];
    char device[IIO_NAME_MAX];
    char channels[SHMSEQ__PATH_MAX / 2];
    char trigger[IIO_NAME_MAX];
    char hrtimer[IIO_NAME_MAX];
    int buffered;
    int timestamp;
    uint32_t length, watermark, timeout_ms;
} iio_params;

/* "0".."max" in decimal: 0 and *out, or -1. */
static int parse_uint(const char *text, uint32_t max, uint32_t *out)
{
    char *end;
    unsigned long v;

    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int iio_parse(shmseq_sensor *s, const char *params, iio_params *p)
{
    char key[16];
    char val[SHMSEQ__PATH_MAX / 2];
    uint32_t u;
    int rc;

    memset(p, 0, sizeof *p);
    (void)shmseq__copy(p->root, sizeof p->root, "/sys");
    (void)shmseq__copy(p->devdir, sizeof p->devdir, "/dev");
    p->timestamp = 1;
    p->length = 4096;
    p->watermark = 1;
    p->timeout_ms = 1000;
    while ((rc = shmseq__param_next(&params, "iio", key, sizeof key, val,
                                    sizeof val, s->why, sizeof s->why)) > 0) {
        if (strcmp(key, "root") == 0 && val[0] != '\0' &&
            shmseq__copy(p->root, sizeof p->root, val) == 0)
            ; /* NOLINT(bugprone-branch-clone): one empty branch per accepted key */
        else if (strcmp(key, "devdir") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->devdir, sizeof p->devdir, val) == 0)
            ;
        else if (strcmp(key, "device") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->device, sizeof p->device, val) == 0)
            ;
        else if (strcmp(key, "channels") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->channels, sizeof p->channels, val) == 0)
            ;
        else if (strcmp(key, "mode") == 0 && strcmp(val, "sysfs") == 0)
            p->buffered = 0;
        else if (strcmp(key, "mode") == 0 && strcmp(val, "buffered") == 0)
            p->buffered = 1;
        else if (strcmp(key, "trigger") == 0 && val[0] != '\0' &&
                 shmseq__copy(p->trigger, sizeof p->trigger, val) == 0)
            ;
        else if (strcmp(key, "hrtimer") == 0 && val[0] != '\0' &&
                 strchr(val, '/') == NULL &&
                 shmseq__copy(p->hrtimer, sizeof p->hrtimer, val) == 0)
            ;
        else if (strcmp(key, "timestamp") == 0 && parse_uint(val, 1, &u) == 0)
            p->timestamp = (int)u;
        else if (strcmp(key, "length") == 0 &&
                 parse_uint(val, 1u << 24, &u) == 0 && u >= 1)
            p->length = u;
        else if (strcmp(key, "watermark") == 0 &&
                 parse_uint(val, 1u << 24, &u) == 0 && u >= 1)
            p->watermark = u;
        else if (strcmp(key, "timeout_ms") == 0 &&
                 parse_uint(val, 3600000u, &u) == 0 && u >= 1)
            p->timeout_ms = u;
        else {
            shmseq__why(s, "iio: bad parameter '%s=%.32s' (keys: root device "
                        "channels mode devdir length watermark trigger "
                        "hrtimer timestamp timeout_ms)", key, val);
            return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (p->device[0] == '\0' || p->channels[0] == '\0') {
        shmseq__why(s, "iio: device=NAME|N and channels=a:b:... are required");
        return -EINVAL;
    }
    if (p->trigger[0] != '\0' && p->hrtimer[0] != '\0') {
        shmseq__why(s, "iio: trigger= and hrtimer= exclude each other");
        return -EINVAL;
    }
    if (p->watermark > p->length) {
        shmseq__why(s, "iio: watermark %u is above length %u",
                    (unsigned)p->watermark, (unsigned)p->length);
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

/* Scale and offset of channel chan into value slot v. */
static int iio_scale_offset(shmseq_sensor *s, const char *dir,
                            const char *chan, uint32_t v)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    int rc = iio_info(s, dir, chan, "scale", 1.0, &st->scale[v]);

    if (rc == 0)
        rc = iio_info(s, dir, chan, "offset", 0.0, &st->offset[v]);
    if (rc == -EINVAL && s->why[0] == '\0')
        shmseq__why(s, "iio: bad channel name '%s'", chan);
    return rc;
}

/* ---- sysfs mode ---------------------------------------------------------- */

static void iio_sysfs_close(iio_state *st)
{
    uint32_t c;

    for (c = 0; c < IIO_CHANNELS_MAX; c++)
        if (st->u.fd[c] >= 0) {
            (void)close(st->u.fd[c]);
            st->u.fd[c] = -1;
        }
}

static int iio_open_channel(shmseq_sensor *s, const char *dir,
                            const char *chan, uint32_t c)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    char path[SHMSEQ__PATH_MAX], file[IIO_NAME_MAX + 8];
    int rc;

    snprintf(file, sizeof file, "%.63s_raw", chan);
    if (shmseq__path(path, sizeof path, dir, file, NULL) < 0)
        return -ENAMETOOLONG;
    rc = shmseq__sysfs_open(path, &st->u.fd[c]);
    if (rc == -ENOENT) {
        /* No raw value: the driver may offer the processed one only. */
        char input[SHMSEQ__PATH_MAX];

        snprintf(file, sizeof file, "%.63s_input", chan);
        if (shmseq__path(input, sizeof input, dir, file, NULL) < 0)
            return -ENAMETOOLONG;
        rc = shmseq__sysfs_open(input, &st->u.fd[c]);
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
    return iio_scale_offset(s, dir, chan, c);
}

static int iio_sysfs_read(iio_state *st, double *values, uint32_t width)
{
    uint32_t c;

    for (c = 0; c < width; c++) {
        double raw;

        if (shmseq__sysfs_read(st->u.fd[c], &raw) < 0)
            values[c] = NAN;
        else
            values[c] = (raw + st->offset[c]) * st->scale[c];
    }
    return 0;
}

/* ---- buffered mode: attributes open() sets and close() restores ---------- */

/* Replace a sysfs attribute's content (one write at offset 0). */
static int put_text(int fd, const char *text)
{
    size_t n = strlen(text);
    ssize_t w;

    do
        w = pwrite(fd, text, n, 0);
    while (w < 0 && errno == EINTR);
    if (w < 0)
        return -errno;
    return (size_t)w == n ? 0 : -EIO;
}

static int put_uint(int fd, uint32_t v)
{
    char text[16];

    snprintf(text, sizeof text, "%u\n", (unsigned)v);
    return put_text(fd, text);
}

/* The text of an open attribute, trailing blanks removed. */
static int get_text(int fd, char *buf, size_t size)
{
    ssize_t n;

    do
        n = pread(fd, buf, size - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    return 0;
}

static int get_uint(int fd, uint32_t *v)
{
    char text[24];
    int rc = get_text(fd, text, sizeof text);

    if (rc < 0)
        return rc;
    return parse_uint(text, UINT32_MAX, v) == 0 ? 0 : -EINVAL;
}

/* open(dir/rel, O_RDWR | O_CLOEXEC): 0, or -errno with why filled. */
static int open_attr(shmseq_sensor *s, const char *dir, const char *rel,
                     int *fd)
{
    char path[SHMSEQ__PATH_MAX];

    if (shmseq__path(path, sizeof path, dir, rel, NULL) < 0) {
        shmseq__why(s, "iio: path too long: %s/%s", dir, rel);
        return -ENAMETOOLONG;
    }
    *fd = open(path, O_RDWR | O_CLOEXEC);
    if (*fd < 0) {
        int rc = -errno;

        shmseq__why(s, "iio: cannot open %s: %s", path, strerror(-rc));
        return rc;
    }
    return 0;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        (void)close(*fd);
        *fd = -1;
    }
}

/* Undo what iio_buffered_open did, newest first; safe on a partial open. */
static void iio_buffered_close(iio_buffered *b)
{
    uint32_t i;

    if (b->enable_fd >= 0)
        (void)put_text(b->enable_fd, "0\n");
    close_fd(&b->dev_fd);
    close_fd(&b->enable_fd);
    if (b->trigger_fd >= 0) {
        char text[IIO_NAME_MAX + 2];

        snprintf(text, sizeof text, "%s\n", b->old_trigger);
        (void)put_text(b->trigger_fd, text);
    }
    close_fd(&b->trigger_fd);
    if (b->hrtimer_dir[0] != '\0')
        (void)rmdir(b->hrtimer_dir);
    b->hrtimer_dir[0] = '\0';
    if (b->clock_fd >= 0) {
        char text[IIO_CLOCK_MAX + 2];

        snprintf(text, sizeof text, "%s\n", b->old_clock);
        (void)put_text(b->clock_fd, text);
    }
    close_fd(&b->clock_fd);
    /* The kernel keeps watermark <= length at every step: whichever order
     * fails first succeeds second. */
    if (b->watermark_fd >= 0 && put_uint(b->watermark_fd, b->old_watermark) < 0 &&
        b->length_fd >= 0) {
        (void)put_uint(b->length_fd, b->old_length);
        (void)put_uint(b->watermark_fd, b->old_watermark);
    }
    if (b->length_fd >= 0)
        (void)put_uint(b->length_fd, b->old_length);
    close_fd(&b->watermark_fd);
    close_fd(&b->length_fd);
    for (i = 0; i < b->en_count; i++) {
        char text[3] = {b->en_old[i], '\n', '\0'};

        (void)put_text(b->en_fd[i], text);
        close_fd(&b->en_fd[i]);
    }
    b->en_count = 0;
}

/* Set scan_elements/<name> (an enable file) to want; remember the old value
 * when it differs. */
static int set_enable(shmseq_sensor *s, iio_buffered *b, const char *scandir,
                      const char *name, char want)
{
    char cur[8];
    char text[3] = {want, '\n', '\0'};
    int fd, rc;

    rc = open_attr(s, scandir, name, &fd);
    if (rc < 0)
        return rc;
    rc = get_text(fd, cur, sizeof cur);
    if (rc == 0 && cur[0] == want && cur[1] == '\0') {
        (void)close(fd);
        return 0;
    }
    if (rc < 0 || (cur[0] != '0' && cur[0] != '1') ||
        b->en_count == IIO_RESTORE_MAX) {
        (void)close(fd);
        shmseq__why(s, "iio: %s/%s: %s", scandir, name,
                    rc < 0 ? "unreadable" : "too many to change");
        return rc < 0 ? rc : -E2BIG;
    }
    rc = put_text(fd, text);
    if (rc < 0) {
        (void)close(fd);
        shmseq__why(s, "iio: cannot write %s/%s: %s", scandir, name,
                    strerror(-rc));
        return rc;
    }
    b->en_fd[b->en_count] = fd;
    b->en_old[b->en_count++] = cur[0];
    return 0;
}

/* Is scan_elements entry NAME (ending in _en) one of ours? */
static int wanted_en(const char *name, const char names[][IIO_NAME_MAX],
                     uint32_t n, int timestamp)
{
    size_t len = strlen(name);
    uint32_t i;

    if (len < 4)
        return 0;
    len -= 3;
    if (timestamp && len == 12 && strncmp(name, "in_timestamp", 12) == 0)
        return 1;
    for (i = 0; i < n; i++)
        if (strlen(names[i]) == len && strncmp(name, names[i], len) == 0)
            return 1;
    return 0;
}

/* Exactly the wanted channels enabled: others switched off (and noted). */
static int set_scan_elements(shmseq_sensor *s, iio_buffered *b,
                             const char *scandir,
                             const char names[][IIO_NAME_MAX], uint32_t n,
                             int timestamp)
{
    DIR *d = opendir(scandir);
    struct dirent *e;
    int rc = 0;

    if (d == NULL) {
        rc = -errno;
        shmseq__why(s, "iio: no %s: the device has no buffer", scandir);
        return rc;
    }
    /* Off first: a device may limit how many are on at once. */
    while (rc == 0 && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);

        if (len > 3 && strcmp(e->d_name + len - 3, "_en") == 0 &&
            !wanted_en(e->d_name, names, n, timestamp))
            rc = set_enable(s, b, scandir, e->d_name, '0');
    }
    (void)closedir(d);
    return rc;
}

/* Parse scan_elements/<chan>_type and _index into e. */
static int read_element(shmseq_sensor *s, const char *scandir,
                        const char *chan, shmseq__iio_elem *e)
{
    char path[SHMSEQ__PATH_MAX], file[IIO_NAME_MAX + 8], text[48];
    uint32_t index;

    snprintf(file, sizeof file, "%.63s_type", chan);
    if (shmseq__path(path, sizeof path, scandir, file, NULL) < 0)
        return -ENAMETOOLONG;
    if (shmseq__read_text(path, text, sizeof text) < 0) {
        shmseq__why(s, "iio: no scan element %s", path);
        return -ENOENT;
    }
    if (shmseq__iio_parse_type(text, e) < 0) {
        shmseq__why(s, "iio: %s: cannot parse '%.24s'", path, text);
        return -EINVAL;
    }
    snprintf(file, sizeof file, "%.63s_index", chan);
    if (shmseq__path(path, sizeof path, scandir, file, NULL) < 0)
        return -ENAMETOOLONG;
    if (shmseq__read_text(path, text, sizeof text) < 0 ||
        parse_uint(text, UINT32_MAX, &index) < 0) {
        shmseq__why(s, "iio: unreadable or bad %s", path);
        return -EINVAL;
    }
    e->index = index;
    return 0;
}

/* buffer/length or buffer/watermark := want, the old value kept. Absent
 * watermark (kernels before 4.2): left alone. */
static int set_buffer_attr(shmseq_sensor *s, const char *dir, const char *rel,
                           uint32_t want, int *fd, uint32_t *old, int optional)
{
    int rc = open_attr(s, dir, rel, fd);

    if (rc == -ENOENT && optional) {
        s->why[0] = '\0';
        return 0;
    }
    if (rc < 0)
        return rc;
    rc = get_uint(*fd, old);
    if (rc == 0 && *old == want) {
        close_fd(fd);
        return 0;
    }
    if (rc == 0)
        rc = put_uint(*fd, want);
    if (rc < 0) {
        close_fd(fd);
        shmseq__why(s, "iio: cannot set %s/%s to %u: %s", dir, rel,
                    (unsigned)want, strerror(-rc));
    }
    return rc;
}

/* The clock of the IIO timestamps: the samples' clock (CLOCK_MONOTONIC).
 * Absent (kernels before 4.10): the kernel's default, realtime; the
 * timestamps then do not compare with the task's clock. */
static int set_clock(shmseq_sensor *s, iio_buffered *b, const char *dir)
{
    int rc = open_attr(s, dir, "current_timestamp_clock", &b->clock_fd);

    if (rc == -ENOENT) {
        s->why[0] = '\0';
        return 0;
    }
    if (rc == 0)
        rc = get_text(b->clock_fd, b->old_clock, sizeof b->old_clock);
    if (rc == 0 && strcmp(b->old_clock, "monotonic") == 0) {
        close_fd(&b->clock_fd);
        return 0;
    }
    if (rc == 0)
        rc = put_text(b->clock_fd, "monotonic\n");
    if (rc < 0) {
        close_fd(&b->clock_fd);
        shmseq__why(s, "iio: cannot set %s/current_timestamp_clock: %s", dir,
                    strerror(-rc));
    }
    return rc;
}

/* A software hrtimer trigger NAME made through configfs (the kernel's
 * iio-trig-hrtimer), running at rate_hz; its directory is kept so that
 * close() removes it. */
static int make_hrtimer(shmseq_sensor *s, iio_buffered *b,
                        const iio_params *p)
{
    char dir[SHMSEQ__PATH_MAX], devices[SHMSEQ__PATH_MAX];
    char entry[IIO_NAME_MAX + 16], path[SHMSEQ__PATH_MAX];
    int fd, rc;

    if (shmseq__path(dir, sizeof dir, p->root,
                     "kernel/config/iio/triggers/hrtimer", p->hrtimer) < 0 ||
        shmseq__copy(b->hrtimer_dir, sizeof b->hrtimer_dir, dir) < 0) {
        shmseq__why(s, "iio: hrtimer path too long");
        return -ENAMETOOLONG;
    }
    if (mkdir(dir, 0755) < 0) {
        rc = -errno;
        b->hrtimer_dir[0] = '\0';
        shmseq__why(s, "iio: hrtimer trigger: %s (iio-trig-hrtimer loaded, "
                    "configfs mounted?): mkdir %s", strerror(-rc), dir);
        return rc;
    }
    if (s->rate_hz == 0)
        return 0;
    if (shmseq__path(devices, sizeof devices, p->root, "bus/iio/devices",
                     NULL) < 0 ||
        shmseq__dir_find(devices, "trigger", "name", p->hrtimer, entry,
                         sizeof entry) < 0 ||
        shmseq__path(path, sizeof path, devices, entry, NULL) < 0) {
        shmseq__why(s, "iio: hrtimer trigger '%s' made but not found in %s",
                    p->hrtimer, devices);
        return -ENOENT;
    }
    rc = open_attr(s, path, "sampling_frequency", &fd);
    if (rc < 0)
        return rc;
    rc = put_uint(fd, s->rate_hz);
    (void)close(fd);
    if (rc < 0)
        shmseq__why(s, "iio: cannot set %s/sampling_frequency: %s", path,
                    strerror(-rc));
    return rc;
}

static int set_trigger(shmseq_sensor *s, iio_buffered *b, const char *dir,
                       const char *name)
{
    char text[IIO_NAME_MAX + 2];
    int rc = open_attr(s, dir, "trigger/current_trigger", &b->trigger_fd);

    if (rc == 0)
        rc = get_text(b->trigger_fd, b->old_trigger, sizeof b->old_trigger);
    if (rc == 0) {
        snprintf(text, sizeof text, "%s\n", name);
        rc = put_text(b->trigger_fd, text);
    }
    if (rc < 0) {
        close_fd(&b->trigger_fd);
        shmseq__why(s, "iio: cannot select trigger '%s' in "
                    "%s/trigger/current_trigger: %s", name, dir,
                    strerror(-rc));
    }
    return rc;
}

/* The scan rate, from the device's (or its trigger's) sampling_frequency,
 * to tell lost scans in the timestamps: 0 when unknown. */
static uint64_t scan_period(const char *dir)
{
    char path[SHMSEQ__PATH_MAX], text[48];
    double hz;

    if (shmseq__path(path, sizeof path, dir, "sampling_frequency", NULL) < 0 ||
        shmseq__read_text(path, text, sizeof text) < 0 ||
        shmseq__parse_number(text, &hz) < 0 || !(hz > 0.0))
        return 0;
    return (uint64_t)(1e9 / hz + 0.5);
}

static int iio_buffered_open(shmseq_sensor *s, const iio_params *p,
                             const char *dir,
                             const char names[][IIO_NAME_MAX], uint32_t n)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    iio_buffered *b = &st->u.b;
    shmseq__iio_elem tmp;
    uint8_t order[IIO_CHANNELS_MAX + 1];
    char scandir[SHMSEQ__PATH_MAX], node[SHMSEQ__PATH_MAX], text[8];
    const char *base;
    uint32_t c, i, j, values = 0;
    int rc;

    if (shmseq__path(scandir, sizeof scandir, dir, "scan_elements", NULL) < 0)
        return -ENAMETOOLONG;
    /* Each channel's format and place; the timestamp after them. */
    for (c = 0; c < n; c++) {
        if (values >= s->width || values >= IIO_VALUES_MAX) {
            values = IIO_VALUES_MAX + 1;
            break;
        }
        rc = read_element(s, scandir, names[c], &b->elem[c]);
        if (rc < 0)
            return rc;
        rc = iio_scale_offset(s, dir, names[c], values);
        if (rc < 0)
            return rc;
        for (j = 0; j < b->elem[c].repeat; j++) {
            if (values == IIO_VALUES_MAX || values >= s->width) {
                values = IIO_VALUES_MAX + 1;
                break;
            }
            st->scale[values] = st->scale[values - j];
            st->offset[values] = st->offset[values - j];
            b->value_elem[values] = (uint8_t)c;
            b->value_rep[values++] = (uint8_t)j;
        }
        if (values > IIO_VALUES_MAX)
            break;
    }
    if (values != s->width) {
        shmseq__why(s, "iio: the channels give %s%u value(s) (repeat counts "
                    "included) but the width is %u",
                    values > IIO_VALUES_MAX ? "more than " : "",
                    (unsigned)(values > IIO_VALUES_MAX ? s->width : values),
                    (unsigned)s->width);
        return -EINVAL;
    }
    b->ts_elem = -1;
    if (p->timestamp) {
        rc = read_element(s, scandir, "in_timestamp", &b->elem[n]);
        if (rc == 0)
            b->ts_elem = (int)n;
        else if (rc == -ENOENT)
            s->why[0] = '\0'; /* a device without timestamps */
        else
            return rc;
    }
    /* Scan order: by index (insertion sort), the timestamp last. */
    for (c = 0; c < n; c++)
        order[c] = (uint8_t)c;
    for (c = 1; c < n; c++)
        for (i = c; i > 0 && b->elem[order[i - 1]].index > b->elem[order[i]].index; i--) {
            uint8_t t = order[i];

            order[i] = order[i - 1];
            order[i - 1] = t;
        }
    for (c = 0; c + 1 < n; c++)
        if (b->elem[order[c]].index == b->elem[order[c + 1]].index) {
            shmseq__why(s, "iio: two channels share scan index %u (a channel "
                        "named twice?)", (unsigned)b->elem[order[c]].index);
            return -EINVAL;
        }
    {
        shmseq__iio_elem laid[IIO_CHANNELS_MAX + 1];
        uint32_t m = n + (b->ts_elem >= 0 ? 1u : 0u);

        for (c = 0; c < n; c++)
            laid[c] = b->elem[order[c]];
        if (b->ts_elem >= 0)
            laid[n] = b->elem[n];
        rc = shmseq__iio_layout(laid, m);
        if (rc <= 0 || (uint32_t)rc > IIO_BUF_SIZE) {
            shmseq__why(s, "iio: a scan of %d bytes does not fit the driver's "
                        "%u-byte buffer", rc, (unsigned)IIO_BUF_SIZE);
            return -E2BIG;
        }
        b->scan_size = (uint32_t)rc;
        for (c = 0; c < n; c++)
            b->elem[order[c]].offset = laid[c].offset;
        if (b->ts_elem >= 0) {
            tmp = laid[n];
            if (tmp.bytes != 8 || tmp.repeat != 1) {
                shmseq__why(s, "iio: the timestamp is not 64 bits");
                return -EINVAL;
            }
            b->elem[n].offset = tmp.offset;
        }
    }

    /* The device: its buffer must be free, its node present. */
    rc = open_attr(s, dir, "buffer/enable", &b->enable_fd);
    if (rc < 0)
        return rc;
    rc = get_text(b->enable_fd, text, sizeof text);
    if (rc < 0 || strcmp(text, "0") != 0) {
        close_fd(&b->enable_fd); /* not ours to switch off */
        shmseq__why(s, "iio: %s/buffer/enable is '%s': the buffer is in use",
                    dir, rc < 0 ? "unreadable" : text);
        return rc < 0 ? rc : -EBUSY;
    }
    base = strrchr(dir, '/');
    base = base != NULL ? base + 1 : dir;
    if (shmseq__path(node, sizeof node, p->devdir, base, NULL) < 0)
        return -ENAMETOOLONG;
    b->dev_fd = open(node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (b->dev_fd < 0) {
        rc = -errno;
        shmseq__why(s, "iio: cannot open %s: %s", node, strerror(-rc));
        return rc;
    }

    /* What the device is told; each change noted for close(). */
    rc = set_scan_elements(s, b, scandir, names, n, b->ts_elem >= 0);
    for (c = 0; rc == 0 && c <= n; c++) {
        char file[IIO_NAME_MAX + 8];

        if (c == n && b->ts_elem < 0)
            break;
        snprintf(file, sizeof file, "%.63s_en",
                 c < n ? names[c] : "in_timestamp");
        rc = set_enable(s, b, scandir, file, '1');
    }
    /* Length before watermark: the kernel wants watermark <= length. */
    if (rc == 0)
        rc = set_buffer_attr(s, dir, "buffer/length", p->length, &b->length_fd,
                             &b->old_length, 0);
    if (rc == 0)
        rc = set_buffer_attr(s, dir, "buffer/watermark", p->watermark,
                             &b->watermark_fd, &b->old_watermark, 1);
    if (rc == 0 && b->ts_elem >= 0)
        rc = set_clock(s, b, dir);
    if (rc == 0 && p->hrtimer[0] != '\0')
        rc = make_hrtimer(s, b, p);
    if (rc == 0 && (p->hrtimer[0] != '\0' || p->trigger[0] != '\0'))
        rc = set_trigger(s, b, dir,
                         p->hrtimer[0] != '\0' ? p->hrtimer : p->trigger);
    if (rc < 0)
        return rc;
    b->period_ns = scan_period(dir);
    if (b->period_ns == 0 && p->hrtimer[0] != '\0' && s->rate_hz > 0)
        b->period_ns = 1000000000u / s->rate_hz;
    b->timeout_ms = (int)p->timeout_ms;
    rc = put_text(b->enable_fd, "1\n");
    if (rc < 0) {
        shmseq__why(s, "iio: cannot enable %s/buffer: %s (a trigger "
                    "needed? trigger=NAME or hrtimer=NAME)", dir,
                    strerror(-rc));
        return rc;
    }
    s->paced = 1;
    return 0;
}

/* At least one whole scan in b->buf[pos, len): read() what is there, and
 * poll() when nothing is. A scan split across reads is joined here. */
static int iio_fill(iio_buffered *b)
{
    if (b->len - b->pos >= b->scan_size)
        return 0;
    if (b->pos > 0) {
        memmove(b->buf, b->buf + b->pos, b->len - b->pos);
        b->len -= b->pos;
        b->pos = 0;
    }
    while (b->len < b->scan_size) {
        struct pollfd pfd = {.fd = b->dev_fd, .events = POLLIN};
        ssize_t got = read(b->dev_fd, b->buf + b->len, IIO_BUF_SIZE - b->len);
        int rc;

        if (got > 0) {
            b->len += (uint32_t)got;
            continue;
        }
        if (got == 0)
            return -ENODATA;
        if (errno != EAGAIN)
            return errno == EINTR ? -EINTR : -errno;
        rc = poll(&pfd, 1, b->timeout_ms);
        if (rc == 0)
            return -EAGAIN;
        if (rc < 0)
            return -errno;
        if ((pfd.revents & POLLIN) == 0)
            return (pfd.revents & POLLHUP) != 0 ? -ENODATA : -EIO;
    }
    return 0;
}

static int iio_buffered_read(shmseq_sensor *s, iio_state *st, double *values,
                             uint32_t width)
{
    iio_buffered *b = &st->u.b;
    const unsigned char *scan;
    uint32_t v;
    int rc = iio_fill(b);

    if (rc < 0)
        return rc;
    scan = b->buf + b->pos;
    for (v = 0; v < width; v++) {
        double raw = shmseq__iio_decode(scan, &b->elem[b->value_elem[v]],
                                        b->value_rep[v]);

        values[v] = (raw + st->offset[v]) * st->scale[v];
    }
    if (b->ts_elem >= 0) {
        int64_t ts = (int64_t)shmseq__iio_bits(scan, &b->elem[b->ts_elem], 0);

        /* A gap of k periods between timestamps: k - 1 scans lost (the
         * kernel's kfifo drops a scan it has no room for, silently). */
        if (b->have_prev && b->period_ns > 0 && ts > b->prev_ts) {
            uint64_t gap = (uint64_t)(ts - b->prev_ts);
            uint64_t k = (gap + b->period_ns / 2) / b->period_ns;

            if (k > 1)
                s->overruns += k - 1;
        }
        b->prev_ts = ts;
        b->have_prev = 1;
        s->sample_ns = ts > 0 ? (uint64_t)ts : 0;
    }
    b->pos += b->scan_size;
    return 0;
}

/* ---- the ops -------------------------------------------------------------- */

static void iio_close(shmseq_sensor *s)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);

    if (st->buffered)
        iio_buffered_close(&st->u.b);
    else
        iio_sysfs_close(st);
}

static int iio_open(shmseq_sensor *s, const char *params)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);
    iio_params p;
    char dir[SHMSEQ__PATH_MAX];
    char names[IIO_CHANNELS_MAX][IIO_NAME_MAX];
    const char *cur;
    uint32_t n = 0, c;
    int rc;

    memset(st, 0, sizeof *st);
    for (c = 0; c < IIO_CHANNELS_MAX; c++)
        st->u.fd[c] = -1;
    rc = iio_parse(s, params, &p);
    if (rc < 0)
        return rc;
    cur = p.channels;
    while (n < IIO_CHANNELS_MAX &&
           (rc = shmseq__list_next(&cur, names[n], sizeof names[n])) > 0) {
        /* Accept "in_voltage0_raw" for "in_voltage0". */
        size_t len = strlen(names[n]);

        if (len > 4 && strcmp(names[n] + len - 4, "_raw") == 0)
            names[n][len - 4] = '\0';
        n++;
    }
    if (rc < 0 || n == 0 || *cur != '\0') {
        shmseq__why(s, "iio: channels: want 1..%u names separated by ':'",
                 (unsigned)IIO_CHANNELS_MAX);
        return -EINVAL;
    }
    /* A width mismatch is reported before any I/O (buffered mode counts
     * repeat values, known only from the device). */
    if (!p.buffered && n != s->width) {
        shmseq__why(s, "iio: %u channel(s) given but the width is %u",
                 (unsigned)n, (unsigned)s->width);
        return -EINVAL;
    }
    rc = iio_find_device(s, &p, dir, sizeof dir);
    if (rc < 0)
        return rc;
    if (p.buffered) {
        iio_buffered *b = &st->u.b;

        st->buffered = 1;
        b->dev_fd = b->enable_fd = b->length_fd = b->watermark_fd = -1;
        b->clock_fd = b->trigger_fd = -1;
        rc = iio_buffered_open(s, &p, dir, (const char(*)[IIO_NAME_MAX])names,
                               n);
        if (rc < 0)
            iio_buffered_close(b);
        return rc;
    }
    for (c = 0; c < n; c++) {
        rc = iio_open_channel(s, dir, names[c], c);
        if (rc < 0) {
            iio_sysfs_close(st);
            return rc;
        }
    }
    return 0;
}

static int iio_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                    double *values, uint32_t width)
{
    iio_state *st = (iio_state *)shmseq_sensor_state(s);

    (void)index;
    (void)now_ns;
    if (st->buffered)
        return iio_buffered_read(s, st, values, width);
    return iio_sysfs_read(st, values, width);
}

const shmseq_sensor_ops shmseq__sensor_iio = {
    .name = "iio",
    .summary = "Linux IIO, (raw+offset)*scale; mode=sysfs (1..8 channels "
               "read per sample) or mode=buffered (scans from /dev/iio:deviceN, "
               "the device paces); params root,device=NAME|N,"
               "channels=in_voltage0:in_temp:...",
    .open = iio_open,
    .read = iio_read,
    .close = iio_close,
};
