/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * POSIX port (Linux): the periodic real-time task of include/shmseq/task.h.
 *
 * Deadlines are absolute CLOCK_MONOTONIC times advanced by exactly one
 * period, and the sleep is clock_nanosleep(TIMER_ABSTIME), so a late
 * wake-up never shifts later deadlines (no drift). Latency bookkeeping
 * follows cyclictest: wake time minus deadline, min/avg/max and a 1 us
 * histogram for the 99th percentile. All state is in the caller's struct.
 *
 * sched_setscheduler(0, ...) and sched_setaffinity(0, ...) act on the
 * calling thread on Linux (pid 0 is the caller's thread id there), which
 * is what a sensor thread inside a bigger process wants.
 *
 * The CPU latency request is Linux PM QoS through /dev/cpu_dma_latency,
 * as cyclictest does it: write the limit in microseconds as a binary s32
 * and keep the file open; the kernel drops the request when the file is
 * closed (shmseq_task_stop, or the process exiting however it exits).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "shmseq/port.h"
#include "shmseq/task.h"

#define NS_PER_S 1000000000ull
#define NS_PER_BUCKET 1000u

static struct timespec to_timespec(uint64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    return ts;
}

/* Keep the first error, but go on applying the other settings. */
static void keep_first(int *rc, int err)
{
    if (*rc == 0)
        *rc = err;
}

static int set_priority(int priority)
{
    struct sched_param sp;

    memset(&sp, 0, sizeof sp);
    sp.sched_priority = priority;
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
        return errno == EPERM ? -EPERM : -errno;
    return 0;
}

static int set_cpu(int cpu)
{
    cpu_set_t set;

    /* The kernel rejects a mask with no usable CPU with EINVAL, which also
     * covers a CPU that exists but is outside our cpuset. */
    CPU_ZERO(&set);
    CPU_SET((size_t)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0)
        return -errno;
    return 0;
}

static int lock_memory(void)
{
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
        return 0;
    /* ENOMEM: above RLIMIT_MEMLOCK, a permission limit like EPERM (the
     * contract's "needs CAP_IPC_LOCK or an rlimit"). */
    return (errno == EPERM || errno == ENOMEM) ? -EPERM : -errno;
}

#define CPU_LATENCY_DEV "/dev/cpu_dma_latency"

/* On success *fd holds the request until it is closed. */
static int hold_cpu_latency(uint32_t us, int *fd)
{
    int32_t value = (int32_t)us;    /* range checked by the caller */
    ssize_t n;
    int err;

    *fd = open(CPU_LATENCY_DEV, O_WRONLY | O_CLOEXEC);
    if (*fd < 0) {
        err = errno;
        /* Root-only (0600) on most distributions. */
        if (err == EACCES || err == EPERM)
            return -EPERM;
        /* Not Linux, no PM QoS in this kernel, or no /dev node for it (a
         * container): nothing to hold. */
        if (err == ENOENT || err == ENODEV || err == ENXIO)
            return -ENOSYS;
        return -err;
    }
    /* The kernel's binary format: exactly one s32 in host byte order (any
     * other length is parsed as a hex string). */
    do
        n = write(*fd, &value, sizeof value);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof value)
        return 0;
    err = n < 0 ? -errno : -EIO;
    (void)close(*fd);
    *fd = -1;
    return err;
}

int shmseq_task_start(shmseq_task *t, const shmseq_task_config *cfg)
{
    int rc = 0;

    assert(t != NULL && cfg != NULL);
    memset(t, 0, sizeof *t);
    t->qos_handle = -1;     /* before any return: stop() checks it */
    if (cfg->period_ns == 0 || cfg->priority < 0 || cfg->priority > 99 ||
        cfg->cpu >= CPU_SETSIZE ||
        (cfg->hold_cpu_latency && cfg->cpu_latency_us > INT32_MAX))
        return -EINVAL;
    t->period_ns = cfg->period_ns;
    t->min_ns = UINT64_MAX;

    if (cfg->priority > 0)
        keep_first(&rc, set_priority(cfg->priority));
    if (cfg->cpu >= 0)
        keep_first(&rc, set_cpu(cfg->cpu));
    if (cfg->lock_memory)
        keep_first(&rc, lock_memory());
    /* Last of the settings: in force for the first sleep, held no longer
     * than needed, and never taken by a start refused above. */
    if (cfg->hold_cpu_latency)
        keep_first(&rc, hold_cpu_latency(cfg->cpu_latency_us,
                                         &t->qos_handle));

    /* Last, so the settings' own cost does not eat into the first period. */
    t->next_ns = shmseq_port_monotonic_ns() + t->period_ns;
    return rc;
}

