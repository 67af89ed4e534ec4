/* SPDX-License-Identifier: MIT */
/*
 * The parts of the `shmseq` tool every command shares (declared and
 * explained in cli.h): signals, the one option parser, region error
 * messages, time and size formatting, JSON output.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include <shmseq_util/parse.h>

const char *const cli_prog = "shmseq";

volatile sig_atomic_t cli_stop_signal;

static void on_signal(int sig)
{
    cli_stop_signal = sig;
}

/*
 * No SA_RESTART: a blocking shmseq_read_wait() or nanosleep() returns at
 * once with EINTR, so Ctrl-C is answered immediately.
 */
void cli_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);
}

/* ---- the option parser -------------------------------------------------- */

/* Enough for any command's table, plus --help and the terminator. */
#define CLI_OPTS_MAX 16
/* getopt_long's value for a long-only option: above every char. */
#define CLI_LONG_ONLY 0x100

int cli_usage_error(const char *cmd, const char *what, const char *arg)
{
    fprintf(stderr, "%s %s: ", cli_prog, cmd);
    fprintf(stderr, what, arg);
    fprintf(stderr, "\nTry '%s %s --help'.\n", cli_prog, cmd);
    return CLI_USAGE;
}

/* The name getopt prints in its own messages ("shmseq stat: unrecognized
 * option '--x'"): the program and the command, never a path. */
static char cmd_prog[32];

int cli_parse(const cli_cmd *cmd, int argc, char **argv, int *first)
{
    struct option lo[CLI_OPTS_MAX + 2];
    char shorts[2 * CLI_OPTS_MAX + 2];
    size_t n = 0, k = 0, i;
    int opt;

    (void)snprintf(cmd_prog, sizeof cmd_prog, "%s %s", cli_prog, cmd->name);
    argv[0] = cmd_prog;
    for (; cmd->opts != NULL && cmd->opts[n].name != NULL; n++) {
        const cli_opt *o = &cmd->opts[n];
        int arg = o->kind == CLI_OPT_FLAG ? no_argument : required_argument;

        assert(n < CLI_OPTS_MAX); /* a command's table, not user input */
        lo[n] = (struct option){o->name, arg, NULL,
                                o->letter != 0 ? o->letter
                                               : CLI_LONG_ONLY + (int)n};
        if (o->letter != 0) {
            shorts[k++] = o->letter;
            if (arg == required_argument)
                shorts[k++] = ':';
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    lo[n + 1] = (struct option){NULL, 0, NULL, 0};
    shorts[k++] = 'h';
    shorts[k] = '\0';

    optind = 1;
    opterr = 1;
    while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
        const cli_opt *o = NULL;

        if (opt == 'h') {
            cmd->usage();
            return CLI_OK;
        }
        for (i = 0; i < n && o == NULL; i++)
            if (lo[i].val == opt)
                o = &cmd->opts[i];
        if (o == NULL) { /* getopt said what was wrong */
            fprintf(stderr, "Try '%s %s --help'.\n", cli_prog, cmd->name);
            return CLI_USAGE;
        }
        if (o->kind == CLI_OPT_FLAG) {
            *(int *)o->dst = 1;
        } else if (shmseq_parse_u64_range(optarg, o->min, o->max,
                                          (uint64_t *)o->dst) < 0) {
            char what[96];

            (void)snprintf(what, sizeof what, "--%s '%%s': want %s", o->name,
                           o->want);
            return cli_usage_error(cmd->name, what, optarg);
        }
    }
    if (argc - optind < cmd->min_args)
        return cli_usage_error(cmd->name, "missing region NAME%s", "");
    if (cmd->max_args >= 0 && argc - optind > cmd->max_args)
        return cli_usage_error(cmd->name, "unexpected argument '%s'",
                               argv[optind + cmd->max_args]);
    *first = optind;
    return -1;
}

/* ---- regions ------------------------------------------------------------ */

const char *cli_region_strerror(int rc)
{
    /* From an open or info call -EAGAIN can only mean "being created" (the
     * library's sentence also speaks of samples), and -EPERM only the
     * owner (the tool reads regions of any owner). */
    if (rc == -EAGAIN)
        return "the region is still being created (try again in a moment)";
    if (rc == -EPERM)
        return "the region belongs to another user";
    /* For a valid name (every caller checked it first), -EINVAL means the
     * port found no regular file under it; the library's sentence would
     * blame the name. */
    if (rc == -EINVAL)
        return "not a region: another kind of file (a FIFO, directory, "
               "symbolic link or device) is under its name";
    return shmseq_strerror(rc);
}

static int exit_status(int rc)
{
    switch (rc) {
    case 0: return CLI_OK;
    case -ENOENT: return CLI_NOENT;
    case -ENAMETOOLONG: return CLI_USAGE;
    default: return CLI_FAIL;
    }
}

int cli_region_error(const char *cmd, const char *name, int rc)
{
    if ((rc == -EINVAL || rc == -ENAMETOOLONG) &&
        shmseq_name_check(name) < 0) {
        fprintf(stderr,
                "%s: %s %s: not a valid region name (use 1..%u characters "
                "from A-Z a-z 0-9 . _ -, not starting with '.')\n",
                cli_prog, cmd, name, (unsigned)SHMSEQ_NAME_MAX);
        return CLI_USAGE;
    }
    fprintf(stderr, "%s: %s %s: %s", cli_prog, cmd, name,
            cli_region_strerror(rc));
    if (rc == -ENOENT)
        fprintf(stderr, "; 'shmseq ls' lists the regions");
    else if (rc == -EBADMSG || rc == -EPROTO)
        fprintf(stderr, ": shmseq rm %s", name);
    fputc('\n', stderr);
    return exit_status(rc);
}

int cli_check_name(const char *cmd, const char *name)
{
    int rc = shmseq_name_check(name);

    return rc < 0 ? cli_region_error(cmd, name, rc) : CLI_OK;
}

/* ---- time and formatting ------------------------------------------------ */

uint64_t cli_realtime_ns(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (uint64_t)ts.tv_sec * NS_PER_S + (uint64_t)ts.tv_nsec;
}

void cli_sleep_ns(uint64_t ns)
{
    struct timespec ts;

    ts.tv_sec = (time_t)(ns / NS_PER_S);
    ts.tv_nsec = (long)(ns % NS_PER_S);
    (void)nanosleep(&ts, NULL);
}

/* Age of a region from its creation stamp; 0 if the clock went back. */
uint64_t cli_region_age_ns(const shmseq_region_info *info, uint64_t now)
{
    return now > info->created_realtime_ns ? now - info->created_realtime_ns
                                           : 0;
}

/* "3d04h", "1h02m", "5m12s", "42.1s": coarse, for people. */
void cli_fmt_age(char *buf, size_t size, uint64_t ns)
{
    uint64_t s = ns / NS_PER_S;

    if (s >= 86400u)
        (void)snprintf(buf, size, "%" PRIu64 "d%02uh", s / 86400u,
                       (unsigned)(s % 86400u / 3600u));
    else if (s >= 3600u)
        (void)snprintf(buf, size, "%" PRIu64 "h%02um", s / 3600u,
                       (unsigned)(s % 3600u / 60u));
    else if (s >= 60u)
        (void)snprintf(buf, size, "%" PRIu64 "m%02us", s / 60u,
                       (unsigned)(s % 60u));
    else
        (void)snprintf(buf, size, "%.1fs", (double)ns / 1e9);
}

/* "896 B", "12.0 KiB", "1.0 MiB". */
void cli_fmt_size(char *buf, size_t size, uint64_t bytes)
{
    static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB"};
    double v = (double)bytes;
    unsigned u = 0;

    if (bytes < 1024u) {
        (void)snprintf(buf, size, "%" PRIu64 " B", bytes);
        return;
    }
    v /= 1024.0;
    while (v >= 1024.0 && u + 1u < sizeof unit / sizeof unit[0]) {
        v /= 1024.0;
        u++;
    }
    (void)snprintf(buf, size, "%.1f %s", v, unit[u]);
}

/* Local wall-clock time of a CLOCK_REALTIME stamp. */
void cli_fmt_time(char *buf, size_t size, uint64_t realtime, int date)
{
    time_t t = (time_t)(realtime / NS_PER_S);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL ||
        strftime(buf, size, date ? "%Y-%m-%d %H:%M:%S %Z" : "%H:%M:%S",
                 &tm) == 0)
        (void)snprintf(buf, size, "?");
}

