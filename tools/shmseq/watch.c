/* SPDX-License-Identifier: MIT */
/*
 * `shmseq watch NAME`: follow a region live through a reader of its own,
 * one status line per refresh, with event lines when the writer goes,
 * comes back, is taken over, or replaces the region.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

/* How many values a status line shows. */
#define WATCH_VALUES 4u

static void watch_usage(void)
{
    printf(
"Usage: %s watch NAME [--interval MS] [--count N]\n"
"Follow region NAME live through a reader of its own, one line per refresh:\n"
"publish rate, samples received and lost by this reader, its lag behind the\n"
"writer (samples published but not yet read), the writer epoch and the\n"
"latest values (the first %u). Says so when the writer goes away, a new\n"
"writer takes over, or a writer replaces the region (another width or\n"
"capacity: it then follows the new one; the counters go on adding up).\n"
"Stops on Ctrl-C.\n"
"\n"
"  -i, --interval MS  refresh period, 10..3600000 ms          (default 1000)\n"
"  -c, --count N      stop after N refreshes; 0 = until Ctrl-C (default 0)\n"
"  -h, --help         this text\n"
"\n"
"Exit status: 0 ok (Ctrl-C included), 1 runtime failure, 2 usage error,\n"
"3 no region of that name.\n", cli_prog, WATCH_VALUES);
}

/* Everything a watch keeps between refreshes. */
typedef struct {
    const char *name;
    shmseq_reader r;
    uint32_t width, shown;   /* values per sample; how many a line shows */
    shmseq_region_info info; /* the header at the last refresh */
    int have_info;
    uint64_t prev_head, prev_t; /* for the rate */
    uint32_t last_epoch, last_pid;
    int alive, gone_said, have_latest;
    double latest[SHMSEQ_WIDTH_MAX];
    /* Counters of regions replaced meanwhile, so the summary adds up. */
    uint64_t past_received, past_lost;
    uint32_t past_changes;
} watch_state;

/* An event line between the status lines, e.g. "-- imu: writer gone". */
static void watch_event(const watch_state *w, const char *msg)
{
    char t[16];

    cli_fmt_time(t, sizeof t, cli_realtime_ns(), 0);
    printf("%-8s  -- %s: %s\n", t, w->name, msg);
}

/* Open (or, after a replacement, reopen) the reader at the newest sample.
 * A writer may still be making a new region (-EAGAIN): give it a second. */
static int watch_open(watch_state *w, int retry)
{
    int rc = -EAGAIN;

    for (int i = 0; i < (retry ? 50 : 1) && rc == -EAGAIN && !cli_stop_signal;
         i++) {
        rc = shmseq_reader_open(&w->r, w->name,
                                (unsigned)SHMSEQ_START_LATEST | CLI_READER_FLAGS);
        if (rc == -EAGAIN && retry)
            cli_sleep_ns(20u * NS_PER_MS);
    }
    if (rc < 0)
        return rc;
    w->width = shmseq_reader_width(&w->r);
    w->shown = w->width < WATCH_VALUES ? w->width : WATCH_VALUES;
    w->have_latest = 0;
    return 0;
}

/* Read samples until @p deadline: the latest one is shown, a new epoch is
 * an event. Returns 0 at the deadline or on a signal, <0 on a read error. */
static int watch_read_until(watch_state *w, uint64_t deadline)
{
    double v[SHMSEQ_WIDTH_MAX];
    shmseq_sample meta;
    char msg[96];

    while (!cli_stop_signal) {
        uint64_t now = shmseq_now_ns();
        int rc;

        if (now >= deadline)
            return 0;
        rc = shmseq_read_wait(&w->r, &meta, v, SHMSEQ_WIDTH_MAX,
                              (int64_t)(deadline - now));
        if (rc == -ETIMEDOUT || rc == -EAGAIN || rc == -EINTR)
            continue;
        if (rc < 0)
            return rc;
        memcpy(w->latest, v, sizeof v[0] * meta.width);
        w->have_latest = 1;
        if (meta.epoch != w->last_epoch) {
            if (w->last_epoch != 0) {
                (void)snprintf(msg, sizeof msg,
                               "new writer took over: epoch %" PRIu32
                               " (was %" PRIu32 ")", meta.epoch,
                               w->last_epoch);
                watch_event(w, msg);
            }
            w->last_epoch = meta.epoch;
        }
    }
    return 0;
}

