/* SPDX-License-Identifier: MIT */
/*
 * `shmseq dump NAME`: samples as CSV in the logger's format: the ones in
 * the ring now (from the oldest, or with --tail/--latest the newest), or,
 * with --follow, the ones published from now on.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <shmseq/log_sample.h>

static void dump_usage(void)
{
    printf(
"Usage: %s dump NAME [--count N] [--tail | --latest | --follow [--oldest]]\n"
"                   [--no-header]\n"
"Print samples of region NAME as CSV, in the logger's format:\n"
"seq,timestamp_ns,epoch,v0,v1,... (values with 17 significant digits, so\n"
"they read back bit for bit).\n"
"By default: the samples in the ring now, from the oldest, then exit.\n"
"With --tail or --latest: the newest samples in the ring now (oldest of\n"
"them first), then exit.\n"
"With --follow: the samples published from now on (from the oldest with\n"
"--oldest), until Ctrl-C or N samples.\n"
"\n"
"  -c, --count N   at most N samples; 0 = no limit (default 0; with --tail\n"
"                  10, with --latest 1)\n"
"      --tail      the newest N samples instead of the oldest\n"
"      --latest    the newest sample (--tail with N = 1 unless --count)\n"
"      --follow    keep printing new samples (waits for them)\n"
"  -O, --oldest    with --follow: start with the oldest sample in the ring\n"
"  -H, --no-header no CSV header line\n"
"  -h, --help      this text\n"
"\n"
"Lost samples (overwritten by the writer before they were read) are\n"
"reported on stderr; the rows printed are always whole samples.\n"
"Exit status: 0 ok (Ctrl-C included), 1 runtime failure, 2 usage error,\n"
"3 no region of that name.\n", cli_prog);
}

/* The header line and the rows come from the logger's one CSV writer
 * (shmseq/logfmt.h), so the bytes are the same as the logger's. */
static void dump_header(uint32_t width)
{
    char line[SHMSEQ_LOG_CSV_ROW_MAX];

    if (shmseq_log_csv_header(line, sizeof line, width) != 0)
        fputs(line, stdout);
}

static int dump_row(const shmseq_sample *m, const double *v)
{
    char line[SHMSEQ_LOG_CSV_ROW_MAX];
    shmseq_log_record rec;
    size_t n;

    shmseq_log_record_from_sample(&rec, m, v);
    n = shmseq_log_csv_row(line, sizeof line, &rec);
    return n == 0 || fwrite(line, 1, n, stdout) != n ? -EIO : 0;
}

/* The next sample; with @p follow, waits for one (in slices, so Ctrl-C
 * between the flag check and the sleep does not leave us asleep on a
 * region whose writer is gone). -EAGAIN: none (more) to print. */
static int dump_next(shmseq_reader *r, int follow, shmseq_sample *meta,
                     double *v)
{
    int rc;

    while (!cli_stop_signal) {
        rc = shmseq_read(r, meta, v, SHMSEQ_WIDTH_MAX);
        if (rc != -EAGAIN)
            return rc;
        if (!follow)
            return -EAGAIN;
        /* Flush while idle, so a pipe sees rows as they come. */
        if (fflush(stdout) != 0)
            return -EAGAIN;
        rc = shmseq_read_wait(r, meta, v, SHMSEQ_WIDTH_MAX,
                              200 * (int64_t)NS_PER_MS);
        if (rc != -ETIMEDOUT && rc != -EINTR && rc != -EAGAIN)
            return rc;
    }
    return -EAGAIN;
}

int cli_dump(int argc, char **argv)
{
    uint64_t count = UINT64_MAX, printed = 0, lost = 0, end = UINT64_MAX;
    uint64_t start = 0; /* with --tail: the first sample to print */
    int follow = 0, oldest = 0, tail = 0, latest = 0, no_header = 0;
    int first, rc, status = CLI_OK;
    const cli_opt opts[] = {
        {"count", 'c', CLI_OPT_NUM, &count, 0, UINT64_MAX, "a number"},
        {"tail", 0, CLI_OPT_FLAG, &tail, 0, 0, NULL},
        {"latest", 0, CLI_OPT_FLAG, &latest, 0, 0, NULL},
        {"follow", 0, CLI_OPT_FLAG, &follow, 0, 0, NULL},
        {"oldest", 'O', CLI_OPT_FLAG, &oldest, 0, 0, NULL},
        {"no-header", 'H', CLI_OPT_FLAG, &no_header, 0, 0, NULL},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"dump", dump_usage, opts, 1, 1};
    double v[SHMSEQ_WIDTH_MAX];
    shmseq_region_info info;
    shmseq_sample meta;
    shmseq_reader r;
    const char *name;

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;
    if ((tail || latest) && (follow || oldest))
        return cli_usage_error("dump", "--tail and --latest show the ring "
                               "now; --follow%s shows what comes: choose one",
                               oldest ? " (with --oldest)" : "");
    if (count == UINT64_MAX)
        count = latest && !tail ? 1 : tail ? 10 : 0;
    name = argv[first];
    rc = cli_check_name("dump", name);
    if (rc != CLI_OK)
        return rc;

    if (follow)
        cli_catch_signals();
    rc = shmseq_reader_open(&r, name,
                            (follow && !oldest ? (unsigned)SHMSEQ_START_LATEST
                                               : (unsigned)SHMSEQ_START_OLDEST) |
                                CLI_READER_FLAGS);
    if (rc < 0)
        return cli_region_error("dump", name, rc);
    /* A snapshot ends at the head seen now; a fast writer would otherwise
     * keep a slow consumer dumping forever. */
    if (!follow && shmseq_info(name, &info) == 0) {
        end = info.head;
        /* The newest: read from the oldest (each sample is checked as
         * always), print from end - N. */
        if ((tail || latest) && count != 0 && end > count)
            start = end - count;
    }

    if (!no_header)
        dump_header(shmseq_reader_width(&r));
    while (count == 0 || printed < count) {
        rc = dump_next(&r, follow, &meta, v);
        if (rc == -EAGAIN)
            break;
        if (rc < 0) {
            fprintf(stderr, "%s: dump %s: read failed: %s\n", cli_prog, name,
                    shmseq_strerror(rc));
            status = CLI_FAIL;
            break;
        }
        if (meta.seq >= end)
            break;
        if (meta.seq < start)
            continue;
        /* Only the losses among the samples to print count. */
        if (meta.seq - start < meta.lost)
            meta.lost = meta.seq - start;
        if (meta.lost != 0) {
            lost += meta.lost;
            fflush(stdout);
            fprintf(stderr, "%s: dump %s: lost %" PRIu64 " samples before "
                    "sample %" PRIu64 " (overwritten before they could be "
                    "read)\n", cli_prog, name, meta.lost, meta.seq);
        }
        if (dump_row(&meta, v) < 0)
            break;
        printed++;
    }
    shmseq_reader_close(&r);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: dump %s: writing the output failed: %s\n",
                cli_prog, name, strerror(errno));
        return CLI_FAIL;
    }
    if (lost != 0)
        fprintf(stderr, "%s: dump %s: %" PRIu64 " samples printed, %" PRIu64
                " lost\n", cli_prog, name, printed, lost);
    return status;
}
