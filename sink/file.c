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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_BUF_SIZE (256u * 1024u)
#define FILE_MAX_RECORDS 32768u

typedef struct file_sink {
    int bin;              /* the binary log; else CSV */
    int to_stdout;        /* target "-" */
    int special;          /* a FIFO or character device: no sync, no cut,
                             no rotation, never created or removed */
    int tmp_pending;      /* tmp holds the output until begin renames it */
    char tmp[SHMSEQ_SINK_WHERE_SIZE + 16]; /* --force: the new file's
                                              temporary name */
    int fd;
    uint32_t segment;     /* 0 for the first file, +1 per rotation */
    uint64_t seg_bytes;   /* bytes in this segment, buffered included */
    uint64_t seg_records; /* records in this segment, buffered too */
    uint64_t file_good;   /* bytes of this segment known written */
    shmseq_log_header hdr; /* this segment's header */
    uint32_t seed;        /* the records' CRC seed (the run id's) */
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

/* Open an existing FIFO or character device at k->where for writing (a
 * valid output: /dev/null, a pipe to another program); never follows a
 * symbolic link. A FIFO's open waits for a reader. 1 if it is one (f->fd
 * open), 0 if not, or -errno. */
static int open_special(shmseq_sink *k, file_sink *f)
{
    struct stat st;
    int fd, err;

    if (lstat(k->where, &st) != 0 ||
        (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode)))
        return 0;
    fd = open(k->where, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        err = errno;
        return shmseq_sink_fail(k, -err, "cannot open '%s': %s", k->where,
                                strerror(err));
    }
    /* What was opened, not what lstat saw a moment before. */
    if (fstat(fd, &st) != 0 ||
        (!S_ISFIFO(st.st_mode) && !S_ISCHR(st.st_mode))) {
        close(fd);
        return 0;
    }
    f->fd = fd;
    f->special = 1;
    k->durable = 0;
    k->kind = S_ISFIFO(st.st_mode) ? "FIFO" : "character device";
    k->outputs++;
    return 1;
}

/* With force: the new file is made under a temporary name beside the
 * target and renamed over it (at begin for the first file, at once for a
 * rotated one), so an existing file is replaced, never truncated in place
 * or written through a symbolic link, and a run that never begins leaves
 * it as it was. */
static int create_replacing(shmseq_sink *k, file_sink *f)
{
    mode_t mask;
    int err, n;

    n = snprintf(f->tmp, sizeof f->tmp, "%s.tmpXXXXXX", k->where);
    if (n < 0 || (size_t)n >= sizeof f->tmp)
        return shmseq_sink_fail(k, -ENAMETOOLONG, "output path too long");
    f->fd = mkstemp(f->tmp);
    if (f->fd < 0) {
        err = errno;
        return shmseq_sink_fail(k, -err, "cannot create '%s': %s", f->tmp,
                                strerror(err));
    }
    /* mkstemp makes it 0600; the output gets what a new file gets. */
    mask = umask(0);
    (void)umask(mask);
    (void)fchmod(f->fd, 0666 & ~mask);
    (void)fcntl(f->fd, F_SETFD, FD_CLOEXEC);
    f->tmp_pending = 1;
    return 0;
}

/* Put the temporary file in place of the target. */
static int rename_into_place(shmseq_sink *k, file_sink *f)
{
    int err;

    if (!f->tmp_pending)
        return 0;
    f->tmp_pending = 0;
    if (rename(f->tmp, k->where) != 0) {
        err = errno;
        (void)unlink(f->tmp);
        return shmseq_sink_fail(k, -err, "cannot replace '%s': %s",
                                k->where, strerror(err));
    }
    return 0;
}

/* Create segment f->segment: the target for the first, "TARGET.NNNNNN"
 * after, so a shell glob lists them in write order. Never replaces an
 * existing file without force (O_EXCL); never follows a symbolic link. */
static int file_create(shmseq_sink *k, file_sink *f)
{
    struct stat st;
    int n, err, rc;

    if (f->segment == 0)
        n = snprintf(k->where, sizeof k->where, "%s", k->cfg.target);
    else
        n = snprintf(k->where, sizeof k->where, "%s.%06u", k->cfg.target,
                     (unsigned)f->segment);
    if (n < 0 || (size_t)n >= sizeof k->where)
        return shmseq_sink_fail(k, -ENAMETOOLONG, "output path too long");
    k->kind = "file";
    if (f->segment == 0) {
        rc = open_special(k, f);
        if (rc != 0)
            return rc < 0 ? rc : 0;
    }
    /* A directory is neither replaced nor an "existing file" that force
     * would replace: say what it is, with or without force. */
    if (lstat(k->where, &st) == 0 && S_ISDIR(st.st_mode))
        return shmseq_sink_fail(k, -EISDIR, "cannot create '%s': %s",
                                k->where, strerror(EISDIR));
    if (k->cfg.force) {
        rc = create_replacing(k, f);
        if (rc < 0)
            return rc;
        if (f->segment != 0 && rename_into_place(k, f) < 0)
            return k->error;
    } else {
        f->fd = open(k->where, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                                   O_CLOEXEC, 0666);
        if (f->fd < 0) {
            err = errno;
            return shmseq_sink_fail(k, -err, "cannot create '%s': %s",
                                    k->where, strerror(err));
        }
    }
    k->durable = 1;
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
        k->kind = "stdout";
        k->outputs = 1;
        k->durable = 0;
    } else {
        rc = file_create(k, f);
        if (rc == 0 && f->special && k->cfg.max_bytes != 0) {
            close(f->fd);
            rc = shmseq_sink_fail(k, -EINVAL, "rotation needs a regular "
                                  "file, and '%s' is a %s", k->where,
                                  k->kind);
        }
        if (rc < 0) {
            free(f);
            return rc;
        }
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

/* A run id no other run is likely to share (the clocks and the pid,
 * mixed by splitmix64): 0 is kept for "none" (version 1). */
static uint64_t new_run_id(void)
{
    uint64_t z = clock_ns(CLOCK_REALTIME) ^ (clock_ns(CLOCK_MONOTONIC) << 20) ^
                 ((uint64_t)getpid() << 44);

    z += 0x9e3779b97f4a7c15u;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    z ^= z >> 31;
    return z != 0 ? z : 1;
}

static int file_begin(shmseq_sink *k, const shmseq_log_header *h)
{
    file_sink *f = file_of(k);

    if (rename_into_place(k, f) < 0)
        return k->error;
    f->hdr = *h;
    f->hdr.version = SHMSEQ_LOG_VERSION;
    if (f->hdr.run_id == 0)
        f->hdr.run_id = new_run_id();
    k->header.run_id = f->hdr.run_id;
    f->seed = shmseq_log_record_seed(&f->hdr);
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
    if (keep != off && !f->to_stdout && !f->special &&
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
        size = shmseq_log_record_encode(r, f->seed, item);
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
        /* A run that never began leaves no file behind, and with force
         * leaves the old one as it was. */
        if (f->tmp_pending)
            (void)unlink(f->tmp);
        else if (!k->begun && !k->cfg.force && !f->special)
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
