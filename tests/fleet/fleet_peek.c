/* SPDX-License-Identifier: MIT */
/*
 * fleet_peek: the fleet tests' MQTT reader. Subscribes to TOPIC on the
 * broker at 127.0.0.1:PORT and prints up to COUNT messages, one per line
 * ("<retained 0|1> <topic> <payload>"), then exits 0; exits 1 if fewer
 * came within SECONDS. Payloads are printed as they are (the tests peek at
 * text: the meta JSON, the status, the JSON batches).
 *
 *   fleet_peek PORT TOPIC COUNT SECONDS
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>

static int want, got;

static void on_message(struct mosquitto *m, void *ctx,
                       const struct mosquitto_message *msg)
{
    (void)m;
    (void)ctx;
    if (got >= want)
        return;
    printf("%d %s %.*s\n", msg->retain ? 1 : 0, msg->topic, msg->payloadlen,
           (const char *)msg->payload);
    fflush(stdout);
    got++;
}

static void on_connect(struct mosquitto *m, void *ctx, int rc)
{
    if (rc == 0)
        mosquitto_subscribe(m, NULL, (const char *)ctx, 1);
}

int main(int argc, char **argv)
{
    struct mosquitto *m;
    struct timespec t0, t;
    double secs;
    int port;

    if (argc != 5) {
        fprintf(stderr, "usage: fleet_peek PORT TOPIC COUNT SECONDS\n");
        return 2;
    }
    want = (int)strtol(argv[3], NULL, 10);
    secs = strtod(argv[4], NULL);
    port = (int)strtol(argv[1], NULL, 10);
    if (want < 1 || secs <= 0 || port < 1 || port > 65535) {
        fprintf(stderr, "fleet_peek: bad PORT, COUNT or SECONDS\n");
        return 2;
    }
    mosquitto_lib_init();
    m = mosquitto_new(NULL, true, argv[2]);
    if (m == NULL)
        return 1;
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_message_callback_set(m, on_message);
    if (mosquitto_connect(m, "127.0.0.1", port, 10) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "fleet_peek: cannot connect to 127.0.0.1:%s\n", argv[1]);
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (got < want) {
        mosquitto_loop(m, 50, 1);
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((double)(t.tv_sec - t0.tv_sec) +
                (double)(t.tv_nsec - t0.tv_nsec) / 1e9 > secs)
            break;
    }
    mosquitto_disconnect(m);
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    return got >= want ? 0 : 1;
}
