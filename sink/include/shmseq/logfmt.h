/* SPDX-License-Identifier: MIT */
/*
 * The logger's binary log format (docs/logging.md draws it byte for byte):
 * a fixed-size file header, then fixed-size records, each guarded by its
 * own CRC-32 so a reader can tell a complete record from a torn or damaged
 * one. Every field is encoded little-endian byte by byte (never by dumping
 * a struct), so a log written on one ABI reads the same on every other.
 *
 * The CSV format lives here too: one writer (the logger's --format csv,
 * shmseq-log csv and shmseq dump all print the same bytes) and one reader
 * (the replay sensor driver plays a recorded CSV back).
 *
 * This small library (shmseq_logfmt, in sink/) depends on nothing but the
 * C library (stdio for the scanner) and never on the shmseq region API,
 * so every layer above the library may use it: the sinks (sink.h) write
 * with it, shmseq-log reads with it, and the bsp's replay driver parses
 * CSV with it. Every fallible call returns 0 (or a count) or a negative
 * errno value.
 *
 * @code
 * unsigned char hdr[SHMSEQ_LOG_HEADER_SIZE], rec[SHMSEQ_LOG_RECORD_MAX];
 * shmseq_log_header_encode(&h, hdr);                 // once per file
 * size_t n = shmseq_log_record_encode(&r, rec);      // once per sample
 * @endcode
 */
#ifndef SHMSEQ_LOGFMT_H
#define SHMSEQ_LOGFMT_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The first 8 bytes of every log file. */
#define SHMSEQ_LOG_MAGIC "SHMSQLOG"
/** Format version written: 2 ties each record's CRC to its file's run id.
 *  Readers read versions SHMSEQ_LOG_VERSION_MIN..SHMSEQ_LOG_VERSION. */
#define SHMSEQ_LOG_VERSION 2u
/** The oldest version still read (1: record CRCs not seeded). */
#define SHMSEQ_LOG_VERSION_MIN 1u
/** Bytes in the file header, CRC included. */
#define SHMSEQ_LOG_HEADER_SIZE 160u
/** Longest region name the header holds (the region API's limit). */
#define SHMSEQ_LOG_NAME_MAX 64u
/** Most values per record (the region API's limit). */
#define SHMSEQ_LOG_WIDTH_MAX 64u
/** Bytes in a record of @p w values: seq, timestamp, lost, epoch, values, CRC. */
#define SHMSEQ_LOG_RECORD_SIZE(w) (32u + 8u * (uint32_t)(w))
/** Largest record. */
#define SHMSEQ_LOG_RECORD_MAX SHMSEQ_LOG_RECORD_SIZE(SHMSEQ_LOG_WIDTH_MAX)
/** Room for the longest CSV row (20+1+20+1+10 + 64 * (1+24) + newline). */
#define SHMSEQ_LOG_CSV_ROW_MAX 1700u

/** What a log file's header says (host-native). */
typedef struct shmseq_log_header {
    uint32_t version;              /**< SHMSEQ_LOG_VERSION */
    uint32_t header_size;          /**< SHMSEQ_LOG_HEADER_SIZE */
    uint32_t record_size;          /**< SHMSEQ_LOG_RECORD_SIZE(width) */
    uint32_t width;                /**< values per record, 1..64 */
    uint32_t capacity;             /**< the region's slots */
    uint32_t epoch;                /**< region epoch when the file began */
    uint32_t writer_pid;           /**< region writer's pid then (display) */
    uint32_t segment;              /**< 0 for the first file, +1 per rotation */
    uint64_t start_realtime_ns;    /**< CLOCK_REALTIME when the file began */
    uint64_t start_monotonic_ns;   /**< CLOCK_MONOTONIC at the same moment */
    uint64_t created_realtime_ns;  /**< region creation, CLOCK_REALTIME */
    uint64_t created_monotonic_ns; /**< region creation, CLOCK_MONOTONIC */
    uint64_t head;                 /**< region head when the file began */
    /** Identifies the logger run (all its segments share it); version 2
     *  seeds every record's CRC with it, so a record of another run that
     *  ended up inside this file does not pass as one of its own. 0 in a
     *  version 1 log. */
    uint64_t run_id;
    char name[SHMSEQ_LOG_NAME_MAX + 1]; /**< region name, NUL-terminated */
} shmseq_log_header;

/** One sample as logged (host-native). */
typedef struct shmseq_log_record {
    uint64_t seq;          /**< sample number */
    uint64_t timestamp_ns; /**< the writer's CLOCK_MONOTONIC stamp */
    uint64_t lost_before;  /**< samples the logger lost just before this one */
    uint32_t epoch;        /**< writer epoch that published it */
    uint32_t width;        /**< values used in @c values */
    double values[SHMSEQ_LOG_WIDTH_MAX];
} shmseq_log_record;

