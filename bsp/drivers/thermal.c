/* SPDX-License-Identifier: MIT */
/*
 * The thermal sensor driver: temperatures from Linux thermal zones
 * (<root>/class/thermal/thermal_zoneN/temp) and hwmon sensors
 * (<root>/class/hwmon/hwmonN/tempM_input), both in millidegrees Celsius,
 * reported in degrees Celsius. Like iio, every file is opened once at
 * open() and re-read with pread() each sample; an unreadable or garbled
 * value yields NaN for that channel and sample only. Parameters:
 * docs/sensors.md.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../bsp_internal.h"

/** Temperatures one thermal sensor reads (bounded by the state area). */
#define THERMAL_CHANNELS_MAX 16u
#define THERMAL_NAME_MAX 64u

typedef struct thermal_state {
    int fd[THERMAL_CHANNELS_MAX];
} thermal_state;

_Static_assert(sizeof(thermal_state) <= SHMSEQ_SENSOR_STATE_SIZE,
               "thermal state must fit the sensor's state area");

static void thermal_close(shmseq_sensor *s)
{
    thermal_state *st = (thermal_state *)shmseq_sensor_state(s);
    uint32_t c;

    for (c = 0; c < THERMAL_CHANNELS_MAX; c++)
        if (st->fd[c] >= 0) {
            (void)close(st->fd[c]);
            st->fd[c] = -1;
        }
}

/* thermal_zoneN by number, anything else by the zone's "type" file. */
static int zone_path(shmseq_sensor *s, const char *root, const char *zone,
                     char *path, size_t size)
{
    char dir[SHMSEQ__PATH_MAX], entry[THERMAL_NAME_MAX];

    if (shmseq__path(dir, sizeof dir, root, "class/thermal", NULL) < 0)
        return -ENAMETOOLONG;
    if (strncmp(zone, "thermal_zone", 12) == 0) {
        if (shmseq__copy(entry, sizeof entry, zone) < 0)
            return -ENAMETOOLONG;
    } else if (shmseq__dir_find(dir, "thermal_zone", "type", zone, entry,
                              sizeof entry) < 0) {
        shmseq__why(s, "thermal: no zone of type '%s' in %s", zone, dir);
        return -ENOENT;
    }
    return shmseq__path(path, size, dir, entry, "temp");
}

/* hwmonN/tempM_input by number, NAME/tempM_input by the "name" file. */
static int hwmon_path(shmseq_sensor *s, const char *root, const char *item,
                      char *path, size_t size)
{
    char dir[SHMSEQ__PATH_MAX], dev[THERMAL_NAME_MAX], entry[THERMAL_NAME_MAX];
    const char *slash = strchr(item, '/');
    size_t n;

    if (slash == NULL || slash[1] == '\0' ||
        (n = (size_t)(slash - item)) == 0 || n >= sizeof dev) {
        shmseq__why(s, "thermal: hwmon item '%s' is not DEVICE/FILE", item);
        return -EINVAL;
    }
    memcpy(dev, item, n);
    dev[n] = '\0';
    if (shmseq__path(dir, sizeof dir, root, "class/hwmon", NULL) < 0)
        return -ENAMETOOLONG;
    if (strncmp(dev, "hwmon", 5) == 0 && dev[5] >= '0' && dev[5] <= '9')
        (void)shmseq__copy(entry, sizeof entry, dev); /* same size */
    else if (shmseq__dir_find(dir, "hwmon", "name", dev, entry,
                              sizeof entry) < 0) {
        shmseq__why(s, "thermal: no hwmon device named '%s' in %s", dev, dir);
        return -ENOENT;
    }
    return shmseq__path(path, size, dir, entry, slash + 1);
}

