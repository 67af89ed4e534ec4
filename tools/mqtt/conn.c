/* SPDX-License-Identifier: MIT */
/*
 * The MQTT connection of both ends (conn.h): options, credentials, TLS,
 * and a reconnecting state machine over libmosquitto's mosquitto_loop(),
 * all in the caller's thread.
 */
#define _POSIX_C_SOURCE 200809L

#include "conn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <shmseq_util/parse.h>

#define BACKOFF_MIN_NS 100000000ull  /* 100 ms */
#define BACKOFF_MAX_NS 2000000000ull /* 2 s */

uint64_t conn_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int conn_option(conn_opts *o, int opt, const char *arg, const char *prog)
{
    uint64_t v;

    switch (opt) {
    case CONN_OPT_HOST: o->host = arg; return 1;
    case CONN_OPT_PORT:
        if (shmseq_parse_u64_range(arg, 1, 65535, &v) != 0) {
            fprintf(stderr, "%s: --port: not a port: '%s'\n", prog, arg);
            return -1;
        }
        o->port = (int)v;
        return 1;
    case CONN_OPT_CAFILE: o->cafile = arg; return 1;
    case CONN_OPT_CAPATH: o->capath = arg; return 1;
    case CONN_OPT_CERT: o->cert = arg; return 1;
    case CONN_OPT_KEY: o->key = arg; return 1;
    case CONN_OPT_AUTH_FILE: o->auth_file = arg; return 1;
    case CONN_OPT_CLIENT_ID: o->client_id = arg; return 1;
    case CONN_OPT_KEEPALIVE:
        if (shmseq_parse_u64_range(arg, 5, 65535, &v) != 0) {
            fprintf(stderr, "%s: --keepalive: 5..65535 seconds, not '%s'\n",
                    prog, arg);
            return -1;
        }
        o->keepalive = (int)v;
        return 1;
    default:
        return 0;
    }
}

int conn_seconds(const char *prog, const char *name, const char *arg,
                 double *out)
{
    if (shmseq_parse_seconds(arg, out) == 0)
        return 0;
    fprintf(stderr, "%s: --%s: seconds, not '%s'\n", prog, name, arg);
    return -1;
}

int conn_other_option(conn_opts *o, int opt, const char *arg,
                      const char *given, const char *prog)
{
    int t = conn_option(o, opt, arg, prog);

    if (t == 0)
        fprintf(stderr, "%s: unknown option '%s' (--help lists them)\n",
                prog, given);
    return t > 0 ? 0 : 2;
}

const char *conn_where(const conn *c)
{
    static char buf[300];

    snprintf(buf, sizeof buf, "%s:%d", c->o.host, c->o.port);
    return buf;
}

/* One line of the file, without its newline; 0, or -1 if there is none. */
static int read_line(FILE *f, char *out, size_t cap)
{
    size_t n;

    if (fgets(out, (int)cap, f) == NULL)
        return -1;
    n = strcspn(out, "\r\n");
    if (out[n] == '\0' && n + 1 == cap)
        return -1; /* longer than the room */
    out[n] = '\0';
    return 0;
}

static int read_credentials(conn *c)
{
    const char *u, *p;

    if (c->o.auth_file != NULL) {
        FILE *f = fopen(c->o.auth_file, "r");

        if (f == NULL) {
            fprintf(stderr, "%s: cannot read --auth-file '%s': %s\n", c->prog,
                    c->o.auth_file, strerror(errno));
            return -1;
        }
        if (read_line(f, c->user, sizeof c->user) != 0 ||
            read_line(f, c->pass, sizeof c->pass) != 0 || c->user[0] == '\0') {
            fclose(f);
            fprintf(stderr, "%s: --auth-file '%s': want the username on the "
                    "first line and the password on the second\n", c->prog,
                    c->o.auth_file);
            return -1;
        }
        fclose(f);
        return 1;
    }
    u = getenv("SHMSEQ_MQTT_USERNAME");
    p = getenv("SHMSEQ_MQTT_PASSWORD");
    if (u == NULL || u[0] == '\0')
        return 0;
    if (strlen(u) >= sizeof c->user || (p && strlen(p) >= sizeof c->pass)) {
        fprintf(stderr, "%s: SHMSEQ_MQTT_USERNAME or _PASSWORD too long\n",
                c->prog);
        return -1;
    }
    snprintf(c->user, sizeof c->user, "%s", u);
    snprintf(c->pass, sizeof c->pass, "%s", p ? p : "");
    return 1;
}

