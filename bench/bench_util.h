/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the benchmark programs in bench/: CPU pinning, the
 * clock, pacing, percentiles, shared memory for results, the byte-stream
 * peers (pipe, UNIX socket, POSIX message queue) and the CSV/table output.
 * Benchmarks only: nothing here is part of the library, and nothing here
 * asserts on time (bench/run.sh and docs/benchmarks.md read the numbers).
 */
#ifndef SHMSEQ_BENCH_UTIL_H
#define SHMSEQ_BENCH_UTIL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

/** Common options every bench program understands. */
typedef struct bench_opts {
    uint64_t count;      /**< messages / samples / publishes */
    uint64_t rate_hz;    /**< pacing rate of the writer; 0 = flat out */
    uint32_t width;      /**< float64 values per message */
    uint32_t capacity;   /**< ring slots where it applies */
    int wcpu, rcpu;      /**< CPUs of writer and reader (-1: no pinning) */
    int run;             /**< run number, copied to the CSV */
    const char *csv;     /**< append result rows here (NULL: none) */
    uint32_t readers;    /**< reader processes where it applies (0 = 1) */
} bench_opts;

/** Most reader processes a program forks (--readers). */
#define BENCH_READERS_MAX 64u

/** Parse the common options (argv[optind..]); exits 2 on a bad one.
 *  @p extra_usage is printed after the common options. */
void bench_parse(int argc, char **argv, bench_opts *o, const char *usage);

/** Pin the calling process to @p cpu (negative: leave it). */
void bench_pin(int cpu);

/** CLOCK_MONOTONIC in ns. */
uint64_t bench_now(void);

/** Spin until bench_now() >= @p t; returns the time seen. */
uint64_t bench_spin_until(uint64_t t);

/** The writer's pace: a slot every 1/rate_hz, spun to; a writer that is
 *  late by more than a period (preempted, blocked) restarts the schedule
 *  rather than bursting to catch up. rate_hz 0: flat out, never waits. */
typedef struct bench_pacer {
    uint64_t period, next;
} bench_pacer;
void bench_pacer_start(bench_pacer *p, uint64_t rate_hz);
void bench_pacer_wait(bench_pacer *p);

/** CPU time of the calling process, ns (for the idle-CPU figure). */
double bench_cpu_ns(void);

/** Memory shared with children forked later (MAP_SHARED|MAP_ANONYMOUS),
 *  zeroed; exits on failure. */
void *bench_shared(size_t size);

/** Sort @p v and fill the percentiles. */
typedef struct bench_dist {
    uint64_t n, min, p50, p99, p999, max;
    double mean;
} bench_dist;
void bench_dist_of(uint64_t *v, size_t n, bench_dist *out);

/** Fork a child that pins itself to @p cpu and runs fn(arg); its exit
 *  status is fn's return. Output is flushed before _exit. */
pid_t bench_fork(int cpu, int (*fn)(void *), void *arg);

/** Wait for @p pid; returns its exit status, or 1 if it died of a signal. */
int bench_wait(pid_t pid);

