/* SPDX-License-Identifier: MIT */
/*
 * The OS-free half of the periodic task (include/shmseq/task.h): deadline
 * arithmetic and wake-up statistics on a shmseq_task, nothing else.
 *
 * src/task.c drives these around the port's sleep; they read no clock and
 * make no system call, so they are tested on a plain struct
 * (tests/unit/test_task_stats.c) and serve any port unchanged.
 */
#ifndef SHMSEQ_CORE_TASK_STATS_H
#define SHMSEQ_CORE_TASK_STATS_H

#include <stdint.h>

#include <shmseq/task.h>

/** Histogram resolution: one bucket per microsecond. */
#define SHMSEQ_TASK_NS_PER_BUCKET 1000u

/**
 * Reset @p t's deadline state and statistics for a task of @p period_ns
 * (> 0) whose first deadline is @p first_deadline_ns. Leaves qos_handle
 * alone: it belongs to the port's latency request.
 */
void shmseq__task_reset(shmseq_task *t, uint64_t period_ns,
                        uint64_t first_deadline_ns);

/**
 * The task overran: when the deadline is more than a period behind @p now,
 * skip to the first deadline still in the future and count the skipped
 * ones in t->missed, rather than waking back-to-back to catch up (a burst
 * of stale samples helps nobody and starves the rest of the system). A
 * deadline passed by at most one period is still served, late.
 */
void shmseq__task_skip_missed(shmseq_task *t, uint64_t now);

/**
 * The task woke at @p woke_ns for the deadline t->next_ns: record the
 * latency (0 if it woke early) in min/max/sum and the histogram, then
 * advance the deadline by exactly one period (so a late wake-up never
 * shifts later deadlines).
 */
void shmseq__task_record(shmseq_task *t, uint64_t woke_ns);

#endif /* SHMSEQ_CORE_TASK_STATS_H */
