/* SPDX-License-Identifier: MIT */
/*
 * shmseq named regions: one sensor task publishes float64 samples into a
 * named shared-memory region, any number of logger tasks read them.
 *
 * Built on the OS-free ring (<shmseq/ring.h>) and the library's port layer,
 * which stays private: no port header is installed or needed here. Region
 * names are 1..SHMSEQ_NAME_MAX characters from [A-Za-z0-9._-], not starting
 * with '.'; on POSIX the object is "/shmseq.<name>" (so /dev/shm/shmseq.<name>
 * on Linux).
 *
 * @code
 * // sensor task
 * shmseq_writer w;
 * shmseq_config cfg = { .width = 3, .capacity = 1024 };
 * int rc = shmseq_writer_open(&w, "imu", &cfg);
 * if (rc < 0) { fprintf(stderr, "%s\n", shmseq_strerror(rc)); return 1; }
 * double v[3] = { ax, ay, az };
 * shmseq_publish(&w, v, shmseq_now_ns());
 * shmseq_writer_close(&w);
 *
 * // logger task
 * shmseq_reader r;
 * shmseq_sample s;
 * double out[3];
 * shmseq_reader_open(&r, "imu", SHMSEQ_START_OLDEST);
 * while (shmseq_read_wait(&r, &s, out, 3, -1) == 0)
 *     printf("%llu %g lost=%llu\n", (unsigned long long)s.seq, out[0],
 *            (unsigned long long)s.lost);
 * shmseq_reader_close(&r);
 * @endcode
 */
#ifndef SHMSEQ_REGION_H
#define SHMSEQ_REGION_H

#include <stddef.h>
#include <stdint.h>

#include <shmseq/error.h>
#include <shmseq/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Writer flags (shmseq_config.flags). */
#define SHMSEQ_WRITER_RECREATE 0x1u /**< if the existing region has another
                                         width/capacity or is unusable, and no
                                         writer holds it, remove and recreate */
#define SHMSEQ_WRITER_ANY_OWNER 0x4u /**< accept an existing region owned by
                                          another user (default: -EPERM) */
#define SHMSEQ_WRITER_NO_WAKE 0x8u /**< never wake sleeping readers: publish
                                        is the slot and head stores alone (no
                                        full fence, no wake check); readers of
                                        the region poll instead of sleeping
                                        (shmseq_reader_set_spin() bounds their
                                        latency). Lasts while this writer does */

#define SHMSEQ_WRITER_ANY_MODE 0x10u /**< with SHMSEQ_WRITER_ANY_OWNER:
                                          accept a region of another user
                                          whose mode grants more than
                                          shmseq_config.mode (default:
                                          -EPERM; only its owner can narrow
                                          it). A region of our own always
                                          gets the asked mode */

/** Reader flag (OR-ed with the shmseq_start value and SHMSEQ_READER_POLL):
 *  accept a region owned by another user (default: -EPERM), e.g. a logger
 *  running as its own user reading the sensor task's region. */
#define SHMSEQ_READER_ANY_OWNER 0x20u

/** Longest region name, in bytes (without the NUL). */
#define SHMSEQ_NAME_MAX 64u

/**
 * Bytes a handle reserves for the platform's own state (on POSIX: the
 * descriptor and the mappings). Fixed, so handles stay caller-allocated
 * without the platform's headers; the library checks at compile time that
 * its port fits (a port that needs more fails to build, it never
 * overflows).
 */
#define SHMSEQ_PLATFORM_SIZE 64u

/** The platform part of a handle: opaque, never touched by the caller.
 *  Aligned for pointers and 64-bit integers. */
typedef union shmseq_platform {
    unsigned char bytes[SHMSEQ_PLATFORM_SIZE];
    uint64_t align_u64;
    void *align_ptr;
} shmseq_platform;

/** How a writer wants its region. */
typedef struct shmseq_config {
    uint32_t width;    /**< values per sample, 1..SHMSEQ_WIDTH_MAX */
    uint32_t capacity; /**< slots, power of two, 2..SHMSEQ_CAPACITY_MAX */
    uint32_t mode;     /**< permission bits (0 means 0600), set at creation
                            and on taking over a region of our own */
    uint32_t flags;    /**< SHMSEQ_WRITER_* */
} shmseq_config;

