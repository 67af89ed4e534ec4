/* SPDX-License-Identifier: MIT */
/*
 * Periodic real-time task helper.
 *
 * A sensor task wakes every period on an absolute CLOCK_MONOTONIC deadline
 * (clock_nanosleep TIMER_ABSTIME on POSIX, so jitter does not accumulate),
 * optionally at SCHED_FIFO priority, pinned to one CPU, with its memory
 * locked, and optionally holding a CPU latency request that keeps the CPU
 * out of deep idle states. Like cyclictest it measures each wake-up's
 * latency (actual wake time minus the deadline) and keeps min/avg/max and a
 * fixed histogram for percentiles; it counts missed periods (deadlines that
 * had already passed by more than one period) and skips them instead of
 * bursting to catch up. No allocation: all state lives in the caller's
 * shmseq_task.
 *
 * The CPU latency request is what cyclictest holds by default (it writes 0
 * to /dev/cpu_dma_latency and keeps the file open while it runs). Waking
 * from a deep idle state costs tens of microseconds, so compare a task with
 * cyclictest only when both hold the request, or neither does (cyclictest
 * --laptop). The request applies to every CPU of the system and costs
 * power while held.
 *
 * @code
 * shmseq_task t;
 * shmseq_task_config c = { .period_ns = 1000000, .priority = 80, .cpu = 1,
 *                          .lock_memory = 1, .hold_cpu_latency = 1,
 *                          .cpu_latency_us = 0 };
 * int rc = shmseq_task_start(&t, &c);      // rc < 0: say why, maybe go on
 * while (running) {
 *     if (shmseq_task_wait(&t) == -EINTR) continue;
 *     sample_and_publish();
 * }
 * shmseq_task_stats s;
 * shmseq_task_get_stats(&t, &s);
 * shmseq_task_stop(&t);                    // drops the latency request
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
    /** nonzero: hold a CPU latency (PM QoS) request from shmseq_task_start()
     *  until shmseq_task_stop(); 0 leaves the idle states alone */
    int hold_cpu_latency;
    /** the request, 0..INT32_MAX us: idle states whose exit latency is above
     *  it are not used; 0 keeps the CPUs out of every idle state with a
     *  non-zero exit latency (what cyclictest asks for) */
    uint32_t cpu_latency_us;
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
    int qos_handle;       /* the port's CPU latency request; -1 if none */
    uint32_t hist[SHMSEQ_TASK_HIST_BUCKETS];
} shmseq_task;

/**
 * @brief Apply the config (priority, affinity, memory lock, CPU latency
 *        request) to the calling thread and set the first deadline one
 *        period from now.
 *
 * The task is usable even if a setting failed: the return value says which
 * one (the first that failed) so the caller can warn and go on or stop.
 * Whatever the result, call shmseq_task_stop() when done, and before
 * starting the same shmseq_task again.
 *
 * @retval 0        all settings applied
 * @retval -EINVAL  period 0, priority outside 0..99, cpu not present, or
 *                  cpu_latency_us above INT32_MAX (with hold_cpu_latency)
 * @retval -EPERM   priority, memory lock or CPU latency request not allowed
 *                  (needs CAP_SYS_NICE / CAP_IPC_LOCK or an rlimit; the
 *                  latency device is root-only on most distributions); the
 *                  task still runs
 * @retval -ENOSYS  the port cannot set priority/affinity, or the system has
 *                  no CPU latency control (not Linux, or a kernel without
 *                  PM QoS); the task still runs
 * @retval -EIO     the latency request was not taken (short write); the
 *                  task still runs
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

/**
 * @brief Release what shmseq_task_start() took: the CPU latency request.
 *
 * Priority, affinity and the memory lock stay as they are (they belong to
 * the thread and process, which may want them after the task). The
 * statistics remain readable. Safe to call twice, and after a start that
 * failed (-EINVAL included); not on a shmseq_task never passed to
 * shmseq_task_start().
 */
void shmseq_task_stop(shmseq_task *t);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_TASK_H */
