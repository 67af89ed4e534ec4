/* SPDX-License-Identifier: MIT */
/*
 * shmseq-mqtt sub: the fleet end of the bridge (docs/fleet.md).
 *
 * Subscribes to shmseq/+/+/samples (or the nodes of its shard), checks
 * every batch (CRC, header, topic), and writes each (node, region) stream
 * into a sink -- the SQLite sink by default, one database for the fleet
 * -- exactly once: a sample already stored (a QoS 1 redelivery, a node's
 * resend) adds no row, and a sample that would leave a hole the node can
 * still fill is held back until the node resends in order. Every
 * --ack-ms it makes what it wrote durable (the sink's sync: a FULL
 * commit) and only then publishes, retained, on shmseq/<node>/<region>/ack
 * the first sample number it does not hold, so the node can empty its
 * spool.
 *
 * Several sub processes may share one database: the sink lets one of
 * them hold each stream (an OFD lock in the database file, released by
 * the kernel if that process dies); the others stand by for it, retry
 * every second, and take it over from where the database ends.
 *
 * One thread: libmosquitto's callbacks run inside conn_step().
 */
#define _POSIX_C_SOURCE 200809L

#include "mqtt.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmseq/sink.h>
#include <shmseq_util/parse.h>

#include "conn.h"
#include "wire.h"

#define STREAMS_MAX 1024
#define RETRY_NS 1000000000ull

enum { ST_CLOSED, ST_OPEN, ST_STANDBY, ST_FAILED };

typedef struct stream {
    char node[FLEET_NAME_MAX + 1], region[FLEET_NAME_MAX + 1];
    uint64_t created;
    uint32_t width;
    int state;
    shmseq_sink k;
    uint64_t next;          /* first sample number not held */
    int have_next;
    int dirty;              /* written since the last sync */
    int owe_ack;            /* a duplicate came: tell the node again */
    uint64_t retry_at;
    char ack_topic[FLEET_TOPIC_MAX];
    uint64_t stored, dups, gaps, gap_samples, held, batches;
    /* the gap samples by the node's reason: ring overrun, spool overflow
     * (or damage), no longer held by the node (its spool gone) */
    uint64_t gap_overrun, gap_spool, gap_unheld;
    int said;
    /* --latency: timestamps written since the last sync, and a histogram
     * of sample-to-commit latency in LAT_STEP_NS steps */
    uint64_t *lat_ts;
    size_t lat_n, lat_cap;
    uint32_t *lat_hist;
    uint64_t lat_count;
} stream;

#define LAT_STEP_NS 100000ull /* 0.1 ms */
#define LAT_BUCKETS 100000u   /* up to 10 s */

typedef struct sub {
    const char *db, *sink, *params, *nodes;
    int latency;
    uint64_t ack_ns;
    double duration, idle, status_s;
    stream *st[STREAMS_MAX];
    int nst;
    conn c;
    uint64_t bad, json, foreign, last_msg_ns, msgs;
    int failed;
    shmseq_log_record *recs;
    size_t recs_cap;
} sub;

static const char *prog = "shmseq-mqtt sub";
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *to)
{
    fprintf(to,
"Usage: shmseq-mqtt sub --db FILE [OPTIONS]\n"
"Store the samples every board publishes (shmseq/+/+/samples) exactly once\n"
"in one database, and acknowledge to each board what is committed\n"
"(docs/fleet.md).\n"
"\n"
"  --db FILE          the database (created if missing)\n"
"  --sink NAME        the sink (default sqlite)\n"
"  --params STR       the sink's parameters (docs/logging.md)\n"
"  --nodes A,B,..     only these nodes (a shard of the fleet)\n"
"  --ack-ms MS        commit durably and acknowledge every MS (default 100)\n"
"  --duration S       stop after S seconds\n"
"  --idle S           stop after S seconds without a batch\n"
"  --status S         a status line every S seconds (default 10; 0 off)\n"
"  --latency          measure each sample's time from being taken to its\n"
"                     durable commit (board and fleet end on one machine:\n"
"                     the writer's CLOCK_MONOTONIC stamps); in the summary\n"
CONN_HELP
"  -h, --help         this text\n"
"\n"
"Exit status: 0 ok, 1 failure (the broker refused the password or its\n"
"certificate is not trusted, the database failed), 2 usage error.\n");
}

static int node_wanted(const sub *s, const char *node)
{
    const char *p = s->nodes;
    size_t n = strlen(node);

    if (p == NULL)
        return 1;
    while (*p != '\0') {
        size_t len = strcspn(p, ",");

        if (len == n && strncmp(p, node, n) == 0)
            return 1;
        p += len + (p[len] == ',');
    }
    return 0;
}

