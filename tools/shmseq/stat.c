/* SPDX-License-Identifier: MIT */
/*
 * `shmseq stat NAME`: every header field of one region, its writer, and
 * its publish rate measured by reading the header twice, a window apart.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static void stat_usage(void)
{
    printf(
"Usage: %s stat NAME [--json] [--window MS]\n"
"Show every header field of region NAME, its writer (pid, alive or gone)\n"
"and its publish rate, measured by reading the header twice, MS apart.\n"
"\n"
"  -j, --json        one JSON object (see docs/cli.md)\n"
"      --window MS   rate measurement window, 0..60000 ms; 0 = do not\n"
"                    measure                                  (default 500)\n"
"  -h, --help        this text\n"
"\n"
"Exit status: 0 ok, 1 region unreadable (corrupt, other layout, permission),\n"
"2 usage error, 3 no region of that name.\n", cli_prog);
}

static void stat_print(const char *name, const shmseq_region_info *in,
                       uint64_t now, int have_rate, double rate,
                       uint64_t window_ms)
{
    char buf[64], buf2[64];

    printf("%-16s %s\n", "region", name);
    cli_fmt_writer(buf, sizeof buf, in);
    printf("%-16s %s\n", "writer", buf);
    printf("%-16s %" PRIu32 "%s\n", "epoch", in->epoch,
           in->epoch == 0 ? " (no writer attached yet)"
           : in->epoch == 1 ? " (first writer)" : " (taken over by a new writer)");
    printf("%-16s %" PRIu64 " (samples published)\n", "head", in->head);
    printf("%-16s %s\n", "readers",
           in->no_wake ? "poll (the writer never wakes them: SHMSEQ_WRITER_NO_WAKE)"
                       : "may sleep (the writer wakes them)");
    if (have_rate)
        printf("%-16s %.1f samples/s (over %" PRIu64 " ms)\n", "rate", rate,
               window_ms);
    else
        printf("%-16s - (%s)\n", "rate",
               window_ms == 0 ? "not measured: --window 0"
                              : "unknown: the region was recreated meanwhile");
    printf("%-16s %" PRIu32 " values per sample\n", "width", in->width);
    printf("%-16s %" PRIu32 " slots", "capacity", in->capacity);
    if (have_rate && rate > 0.0)
        printf(" (%.1f s of history at this rate)",
               (double)in->capacity / rate);
    putchar('\n');
    printf("%-16s %" PRIu32 " bytes\n", "slot size", in->slot_size);
    printf("%-16s %" PRIu32 " bytes\n", "header size", in->header_size);
    cli_fmt_size(buf, sizeof buf, in->region_size);
    printf("%-16s %" PRIu64 " bytes (%s)\n", "region size", in->region_size,
           buf);
    printf("%-16s %" PRIu32 "\n", "layout version", in->layout_version);
    cli_fmt_time(buf, sizeof buf, in->created_realtime_ns, 1);
    cli_fmt_age(buf2, sizeof buf2, cli_region_age_ns(in, now));
    printf("%-16s %s (%s ago)\n", "created", buf, buf2);
    printf("%-16s %" PRIu64 " ns realtime, %" PRIu64 " ns monotonic\n",
           "created at", in->created_realtime_ns, in->created_monotonic_ns);
}

static void stat_print_json(const char *name, const shmseq_region_info *in,
                            uint64_t now, int have_rate, double rate,
                            uint64_t window_ms)
{
    printf("{\"name\": ");
    cli_json_string(stdout, name);
    printf(", ");
    cli_json_info_fields(stdout, in, now);
    if (have_rate)
        printf(", \"rate_hz\": %.3f", rate);
    else
        printf(", \"rate_hz\": null");
    printf(", \"window_ms\": %" PRIu64 "}\n", window_ms);
}

int cli_stat(int argc, char **argv)
{
    uint64_t window_ms = 500, t0, t1, now;
    int json = 0, have_rate = 0, first, rc;
    const cli_opt opts[] = {
        {"json", 'j', CLI_OPT_FLAG, &json, 0, 0, NULL},
        {"window", 0, CLI_OPT_NUM, &window_ms, 0, 60000, "0..60000 ms"},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"stat", stat_usage, opts, 1, 1};
    shmseq_region_info a, b;
    const char *name;
    double rate = 0.0;

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;
    name = argv[first];
    rc = cli_check_name("stat", name);
    if (rc != CLI_OK)
        return rc;

    t0 = shmseq_now_ns();
    rc = shmseq_info(name, &a);
    if (rc < 0)
        return cli_region_error("stat", name, rc);
    b = a;
    if (window_ms != 0) {
        cli_sleep_ns(window_ms * NS_PER_MS);
        t1 = shmseq_now_ns();
        rc = shmseq_info(name, &b);
        if (rc < 0)
            return cli_region_error("stat", name, rc);
        /* A head that went back means another region took the name. */
        if (b.head >= a.head && b.created_realtime_ns == a.created_realtime_ns &&
            t1 > t0) {
            rate = (double)(b.head - a.head) * 1e9 / (double)(t1 - t0);
            have_rate = 1;
        }
    }
    now = cli_realtime_ns();

    if (json)
        stat_print_json(name, &b, now, have_rate, rate, window_ms);
    else
        stat_print(name, &b, now, have_rate, rate, window_ms);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: stat: writing the output failed: %s\n", cli_prog,
                strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}
