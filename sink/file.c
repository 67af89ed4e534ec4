/* SPDX-License-Identifier: MIT */
/*
 * The file sinks, "csv" and "bin": the two formats of shmseq/logfmt.h
 * written to a file (or stdout, CSV only), with size-based rotation.
 *
 * The output is often the only copy of the data, so it goes through
 * write(2) from the sink's own buffer (not stdio): the sink then knows
 * exactly which records reached the file, and can cut the file back to
 * its last complete record after an error. Records are buffered and
 * written when the buffer fills or on flush (the caller's policy), not
 * once per record, so a fast writer is kept up with; ends[] remembers
 * where each buffered record ends, so a short write says exactly which
 * records reached the file.
 */
#define _POSIX_C_SOURCE 200809L

#include "sink_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FILE_BUF_SIZE (256u * 1024u)
#define FILE_MAX_RECORDS 32768u

typedef struct file_sink {
    int bin;              /* the binary log; else CSV */
    int to_stdout;        /* target "-" */
    int fd;
    uint32_t segment;     /* 0 for the first file, +1 per rotation */
    uint64_t seg_bytes;   /* bytes in this segment, buffered included */
    uint64_t seg_records; /* records in this segment, buffered too */
    uint64_t file_good;   /* bytes of this segment known written */
    shmseq_log_header hdr; /* this segment's header */
    size_t len;           /* bytes buffered */
    size_t hdr_len;       /* leading buffered bytes that are a file header */
    uint32_t nrec;        /* records buffered */
    uint32_t ends[FILE_MAX_RECORDS];
    unsigned char buf[FILE_BUF_SIZE];
} file_sink;

typedef struct file_state {
    file_sink *f; /* allocated by open, freed by close */
} file_state;

_Static_assert(sizeof(file_state) <= SHMSEQ_SINK_STATE_SIZE,
               "file sink state must fit the sink's state area");
_Static_assert(SHMSEQ_LOG_RECORD_MAX <= SHMSEQ_LOG_CSV_ROW_MAX,
               "a CSV row is the larger item");

static file_sink *file_of(shmseq_sink *k)
{
    return ((file_state *)shmseq_sink_state(k))->f;
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;

    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Create segment f->segment: the target for the first, "TARGET.NNNNNN"
 * after, so a shell glob lists them in write order. Never replaces an
 * existing file without force (O_EXCL). */
static int file_create(shmseq_sink *k, file_sink *f)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC, n, err;

    if (f->segment == 0)
        n = snprintf(k->where, sizeof k->where, "%s", k->cfg.target);
    else
        n = snprintf(k->where, sizeof k->where, "%s.%06u", k->cfg.target,
                     (unsigned)f->segment);
    if (n < 0 || (size_t)n >= sizeof k->where)
        return shmseq_sink_fail(k, -ENAMETOOLONG, "output path too long");
    flags |= k->cfg.force ? O_TRUNC : O_EXCL;
    f->fd = open(k->where, flags, 0666);
    if (f->fd < 0) {
        err = errno;
        return shmseq_sink_fail(k, -err, "cannot create '%s': %s", k->where,
                                strerror(err));
    }
    k->outputs++;
    f->seg_bytes = f->file_good = f->seg_records = 0;
    return 0;
}

/* Start a file with its header. The header goes through the buffer like a
 * record, so a write error on it is handled the same way. @p head: the
 * first sample number the file can hold. */
static void file_start(file_sink *f, uint64_t head)
{
    if (f->bin) {
        f->hdr.segment = f->segment;
        f->hdr.start_realtime_ns = clock_ns(CLOCK_REALTIME);
        f->hdr.start_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
        f->hdr.head = head;
        shmseq_log_header_encode(&f->hdr, f->buf);
        f->len = SHMSEQ_LOG_HEADER_SIZE;
    } else {
        f->len = shmseq_log_csv_header((char *)f->buf, FILE_BUF_SIZE,
                                       f->hdr.width);
    }
    f->hdr_len = f->len;
    f->seg_bytes = f->len;
}

