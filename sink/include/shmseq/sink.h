/* SPDX-License-Identifier: MIT */
/*
 * shmseq sinks: where the logger's records go. A sink is an ops table
 * (open, begin, write a batch, flush, sync, close), as the bsp's sensor
 * drivers are (Zephyr's sensor API is the model); the caller holds a
 * shmseq_sink handle that carries the exact accounting of every record it
 * was given. Built in: "csv" and "bin" (files in the formats of
 * shmseq/logfmt.h, with buffering, rotation and a durability policy), and
 * "sqlite" (a database, sink/sqlite.c) when the build found libsqlite3.
 * The database and broker sinks plug into the same table, so the logger's
 * read loop and the fleet ingest never know which one they feed.
 *
 * Records, not region samples, go in: a sink depends on the log format
 * (shmseq/logfmt.h) and the C library only, never on the region API, so a
 * process that receives records from elsewhere (the fleet end of a
 * broker) stores them with the same code.
 *
 * Accounting: every record given to shmseq_sink_write() is in exactly
 * one of three counts: pending (buffered, not yet handed to the output),
 * k->written (handed to the output, and no later sync or close failure
 * put it in doubt) or k->lost_io (could not be stored). After
 * shmseq_sink_close(), nothing is pending:
 * records given == k->written + k->lost_io.
 *
 * Errors: every call returns 0 or a negative errno value. The first
 * failure is sticky (as stdio's error flag): k->error keeps it, k->why
 * says what failed and where in one sentence (no program name), every
 * later write counts its records as lost to I/O and returns the same
 * error, and the sink is never written again. Calls are not thread-safe:
 * one thread owns a sink.
 *
 * @code
 * static shmseq_sink k;   // large (messages, state): static or heap
 * shmseq_sink_config cfg = { .target = "imu.bin", .sync_ns = 1000000000u };
 * int rc = shmseq_sink_open(&k, "bin", &cfg);  // before waiting for data
 * if (rc < 0) { fprintf(stderr, "logger: %s\n", k.why); return 1; }
 * shmseq_sink_begin(&k, &header);              // width, region, head
 * while (running) {
 *     ... read a record r ...
 *     if (shmseq_sink_write(&k, &r, 1, now) < 0 && !said) { ... k.why ... }
 *     shmseq_sink_tick(&k, now);              // the time-based sync
 * }
 * shmseq_sink_close(&k);                       // flush, sync, release
 * printf("%llu stored, %llu lost\n", k.written, k.lost_io);
 * @endcode
 *
 * Adding a sink: docs/logging.md ("Adding a sink").
 */
#ifndef SHMSEQ_SINK_H
#define SHMSEQ_SINK_H

#include <stddef.h>
#include <stdint.h>

#include <shmseq/logfmt.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes of sink-private state inside every shmseq_sink (no malloc for
 *  small sinks; a sink needing more allocates at open, frees at close). */
#define SHMSEQ_SINK_STATE_SIZE 256u
/** Room for the name of the current output ("imu.bin.000003", "stdout"). */
#define SHMSEQ_SINK_WHERE_SIZE 4096u
/** Room for the sentence saying why the sink failed. */
#define SHMSEQ_SINK_WHY_SIZE 512u

typedef struct shmseq_sink shmseq_sink;

/** What the caller asks of a sink; copied at open (strings borrowed: they
 *  must outlive the sink). */
