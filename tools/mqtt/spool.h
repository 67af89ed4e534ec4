/* SPDX-License-Identifier: MIT */
/*
 * The board's spool: the samples a bridge has read but the fleet end has
 * not yet acknowledged as stored, on disk, in the binary log format of
 * shmseq/logfmt.h (docs/logging.md), so a killed bridge, a rebooted board
 * or a broker that acknowledged and then lost a message costs nothing.
 *
 * One spool per region instance: a directory of segment files
 * <first-seq>.log (20 digits, so a glob lists them in order), each a valid
 * log that `shmseq-log verify` reads. Records are appended to the newest
 * segment; a segment is removed once every record in it is acknowledged;
 * when the spool would exceed its bound the oldest segment goes first,
 * acknowledged or not, and its records are counted as dropped. A send
 * cursor walks the records in order; going back to the first
 * unacknowledged record (timeout, reconnect) is a rewind.
 *
 * Not thread-safe: one thread owns a spool. Errors are negative errno
 * values with a sentence in s->why.
 */
#ifndef SHMSEQ_MQTT_SPOOL_H
#define SHMSEQ_MQTT_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include <shmseq/logfmt.h>

typedef struct spool_seg {
    uint64_t first_seq, last_seq; /* of the records in it */
    uint64_t records;
    uint32_t seed;                /* its records' CRC seed (its header's run) */
} spool_seg;

typedef struct spool {
    char dir[4096];
    shmseq_log_header hdr;  /* the region instance; head = first of segment */
    uint32_t rs;            /* record size */
    uint64_t max_bytes, seg_max;
    spool_seg *segs;
    size_t nseg, cap;
    uint64_t bytes;         /* on disk, headers included */
    int wfd;                /* the newest segment, open for appending; -1 */
    /* the send cursor: next record to read */
    size_t cur_seg;
    uint64_t cur_idx;
    int rfd;                /* open on segs[cur_seg]; -1 */
    size_t rfd_seg;
    /* counters */
    uint64_t dropped;       /* records dropped by overflow (total) */
    uint64_t dropped_from;  /* first seq of the newest drop run, if pending */
    int drop_pending;       /* a drop run not yet told in a batch */
    uint64_t damaged;       /* records whose CRC failed when read back */
    /* the samples between the record read before the last batch and its
     * first record, when damaged records were skipped there (0 if none) */
    uint64_t damage_gap;
    uint64_t read_next;     /* seq after the last record read */
    int read_next_valid;
    int damage_pending;     /* damaged records skipped since then */
    uint64_t recovered;     /* records found at open (a previous run's) */
    uint64_t torn_bytes;    /* cut off at open (a torn tail) */
    unsigned char *buf;     /* encode/decode buffer */
    size_t buf_cap;
    char why[512];
} spool;

/*
 * Open (create) the spool of region instance @p h (width, name,
 * created_realtime_ns) in directory @p dir, bounded to @p max_bytes.
 * Segments already there (a previous run) are checked and kept; a torn
 * tail is cut back to the last whole record.
 * @retval 0, -EINVAL (a segment of another width or region), -errno
 */
int spool_open(spool *s, const char *dir, const shmseq_log_header *h,
               uint64_t max_bytes);
void spool_close(spool *s);

/* Whether the spool holds records; the first and last seq held. */
int spool_empty(const spool *s);
uint64_t spool_first(const spool *s);
uint64_t spool_last(const spool *s);

/*
 * Append @p n records (in seq order, after every record held). Makes room
 * first by dropping the oldest segments (counted in s->dropped).
 * @retval 0 or -errno (nothing appended; s->why says why)
 */
int spool_append(spool *s, const shmseq_log_record *r, size_t n);

/* Every record below @p next_seq is stored by the fleet end: remove the
 * segments wholly below it. */
/* Make the newest segment durable (fdatasync). */
int spool_sync(spool *s);

int spool_ack(spool *s, uint64_t next_seq);

/* Put the send cursor on the first record numbered @p seq or later. */
int spool_rewind(spool *s, uint64_t seq);

/*
 * Read up to @p max records at the cursor and advance it, stopping before
 * a record that does not continue the previous one (a gap or another
 * epoch) so the result is one batch.
 * @return records read (0: the cursor is at the end), or -errno
 */
int spool_read(spool *s, shmseq_log_record *r, size_t max);

/* Whether the cursor is at the end (everything held has been read). */
int spool_at_end(const spool *s);

#endif /* SHMSEQ_MQTT_SPOOL_H */
