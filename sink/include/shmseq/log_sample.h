/* SPDX-License-Identifier: MIT */
/*
 * A region sample as a log record, and a region as a log header: the one
 * place where the region API (shmseq_sample, shmseq_reader) meets the log
 * format (shmseq_log_record, shmseq_log_header), for the programs that
 * read a region and write its samples (the logger, reader_saver, shmseq
 * dump). Header-only, so the log format library itself stays free of the
 * region API.
 */
#ifndef SHMSEQ_LOG_SAMPLE_H
#define SHMSEQ_LOG_SAMPLE_H

#include <stdio.h>
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

/**
 * @brief Fill @p h with the identity of region @p name, to which reader
 *        @p r is attached: width, capacity, epoch, writer, creation
 *        stamps, and as head the first sample number @p r can read.
 *        A region gone meanwhile leaves the identity fields 0.
 */
static inline void shmseq_log_header_from_reader(shmseq_log_header *h,
                                                 shmseq_reader *r,
                                                 const char *name)
{
    shmseq_region_info info;
    shmseq_reader_stats st;

    if (shmseq_info(name, &info) != 0)
        memset(&info, 0, sizeof info);
    shmseq_reader_get_stats(r, &st);
    memset(h, 0, sizeof *h);
    h->width = shmseq_reader_width(r);
    h->capacity = info.capacity;
    h->epoch = info.epoch;
    h->writer_pid = info.writer_pid;
    h->created_realtime_ns = info.created_realtime_ns;
    h->created_monotonic_ns = info.created_monotonic_ns;
    h->head = st.next;
    snprintf(h->name, sizeof h->name, "%s", name);
}

#endif /* SHMSEQ_LOG_SAMPLE_H */
