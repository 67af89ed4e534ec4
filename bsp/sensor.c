/* SPDX-License-Identifier: MIT */
/*
 * The sensor driver table and the wrappers every caller goes through: they
 * find the driver by name, check its ops, and count read errors, so that a
 * driver only has to implement its three ops.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bsp_internal.h"

static const shmseq_sensor_ops *const drivers[] = {
    &shmseq__sensor_sim,
    &shmseq__sensor_iio,
    &shmseq__sensor_thermal,
    &shmseq__sensor_replay,
};

const shmseq_sensor_ops *shmseq_sensor_driver_at(size_t i)
{
    return i < sizeof drivers / sizeof drivers[0] ? drivers[i] : NULL;
}

const shmseq_sensor_ops *shmseq_sensor_driver_find(const char *name)
{
    const shmseq_sensor_ops *ops;
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; (ops = shmseq_sensor_driver_at(i)) != NULL; i++)
        if (strcmp(ops->name, name) == 0)
            return ops;
    return NULL;
}

int shmseq_sensor_open(shmseq_sensor *s, const char *driver,
                       const char *params, uint32_t width, uint32_t rate_hz)
{
    const shmseq_sensor_ops *ops;
    int rc;

    assert(s != NULL);
    memset(s, 0, sizeof *s);
    ops = shmseq_sensor_driver_find(driver);
    if (ops == NULL) {
        snprintf(s->why, sizeof s->why, "no sensor driver named '%s'",
                 driver != NULL ? driver : "(null)");
        return -ENOENT;
    }
    if (ops->open == NULL || ops->read == NULL) {
        snprintf(s->why, sizeof s->why,
                 "driver '%s' does not implement %s", ops->name,
                 ops->open == NULL ? "open" : "read");
        return -ENOSYS;
    }
    s->width = width;
    s->rate_hz = rate_hz;
    rc = ops->open(s, params != NULL ? params : "");
    if (rc < 0) {
        if (s->why[0] == '\0')
            snprintf(s->why, sizeof s->why, "driver '%s' failed to open",
                     ops->name);
        return rc;
    }
    s->ops = ops;
    return 0;
}

int shmseq_sensor_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                       double *values, uint32_t max_values)
{
    int rc;

    assert(s != NULL && s->ops != NULL && values != NULL);
    if (max_values < s->width)
        return -EMSGSIZE;
    rc = s->ops->read(s, index, now_ns, values, s->width);
    if (rc == -ENODATA || rc == -EAGAIN || rc == -EINTR)
        return rc; /* the end of a recording, a paced device's timeout or a
                      signal: no sample, and no failure */
    if (rc < 0) {
        s->errors++;
        s->last_error = rc;
        return rc;
    }
    s->reads++;
    return 0;
}

void shmseq_sensor_close(shmseq_sensor *s)
{
    assert(s != NULL);
    if (s->ops == NULL)
        return;
    if (s->ops->close != NULL)
        s->ops->close(s);
    s->ops = NULL;
}