/*
 * Results of decoding and scanning: 0 or a negative errno value, named
 * here for what they mean to a log. A read error is the -errno of the
 * failed read itself.
 */
#define SHMSEQ_LOG_OK 0
/** Fewer bytes than the item needs (a torn header or record). */
#define SHMSEQ_LOG_SHORT (-ENODATA)
/** Not a shmseq log (bad magic). */
#define SHMSEQ_LOG_BAD_MAGIC (-ENOMSG)
/** Another format version. */
#define SHMSEQ_LOG_BAD_VERSION (-EPROTONOSUPPORT)
/** An impossible size, width or name under a matching CRC. */
#define SHMSEQ_LOG_BAD_FIELD (-EINVAL)
/** The CRC does not match: damaged. */
#define SHMSEQ_LOG_BAD_CRC (-EBADMSG)

/**
 * @brief A short phrase for a result of this library ("not a shmseq log",
 *        "CRC mismatch"); other negative errno values get strerror()'s.
 */
const char *shmseq_log_strerror(int rc);

/**
 * @brief CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial and
 *        final value 0xFFFFFFFF, as zlib's crc32()).
 *
 * Chainable: crc32(crc32(0, a, n), b, m) == crc32(0, a||b, n+m).
 * @param[in] crc  0 to start, or a previous result to continue
 * @return the CRC of everything fed so far ("123456789" gives 0xCBF43926)
 */
uint32_t shmseq_log_crc32(uint32_t crc, const void *buf, size_t len);

/** @brief The 256-entry table the CRC uses (for the tests to regenerate). */
const uint32_t *shmseq_log_crc32_table(void);

/**
 * @brief Encode @p h into exactly SHMSEQ_LOG_HEADER_SIZE bytes, CRC
 *        included. header_size and record_size are derived from the width,
 *        not taken from @p h; h->version 1 writes a version 1 header (no
 *        run id), anything else the current version.
 */
void shmseq_log_header_encode(const shmseq_log_header *h, unsigned char *out);

/**
 * @brief Decode and check a header.
 * @param[in] len  bytes available at @p buf
 * @retval SHMSEQ_LOG_OK           @p h filled
 * @retval SHMSEQ_LOG_SHORT        len < SHMSEQ_LOG_HEADER_SIZE (a torn header)
 * @retval SHMSEQ_LOG_BAD_MAGIC    not a shmseq log
 * @retval SHMSEQ_LOG_BAD_CRC      the header is damaged
 * @retval SHMSEQ_LOG_BAD_VERSION  another format version (its CRC matches:
 *                                 not a damaged version field)
 * @retval SHMSEQ_LOG_BAD_FIELD    inconsistent sizes, width or name
 */
int shmseq_log_header_decode(const unsigned char *buf, size_t len,
                             shmseq_log_header *h);

/**
 * @brief Repair a header with one flipped bit: if flipping exactly one bit
 *        of the SHMSEQ_LOG_HEADER_SIZE bytes at @p buf makes its CRC match
 *        (CRC-32 tells every single-bit error of a header apart), flip it
 *        back in place.
 * @param[out] bit  the bit repaired: byte * 8 + bit number (0 = LSB)
 * @retval 0        repaired; decode it now
 * @retval -EBADMSG not a single-bit error (nothing changed)
 */
int shmseq_log_header_repair(unsigned char *buf, uint32_t *bit);

/**
 * @brief The CRC seed of the records under header @p h: the CRC-32 of the
 *        run id's 8 little-endian bytes in version 2, 0 in version 1.
 */
uint32_t shmseq_log_record_seed(const shmseq_log_header *h);

/**
 * @brief Encode @p r (r->width values) into @p out, its CRC chained from
 *        @p seed (shmseq_log_record_seed() of the file's header).
 * @return bytes written: SHMSEQ_LOG_RECORD_SIZE(r->width)
 */
size_t shmseq_log_record_encode(const shmseq_log_record *r, uint32_t seed,
                                unsigned char *out);

/**
 * @brief Decode a record of @p width values from
 *        SHMSEQ_LOG_RECORD_SIZE(width) bytes at @p buf.
 * @retval SHMSEQ_LOG_OK       @p r filled
 * @retval SHMSEQ_LOG_BAD_CRC  damaged, or a record of another run (another
 *                             seed); @p r is filled anyway (untrusted)
 */
int shmseq_log_record_decode(const unsigned char *buf, uint32_t width,
                             uint32_t seed, shmseq_log_record *r);

/**
 * @brief The CSV header line ("seq,timestamp_ns,epoch,v0,...\n").
 * @return its length, or 0 if @p cap is too small
 */