/** A writer handle; caller-allocated (stack, static, embedded). */
typedef struct shmseq_writer {
    shmseq_ring_writer ring;
    shmseq_platform platform;
    int replaced; /* shmseq_writer_replaced() */
} shmseq_writer;

/** A reader handle; caller-allocated. */
typedef struct shmseq_reader {
    shmseq_ring_reader ring;
    shmseq_platform platform;
    char name[SHMSEQ_NAME_MAX + 1]; /* for the writer-liveness probe */
    uint64_t spin_ns; /* shmseq_reader_set_spin() */
} shmseq_reader;

/**
 * @brief Check a region name without touching the system.
 * @retval 0              valid
 * @retval -EINVAL        empty, starts with '.', or has a character outside
 *                        [A-Za-z0-9._-] (a '/' included)
 * @retval -ENAMETOOLONG  longer than SHMSEQ_NAME_MAX
 */
int shmseq_name_check(const char *name);

/**
 * @brief Open the region @p name as its only writer, creating it if needed
 *        or taking it over from a writer that died.
 *
 * A new region is created with permission cfg->mode (0600 by default) and
 * its full size reserved. An existing one is checked; if its last writer
 * died, this writer repairs the slot it may have left half-written,
 * increments the epoch and continues the sample numbering, and sets
 * cfg->mode on it if it is ours. An empty object (a creator that died
 * before sizing it) is formatted in place; anything else that is not a
 * region of this geometry is refused, or with SHMSEQ_WRITER_RECREATE
 * removed and created afresh (shmseq_writer_replaced() then says why). The
 * exclusion is a kernel lock on the region, released if this process dies.
 *
 * @param[out] w     handle to initialise
 * @param[in]  name  region name (see shmseq_name_check())
 * @param[in]  cfg   width, capacity, mode, flags
 * @retval 0              open; the caller is the writer
 * @retval -EINVAL        bad name, width, capacity, mode or flags
 * @retval -ENAMETOOLONG  name too long
 * @retval -EBUSY         another writer holds the region
 * @retval -EEXIST        the region exists with another width or capacity
 *                        (use SHMSEQ_WRITER_RECREATE or shmseq_unlink())
 * @retval -EPROTO        the region has another layout version or byte order
 * @retval -EBADMSG       the object under the name is not empty and not a
 *                        valid region: corrupt, half-made by a creator that
 *                        died after sizing it, or any other file (use
 *                        SHMSEQ_WRITER_RECREATE or shmseq_unlink())
 * @retval -EACCES        permission denied
 * @retval -EPERM         the existing region belongs to another user (and
 *                        cfg->flags lacks SHMSEQ_WRITER_ANY_OWNER), or it
 *                        does and its mode grants more than cfg->mode (and
 *                        cfg->flags lacks SHMSEQ_WRITER_ANY_MODE)
 * @retval -EINVAL        (also) the name is not a regular file
 * @retval -EMLINK        the region's file has a second name (a hard link
 *                        planted under it): refused
 * @retval -ENOSPC        not enough shared memory for the region
 * @retval -ENOMEM        the mapping failed (out of memory or address
 *                        space); another mmap error is returned as it is
 * @retval -ENOSYS        no POSIX shared memory here (/dev/shm missing)
 *
 * @warning The writer lock belongs to the open file description, so a
 *          child forked while the writer is open shares it: the region
 *          counts as held until both have closed it (or the child has
 *          exec'd: the descriptor is close-on-exec). Close the writer, or
 *          fork before opening it, if the child must not keep it held.
 */
int shmseq_writer_open(shmseq_writer *w, const char *name,
                       const shmseq_config *cfg);

/**
 * @brief What an open with SHMSEQ_WRITER_RECREATE removed before it created
 *        the region afresh: for the caller to report (the library prints
 *        nothing).
 * @retval 0         nothing was replaced (created, or taken over)
 * @retval -EEXIST   a region of another width or capacity
 * @retval -EPROTO   a region of another layout version or byte order
 * @retval -EBADMSG  a corrupt or half-made region, or any other non-empty
 *                   file under the name
 */
int shmseq_writer_replaced(const shmseq_writer *w);

