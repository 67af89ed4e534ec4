/* SPDX-License-Identifier: MIT */
/*
 * Template port: every function of the port contract
 * (port/include/shmseq/port.h), each returning -ENOSYS or a documented
 * trivial value, with a note on what a real port must do. A port provides
 * OS calls only: no statistics, no scheduling arithmetic (those are in
 * core/ and src/, shared by every port). It builds with any C11 compiler
 * (-DSHMSEQ_PORT=template) and proves the contract is complete; the
 * library links but cannot open a named region.
 *
 * port/posix/ is the full reference implementation. The core (core/) works
 * without any port: an RTOS that only needs an in-process ring can ignore
 * the named-region half entirely.
 */
#include <errno.h>
#include <string.h>

#include "shmseq/port.h"

#ifndef ENOSYS
#define ENOSYS 38   /* not ISO C; most RTOS libcs define it anyway */
#endif

static void region_reset(shmseq_port_region *r)
{
    r->handle = -1;
    r->base = NULL;
    r->size = 0;
    r->ctl = NULL;
    r->ctl_size = 0;
    r->flags = 0;
}

/* ---- named shared memory --------------------------------------------- */

int shmseq_port_region_create(shmseq_port_region *r, const char *name,
                              size_t size, uint32_t mode)
{
    /* Create a named object of `size` bytes exclusively (-EEXIST if it
     * exists), apply `mode` exactly (not filtered by a umask), take a
     * writer lock that the system releases if this process dies, and
     * reserve the memory now (-ENOSPC here, not a fault later). On any
     * failure remove what was created. Set SHMSEQ_PORT_WRITABLE |
     * SHMSEQ_PORT_LOCKED | SHMSEQ_PORT_CREATED in r->flags. */
    (void)name;
    (void)size;
    (void)mode;
    region_reset(r);
    return -ENOSYS;
}

int shmseq_port_region_open(shmseq_port_region *r, const char *name,
                            int writable)
{
    /* Open an existing object (-ENOENT). Writable: read-write plus the
     * writer lock, without waiting (-EBUSY if held). Reader: read-write if
     * allowed (for the ctl mapping), else read-only. */
    (void)name;
    (void)writable;
    region_reset(r);
    return -ENOSYS;
}

int shmseq_port_region_stat(const shmseq_port_region *r,
                            shmseq_port_stat *out)
{
    /* Report the object's size in bytes, its owner and permission bits.
     * A system without owners reports uid 0 and mode 0600. */
    (void)r;
    memset(out, 0, sizeof *out);
    return -ENOSYS;
}

int shmseq_port_region_resize(shmseq_port_region *r, size_t size)
{
    /* Set the locked object's size and reserve the memory (-ENOSPC). */
    (void)r;
    (void)size;
    return -ENOSYS;
}

int shmseq_port_region_map(shmseq_port_region *r, size_t size,
                           size_t ctl_offset, size_t ctl_size)
{
    /* Map `size` bytes (never more than the object holds: -EBADMSG),
     * read-write for a writer, read-only for a reader; a reader that may
     * write also gets r->ctl, the `ctl_size` bytes at `ctl_offset` made
     * writable (whole pages only, else no ctl), for the wait word, and
     * nothing else writable. Fill r->base/size/ctl/ctl_size; -ENOMEM on
     * failure. Mapping again replaces the previous mapping. */
    (void)r;
    (void)size;
    (void)ctl_offset;
    (void)ctl_size;
    return -ENOSYS;
}

void shmseq_port_region_unmap(shmseq_port_region *r)
{
    /* Remove the mapping (ctl lies inside base) and clear base/size/ctl/
     * ctl_size, keeping the object open and locked. Safe when nothing is
     * mapped. */
    r->base = NULL;
    r->size = 0;
    r->ctl = NULL;
    r->ctl_size = 0;
}

void shmseq_port_region_close(shmseq_port_region *r)
{
    /* Unmap (ctl lies inside base), release the writer lock, close, reset the
     * handle to -1. Must be safe to call twice and after a failed open. */
    region_reset(r);
}

int shmseq_port_region_unlink(const char *name, int force)
{
    /* Remove the name (-ENOENT). Unless `force`, refuse with -EBUSY while
     * a writer holds the lock. Mappings that exist stay valid. */
    (void)name;
    (void)force;
    return -ENOSYS;
}

int shmseq_port_region_unlink_locked(const shmseq_port_region *r,
                                     const char *name)
{
    /* Remove `name` only if it still names the object r holds locked
     * (-ESTALE if it names another, -ENOENT if gone). */
    (void)r;
    (void)name;
    return -ENOSYS;
}

int shmseq_port_region_chmod(shmseq_port_region *r, uint32_t mode)
{
    /* Set the permission bits of the open, locked object. */
    (void)r;
    (void)mode;
    return -ENOSYS;
}

int shmseq_port_region_read(const shmseq_port_region *r, uint64_t offset,
                            void *buf, size_t len)
{
    /* Copy len bytes at offset without mapping; -EBADMSG if the object
     * ends first. */
    (void)r;
    (void)offset;
    (void)buf;
    (void)len;
    return -ENOSYS;
}