size_t shmseq_log_csv_header(char *buf, size_t cap, uint32_t width);

/**
 * @brief One CSV row ("seq,timestamp_ns,epoch,v0,...\n", values with 17
 *        significant digits so they read back bit for bit).
 * @return its length, or 0 if @p cap is too small
 */
size_t shmseq_log_csv_row(char *buf, size_t cap, const shmseq_log_record *r);

/**
 * @brief Read a CSV header line: the logger's "seq,timestamp_ns,epoch"
 *        followed by one column per value.
 * @param[out] width  the number of value columns (1..SHMSEQ_LOG_WIDTH_MAX)
 * @retval 0         a header of @p width values
 * @retval -EBADMSG  not the logger's header, or no value column, or more
 *                   than SHMSEQ_LOG_WIDTH_MAX
 */
int shmseq_log_csv_header_parse(const char *line, uint32_t *width);

/**
 * @brief Read one CSV row of @p width values (what shmseq_log_csv_row()
 *        writes; a trailing "\r\n" or no newline at all is accepted).
 *
 * Every value field that is missing or does not parse as a number is NaN
 * in @p r, so one bad channel does not cost the others; seq, timestamp_ns
 * and epoch must be plain unsigned decimals.
 * @param[out] r  r->width = @p width; values filled as described
 * @return the number of value fields that did not parse (0: the whole row
 *         is good), or -EBADMSG if seq, timestamp_ns or epoch did not
 *         parse (the values are still filled)
 */
int shmseq_log_csv_row_parse(const char *line, uint32_t width,
                             shmseq_log_record *r);

/** How a file's header was read. */
typedef enum shmseq_log_header_state {
    SHMSEQ_LOG_HEADER_INTACT = 0,   /**< its CRC matched */
    SHMSEQ_LOG_HEADER_REPAIRED = 1, /**< one flipped bit was put back */
    SHMSEQ_LOG_HEADER_REBUILT = 2   /**< damaged beyond that: the width and
                                         the run id were inferred from the
                                         records (the other fields are as
                                         found, unchecked) */
} shmseq_log_header_state;

/** What the scanner reports to its callback (shmseq_log_scan.event). */
typedef enum shmseq_log_event {
    /** A good record (the callback's @c r): its CRC matched. */
    SHMSEQ_LOG_EV_RECORD = 0,
    /** A header: the file's own, or another one met inside the file (a
     *  concatenated log or segment); s->header is now that header. */
    SHMSEQ_LOG_EV_HEADER = 1,
    /** Bytes skipped: damaged, or foreign (another run's records, a hole
     *  that shifted the records); s->event_offset, s->event_bytes. The
     *  scan resumed at the next offset where a whole header or record
     *  checked (or at the end of the file). */
    SHMSEQ_LOG_EV_SKIP = 2,
    /** The file ends inside a record: s->event_offset, s->event_bytes. */
    SHMSEQ_LOG_EV_TORN = 3
} shmseq_log_event;

/**
 * Where a scan is and what it found; zero it before the first file. The
 * per-file results are reset by each shmseq_log_scan_file(); the carried
 * fields let the segments of a rotated log be checked as one sequence.
 */
typedef struct shmseq_log_scan {
    /* results of the last file scanned */
    int header_rc;          /**< SHMSEQ_LOG_* from decoding the header */
    uint64_t header_bytes;  /**< header bytes present (< 160: torn) */
    shmseq_log_header header; /**< the current section's header */
    uint32_t seed;          /**< its records' CRC seed (found from the
                                 records themselves if it was rebuilt) */
    shmseq_log_header_state header_state; /**< of the file's first header */
    uint32_t header_bit;    /**< the bit repaired (HEADER_REPAIRED) */
    uint64_t file_bytes;    /**< bytes read */
    uint64_t records;       /**< good records */
    uint64_t headers;       /**< headers met after the first (sections) */
    uint64_t skips;         /**< places where bytes were skipped */
    uint64_t skipped_bytes; /**< bytes skipped in all */
    uint64_t first_skip_offset;
    uint64_t torn_bytes;    /**< bytes of an incomplete last record */
    uint64_t torn_offset;   /**< file offset where the torn tail starts */
    uint64_t first_seq, last_seq;
    uint64_t lost_before;   /**< sum of lost_before of the good records */
    uint64_t gaps;          /**< records after a hole in the sequence */
    uint64_t missing;       /**< samples in those holes (beyond lost_before) */
    uint64_t backwards;     /**< records whose seq or epoch went back */
    uint32_t epochs;        /**< epoch changes seen, +1 for the first */
    /* the event being reported to the callback */
    shmseq_log_event event;
    uint64_t event_offset;  /**< where the record, header, skip or tail is */
    uint64_t event_bytes;   /**< its length */
    uint64_t event_missing; /**< RECORD: samples missing just before it
                                 (not counted in its lost_before) */
    int event_backwards;    /**< RECORD: its seq or epoch went back */
    /* carried from file to file, so segments are checked as one log */
    int have_prev;
    uint64_t prev_seq;
    uint32_t prev_epoch;
    uint32_t width;         /**< width of the first file (0: none yet) */
} shmseq_log_scan;

