/* SPDX-License-Identifier: MIT */
/*
 * shmseq-mqtt pub: the board end of the fleet bridge (docs/fleet.md).
 *
 * Reads one or more regions, cuts their samples into batches (at most
 * --batch samples, at most --max-delay old, never across a gap or a new
 * writer epoch), appends every batch to the region's spool and publishes
 * it from there at QoS 1 on shmseq/<node>/<region>/samples. A batch
 * leaves the spool only when the fleet end acknowledges (on
 * shmseq/<node>/<region>/ack) that it has committed every sample up to
 * it; what is not acknowledged within --ack-timeout, or was in flight
 * when the connection dropped, is sent again, in order, from the spool.
 * Only two things lose samples, and both are counted: the ring
 * overwriting samples before the bridge read them (overrun) and the
 * spool's bound forcing out its oldest batches (spool overflow).
 *
 * One thread: the read loop, the spool and libmosquitto's network I/O
 * (conn_step()) take turns, so no lock is needed anywhere.
 */
#define _POSIX_C_SOURCE 200809L

#include "mqtt.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmseq/shmseq.h>
#include <shmseq_util/parse.h>

#include "conn.h"
#include "spool.h"
#include "wire.h"

#define PUB_REGIONS_MAX 16
#define READ_CHUNK 1024u

typedef struct pub_region {
    const char *name;
    shmseq_reader r;
    int open;
    uint32_t width;
    shmseq_log_header hdr;
    spool sp;
    char topic[FLEET_TOPIC_MAX], meta_topic[FLEET_TOPIC_MAX];
    char json_topic[FLEET_TOPIC_MAX];
    char *json;             /* --format json: the batch as JSON */
    size_t json_cap;
    /* the batch being filled */
    shmseq_log_record *batch;
    uint32_t nb;
    uint64_t batch_t0;
    /* reading */
    uint64_t expect;        /* next sample number wanted from the ring */
    int have_expect;
    uint64_t last_arrival_ns, next_probe_ns;
    /* sending */
    uint64_t acked;         /* every sample below it is stored at the fleet end */
    uint64_t sent;          /* every sample below it has been published */
    uint64_t sent_high;     /* the most that was ever below sent */
    uint64_t last_progress_ns; /* when acked last moved (or sending began) */
    shmseq_log_record *out; /* records of the batch being sent */
    unsigned char *payload;
    size_t payload_cap;
    double rate_hz;
    int meta_rate_sent;
    /* counters */
    uint64_t read, overrun, spooled, batches, resends, rewinds, spool_fail;
} pub_region;

typedef struct pub {
    const char *node;
    const char *spool_dir;
    uint64_t spool_max;
    uint32_t batch;
    uint64_t max_delay_ns, ack_timeout_ns, window;
    int json;
    const char *channels;
    double duration, linger, status_s;
    pub_region reg[PUB_REGIONS_MAX];
    int nreg;
    conn c;
    char status_topic[FLEET_TOPIC_MAX];
    int rewind_all;         /* a (re)connection: resend from the acks */
    int replaced;           /* a region was recreated: stop, exit 4 */
} pub;

/* Signals seen: the first stops reading (and lingers), the second quits. */
static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    if (stop_flag < 2)
        stop_flag++;
}

static const char *prog = "shmseq-mqtt pub";