static void send_ack(sub *s, stream *t)
{
    unsigned char buf[FLEET_ACK_SIZE];
    fleet_ack a = { t->created, t->next };

    fleet_ack_encode(&a, buf);
    mosquitto_publish(s->c.m, NULL, t->ack_topic, FLEET_ACK_SIZE, buf, 1,
                      true);
    t->owe_ack = 0;
}

static void close_stream(stream *t)
{
    if (t->k.ops != NULL)
        shmseq_sink_close(&t->k);
    t->have_next = 0;
    t->dirty = 0;
}

/* Claim the stream in the sink and learn where its stored data ends. */
static void open_stream(sub *s, stream *t, const fleet_batch *b, uint64_t now)
{
    shmseq_sink_config cfg;
    shmseq_log_header h;
    uint64_t next = 0;
    int rc;

    memset(&cfg, 0, sizeof cfg);
    cfg.target = s->db;
    cfg.params = s->params;
    cfg.node = t->node;
    cfg.sync_ns = 0;
    memset(&h, 0, sizeof h);
    h.width = b->width;
    h.epoch = b->epoch;
    h.created_realtime_ns = b->created_ns;
    h.head = b->held_from;
    snprintf(h.name, sizeof h.name, "%s", t->region);
    cfg.force = 0;
    rc = shmseq_sink_open(&t->k, s->sink, &cfg);
    if (rc == 0) {
        rc = shmseq_sink_resume(&t->k, &h, &next);
        if (rc >= 0) {
            t->have_next = rc == 1;
            t->next = next;
            rc = shmseq_sink_begin(&t->k, &h, now);
        }
    }
    if (rc < 0) {
        if (rc == -EBUSY) {
            if (t->state != ST_STANDBY)
                fprintf(stderr, "%s: %s/%s: another sub stores this stream; "
                        "standing by\n", prog, t->node, t->region);
            t->state = ST_STANDBY;
        } else {
            fprintf(stderr, "%s: %s/%s: %s; retrying in a second\n", prog,
                    t->node, t->region, t->k.why[0] ? t->k.why
                                                    : strerror(-rc));
            t->state = ST_FAILED;
            s->failed = 1;
        }
        if (t->k.ops != NULL)
            shmseq_sink_close(&t->k);
        t->retry_at = now + RETRY_NS;
        return;
    }
    if (t->state == ST_STANDBY)
        fprintf(stderr, "%s: %s/%s: taken over", prog, t->node, t->region);
    else
        fprintf(stderr, "%s: %s/%s: storing", prog, t->node, t->region);
    if (t->have_next)
        fprintf(stderr, " from sample %" PRIu64 " (the database holds what "
                "came before)\n", t->next);
    else
        fprintf(stderr, " (a new stream)\n");
    t->state = ST_OPEN;
    t->width = b->width;
}

static stream *find_stream(sub *s, const fleet_batch *b)
{
    stream *t;

    for (int i = 0; i < s->nst; i++) {
        t = s->st[i];
        if (t->created == b->created_ns && strcmp(t->node, b->node) == 0 &&
            strcmp(t->region, b->region) == 0)
            return t;
    }
    if (s->nst == STREAMS_MAX)
        return NULL;
    t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    snprintf(t->node, sizeof t->node, "%s", b->node);
    snprintf(t->region, sizeof t->region, "%s", b->region);
    t->created = b->created_ns;
    fleet_topic(t->ack_topic, sizeof t->ack_topic, b->node, b->region, "ack");
    s->st[s->nst++] = t;
    return t;
}

/* --latency: remember when each sample written was taken. */
static void lat_note(stream *t, const shmseq_log_record *r, uint32_t n)
{
    if (t->lat_n + n > t->lat_cap) {
        size_t cap = (t->lat_n + n) * 2;
        uint64_t *p = realloc(t->lat_ts, cap * sizeof *p);

        if (p == NULL)
            return;
        t->lat_ts = p;
        t->lat_cap = cap;
    }
    for (uint32_t i = 0; i < n; i++)
        t->lat_ts[t->lat_n++] = r[i].timestamp_ns;
}

/* The samples just made durable: their latency from being taken (the
 * writer's CLOCK_MONOTONIC stamp: the same clock on one machine). */
static void lat_commit(stream *t, uint64_t now)
{
    if (t->lat_hist == NULL)
        t->lat_hist = calloc(LAT_BUCKETS, sizeof *t->lat_hist);
    if (t->lat_hist == NULL)
        return;
    for (size_t i = 0; i < t->lat_n; i++) {
        uint64_t d = now > t->lat_ts[i] ? (now - t->lat_ts[i]) / LAT_STEP_NS
                                        : 0;

        t->lat_hist[d < LAT_BUCKETS ? d : LAT_BUCKETS - 1]++;
        t->lat_count++;
    }
    t->lat_n = 0;
}