static void on_log(struct mosquitto *m, void *ctx, int level, const char *s)
{
    conn *c = ctx;

    (void)m;
    if (level == MOSQ_LOG_ERR)
        snprintf(c->last_log, sizeof c->last_log, "%s", s);
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
    conn *c = ctx;

    (void)m;
    c->connecting = 0;
    if (rc == 0) {
        c->up = 1;
        c->resubscribe = 0;
        c->said_down = 0;
        c->connects++;
        c->backoff_ns = BACKOFF_MIN_NS;
        if (c->on_up != NULL)
            c->on_up(c->ctx);
        return;
    }
    /* MQTT 3.1.1 CONNACK codes 4 and 5: no retry will change the answer. */
    if (rc == 4 || rc == 5) {
        fprintf(stderr, "%s: broker %s refused the connection: %s (check "
                "the username and password in --auth-file or "
                "SHMSEQ_MQTT_USERNAME/SHMSEQ_MQTT_PASSWORD)\n", c->prog,
                conn_where(c), rc == 4 ? "bad username or password"
                                       : "not authorised");
        c->fatal = 1;
        return;
    }
    fprintf(stderr, "%s: broker %s refused the connection: %s\n", c->prog,
            conn_where(c), mosquitto_connack_string(rc));
    if (rc == 1 || rc == 2)
        c->fatal = 1; /* protocol version, client id: fatal too */
}

/* A broker may refuse a subscription (0x80), e.g. a clustered broker
 * whose storage is not ready: subscribe again a second later. */
static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int n,
                         const int *granted)
{
    conn *c = ctx;

    (void)m;
    (void)mid;
    for (int i = 0; i < n; i++) {
        if (granted[i] >= 0 && granted[i] <= 2)
            continue;
        if (!c->resubscribe)
            fprintf(stderr, "%s: broker %s refused a subscription; trying "
                    "again in a second\n", c->prog, conn_where(c));
        c->resubscribe = 1;
        c->resubscribe_at = conn_now_ns() + 1000000000ull;
    }
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc)
{
    conn *c = ctx;

    (void)m;
    (void)rc;
    if (c->up || c->connecting)
        c->down_since_ns = conn_now_ns();
    c->up = 0;
    c->connecting = 0;
}

int conn_init(conn *c, const conn_opts *o, const char *prog,
              void (*on_up)(void *ctx), void *ctx)
{
    int tls = o->cafile != NULL || o->capath != NULL, rc;

    memset(c, 0, sizeof *c);
    c->o = *o;
    c->prog = prog;
    c->on_up = on_up;
    c->ctx = ctx;
    if (c->o.host == NULL)
        c->o.host = "127.0.0.1";
    if (c->o.port == 0)
        c->o.port = tls ? 8883 : 1883;
    if (c->o.keepalive == 0)
        c->o.keepalive = 10;
    if ((o->cert == NULL) != (o->key == NULL)) {
        fprintf(stderr, "%s: --cert and --key go together\n", prog);
        return -1;
    }
    if (o->cert != NULL && !tls) {
        fprintf(stderr, "%s: --cert needs --cafile or --capath (the CA that "
                "signed the broker's certificate)\n", prog);
        return -1;
    }
    rc = read_credentials(c);
    if (rc < 0)
        return -1;
    mosquitto_lib_init();
    c->m = mosquitto_new(o->client_id, true, c);
    if (c->m == NULL) {
        fprintf(stderr, "%s: cannot create the MQTT client: %s\n", prog,
                strerror(errno));
        return -1;
    }
    mosquitto_log_callback_set(c->m, on_log);
    mosquitto_connect_callback_set(c->m, on_connect);
    mosquitto_disconnect_callback_set(c->m, on_disconnect);
    mosquitto_subscribe_callback_set(c->m, on_subscribe);
    /* Order is kept by the spool's resends; let QoS 1 flow without a
     * small in-flight cap. */
    mosquitto_max_inflight_messages_set(c->m, 0);
    mosquitto_int_option(c->m, MOSQ_OPT_TCP_NODELAY, 1);
    if (rc == 1 && mosquitto_username_pw_set(c->m, c->user, c->pass) != 0) {
        fprintf(stderr, "%s: bad username or password\n", prog);
        return -1;
    }
    if (o->will_topic != NULL &&
        mosquitto_will_set(c->m, o->will_topic, (int)strlen(o->will_payload),
                           o->will_payload, 1, true) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "%s: cannot set the last will on '%s'\n", prog,
                o->will_topic);
        return -1;
    }
    if (tls) {
        rc = mosquitto_tls_set(c->m, o->cafile, o->capath, o->cert, o->key,
                               NULL);
        if (rc != MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "%s: TLS settings refused (--cafile/--capath/"
                    "--cert/--key): %s\n", prog, rc == MOSQ_ERR_INVAL
                    ? "a file cannot be read" : mosquitto_strerror(rc));
            return -1;
        }
    }
    c->backoff_ns = BACKOFF_MIN_NS;
    c->down_since_ns = conn_now_ns();
    return 0;
}

