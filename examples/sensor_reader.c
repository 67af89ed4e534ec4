/* SPDX-License-Identifier: MIT */
/*
 * sensor_reader: the sensor task. Reads a sensor driver (from bsp/) at a
 * fixed rate on an absolute-deadline periodic task - or, for a sensor the
 * device paces (iio mode=buffered), each time the device delivers - and
 * publishes every reading into a named shmseq region, as its only writer. Loggers attach
 * to the same region (see logger.c). At exit it prints a cyclictest-style
 * summary of its wake-up latency. With --cpu-latency it holds the kernel's
 * CPU latency request while it runs, as cyclictest does by default: compare
 * its figures with cyclictest's run the same way (cyclictest --laptop
 * holds none).
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>

#include <shmseq/bsp.h>

#include "example_util.h"

static const char *prog = "sensor_reader";

/* getopt_long's value for --cpu, which has no short letter (docs/cli.md,
 * OPTION LETTERS: -C is --capacity in every program). */
#define OPT_CPU 0x100

/* The options listed here are those of docs/cli.md, OPTION LETTERS (one
 * meaning per letter in every program); the test cli_options compares. */
static void usage(const shmseq_board *b)
{
    size_t i;
    const shmseq_board *x;

    printf(
"Usage: %s [OPTION]...\n"
"Read a sensor periodically and publish each sample into a shmseq region.\n"
"\n"
"  -n, --name REGION     region to write                 (default %s)\n"
"  -b, --board NAME      defaults for the options below  (default %s)\n"
"  -r, --rate HZ         samples per second              (board: %u;\n"
"                        the replay driver's recorded rate, if any)\n"
"  -w, --width N         values per sample, 1..%u        (board: %u)\n"
"  -C, --capacity N      ring slots, power of two        (board: %u)\n"
"  -s, --sensor DRIVER   sensor driver                   (board: %s)\n"
"  -p, --params STR      driver parameters               (board: \"%s\")\n"
"  -P, --priority N      SCHED_FIFO priority 1..99, 0 = normal (board: %d)\n"
"      --cpu N           pin to CPU N, -1 = no pinning   (board: %d)\n"
"  -m, --mlock           lock memory (mlockall)          (board: %s)\n"
"  -L, --cpu-latency US  while running, keep the CPUs out of idle states\n"
"                        slower than US microseconds to leave; 0 = out of\n"
"                        every deep one, as cyclictest does (default: none)\n"
"  -d, --duration S      run S seconds, 0 = until Ctrl-C/SIGTERM (default 0)\n"
"  -R, --recreate        if the region exists with another width/capacity\n"
"                        (and no writer holds it), remove and recreate it\n"
"  -W, --no-wake         never wake sleeping readers: publish without the\n"
"                        wake handshake's full fence; readers poll instead\n"
"                        (SHMSEQ_WRITER_NO_WAKE; docs/design-notes.md)\n"
"  -u, --unlink          remove the region at exit (by default it stays,\n"
"                        so loggers can drain it and a restart continues it)\n"
"  -l, --list-boards     list the known boards and sensor drivers\n"
"  -q, --quiet           no start-up line\n"
"  -h, --help            this text\n"
"  -V, --version         print the version\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error.\n"
"Priority and --mlock need privileges (CAP_SYS_NICE, CAP_IPC_LOCK or\n"
"rlimits), --cpu-latency write access to /dev/cpu_dma_latency (root);\n"
"without them it warns and runs with normal scheduling and idle states.\n"
"Boards:",
        prog, EXAMPLE_DEFAULT_REGION, b->name, (unsigned)b->rate_hz,
        (unsigned)SHMSEQ_WIDTH_MAX, (unsigned)b->width,
        (unsigned)b->capacity, b->sensor, b->sensor_params,
        b->writer_priority, b->writer_cpu, b->lock_memory ? "on" : "off");
    for (i = 0; (x = shmseq_board_at(i)) != NULL; i++)
        printf(" %s", x->name);
    printf("\n");
}

