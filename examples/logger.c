/* SPDX-License-Identifier: MIT */
/*
 * logger: the logger task. Attaches to a named shmseq region as a reader
 * (waiting for it to appear), writes every sample as a CSV row or a binary
 * log record (tools/logfmt.h, docs/logging.md), reports its rate and losses
 * once a second on stderr, and stops on a signal, after --count samples, or
 * when the region has gone idle with no writer.
 *
 * The output is the only copy of the data, so it goes through write(2)
 * from the logger's own buffer (not stdio): the logger then knows exactly
 * which records reached the file, counts every other one as lost to I/O,
 * and can cut the file back to its last complete record after an error.
 * Its summary checks published == written + lost-to-overrun + lost-to-I/O
 * (+ unread, the samples published after it stopped reading).
 */
#define _POSIX_C_SOURCE 200809L

#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "example_util.h"
#include "logfmt.h"

_Static_assert(SHMSEQ_LOG_WIDTH_MAX == SHMSEQ_WIDTH_MAX, "log width");
_Static_assert(SHMSEQ_LOG_NAME_MAX == SHMSEQ_NAME_MAX, "log name");

static const char *prog = "logger";

/* Exit status: the region was replaced under the logger (see --help). */
#define EX_REPLACED 4

/* Records are buffered and written once a second (or when the buffer is
 * full), not once per sample, so the logger keeps up with fast writers.
 * ends[] remembers where each buffered record ends, so a short write says
 * exactly which records reached the file. */
#define SINK_BUF_SIZE (256u * 1024u)
#define SINK_MAX_RECORDS 32768u
#define SINK_PATH_MAX 4096u

typedef struct sink {
    const char *base;          /* --out; NULL: stdout */
    char path[SINK_PATH_MAX];  /* the current segment */
    int fd;
    int bin;                   /* --format bin */
    int force;                 /* --force: replace existing files */
    int dead;                  /* an I/O error happened: store nothing more */
    uint32_t width;
    uint32_t segment;
    uint64_t max_bytes;        /* rotate before exceeding; 0: never */
    uint64_t seg_bytes;        /* bytes in this segment, buffered included */
    uint64_t seg_records;      /* records in this segment, buffered too */
    uint64_t file_good;        /* bytes of this segment known written */
    uint64_t sync_records;     /* --fsync N: every N records; 0: off */
    uint64_t sync_ns;          /* --fsync Tms: every T; 0: off */
    uint64_t last_sync_ns;
    uint64_t unsynced;         /* records written since the last fsync */
    shmseq_log_header hdr;     /* template for each segment's header */
    /* counters */
    uint64_t written;          /* records that reached the file */
    uint64_t lost_io;          /* records that could not be stored */
    uint64_t bytes;            /* bytes that reached the file(s) */
    uint32_t segments;         /* files opened */
    /* the buffer */
    size_t len;
    size_t hdr_len;            /* leading bytes that are a file header */
    uint32_t nrec;
    uint32_t ends[SINK_MAX_RECORDS];
    unsigned char buf[SINK_BUF_SIZE];
} sink;

static sink out_sink;

static uint64_t realtime_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *sink_name(const sink *k)
{
    return k->base == NULL ? "stdout" : k->path;
}

/* After the first I/O error the output is given up: the error is said
 * once, with the path, and every later sample counts as lost to I/O. */
static void sink_fail(sink *k, const char *what, int err)
{
    fprintf(stderr, "%s: %s '%s' failed: %s; %" PRIu64 " records stored, "
            "counting every further sample as lost to I/O\n", prog, what,
            sink_name(k), strerror(err), k->written);
    k->dead = 1;
    if (k->base != NULL && k->fd >= 0)
        close(k->fd);
    k->fd = -1;
}

/* Write the buffer. On error, cut the file back to the last complete
 * record that reached it (so it holds only whole records) and count the
 * rest of the buffer as lost to I/O. */