static void usage(FILE *to)
{
    fprintf(to,
"Usage: shmseq-mqtt pub --node NODE --spool DIR [OPTIONS] REGION...\n"
"Publish the samples of each REGION to shmseq/NODE/REGION/samples (QoS 1),\n"
"through an on-disk spool that keeps every batch until the fleet end\n"
"(shmseq-mqtt sub) acknowledges it stored it (docs/fleet.md).\n"
"\n"
"  --node NODE        this board's name in the topics ([A-Za-z0-9._-])\n"
"  --spool DIR        spool directory (one subdirectory per region)\n"
"  --spool-max B      bound of each region's spool in bytes (suffix k, M,\n"
"                     G; default 64M); the oldest batches are dropped\n"
"                     (and counted) beyond it\n"
"  --batch N          at most N samples per message (default 100)\n"
"  --max-delay MS     at most MS milliseconds from a batch's first sample\n"
"                     to its publication (default 100)\n"
"  --ack-timeout MS   resend what is not acknowledged after MS (default\n"
"                     2000)\n"
"  --window N         at most N samples published and not acknowledged\n"
"                     (default 200000)\n"
"  --format bin|json  json: also publish each batch once as JSON on\n"
"                     shmseq/NODE/REGION/json (QoS 0, for dashboards)\n"
"  --channels A,B,..  channel names for the retained meta message\n"
"  --duration S       stop after S seconds\n"
"  --linger S         at stop, wait up to S seconds for the acknowledgement\n"
"                     of everything spooled (default 0)\n"
"  --status S         a status line every S seconds (default 10; 0 off)\n"
CONN_HELP
"  -h, --help         this text\n"
"\n"
"Exit status: 0 ok, 1 failure (a broker that refuses the password or whose\n"
"certificate is not trusted, a spool that cannot be written), 2 usage,\n"
"4 a region was replaced by a new one (start the bridge again).\n");
}

static int parse_bytes(const char *s, uint64_t *out)
{
    char num[64];
    size_t n = strlen(s);
    uint64_t mul = 1, v;

    if (n == 0 || n >= sizeof num)
        return -EINVAL;
    memcpy(num, s, n + 1);
    switch (num[n - 1]) {
    case 'k': mul = 1024u; num[n - 1] = '\0'; break;
    case 'M': mul = 1024u * 1024u; num[n - 1] = '\0'; break;
    case 'G': mul = 1024u * 1024u * 1024u; num[n - 1] = '\0'; break;
    default: break;
    }
    if (shmseq_parse_u64(num, &v) != 0 || v > UINT64_MAX / mul)
        return -EINVAL;
    *out = v * mul;
    return 0;
}

/* The retained meta message: what a dashboard needs to read the stream. */
static void publish_meta(pub *p, pub_region *g)
{
    char buf[4096];
    size_t off;
    const char *c = p->channels;

    off = (size_t)snprintf(buf, sizeof buf,
        "{\"v\":%u,\"node\":\"%s\",\"region\":\"%s\",\"width\":%" PRIu32
        ",\"epoch\":%" PRIu32 ",\"created_ns\":%" PRIu64 ",\"capacity\":%"
        PRIu32 ",\"rate_hz\":%.6g,\"format\":\"%s\",\"channels\":[",
        FLEET_VERSION, p->node, g->name, g->width, g->hdr.epoch,
        g->hdr.created_realtime_ns, g->hdr.capacity, g->rate_hz,
        p->json ? "bin+json" : "bin");
    for (uint32_t i = 0; i < g->width && off < sizeof buf - 80; i++) {
        size_t len = c ? strcspn(c, ",") : 0;

        if (c != NULL && len > 0 && len < 64)
            off += (size_t)snprintf(buf + off, sizeof buf - off, "%s\"%.*s\"",
                                    i ? "," : "", (int)len, c);
        else
            off += (size_t)snprintf(buf + off, sizeof buf - off,
                                    "%s\"v%" PRIu32 "\"", i ? "," : "", i);
        if (c != NULL)
            c = c[len] == ',' ? c + len + 1 : NULL;
    }
    off += (size_t)snprintf(buf + off, sizeof buf - off, "]}");
    mosquitto_publish(p->c.m, NULL, g->meta_topic, (int)off, buf, 1, true);
}

static void on_message(struct mosquitto *m, void *ctx,
                       const struct mosquitto_message *msg)
{
    pub *p = ((conn *)ctx)->ctx; /* userdata is the conn */
    char node[FLEET_NAME_MAX + 1], region[FLEET_NAME_MAX + 1];
    const char *leaf;
    fleet_ack a;

    (void)m;
    if (fleet_topic_parse(msg->topic, node, region, &leaf) != 0 ||
        strcmp(leaf, "ack") != 0 || strcmp(node, p->node) != 0 ||
        fleet_ack_decode(msg->payload, (size_t)msg->payloadlen, &a) != 0)
        return;
    for (int i = 0; i < p->nreg; i++) {
        pub_region *g = &p->reg[i];

        if (!g->open || strcmp(g->name, region) != 0 ||
            a.created_ns != g->hdr.created_realtime_ns)
            continue;
        if (a.next_seq > g->acked) {
            g->acked = a.next_seq;
            g->last_progress_ns = conn_now_ns();
            spool_ack(&g->sp, g->acked);
            if (g->sent < g->acked) {
                /* Stored already (another run sent it): skip ahead. */
                g->sent = g->acked;
                spool_rewind(&g->sp, g->acked);
            }
        }
    }
}

