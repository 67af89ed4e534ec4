/* SPDX-License-Identifier: MIT */
/* shmseq-mqtt's two commands (main.c dispatches): the board end and the
 * fleet end of the bridge (docs/fleet.md). Each returns the exit status. */
#ifndef SHMSEQ_MQTT_H
#define SHMSEQ_MQTT_H

int mqtt_pub(int argc, char **argv);
int mqtt_sub(int argc, char **argv);

#endif /* SHMSEQ_MQTT_H */