static int sink_flush(sink *k)
{
    size_t off = 0, keep;
    uint32_t done = 0;
    int err = 0;

    if (k->dead || k->len == 0)
        return k->dead ? -1 : 0;
    while (off < k->len) {
        ssize_t n = write(k->fd, k->buf + off, k->len - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        off += (size_t)n;
    }
    if (err == 0) {
        k->written += k->nrec;
        k->unsynced += k->nrec;
        k->bytes += k->len;
        k->file_good += k->len;
        k->len = k->hdr_len = 0;
        k->nrec = 0;
        return 0;
    }
    while (done < k->nrec && k->ends[done] <= off)
        done++;
    keep = done != 0 ? k->ends[done - 1] : (off >= k->hdr_len ? k->hdr_len
                                                               : 0);
    k->written += done;
    k->unsynced += done;
    k->lost_io += k->nrec - done;
    k->bytes += keep;
    if (keep != off && k->base != NULL &&
        ftruncate(k->fd, (off_t)(k->file_good + keep)) != 0)
        fprintf(stderr, "%s: could not cut '%s' back to its last complete "
                "record (%s); 'shmseq-log recover' skips the torn tail\n",
                prog, k->path, strerror(errno));
    k->file_good += keep;
    k->len = k->hdr_len = 0;
    k->nrec = 0;
    sink_fail(k, "writing", err);
    return -1;
}

/* Flush, then make what was written durable. A failed fsync means the
 * records written since the last good one may not be stored: they are
 * moved from written to lost to I/O. */
static int sink_sync(sink *k, uint64_t now)
{
    if (sink_flush(k) < 0)
        return -1;
    k->last_sync_ns = now;
    if (k->base == NULL || k->unsynced == 0)
        return 0;
    if (fsync(k->fd) != 0) {
        int err = errno;

        k->written -= k->unsynced;
        k->lost_io += k->unsynced;
        k->unsynced = 0;
        sink_fail(k, "fsync of", err);
        return -1;
    }
    k->unsynced = 0;
    return 0;
}

/* Create segment k->segment: the base name for the first, "BASE.NNNNNN"
 * after, so a shell glob lists them in write order. Never replaces an
 * existing file without --force (O_EXCL). */
static int sink_create(sink *k)
{
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC, n;

    if (k->segment == 0)
        n = snprintf(k->path, sizeof k->path, "%s", k->base);
    else
        n = snprintf(k->path, sizeof k->path, "%s.%06u", k->base,
                     (unsigned)k->segment);
    if (n < 0 || (size_t)n >= sizeof k->path) {
        fprintf(stderr, "%s: output path too long\n", prog);
        return -1;
    }
    flags |= k->force ? O_TRUNC : O_EXCL;
    k->fd = open(k->path, flags, 0666);
    if (k->fd < 0) {
        int err = errno;

        fprintf(stderr, "%s: cannot create '%s': %s%s\n", prog, k->path,
                strerror(err), err == EEXIST
                    ? " (not overwriting it: pass --force, or another --out)"
                    : "");
        return -1;
    }
    k->segments++;
    k->seg_bytes = k->file_good = k->seg_records = 0;
    return 0;
}

/* Start a file with its header. The header goes through the buffer like a
 * record, so a write error on it is handled (and accounted) the same way.
 * @p head: the first sample number the file can hold. */
static void sink_begin(sink *k, uint64_t head)
{
    if (k->bin) {
        k->hdr.segment = k->segment;
        k->hdr.start_realtime_ns = realtime_ns();
        k->hdr.start_monotonic_ns = shmseq_now_ns();
        k->hdr.head = head;
        shmseq_log_header_encode(&k->hdr, k->buf);
        k->len = SHMSEQ_LOG_HEADER_SIZE;
    } else {
        k->len = shmseq_log_csv_header((char *)k->buf, SINK_BUF_SIZE,
                                       k->width);
    }
    k->hdr_len = k->len;
    k->seg_bytes = k->len;
}

/* The first file is created before the region is attached, so a refused
 * --out fails at once instead of after waiting for the region. */
static int sink_open(sink *k)
{
    k->fd = -1;
    if (k->base == NULL) {
        k->fd = STDOUT_FILENO;
        k->segments = 1;
        return 0;
    }
    return sink_create(k);
}

/* Close the current segment (made durable first) and open the next. */
static int sink_rotate(sink *k, const shmseq_log_record *rec, uint64_t now)
{
    if (sink_sync(k, now) < 0)
        return -1;
    if (close(k->fd) != 0) {
        k->fd = -1;
        sink_fail(k, "closing", errno);
        return -1;
    }
    k->fd = -1;
    k->segment++;
    k->hdr.epoch = rec->epoch;
    if (sink_create(k) < 0) {
        k->dead = 1;
        return -1;
    }
    sink_begin(k, rec->seq);
    return 0;
}

/* Store one sample (or count it lost to I/O once the output is dead). */
static void sink_put(sink *k, const shmseq_sample *meta, const double *v,
                     uint64_t now)
{
    shmseq_log_record rec;
    unsigned char item[SHMSEQ_LOG_CSV_ROW_MAX > SHMSEQ_LOG_RECORD_MAX
                           ? SHMSEQ_LOG_CSV_ROW_MAX : SHMSEQ_LOG_RECORD_MAX];
    size_t size;
    uint32_t c;

    if (k->dead) {
        k->lost_io++;
        return;
    }
    rec.seq = meta->seq;
    rec.timestamp_ns = meta->timestamp_ns;
    rec.lost_before = meta->lost;
    rec.epoch = meta->epoch;
    rec.width = meta->width;
    for (c = 0; c < meta->width; c++)
        rec.values[c] = v[c];
    if (k->bin)
        size = shmseq_log_record_encode(&rec, item);
    else
        size = shmseq_log_csv_row((char *)item, sizeof item, &rec);
    /* A segment holds at least one record, however small --max-bytes. */
    if (k->max_bytes != 0 && k->seg_records != 0 &&
        k->seg_bytes + size > k->max_bytes && sink_rotate(k, &rec, now) < 0) {
        k->lost_io++;
        return;
    }
    if ((k->len + size > SINK_BUF_SIZE || k->nrec == SINK_MAX_RECORDS) &&
        sink_flush(k) < 0) {
        k->lost_io++;
        return;
    }
    memcpy(k->buf + k->len, item, size);
    k->len += size;
    k->seg_bytes += size;
    k->seg_records++;
    k->ends[k->nrec++] = (uint32_t)k->len;
    if (k->sync_records != 0 && k->unsynced + k->nrec >= k->sync_records)
        sink_sync(k, now);
}

/* Called every loop turn: the time-based fsync policy. */
static void sink_tick(sink *k, uint64_t now)
{
    if (!k->dead && k->sync_ns != 0 && now - k->last_sync_ns >= k->sync_ns)
        sink_sync(k, now);
}

/* At exit: everything buffered is written and made durable, then closed;
 * a close error counts like an fsync error. */
static void sink_close(sink *k)
{
    if (k->dead)
        return;
    if (sink_sync(k, shmseq_now_ns()) < 0)
        return;
    if (k->base != NULL) {
        if (close(k->fd) != 0) {
            int err = errno;

            k->fd = -1;
            k->written -= k->unsynced;
            k->lost_io += k->unsynced;
            sink_fail(k, "closing", err);
            return;
        }
        k->fd = -1;
    }
}

/* --fsync: "exit", N (records) or T followed by "ms" or "s". */
static int parse_fsync(const char *s, sink *k)
{
    char *end;
    unsigned long long v;

    k->sync_records = k->sync_ns = 0;
    if (strcmp(s, "exit") == 0)
        return 0;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE || v == 0 || v > 1000000000ull)
        return -1;
    if (*end == '\0')
        k->sync_records = v;
    else if (strcmp(end, "ms") == 0)
        k->sync_ns = v * 1000000u;
    else if (strcmp(end, "s") == 0)
        k->sync_ns = v * 1000000000u;
    else
        return -1;
    return 0;
}

