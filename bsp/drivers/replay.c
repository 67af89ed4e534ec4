/* SPDX-License-Identifier: MIT */
/*
 * The replay sensor driver: plays back a CSV the logger recorded
 * ("seq,timestamp_ns,epoch,v0,v1,..."), one row per sample, so a desktop
 * can run the whole pipeline on real data. Lines are parsed by the one
 * CSV reader of the log format (shmseq/logfmt.h); this file only reads
 * the lines and keeps the place.
 *
 * open() checks the header against the width, measures the recorded rate
 * from the rows' timestamps when asked to (rate=recorded) and hands the
 * caller the period to run at (s->period_hint_ns). Everything a read
 * needs - the line buffer and the stdio buffer - is allocated once at
 * open, so read() only copies the next line out of the stdio buffer (a
 * read(2) of a regular file when that runs dry) and parses it: no
 * allocation in the periodic task. A malformed field yields NaN for that
 * channel; at the end of the file it loops or returns -ENODATA.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/logfmt.h>

#include "../bsp_internal.h"

/* 64 values of up to 24 characters each and the three counters fit. */
#define REPLAY_LINE_MAX 4096u
#define REPLAY_IOBUF 65536u
/* Rows whose timestamps give the recorded rate: enough to average out a
 * logger's jitter, few enough that open stays quick on a long file. */
#define REPLAY_RATE_ROWS 1024u

typedef struct replay {
    FILE *f;
    long data_start; /* file offset of the first row */
    int loop;
    int ended;
    char line[REPLAY_LINE_MAX];
    char iobuf[REPLAY_IOBUF];
} replay;

typedef struct replay_state {
    replay *r; /* allocated by open, freed by close */
} replay_state;

_Static_assert(sizeof(replay_state) <= SHMSEQ_SENSOR_STATE_SIZE,
               "replay state must fit the sensor's state area");

static replay *replay_of(shmseq_sensor *s)
{
    return ((replay_state *)shmseq_sensor_state(s))->r;
}

static void replay_close(shmseq_sensor *s)
{
    replay_state *st = (replay_state *)shmseq_sensor_state(s);

    if (st->r != NULL) {
        if (st->r->f != NULL)
            (void)fclose(st->r->f);
        free(st->r);
        st->r = NULL;
    }
}

/* Reads one line; 1 read, 0 end of file, -1 too long (rest skipped). */
static int replay_getline(replay *r)
{
    size_t n;
    int ch;

    if (fgets(r->line, (int)sizeof r->line, r->f) == NULL)
        return 0;
    n = strlen(r->line);
    if (n > 0 && r->line[n - 1] == '\n')
        return 1;
    if (n < sizeof r->line - 1)
        return 1; /* the last line, without a newline */
    while ((ch = getc(r->f)) != EOF && ch != '\n')
        ;
    return -1;
}

static int measure_rate(shmseq_sensor *s, replay *r, uint64_t *period_ns)
{
    double first = 0.0, last = 0.0;
    uint32_t rows = 0;
    int rc;

    while (rows < REPLAY_RATE_ROWS && (rc = replay_getline(r)) != 0) {
        shmseq_log_record rec;
        double ts;

        if (rc < 0 ||
            shmseq_log_csv_row_parse(r->line, s->width, &rec) < 0)
            continue;
        ts = (double)rec.timestamp_ns;
        if (rows == 0)
            first = ts;
        last = ts;
        rows++;
    }
    if (rows < 2 || !(last > first)) {
        shmseq__why(s, "replay: no recorded rate (need 2 rows with increasing "
                 "timestamps); give rate=HZ");
        return -EINVAL;
    }
    *period_ns = (uint64_t)llround((last - first) / (double)(rows - 1));
    if (*period_ns == 0)
        *period_ns = 1;
    return 0;
}