static void list_boards(void)
{
    const shmseq_board *b;
    const shmseq_sensor_ops *d;
    size_t i;

    printf("Boards:\n");
    for (i = 0; (b = shmseq_board_at(i)) != NULL; i++)
        printf("  %-20s %s\n  %-20s sensor %s \"%s\", width %u, %u Hz, "
               "capacity %u, writer cpu %d prio %d, logger cpu %d prio %d\n",
               b->name, b->description, "", b->sensor, b->sensor_params,
               (unsigned)b->width, (unsigned)b->rate_hz,
               (unsigned)b->capacity, b->writer_cpu, b->writer_priority,
               b->logger_cpu, b->logger_priority);
    printf("Sensor drivers:\n");
    for (i = 0; (d = shmseq_sensor_driver_at(i)) != NULL; i++)
        printf("  %-20s %s\n", d->name, d->summary);
}

static void warn_task(int rc, const shmseq_task_config *tc)
{
    const char *what[3];
    size_t n = 0, i;

    if (tc->priority > 0)
        what[n++] = "SCHED_FIFO priority";
    if (tc->lock_memory)
        what[n++] = "memory lock";
    if (tc->hold_cpu_latency)
        what[n++] = "CPU latency request";
    if (rc == -EPERM) {
        /* The first setting that failed is not known: name them all. */
        fprintf(stderr, "%s: warning: not allowed to set", prog);
        for (i = 0; i < n; i++)
            fprintf(stderr, "%s %s",
                    i == 0 ? "" : i + 1 == n ? " or" : ",", what[i]);
        fprintf(stderr,
                " (needs root, CAP_SYS_NICE/CAP_IPC_LOCK or a higher "
                "RLIMIT_RTPRIO/RLIMIT_MEMLOCK; the CPU latency request "
                "needs write access to /dev/cpu_dma_latency); continuing "
                "without\n");
    } else if (rc == -ENOSYS)
        fprintf(stderr,
                "%s: warning: this system cannot set priority or CPU "
                "affinity%s; continuing without\n", prog,
                tc->hold_cpu_latency ? ", or has no CPU latency request "
                "(no /dev/cpu_dma_latency)" : "");
    else
        fprintf(stderr, "%s: warning: task setup: %s; continuing\n", prog,
                shmseq_strerror(rc));
}