/** The scanner's callback: @p r is the record for SHMSEQ_LOG_EV_RECORD,
 *  NULL for the other events. A nonzero return stops the scan. */
typedef int (*shmseq_log_scan_fn)(void *ctx, const shmseq_log_scan *s,
                                  const shmseq_log_record *r);

/**
 * @brief Read a log from @p in (read forward only: a pipe will do): its
 *        header, then every record, keeping every intact record.
 *
 * The header: a CRC mismatch caused by one flipped bit is repaired; worse
 * damage (several bits, a hole or an insertion in the header) is survived
 * by inferring the width, the records' CRC seed and where they start from
 * the records themselves: two consecutive records that check under one
 * width and seed (CRC-32 is affine, so one record gives the seed) leave a
 * chance of 2^-32 of a wrong guess. A log whose header is rebuilt keeps
 * its records but not the header's other fields (they are as found). Then records: a record whose CRC does not match
 * (damaged, another run's, or shifted by a hole or an insertion) starts a
 * resynchronisation: the scanner moves forward one byte at a time to the
 * next offset where a whole record's CRC matches (the chance that a wrong
 * offset passes is 2^-32 per offset) or a header decodes, and reports the
 * bytes skipped. Continuity: each record's seq should be the previous
 * seq + 1 + its lost_before, within a file and across the files scanned
 * with the same @p s; more is a gap (event_missing samples), less (or a
 * lower epoch) goes backwards.
 *
 * @param[in,out] s  per-file results are reset; the carried fields kept
 * @param[in] fn     called for every event in file order (may be NULL)
 * @retval SHMSEQ_LOG_OK   scanned to the end (s says what was found)
 * @retval SHMSEQ_LOG_SHORT, SHMSEQ_LOG_BAD_MAGIC, SHMSEQ_LOG_BAD_CRC,
 *         SHMSEQ_LOG_BAD_VERSION, SHMSEQ_LOG_BAD_FIELD  the header is torn,
 *         not a log's, or beyond repair (s->header_rc): no records
 * @retval -ENOMEM         no memory for the scan's 64 KiB window
 * @retval -errno          a read error (s->header_rc too if in the header)
 * @retval other           what @p fn returned (nonzero)
 *
 * The scan keeps no state outside @p s and its own allocation: scans of
 * different files may run in different threads at once.
 */
int shmseq_log_scan_file(FILE *in, shmseq_log_scan *s, shmseq_log_scan_fn fn,
                         void *ctx);

/** Where a recovery is and what it wrote; zero it first. */
typedef struct shmseq_log_recovery {
    shmseq_log_scan scan;  /**< the scan of the damaged log */
    unsigned outputs;      /**< outputs begun (each a clean log) */
    uint64_t written;      /**< records written to them */
    uint64_t lost_added;   /**< samples counted as lost in the outputs */
    /* internal */
    uint32_t width, seed;
    uint64_t out_records;
    shmseq_log_scan_fn fn;
    void *ctx;
    int (*out)(void *ctx, unsigned index, const unsigned char *bytes,
               size_t n);
} shmseq_log_recovery;

/**
 * @brief Recover the log in @p in: every intact record (as the scanner
 *        finds them) is re-encoded into clean logs that verify.
 *
 * Output 0 begins with the (repaired or rebuilt) header and holds every
 * record that continues the sequence; the samples missing in a hole or
 * damage are added to the lost_before of the record after them, so the
 * output's sequence has no gap. A record that cannot follow the output's
 * last one (its seq or epoch goes back, or its width differs: another log
 * or a segment out of order inside the file) begins output 1, and so on;
 * each output begins with its own header (the one in force at that point
 * of the file, head = its first record). A log without records still gets
 * output 0, its header alone.
 *
 * @param[in,out] rv  zeroed by the caller; the results
 * @param[in] out     receives output @p index's bytes in order (a header,
 *                    then records; a new index means a new file); nonzero
 *                    stops the recovery and is returned
 * @param[in] fn      every scan event, as shmseq_log_scan_file() (may be
 *                    NULL)
 * @return as shmseq_log_scan_file()
 */
int shmseq_log_recover(FILE *in, shmseq_log_recovery *rv,
                       int (*out)(void *ctx, unsigned index,
                                  const unsigned char *bytes, size_t n),
                       shmseq_log_scan_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_LOGFMT_H */
