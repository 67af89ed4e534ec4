/* SPDX-License-Identifier: MIT */
/*
 * logger: the logger task. Attaches to a named shmseq region as a reader
 * (waiting for it to appear), writes every sample as a CSV row, reports its
 * rate and losses once a second on stderr, and stops on a signal, after
 * --count samples, or when the region has gone idle with no writer.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>

#include "example_util.h"

static const char *prog = "logger";

/* Full buffering with a large buffer: rows are flushed once a second, not
 * once per sample, so the logger keeps up with fast writers. */
static char out_buf[1u << 20];

static void usage(void)
{
    printf(
"Usage: %s [OPTION]...\n"
"Read every sample of a shmseq region and write it as CSV.\n"
"\n"
"  -n, --name REGION   region to read                          (default %s)\n"
"  -w, --wait S        wait up to S seconds for the region to appear\n"
"                                                              (default 5)\n"
"  -o, --out FILE      CSV output file, '-' = stdout           (default -)\n"
"  -O, --oldest        start with the oldest sample in the ring\n"
"                      (default: with the next sample published)\n"
"  -i, --idle S        stop once no sample arrived for S seconds and no\n"
"                      writer holds the region; 0 = never      (default 2)\n"
"  -N, --no-loss       treat any lost sample as an error (exit status 3)\n"
"  -c, --count N       stop after N samples; 0 = no limit      (default 0)\n"
"  -q, --quiet         no per-second status lines\n"
"  -h, --help          this text\n"
"\n"
"CSV columns: seq,timestamp_ns,epoch,v0,v1,... (values with 17 significant\n"
"digits, so they read back bit for bit). Status lines and the summary go\n"
"to stderr. It stops on Ctrl-C/SIGTERM, --count or --idle.\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 samples lost with\n"
"--no-loss.\n",
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
        {"oldest", no_argument, NULL, 'O'},
        {"idle", required_argument, NULL, 'i'},
        {"no-loss", no_argument, NULL, 'N'},
        {"count", required_argument, NULL, 'c'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *name = EXAMPLE_DEFAULT_REGION, *out_path = "-";
    double wait_s = 5.0, idle_s = 2.0;
    uint64_t count = 0;
    int oldest = 0, no_loss = 0, quiet = 0, opt, rc;
    const char *why = "signal";
    shmseq_reader r;
    shmseq_sample meta;
    shmseq_reader_stats st;
    double v[SHMSEQ_WIDTH_MAX];
    uint32_t width, c, last_epoch = 0, epochs = 0;
    uint64_t received = 0, lost = 0, first_seq = 0, last_seq = 0;
    uint64_t bytes = 0, idle_ns, last_arrival, next_status, prev_received = 0;
    uint64_t prev_status;
    FILE *out;
    int status = EX_OK, out_failed = 0, loss_failed = 0;

    while ((opt = getopt_long(argc, argv, "n:w:o:Oi:Nc:qh", opts, NULL)) !=
           -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'w':
            if (example_parse_seconds(optarg, &wait_s) < 0)
                example_usage_error(prog, "--wait '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'o': out_path = optarg; break;
        case 'O': oldest = 1; break;
        case 'i':
            if (example_parse_seconds(optarg, &idle_s) < 0)
                example_usage_error(prog, "--idle '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'N': no_loss = 1; break;
        case 'c':
            if (example_parse_u64(optarg, &count) < 0)
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
    rc = shmseq_name_check(name);
    if (rc < 0) {
        example_region_error(prog, name, rc, 0);
        return EX_USAGE;
    }

    example_catch_signals();
    rc = open_waiting(&r, name, oldest ? SHMSEQ_START_OLDEST
                                       : SHMSEQ_START_LATEST, wait_s);
    if (rc < 0) {
        if (example_stop_signal && (rc == -ENOENT || rc == -EAGAIN))
            return EX_FAIL; /* interrupted while waiting; nothing to say */
        example_region_error(prog, name, rc, 0);
        return EX_FAIL;
    }
    width = shmseq_reader_width(&r);

    if (out_path[0] == '-' && out_path[1] == '\0') {
        out = stdout;
    } else {
        out = fopen(out_path, "w");
        if (out == NULL) {
            fprintf(stderr, "%s: cannot write '%s': %s\n", prog, out_path,
                    strerror(errno));
            shmseq_reader_close(&r);
            return EX_FAIL;
        }
    }
    setvbuf(out, out_buf, _IOFBF, sizeof out_buf);

    rc = fprintf(out, "seq,timestamp_ns,epoch");
    bytes += rc > 0 ? (uint64_t)rc : 0;
    for (c = 0; c < width; c++) {
        rc = fprintf(out, ",v%u", (unsigned)c);
        bytes += rc > 0 ? (uint64_t)rc : 0;
    }
    fputc('\n', out);
    bytes++;
    if (!quiet)
        fprintf(stderr, "%s: reading region '%s' (width %u) from the %s "
                "sample into %s\n", prog, name, (unsigned)width,
                oldest ? "oldest" : "next",
                out == stdout ? "stdout" : out_path);

    idle_ns = example_seconds_to_ns(idle_s);
    last_arrival = shmseq_now_ns();
    prev_status = last_arrival;
    next_status = last_arrival + 1000000000u;
    while (!example_stop_signal) {
        uint64_t now;

        /* 100 ms: short enough to print status and notice idleness. */
        rc = shmseq_read_wait(&r, &meta, v, SHMSEQ_WIDTH_MAX, 100000000);
        now = shmseq_now_ns();
        if (rc == 0) {
            int n;

            if (received == 0)
                first_seq = meta.seq;
            last_seq = meta.seq;
            received++;
            last_arrival = now;
            if (meta.epoch != last_epoch) {
                epochs++;
                last_epoch = meta.epoch;
            }
            n = fprintf(out, "%" PRIu64 ",%" PRIu64 ",%" PRIu32, meta.seq,
                        meta.timestamp_ns, meta.epoch);
            bytes += n > 0 ? (uint64_t)n : 0;
            for (c = 0; c < meta.width; c++) {
                n = fprintf(out, ",%.17g", v[c]);
                bytes += n > 0 ? (uint64_t)n : 0;
            }
            fputc('\n', out);
            bytes++;
            /* The sample after a gap is written too, so the CSV holds
             * exactly the samples counted as received. */
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
            /* Idle only counts once no writer is there to resume: a
             * writer that is merely slow or paused keeps us waiting. */
            if (idle_ns != 0 && now - last_arrival >= idle_ns &&
                shmseq_reader_writer_alive(&r) != 1) {
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
        if (now >= next_status) {
            if (fflush(out) != 0 || ferror(out)) {
                fprintf(stderr, "%s: writing '%s' failed: %s\n", prog,
                        out == stdout ? "stdout" : out_path, strerror(errno));
                out_failed = 1;
                why = "output error";
                break;
            }
            if (!quiet)
                fprintf(stderr,
                        "%s: rate %.1f/s received %" PRIu64 " lost %" PRIu64
                        " bytes %" PRIu64 "\n",
                        prog,
                        (double)(received - prev_received) * 1e9 /
                            (double)(now - prev_status),
                        received, lost, bytes);
            prev_received = received;
            prev_status = now;
            next_status = now + 1000000000u;
        }
    }

    if (out == stdout) {
        if (fflush(out) != 0)
            out_failed = 1;
    } else if (fclose(out) != 0) {
        out_failed = 1;
    }
    if (out_failed && strcmp(why, "output error") != 0)
        fprintf(stderr, "%s: writing '%s' failed: %s\n", prog,
                out == stdout ? "stdout" : out_path, strerror(errno));
    shmseq_reader_get_stats(&r, &st);
    shmseq_reader_close(&r);
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
            bytes);
    if (st.received != received || st.lost != lost)
        fprintf(stderr, "%s: warning: library counters disagree: received %"
                PRIu64 " lost %" PRIu64 "\n", prog, st.received, st.lost);
    if (out_failed)
        return EX_FAIL;
    if (loss_failed)
        return 3;
    if (status != EX_OK)
        return status;
    if (no_loss && lost != 0)
        return 3;
    return EX_OK;
}