typedef struct shmseq_sink_config {
    /** Where the records go: a file path ("-" is stdout, CSV only), a
     *  database file, a broker URL, as the sink defines. */
    const char *target;
    /** Sink-specific "key=value,..." parameters; NULL or "" for defaults. */
    const char *params;
    /** Nonzero: replace an existing target; zero: refuse it (-EEXIST). */
    int force;
    /** File sinks: start a new file before one would exceed this many
     *  bytes; the sqlite sink: the most the database may hold (then
     *  SQLITE_FULL); 0 never. Other sinks refuse a nonzero value
     *  (-EINVAL). */
    uint64_t max_bytes;
    /** Make the stored records durable every N records; 0 off. */
    uint64_t sync_records;
    /** Make them durable every T nanoseconds (shmseq_sink_tick()); 0 off.
     *  Whatever the policy, close makes everything durable. */
    uint64_t sync_ns;
    /** The region's channel names, comma-separated ("ax,ay,az"), for
     *  sinks that name columns (sqlite); NULL or "": v0, v1, ... File
     *  sinks ignore it (their formats fix the names). */
    const char *channels;
    /** The node (host) the region's writer runs on, for sinks that record
     *  where records came from (sqlite); NULL: this host's name. */
    const char *node;
} shmseq_sink_config;

/**
 * A sink. Every op but @c summary and the optional ones at the end
 * (@c resume, @c tick, @c status, @c gap: NULL allowed) is required
 * (shmseq_sink_open() returns -ENOSYS for a table that lacks one). The wrapper functions below call
 * the ops; callers never call an op directly. Every op is called from the
 * one thread that owns the sink, in a normal (non-real-time) context; any
 * op may block on I/O.
 *
 * Accounting contract for the ops: an op reports only what reached the
 * output, by adding to k->written (and the same number to k->unsynced)
 * and to k->bytes. When an op fails it returns -errno, having said why
 * with shmseq_sink_fail(); the wrapper then counts every record still
 * pending as lost to I/O. An op whose output may have dropped records it
 * had accepted (a failed fsync or close of a file) moves them from
 * k->written to k->lost_io itself (k->unsynced says how many).
 */
typedef struct shmseq_sink_ops {
    /** Name given to shmseq_sink_open() and --format ("csv", "bin"). */
    const char *name;
    /** One line for --help listings. */
    const char *summary;
    /**
     * Claim the target of k->cfg: create the file, open the database,
     * connect. Called once, before the record width is known (the logger
     * opens its output before it waits for the region, so a refused
     * target fails at once). Must not leave a half-made target behind on
     * failure; must set k->where, k->kind and k->durable.
     * @retval 0, -EEXIST (target exists and k->cfg.force is 0), -EINVAL
     *         (a config or parameter this sink cannot honour), or -errno.
     */
    int (*open)(shmseq_sink *k);
    /**
     * Start the run described by @p h (width, region identity, the first
     * sample number): write a file header, create a table. Called once,
     * after open and before the first write; k->header already holds @p h.
     */
    int (*begin)(shmseq_sink *k, const shmseq_log_header *h);
    /**
     * Take @p n records (n >= 1, each of k->header.width values) in
     * order. May buffer them; may hand the buffer to the output when it
     * fills (rotation included).
     */
    int (*write)(shmseq_sink *k, const shmseq_log_record *r, size_t n);
    /** Hand every buffered record to the output (write(2), COMMIT,
     *  PUBLISH); after success nothing is pending. */
    int (*flush)(shmseq_sink *k);
    /** Flush, then make everything written durable (fsync(2); a durable
     *  commit; a broker's acknowledgement). A target that cannot be made
     *  durable (a pipe, a terminal, a character device) returns 0 and has
     *  k->durable == 0. */
    int (*sync)(shmseq_sink *k);
    /**
     * Release everything open took. Called exactly once, always (after a
     * failure too), after the wrapper's final sync. Called without begin
     * (the caller gave up before any record), it removes what open created
     * when it can, so a run that never started leaves nothing behind.
     */
    int (*close)(shmseq_sink *k);

    /* Optional ops (NULL: the wrapper does without). A file holds one run
     * and is never appended to, so the file sinks need none of them; a
     * database outlives its writers, so the sqlite sink has them all. */

    /**
     * Where the stored data of the region @p h names (h->name and
     * h->created_realtime_ns) ends, so a restarted logger continues
     * exactly there: no record stored twice, no gap for records still in
     * the ring. Called at most once, after open and before begin; the
     * sink may take its claim on that region here (a second logger of
     * the same region into the same target is refused here).
     * @param[out] next_seq  the first sample number not yet accounted for
     *                       (stored or recorded as a gap)
     * @retval 1 found (@p next_seq set), 0 nothing stored for that region,
     *         or -errno (-EBUSY: another writer holds that region's claim)
     */
    int (*resume)(shmseq_sink *k, const shmseq_log_header *h,
                  uint64_t *next_seq);
    /**
     * Time passes (shmseq_sink_tick(), every loop turn, before the time
     * sync policy): a sink that batches by time (a transaction committed
     * every T milliseconds) hands its batch on here even when no record
     * arrives.
     */
    int (*tick)(shmseq_sink *k, uint64_t now_ns);
    /**
     * One line of sink-specific state for the caller's status line
     * ("commit p50 0.4 ms p99 1.1 ms, db 2.1 MiB"): at most @p cap bytes,
     * NUL-terminated, no newline. May run a cheap query.
     */
    void (*status)(shmseq_sink *k, char *buf, size_t cap);
    /**
     * Samples @p first .. @p last are gone for @p reason, which the
     * caller knows and the records cannot say (the fleet end: "spool
     * overflow" on the board). Called between writes, after begin, at most
     * SHMSEQ_SINK_GAPS_MAX times before the next record; the ranges come
     * in order, above every record given so far. The break the next record
     * opens is recorded with @p reason over the part these samples cover,
     * and with the sink's own reason over the rest; the ranges are
     * consumed by that record, break or not.
     * @retval 0, -EINVAL (a reason the sink does not know, a range out of
     *         order or at or above the next record), or -errno
     */
    int (*gap)(shmseq_sink *k, uint64_t first, uint64_t last,
               const char *reason);
} shmseq_sink_ops;

