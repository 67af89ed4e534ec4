/* SPDX-License-Identifier: MIT */
/*
 * The board's spool (spool.h): segment files in the binary log format,
 * appended in order, removed when acknowledged, the oldest dropped and
 * counted when the bound is reached.
 */
#define _POSIX_C_SOURCE 200809L

#include "spool.h"

#include <shmseq_util/parse.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define HDR SHMSEQ_LOG_HEADER_SIZE

static int fail(spool *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(spool *s, int err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
    return err;
}

static void seg_path(const spool *s, uint64_t first, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%020" PRIu64 ".log", s->dir, first);
}

static int need_buf(spool *s, size_t bytes)
{
    unsigned char *p;

    if (bytes <= s->buf_cap)
        return 0;
    p = realloc(s->buf, bytes);
    if (p == NULL)
        return -ENOMEM;
    s->buf = p;
    s->buf_cap = bytes;
    return 0;
}

static int mkdirs(char *path)
{
    for (char *p = path + 1; *p != '\0'; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST) {
            *p = '/';
            return -errno;
        }
        *p = '/';
    }
    if (mkdir(path, 0700) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int read_full(int fd, void *buf, size_t n, off_t off)
{
    size_t got = 0;

    while (got < n) {
        ssize_t r = pread(fd, (char *)buf + got, n - got, off + (off_t)got);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -errno;
        if (r == 0)
            return -ENODATA;
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    size_t done = 0;

    while (done < n) {
        ssize_t w = write(fd, (const char *)buf + done, n - done);

        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return -errno;
        done += (size_t)w;
    }
    return 0;
}

static int push_seg(spool *s, const spool_seg *g)
{
    if (s->nseg == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        spool_seg *p = realloc(s->segs, cap * sizeof *p);

        if (p == NULL)
            return -ENOMEM;
        s->segs = p;
        s->cap = cap;
    }
    s->segs[s->nseg++] = *g;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

    return x < y ? -1 : x > y;
}

/* A segment left by an earlier run: check it, cut a torn tail. */
static int load_seg(spool *s, uint64_t first)
{
    char path[4200];
    unsigned char hb[HDR];
    shmseq_log_header h;
    shmseq_log_record r;
    spool_seg g;
    struct stat st;
    int fd, rc;
    uint64_t n;

    seg_path(s, first, path, sizeof path);
    fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return fail(s, -errno, "opening spool segment '%s' failed: %s", path,
                    strerror(errno));
    if (fstat(fd, &st) != 0 || st.st_size < (off_t)HDR ||
        read_full(fd, hb, HDR, 0) != 0 ||
        shmseq_log_header_decode(hb, HDR, &h) != 0) {
        /* A segment torn inside its header holds no record: remove it. */
        close(fd);
        unlink(path);
        return 0;
    }
    if (h.width != s->hdr.width || strcmp(h.name, s->hdr.name) != 0 ||
        h.created_realtime_ns != s->hdr.created_realtime_ns) {
        close(fd);
        return fail(s, -EINVAL, "spool segment '%s' belongs to another "
                    "region (width %u, '%s'): move it away", path,
                    (unsigned)h.width, h.name);
    }
    n = ((uint64_t)st.st_size - HDR) / s->rs;
    if ((uint64_t)st.st_size != HDR + n * s->rs) {
        s->torn_bytes += (uint64_t)st.st_size - HDR - n * s->rs;
        if (ftruncate(fd, (off_t)(HDR + n * s->rs)) != 0) {
            rc = -errno;
            close(fd);
            return fail(s, rc, "cutting the torn tail of '%s' failed: %s",
                        path, strerror(-rc));
        }
    }
    memset(&g, 0, sizeof g);
    g.records = n;
    g.seed = shmseq_log_record_seed(&h);
    g.first_seq = first;
    g.last_seq = first;
    if (n > 0 && read_full(fd, s->buf, s->rs, (off_t)(HDR + (n - 1) * s->rs)) == 0) {
        (void)shmseq_log_record_decode(s->buf, s->hdr.width, g.seed, &r);
        g.last_seq = r.seq;
    }
    close(fd);
    if (n == 0 || g.last_seq < first) {
        unlink(path);
        return 0;
    }
    s->recovered += n;
    s->bytes += HDR + n * s->rs;
    return push_seg(s, &g);
}

int spool_open(spool *s, const char *dir, const shmseq_log_header *h,
               uint64_t max_bytes)
{
    DIR *d;
    struct dirent *e;
    uint64_t *firsts = NULL;
    size_t nf = 0, capf = 0;
    int rc;

    memset(s, 0, sizeof *s);
    s->wfd = -1;
    s->rfd = -1;
    if (snprintf(s->dir, sizeof s->dir, "%s", dir) >= (int)sizeof s->dir)
        return fail(s, -ENAMETOOLONG, "spool directory name too long");
    s->hdr = *h;
    /* This run's segments: records of another run never pass as ours. */
    {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        s->hdr.run_id = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^
                        ((uint64_t)getpid() << 20);
    }
    if (s->hdr.run_id == 0)
        s->hdr.run_id = 1;
    s->rs = SHMSEQ_LOG_RECORD_SIZE(h->width);
    s->max_bytes = max_bytes;
    s->seg_max = max_bytes / 8;
    if (s->seg_max < 64u * 1024u)
        s->seg_max = 64u * 1024u;
    if (s->seg_max > 8u * 1024u * 1024u)
        s->seg_max = 8u * 1024u * 1024u;
    if (need_buf(s, s->rs * 1024u) != 0)
        return fail(s, -ENOMEM, "out of memory");
    rc = mkdirs(s->dir);
    if (rc < 0)
        return fail(s, rc, "creating spool directory '%s' failed: %s",
                    s->dir, strerror(-rc));
    d = opendir(s->dir);
    if (d == NULL)
        return fail(s, -errno, "reading spool directory '%s' failed: %s",
                    s->dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        char digits[21];
        uint64_t v;

        /* <20 digits>.log: a segment; anything else is not ours */
        if (strlen(e->d_name) != 24 || strcmp(e->d_name + 20, ".log") != 0)
            continue;
        memcpy(digits, e->d_name, 20);
        digits[20] = '\0';
        if (strspn(digits, "0123456789") != 20 ||
            shmseq_parse_u64(digits, &v) != 0)
            continue;
        if (nf == capf) {
            uint64_t *p = realloc(firsts, (capf ? capf * 2 : 16) * sizeof *p);

            if (p == NULL) {
                closedir(d);
                free(firsts);
                return fail(s, -ENOMEM, "out of memory");
            }
            firsts = p;
            capf = capf ? capf * 2 : 16;
        }
        firsts[nf++] = v;
    }
    closedir(d);
    if (nf > 0)
        qsort(firsts, nf, sizeof *firsts, cmp_u64);
    rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++)
        rc = load_seg(s, firsts[i]);
    free(firsts);
    if (rc < 0) {
        spool_close(s);
        return rc;
    }
    return 0;
}

void spool_close(spool *s)
{
    if (s->wfd >= 0)
        close(s->wfd);
    if (s->rfd >= 0)
        close(s->rfd);
    s->wfd = s->rfd = -1;
    free(s->segs);
    free(s->buf);
    s->segs = NULL;
    s->buf = NULL;
    s->nseg = s->cap = 0;
    s->buf_cap = 0;
}

int spool_empty(const spool *s)
{
    return s->nseg == 0;
}

uint64_t spool_first(const spool *s)
{
    return s->nseg ? s->segs[0].first_seq : 0;
}

uint64_t spool_last(const spool *s)
{
    return s->nseg ? s->segs[s->nseg - 1].last_seq : 0;
}

/* Remove segment 0 (acknowledged or dropped). */
static void remove_oldest(spool *s)
{
    char path[4200];
    spool_seg g = s->segs[0];

    if (s->nseg == 1 && s->wfd >= 0) {
        close(s->wfd);
        s->wfd = -1;
    }
    if (s->rfd >= 0 && s->rfd_seg == 0) {
        close(s->rfd);
        s->rfd = -1;
    } else if (s->rfd >= 0) {
        s->rfd_seg--;
    }
    seg_path(s, g.first_seq, path, sizeof path);
    unlink(path);
    s->bytes -= HDR + g.records * s->rs;
    memmove(&s->segs[0], &s->segs[1], (s->nseg - 1) * sizeof s->segs[0]);
    s->nseg--;
    if (s->cur_seg == 0)
        s->cur_idx = 0;
    else
        s->cur_seg--;
}

static int new_segment(spool *s, uint64_t first)
{
    char path[4200];
    unsigned char hb[HDR];
    shmseq_log_header h = s->hdr;
    spool_seg g;
    int rc;

    if (s->wfd >= 0)
        close(s->wfd);
    s->wfd = -1;
    seg_path(s, first, path, sizeof path);
    unlink(path); /* a leftover without records (load_seg kept none) */
    s->wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC,
                  0600);
    if (s->wfd < 0)
        return fail(s, -errno, "creating spool segment '%s' failed: %s",
                    path, strerror(errno));
    h.head = first;
    h.segment = (uint32_t)s->nseg;
    shmseq_log_header_encode(&h, hb);
    rc = write_full(s->wfd, hb, HDR);
    if (rc < 0) {
        close(s->wfd);
        s->wfd = -1;
        unlink(path);
        return fail(s, rc, "writing spool segment '%s' failed: %s", path,
                    strerror(-rc));
    }
    memset(&g, 0, sizeof g);
    g.seed = shmseq_log_record_seed(&h);
    g.first_seq = first;
    g.last_seq = first;
    s->bytes += HDR;
    return push_seg(s, &g);
}

int spool_append(spool *s, const shmseq_log_record *r, size_t n)
{
    size_t bytes = n * s->rs;
    spool_seg *g;
    int fresh, rc;

    if (n == 0)
        return 0;
    fresh = s->wfd < 0 || s->nseg == 0 ||
            HDR + s->segs[s->nseg - 1].records * s->rs + bytes > s->seg_max;
    while (s->nseg > 0 &&
           s->bytes + bytes + (fresh ? HDR : 0) > s->max_bytes) {
        if (!s->drop_pending) {
            s->dropped_from = s->segs[0].first_seq;
            s->drop_pending = 1;
        }
        s->dropped += s->segs[0].records;
        remove_oldest(s);
        if (s->nseg == 0)
            fresh = 1;
    }
    if (fresh) {
        rc = new_segment(s, r[0].seq);
        if (rc < 0)
            return rc;
    }
    rc = need_buf(s, bytes);
    if (rc < 0)
        return fail(s, rc, "out of memory");
    g = &s->segs[s->nseg - 1];
    for (size_t i = 0; i < n; i++)
        shmseq_log_record_encode(&r[i], g->seed, s->buf + i * s->rs);
    rc = write_full(s->wfd, s->buf, bytes);
    if (rc < 0) {
        char path[4200];

        seg_path(s, g->first_seq, path, sizeof path);
        /* Whole records only: cut back what part of the write landed. */
        if (ftruncate(s->wfd, (off_t)(HDR + g->records * s->rs)) != 0) {
            close(s->wfd);
            s->wfd = -1;
        }
        return fail(s, rc, "writing spool segment '%s' failed: %s", path,
                    strerror(-rc));
    }
    if (g->records == 0)
        g->first_seq = r[0].seq;
    g->records += n;
    g->last_seq = r[n - 1].seq;
    s->bytes += bytes;
    return 0;
}

int spool_sync(spool *s)
{
    if (s->wfd >= 0 && fdatasync(s->wfd) != 0)
        return fail(s, -errno, "syncing the spool in '%s' failed: %s",
                    s->dir, strerror(errno));
    return 0;
}

int spool_ack(spool *s, uint64_t next_seq)
{
    while (s->nseg > 0 && s->segs[0].last_seq < next_seq)
        remove_oldest(s);
    return 0;
}

static int seq_at(spool *s, int fd, uint64_t idx, uint64_t *seq)
{
    unsigned char b[8];
    int rc = read_full(fd, b, 8, (off_t)(HDR + idx * s->rs));

    if (rc < 0)
        return rc;
    *seq = 0;
    for (unsigned i = 8; i-- > 0;)
        *seq = (*seq << 8) | b[i];
    return 0;
}

static int open_cur(spool *s)
{
    char path[4200];

    if (s->rfd >= 0 && s->rfd_seg == s->cur_seg)
        return 0;
    if (s->rfd >= 0)
        close(s->rfd);
    seg_path(s, s->segs[s->cur_seg].first_seq, path, sizeof path);
    s->rfd = open(path, O_RDONLY | O_CLOEXEC);
    if (s->rfd < 0)
        return fail(s, -errno, "reading spool segment '%s' failed: %s", path,
                    strerror(errno));
    s->rfd_seg = s->cur_seg;
    return 0;
}

int spool_rewind(spool *s, uint64_t seq)
{
    size_t i = 0;
    uint64_t lo, hi;
    int rc;

    while (i < s->nseg && s->segs[i].last_seq < seq)
        i++;
    s->cur_seg = i;
    s->cur_idx = 0;
    /* The next record expected is seq itself: a damaged one there is a
     * gap the next batch says. */
    s->read_next = seq;
    s->read_next_valid = 1;
    s->damage_pending = 0;
    if (i == s->nseg) {
        if (i > 0) {
            s->cur_seg = i - 1;
            s->cur_idx = s->segs[i - 1].records;
        }
        return 0;
    }
    if (seq <= s->segs[i].first_seq)
        return 0;
    rc = open_cur(s);
    if (rc < 0)
        return rc;
    /* The first record numbered seq or later: records are in seq order. */
    lo = 0;
    hi = s->segs[i].records;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2, v;

        rc = seq_at(s, s->rfd, mid, &v);
        if (rc < 0)
            return fail(s, rc, "reading the spool in '%s' failed: %s",
                        s->dir, strerror(-rc));
        if (v < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    s->cur_idx = lo;
    return 0;
}

int spool_at_end(const spool *s)
{
    return s->nseg == 0 || s->cur_seg >= s->nseg ||
           (s->cur_seg == s->nseg - 1 &&
            s->cur_idx >= s->segs[s->nseg - 1].records);
}

int spool_read(spool *s, shmseq_log_record *r, size_t max)
{
    size_t got = 0;
    int rc;

    s->damage_gap = 0;
    while (got < max && !spool_at_end(s)) {
        spool_seg *g = &s->segs[s->cur_seg];
        uint64_t k;

        if (s->cur_idx >= g->records) {
            s->cur_seg++;
            s->cur_idx = 0;
            continue;
        }
        rc = open_cur(s);
        if (rc < 0)
            return rc;
        k = g->records - s->cur_idx;
        if (k > max - got)
            k = max - got;
        rc = need_buf(s, (size_t)k * s->rs);
        if (rc < 0)
            return fail(s, rc, "out of memory");
        rc = read_full(s->rfd, s->buf, (size_t)k * s->rs,
                       (off_t)(HDR + s->cur_idx * s->rs));
        if (rc < 0)
            return fail(s, rc, "reading the spool in '%s' failed: %s",
                        s->dir, strerror(-rc));
        for (uint64_t i = 0; i < k; i++) {
            shmseq_log_record *x = &r[got];

            if (shmseq_log_record_decode(s->buf + i * s->rs, s->hdr.width,
                                         g->seed, x) != 0) {
                /* Damaged on disk: skip it; the break ends the batch. */
                s->damaged++;
                s->cur_idx++;
                s->damage_pending = 1;
                if (got > 0)
                    return (int)got;
                continue;
            }
            if (got == 0 && s->damage_pending && s->read_next_valid &&
                x->seq > s->read_next)
                s->damage_gap = x->seq - s->read_next;
            s->damage_pending = 0;
            if (got > 0 && (x->seq != r[got - 1].seq + 1u ||
                            x->epoch != r[got - 1].epoch ||
                            x->lost_before != 0))
                return (int)got;
            got++;
            s->cur_idx++;
            s->read_next = x->seq + 1u;
            s->read_next_valid = 1;
        }
    }
    return (int)got;
}