static int file_open(shmseq_sink *k, int bin)
{
    file_state *st = (file_state *)shmseq_sink_state(k);
    file_sink *f;
    int rc;

    st->f = NULL;
    if (k->cfg.params != NULL && k->cfg.params[0] != '\0')
        return shmseq_sink_fail(k, -EINVAL, "the %s sink takes no "
                                "parameters ('%s')", bin ? "bin" : "csv",
                                k->cfg.params);
    if (strcmp(k->cfg.target, "-") == 0 && bin)
        return shmseq_sink_fail(k, -EINVAL, "the binary log needs a file, "
                                "not stdout");
    if (strcmp(k->cfg.target, "-") == 0 && k->cfg.max_bytes != 0)
        return shmseq_sink_fail(k, -EINVAL, "rotation needs a file, not "
                                "stdout");
    f = calloc(1, sizeof *f);
    if (f == NULL)
        return shmseq_sink_fail(k, -ENOMEM, "out of memory");
    f->bin = bin;
    f->fd = -1;
    if (strcmp(k->cfg.target, "-") == 0) {
        f->to_stdout = 1;
        f->fd = STDOUT_FILENO;
        snprintf(k->where, sizeof k->where, "stdout");
        k->outputs = 1;
        k->durable = 0;
    } else {
        rc = file_create(k, f);
        if (rc < 0) {
            free(f);
            return rc;
        }
        k->durable = 1;
    }
    st->f = f;
    return 0;
}

static int file_open_csv(shmseq_sink *k)
{
    return file_open(k, 0);
}

static int file_open_bin(shmseq_sink *k)
{
    return file_open(k, 1);
}

static int file_begin(shmseq_sink *k, const shmseq_log_header *h)
{
    file_sink *f = file_of(k);

    f->hdr = *h;
    file_start(f, h->head);
    return 0;
}

/* Write the buffer. On error, cut the file back to the last complete
 * record that reached it (so it holds only whole records); the wrapper
 * counts the rest as lost to I/O. */
