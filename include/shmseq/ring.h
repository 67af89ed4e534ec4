/* SPDX-License-Identifier: MIT */
/*
 * shmseq core: the seqlock sample ring on memory the caller provides.
 *
 * This is the OS-free half of shmseq. It formats a region in any memory
 * (a static array, a shared mapping, an RTOS heap block), checks an
 * untrusted one, publishes samples and reads them. It never allocates and
 * makes no system call; it uses only C11 <stdatomic.h>. The named-region
 * API in <shmseq/region.h> is built on it plus the port layer.
 *
 * Concurrency rules:
 *  - exactly one writer per region at a time (the caller enforces it; the
 *    named-region API does so with a kernel lock);
 *  - any number of readers, each with its own shmseq_ring_reader in its own
 *    memory; readers never write the slots or the header's static and
 *    writer lines (they touch only the reader-control line, and only in
 *    shmseq_ring_sleep());
 *  - a handle is used by one thread at a time.
 *
 * @code
 * static uint8_t mem[SHMSEQ_HEADER_SIZE + 16 * 64] __attribute__((aligned(64)));
 * shmseq_ring_writer w;
 * shmseq_ring_reader r;
 * shmseq_sample meta;
 * double in[2] = {1.0, 2.0}, out[2];
 *
 * shmseq_ring_format(mem, sizeof mem, 2, 16, 0, 0);   // width 2, capacity 16
 * shmseq_ring_writer_attach(&w, mem, sizeof mem);
 * shmseq_ring_reader_attach(&r, mem, sizeof mem, SHMSEQ_START_OLDEST);
 * shmseq_ring_publish(&w, in, 42);
 * if (shmseq_ring_read(&r, &meta, out, 2) == 0)
 *     printf("#%llu lost %llu\n", (unsigned long long)meta.seq,
 *            (unsigned long long)meta.lost);
 * @endcode
 */
#ifndef SHMSEQ_RING_H
#define SHMSEQ_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <shmseq/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Layout version written into every region; bumped on any layout change. */
#define SHMSEQ_LAYOUT_VERSION 3u
/** Largest number of float64 values per sample. */
#define SHMSEQ_WIDTH_MAX 64u
/** Smallest and largest ring capacity (slots); always a power of two. */
#define SHMSEQ_CAPACITY_MIN 2u
#define SHMSEQ_CAPACITY_MAX (1u << 20)
/**
 * Alignment and granule of the shared layout, in bytes. Fixed at 64 on every
 * ABI so that 32- and 64-bit processes of any architecture compute the same
 * offsets (invariant 6); see docs/layout.md.
 */
#define SHMSEQ_LINE_SIZE 64u
/**
 * The largest page size the layout keeps apart (64 KiB: arm64 and ppc64
 * kernels; 4 and 16 KiB divide it). The reader-control line and the ring
 * each start on a multiple of it, so that on any such kernel a reader can
 * map the reader-control line writable without a byte of the static and
 * writer lines or of the ring (invariant 3); see docs/layout.md.
 */
#define SHMSEQ_PAGE_MAX 65536u
/** Offset of the reader-control line, alone on its page. */
#define SHMSEQ_CTL_OFFSET SHMSEQ_PAGE_MAX
/** Bytes before the first slot: the static and writer lines on the first
 *  SHMSEQ_PAGE_MAX bytes, the reader-control line on the second. */
#define SHMSEQ_HEADER_SIZE (2u * SHMSEQ_PAGE_MAX)
/** Bytes at the start of a region that describe it (the static and writer
 *  lines): what shmseq_ring_check_header() needs a copy of. */
#define SHMSEQ_HEADER_COPY_SIZE (2u * SHMSEQ_LINE_SIZE)

/** Where a new reader starts. */
enum shmseq_start {
    SHMSEQ_START_LATEST = 0, /**< with the next sample published after attaching */
    SHMSEQ_START_OLDEST = 1, /**< with the oldest sample still in the ring */
};

/** Reader flags (OR-ed with one shmseq_start value). */
#define SHMSEQ_READER_POLL 0x10u /**< never sleep on the futex word: poll */

/** What one read returns besides the values. */
typedef struct shmseq_sample {
    uint64_t seq;          /**< sample number: 0, 1, 2, ... per region */
    uint64_t timestamp_ns; /**< the writer's timestamp (CLOCK_MONOTONIC ns) */
    uint64_t lost;         /**< samples skipped (lost) just before this one */
    uint32_t epoch;        /**< writer epoch that published it (1 = first) */
    uint32_t width;        /**< values in this sample */
} shmseq_sample;