/* A writer replaced the region (another width or capacity): our mapping
 * will never move again. Follow the new one, keeping the counters. */
static int watch_follow_replacement(watch_state *w)
{
    shmseq_reader_stats st;
    char msg[160];
    int rc;

    shmseq_reader_get_stats(&w->r, &st);
    w->past_received += st.received;
    w->past_lost += st.lost;
    w->past_changes += st.epoch_changes;
    shmseq_reader_close(&w->r);
    rc = watch_open(w, 1);
    if (rc < 0) {
        (void)snprintf(msg, sizeof msg, "the region was replaced and the new "
                       "one cannot be opened: %s", shmseq_strerror(rc));
        watch_event(w, msg);
        return rc;
    }
    memset(&w->info, 0, sizeof w->info);
    if (shmseq_info(w->name, &w->info) == 0) {
        w->prev_head = w->info.head;
        w->last_epoch = w->info.epoch;
    }
    (void)snprintf(msg, sizeof msg, "the region was replaced by a new one "
                   "(width %" PRIu32 ", capacity %" PRIu32 "); following it",
                   w->width, w->info.capacity);
    watch_event(w, msg);
    return 0;
}

/* The writer and the name at a refresh: events when they change. */
static void watch_track_writer(watch_state *w, int alive_now)
{
    char msg[96];

    w->have_info = shmseq_info(w->name, &w->info) == 0;
    if (alive_now == 0 && w->alive) {
        (void)snprintf(msg, sizeof msg, "writer gone (pid %" PRIu32
                       "); waiting for a new one", w->last_pid);
        watch_event(w, msg);
        w->alive = 0;
    } else if (alive_now > 0 && !w->alive) {
        (void)snprintf(msg, sizeof msg, "writer running (pid %" PRIu32 ")",
                       w->have_info ? w->info.writer_pid : 0u);
        watch_event(w, msg);
        w->alive = 1;
    }
    if (w->have_info) {
        w->gone_said = 0;
        if (w->info.writer_pid != 0)
            w->last_pid = w->info.writer_pid;
    } else if (!w->gone_said) {
        /* The name is gone (shmseq rm): this mapping lives on but no new
         * writer can reach it. */
        watch_event(w, "the region was removed (its name is gone)");
        w->gone_said = 1;
    }
}

/* One status line: time, rate, this reader's counters, lag, epoch,
 * values. */
static void watch_status_line(watch_state *w, uint64_t now)
{
    shmseq_reader_stats st;
    char t[16], lag[24], rate[24];

    shmseq_reader_get_stats(&w->r, &st);
    cli_fmt_time(t, sizeof t, cli_realtime_ns(), 0);
    if (w->have_info && w->info.head >= w->prev_head && now > w->prev_t)
        (void)snprintf(rate, sizeof rate, "%.1f",
                       (double)(w->info.head - w->prev_head) * 1e9 /
                           (double)(now - w->prev_t));
    else
        (void)snprintf(rate, sizeof rate, "-");
    if (w->have_info)
        w->prev_head = w->info.head;
    w->prev_t = now;
    if (w->have_info && w->info.head >= st.next)
        (void)snprintf(lag, sizeof lag, "%" PRIu64, w->info.head - st.next);
    else
        (void)snprintf(lag, sizeof lag, "-");
    printf("%-8s  %10s  %10" PRIu64 "  %8" PRIu64 "  %6s  %5" PRIu32 "  ", t,
           rate, st.received, st.lost, lag,
           st.epoch != 0 ? st.epoch : w->last_epoch);
    if (w->have_latest)
        for (uint32_t c = 0; c < w->shown; c++)
            printf("%s%.6g", c != 0 ? " " : "", w->latest[c]);
    else
        printf("(no sample yet)");
    putchar('\n');
}