static void on_up(void *ctx)
{
    pub *p = ctx;
    char t[FLEET_TOPIC_MAX];

    fleet_topic(t, sizeof t, p->node, "+", "ack");
    mosquitto_subscribe(p->c.m, NULL, t, 1);
    mosquitto_publish(p->c.m, NULL, p->status_topic, 6, "online", 1, true);
    for (int i = 0; i < p->nreg; i++)
        if (p->reg[i].open)
            publish_meta(p, &p->reg[i]);
    /* What was in flight may be gone with the old connection. */
    p->rewind_all = 1;
}

static int attach(pub *p, pub_region *g)
{
    shmseq_region_info info;
    char dir[4096];
    int rc;

    rc = shmseq_reader_open(&g->r, g->name, SHMSEQ_START_OLDEST);
    if (rc < 0)
        return rc;
    if (shmseq_info(g->name, &info) != 0)
        memset(&info, 0, sizeof info);
    g->width = shmseq_reader_width(&g->r);
    memset(&g->hdr, 0, sizeof g->hdr);
    g->hdr.width = g->width;
    g->hdr.capacity = info.capacity;
    g->hdr.epoch = info.epoch;
    g->hdr.writer_pid = info.writer_pid;
    g->hdr.created_realtime_ns = info.created_realtime_ns;
    g->hdr.created_monotonic_ns = info.created_monotonic_ns;
    snprintf(g->hdr.name, sizeof g->hdr.name, "%s", g->name);
    /* One spool per region instance: a recreated region starts afresh. */
    snprintf(dir, sizeof dir, "%s/%s-%" PRIu64, p->spool_dir, g->name,
             info.created_realtime_ns);
    rc = spool_open(&g->sp, dir, &g->hdr, p->spool_max);
    if (rc < 0) {
        fprintf(stderr, "%s: %s\n", prog, g->sp.why);
        shmseq_reader_close(&g->r);
        return 1;
    }
    g->batch = calloc(p->batch, sizeof *g->batch);
    g->out = calloc(p->batch, sizeof *g->out);
    g->payload_cap = fleet_batch_size(p->node, g->name, g->width, p->batch);
    g->payload = malloc(g->payload_cap);
    if (p->json) {
        g->json_cap = 512 + (size_t)p->batch * (24 + 26u * g->width);
        g->json = malloc(g->json_cap);
    }
    if (g->batch == NULL || g->out == NULL || g->payload == NULL ||
        (p->json && g->json == NULL)) {
        fprintf(stderr, "%s: out of memory\n", prog);
        return 1;
    }
    fleet_topic(g->topic, sizeof g->topic, p->node, g->name, "samples");
    fleet_topic(g->meta_topic, sizeof g->meta_topic, p->node, g->name,
                "meta");
    fleet_topic(g->json_topic, sizeof g->json_topic, p->node, g->name,
                "json");
    /* Resume: after what the spool holds (a previous run's); the ring's
     * older samples were spooled, and maybe stored, already. */
    if (!spool_empty(&g->sp)) {
        g->expect = spool_last(&g->sp) + 1u;
        g->have_expect = 1;
        g->acked = spool_first(&g->sp);
        g->sent = g->acked;
        spool_rewind(&g->sp, g->acked);
        fprintf(stderr, "%s: region '%s': %" PRIu64 " samples of a previous "
                "run in the spool (%" PRIu64 "..%" PRIu64 ")%s\n", prog,
                g->name, g->sp.recovered, spool_first(&g->sp),
                spool_last(&g->sp), g->sp.torn_bytes ? ", torn tail cut" : "");
    }
    g->last_progress_ns = g->last_arrival_ns = conn_now_ns();
    g->open = 1;
    return 0;
}

