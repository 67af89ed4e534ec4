/* SPDX-License-Identifier: MIT */
/*
 * The sink wrapper (shmseq/sink.h): finds a sink by name, calls its ops,
 * keeps the sticky first error and the accounting that is the same for
 * every sink (records given after a failure, and records still pending
 * when an op fails, are lost to I/O), and runs
 * the durability policy (every N records, every T nanoseconds), so no sink
 * implements it twice.
 */
#define _POSIX_C_SOURCE 200809L

#include "sink_internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const shmseq_sink_ops *const sinks[] = {
    &shmseq__sink_csv,
    &shmseq__sink_bin,
#ifdef SHMSEQ_SINK_SQLITE
    &shmseq__sink_sqlite,
#endif
};

const shmseq_sink_ops *shmseq_sink_at(size_t i)
{
    return i < sizeof sinks / sizeof sinks[0] ? sinks[i] : NULL;
}

const shmseq_sink_ops *shmseq_sink_find(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof sinks / sizeof sinks[0]; i++)
        if (strcmp(sinks[i]->name, name) == 0)
            return sinks[i];
    return NULL;
}

int shmseq_sink_fail(shmseq_sink *k, int err, const char *fmt, ...)
{
    va_list ap;

    assert(err < 0);
    if (k->error != 0)
        return err;
    k->error = err;
    va_start(ap, fmt);
    (void)vsnprintf(k->why, sizeof k->why, fmt, ap);
    va_end(ap);
    return err;
}

uint64_t shmseq_sink_pending(const shmseq_sink *k)
{
    return k->given - k->written - k->lost_io;
}

/* After a failed op, what it still held pending is lost to I/O. */
static int after_op(shmseq_sink *k, int rc)
{
    if (rc < 0) {
        if (k->error == 0)
            shmseq_sink_fail(k, rc, "%.400s: %s", k->where, strerror(-rc));
        k->lost_io += shmseq_sink_pending(k);
        return k->error;
    }
    return 0;
}

int shmseq_sink_open(shmseq_sink *k, const char *name,
                     const shmseq_sink_config *cfg)
{
    const shmseq_sink_ops *ops;
    int rc;

    assert(k != NULL && name != NULL && cfg != NULL);
    memset(k, 0, sizeof *k);
    ops = shmseq_sink_find(name);
    if (ops == NULL) {
        snprintf(k->why, sizeof k->why, "no sink named '%.100s'", name);
        return -ENOENT;
    }
    if (ops->open == NULL || ops->begin == NULL || ops->write == NULL ||
        ops->flush == NULL || ops->sync == NULL || ops->close == NULL) {
        snprintf(k->why, sizeof k->why, "sink '%.100s' lacks a required op",
                 name);
        return -ENOSYS;
    }
    k->cfg = *cfg;
    k->ops = ops;
    rc = ops->open(k);
    if (rc < 0) {
        if (k->why[0] == '\0')
            snprintf(k->why, sizeof k->why, "%.400s: %s", k->where,
                     strerror(-rc));
        k->ops = NULL;
        return rc;
    }
    return 0;
}

int shmseq_sink_begin(shmseq_sink *k, const shmseq_log_header *h,
                      uint64_t now_ns)
{
    assert(k->ops != NULL && !k->begun && h != NULL);
    assert(h->width >= 1 && h->width <= SHMSEQ_LOG_WIDTH_MAX);
    k->header = *h;
    k->begun = 1;
    k->last_sync_ns = now_ns;
    if (k->error != 0)
        return k->error;
    return after_op(k, k->ops->begin(k, h));
}

int shmseq_sink_sync(shmseq_sink *k, uint64_t now_ns)
{
    int rc;

    assert(k->ops != NULL);
    k->last_sync_ns = now_ns;
    if (k->error != 0)
        return k->error;
    rc = k->ops->sync(k);
    if (rc < 0)
        return after_op(k, rc);
    k->unsynced = 0;
    return 0;
}

int shmseq_sink_write(shmseq_sink *k, const shmseq_log_record *r, size_t n,
                      uint64_t now_ns)
{
    int rc;

    assert(k->ops != NULL && k->begun && (r != NULL || n == 0));
    if (n == 0)
        return k->error;
    k->given += n;
    if (k->error != 0) {
        k->lost_io += n;
        return k->error;
    }
    rc = after_op(k, k->ops->write(k, r, n));
    if (rc < 0)
        return rc;
    if (k->cfg.sync_records != 0 &&
        k->unsynced + shmseq_sink_pending(k) >= k->cfg.sync_records)
        return shmseq_sink_sync(k, now_ns);
    return 0;
}

int shmseq_sink_resume(shmseq_sink *k, const shmseq_log_header *h,
                       uint64_t *next_seq)
{
    int rc;

    assert(k->ops != NULL && !k->begun && h != NULL && next_seq != NULL);
    if (k->error != 0)
        return k->error;
    if (k->ops->resume == NULL)
        return 0;
    rc = k->ops->resume(k, h, next_seq);
    return rc < 0 ? after_op(k, rc) : rc;
}

int shmseq_sink_gap(shmseq_sink *k, uint64_t first, uint64_t last,
                    const char *reason)
{
    assert(k->ops != NULL && k->begun && reason != NULL && first <= last);
    if (k->error != 0)
        return k->error;
    if (k->ops->gap == NULL)
        return 0;
    return after_op(k, k->ops->gap(k, first, last, reason));
}

const char *shmseq_sink_status(shmseq_sink *k, char *buf, size_t cap)
{
    assert(buf != NULL && cap > 0);
    buf[0] = '\0';
    if (k->ops != NULL && k->ops->status != NULL)
        k->ops->status(k, buf, cap);
    return buf;
}

int shmseq_sink_tick(shmseq_sink *k, uint64_t now_ns)
{
    assert(k->ops != NULL);
    if (k->error == 0 && k->begun && k->ops->tick != NULL) {
        int rc = after_op(k, k->ops->tick(k, now_ns));

        if (rc < 0)
            return rc;
    }
    if (k->error == 0 && k->begun && k->cfg.sync_ns != 0 &&
        now_ns - k->last_sync_ns >= k->cfg.sync_ns)
        return shmseq_sink_sync(k, now_ns);
    return k->error;
}

int shmseq_sink_flush(shmseq_sink *k)
{
    assert(k->ops != NULL);
    if (k->error != 0)
        return k->error;
    return after_op(k, k->ops->flush(k));
}

int shmseq_sink_close(shmseq_sink *k)
{
    int rc;

    if (k->ops == NULL)
        return k->error;
    if (k->begun)
        (void)shmseq_sink_sync(k, k->last_sync_ns);
    rc = k->ops->close(k);
    if (rc < 0)
        (void)after_op(k, rc);
    k->lost_io += shmseq_sink_pending(k);
    k->ops = NULL;
    return k->error;
}