/* "alive, pid 1234", "gone (pid 1234)", "none yet". */
void cli_fmt_writer(char *buf, size_t size, const shmseq_region_info *in)
{
    if (in->writer_alive && in->writer_pid != 0)
        (void)snprintf(buf, size, "alive, pid %" PRIu32, in->writer_pid);
    else if (in->writer_alive)
        (void)snprintf(buf, size, "alive");
    else if (in->writer_pid != 0)
        (void)snprintf(buf, size, "gone (pid %" PRIu32 ")", in->writer_pid);
    else if (in->epoch == 0)
        (void)snprintf(buf, size, "none yet");
    else
        (void)snprintf(buf, size, "gone");
}

/* A JSON string: quotes, backslashes and control characters escaped. */
void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c == '\n')
            fputs("\\n", f);
        else if (c == '\t')
            fputs("\\t", f);
        else if (c < 0x20u || c == 0x7fu)
            fprintf(f, "\\u%04x", (unsigned)c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* Fields shared by `ls --json` and `stat --json` for a readable region. */
void cli_json_info_fields(FILE *f, const shmseq_region_info *in, uint64_t now)
{
    fprintf(f,
            "\"layout_version\": %" PRIu32 ", \"header_size\": %" PRIu32
            ", \"slot_size\": %" PRIu32 ", \"width\": %" PRIu32
            ", \"capacity\": %" PRIu32 ", \"region_size\": %" PRIu64
            ", \"epoch\": %" PRIu32 ", \"head\": %" PRIu64
            ", \"writer_alive\": %s, \"writer_pid\": %" PRIu32
            ", \"wakes_readers\": %s"
            ", \"created_realtime_ns\": %" PRIu64
            ", \"created_monotonic_ns\": %" PRIu64 ", \"age_ns\": %" PRIu64,
            in->layout_version, in->header_size, in->slot_size, in->width,
            in->capacity, in->region_size, in->epoch, in->head,
            in->writer_alive ? "true" : "false", in->writer_pid,
            in->no_wake ? "false" : "true", in->created_realtime_ns,
            in->created_monotonic_ns, cli_region_age_ns(in, now));
}