static double lat_pct(const stream *t, double q)
{
    uint64_t want = (uint64_t)(q * (double)t->lat_count), seen = 0;

    for (uint32_t i = 0; i < LAT_BUCKETS; i++) {
        seen += t->lat_hist[i];
        if (seen > want)
            return (double)(i + 1) * (double)LAT_STEP_NS / 1e6;
    }
    return (double)LAT_BUCKETS * (double)LAT_STEP_NS / 1e6;
}

static void store(sub *s, stream *t, const fleet_batch *b, uint64_t now)
{
    uint64_t first = b->first_seq, end = first + b->count, off;
    uint64_t o = 0, d = 0;
    uint32_t n;
    int rc;

    t->batches++;
    if (!t->have_next) {
        /* Nothing stored yet: the stream starts where the node's spool
         * does; anything later waits for the node to send in order. */
        t->next = b->held_from;
        t->have_next = 1;
    }
    if (end <= t->next) {
        t->dups += b->count;
        t->owe_ack = 1;
        return;
    }
    if (first > t->next) {
        /* A hole: fill it only with what the node says is gone for good
         * (overrun or spool overflow just before this batch, or nothing
         * held any more below it); otherwise a batch came out of order or
         * was lost on the way, and the node's resend brings it. */
        if (!(b->held_from > t->next ||
              first - b->overrun_before - b->dropped_before == t->next)) {
            t->held += b->count;
            t->owe_ack = 1;
            return;
        }
        t->gaps++;
        t->gap_samples += first - t->next;
        {
            /* The hole, from first_seq down (docs/fleet.md): the overrun
             * next to it, the spool overflow below that, and below both
             * what the node no longer holds. */
            uint64_t miss = first - t->next;

            o = b->overrun_before < miss ? b->overrun_before : miss;
            d = b->dropped_before < miss - o ? b->dropped_before : miss - o;
            t->gap_overrun += o;
            t->gap_spool += d;
            t->gap_unheld += miss - o - d;
        }
    }
    off = first < t->next ? t->next - first : 0;
    t->dups += off;
    n = b->count - (uint32_t)off;
    if (s->recs_cap < n) {
        shmseq_log_record *r = realloc(s->recs, n * sizeof *r);

        if (r == NULL) {
            fprintf(stderr, "%s: out of memory\n", prog);
            s->failed = 1;
            return;
        }
        s->recs = r;
        s->recs_cap = n;
    }
    for (uint32_t i = 0; i < n; i++)
        fleet_batch_sample(b, (uint32_t)off + i, &s->recs[i]);
    s->recs[0].lost_before = first > t->next ? first - t->next : 0;
    /* The reasons the node gave; the sink names the not-held rest itself
     * (overrun, or writer replaced across a new epoch). */
    rc = 0;
    if (d != 0)
        rc = shmseq_sink_gap(&t->k, first - o - d, first - o - 1u,
                             "spool overflow");
    if (rc == 0 && o != 0)
        rc = shmseq_sink_gap(&t->k, first - o, first - 1u, "overrun");
    if (rc == 0)
        rc = shmseq_sink_write(&t->k, s->recs, n, now);
    if (rc < 0) {
        fprintf(stderr, "%s: %s/%s: %s; not acknowledging, retrying from "
                "the database in a second\n", prog, t->node, t->region,
                t->k.why);
        s->failed = 1;
        close_stream(t);
        t->state = ST_FAILED;
        t->retry_at = now + RETRY_NS;
        return;
    }
    t->stored += n;
    t->next = end;
    t->dirty = 1;
    if (s->latency)
        lat_note(t, s->recs, n);
}