/* The lines before the first status line. */
static void watch_header(const watch_state *w)
{
    char wbuf[48];

    cli_fmt_writer(wbuf, sizeof wbuf, &w->info);
    printf("watching '%s': width %" PRIu32 ", capacity %" PRIu32
           ", writer %s, epoch %" PRIu32 "; Ctrl-C to stop\n",
           w->name, w->width, w->info.capacity, wbuf, w->info.epoch);
    printf("%-8s  %10s  %10s  %8s  %6s  %5s  %s%s\n", "TIME", "RATE/s",
           "RECEIVED", "LOST", "LAG", "EPOCH", "VALUES",
           w->width > w->shown ? " (first values)" : "");
    if (!w->alive)
        watch_event(w, "no writer holds the region; waiting for one");
}

int cli_watch(int argc, char **argv)
{
    uint64_t interval_ms = 1000, count = 0, lines = 0, deadline;
    const cli_opt opts[] = {
        {"interval", 'i', CLI_OPT_NUM, &interval_ms, 10, 3600000,
         "10..3600000 ms"},
        {"count", 'c', CLI_OPT_NUM, &count, 0, UINT64_MAX, "a number"},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"watch", watch_usage, opts, 1, 1};
    shmseq_reader_stats st;
    watch_state w;
    int first, rc, status = CLI_OK;

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;
    memset(&w, 0, sizeof w);
    w.name = argv[first];
    rc = cli_check_name("watch", w.name);
    if (rc != CLI_OK)
        return rc;

    cli_catch_signals();
    rc = watch_open(&w, 0);
    if (rc < 0)
        return cli_region_error("watch", w.name, rc);
    rc = shmseq_info(w.name, &w.info);
    if (rc < 0) {
        shmseq_reader_close(&w.r);
        return cli_region_error("watch", w.name, rc);
    }
    w.last_epoch = w.info.epoch;
    w.last_pid = w.info.writer_pid;
    w.alive = w.info.writer_alive != 0;
    /* Line-buffered even into a pipe: a watcher wants each line now. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    watch_header(&w);

    w.prev_head = w.info.head;
    w.prev_t = shmseq_now_ns();
    deadline = w.prev_t + interval_ms * NS_PER_MS;
    while (!cli_stop_signal) {
        uint64_t now;
        int alive_now;

        rc = watch_read_until(&w, deadline);
        if (rc < 0) {
            fprintf(stderr, "%s: watch %s: read failed: %s\n", cli_prog,
                    w.name, shmseq_strerror(rc));
            status = CLI_FAIL;
            break;
        }
        if (cli_stop_signal)
            break;
        /* A refresh: this reader's counters, the header, the writer. */
        alive_now = shmseq_reader_writer_alive(&w.r);
        if (alive_now == -ESTALE) {
            if (watch_follow_replacement(&w) < 0)
                return CLI_FAIL; /* the reader is closed */
            alive_now = shmseq_reader_writer_alive(&w.r);
        }
        watch_track_writer(&w, alive_now);
        now = shmseq_now_ns();
        watch_status_line(&w, now);
        if (ferror(stdout)) {
            status = CLI_FAIL;
            break;
        }
        if (count != 0 && ++lines >= count)
            break;
        deadline += interval_ms * NS_PER_MS;
        if (deadline <= now) /* we were suspended: do not catch up */
            deadline = now + interval_ms * NS_PER_MS;
    }
    shmseq_reader_get_stats(&w.r, &st);
    shmseq_reader_close(&w.r);
    if (status != CLI_OK)
        return status;
    printf("stopped: received %" PRIu64 " lost %" PRIu64 " writer takeovers "
           "seen %" PRIu32 "\n", w.past_received + st.received,
           w.past_lost + st.lost, w.past_changes + st.epoch_changes);
    return CLI_OK;
}