/**
 * @brief Publish one sample of the region's width.
 *
 * Never blocks and never allocates; makes a system call only if a reader is
 * asleep waiting (to wake it).
 *
 * @param[in] w             an open writer
 * @param[in] values        width float64 values
 * @param[in] timestamp_ns  usually shmseq_now_ns()
 * @retval 0  published (publishing cannot fail)
 * @warning One thread per writer handle.
 */
int shmseq_publish(shmseq_writer *w, const double *values,
                   uint64_t timestamp_ns);

/** @brief Sample number the next shmseq_publish() will get. */
uint64_t shmseq_writer_next(const shmseq_writer *w);

/** @brief The writer's epoch (1 for the first writer, +1 per takeover). */
uint32_t shmseq_writer_epoch(const shmseq_writer *w);

/**
 * @brief Stop writing: release the region (it stays, for readers and the
 *        next writer; remove it with shmseq_unlink()). Safe to call twice.
 */
void shmseq_writer_close(shmseq_writer *w);

/**
 * @brief Attach to the region @p name as a reader.
 *
 * Maps the region read-only. If the caller may write the object, the
 * reader also maps the header writable so it can sleep in
 * shmseq_read_wait(); otherwise it polls.
 *
 * @param[out] r      handle to initialise
 * @param[in]  name   region name
 * @param[in]  flags  SHMSEQ_START_LATEST (default 0) or SHMSEQ_START_OLDEST,
 *                    optionally OR SHMSEQ_READER_POLL, SHMSEQ_READER_ANY_OWNER
 * @retval 0              attached
 * @retval -EINVAL        bad name or flags
 * @retval -ENAMETOOLONG  name too long
 * @retval -ENOENT        no region of that name (yet)
 * @retval -EAGAIN        the region is being created (or its name is an
 *                        empty object, which the next writer formats);
 *                        try again shortly
 * @retval -EPROTO        another layout version or byte order
 * @retval -EBADMSG       corrupt region, the file is smaller than its
 *                        header says, or a half-made region whose creator
 *                        died after sizing it (no writer holds it)
 * @retval -EACCES        permission denied
 * @retval -EPERM         the region belongs to another user (and @p flags
 *                        lacks SHMSEQ_READER_ANY_OWNER)
 * @retval -EMLINK        the region's file has a second name (a planted
 *                        hard link): refused
 * @retval -ENOMEM        the mapping failed (out of memory or address
 *                        space); another mmap error is returned as it is
 * @retval -ENOSYS        no POSIX shared memory here (/dev/shm missing)
 */
int shmseq_reader_open(shmseq_reader *r, const char *name, unsigned flags);

/**
 * @brief Read the next sample without waiting.
 * @retval 0          copied; meta->lost counts samples skipped before it
 * @retval -EAGAIN    nothing new yet
 * @retval -EMSGSIZE  @p max_values smaller than the width; nothing consumed
 */
int shmseq_read(shmseq_reader *r, shmseq_sample *meta, double *values,
                uint32_t max_values);

/**
 * @brief Read the next sample, sleeping up to @p timeout_ns for one.
 *
 * Sleeps on the region's futex word when possible (no CPU used while
 * idle), else polls with short naps (a read-only mapping, SHMSEQ_READER_POLL,
 * or a writer opened with SHMSEQ_WRITER_NO_WAKE). With a spin budget (see
 * shmseq_reader_set_spin()) it first polls that long, then sleeps.
 *
 * @param[in] timeout_ns  0: do not wait; negative: wait forever
 * @retval 0           copied
 * @retval -ETIMEDOUT  nothing arrived in time
 * @retval -EINTR      a signal interrupted the wait (check your flag)
 * @retval -EMSGSIZE   @p max_values smaller than the width
 * @retval -EBADMSG    the region was truncated or destroyed under the
 *                     reader (checked each time it is about to sleep; see
 *                     docs/reliability.md): close the reader
 */
int shmseq_read_wait(shmseq_reader *r, shmseq_sample *meta, double *values,
                     uint32_t max_values, int64_t timeout_ns);