static int thermal_open(shmseq_sensor *s, const char *params)
{
    thermal_state *st = (thermal_state *)shmseq_sensor_state(s);
    char root[SHMSEQ__PATH_MAX / 2] = "/sys";
    char zones[SHMSEQ__PATH_MAX / 2] = "", hwmon[SHMSEQ__PATH_MAX / 2] = "";
    char key[16], val[SHMSEQ__PATH_MAX / 2], item[THERMAL_NAME_MAX * 2];
    const char *cur;
    uint32_t n = 0, c = 0, pass;
    int rc;

    for (c = 0; c < THERMAL_CHANNELS_MAX; c++)
        st->fd[c] = -1;
    while ((rc = shmseq__param_next(&params, "thermal", key, sizeof key, val,
                                    sizeof val, s->why, sizeof s->why)) > 0) {
        if (strcmp(key, "root") == 0 && val[0] != '\0' &&
            shmseq__copy(root, sizeof root, val) == 0)
            ; /* NOLINT(bugprone-branch-clone): one empty branch per accepted key */
        else if (strcmp(key, "zones") == 0 && val[0] != '\0' &&
                 shmseq__copy(zones, sizeof zones, val) == 0)
            ;
        else if (strcmp(key, "hwmon") == 0 && val[0] != '\0' &&
                 shmseq__copy(hwmon, sizeof hwmon, val) == 0)
            ;
        else {
            shmseq__why(s, "thermal: bad parameter '%s' (keys: root zones hwmon)",
                     key);
            return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (zones[0] == '\0' && hwmon[0] == '\0')
        (void)shmseq__copy(zones, sizeof zones, "thermal_zone0");
    for (pass = 0; pass < 2; pass++) {
        cur = pass == 0 ? zones : hwmon;
        while ((rc = shmseq__list_next(&cur, item, sizeof item)) > 0)
            n++;
        if (rc < 0) {
            shmseq__why(s, "thermal: %s: empty or overlong item in the ':' list",
                     pass == 0 ? "zones" : "hwmon");
            return -EINVAL;
        }
    }
    if (n > THERMAL_CHANNELS_MAX) {
        shmseq__why(s, "thermal: %u channels, at most %u",
                 (unsigned)n, (unsigned)THERMAL_CHANNELS_MAX);
        return -EINVAL;
    }
    if (n != s->width) {
        shmseq__why(s, "thermal: %u channel(s) given but the width is %u",
                 (unsigned)n, (unsigned)s->width);
        return -EINVAL;
    }
    c = 0;
    for (pass = 0; pass < 2; pass++) {
        cur = pass == 0 ? zones : hwmon;
        while (shmseq__list_next(&cur, item, sizeof item) > 0) {
            char path[SHMSEQ__PATH_MAX];

            rc = pass == 0 ? zone_path(s, root, item, path, sizeof path)
                           : hwmon_path(s, root, item, path, sizeof path);
            if (rc == 0) {
                rc = shmseq__sysfs_open(path, &st->fd[c]);
                if (rc < 0)
                    shmseq__why(s, "thermal: %s %s",
                             rc == -ENOENT ? "no" : "cannot open", path);
            }
            if (rc < 0) {
                if (s->why[0] == '\0')
                    shmseq__why(s,         "thermal: root path too long");
                thermal_close(s);
                return rc;
            }
            c++;
        }
    }
    return 0;
}

static int thermal_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                        double *values, uint32_t width)
{
    const thermal_state *st = (const thermal_state *)shmseq_sensor_state(s);
    uint32_t c;

    (void)index;
    (void)now_ns;
    for (c = 0; c < width; c++) {
        double milli;

        values[c] = shmseq__sysfs_read(st->fd[c], &milli) < 0 ? NAN
                                                              : milli / 1000.0;
    }
    return 0;
}

const shmseq_sensor_ops shmseq__sensor_thermal = {
    .name = "thermal",
    .summary = "thermal zones and hwmon temp*_input in degrees C, 1..16 "
               "channels; params root,zones=a:b,hwmon=hwmon0/temp1_input:...",
    .open = thermal_open,
    .read = thermal_read,
    .close = thermal_close,
};
