/* SPDX-License-Identifier: MIT */
/*
 * The fleet's wire formats (docs/fleet.md draws them byte for byte): the
 * binary batch a board publishes on shmseq/<node>/<region>/samples, the
 * acknowledgement the fleet end publishes back on .../ack, the JSON form
 * of a batch (--format json, for dashboards) and the topic names.
 *
 * Every integer is little-endian and written byte by byte (no struct is
 * dumped), float64 values are their IEEE-754 bit patterns, and each
 * message ends with the CRC-32 of the log format (shmseq_log_crc32()), so
 * a board and the fleet end agree whatever their ABIs. Pure C over the C
 * library and shmseq_logfmt: no MQTT here, so the unit tests check every
 * byte without a broker.
 */
#ifndef SHMSEQ_MQTT_WIRE_H
#define SHMSEQ_MQTT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <shmseq/logfmt.h>

/* "SQMB": a binary batch; "SQMA": an acknowledgement. */
#define FLEET_BATCH_MAGIC "SQMB"
#define FLEET_ACK_MAGIC "SQMA"
#define FLEET_VERSION 1u
/* Fixed part of a batch header; node and region names follow it. */
#define FLEET_BATCH_FIXED 64u
/* Node and region names: 1..64 bytes of [A-Za-z0-9._-]. */
#define FLEET_NAME_MAX 64u
#define FLEET_ACK_SIZE 28u
/* Bytes of one sample in a batch of width w: timestamp + values. */
#define FLEET_SAMPLE_SIZE(w) (8u + 8u * (uint32_t)(w))
/* Room for the longest topic: shmseq/<64>/<64>/samples. */
#define FLEET_TOPIC_MAX 160u

/* A batch: count samples numbered first_seq .. first_seq + count - 1,
 * contiguous, one epoch. */
typedef struct fleet_batch {
    char node[FLEET_NAME_MAX + 1];
    char region[FLEET_NAME_MAX + 1];
    uint64_t created_ns;     /* the region's creation (CLOCK_REALTIME): its identity */
    uint64_t first_seq;
    uint64_t overrun_before; /* lost to ring overrun just before first_seq */
    uint64_t dropped_before; /* dropped by spool overflow just before it */
    uint64_t held_from;      /* the oldest sample the node still holds */
    uint32_t epoch;
    uint32_t count;
    uint32_t width;
    /* count samples: timestamps and width values each, in the payload
     * (decode leaves them there; fleet_batch_sample() reads one). */
    const unsigned char *samples;
} fleet_batch;

/* What an acknowledgement says for one region of one node. */
typedef struct fleet_ack {
    uint64_t created_ns; /* the region instance acknowledged */
    uint64_t next_seq;   /* every sample below it is stored or is a recorded gap */
} fleet_ack;

/* 0 if @p s is a valid node or region name for a topic, else -EINVAL. */
int fleet_name_check(const char *s);

/* Bytes a batch of @p count samples takes. */
size_t fleet_batch_size(const char *node, const char *region, uint32_t width,
                        uint32_t count);

/*
 * Encode the header of @p b and its samples (the records r[0..count-1],
 * whose seq, epoch and width must match @p b) into @p out, which holds
 * fleet_batch_size() bytes. Returns the bytes written.
 */
size_t fleet_batch_encode(const fleet_batch *b, const shmseq_log_record *r,
                          unsigned char *out);

/*
 * Check and decode a batch. On success @p b->samples points into @p buf.
 * @retval 0                 a good batch
 * @retval SHMSEQ_LOG_SHORT  shorter than its header says
 * @retval SHMSEQ_LOG_BAD_MAGIC, _BAD_VERSION, _BAD_CRC, _BAD_FIELD
 */
int fleet_batch_decode(const unsigned char *buf, size_t len, fleet_batch *b);

/* Sample @p i of a decoded batch, as a log record (lost_before: the
 * batch's overrun_before for sample 0, else 0). */
void fleet_batch_sample(const fleet_batch *b, uint32_t i, shmseq_log_record *r);

/* The JSON form of a batch (one line, no newline); @p channels may be
 * NULL. Returns its length, or 0 if @p cap is too small. */
size_t fleet_batch_json(const fleet_batch *b, const shmseq_log_record *r,
                        char *out, size_t cap);

void fleet_ack_encode(const fleet_ack *a, unsigned char out[FLEET_ACK_SIZE]);
int fleet_ack_decode(const unsigned char *buf, size_t len, fleet_ack *a);

/* shmseq/<node>/<region>/<leaf>; returns 0 or -ENAMETOOLONG. */
int fleet_topic(char *buf, size_t cap, const char *node, const char *region,
                const char *leaf);

/* Split "shmseq/<node>/<region>/<leaf>"; 0 or -EINVAL. */
int fleet_topic_parse(const char *topic, char *node, char *region,
                      const char **leaf);

#endif /* SHMSEQ_MQTT_WIRE_H */