static int file_flush(shmseq_sink *k)
{
    file_sink *f = file_of(k);
    size_t off = 0, keep;
    uint32_t done = 0;
    int err = 0, cut_err = 0;

    if (f->len == 0)
        return 0;
    while (off < f->len) {
        ssize_t n = write(f->fd, f->buf + off, f->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        off += (size_t)n;
    }
    if (err == 0) {
        k->written += f->nrec;
        k->unsynced += f->nrec;
        k->bytes += f->len;
        f->file_good += f->len;
        f->len = f->hdr_len = 0;
        f->nrec = 0;
        return 0;
    }
    while (done < f->nrec && f->ends[done] <= off)
        done++;
    keep = done != 0 ? f->ends[done - 1]
                     : (off >= f->hdr_len ? f->hdr_len : 0);
    k->written += done;
    k->unsynced += done;
    k->bytes += keep;
    if (keep != off && !f->to_stdout &&
        ftruncate(f->fd, (off_t)(f->file_good + keep)) != 0)
        cut_err = errno;
    f->file_good += keep;
    f->len = f->hdr_len = 0;
    f->nrec = 0;
    if (cut_err != 0)
        return shmseq_sink_fail(k, -err, "writing '%s' failed: %s (and "
                                "cutting it back to its last complete "
                                "record failed: %s)", k->where,
                                strerror(err), strerror(cut_err));
    return shmseq_sink_fail(k, -err, "writing '%s' failed: %s", k->where,
                            strerror(err));
}

/* After a failed fsync or close, the records written since the last good
 * fsync may not be stored (the kernel may have dropped them). */
static void doubt_unsynced(shmseq_sink *k)
{
    k->written -= k->unsynced;
    k->lost_io += k->unsynced;
    k->unsynced = 0;
}

static int file_sync(shmseq_sink *k)
{
    file_sink *f = file_of(k);
    int rc = file_flush(k), err;

    if (rc < 0)
        return rc;
    if (!k->durable || k->unsynced == 0)
        return 0;
    if (fsync(f->fd) != 0) {
        err = errno;
        doubt_unsynced(k);
        return shmseq_sink_fail(k, -err, "fsync of '%s' failed: %s",
                                k->where, strerror(err));
    }
    return 0;
}

/* Close the current segment (made durable first) and open the next,
 * beginning with record @p r. */
static int file_rotate(shmseq_sink *k, file_sink *f,
                       const shmseq_log_record *r)
{
    int rc = shmseq_sink_sync(k, k->last_sync_ns), err;

    if (rc < 0)
        return rc;
    if (close(f->fd) != 0) {
        err = errno;
        f->fd = -1;
        doubt_unsynced(k);
        return shmseq_sink_fail(k, -err, "closing '%s' failed: %s",
                                k->where, strerror(err));
    }
    f->fd = -1;
    f->segment++;
    f->hdr.epoch = r->epoch;
    rc = file_create(k, f);
    if (rc < 0)
        return rc;
    file_start(f, r->seq);
    return 0;
}

static int file_put(shmseq_sink *k, file_sink *f, const shmseq_log_record *r)
{
    unsigned char item[SHMSEQ_LOG_CSV_ROW_MAX];
    size_t size;
    int rc;

    if (f->bin)
        size = shmseq_log_record_encode(r, item);
    else
        size = shmseq_log_csv_row((char *)item, sizeof item, r);
    /* A segment holds at least one record, however small max_bytes. */
    if (k->cfg.max_bytes != 0 && f->seg_records != 0 &&
        f->seg_bytes + size > k->cfg.max_bytes) {
        rc = file_rotate(k, f, r);
        if (rc < 0)
            return rc;
    }
    if (f->len + size > FILE_BUF_SIZE || f->nrec == FILE_MAX_RECORDS) {
        rc = file_flush(k);
        if (rc < 0)
            return rc;
    }
    memcpy(f->buf + f->len, item, size);
    f->len += size;
    f->seg_bytes += size;
    f->seg_records++;
    f->ends[f->nrec++] = (uint32_t)f->len;
    return 0;
}

static int file_write(shmseq_sink *k, const shmseq_log_record *r, size_t n)
{
    file_sink *f = file_of(k);
    size_t i;
    int rc;

    for (i = 0; i < n; i++) {
        rc = file_put(k, f, &r[i]);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int file_close(shmseq_sink *k)
{
    file_state *st = (file_state *)shmseq_sink_state(k);
    file_sink *f = st->f;
    int rc = 0, err;

    if (f == NULL)
        return 0;
    if (!f->to_stdout && f->fd >= 0) {
        /* A run that never began leaves no empty file behind (unless it
         * replaced one: that one is gone already). */
        if (!k->begun && !k->cfg.force)
            (void)unlink(k->where);
        if (close(f->fd) != 0 && k->begun) {
            err = errno;
            doubt_unsynced(k);
            rc = shmseq_sink_fail(k, -err, "closing '%s' failed: %s",
                                  k->where, strerror(err));
        }
    }
    free(f);
    st->f = NULL;
    return rc;
}

const shmseq_sink_ops shmseq__sink_csv = {
    .name = "csv",
    .summary = "CSV rows seq,timestamp_ns,epoch,v0,... to a file or stdout",
    .open = file_open_csv,
    .begin = file_begin,
    .write = file_write,
    .flush = file_flush,
    .sync = file_sync,
    .close = file_close,
};

const shmseq_sink_ops shmseq__sink_bin = {
    .name = "bin",
    .summary = "the CRC-checked binary log (docs/logging.md) to a file",
    .open = file_open_bin,
    .begin = file_begin,
    .write = file_write,
    .flush = file_flush,
    .sync = file_sync,
    .close = file_close,
};