/** The most ranges shmseq_sink_gap() takes before the next record. */
#define SHMSEQ_SINK_GAPS_MAX 4u

/**
 * An open sink. Caller-allocated (static or embedded: it is a few KiB);
 * read the public fields, never write them.
 */
struct shmseq_sink {
    const shmseq_sink_ops *ops;   /**< the sink; NULL when closed */
    shmseq_sink_config cfg;       /**< as given to open */
    shmseq_log_header header;     /**< as given to begin */
    int begun;                    /**< begin was called */
    /** 1: sync makes records durable; 0: the target cannot be synced (a
     *  pipe, a terminal, a character device): written means handed over. */
    int durable;
    /** What the output is, for messages: "file", "stdout", "FIFO",
     *  "character device", or the sink's own word. */
    const char *kind;
    int error;                    /**< the first failure (-errno), 0 none */
    uint64_t given;               /**< records given to write */
    uint64_t written;             /**< records stored (see above) */
    uint64_t unsynced;            /**< of those, not yet made durable */
    uint64_t lost_io;             /**< records that could not be stored */
    uint64_t bytes;               /**< bytes that reached the output(s) */
    uint32_t outputs;             /**< files (segments) or sessions opened */
    uint64_t last_sync_ns;        /**< when the time policy last synced */
    char where[SHMSEQ_SINK_WHERE_SIZE]; /**< the current output's name */
    char why[SHMSEQ_SINK_WHY_SIZE];     /**< why it failed; "" if not */
    /** Sink-private state; ops use shmseq_sink_state(). */
    union {
        max_align_t align_;
        unsigned char bytes[SHMSEQ_SINK_STATE_SIZE];
    } state;
};

/** @brief The sink-private state area of @p k (for the ops). */
static inline void *shmseq_sink_state(shmseq_sink *k)
{
    return k->state.bytes;
}

/**
 * @brief Open sink @p name on @p cfg->target.
 * @param[out] k     handle to initialise (zeroed first)
 * @param[in]  name  "csv", "bin", ... (shmseq_sink_at() lists them)
 * @param[in]  cfg   copied; its strings must outlive the sink
 * @retval 0        open
 * @retval -ENOENT  no sink of that name (k->why says so)
 * @retval -ENOSYS  the sink lacks a required op
 * @retval -EEXIST  the target exists and cfg->force is 0
 * @retval -EINVAL  a setting this sink cannot honour (k->why says which)
 * @retval other    -errno of creating the target (k->why says which)
 * On failure k->ops is NULL and nothing needs closing.
 */