static void on_message(struct mosquitto *m, void *ctx,
                       const struct mosquitto_message *msg)
{
    sub *s = ((conn *)ctx)->ctx; /* userdata is the conn */
    char node[FLEET_NAME_MAX + 1], region[FLEET_NAME_MAX + 1];
    const char *leaf;
    fleet_batch b;
    stream *t;
    uint64_t now = conn_now_ns();
    int rc;

    (void)m;
    s->last_msg_ns = now;
    s->msgs++;
    if (fleet_topic_parse(msg->topic, node, region, &leaf) != 0 ||
        strcmp(leaf, "samples") != 0 || !node_wanted(s, node))
        return;
    rc = fleet_batch_decode(msg->payload, (size_t)msg->payloadlen, &b);
    if (rc != 0) {
        if (s->bad++ == 0)
            fprintf(stderr, "%s: %s: %s: batch refused (the node resends "
                    "it; further refusals are counted)\n", prog, msg->topic,
                    shmseq_log_strerror(rc));
        return;
    }
    if (strcmp(b.node, node) != 0 || strcmp(b.region, region) != 0) {
        if (s->foreign++ == 0)
            fprintf(stderr, "%s: %s: the batch names %s/%s: refused\n", prog,
                    msg->topic, b.node, b.region);
        return;
    }
    t = find_stream(s, &b);
    if (t == NULL) {
        if (s->bad++ == 0)
            fprintf(stderr, "%s: too many streams (%d)\n", prog, STREAMS_MAX);
        return;
    }
    if (t->state != ST_OPEN) {
        if (now < t->retry_at)
            return;
        open_stream(s, t, &b, now);
        if (t->state != ST_OPEN)
            return;
    }
    if (b.width != t->width) {
        if (!t->said)
            fprintf(stderr, "%s: %s/%s: width %u, the stream has %u: "
                    "refused\n", prog, t->node, t->region, (unsigned)b.width,
                    (unsigned)t->width);
        t->said = 1;
        return;
    }
    store(s, t, &b, now);
}

static void on_up(void *ctx)
{
    sub *s = ctx;

    if (s->nodes == NULL) {
        mosquitto_subscribe(s->c.m, NULL, "shmseq/+/+/samples", 1);
        return;
    }
    for (const char *p = s->nodes; *p != '\0';) {
        size_t len = strcspn(p, ",");
        char t[FLEET_TOPIC_MAX];

        snprintf(t, sizeof t, "shmseq/%.*s/+/samples", (int)len, p);
        mosquitto_subscribe(s->c.m, NULL, t, 1);
        p += len + (p[len] == ',');
    }
}

/* Make what was written durable, then say so to the nodes. */
static void commit_and_ack(sub *s, uint64_t now)
{
    for (int i = 0; i < s->nst; i++) {
        stream *t = s->st[i];

        if (t->state != ST_OPEN)
            continue;
        shmseq_sink_tick(&t->k, now);
        if (t->dirty) {
            if (shmseq_sink_sync(&t->k, now) < 0) {
                fprintf(stderr, "%s: %s/%s: %s; not acknowledging\n", prog,
                        t->node, t->region, t->k.why);
                s->failed = 1;
                close_stream(t);
                t->state = ST_FAILED;
                t->retry_at = now + RETRY_NS;
                continue;
            }
            t->dirty = 0;
            t->owe_ack = 1;
            if (s->latency)
                lat_commit(t, conn_now_ns());
        }
        if (t->owe_ack && s->c.up)
            send_ack(s, t);
    }
}

static void status_line(sub *s, const char *what)
{
    for (int i = 0; i < s->nst; i++) {
        stream *t = s->st[i];

        fprintf(stderr, "%s: %s %s/%s: stored %" PRIu64 ", next %" PRIu64
                ", duplicates %" PRIu64 ", held back %" PRIu64 ", gaps %"
                PRIu64 " (%" PRIu64 " samples: overrun %" PRIu64
                ", spool overflow %" PRIu64 ", not held %" PRIu64
                "), batches %" PRIu64 ", %s\n",
                prog, what, t->node, t->region, t->stored, t->next, t->dups,
                t->held, t->gaps, t->gap_samples, t->gap_overrun,
                t->gap_spool, t->gap_unheld, t->batches,
                t->state == ST_OPEN ? "storing" : t->state == ST_STANDBY
                ? "standing by" : t->state == ST_FAILED ? "failed" : "idle");
    }
    for (int i = 0; s->latency && i < s->nst; i++) {
        stream *t = s->st[i];

        if (t->lat_count > 0)
            fprintf(stderr, "%s: %s %s/%s: latency from sample to durable "
                    "commit: p50 %.1f ms, p99 %.1f ms (%" PRIu64 " samples)\n",
                    prog, what, t->node, t->region, lat_pct(t, 0.50),
                    lat_pct(t, 0.99), t->lat_count);
    }
    if (s->bad || s->foreign)
        fprintf(stderr, "%s: %s refused batches %" PRIu64 " (damaged), %"
                PRIu64 " (topic mismatch)\n", prog, what, s->bad, s->foreign);
}