/**
 * @brief Read up to @p max_n samples in one call without waiting: what
 *        calling shmseq_read() until -EAGAIN or @p max_n samples would
 *        copy, with the same loss accounting (meta[i].lost counts the
 *        samples skipped just before sample i; received + lost still
 *        equals the samples published since attaching).
 *
 * Sample i goes to meta[i] and values[i * stride ...] (width values), so a
 * values array of @p max_n rows of @p stride doubles (stride = width for a
 * dense N x width matrix) is filled row by row.
 *
 * @code
 * shmseq_sample meta[256];
 * double v[256][3];                       // a region of width 3
 * int n = shmseq_read_many(&r, meta, &v[0][0], 3, 256);
 * for (int i = 0; i < n; i++)
 *     store(meta[i].seq, v[i]);
 * @endcode
 *
 * @param[in]  r       an open reader
 * @param[out] meta    @p max_n entries, or NULL
 * @param[out] values  @p max_n x @p stride doubles, or NULL with stride 0
 * @param[in]  stride  doubles from one sample's values to the next's, at
 *                     least the width
 * @param[in]  max_n   most samples to copy, at least 1
 * @return the number of samples copied, 1..max_n, or:
 * @retval -EAGAIN    nothing new yet
 * @retval -EMSGSIZE  @p stride smaller than the width; nothing consumed
 * @retval -EINVAL    @p max_n is 0
 */
int shmseq_read_many(shmseq_reader *r, shmseq_sample *meta, double *values,
                     uint32_t stride, uint32_t max_n);

/**
 * @brief shmseq_read_many(), sleeping up to @p timeout_ns until at least
 *        one sample is there.
 *
 * Waits exactly as shmseq_read_wait() does for the first sample, then
 * takes whatever else is already there (up to @p max_n in all) without
 * waiting again: it returns as soon as one sample is available.
 *
 * @param[in] timeout_ns  0: do not wait; negative: wait forever
 * @return the number of samples copied, 1..max_n, or:
 * @retval -ETIMEDOUT  nothing arrived in time
 * @retval -EINTR      a signal interrupted the wait
 * @retval -EMSGSIZE   @p stride smaller than the width; nothing consumed
 * @retval -EINVAL     @p max_n is 0
 * @retval -EBADMSG    the region was truncated or destroyed under the
 *                     reader (as shmseq_read_wait())
 */
int shmseq_read_many_wait(shmseq_reader *r, shmseq_sample *meta,
                          double *values, uint32_t stride, uint32_t max_n,
                          int64_t timeout_ns);

/**
 * @brief Read the newest sample, skipping (and counting as lost) older
 *        unread ones.
 * @retval 0          copied
 * @retval -EAGAIN    nothing newer than the last sample returned
 * @retval -EMSGSIZE  @p max_values smaller than the width
 */
int shmseq_read_latest(shmseq_reader *r, shmseq_sample *meta, double *values,
                       uint32_t max_values);

/**
 * @brief Spin-then-sleep: make shmseq_read_wait() poll the ring for up to
 *        @p spin_ns before it sleeps (or naps).
 *
 * A sample that arrives within the budget is taken at polling latency (no
 * wake-up on the path); a reader left idle goes to sleep after the budget
 * and uses no CPU. A budget a little above the sample period keeps a fast
 * stream at polling latency; the cost is up to @p spin_ns of CPU per sample
 * for slow streams. 0 (the default) sleeps at once.
 */
void shmseq_reader_set_spin(shmseq_reader *r, uint64_t spin_ns);

/** @brief Values per sample of the reader's region. */
uint32_t shmseq_reader_width(const shmseq_reader *r);

/**
 * @brief Number of the next sample the writer will publish, read through
 *        the reader's own mapping: exact even after the region's name was
 *        removed. Samples published since attaching: this minus
 *        shmseq_reader_stats.first.
 */
uint64_t shmseq_reader_head(const shmseq_reader *r);

/** @brief The reader's counters since it attached. */
void shmseq_reader_get_stats(const shmseq_reader *r, shmseq_reader_stats *out);

/**
 * @brief 1 if a writer currently holds the reader's region, 0 if none,
 *        negative errno if that cannot be told.
 *
 * A system call or two (it probes the region's name); not for every read.
 * @retval -ESTALE  the name now names another region: a writer removed
 *                  and recreated it (SHMSEQ_WRITER_RECREATE, another width
 *                  or capacity) or `shmseq rm` and a new writer did. This
 *                  reader's mapping will never see a new sample; close it
 *                  and open the name again to follow the new region.
 * @retval -ENOENT  the name was removed (nothing new can reach it by name)
 */
