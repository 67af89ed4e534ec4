/* SPDX-License-Identifier: MIT */
/*
 * The MQTT connection both ends share (docs/fleet.md, "Security" and
 * "Pointing it at a broker"): broker address, TLS (--cafile, --cert,
 * --key), username and password from a file or the environment (never
 * argv), a client id, and a connection state machine that reconnects
 * with back-off and turns the two failures no retry can fix -- a refused
 * password and an untrusted certificate -- into one clear line and a
 * non-zero exit.
 *
 * One thread: the caller's loop calls conn_step(), which connects when it
 * is time, runs libmosquitto's network I/O for up to the time given and
 * dispatches its callbacks.
 */
#ifndef SHMSEQ_MQTT_CONN_H
#define SHMSEQ_MQTT_CONN_H

#include <stdint.h>

#include <mosquitto.h>

typedef struct conn_opts {
    const char *host;      /* default 127.0.0.1 */
    int port;              /* default 1883, 8883 with TLS */
    const char *cafile, *capath, *cert, *key;
    const char *auth_file; /* "username\npassword\n" */
    const char *client_id;
    int keepalive;         /* seconds */
    /* the last will (pub): topic and payload, retained, QoS 1 */
    const char *will_topic, *will_payload;
} conn_opts;

typedef struct conn {
    struct mosquitto *m;
    conn_opts o;
    const char *prog;
    int up;                 /* CONNACK accepted, not yet lost */
    int connecting;         /* TCP (and TLS) up, waiting for CONNACK */
    int fatal;              /* a failure no retry fixes: exit 1 */
    int said_down;          /* "unreachable" said once per outage */
    uint64_t connects;      /* successful connections */
    uint64_t next_try_ns;
    uint64_t backoff_ns;
    uint64_t down_since_ns;
    char last_log[512];     /* libmosquitto's last error (TLS reasons) */
    char user[256], pass[256];
    /* what waits while the broker is away ("samples wait in the spool") */
    const char *down_note;
    int resubscribe;        /* a SUBACK refused: subscribe again (on_up) */
    uint64_t resubscribe_at;
    /* called once per successful connection (subscribe, publish meta) */
    void (*on_up)(void *ctx);
    void *ctx;
} conn;

/* Long options both ends take, and their help text. */
#define CONN_OPT_BASE 1000
enum {
    CONN_OPT_HOST = CONN_OPT_BASE,
    CONN_OPT_PORT,
    CONN_OPT_CAFILE,
    CONN_OPT_CAPATH,
    CONN_OPT_CERT,
    CONN_OPT_KEY,
    CONN_OPT_AUTH_FILE,
    CONN_OPT_CLIENT_ID,
    CONN_OPT_KEEPALIVE,
    CONN_OPT_END
};
#define CONN_LONG_OPTIONS                                                     \
    { "host", 1, NULL, CONN_OPT_HOST },                                       \
    { "port", 1, NULL, CONN_OPT_PORT },                                       \
    { "cafile", 1, NULL, CONN_OPT_CAFILE },                                   \
    { "capath", 1, NULL, CONN_OPT_CAPATH },                                   \
    { "cert", 1, NULL, CONN_OPT_CERT },                                       \
    { "key", 1, NULL, CONN_OPT_KEY },                                         \
    { "auth-file", 1, NULL, CONN_OPT_AUTH_FILE },                             \
    { "client-id", 1, NULL, CONN_OPT_CLIENT_ID },                             \
    { "keepalive", 1, NULL, CONN_OPT_KEEPALIVE }
#define CONN_HELP                                                             \
"Broker:\n"                                                                   \
"  --host HOST        broker address (default 127.0.0.1)\n"                   \
"  --port PORT        broker port (default 1883; 8883 with --cafile)\n"       \
"  --cafile FILE      TLS: trust the CA certificates in FILE (turns TLS on)\n" \
"  --capath DIR       TLS: trust the CA certificates in DIR (turns TLS on)\n"  \
"  --cert FILE        TLS: client certificate (with --key)\n"                 \
"  --key FILE         TLS: client private key\n"                              \
"  --auth-file FILE   username on the first line, password on the second;\n"  \
"                     else SHMSEQ_MQTT_USERNAME / SHMSEQ_MQTT_PASSWORD from\n" \
"                     the environment (never on the command line)\n"          \
"  --client-id ID     MQTT client id (default: see docs/fleet.md)\n"          \
"  --keepalive S      MQTT keep-alive in seconds (default 10)\n"

/* Take one of the options above; 1 taken, 0 not ours, -1 bad value. */
int conn_option(conn_opts *o, int opt, const char *arg, const char *prog);

/* --NAME S: seconds into @p out; 0, or -1 after one line on stderr. */
int conn_seconds(const char *prog, const char *name, const char *arg,
                 double *out);
/* An option the command does not know itself: one of the broker options
 * above, or one line saying it is unknown (@p given: as typed). Returns 0
 * taken, or 2 (the usage exit status). */
int conn_other_option(conn_opts *o, int opt, const char *arg,
                      const char *given, const char *prog);

/* Create the client (credentials read here). 0, or -1 after one line on
 * stderr. */
int conn_init(conn *c, const conn_opts *o, const char *prog,
              void (*on_up)(void *ctx), void *ctx);
/* Connect if it is time, then run the network for up to @p wait_ms.
 * Returns 0, or -1 when c->fatal was set (the line is already out). */
int conn_step(conn *c, int wait_ms);
void conn_close(conn *c);

/* "HOST:PORT" for messages. */
const char *conn_where(const conn *c);

uint64_t conn_now_ns(void);

#endif /* SHMSEQ_MQTT_CONN_H */