/* The first sample that may still need sending: acknowledged below it,
 * or not held below it. */
static uint64_t base(const pub_region *g)
{
    if (!spool_empty(&g->sp) && g->acked < spool_first(&g->sp))
        return spool_first(&g->sp);
    return g->acked;
}

/* Close the batch being filled: into the spool. */
static void close_batch(pub *p, pub_region *g)
{
    int rc;

    (void)p;
    if (g->nb == 0)
        return;
    if (g->nb > 1 && g->batch[g->nb - 1].timestamp_ns > g->batch[0].timestamp_ns)
        g->rate_hz = (double)(g->nb - 1) * 1e9 /
                     (double)(g->batch[g->nb - 1].timestamp_ns -
                              g->batch[0].timestamp_ns);
    rc = spool_append(&g->sp, g->batch, g->nb);
    if (rc < 0) {
        /* The spool cannot take it: these samples are lost, and said. */
        if (g->spool_fail == 0)
            fprintf(stderr, "%s: %s; counting the samples as spool "
                    "overflow\n", prog, g->sp.why);
        g->spool_fail += g->nb;
    } else {
        g->spooled += g->nb;
        if (g->sent < base(g)) {
            /* First batch, or the spool dropped what was not yet sent. */
            g->sent = base(g);
            spool_rewind(&g->sp, g->sent);
        }
    }
    g->nb = 0;
}

static void take_sample(pub *p, pub_region *g, const shmseq_sample *m,
                        const double *v, uint64_t now)
{
    shmseq_log_record *r;
    uint64_t lost = m->lost;

    if (g->have_expect) {
        if (m->seq < g->expect)
            return; /* spooled by a previous run */
        lost = m->seq - g->expect;
    }
    g->read++;
    g->overrun += lost;
    if (g->nb > 0 && (lost != 0 || m->epoch != g->batch[0].epoch))
        close_batch(p, g);
    r = &g->batch[g->nb++];
    r->seq = m->seq;
    r->timestamp_ns = m->timestamp_ns;
    r->lost_before = lost;
    r->epoch = m->epoch;
    r->width = g->width;
    memcpy(r->values, v, g->width * sizeof *v);
    if (g->nb == 1)
        g->batch_t0 = now;
    g->expect = m->seq + 1u;
    g->have_expect = 1;
    if (g->nb == p->batch)
        close_batch(p, g);
}

static int read_region(pub *p, pub_region *g, uint64_t now)
{
    static shmseq_sample meta[READ_CHUNK];
    static double vals[READ_CHUNK * SHMSEQ_LOG_WIDTH_MAX];
    int n, total = 0;

    do {
        n = shmseq_read_many(&g->r, meta, vals, g->width, READ_CHUNK);
        for (int i = 0; i < n; i++)
            take_sample(p, g, &meta[i], &vals[(size_t)i * g->width], now);
        if (n > 0)
            total += n;
    } while (n == (int)READ_CHUNK);
    if (g->nb > 0 && now - g->batch_t0 >= p->max_delay_ns)
        close_batch(p, g);
    if (total > 0) {
        g->last_arrival_ns = now;
    } else if (now - g->last_arrival_ns >= 1000000000u &&
               now >= g->next_probe_ns) {
        /* After a second of silence, and once a second after that: was
         * the region replaced under us? (Never while samples flow.) */
        g->next_probe_ns = now + 1000000000u;
        if (shmseq_reader_writer_alive(&g->r) == -ESTALE && !p->replaced) {
            fprintf(stderr, "%s: region '%s' was replaced by a new one (a "
                    "writer recreated it); this bridge cannot follow it: "
                    "stopping once its spool is acknowledged (start the "
                    "bridge again)\n", prog, g->name);
            p->replaced = 1;
        }
    }
    return total;
}

