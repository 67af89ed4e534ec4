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
/** Format version written; readers refuse others. */
#define SHMSEQ_LOG_VERSION 1u
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
 *        included. version, header_size and record_size are derived from
 *        the width, not taken from @p h.
 */
void shmseq_log_header_encode(const shmseq_log_header *h, unsigned char *out);

/**
 * @brief Decode and check a header.
 * @param[in] len  bytes available at @p buf
 * @retval SHMSEQ_LOG_OK           @p h filled
 * @retval SHMSEQ_LOG_SHORT        len < SHMSEQ_LOG_HEADER_SIZE (a torn header)
 * @retval SHMSEQ_LOG_BAD_MAGIC    not a shmseq log
 * @retval SHMSEQ_LOG_BAD_CRC      the header is damaged
 * @retval SHMSEQ_LOG_BAD_VERSION  another format version
 * @retval SHMSEQ_LOG_BAD_FIELD    inconsistent sizes, width or name
 */
int shmseq_log_header_decode(const unsigned char *buf, size_t len,
                             shmseq_log_header *h);

/**
 * @brief Encode @p r (r->width values) into @p out.
 * @return bytes written: SHMSEQ_LOG_RECORD_SIZE(r->width)
 */
size_t shmseq_log_record_encode(const shmseq_log_record *r,
                                unsigned char *out);

/**
 * @brief Decode a record of @p width values from
 *        SHMSEQ_LOG_RECORD_SIZE(width) bytes at @p buf.
 * @retval SHMSEQ_LOG_OK       @p r filled
 * @retval SHMSEQ_LOG_BAD_CRC  damaged; @p r is filled anyway (untrusted)
 */
int shmseq_log_record_decode(const unsigned char *buf, uint32_t width,
                             shmseq_log_record *r);

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

/** Where a scan is and what it found; zero it (or use scan_init) first. */
typedef struct shmseq_log_scan {
    /* results of the last file scanned */
    int header_rc;          /**< SHMSEQ_LOG_* from decoding the header */
    uint64_t header_bytes;  /**< header bytes present (< 160: torn) */
    shmseq_log_header header;
    uint64_t records;       /**< complete records whose CRC matched */
    uint64_t bad_records;   /**< complete records with a wrong CRC (skipped) */
    uint64_t torn_bytes;    /**< bytes of an incomplete last record */
    uint64_t torn_offset;   /**< file offset where the torn tail starts */
    uint64_t first_seq, last_seq;
    uint64_t lost_before;   /**< sum of lost_before of the good records */
    uint64_t gaps;          /**< records whose seq breaks the continuity */
    uint64_t first_bad_offset; /**< offset of the first bad record */
    uint32_t epochs;        /**< epoch changes seen, +1 for the first */
    /* carried from file to file, so segments are checked as one log */
    int have_prev;
    uint64_t prev_seq;
    uint32_t prev_epoch;
    uint32_t width;         /**< width of the first file (0: none yet) */
} shmseq_log_scan;

/**
 * @brief Read a log from @p in: its header, then every record.
 *
 * Records are fixed-size, so a damaged record is skipped without losing
 * the place: the scan goes on with the next one. Continuity: each record's
 * seq must be the previous seq + 1 + its lost_before, within a file and
 * from one file (segment) to the next when scanned with the same @p s;
 * after a damaged record the check restarts. The epoch must never go down.
 *
 * @param[in,out] s  per-file results are reset; the carried fields kept
 * @param[in] fn     called for each good record in file order (may be
 *                   NULL); a nonzero return stops the scan and is returned
 * @retval SHMSEQ_LOG_OK     scanned to the end (s says what was found)
 * @retval SHMSEQ_LOG_*      the header is torn or bad (s->header_rc)
 * @retval -EIO (or the read's -errno)  a read error
 * @retval other             what @p fn returned (nonzero)
 */
int shmseq_log_scan_file(FILE *in, shmseq_log_scan *s,
                         int (*fn)(void *ctx, const shmseq_log_record *r,
                                   uint64_t offset),
                         void *ctx);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_LOGFMT_H */
