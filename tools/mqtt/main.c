/* SPDX-License-Identifier: MIT */
/*
 * shmseq-mqtt: the fleet bridge (docs/fleet.md). "pub" runs on each board
 * and publishes its regions through a store-and-forward spool; "sub" runs
 * at the fleet end and stores every (node, region) stream exactly once in
 * one database, acknowledging what it committed.
 */
#include <stdio.h>
#include <string.h>

#include "mqtt.h"

static void usage(FILE *to)
{
    fprintf(to,
"Usage: shmseq-mqtt pub --node NODE --spool DIR [OPTIONS] REGION...\n"
"       shmseq-mqtt sub --db FILE [OPTIONS]\n"
"       shmseq-mqtt COMMAND --help\n"
"Stream regions off the board through an MQTT broker into one database.\n"
"\n"
"  pub   on a board: publish the samples of REGION... (store-and-forward)\n"
"  sub   at the fleet end: store every board's samples exactly once\n"
"\n"
"Exit status: 0 ok, 1 failure, 2 usage error.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "pub") == 0)
        return mqtt_pub(argc - 1, argv + 1);
    if (strcmp(argv[1], "sub") == 0)
        return mqtt_sub(argc - 1, argv + 1);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "shmseq-mqtt: unknown command '%s' (pub or sub)\n",
            argv[1]);
    return 2;
}