static int replay_parse(shmseq_sensor *s, const char *params, char *file,
                        size_t file_size, double *rate, int *loop)
{
    char key[16], val[SHMSEQ__PATH_MAX];
    int rc;

    file[0] = '\0';
    *rate = 0.0; /* recorded */
    *loop = 0;
    while ((rc = shmseq__param_next(&params, "replay", key, sizeof key, val,
                                    sizeof val, s->why, sizeof s->why)) > 0) {
        if (strcmp(key, "file") == 0 && val[0] != '\0' &&
            shmseq__copy(file, file_size, val) == 0)
            ; /* NOLINT(bugprone-branch-clone): one empty branch per accepted key */
        else if (strcmp(key, "rate") == 0 && strcmp(val, "recorded") == 0)
            *rate = 0.0;
        else if (strcmp(key, "rate") == 0 &&
                 shmseq__parse_number(val, rate) == 0 && *rate > 0.0 &&
                 *rate <= 1e6)
            ;
        else if (strcmp(key, "loop") == 0 &&
                 (strcmp(val, "0") == 0 || strcmp(val, "1") == 0))
            *loop = val[0] == '1';
        else {
            shmseq__why(s, "replay: bad parameter '%s' (file=PATH, "
                     "rate=HZ|recorded, loop=0|1)", key);
            return -EINVAL;
        }
    }
    if (rc < 0)
        return rc;
    if (file[0] == '\0') {
        shmseq__why(s, "replay: file=PATH is required");
        return -EINVAL;
    }
    return 0;
}

static int replay_open(shmseq_sensor *s, const char *params)
{
    replay_state *st = (replay_state *)shmseq_sensor_state(s);
    char file[SHMSEQ__PATH_MAX];
    double rate;
    uint64_t period_ns;
    uint32_t columns;
    replay *r;
    int rc, loop;

    st->r = NULL;
    rc = replay_parse(s, params, file, sizeof file, &rate, &loop);
    if (rc < 0)
        return rc;
    r = calloc(1, sizeof *r);
    if (r == NULL) {
        shmseq__why(s, "replay: out of memory");
        return -ENOMEM;
    }
    st->r = r;
    r->loop = loop;
    r->f = fopen(file, "re");
    if (r->f == NULL) {
        rc = -errno;
        shmseq__why(s, "replay: cannot open %s: %s", file,
                 strerror(-rc));
        goto fail;
    }
    (void)setvbuf(r->f, r->iobuf, _IOFBF, sizeof r->iobuf);
    if (replay_getline(r) != 1 ||
        shmseq_log_csv_header_parse(r->line, &columns) < 0) {
        shmseq__why(s, "replay: %s: no 'seq,timestamp_ns,epoch,v0,...' "
                    "header", file);
        rc = -EINVAL;
        goto fail;
    }
    if (columns != s->width) {
        shmseq__why(s, "replay: %s has %u value column(s) but the width is %u",
                 file, (unsigned)columns, (unsigned)s->width);
        rc = -EINVAL;
        goto fail;
    }
    r->data_start = ftell(r->f);
    if (r->data_start < 0) {
        rc = -errno;
        shmseq__why(s, "replay: %s is not seekable", file);
        goto fail;
    }
    if (rate > 0.0) {
        period_ns = (uint64_t)llround(1e9 / rate);
        if (replay_getline(r) == 0) {
            shmseq__why(s, "replay: %s has no rows", file);
            rc = -EINVAL;
            goto fail;
        }
    } else {
        rc = measure_rate(s, r, &period_ns);
        if (rc < 0)
            goto fail;
    }
    if (fseek(r->f, r->data_start, SEEK_SET) != 0) {
        rc = -errno;
        shmseq__why(s, "replay: cannot rewind %s", file);
        goto fail;
    }
    s->period_hint_ns = period_ns;
    return 0;
fail:
    replay_close(s);
    return rc;
}

static int replay_read(shmseq_sensor *s, uint64_t index, uint64_t now_ns,
                       double *values, uint32_t width)
{
    replay *r = replay_of(s);
    shmseq_log_record rec;
    uint32_t c;
    int rc;

    (void)index;
    (void)now_ns;
    if (r->ended)
        return -ENODATA;
    rc = replay_getline(r);
    if (rc == 0 && r->loop) {
        clearerr(r->f);
        if (fseek(r->f, r->data_start, SEEK_SET) == 0)
            rc = replay_getline(r);
    }
    if (rc == 0) {
        r->ended = 1;
        return -ENODATA;
    }
    /* A malformed field is NaN for its channel; an overlong line (rc < 0)
     * is NaN for all. */
    if (rc > 0)
        (void)shmseq_log_csv_row_parse(r->line, width, &rec);
    for (c = 0; c < width; c++)
        values[c] = rc > 0 ? rec.values[c] : NAN;
    return 0;
}

const shmseq_sensor_ops shmseq__sensor_replay = {
    .name = "replay",
    .summary = "replays a logger CSV, one row per sample; params "
               "file=PATH,rate=HZ|recorded,loop=0|1",
    .open = replay_open,
    .read = replay_read,
    .close = replay_close,
};