int shmseq_reader_writer_alive(const shmseq_reader *r);

/** @brief Detach and unmap. Safe to call twice. */
void shmseq_reader_close(shmseq_reader *r);

/**
 * @brief sizeof(shmseq_writer) and sizeof(shmseq_reader) in this build of
 *        the library, for bindings that allocate handles without the C
 *        headers (the Python package over libshmseq.so, through ctypes).
 *        Allocate at least this many bytes, aligned to 8.
 */
size_t shmseq_writer_handle_size(void);
size_t shmseq_reader_handle_size(void); /**< @copydoc shmseq_writer_handle_size */

/**
 * @brief Remove the region @p name (readers attached keep their mapping).
 *
 * Same as shmseq_remove(@p name, 0): the name is removed while holding the
 * region's writer lock, so no writer can take the region over meanwhile.
 * @retval 0        removed
 * @retval -EINVAL / -ENAMETOOLONG  bad name, or not a regular file
 * @retval -ENOENT  no such region
 * @retval -EBUSY   a writer holds it (stop the writer first)
 * @retval -EACCES  permission denied (taking the lock needs write access)
 * @retval -EMLINK  the region's file has a second name (a planted hard link)
 */
int shmseq_unlink(const char *name);

/** shmseq_remove() flags. */
#define SHMSEQ_REMOVE_FORCE 0x1u /**< remove even while a writer holds it */

/**
 * @brief Remove the region @p name, optionally even while a writer holds it
 *        (the writer and attached readers keep their mappings; the name is
 *        gone, so the next writer creates a new region).
 * Without SHMSEQ_REMOVE_FORCE it takes the region's writer lock (as a
 * writer would), checks that the name still refers to the locked object,
 * and only then removes the name: a writer cannot take the region over in
 * between and be left writing into a removed object.
 * @retval 0        removed
 * @retval -EINVAL / -ENAMETOOLONG  bad name or unknown flags, or (not
 *                  forced) not a regular file
 * @retval -ENOENT  no such region
 * @retval -EBUSY   a writer holds it and SHMSEQ_REMOVE_FORCE was not given
 * @retval -EACCES  permission denied (without SHMSEQ_REMOVE_FORCE, write
 *                  access to the object is needed to take its lock)
 * @retval -EMLINK  (not forced) the region's file has a second name
 */
int shmseq_remove(const char *name, unsigned flags);

/**
 * @brief Call @p fn with the name of every shmseq region on this system
 *        (for tools such as `shmseq ls`), in no particular order.
 *
 * @param[in] fn   called once per region; a nonzero return stops the walk
 *                 and is returned
 * @param[in] ctx  passed to @p fn
 * @retval 0        every region visited
 * @retval >0 or <0 what @p fn returned to stop the walk
 * @retval -ENOSYS  no POSIX shared memory here (/dev/shm missing)
 */
int shmseq_list(int (*fn)(void *ctx, const char *name), void *ctx);

/**
 * @brief Describe region @p name without attaching to it.
 *
 * Never maps the region: the header and the slot before head are copied
 * with reads, so a region its owner truncates meanwhile gives -EBADMSG,
 * never a SIGBUS.
 * @retval 0  @p out filled (writer_alive included)
 * @retval -ENOENT, -EAGAIN, -EPROTO, -EBADMSG, -EACCES, -EINVAL,
 *         -EMLINK, -ENAMETOOLONG, -ENOSYS  as shmseq_reader_open()
 * @note Describes regions of any owner (it only reads the header).
 */
int shmseq_info(const char *name, shmseq_region_info *out);

/** @brief CLOCK_MONOTONIC in nanoseconds (the sample timestamp clock). */
uint64_t shmseq_now_ns(void);

/**
 * @brief Sleep @p ns nanoseconds (at least; a polling loop's nap). For a
 *        periodic task use shmseq_task_wait(), which does not drift.
 * @retval 0        slept
 * @retval -EINTR   a signal interrupted the sleep
 * @retval -ENOSYS  the platform cannot sleep
 */
int shmseq_sleep_ns(uint64_t ns);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_REGION_H */