int mqtt_sub(int argc, char **argv)
{
    static sub S;
    sub *s = &S;
    conn_opts co;
    char client_id[128], host[64];
    uint64_t v, start, last_ack, last_status;
    int opt, rc = 0;
    static const struct option longs[] = {
        { "db", 1, NULL, 'o' },
        { "sink", 1, NULL, 'k' },
        { "params", 1, NULL, 'p' },
        { "nodes", 1, NULL, 'N' },
        { "ack-ms", 1, NULL, 'a' },
        { "duration", 1, NULL, 'd' },
        { "idle", 1, NULL, 'I' },
        { "status", 1, NULL, 'S' },
        { "latency", 0, NULL, 'l' },
        { "help", 0, NULL, 'h' },
        CONN_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };

    memset(&co, 0, sizeof co);
    s->sink = "sqlite";
    s->ack_ns = 100000000u;
    s->status_s = 10;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (opt) {
        case 'o': s->db = optarg; break;
        case 'k': s->sink = optarg; break;
        case 'p': s->params = optarg; break;
        case 'N': s->nodes = optarg; break;
        case 'l': s->latency = 1; break;
        case 'a':
            if (shmseq_parse_u64_range(optarg, 1, 60000, &v) != 0) {
                fprintf(stderr, "%s: --ack-ms: 1..60000, not '%s'\n", prog,
                        optarg);
                return 2;
            }
            s->ack_ns = v * 1000000u;
            break;
        case 'd':
            if (conn_seconds(prog, "duration", optarg, &s->duration) != 0)
                return 2;
            break;
        case 'I':
            if (conn_seconds(prog, "idle", optarg, &s->idle) != 0)
                return 2;
            break;
        case 'S':
            if (conn_seconds(prog, "status", optarg, &s->status_s) != 0)
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default:
            if (conn_other_option(&co, opt, optarg, argv[optind - 1], prog))
                return 2;
        }
    }
    if (s->db == NULL || optind < argc) {
        fprintf(stderr, "%s: --db FILE is needed, and no other argument "
                "(--help)\n", prog);
        return 2;
    }
    if (shmseq_sink_find(s->sink) == NULL) {
        fprintf(stderr, "%s: no sink '%s' in this build%s\n", prog, s->sink,
                strcmp(s->sink, "sqlite") == 0
                    ? " (it needs libsqlite3: on Debian, apt-get install "
                      "libsqlite3-dev, then rebuild)" : "");
        return 1;
    }
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(client_id, sizeof client_id, "shmseq-sub-%s-%ld", host,
             (long)getpid());
    if (co.client_id == NULL)
        co.client_id = client_id;
    if (conn_init(&s->c, &co, prog, on_up, s) != 0)
        return 1;
    s->c.down_note = "the boards keep their samples in their spools";
    mosquitto_message_callback_set(s->c.m, on_message);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    start = last_ack = last_status = s->last_msg_ns = conn_now_ns();
    while (!stop_flag) {
        uint64_t now = conn_now_ns();

        if (s->duration > 0 && now - start >= (uint64_t)(s->duration * 1e9))
            break;
        if (s->idle > 0 && now - s->last_msg_ns >= (uint64_t)(s->idle * 1e9))
            break;
        if (now - last_ack >= s->ack_ns) {
            commit_and_ack(s, now);
            last_ack = now;
        }
        if (s->status_s > 0 &&
            now - last_status >= (uint64_t)(s->status_s * 1e9)) {
            status_line(s, "status:");
            last_status = now;
        }
        /* While batches arrive, take them without waiting (libmosquitto
         * reads about one packet per call), up to a bound so the commit
         * and acknowledgement above keep their pace. */
        for (int i = 0; i < 256; i++) {
            uint64_t seen = s->msgs;

            if (conn_step(&s->c, i == 0 ? 5 : 0) < 0) {
                rc = 1;
                break;
            }
            if (s->msgs == seen)
                break;
        }
        if (rc != 0)
            break;
    }
    commit_and_ack(s, conn_now_ns());
    for (int i = 0; i < 20 && s->c.up; i++)
        conn_step(&s->c, 5);
    for (int i = 0; i < s->nst; i++) {
        if (s->st[i]->state == ST_OPEN &&
            shmseq_sink_close(&s->st[i]->k) < 0) {
            fprintf(stderr, "%s: %s/%s: %s\n", prog, s->st[i]->node,
                    s->st[i]->region, s->st[i]->k.why);
            s->failed = 1;
        }
    }
    if (!(s->c.fatal && s->c.connects == 0))
        status_line(s, "summary:");
    for (int i = 0; i < s->nst; i++) {
        free(s->st[i]->lat_ts);
        free(s->st[i]->lat_hist);
        free(s->st[i]);
    }
    free(s->recs);
    conn_close(&s->c);
    return rc != 0 ? rc : s->failed ? 1 : 0;
}