/* Publish what the spool holds past the send cursor, within the window. */
static int send_region(pub *p, pub_region *g)
{
    int sent = 0;

    while (p->c.up && !spool_at_end(&g->sp) &&
           g->sent - base(g) < p->window) {
        fleet_batch b;
        size_t len;
        int n = spool_read(&g->sp, g->out, p->batch), rc;

        if (n <= 0)
            break;
        memset(&b, 0, sizeof b);
        snprintf(b.node, sizeof b.node, "%s", p->node);
        snprintf(b.region, sizeof b.region, "%s", g->name);
        b.created_ns = g->hdr.created_realtime_ns;
        b.first_seq = g->out[0].seq;
        b.overrun_before = g->out[0].lost_before;
        b.held_from = spool_first(&g->sp);
        if (b.held_from > b.first_seq)
            b.held_from = b.first_seq;
        if (g->sp.drop_pending && b.first_seq == spool_first(&g->sp)) {
            uint64_t gap = b.first_seq - g->sp.dropped_from;

            b.dropped_before = gap > b.overrun_before ? gap - b.overrun_before
                                                      : 0;
            g->sp.drop_pending = 0;
        }
        if (g->sp.damage_gap > b.overrun_before + b.dropped_before)
            /* Records damaged on the spool's disk: gone for good. */
            b.dropped_before = g->sp.damage_gap - b.overrun_before;
        b.epoch = g->out[0].epoch;
        b.count = (uint32_t)n;
        b.width = g->width;
        len = fleet_batch_encode(&b, g->out, g->payload);
        rc = mosquitto_publish(p->c.m, NULL, g->topic, (int)len, g->payload,
                               1, false);
        if (rc == MOSQ_ERR_SUCCESS && p->json && b.first_seq >= g->sent) {
            /* For dashboards: a copy, once, at QoS 0 (not acknowledged,
             * not resent: the binary batch is the one that is stored). */
            size_t jl = fleet_batch_json(&b, g->out, g->json, g->json_cap);

            if (jl > 0)
                mosquitto_publish(p->c.m, NULL, g->json_topic, (int)jl,
                                  g->json, 0, false);
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            /* Not taken: send it again from here later. */
            spool_rewind(&g->sp, b.first_seq);
            break;
        }
        if (b.first_seq < g->sent_high)
            g->resends += (g->sent_high - b.first_seq < b.count
                               ? g->sent_high - b.first_seq : b.count);
        if (g->sent <= base(g))
            g->last_progress_ns = conn_now_ns();
        g->sent = b.first_seq + b.count;
        if (g->sent > g->sent_high)
            g->sent_high = g->sent;
        g->batches++;
        sent++;
    }
    return sent;
}

/* Go back to the first unacknowledged sample. */
static void rewind_region(pub_region *g, uint64_t now)
{
    uint64_t from = base(g);

    spool_rewind(&g->sp, from);
    if (g->sent > from)
        g->rewinds++;
    g->sent = from;
    g->last_progress_ns = now;
}

static uint64_t unacked(const pub_region *g)
{
    if (spool_empty(&g->sp) || spool_last(&g->sp) < g->acked)
        return 0;
    return spool_last(&g->sp) + 1u -
           (g->acked > spool_first(&g->sp) ? g->acked : spool_first(&g->sp));
}

static void status_line(pub *p, const char *what)
{
    for (int i = 0; i < p->nreg; i++) {
        pub_region *g = &p->reg[i];

        if (!g->open)
            continue;
        fprintf(stderr, "%s: %s '%s': read %" PRIu64 ", acknowledged below %"
                PRIu64 ", unacknowledged %" PRIu64 " (spool %" PRIu64
                " bytes), batches sent %" PRIu64 ", resent samples %" PRIu64
                ", lost: overrun %" PRIu64 ", spool overflow %" PRIu64
                "; broker %s %s\n", prog, what, g->name, g->read, g->acked,
                unacked(g), g->sp.bytes, g->batches, g->resends, g->overrun,
                g->sp.dropped + g->spool_fail + g->sp.damaged,
                conn_where(&p->c), p->c.up ? "up" : "down");
    }
}