static void try_connect(conn *c, uint64_t now)
{
    int rc;

    c->last_log[0] = '\0';
    rc = c->connects == 0 && !c->said_down
             ? mosquitto_connect(c->m, c->o.host, c->o.port, c->o.keepalive)
             : mosquitto_reconnect(c->m);
    if (rc == MOSQ_ERR_SUCCESS) {
        c->connecting = 1;
        c->next_try_ns = now + 5000000000ull; /* CONNACK within 5 s */
        return;
    }
    if (rc == MOSQ_ERR_TLS) {
        fprintf(stderr, "%s: TLS handshake with broker %s failed%s%s "
                "(is the broker's certificate signed by the CA in --cafile, "
                "for this host name?)\n", c->prog, conn_where(c),
                c->last_log[0] ? ": " : "", c->last_log);
        c->fatal = 1;
        return;
    }
    if (!c->said_down) {
        fprintf(stderr, "%s: broker %s unreachable: %s; retrying%s%s%s\n",
                c->prog, conn_where(c),
                rc == MOSQ_ERR_ERRNO ? strerror(errno)
                                     : mosquitto_strerror(rc),
                c->down_note ? " (" : "", c->down_note ? c->down_note : "",
                c->down_note ? ")" : "");
        c->said_down = 1;
    }
    c->next_try_ns = now + c->backoff_ns;
    c->backoff_ns *= 2;
    if (c->backoff_ns > BACKOFF_MAX_NS)
        c->backoff_ns = BACKOFF_MAX_NS;
}

int conn_step(conn *c, int wait_ms)
{
    uint64_t now = conn_now_ns();
    int rc;

    if (c->fatal)
        return -1;
    if (!c->up && !c->connecting && now >= c->next_try_ns)
        try_connect(c, now);
    if (c->fatal)
        return -1;
    if (c->connecting && now >= c->next_try_ns) {
        /* No CONNACK in time: drop the socket and try again. */
        mosquitto_disconnect(c->m);
        c->connecting = 0;
        c->next_try_ns = now + c->backoff_ns;
    }
    if (!c->up && !c->connecting) {
        struct timespec ts = { 0, (long)wait_ms * 1000000L };

        if (wait_ms > 0)
            nanosleep(&ts, NULL);
        return 0;
    }
    if (c->up && c->resubscribe && now >= c->resubscribe_at) {
        c->resubscribe = 0;
        if (c->on_up != NULL)
            c->on_up(c->ctx);
    }
    rc = mosquitto_loop(c->m, wait_ms, 1);
    if (c->fatal)
        return -1;
    if (rc != MOSQ_ERR_SUCCESS) {
        if (rc == MOSQ_ERR_TLS && c->connecting) {
            fprintf(stderr, "%s: TLS handshake with broker %s failed%s%s "
                    "(is the broker's certificate signed by the CA in "
                    "--cafile, for this host name?)\n", c->prog,
                    conn_where(c), c->last_log[0] ? ": " : "", c->last_log);
            c->fatal = 1;
            return -1;
        }
        if (c->up || c->connecting) {
            c->down_since_ns = now;
            if (!c->said_down && c->up) {
                fprintf(stderr, "%s: connection to broker %s lost: %s; "
                        "reconnecting\n", c->prog, conn_where(c),
                        rc == MOSQ_ERR_ERRNO ? strerror(errno)
                                             : mosquitto_strerror(rc));
            }
        }
        c->up = 0;
        c->connecting = 0;
        if (c->next_try_ns < now)
            c->next_try_ns = now + BACKOFF_MIN_NS;
    }
    return 0;
}

void conn_close(conn *c)
{
    if (c->m != NULL) {
        if (c->up)
            mosquitto_disconnect(c->m);
        mosquitto_destroy(c->m);
        c->m = NULL;
    }
    mosquitto_lib_cleanup();
    memset(c->pass, 0, sizeof c->pass);
}