/** Counters of one reader since it attached. */
typedef struct shmseq_reader_stats {
    uint64_t received; /**< samples returned */
    uint64_t lost;     /**< samples skipped; received + lost == next - first */
    uint64_t first;    /**< sample number the reader started at */
    uint64_t next;     /**< sample number it expects next */
    uint32_t epoch;    /**< epoch of the last sample returned (0: none yet) */
    uint32_t epoch_changes; /**< times a new writer epoch was seen */
} shmseq_reader_stats;

/** A region's header, as checked (all fields host-native). */
typedef struct shmseq_region_info {
    uint32_t layout_version;
    uint32_t header_size;
    uint32_t slot_size;
    uint32_t width;
    uint32_t capacity;
    uint32_t epoch;          /**< 0 until a writer attached */
    uint32_t writer_pid;     /**< for display only; 0 if none recorded */
    uint32_t writer_alive;   /**< named regions: 1 if a writer holds the lock */
    uint64_t region_size;    /**< bytes, as recorded in the header */
    uint64_t head;           /**< number of the next sample to be published */
    uint64_t created_realtime_ns;  /**< CLOCK_REALTIME at creation */
    uint64_t created_monotonic_ns; /**< CLOCK_MONOTONIC at creation */
    uint32_t no_wake;        /**< 1: the last writer never wakes readers
                                  (they poll), see shmseq_ring_writer_set_wake() */
} shmseq_region_info;

struct shmseq__region;      /* the shared layout, core/layout.h */
struct shmseq__reader_line; /* its reader-control line */

/** A writer's handle. Caller-allocated; fields are private. */
typedef struct shmseq_ring_writer {
    struct shmseq__region *region;
    unsigned char *slots;
    uint64_t next;        /* number of the next sample */
    uint32_t width;
    uint32_t mask;        /* capacity - 1 */
    uint32_t slot_size;
    uint32_t epoch;
    /* Called after a publish when a reader sleeps on *word; NULL: no wake
     * handshake at all (publish makes no fence). Set it with
     * shmseq_ring_writer_set_wake(), which also tells the readers. */
    void (*wake)(void *ctx, void *word);
    void *wake_ctx;
} shmseq_ring_writer;

/**
 * How a reader sleeps until the writer may have published: sleep while the
 * 32-bit word at @p word still holds @p value, for at most @p timeout_ns
 * (negative: no limit), as a futex wait does. @p word is the region's, in
 * the writable view given to shmseq_ring_reader_set_sleep(); pass it to the
 * OS wait as it is. Spurious returns are fine: the reader reads again.
 *
 * @retval 0           woken, or the word no longer holds @p value
 * @retval -ETIMEDOUT  @p timeout_ns passed
 * @retval other       a negative errno, returned by shmseq_ring_sleep()
 */
typedef int (*shmseq_ring_sleep_fn)(void *ctx, void *word, uint32_t value,
                                    int64_t timeout_ns);

/** A reader's handle. Caller-allocated; fields are private. */
typedef struct shmseq_ring_reader {
    const struct shmseq__region *region;
    const unsigned char *slots;
    struct shmseq__reader_line *ctl; /* writable reader-control line, or NULL */
    shmseq_ring_sleep_fn sleep; /* NULL: the reader only polls */
    void *sleep_ctx;
    uint64_t next;
    uint64_t first;
    uint64_t received;
    uint64_t lost;
    uint64_t lost_reported; /* part of lost already reported in a meta */
    uint32_t width;
    uint32_t mask;
    uint32_t slot_size;
    uint32_t epoch;
    uint32_t epoch_changes;
    uint32_t flags;
} shmseq_ring_reader;

/**
 * @brief Bytes a region of @p width values per sample and @p capacity slots
 *        needs (header plus slots).
 *
 * The same numbers give the same size on every ABI (invariant 8).
 *
 * @param[in] width     values per sample, 1..SHMSEQ_WIDTH_MAX
 * @param[in] capacity  slots, a power of two in
 *                      SHMSEQ_CAPACITY_MIN..SHMSEQ_CAPACITY_MAX
 * @return the size in bytes, or 0 if width or capacity is out of range.
 */