int shmseq_sink_open(shmseq_sink *k, const char *name,
                     const shmseq_sink_config *cfg);

/**
 * @brief Start the run: @p h says the width (1..SHMSEQ_LOG_WIDTH_MAX),
 *        the region and the first sample number the output can hold.
 * @param[in] now_ns  CLOCK_MONOTONIC now (the time policy starts here)
 * @retval 0 or the sink's -errno (sticky, as for write)
 */
int shmseq_sink_begin(shmseq_sink *k, const shmseq_log_header *h,
                      uint64_t now_ns);

/**
 * @brief Store @p n records, then apply the record-count sync policy.
 * @param[in] now_ns  CLOCK_MONOTONIC now
 * @retval 0          taken (buffered or written)
 * @retval -errno     the sink failed now or earlier (k->error, k->why);
 *                    the records are counted in k->lost_io
 */
int shmseq_sink_write(shmseq_sink *k, const shmseq_log_record *r, size_t n,
                      uint64_t now_ns);

/**
 * @brief Where the stored data of region @p h ends (the optional op
 *        @c resume; for a sink without it: nothing stored). Call it after
 *        open and before begin, when starting from the oldest sample, and
 *        give the sink no record numbered below @p next_seq.
 * @retval 1  the sink holds data of that region; @p next_seq is the first
 *            sample number it does not account for
 * @retval 0  nothing stored for that region (or the sink cannot say)
 * @retval -errno  the sink's failure (k->why; sticky); -EBUSY: another
 *            writer holds the region in that target
 */
int shmseq_sink_resume(shmseq_sink *k, const shmseq_log_header *h,
                       uint64_t *next_seq);

/**
 * @brief Say why samples @p first .. @p last (inclusive) are missing, for
 *        the break the next record opens (the optional op @c gap; for a
 *        sink without it, such as csv and bin, nothing: the next record's
 *        break is the whole story).
 * @param[in] reason  one of the sink's gap reasons (docs/logging.md)
 * @retval 0 or the sink's -errno (sticky, as for write)
 */
int shmseq_sink_gap(shmseq_sink *k, uint64_t first, uint64_t last,
                    const char *reason);

/** @brief The sink's timed work (the optional op @c tick) and the
 *         time-based sync policy; call it every loop turn. */
int shmseq_sink_tick(shmseq_sink *k, uint64_t now_ns);

/**
 * @brief One line of the sink's own state for a status line, "" for a
 *        sink without the optional op @c status.
 * @return @p buf
 */
const char *shmseq_sink_status(shmseq_sink *k, char *buf, size_t cap);

/** @brief Hand every buffered record to the output. */
int shmseq_sink_flush(shmseq_sink *k);

/** @brief Flush, then make everything written durable. */
int shmseq_sink_sync(shmseq_sink *k, uint64_t now_ns);

/**
 * @brief Flush, sync and release. Afterwards nothing is pending
 *        (given == written + lost_io) and k->ops is NULL; the counters,
 *        k->where and k->why stay readable. Safe to call twice.
 * @retval 0 or the first error the sink met (k->error)
 */
int shmseq_sink_close(shmseq_sink *k);

/** @brief Records given to the sink and not yet written or lost. */
uint64_t shmseq_sink_pending(const shmseq_sink *k);

/** @brief The sink named @p name, or NULL. */
const shmseq_sink_ops *shmseq_sink_find(const char *name);

/** @brief The @p i-th built-in sink, or NULL past the last (iterate). */
const shmseq_sink_ops *shmseq_sink_at(size_t i);

/**
 * @brief For the ops: record failure @p err (negative errno) with a
 *        printf-style sentence, if it is the sink's first; later ones are
 *        ignored (the first error is the one worth saying).
 * @return @p err
 */
int shmseq_sink_fail(shmseq_sink *k, int err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_SINK_H */
