/* SPDX-License-Identifier: MIT */
/*
 * The port contract: every function a port provides.
 *
 * shmseq's core is pure C11; the named-region API (src/) reaches the
 * operating system only through the functions declared here. A port is a
 * folder under port/ (port/posix is the real one, port/template a skeleton
 * to copy) chosen by the SHMSEQ_PORT CMake cache variable. Each function
 * below must be defined by every port; a port that cannot offer a feature
 * returns -ENOSYS where the contract allows it.
 *
 * All functions return 0 or a negative errno value unless stated. None of
 * them is called on the publish path except shmseq_port_wake().
 */
#ifndef SHMSEQ_PORT_H
#define SHMSEQ_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Longest region name a port accepts, in bytes (without the NUL). Names
 *  reach the port already checked by shmseq_name_check(); src/region.c
 *  asserts that SHMSEQ_NAME_MAX fits. */
#define SHMSEQ_PORT_NAME_MAX 64u

/**
 * A mapped named region. Lives inside the public handles' opaque
 * shmseq_platform (SHMSEQ_PLATFORM_SIZE bytes; src/region.c asserts at
 * compile time that it fits), so a port keeps its state this small or
 * raises that size.
 */
typedef struct shmseq_port_region {
    intptr_t handle;   /* port's own (posix: the fd); -1 when closed */
    void *base;        /* the whole region, read-write (writer) or read-only */
    size_t size;       /* bytes mapped at base */
    void *ctl;         /* readers: the writable reader-control page, or NULL */
    size_t ctl_size;   /* bytes writable at ctl */
    uint32_t flags;    /* SHMSEQ_PORT_* */
} shmseq_port_region;

/* shmseq_port_region.flags */
#define SHMSEQ_PORT_WRITABLE 0x1u /* opened for writing */
#define SHMSEQ_PORT_LOCKED   0x2u /* holds the writer lock */
#define SHMSEQ_PORT_CREATED  0x4u /* this open created the object */

/** What shmseq_port_region_stat() reports. */
typedef struct shmseq_port_stat {
    uint64_t size;   /* bytes of the object */
    uint32_t uid;    /* owner */
    uint32_t mode;   /* permission bits */
} shmseq_port_stat;

/* ---- named shared memory --------------------------------------------- */

/**
 * Create a new region object named @p name (already validated) of @p size
 * bytes, exclusively (fails if it exists), with permission @p mode, and
 * take the writer lock on it. The space is reserved up front, so a full
 * shared-memory file system fails here with -ENOSPC rather than with a
 * SIGBUS at first touch. Not mapped yet. Another writer can open the new
 * object and lock it between its creation and our lock: the creator then
 * returns -EBUSY and leaves the object (and its name) to that writer; after
 * a failure while it holds the lock it removes the name, if the name still
 * refers to the object.
 * @retval -EEXIST  the name exists
 * @retval -EBUSY   another writer locked the new object first
 * @retval -ENOSPC  no room for @p size bytes
 * @retval -EACCES  permission denied
 * @retval -ENOSYS  no shared memory on this system (e.g. /dev/shm missing)
 */
int shmseq_port_region_create(shmseq_port_region *r, const char *name,
                              size_t size, uint32_t mode);

/**
 * Open an existing region object. With @p writable, open read-write and
 * take the writer lock (without waiting); otherwise open read-write if
 * permission allows (so the reader can get a ctl mapping), else read-only.
 * Not mapped yet. With @p writable, once locked, the name must still refer
 * to the object that was opened (else -ESTALE: open the name again).
 * @retval -ENOENT  no such region
 * @retval -EBUSY   (writable) another process holds the writer lock
 * @retval -ESTALE  (writable) the name was removed or given to another
 *                  object between the open and the lock; nothing is held
 * @retval -EINVAL  not a regular file (a directory, FIFO, device...)
 * @retval -EMLINK  the object has more than one name (a planted hard link)
 * @retval -EACCES  permission denied
 * @retval -ENOSYS  no shared memory on this system
 */
int shmseq_port_region_open(shmseq_port_region *r, const char *name,
                            int writable);

/** Size, owner and mode of the open object (fstat). */
int shmseq_port_region_stat(const shmseq_port_region *r,
                            shmseq_port_stat *out);

/**
 * Resize the open, locked object to @p size bytes and reserve the space
 * (used when a writer recreates a half-made region it holds).
 * @retval -ENOSPC  no room
 */
int shmseq_port_region_resize(shmseq_port_region *r, size_t size);

/**
 * Map @p size bytes of the object: read-write if opened writable, else
 * read-only. A reader opened read-write also gets r->ctl: the @p ctl_size
 * bytes at @p ctl_offset of the same object, writable (the reader-control
 * page, for the wait word), and nothing else writable. Only whole pages
 * can be made writable: if @p ctl_offset or @p ctl_size is not a multiple
 * of the page size, r->ctl stays NULL (the reader polls). @p ctl_size 0:
 * no ctl.
 * @retval -EBADMSG  the object is smaller than @p size
 * @retval -ENOMEM, -EACCES, -ENODEV, ...  mmap's own error (or mprotect's)
 */
int shmseq_port_region_map(shmseq_port_region *r, size_t size,
                           size_t ctl_offset, size_t ctl_size);

/** Unmap (both mappings) but keep the object open and locked, so it can be
 *  resized and mapped again. Safe when nothing is mapped. */
void shmseq_port_region_unmap(shmseq_port_region *r);

/** Unmap, release the lock, close. Safe on a closed or half-open handle. */
void shmseq_port_region_close(shmseq_port_region *r);

/**
 * Remove the name. Unless @p force, the name is removed only while holding
 * the writer lock on the object it refers to (so no writer can take it over
 * in between): refused while a writer holds it.
 * @retval -ENOENT  no such region
 * @retval -EBUSY   a writer holds it (and not @p force)
 * @retval -EACCES  (not @p force) the caller cannot open it for writing
 */