static double us(uint64_t ns)
{
    return (double)ns / 1000.0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"name", required_argument, NULL, 'n'},
        {"board", required_argument, NULL, 'b'},
        {"rate", required_argument, NULL, 'r'},
        {"width", required_argument, NULL, 'w'},
        {"capacity", required_argument, NULL, 'C'},
        {"sensor", required_argument, NULL, 's'},
        {"params", required_argument, NULL, 'p'},
        {"priority", required_argument, NULL, 'P'},
        {"cpu", required_argument, NULL, OPT_CPU},
        {"mlock", no_argument, NULL, 'm'},
        {"cpu-latency", required_argument, NULL, 'L'},
        {"duration", required_argument, NULL, 'd'},
        {"recreate", no_argument, NULL, 'R'},
        {"no-wake", no_argument, NULL, 'W'},
        {"unlink", no_argument, NULL, 'u'},
        {"list-boards", no_argument, NULL, 'l'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    const char *name = EXAMPLE_DEFAULT_REGION;
    const char *board_name = "desktop";
    const char *sensor_name = NULL, *params = NULL;
    const char *rate_arg = NULL, *width_arg = NULL, *cap_arg = NULL;
    const char *prio_arg = NULL, *cpu_arg = NULL, *latency_arg = NULL;
    int mlock_opt = 0, recreate = 0, no_wake = 0, do_unlink = 0, quiet = 0, opt;
    double duration = 0.0;
    const shmseq_board *board;
    uint32_t rate, width, capacity;
    int priority, cpu;
    uint32_t latency_us = 0;
    shmseq_sensor sensor;
    shmseq_writer w;
    shmseq_config cfg;
    shmseq_task task;
    shmseq_task_config tc;
    shmseq_task_stats ts;
    double values[SHMSEQ_WIDTH_MAX];
    /* Values a driver could not read this period (NaN), per channel. */
    uint64_t nans[SHMSEQ_WIDTH_MAX] = {0}, nan_total = 0;
    uint64_t first, published = 0, read_failed = 0, end_ns = 0, period_ns;
    /* Paced sensors: device timestamp to publish, per sample. */
    uint64_t lat_min = UINT64_MAX, lat_max = 0, lat_sum = 0, lat_n = 0;
    int ended = 0;
    uint32_t c;
    int rc, status = EX_OK;

    example_begin(argv, prog);
    while ((opt = getopt_long(argc, argv, "n:b:r:w:C:s:p:P:mL:d:RWulqhV",
                              opts, NULL)) != -1) {
        switch (opt) {
        case 'n': name = optarg; break;
        case 'b': board_name = optarg; break;
        case 'r': rate_arg = optarg; break;
        case 'w': width_arg = optarg; break;
        case 'C': cap_arg = optarg; break;
        case 's': sensor_name = optarg; break;
        case 'p': params = optarg; break;
        case 'P': prio_arg = optarg; break;
        case OPT_CPU: cpu_arg = optarg; break;
        case 'm': mlock_opt = 1; break;
        case 'L': latency_arg = optarg; break;
        case 'd':
            if (shmseq_parse_seconds(optarg, &duration) < 0)
                example_usage_error(prog, "--duration '%s': want seconds >= 0",
                                    optarg);
            break;
        case 'R': recreate = 1; break;
        case 'W': no_wake = 1; break;
        case 'u': do_unlink = 1; break;
        case 'l': list_boards(); return EX_OK;
        case 'q': quiet = 1; break;
        case 'V': example_version(prog); return EX_OK;
        case 'h':
            board = shmseq_board_find(board_name);
            usage(board != NULL ? board : shmseq_board_at(0));
            return EX_OK;
        default:
            fprintf(stderr, "Try '%s --help'.\n", prog);
            return EX_USAGE;
        }
    }
    if (optind < argc)
        example_usage_error(prog, "unexpected argument '%s'", argv[optind]);

    board = shmseq_board_find(board_name);
    if (board == NULL)
        example_usage_error(prog, "no board '%s' (see --list-boards)",
                            board_name);
    rate = board->rate_hz;
    width = board->width;
    capacity = board->capacity;
    priority = board->writer_priority;
    cpu = board->writer_cpu;
    if (sensor_name == NULL) {
        sensor_name = board->sensor;
        if (params == NULL)
            params = board->sensor_params;
    }
    if (params == NULL)
        params = "";
    if (rate_arg && (shmseq_parse_u32(rate_arg, &rate) < 0 || rate == 0 ||
                     rate > 1000000))
        example_usage_error(prog, "--rate '%s': want 1..1000000 Hz", rate_arg);
    if (width_arg && (shmseq_parse_u32(width_arg, &width) < 0 || width == 0 ||
                      width > SHMSEQ_WIDTH_MAX))
        example_usage_error(prog, "--width '%s': want 1..64", width_arg);
    if (cap_arg &&
        (shmseq_parse_u32(cap_arg, &capacity) < 0 ||
         capacity < SHMSEQ_CAPACITY_MIN || capacity > SHMSEQ_CAPACITY_MAX ||
         (capacity & (capacity - 1)) != 0))
        example_usage_error(prog,
                            "--capacity '%s': want a power of two, 2..1048576",
                            cap_arg);
    if (prio_arg && (shmseq_parse_int(prio_arg, &priority) < 0 ||
                     priority < 0 || priority > 99))
        example_usage_error(prog, "--priority '%s': want 0..99", prio_arg);
    if (cpu_arg && shmseq_parse_int(cpu_arg, &cpu) < 0)
        example_usage_error(prog, "--cpu '%s': want a CPU number or -1",
                            cpu_arg);
    /* The kernel takes a signed 32-bit value. */
    if (latency_arg && (shmseq_parse_u32(latency_arg, &latency_us) < 0 ||
                        latency_us > INT32_MAX))
        example_usage_error(prog,
                            "--cpu-latency '%s': want 0..2147483647 us",
                            latency_arg);
    rc = shmseq_name_check(name);
    if (rc < 0) {
        example_region_error(prog, name, rc, 1);
        return EX_USAGE;
    }

    rc = shmseq_sensor_open(&sensor, sensor_name, params, width, rate);
    if (rc < 0) {
        /* The driver's own sentence: shmseq_strerror() speaks of regions. */
        fprintf(stderr, "%s: sensor '%s': %s\n", prog, sensor_name,
                sensor.why);
        /* -ENOENT is also a driver's "no such device or file". */
        if (shmseq_sensor_driver_find(sensor_name) == NULL) {
            fprintf(stderr, "%s: see --list-boards for the drivers\n", prog);
            return EX_USAGE;
        }
        return rc == -EINVAL ? EX_USAGE : EX_FAIL;
    }
    /* A driver that knows its rate (replay of a recording) sets the
     * period, unless --rate was given. */
    period_ns = 1000000000u / rate;
    if (rate_arg == NULL && sensor.period_hint_ns != 0) {
        period_ns = sensor.period_hint_ns;
        rate = (uint32_t)((1000000000u + period_ns / 2) / period_ns);
    }

    cfg.width = width;
    cfg.capacity = capacity;
    cfg.mode = 0;
    cfg.flags = (recreate ? SHMSEQ_WRITER_RECREATE : 0u) |
                (no_wake ? SHMSEQ_WRITER_NO_WAKE : 0u);
    rc = shmseq_writer_open(&w, name, &cfg);
    if (rc < 0) {
        example_region_error(prog, name, rc, 1);
        shmseq_sensor_close(&sensor);
        return EX_FAIL;
    }
    rc = shmseq_writer_replaced(&w);
    if (rc < 0)
        fprintf(stderr, "%s: --recreate: replaced what was under '%s': %s\n",
                prog, name,
                rc == -EEXIST  ? "a region of another width or capacity" :
                rc == -EPROTO  ? "a region of another layout or byte order" :
                                 "a corrupt or half-made region, or another file");
    first = shmseq_writer_next(&w);

    example_catch_signals();
    tc.period_ns = period_ns;
    tc.priority = priority;
    tc.cpu = cpu;
    tc.lock_memory = mlock_opt || board->lock_memory;
    tc.hold_cpu_latency = latency_arg != NULL;
    tc.cpu_latency_us = latency_us;
    rc = shmseq_task_start(&task, &tc);
    if (rc == -EINVAL) {
        fprintf(stderr, "%s: --cpu %d: no such CPU on this machine\n", prog,
                cpu);
        shmseq_task_stop(&task);
        shmseq_writer_close(&w);
        shmseq_sensor_close(&sensor);
        if (do_unlink)
            (void)shmseq_unlink(name);
        return EX_USAGE;
    }
    if (rc < 0)
        warn_task(rc, &tc);
    if (!quiet)
        fprintf(stderr,
                "%s: writing region '%s' (width %u, capacity %u) at %u Hz "
                "from sensor %s \"%s\"; epoch %u, first sample %" PRIu64
                "; %s\n",
                prog, name, (unsigned)width, (unsigned)capacity,
                (unsigned)rate, sensor_name, params,
                (unsigned)shmseq_writer_epoch(&w), first,
                duration > 0 ? "stops after --duration" : "Ctrl-C to stop");
    if (duration > 0)
        end_ns = shmseq_now_ns() + example_seconds_to_ns(duration);

    while (!example_stop_signal) {
        uint64_t now, stamp;

        /* Before waiting: every period waited is then used, so the
         * summary's periods are exactly published + failed reads. */
        if (end_ns != 0 && shmseq_now_ns() >= end_ns)
            break;
        /* A paced sensor (iio mode=buffered) blocks in its read until the
         * device delivers: the device's rate is the task's. */
        if (!sensor.paced && shmseq_task_wait(&task) == -EINTR)
            continue;
        now = shmseq_now_ns();
        /* The sample number is the sensor's clock: a deterministic driver
         * (sim) gives the same value for the same number, whoever writes. */
        rc = shmseq_sensor_read(&sensor, shmseq_writer_next(&w), now, values,
                                SHMSEQ_WIDTH_MAX);
        if (rc == -ENODATA) {
            ended = 1;
            break;
        }
        /* A paced sensor's timeout, or a signal, waited no period: no
         * sample. On the timer a period was waited: a failed read, so the
         * summary still adds up. */
        if (sensor.paced && (rc == -EAGAIN || rc == -EINTR))
            continue;
        if (rc < 0) {
            read_failed++;
            continue;
        }
        for (c = 0; c < width; c++)
            if (isnan(values[c])) {
                nans[c]++;
                nan_total++;
            }
        now = shmseq_now_ns();
        /* The device's own time of the sample, when it gives one. */
        stamp = sensor.sample_ns != 0 ? sensor.sample_ns : now;
        shmseq_publish(&w, values, stamp);
        published++;
        if (sensor.sample_ns != 0) {
            uint64_t lat = now > stamp ? now - stamp : 0;

            lat_sum += lat;
            lat_min = lat < lat_min ? lat : lat_min;
            lat_max = lat > lat_max ? lat : lat_max;
            lat_n++;
        }
    }

    shmseq_task_stop(&task);   /* the latency request ends with the work */
    shmseq_task_get_stats(&task, &ts);
    fprintf(stderr,
            "%s: published %" PRIu64 " samples (seq %" PRIu64 "..%" PRIu64
            ") into '%s', epoch %u\n",
            prog, published, first,
            published ? first + published - 1 : first, name,
            (unsigned)shmseq_writer_epoch(&w));
    if (sensor.paced)
        fprintf(stderr,
                "%s: device-paced: scans %" PRIu64 " (published %" PRIu64
                ", sensor read failed %" PRIu64 "), kernel-side overruns %"
                PRIu64 "\n",
                prog, sensor.reads, published, read_failed, sensor.overruns);
    else
        fprintf(stderr,
                "%s: periods %" PRIu64 " (published %" PRIu64 ", sensor read "
                "failed %" PRIu64 "%s), missed %" PRIu64 " (skipped after an "
                "overrun), sensor errors %" PRIu64 "%s\n",
                prog, ts.cycles, published, read_failed,
                ended ? ", data ended 1" : "", ts.missed, sensor.errors,
                sensor.errors ? " (see the driver's parameters)" : "");
    if (nan_total > 0) {
        fprintf(stderr, "%s: unreadable values (published as NaN) %" PRIu64
                ", per channel:", prog, nan_total);
        for (c = 0; c < width; c++)
            fprintf(stderr, " v%u %" PRIu64, (unsigned)c, nans[c]);
        fprintf(stderr, "\n");
    }
    if (ended)
        fprintf(stderr, "%s: the sensor's data ended (replay without "
                "loop=1); stopped\n", prog);
    if (sensor.paced && lat_n > 0)
        fprintf(stderr,
                "%s: device timestamp to publish (us): min %.1f avg %.1f "
                "max %.1f over %" PRIu64 " samples\n",
                prog, us(lat_min), us(lat_sum / lat_n), us(lat_max), lat_n);
    else if (!sensor.paced)
        fprintf(stderr,
                "%s: wake-up latency (us): min %.1f avg %.1f p99 %.1f max "
                "%.1f%s\n",
                prog, us(ts.min_ns), us(ts.avg_ns), us(ts.p99_ns),
                us(ts.max_ns),
                ts.overflow ? " (some beyond the histogram)" : "");
    if (example_stop_signal) {
        const char *sig = example_signal_name((int)example_stop_signal);

        if (sig != NULL)
            fprintf(stderr, "%s: stopped by %s\n", prog, sig);
        else
            fprintf(stderr, "%s: stopped by signal %d\n", prog,
                    (int)example_stop_signal);
    }

    shmseq_writer_close(&w);
    shmseq_sensor_close(&sensor);
    if (do_unlink) {
        rc = shmseq_unlink(name);
        if (rc < 0 && rc != -ENOENT) {
            fprintf(stderr, "%s: cannot remove region '%s': %s\n", prog, name,
                    shmseq_strerror(rc));
            status = EX_FAIL;
        }
    }
    return status;
}
