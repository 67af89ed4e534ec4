/* SPDX-License-Identifier: MIT */
/*
 * Periodic real-time task helper (implemented by the port).
 *
 * A sensor task wakes every period on an absolute CLOCK_MONOTONIC deadline
 * (clock_nanosleep TIMER_ABSTIME on POSIX, so jitter does not accumulate),
 * optionally at SCHED_FIFO priority, pinned to one CPU, with its memory
 * locked. Like cyclictest it measures each wake-up's latency (actual wake
 * time minus the deadline) and keeps min/avg/max and a fixed histogram for
 * percentiles; it counts missed periods (deadlines that had already passed
 * by more than one period) and skips them instead of bursting to catch up.
 * No allocation: all state lives in the caller's shmseq_task.
 *
 * @code
 * shmseq_task t;
 * shmseq_task_config c = { .period_ns = 1000000, .priority = 80, .cpu = 1,
 *                          .lock_memory = 1 };
 * int rc = shmseq_task_start(&t, &c);      // rc < 0: say why, maybe go on
 * while (running) {
 *     if (shmseq_task_wait(&t) == -EINTR) continue;
 *     sample_and_publish();
 * }
 * shmseq_task_stats s;
 * shmseq_task_get_stats(&t, &s);
 * @endcode
 */
#ifndef SHMSEQ_TASK_H
#define SHMSEQ_TASK_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Histogram buckets: 1 us each, the last one collects everything above. */
#define SHMSEQ_TASK_HIST_BUCKETS 1000u

/** How the periodic task runs. */
typedef struct shmseq_task_config {
    uint64_t period_ns;  /**< > 0 */
    int priority;        /**< SCHED_FIFO priority 1..99; 0 keeps the policy */
    int cpu;             /**< CPU to pin to; -1 (or any negative) for none */
    int lock_memory;     /**< nonzero: mlockall(current | future) */
} shmseq_task_config;

/** Wake-up statistics, cyclictest style. */
typedef struct shmseq_task_stats {
    uint64_t cycles;      /**< periods waited */
    uint64_t missed;      /**< periods skipped because the task overran */
    uint64_t min_ns;      /**< smallest wake-up latency (0 if no cycle) */
    uint64_t max_ns;
    uint64_t avg_ns;
    uint64_t p99_ns;      /**< 99th percentile, 1 us resolution */
    uint64_t overflow;    /**< latencies beyond the histogram */
} shmseq_task_stats;

/** A periodic task; caller-allocated, fields private. */
typedef struct shmseq_task {
    uint64_t period_ns;
    uint64_t next_ns;     /* next absolute deadline, CLOCK_MONOTONIC */
    uint64_t cycles, missed, sum_ns, min_ns, max_ns, overflow;
    uint32_t hist[SHMSEQ_TASK_HIST_BUCKETS];
} shmseq_task;

/**
 * @brief Apply the config (priority, affinity, memory lock) to the calling
 *        thread and set the first deadline one period from now.
 *
 * The task is usable even if a setting failed: the return value says which
 * one so the caller can warn and go on or stop.
 *
 * @retval 0        all settings applied
 * @retval -EINVAL  period 0, priority outside 0..99, or cpu not present
 * @retval -EPERM   priority or memory lock not allowed (needs CAP_SYS_NICE /
 *                  CAP_IPC_LOCK or an rlimit); the task still runs
 * @retval -ENOSYS  the port cannot set priority/affinity; the task still runs
 */
int shmseq_task_start(shmseq_task *t, const shmseq_task_config *cfg);

/**
 * @brief Sleep until the next deadline and record the wake-up latency.
 * @retval 0       woke at (after) the deadline
 * @retval -EINTR  a signal interrupted the sleep; the deadline stands
 */
int shmseq_task_wait(shmseq_task *t);

/** @brief The statistics so far. */
void shmseq_task_get_stats(const shmseq_task *t, shmseq_task_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_TASK_H */