/** Append one CSV line (header written when the file is new/empty). */
void bench_csv(const char *path, const char *header, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/*
 * The floor, measured in the same invocation as a latency stream: a short
 * cache-line ping-pong (BENCH_PROBE_ROUNDS round trips) between the same
 * two pinned processes right before the stream (phase 0) and right after
 * it (phase 1). The VM's floor is not constant: the round trip between its
 * two vCPUs moves between about 120 and 480 ns from one second to the next
 * (the host places the vCPUs on nearer or farther cores), so a floor
 * measured a minute earlier says little about this stream. @p word is a
 * zeroed atomic_uint on a cache line of its own in shared memory; the
 * reader side answers, the writer side times and returns the p50 in ns.
 */
#define BENCH_PROBE_ROUNDS 2000u

/** What a run's writer and reader processes share about its result, with
 *  the floor probe's line: embedded (as `r`) in each program's shared
 *  control block, which bench_shared() maps. */
typedef struct bench_result {
    uint64_t received, lost;
    uint64_t t_start, t_writer_end, t_reader_end; /* bench_now() stamps */
    double idle_cpu_pct;
    bench_dist d;
    uint64_t rtt_before, rtt_after; /* floor probe p50s, before/after */
    _Alignas(64) atomic_uint probe; /* the probe's ping-pong word */
    _Alignas(64) char pad[64];
} bench_result;
void bench_probe_reader(void *word, unsigned phase);
uint64_t bench_probe_writer(void *word, unsigned phase);

/** Print and append to @p csv one latency row (bench_latency's and
 *  bench_iceoryx's common format); @p rtt0/@p rtt1: the floor probe before
 *  and after the stream, 0 if none. */
void bench_emit_latency(const char *csv, const char *name, unsigned width,
                        int run, const bench_dist *d, uint64_t lost,
                        double idle_cpu_pct, uint64_t rtt0, uint64_t rtt1);

/** For programs whose first argument is a TEST that sets the defaults
 *  (@p defaults[i] = {count, rate_hz} for @p names[i]): find the TEST,
 *  apply its defaults, parse the options, and check that exactly the TEST
 *  is left. Returns its index; exits 2 (saying so) if there is none. */
int bench_parse_test(int argc, char **argv, bench_opts *o,
                     const char *const *names, const uint64_t (*defaults)[2],
                     size_t n, const char *prog, const char *usage);

/** Print and append to o->csv one publish row (bench_publish's format):
 *  @p batch_ns holds @p nb batches of @p batch operations (sorted here);
 *  @p blocked_after < 0: the writer never blocks (not printed);
 *  @p extra, if not NULL, is appended to the printed line. */
void bench_emit_publish(const bench_opts *o, const char *mode,
                        uint64_t *batch_ns, size_t nb, unsigned batch,
                        long long blocked_after, uint64_t eagain,
                        const char *extra);

/** A throughput result (bench_throughput's row). */
typedef struct bench_thr {
    const char *peer;
    unsigned capacity;
    uint64_t received, lost;
    uint64_t t_start, t_writer_end, t_reader_end; /* bench_now() stamps */
    int accounted;
    uint64_t rtt_before, rtt_after; /* floor probe, 0 if none */
    int stall_known;                /* paced shmseq: max_stall_ns is real */
    uint64_t max_stall_ns;
    const char *extra;              /* appended to the printed line */
    uint64_t region_bytes;          /* shared memory it maps, 0 unknown */
} bench_thr;

/** Print and append to o->csv one throughput row; o->count is the number
 *  published. */
void bench_emit_throughput(const bench_opts *o, const bench_thr *t);

/** Byte-stream/message peers. */
enum bench_peer_kind { BENCH_PIPE, BENCH_UDS, BENCH_MQ };

typedef struct bench_peer {
    enum bench_peer_kind kind;
    size_t msg;       /* bytes per message */
    int rfd, wfd;     /* pipe / socket ends; mq descriptors */
    char mq_name[64];
} bench_peer;

/** Parse "pipe", "uds", "mq"; returns -1 for anything else. */
int bench_peer_kind_of(const char *name);
const char *bench_peer_name(enum bench_peer_kind k);

/** Create the channel (before fork). @p nonblock_writer: EAGAIN instead of
 *  blocking when full. Exits on failure. */
void bench_peer_open(bench_peer *p, enum bench_peer_kind k, size_t msg,
                     int nonblock_writer);
/** Close the end this process does not use (after fork). */
void bench_peer_keep_reader(bench_peer *p);
void bench_peer_keep_writer(bench_peer *p);
/** Send one message: 0, or -EAGAIN (non-blocking writer, full). */
int bench_peer_send(bench_peer *p, const void *buf);
/** Receive one whole message (blocking): 0, or -1 at end of stream. */
int bench_peer_recv(bench_peer *p, void *buf);
void bench_peer_close(bench_peer *p);

#endif /* SHMSEQ_BENCH_UTIL_H */