/* --max-bytes: a number with an optional k, M or G (powers of 1024). */
static int parse_bytes(const char *s, uint64_t *out)
{
    char *end;
    unsigned long long v;
    unsigned shift = 0;

    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno == ERANGE)
        return -1;
    if (*end == 'k' || *end == 'K')
        shift = 10;
    else if (*end == 'M')
        shift = 20;
    else if (*end == 'G')
        shift = 30;
    if (shift != 0)
        end++;
    if (*end != '\0' || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static void usage(void)
{
    printf(
"Usage: %s [OPTION]...\n"
"Read every sample of a shmseq region and store it as CSV or a binary log.\n"
"\n"
"  -n, --name REGION   region to read                          (default %s)\n"
"  -w, --wait S        wait up to S seconds for the region to appear\n"
"                                                              (default 5)\n"
"  -o, --out FILE      output file, '-' = stdout (CSV only)    (default -)\n"
"  -F, --format FMT    csv or bin (the binary log of docs/logging.md, read\n"
"                      it with shmseq-log)                     (default csv)\n"
"  -f, --force         replace existing output files (default: refuse)\n"
"  -s, --fsync WHEN    make the file durable (fsync) every N records ('N'),\n"
"                      every T milliseconds or seconds ('Tms', 'Ts'), or\n"
"                      only at exit ('exit'); always also at exit and\n"
"                      before each rotation                 (default 1000ms)\n"
"  -m, --max-bytes B   start a new file before one would exceed B bytes\n"
"                      (k, M, G suffixes: powers of 1024): FILE, then\n"
"                      FILE.000001, FILE.000002, ...; each begins with its\n"
"                      own header; 0 = one file             (default 0)\n"
"  -O, --oldest        start with the oldest sample in the ring\n"
"  -A, --any-owner     read a region created by another user (e.g. a sensor\n"
"                      task running under its own account, region mode 0640)\n"
"                      (default: with the next sample published)\n"
"  -i, --idle S        stop once no sample arrived for S seconds and no\n"
"                      writer holds the region; 0 = never      (default 2)\n"
"  -S, --spin US       spin-then-sleep: poll up to US microseconds for the\n"
"                      next sample before sleeping (lower latency for fast\n"
"                      streams, up to US of CPU per sample); 0 = sleep at\n"
"                      once                                    (default 0)\n"
"  -N, --no-loss       treat any lost sample as an error (exit status 3)\n"
"  -c, --count N       stop after N samples; 0 = no limit      (default 0)\n"
"  -q, --quiet         no per-second status lines\n"
"  -h, --help          this text\n"
"\n"
"CSV columns: seq,timestamp_ns,epoch,v0,v1,... (values with 17 significant\n"
"digits, so they read back bit for bit). Status lines and the summary go\n"
"to stderr; the summary checks published = written + lost-to-overrun +\n"
"lost-to-I/O + unread. It stops on Ctrl-C/SIGTERM, --count or --idle.\n"
"After a write or fsync error (disk full, I/O error) it says so once, cuts\n"
"the file back to its last complete record, keeps reading and counts every\n"
"further sample as lost to I/O, and exits with status 1.\n"
"If a writer replaces the region (sensor_reader --recreate with another\n"
"width or capacity, or `shmseq rm` and a new writer), this logger's mapping\n"
"can never see a new sample: after a second without one it says so and\n"
"stops with status 4, so a supervisor can start it on the new region.\n"
"Exit status: 0 ok, 1 runtime failure (I/O error included), 2 usage error,\n"
"3 samples lost with --no-loss, 4 the region was replaced.\n",
        prog, EXAMPLE_DEFAULT_REGION);
}

/* Attach, retrying while the region does not exist yet or is being made. */
static int open_waiting(shmseq_reader *r, const char *name, unsigned flags,
                        double wait_s)
{
    uint64_t deadline = shmseq_now_ns() + example_seconds_to_ns(wait_s);
    int rc;

    for (;;) {
        rc = shmseq_reader_open(r, name, flags);
        if (rc != -ENOENT && rc != -EAGAIN)
            return rc;
        if (example_stop_signal || shmseq_now_ns() >= deadline)
            return rc;
        /* 20 ms: quick enough to catch a starting writer early. */
        shmseq_port_sleep_ns(20000000u);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"wait", required_argument, NULL, 'w'},
        {"out", required_argument, NULL, 'o'},
        {"format", required_argument, NULL, 'F'},
        {"force", no_argument, NULL, 'f'},
        {"fsync", required_argument, NULL, 's'},
        {"max-bytes", required_argument, NULL, 'm'},
        {"oldest", no_argument, NULL, 'O'},
        {"any-owner", no_argument, NULL, 'A'},
        {"idle", required_argument, NULL, 'i'},
        {"no-loss", no_argument, NULL, 'N'},
        {"spin", required_argument, NULL, 'S'},
        {"count", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = EXAMPLE_DEFAULT_REGION, *out_path = "-";
    double wait_s = 5.0, idle_s = 2.0;
    uint64_t count = 0, spin_us = 0;
    int oldest = 0, any_owner = 0, no_loss = 0, quiet = 0, opt, rc;
    const char *why = "signal";
    sink *k = &out_sink;
    shmseq_reader r;
    shmseq_sample meta;
    shmseq_reader_stats st;
    shmseq_region_info info;
    double v[SHMSEQ_WIDTH_MAX];
    uint32_t width, last_epoch = 0, epochs = 0;
    uint64_t received = 0, lost = 0, first_seq = 0, last_seq = 0;
    uint64_t idle_ns, last_arrival, next_status, prev_received = 0;
    uint64_t next_probe;
    uint64_t prev_status, published, head_end, unread;
    int status = EX_OK, loss_failed = 0, have_info;

    k->sync_ns = 1000000000u; /* --fsync 1000ms */
    while ((opt = getopt_long(argc, argv, "n:w:o:F:fs:m:OAi:NS:c:qh", opts,
                              NULL)) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'w':
            if (shmseq_parse_seconds(optarg, &wait_s) < 0)
                example_usage_error(prog, "--wait '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'F':
            if (strcmp(optarg, "bin") == 0)
                k->bin = 1;
            else if (strcmp(optarg, "csv") == 0)
                k->bin = 0;
            else
                example_usage_error(prog, "--format '%s': want csv or bin",
                                    optarg);
            break;
        case 'f': k->force = 1; break;
        case 's':
            if (parse_fsync(optarg, k) < 0)
                example_usage_error(prog, "--fsync '%s': want N (records), "
                                    "Tms, Ts or exit", optarg);
            break;
        case 'm':
            if (parse_bytes(optarg, &k->max_bytes) < 0)
                example_usage_error(prog, "--max-bytes '%s': want bytes "
                                    "(k, M, G allowed)", optarg);
            break;
        case 'O': oldest = 1; break;
        case 'A': any_owner = 1; break;
        case 'i':
            if (shmseq_parse_seconds(optarg, &idle_s) < 0)
                example_usage_error(prog, "--idle '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'N': no_loss = 1; break;
        case 'S':
            /* At most an hour: a budget is a spin, not a poll loop. */
            if (shmseq_parse_u64(optarg, &spin_us) < 0 ||
                spin_us > 3600ull * 1000000u)
                example_usage_error(prog, "--spin '%s': want microseconds, "
                                    "0..3600000000", optarg);
            break;
        case 'c':
            if (shmseq_parse_u64(optarg, &count) < 0)
                example_usage_error(prog, "--count '%s': want a number >= 0",
                                    optarg);
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(); return EX_OK;
        default:
            fprintf(stderr, "Try '%s --help'.\n", prog);
            return EX_USAGE;
        }
    }
    if (optind < argc)
        example_usage_error(prog, "unexpected argument '%s'", argv[optind]);
    k->base = strcmp(out_path, "-") == 0 ? NULL : out_path;
    if (k->base == NULL && k->bin)
        example_usage_error(prog, "%s: the binary log needs a file (--out)",
                            "--format bin");
    if (k->base == NULL && k->max_bytes != 0)
        example_usage_error(prog, "%s: rotation needs a file (--out)",
                            "--max-bytes");
    rc = shmseq_name_check(name);
    if (rc < 0) {
        example_region_error(prog, name, rc, 0);
        return EX_USAGE;
    }

    if (sink_open(k) < 0)
        return EX_FAIL;
    example_catch_signals();
    rc = open_waiting(&r, name,
                      (oldest ? SHMSEQ_START_OLDEST : SHMSEQ_START_LATEST) |
                          (any_owner ? SHMSEQ_READER_ANY_OWNER : 0u),
                      wait_s);
    if (rc < 0) {
        /* Leave no empty file behind for a run that never started. */
        if (k->base != NULL) {
            close(k->fd);
            if (!k->force)
                unlink(k->path);
        }
        if (example_stop_signal && (rc == -ENOENT || rc == -EAGAIN))
            return EX_FAIL; /* interrupted while waiting; nothing to say */
        example_region_error(prog, name, rc, 0);
        return EX_FAIL;
    }
    shmseq_reader_set_spin(&r, spin_us * 1000u);
    width = shmseq_reader_width(&r);
    k->width = width;
    /* The region's identity, for the binary log's header. */
    have_info = shmseq_info(name, &info) == 0;
    if (!have_info)
        memset(&info, 0, sizeof info);
    shmseq_reader_get_stats(&r, &st);
    memset(&k->hdr, 0, sizeof k->hdr);
    k->hdr.width = width;
    k->hdr.capacity = info.capacity;
    k->hdr.epoch = info.epoch;
    k->hdr.writer_pid = info.writer_pid;
    k->hdr.created_realtime_ns = info.created_realtime_ns;
    k->hdr.created_monotonic_ns = info.created_monotonic_ns;
    snprintf(k->hdr.name, sizeof k->hdr.name, "%s", name);
    k->last_sync_ns = shmseq_now_ns();
    sink_begin(k, st.next);
    if (!quiet)
        fprintf(stderr, "%s: reading region '%s' (width %u) from the %s "
                "sample into %s (%s)\n", prog, name, (unsigned)width,
                oldest ? "oldest" : "next", sink_name(k),
                k->bin ? "binary log" : "CSV");

    idle_ns = example_seconds_to_ns(idle_s);
    last_arrival = shmseq_now_ns();
    prev_status = last_arrival;
    next_status = last_arrival + 1000000000u;
    next_probe = last_arrival + 1000000000u;
    while (!example_stop_signal) {
        uint64_t now;

        /* 100 ms: short enough to print status and notice idleness. */
        rc = shmseq_read_wait(&r, &meta, v, SHMSEQ_WIDTH_MAX, 100000000);
        now = shmseq_now_ns();
        if (rc == 0) {
            if (received == 0)
                first_seq = meta.seq;
            last_seq = meta.seq;
            received++;
            last_arrival = now;
            if (meta.epoch != last_epoch) {
                epochs++;
                last_epoch = meta.epoch;
            }
            /* The sample after a gap is stored too, so the output holds
             * exactly the samples counted as received. */
            sink_put(k, &meta, v, now);
            if (meta.lost != 0) {
                lost += meta.lost;
                if (no_loss) {
                    fprintf(stderr,
                            "%s: lost %" PRIu64 " samples before sample %"
                            PRIu64 " (the logger fell more than the ring's "
                            "capacity behind); stopping (--no-loss)\n",
                            prog, meta.lost, meta.seq);
                    loss_failed = 1;
                    why = "loss";
                    break;
                }
            }
            if (count != 0 && received >= count) {
                why = "count reached";
                break;
            }
        } else if (rc == -ETIMEDOUT || rc == -EAGAIN) {
            /* After a second of silence, and once a second after that,
             * look whether the region was replaced under us (two system
             * calls; never while samples flow). Idle only counts once no
             * writer is there to resume: a writer that is merely slow or
             * paused keeps us waiting. */
            bool idle = idle_ns != 0 && now - last_arrival >= idle_ns;
            int alive = 1;
            if (idle || (now - last_arrival >= 1000000000u && now >= next_probe)) {
                alive = shmseq_reader_writer_alive(&r);
                next_probe = now + 1000000000u;
            }
            if (alive == -ESTALE) {
                fprintf(stderr, "%s: region '%s' was replaced by a new one "
                        "(a writer recreated it); this logger cannot follow "
                        "it: stopping (start the logger again)\n", prog, name);
                status = EX_REPLACED;
                why = "region replaced";
                break;
            }
            if (idle && alive != 1) {
                why = "idle, no writer";
                break;
            }
        } else if (rc != -EINTR) {
            fprintf(stderr, "%s: read failed: %s\n", prog,
                    shmseq_strerror(rc));
            status = EX_FAIL;
            why = "error";
            break;
        }
        sink_tick(k, now);
        if (now >= next_status) {
            sink_flush(k);
            if (!quiet)
                fprintf(stderr,
                        "%s: rate %.1f/s received %" PRIu64 " lost %" PRIu64
                        " bytes %" PRIu64 "%s\n",
                        prog,
                        (double)(received - prev_received) * 1e9 /
                            (double)(now - prev_status),
                        received, lost, k->bytes,
                        k->dead ? " (output failed)" : "");
            prev_received = received;
            prev_status = now;
            next_status = now + 1000000000u;
        }
    }

    sink_close(k);
    shmseq_reader_get_stats(&r, &st);
    /* Published, as the region counts it: from the logger's first sample
     * to the region's head now, read through the logger's own mapping, so
     * it is exact even if the region's name was removed meanwhile. */
    head_end = shmseq_reader_head(&r);
    shmseq_reader_close(&r);
    published = head_end - st.first;
    unread = head_end - st.next;
    if (example_stop_signal)
        why = "signal";
    fprintf(stderr,
            "%s: stopped (%s): received %" PRIu64 " lost %" PRIu64,
            prog, why, received, lost);
    if (received != 0)
        fprintf(stderr, " first seq %" PRIu64 " last seq %" PRIu64, first_seq,
                last_seq);
    else
        fprintf(stderr, " first seq - last seq -");
    fprintf(stderr, " epochs seen %u bytes %" PRIu64 "\n", (unsigned)epochs,
            k->bytes);
    fprintf(stderr, "%s: accounting: published %" PRIu64 " = written %"
            PRIu64 " + lost-to-overrun %" PRIu64 " + lost-to-I/O %" PRIu64
            " + unread %" PRIu64 ": %s (%u file%s)\n", prog, published,
            k->written, lost, k->lost_io, unread,
            published == k->written + lost + k->lost_io + unread
                ? "balanced" : "MISMATCH",
            (unsigned)k->segments, k->segments == 1 ? "" : "s");
    if (st.received != received || st.lost != lost)
        fprintf(stderr, "%s: warning: library counters disagree: received %"
                PRIu64 " lost %" PRIu64 "\n", prog, st.received, st.lost);
    if (published != k->written + lost + k->lost_io + unread ||
        received != k->written + k->lost_io)
        status = EX_FAIL;
    if (k->dead || k->lost_io != 0) {
        fprintf(stderr, "%s: %" PRIu64 " samples could not be stored in '%s'"
                "\n", prog, k->lost_io, sink_name(k));
        return EX_FAIL;
    }
    if (loss_failed)
        return 3;
    if (status != EX_OK)
        return status;
    if (no_loss && lost != 0)
        return 3;
    return EX_OK;
}