int shmseq_port_region_unlink(const char *name, int force);

/**
 * Remove @p name, which @p r has open and locked, if the name still refers
 * to the object @p r holds (compared by identity, e.g. device and inode).
 * @retval -ESTALE  the name refers to another object; nothing removed
 * @retval -ENOENT  the name is gone
 */
int shmseq_port_region_unlink_locked(const shmseq_port_region *r,
                                     const char *name);

/** Set the permission bits of the open, locked object to @p mode. */
int shmseq_port_region_chmod(shmseq_port_region *r, uint32_t mode);

/**
 * Copy @p len bytes at @p offset of the open object into @p buf without
 * mapping it (so a truncated object is an error, never a SIGBUS).
 * @retval -EBADMSG  the object ends before offset + len
 */
int shmseq_port_region_read(const shmseq_port_region *r, uint64_t offset,
                            void *buf, size_t len);

/**
 * Probe whether a writer holds the region's lock, without taking it.
 * @return 1 held, 0 free, or a negative errno.
 */
int shmseq_port_region_writer_alive(const char *name);

/**
 * Whether @p name still names the object @p r has open: 1 yes, 0 it names
 * another object (the region was removed and created again), or a negative
 * errno (-ENOENT: the name is gone).
 */
int shmseq_port_region_same(const shmseq_port_region *r, const char *name);

/**
 * Call @p fn for each region present on the system (for tools).
 * Stops early, returning its value, if @p fn returns nonzero.
 */
int shmseq_port_region_list(int (*fn)(void *ctx, const char *name),
                            void *ctx);

/* ---- time, identity --------------------------------------------------- */

/** CLOCK_MONOTONIC, nanoseconds. */
uint64_t shmseq_port_monotonic_ns(void);
/** CLOCK_REALTIME, nanoseconds since the epoch. */
uint64_t shmseq_port_realtime_ns(void);
/** The calling process id (for display). */
uint32_t shmseq_port_pid(void);
/** The caller's effective user id, compared with a region's owner
 *  (shmseq_port_stat.uid); a system without users returns 0. */
uint32_t shmseq_port_uid(void);
/** Give up the CPU once (sched_yield). */
void shmseq_port_yield(void);
/** Sleep @p ns nanoseconds (interruptible: returns -EINTR on a signal). */
int shmseq_port_sleep_ns(uint64_t ns);

/* ---- the calling thread: what the periodic task needs ----------------- */

/*
 * include/shmseq/task.h is implemented once, in src/task.c, with its
 * deadline and statistics arithmetic in core/; a port supplies only these
 * OS calls. Each acts on the calling thread (or, for the memory lock, the
 * process). A port without the feature returns -ENOSYS: the task then
 * still runs, without it.
 */

/** How many CPUs shmseq_port_thread_set_cpu() can name (CPUs 0..n-1;
 *  CPU_SETSIZE on Linux). A larger CPU number is refused with -EINVAL
 *  before any setting is applied. 0: the port cannot pin threads. */
uint32_t shmseq_port_cpu_slots(void);

/**
 * Run the calling thread under the real-time FIFO policy at @p priority
 * (1..99, already checked).
 * @retval -EPERM   not allowed (a privilege or an rlimit is missing)
 * @retval -ENOSYS  no real-time policy here
 */
int shmseq_port_thread_set_priority(int priority);

/**
 * Pin the calling thread to CPU @p cpu (0..shmseq_port_cpu_slots()-1).
 * @retval -EINVAL  no such CPU, or not one this thread may use
 * @retval -ENOSYS  the port cannot pin threads
 */
int shmseq_port_thread_set_cpu(int cpu);

/**
 * Lock the process's current and future memory in RAM (mlockall).
 * @retval -EPERM   not allowed, or above the process's lock limit
 * @retval -ENOSYS  no memory locking here
 */
int shmseq_port_lock_memory(void);

/**
 * Take a CPU latency (power-management QoS) request: keep every CPU out of
 * idle states slower than @p us microseconds (0..INT32_MAX, already
 * checked) to leave, until shmseq_port_cpu_latency_release(). On success
 * *@p handle is the request's handle (>= 0); on failure it is -1 and
 * nothing is held.
 * @retval -EPERM   not allowed
 * @retval -ENOSYS  the system has no such control
 * @retval -EIO     the request was not taken
 */
int shmseq_port_cpu_latency_hold(uint32_t us, int *handle);

/** Drop the request @p handle (>= 0) from shmseq_port_cpu_latency_hold(). */
void shmseq_port_cpu_latency_release(int handle);

/**
 * Sleep until shmseq_port_monotonic_ns() reaches @p deadline_ns (an
 * absolute time, so a late wake-up never shifts later deadlines); return
 * at once if it already has.
 * @retval -EINTR  a signal interrupted the sleep
 */
int shmseq_port_sleep_until_ns(uint64_t deadline_ns);

/* ---- wait / wake on a 32-bit shared word ------------------------------ */

/**
 * Sleep while *@p word == @p value, at most @p timeout_ns (negative:
 * forever). Spurious returns are allowed; callers re-check.
 * @retval 0           woken, or the value differed, or spurious
 * @retval -ETIMEDOUT  the timeout passed
 * @retval -EINTR      a signal arrived
 */
int shmseq_port_wait(void *word, uint32_t value, int64_t timeout_ns);

/** Wake every process sleeping on @p word. */
void shmseq_port_wake(void *word);

/** 1 if shmseq_port_wait() really sleeps until woken (futex); 0 if it
 *  only naps (polling fallback). */
int shmseq_port_wait_is_blocking(void);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_PORT_H */
