/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * POSIX port (Linux): the calling thread's real-time settings, for the
 * periodic task (src/task.c): FIFO priority, CPU affinity, the memory
 * lock, and the CPU latency request. The deadline arithmetic and the
 * statistics are not here: they are OS-free (core/task_stats.c).
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
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shmseq/port.h"

uint32_t shmseq_port_cpu_slots(void)
{
    return CPU_SETSIZE;
}

int shmseq_port_thread_set_priority(int priority)
{
    struct sched_param sp;

    memset(&sp, 0, sizeof sp);
    sp.sched_priority = priority;
    if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
        return -errno;
    return 0;
}

int shmseq_port_thread_set_cpu(int cpu)
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

int shmseq_port_lock_memory(void)
{
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0)
        return 0;
    /* ENOMEM: above RLIMIT_MEMLOCK, a permission limit like EPERM (the
     * contract's "needs CAP_IPC_LOCK or an rlimit"). */
    return (errno == EPERM || errno == ENOMEM) ? -EPERM : -errno;
}

#define CPU_LATENCY_DEV "/dev/cpu_dma_latency"

int shmseq_port_cpu_latency_hold(uint32_t us, int *handle)
{
    int32_t value = (int32_t)us;    /* range checked by the caller */
    ssize_t n;
    int fd, err;

    *handle = -1;
    fd = open(CPU_LATENCY_DEV, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
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
        n = write(fd, &value, sizeof value);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)sizeof value) {
        *handle = fd;
        return 0;
    }
    err = n < 0 ? -errno : -EIO;
    (void)close(fd);
    return err;
}

void shmseq_port_cpu_latency_release(int handle)
{
    /* Closing is what withdraws the request; close() failing (EINTR)
     * still releases the descriptor on Linux, so never retry. */
    (void)close(handle);
}