int shmseq_port_region_writer_alive(const char *name)
{
    /* 1 if a writer holds the lock, 0 if not, -ENOENT if no such region.
     * Probe without keeping the lock. */
    (void)name;
    return -ENOSYS;
}

int shmseq_port_region_same(const shmseq_port_region *r, const char *name)
{
    /* 1 if `name` still names the object r has open, 0 if the name was
     * removed and another object created under it (compare the objects'
     * identity, e.g. device and inode), -ENOENT if the name is gone. */
    (void)r;
    (void)name;
    return -ENOSYS;
}

int shmseq_port_region_list(int (*fn)(void *ctx, const char *name),
                            void *ctx)
{
    /* Call fn(ctx, name) for every region (names without any prefix the
     * port adds); stop and return fn's value when it is nonzero. */
    (void)fn;
    (void)ctx;
    return -ENOSYS;
}

/* ---- time, identity --------------------------------------------------- */

uint64_t shmseq_port_monotonic_ns(void)
{
    /* A clock that never goes backwards, in ns (e.g. the tick count times
     * the tick length). 0 here: every sample gets timestamp 0. */
    return 0;
}

uint64_t shmseq_port_realtime_ns(void)
{
    /* Wall-clock time in ns since 1970, or 0 if the system has none. */
    return 0;
}

uint32_t shmseq_port_pid(void)
{
    /* An id for this process/task, for display only; 0 if none. */
    return 0;
}

uint32_t shmseq_port_uid(void)
{
    /* The caller's user id, matched against shmseq_port_stat.uid; a system
     * without users returns 0 (and reports uid 0 for every region). */
    return 0;
}

void shmseq_port_yield(void)
{
    /* Let another task run once (taskYIELD(), sched_yield()). */
}

int shmseq_port_sleep_ns(uint64_t ns)
{
    /* Sleep at least `ns`; -EINTR if interrupted and the system has
     * signals. */
    (void)ns;
    return -ENOSYS;
}

/* ---- wait / wake on a 32-bit shared word ------------------------------ */

int shmseq_port_wait(void *word, uint32_t value, int64_t timeout_ns)
{
    /* Sleep while *word == value, up to timeout_ns (negative: forever):
     * a futex or wait-on-address primitive, or a short nap (then
     * wait_is_blocking returns 0). 0 on wake/spurious/value differs,
     * -ETIMEDOUT, -EINTR. */
    (void)word;
    (void)value;
    (void)timeout_ns;
    return -ENOSYS;
}

void shmseq_port_wake(void *word)
{
    /* Wake every waiter on word, in every process. Called from the
     * publish path, and only when a reader sleeps: keep it cheap. A
     * napping port leaves this empty. */
    (void)word;
}

int shmseq_port_wait_is_blocking(void)
{
    /* 1 if shmseq_port_wait() sleeps until woken, 0 if it only naps. */
    return 0;
}

/* ---- the calling thread: what the periodic task needs ----------------- */

/* The periodic task itself (deadlines, missed periods, statistics) is
 * written once, in src/task.c and core/task_stats.c; a port gives it only
 * the OS calls below. */

uint32_t shmseq_port_cpu_slots(void)
{
    /* How many CPUs shmseq_port_thread_set_cpu() can name (the size of
     * the affinity mask); 0 if the system cannot pin a thread. */
    return 0;
}

int shmseq_port_thread_set_priority(int priority)
{
    /* Give the calling thread real-time FIFO priority `priority` (1..99,
     * checked by the caller; map it onto the system's range, e.g.
     * vTaskPrioritySet()). -EPERM if not allowed. */
    (void)priority;
    return -ENOSYS;
}

int shmseq_port_thread_set_cpu(int cpu)
{
    /* Pin the calling thread to one CPU (vTaskCoreAffinitySet(),
     * sched_setaffinity()); -EINVAL if it is not present or not usable. */
    (void)cpu;
    return -ENOSYS;
}

int shmseq_port_lock_memory(void)
{
    /* Keep the process's memory resident (mlockall); a system without
     * paging has nothing to do and may return 0. */
    return -ENOSYS;
}

int shmseq_port_cpu_latency_hold(uint32_t us, int *handle)
{
    /* Take a power-management constraint keeping the cores out of idle
     * states slower than `us` to leave, until release; store its handle
     * (>= 0). On any failure *handle is -1 and nothing is held. */
    (void)us;
    *handle = -1;
    return -ENOSYS;
}

void shmseq_port_cpu_latency_release(int handle)
{
    /* Drop the constraint taken by shmseq_port_cpu_latency_hold(). */
    (void)handle;
}

int shmseq_port_sleep_until_ns(uint64_t deadline_ns)
{
    /* Sleep until shmseq_port_monotonic_ns() reaches the absolute
     * `deadline_ns` (vTaskDelayUntil(), clock_nanosleep(TIMER_ABSTIME)),
     * at once if it already has; -EINTR if interrupted. */
    (void)deadline_ns;
    return -ENOSYS;
}