int mqtt_pub(int argc, char **argv)
{
    static pub P;
    pub *p = &P;
    conn_opts co;
    char client_id[128];
    uint64_t v, start, last_status, last_sync;
    int opt, rc = 0, stopping = 0;
    uint64_t stop_at = 0;
    static const struct option longs[] = {
        { "node", 1, NULL, 'n' },
        { "spool", 1, NULL, 's' },
        { "spool-max", 1, NULL, 'M' },
        { "batch", 1, NULL, 'b' },
        { "max-delay", 1, NULL, 'D' },
        { "ack-timeout", 1, NULL, 'T' },
        { "window", 1, NULL, 'W' },
        { "format", 1, NULL, 'F' },
        { "channels", 1, NULL, 'C' },
        { "duration", 1, NULL, 'd' },
        { "linger", 1, NULL, 'L' },
        { "status", 1, NULL, 'S' },
        { "help", 0, NULL, 'h' },
        CONN_LONG_OPTIONS,
        { NULL, 0, NULL, 0 },
    };

    memset(&co, 0, sizeof co);
    p->spool_max = 64u * 1024u * 1024u;
    p->batch = 100;
    p->max_delay_ns = 100000000u;
    p->ack_timeout_ns = 2000000000u;
    p->window = 200000;
    p->status_s = 10;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
        switch (opt) {
        case 'n': p->node = optarg; break;
        case 's': p->spool_dir = optarg; break;
        case 'M':
            if (parse_bytes(optarg, &p->spool_max) != 0 ||
                p->spool_max < 4096u) {
                fprintf(stderr, "%s: --spool-max: bytes (at least 4096, "
                        "suffix k, M, G), not '%s'\n", prog, optarg);
                return 2;
            }
            break;
        case 'b':
            if (shmseq_parse_u64_range(optarg, 1, 100000, &v) != 0) {
                fprintf(stderr, "%s: --batch: 1..100000, not '%s'\n", prog,
                        optarg);
                return 2;
            }
            p->batch = (uint32_t)v;
            break;
        case 'D':
        case 'T':
            if (shmseq_parse_u64_range(optarg, opt == 'D' ? 0 : 10,
                                       3600000, &v) != 0) {
                fprintf(stderr, "%s: --%s: milliseconds, not '%s'\n", prog,
                        opt == 'D' ? "max-delay" : "ack-timeout", optarg);
                return 2;
            }
            if (opt == 'D')
                p->max_delay_ns = v * 1000000u;
            else
                p->ack_timeout_ns = v * 1000000u;
            break;
        case 'W':
            if (shmseq_parse_u64_range(optarg, 1, UINT32_MAX, &p->window) != 0) {
                fprintf(stderr, "%s: --window: samples, not '%s'\n", prog,
                        optarg);
                return 2;
            }
            break;
        case 'F':
            if (strcmp(optarg, "bin") != 0 && strcmp(optarg, "json") != 0) {
                fprintf(stderr, "%s: --format: bin or json, not '%s'\n", prog,
                        optarg);
                return 2;
            }
            p->json = strcmp(optarg, "json") == 0;
            break;
        case 'C': p->channels = optarg; break;
        case 'd':
            if (conn_seconds(prog, "duration", optarg, &p->duration) != 0)
                return 2;
            break;
        case 'L':
            if (conn_seconds(prog, "linger", optarg, &p->linger) != 0)
                return 2;
            break;
        case 'S':
            if (conn_seconds(prog, "status", optarg, &p->status_s) != 0)
                return 2;
            break;
        case 'h': usage(stdout); return 0;
        default:
            if (conn_other_option(&co, opt, optarg, argv[optind - 1], prog))
                return 2;
        }
    }
    if (p->node == NULL || p->spool_dir == NULL || optind >= argc) {
        fprintf(stderr, "%s: --node, --spool and at least one REGION are "
                "needed (--help)\n", prog);
        return 2;
    }
    if (fleet_name_check(p->node) != 0) {
        fprintf(stderr, "%s: --node '%s': 1..64 characters of "
                "[A-Za-z0-9._-], not starting with '.'\n", prog, p->node);
        return 2;
    }
    if (argc - optind > PUB_REGIONS_MAX) {
        fprintf(stderr, "%s: at most %d regions\n", prog, PUB_REGIONS_MAX);
        return 2;
    }
    for (int i = optind; i < argc; i++) {
        if (fleet_name_check(argv[i]) != 0 || shmseq_name_check(argv[i]) != 0) {
            fprintf(stderr, "%s: '%s' is not a region name\n", prog, argv[i]);
            return 2;
        }
        p->reg[p->nreg++].name = argv[i];
    }
    for (int i = 0; i < p->nreg; i++) {
        rc = attach(p, &p->reg[i]);
        if (rc < 0) {
            fprintf(stderr, "%s: cannot attach to region '%s': %s\n", prog,
                    p->reg[i].name, shmseq_strerror(rc));
            return 1;
        }
        if (rc > 0)
            return 1;
    }
    snprintf(p->status_topic, sizeof p->status_topic, "shmseq/%s/status",
             p->node);
    snprintf(client_id, sizeof client_id, "shmseq-pub-%s", p->node);
    if (co.client_id == NULL)
        co.client_id = client_id;
    co.will_topic = p->status_topic;
    co.will_payload = "offline";
    if (conn_init(&p->c, &co, prog, on_up, p) != 0)
        return 1;
    p->c.down_note = "samples wait in the spool";
    mosquitto_message_callback_set(p->c.m, on_message);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    start = last_status = last_sync = conn_now_ns();
    for (;;) {
        uint64_t now = conn_now_ns();
        int work = 0, wait_ms;

        if (!stopping && (stop_flag || p->replaced ||
                          (p->duration > 0 &&
                           now - start >= (uint64_t)(p->duration * 1e9)))) {
            stopping = 1;
            /* A replaced region's samples get at least 30 s to drain:
             * its spool is not found again by the next run (another
             * region instance, another spool directory). */
            stop_at = now + (uint64_t)((p->replaced && p->linger < 30
                                            ? 30 : p->linger) * 1e9);
            for (int i = 0; i < p->nreg; i++)
                close_batch(p, &p->reg[i]);
        }
        if (stopping) {
            uint64_t left = 0;

            for (int i = 0; i < p->nreg; i++)
                left += unacked(&p->reg[i]);
            if (left == 0 || now >= stop_at || stop_flag >= 2)
                break;
        }
        if (!stopping)
            for (int i = 0; i < p->nreg; i++)
                work += read_region(p, &p->reg[i], now);
        if (p->c.up) {
            for (int i = 0; i < p->nreg; i++) {
                pub_region *g = &p->reg[i];

                /* A new connection, or no acknowledgement in time: go
                 * back to the first unacknowledged sample. */
                if (p->rewind_all ||
                    (g->sent > base(g) &&
                     now - g->last_progress_ns >= p->ack_timeout_ns))
                    rewind_region(g, now);
                work += send_region(p, g);
                if (!g->meta_rate_sent && g->rate_hz > 0) {
                    publish_meta(p, g);
                    g->meta_rate_sent = 1;
                }
            }
            p->rewind_all = 0;
        }
        if (now - last_sync >= 1000000000u) {
            /* The spool survives a killed bridge in the page cache; this
             * makes it survive a power cut too, a second at a time. */
            for (int i = 0; i < p->nreg; i++)
                spool_sync(&p->reg[i].sp);
            last_sync = now;
        }
        if (p->status_s > 0 && now - last_status >= (uint64_t)(p->status_s * 1e9)) {
            status_line(p, "status:");
            last_status = now;
        }
        wait_ms = work > 0 ? 0 : 1;
        if (conn_step(&p->c, wait_ms) < 0) {
            rc = 1;
            break;
        }
    }
    if (p->c.up) {
        mosquitto_publish(p->c.m, NULL, p->status_topic, 7, "offline", 1,
                          true);
        for (int i = 0; i < 20 && p->c.up; i++)
            conn_step(&p->c, 5);
    }
    /* A refused first connection is one line, not a summary too. */
    if (!(p->c.fatal && p->c.connects == 0))
        status_line(p, "summary:");
    for (int i = 0; i < p->nreg; i++) {
        pub_region *g = &p->reg[i];

        if (!g->open)
            continue;
        spool_sync(&g->sp);
        spool_close(&g->sp);
        shmseq_reader_close(&g->r);
        free(g->batch);
        free(g->out);
        free(g->payload);
        free(g->json);
    }
    conn_close(&p->c);
    return rc != 0 ? rc : p->replaced ? 4 : 0;
}