/* The task overran: when the deadline is more than a period in the past,
 * skip to the first deadline still in the future and count the skipped
 * ones, rather than waking back-to-back to catch up (a burst of stale
 * samples helps nobody and starves the rest of the system). A deadline
 * passed by less than a period is still served, late. */
static void skip_missed(shmseq_task *t, uint64_t now)
{
    uint64_t behind, k;

    if (now <= t->next_ns || now - t->next_ns <= t->period_ns)
        return;
    behind = now - t->next_ns;
    k = behind / t->period_ns + 1;
    t->missed += k;
    t->next_ns += k * t->period_ns;
}

static void record(shmseq_task *t, uint64_t latency)
{
    uint64_t bucket = latency / NS_PER_BUCKET;

    t->cycles++;
    t->sum_ns += latency;
    if (latency < t->min_ns)
        t->min_ns = latency;
    if (latency > t->max_ns)
        t->max_ns = latency;
    if (bucket >= SHMSEQ_TASK_HIST_BUCKETS - 1) {
        bucket = SHMSEQ_TASK_HIST_BUCKETS - 1;
        t->overflow++;
    }
    if (t->hist[bucket] != UINT32_MAX)  /* saturate, never wrap */
        t->hist[bucket]++;
}

int shmseq_task_wait(shmseq_task *t)
{
    struct timespec ts;
    uint64_t now;
    int err;

    assert(t != NULL && t->period_ns > 0);
    /* Checked before sleeping, so an overrun in the caller's work between
     * two waits is caught as well as a late wake-up. */
    skip_missed(t, shmseq_port_monotonic_ns());
    ts = to_timespec(t->next_ns);
    /* Returns the error number itself, not -1/errno. */
    err = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (err == EINTR)
        return -EINTR;      /* the deadline stands */
    if (err != 0)
        return -err;
    now = shmseq_port_monotonic_ns();
    record(t, now > t->next_ns ? now - t->next_ns : 0);
    t->next_ns += t->period_ns;
    return 0;
}

void shmseq_task_stop(shmseq_task *t)
{
    assert(t != NULL);
    if (t->qos_handle >= 0) {
        /* Closing is what withdraws the request; close() failing (EINTR)
         * still releases the descriptor on Linux, so never retry. */
        (void)close(t->qos_handle);
        t->qos_handle = -1;
    }
}

void shmseq_task_get_stats(const shmseq_task *t, shmseq_task_stats *out)
{
    uint64_t total = 0, need, cum = 0;
    uint32_t i;

    assert(t != NULL && out != NULL);
    memset(out, 0, sizeof *out);
    out->cycles = t->cycles;
    out->missed = t->missed;
    out->overflow = t->overflow;
    if (t->cycles == 0)
        return;
    out->min_ns = t->min_ns;
    out->max_ns = t->max_ns;
    out->avg_ns = t->sum_ns / t->cycles;

    for (i = 0; i < SHMSEQ_TASK_HIST_BUCKETS; i++)
        total += t->hist[i];
    need = (total * 99 + 99) / 100;     /* ceil(99% of the samples) */
    out->p99_ns = t->max_ns;            /* in the overflow bucket */
    for (i = 0; i < SHMSEQ_TASK_HIST_BUCKETS - 1; i++) {
        cum += t->hist[i];
        if (cum >= need) {
            /* The bucket's upper bound, but never above the real max. */
            uint64_t upper = (uint64_t)(i + 1) * NS_PER_BUCKET;
            out->p99_ns = upper < t->max_ns ? upper : t->max_ns;
            break;
        }
    }
}