size_t shmseq_region_size(uint32_t width, uint32_t capacity);

/**
 * @brief Bytes of one slot for @p width values (a multiple of
 *        SHMSEQ_LINE_SIZE), or 0 if width is out of range.
 */
uint32_t shmseq_slot_size(uint32_t width);

/**
 * @brief Format a new, empty region in caller memory.
 *
 * Writes every header field, zeroes the slots, and publishes the magic
 * number last (release), so a concurrent checker sees either no region
 * (-EAGAIN) or a complete header. The epoch stays 0 until a writer attaches.
 *
 * @param[out] mem       memory to format, aligned to 8 bytes at least
 *                       (SHMSEQ_LINE_SIZE recommended)
 * @param[in]  size      bytes available at @p mem
 * @param[in]  width     values per sample
 * @param[in]  capacity  slots (power of two)
 * @param[in]  realtime_ns   creation time, CLOCK_REALTIME (0 if unknown)
 * @param[in]  monotonic_ns  creation time, CLOCK_MONOTONIC (0 if unknown)
 * @retval 0        formatted
 * @retval -EINVAL  width or capacity out of range, or @p mem misaligned
 * @retval -ENOSPC  @p size is smaller than shmseq_region_size()
 */
int shmseq_ring_format(void *mem, size_t size, uint32_t width,
                       uint32_t capacity, uint64_t realtime_ns,
                       uint64_t monotonic_ns);

/**
 * @brief Check an untrusted region and describe it.
 *
 * Validates magic, byte order, layout version, header size, width,
 * capacity, slot size and the recorded region size against @p size, the
 * bytes actually mapped. Reads every field once, into local memory.
 *
 * @param[in]  mem   the region (may be read-only)
 * @param[in]  size  bytes actually mapped at @p mem
 * @param[out] out   the header fields (may be NULL)
 * @retval 0         a consistent region
 * @retval -EAGAIN   no magic yet: a writer is still creating it
 * @retval -EBADMSG  not a shmseq region, or a field is inconsistent
 *                   (wrong magic, header/slot size, width, capacity,
 *                   region size, or the region is larger than @p size)
 * @retval -EPROTO   a shmseq region of another layout version or byte order
 */
int shmseq_ring_check(const void *mem, size_t size, shmseq_region_info *out);

/**
 * @brief Check a copy of a region's header, read out of an object without
 *        mapping it (with pread(), so an object truncated meanwhile is an
 *        error, never a SIGBUS), and describe it.
 *
 * As shmseq_ring_check(), against @p object_size, except that out->head
 * holds only the low 32 bits of head. To get the full number, copy
 * out->slot_size bytes at @p slot_offset of the object (the slot before
 * head) and pass them to shmseq_ring_info_head().
 *
 * @param[in]  hdr          a copy of the first SHMSEQ_HEADER_COPY_SIZE
 *                          bytes (or more), 4-byte aligned
 * @param[in]  hdr_size     bytes at @p hdr
 * @param[in]  object_size  the size of the object the copy came from
 * @param[out] out          the header fields
 * @param[out] slot_offset  where the slot before head starts in the object
 * @retval 0, -EAGAIN, -EBADMSG, -EPROTO  as shmseq_ring_check()
 * @retval -EINVAL  a NULL or misaligned pointer
 */
int shmseq_ring_check_header(const void *hdr, size_t hdr_size,
                             uint64_t object_size, shmseq_region_info *out,
                             uint64_t *slot_offset);

/**
 * @brief Complete info->head from a copy of the slot before head (see
 *        shmseq_ring_check_header()): the full 64-bit number if the slot
 *        confirms the low 32 bits; if a writer lapped it (a later sample
 *        there), the number with those low bits nearest the slot's, as
 *        shmseq_ring_check() does; else info->head is left as it was.
 * @param[in]     slot       the copy, 4-byte aligned; a copy the writer
 *                           changed while it was taken must not be passed
 *                           (copy twice and compare)
 * @param[in]     slot_size  bytes at @p slot (at least info->slot_size)
 */
void shmseq_ring_info_head(shmseq_region_info *info, const void *slot,
                           size_t slot_size);

