/* SPDX-License-Identifier: MIT */
/*
 * The periodic task (include/shmseq/task.h): the port's thread settings
 * and absolute sleep around the OS-free deadline arithmetic of
 * core/task_stats.c. Written once for every port: a port supplies only the
 * OS calls declared in port.h.
 *
 * Deadlines are absolute monotonic times advanced by exactly one period,
 * so a late wake-up never shifts later deadlines (no drift). All state is
 * in the caller's struct.
 */
#include <shmseq/task.h>

#include <assert.h>
#include <stdbool.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "shmseq/port.h"
#include "task_stats.h"

/* Keep the first error, but go on applying the other settings. */
static void keep_first(int *rc, int err)
{
    if (*rc == 0)
        *rc = err;
}

static bool cpu_out_of_range(int cpu)
{
    uint32_t slots = shmseq_port_cpu_slots();

    /* A port that cannot pin answers the pin call itself (-ENOSYS). */
    return cpu >= 0 && slots > 0 && (uint32_t)cpu >= slots;
}

int shmseq_task_start(shmseq_task *t, const shmseq_task_config *cfg)
{
    int rc = 0;

    assert(t != NULL && cfg != NULL);
    memset(t, 0, sizeof *t);
    t->qos_handle = -1;     /* before any return: stop() checks it */
    if (cfg->period_ns == 0 || cfg->priority < 0 || cfg->priority > 99 ||
        cpu_out_of_range(cfg->cpu) ||
        (cfg->hold_cpu_latency && cfg->cpu_latency_us > INT32_MAX))
        return -EINVAL;

    if (cfg->priority > 0)
        keep_first(&rc, shmseq_port_thread_set_priority(cfg->priority));
    if (cfg->cpu >= 0)
        keep_first(&rc, shmseq_port_thread_set_cpu(cfg->cpu));
    if (cfg->lock_memory)
        keep_first(&rc, shmseq_port_lock_memory());
    /* Last of the settings: in force for the first sleep, held no longer
     * than needed, and never taken by a start refused above. */
    if (cfg->hold_cpu_latency)
        keep_first(&rc, shmseq_port_cpu_latency_hold(cfg->cpu_latency_us,
                                                     &t->qos_handle));

    /* Last, so the settings' own cost does not eat into the first period. */
    shmseq__task_reset(t, cfg->period_ns,
                       shmseq_port_monotonic_ns() + cfg->period_ns);
    return rc;
}

int shmseq_task_wait(shmseq_task *t)
{
    int rc;

    assert(t != NULL && t->period_ns > 0);
    /* Checked before sleeping, so an overrun in the caller's work between
     * two waits is caught as well as a late wake-up. */
    shmseq__task_skip_missed(t, shmseq_port_monotonic_ns());
    rc = shmseq_port_sleep_until_ns(t->next_ns);
    if (rc < 0)
        return rc;          /* -EINTR: the deadline stands */
    shmseq__task_record(t, shmseq_port_monotonic_ns());
    return 0;
}

void shmseq_task_stop(shmseq_task *t)
{
    assert(t != NULL);
    if (t->qos_handle >= 0) {
        shmseq_port_cpu_latency_release(t->qos_handle);
        t->qos_handle = -1;
    }
}
