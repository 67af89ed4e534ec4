/* SPDX-License-Identifier: MIT */
/*
 * Periodic task arithmetic: deadline skipping, missed-period counting, the
 * latency histogram and its 99th percentile (cyclictest's bookkeeping).
 *
 * Pure C11 on the caller's shmseq_task: no clock, no OS header. The clock
 * and the sleep are the port's; src/task.c puts the two together.
 */
#include "task_stats.h"

#include <assert.h>
#include <string.h>

void shmseq__task_reset(shmseq_task *t, uint64_t period_ns,
                        uint64_t first_deadline_ns)
{
    assert(t != NULL && period_ns > 0);
    t->period_ns = period_ns;
    t->next_ns = first_deadline_ns;
    t->cycles = 0;
    t->missed = 0;
    t->sum_ns = 0;
    t->min_ns = UINT64_MAX;
    t->max_ns = 0;
    t->overflow = 0;
    memset(t->hist, 0, sizeof t->hist);
}

void shmseq__task_skip_missed(shmseq_task *t, uint64_t now)
{
    uint64_t k;

    if (now <= t->next_ns || now - t->next_ns <= t->period_ns)
        return;
    k = (now - t->next_ns) / t->period_ns + 1;
    t->missed += k;
    t->next_ns += k * t->period_ns;
}

void shmseq__task_record(shmseq_task *t, uint64_t woke_ns)
{
    uint64_t latency = woke_ns > t->next_ns ? woke_ns - t->next_ns : 0;
    uint64_t bucket = latency / SHMSEQ_TASK_NS_PER_BUCKET;

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
    t->next_ns += t->period_ns;
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
            uint64_t upper = (uint64_t)(i + 1) * SHMSEQ_TASK_NS_PER_BUCKET;
            out->p99_ns = upper < t->max_ns ? upper : t->max_ns;
            break;
        }
    }
}