/**
 * @brief Become the writer of a formatted region, taking it over if a
 *        previous writer left it.
 *
 * Checks the region, finds the next sample number, repairs the slot a dead
 * writer may have left half-written (it is marked overwritten, so readers
 * that expected it count it lost), and increments the epoch. The caller
 * must guarantee that no other writer is attached. The writer starts with
 * no wake call (w->wake NULL) and the region marked "readers may sleep":
 * call shmseq_ring_writer_set_wake() next.
 *
 * @param[out] w     the handle to initialise
 * @param[in]  mem   the region, writable
 * @param[in]  size  bytes mapped at @p mem
 * @retval 0  attached; w->epoch is the new epoch
 * @retval -EAGAIN, -EBADMSG, -EPROTO  as shmseq_ring_check()
 */
int shmseq_ring_writer_attach(shmseq_ring_writer *w, void *mem, size_t size);

/**
 * @brief Choose how this writer serves readers that want to sleep.
 *
 * @p readers_sleep true: every publish runs the wake handshake (one full
 * fence, then a look at the "waiting" flag) and calls @p wake while a
 * reader sleeps; @p wake NULL means nobody can sleep here (in-process
 * polling use), and publish makes neither the fence nor a call.
 *
 * @p readers_sleep false ("never wakes"): the region is marked so, readers
 * stop sleeping on the futex word and poll, and publish makes no fence and
 * no call: only the slot stores and the head store. Readers already asleep
 * (they slept under an earlier writer) are woken once, here, through
 * @p wake, and a reader about to sleep either sees the mark or is woken:
 * the same Dekker handshake as publish, run once per change.
 *
 * Not for the hot path: call it after attach (the default after attach is
 * readers_sleep with no wake call) and whenever the choice changes.
 */
void shmseq_ring_writer_set_wake(shmseq_ring_writer *w,
                                 void (*wake)(void *ctx, void *word),
                                 void *ctx, bool readers_sleep);

/**
 * @brief Publish one sample.
 *
 * Never blocks, never allocates, makes no system call; calls w->wake (if
 * set) only while a reader sleeps. A reader that is slow, stopped or dead
 * changes nothing here (invariant 2).
 *
 * @param[in] w             the writer
 * @param[in] values        w's width values
 * @param[in] timestamp_ns  stored with the sample
 * @return 0 (cannot fail)
 * @warning One writer only; not thread-safe on the same handle.
 */
int shmseq_ring_publish(shmseq_ring_writer *w, const double *values,
                        uint64_t timestamp_ns);

/**
 * @brief Record the writer's process id in the header, for display only
 *        (liveness is decided by the port's lock, never by this number).
 */
void shmseq_ring_writer_set_pid(shmseq_ring_writer *w, uint32_t pid);

/** @brief Number of the next sample @p w will publish. */
uint64_t shmseq_ring_writer_next(const shmseq_ring_writer *w);

/**
 * @brief Attach a reader to a region.
 *
 * @param[out] r      the handle to initialise
 * @param[in]  mem    the region (read-only is enough)
 * @param[in]  size   bytes mapped at @p mem
 * @param[in]  flags  SHMSEQ_START_LATEST or SHMSEQ_START_OLDEST, optionally
 *                    OR SHMSEQ_READER_POLL
 * @retval 0        attached
 * @retval -EINVAL  unknown flags
 * @retval -EAGAIN, -EBADMSG, -EPROTO  as shmseq_ring_check()
 */
int shmseq_ring_reader_attach(shmseq_ring_reader *r, const void *mem,
                              size_t size, unsigned flags);

/**
 * @brief Let the reader sleep until the writer publishes (blocking reads).
 *        Without it the reader can only poll.
 *
 * The reader announces that it sleeps in the region's reader-control line
 * (layout.md), so it needs that line writable even when the rest of the
 * region is mapped read-only. The line is alone on its page, so a
 * writable mapping of that page exposes nothing else.
 *
 * @param[in] r      the reader
 * @param[in] ctl    the region's reader-control line (SHMSEQ_CTL_OFFSET
 *                   bytes into the same region), mapped writable, or NULL
 *                   to poll
 * @param[in] sleep  how to sleep (a futex wait; see shmseq_ring_sleep_fn),
 *                   or NULL to poll
 * @param[in] ctx    passed to @p sleep
 */
void shmseq_ring_reader_set_sleep(shmseq_ring_reader *r, void *ctl,
                                  shmseq_ring_sleep_fn sleep, void *ctx);

