/* SPDX-License-Identifier: MIT */
/*
 * A region sample as a log record: the one place where the region API
 * (shmseq_sample) meets the log format (shmseq_log_record), for the
 * programs that read a region and write its samples (the logger, shmseq
 * dump). Header-only, so the log format library itself stays free of the
 * region API.
 */
#ifndef SHMSEQ_LOG_SAMPLE_H
#define SHMSEQ_LOG_SAMPLE_H

#include <string.h>

#include <shmseq/logfmt.h>
#include <shmseq/shmseq.h>

_Static_assert(SHMSEQ_LOG_WIDTH_MAX == SHMSEQ_WIDTH_MAX, "log width");
_Static_assert(SHMSEQ_LOG_NAME_MAX == SHMSEQ_NAME_MAX, "log name");

/** @brief Fill @p r from sample @p m and its @p m->width values @p v
 *         (lost_before: the samples lost just before it). */
static inline void shmseq_log_record_from_sample(shmseq_log_record *r,
                                                 const shmseq_sample *m,
                                                 const double *v)
{
    r->seq = m->seq;
    r->timestamp_ns = m->timestamp_ns;
    r->lost_before = m->lost;
    r->epoch = m->epoch;
    r->width = m->width;
    memcpy(r->values, v, m->width * sizeof v[0]);
}

#endif /* SHMSEQ_LOG_SAMPLE_H */