/**
 * @brief Read the next sample, if there is one.
 *
 * If the writer has overwritten samples the reader had not read, the reader
 * skips ahead and meta->lost says how many were skipped (invariant 5).
 *
 * @param[in]  r           the reader
 * @param[out] meta        sample number, timestamp, epoch, loss (may be NULL)
 * @param[out] values      receives meta->width values; untouched on error
 * @param[in]  max_values  room at @p values; may be 0 only with values NULL
 * @retval 0          a sample was copied
 * @retval -EAGAIN    no new sample yet (a sample whose slot the writer is
 *                    already overwriting counts as lost, never waited for)
 * @retval -EMSGSIZE  @p max_values is smaller than the region's width;
 *                    nothing was consumed
 */
int shmseq_ring_read(shmseq_ring_reader *r, shmseq_sample *meta,
                     double *values, uint32_t max_values);

/**
 * @brief Read up to @p max_n samples in one call: the same as calling
 *        shmseq_ring_read() until it returns -EAGAIN or @p max_n samples
 *        were copied, with the same loss accounting (meta[i].lost counts
 *        the samples skipped just before sample i).
 *
 * Sample i goes to meta[i] and values[i * stride .. i * stride + width - 1].
 *
 * @param[in]  r       the reader
 * @param[out] meta    room for @p max_n entries, or NULL
 * @param[out] values  room for @p max_n x @p stride values, or NULL (then
 *                     @p stride must be 0)
 * @param[in]  stride  values between the starts of two samples at
 *                     @p values, at least the region's width
 * @param[in]  max_n   most samples to copy, at least 1
 * @return the number of samples copied (1..max_n), or:
 * @retval -EAGAIN    no new sample yet
 * @retval -EMSGSIZE  @p stride is smaller than the region's width; nothing
 *                    was consumed
 * @retval -EINVAL    @p max_n is 0
 */
int shmseq_ring_read_many(shmseq_ring_reader *r, shmseq_sample *meta,
                          double *values, uint32_t stride, uint32_t max_n);

/**
 * @brief Read the newest sample, skipping (and counting as lost) any older
 *        unread ones.
 *
 * @retval 0          the newest sample was copied
 * @retval -EAGAIN    nothing newer than what this reader already returned
 * @retval -EMSGSIZE  as shmseq_ring_read()
 */
int shmseq_ring_read_latest(shmseq_ring_reader *r, shmseq_sample *meta,
                            double *values, uint32_t max_values);

/**
 * @brief Number of the next sample the writer will publish, as seen through
 *        @p r's mapping (so still answerable after the region was removed).
 *        Published since the reader attached: head - stats.first.
 */
uint64_t shmseq_ring_reader_head(const shmseq_ring_reader *r);

/** @brief True if a sample is ready for @p r (one load; no copy). */
bool shmseq_ring_ready(const shmseq_ring_reader *r);

/** @brief The reader's counters. */
void shmseq_ring_reader_stats(const shmseq_ring_reader *r,
                              shmseq_reader_stats *out);

/** @brief Values per sample of the reader's region. */
uint32_t shmseq_ring_reader_width(const shmseq_ring_reader *r);

/** @brief True if @p r can sleep: it was given a way to
 *         (shmseq_ring_reader_set_sleep), was not opened with
 *         SHMSEQ_READER_POLL, and the writer has not marked the region
 *         "never wakes". */
bool shmseq_ring_reader_can_sleep(const shmseq_ring_reader *r);

/**
 * @brief Sleep until the writer publishes, unless a sample is ready.
 *
 * Call it after a read returned -EAGAIN. It announces the sleep to the
 * writer, looks once more, and sleeps through the function given to
 * shmseq_ring_reader_set_sleep(). No wake-up is lost: a sample published
 * after the reader's look wakes it (docs/protocol.md, "Blocking reads"). A
 * reader killed asleep costs the writer one wake call, never more.
 *
 * @param[in] r           the reader
 * @param[in] timeout_ns  at most this long (negative: no limit)
 * @retval 0           woken, or a sample is ready: read again
 * @retval -EAGAIN     this reader cannot sleep (no sleep function, opened
 *                     with SHMSEQ_READER_POLL, or the writer never wakes
 *                     readers): poll instead
 * @retval -ETIMEDOUT  @p timeout_ns passed with no publish
 * @retval other       a negative errno from the sleep function
 */
int shmseq_ring_sleep(shmseq_ring_reader *r, int64_t timeout_ns);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_RING_H */
