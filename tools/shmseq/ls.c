/* SPDX-License-Identifier: MIT */
/*
 * `shmseq ls`: every region on this system, one line each (or a JSON
 * array), including the ones that cannot be read, with the reason.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct ls_entry {
    char name[SHMSEQ_NAME_MAX + 1];
    int rc; /* of shmseq_info() */
    shmseq_region_info info;
};

struct ls_list {
    struct ls_entry *v;
    size_t n, cap;
};

static int ls_collect(void *ctx, const char *name)
{
    struct ls_list *l = ctx;
    size_t len = strlen(name);

    if (len > SHMSEQ_NAME_MAX)
        return 0; /* shmseq_list() never gives one; be safe anyway */
    if (l->n == l->cap) {
        size_t cap = l->cap != 0 ? 2u * l->cap : 16u;
        struct ls_entry *v = realloc(l->v, cap * sizeof *v);

        if (v == NULL)
            return -ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    memset(&l->v[l->n], 0, sizeof l->v[l->n]);
    memcpy(l->v[l->n].name, name, len + 1u);
    l->n++;
    return 0;
}

static int ls_compare(const void *a, const void *b)
{
    return strcmp(((const struct ls_entry *)a)->name,
                  ((const struct ls_entry *)b)->name);
}

static void ls_usage(void)
{
    printf(
"Usage: %s ls [--json]\n"
"List every shmseq region on this system: name, values per sample (WIDTH),\n"
"ring slots (CAPACITY), writer, writer epoch, samples published so far\n"
"(SAMPLES), time since creation (AGE) and size in shared memory.\n"
"A region that cannot be read (corrupt, another layout version, being\n"
"created, permission denied) is listed with the reason.\n"
"\n"
"  -j, --json   a JSON array, one object per region (see docs/cli.md)\n"
"  -h, --help   this text\n"
"\n"
"Exit status: 0 ok (also when some regions are unreadable), 1 the regions\n"
"cannot be listed, 2 usage error.\n", cli_prog);
}

enum { LS_COLS = 8 };

/* The cells of a readable region's row. */
static void ls_cells(char cell[LS_COLS][SHMSEQ_NAME_MAX + 8],
                     const struct ls_entry *e, uint64_t now)
{
    const size_t sz = SHMSEQ_NAME_MAX + 8;
    const shmseq_region_info *in = &e->info;

    (void)snprintf(cell[0], sz, "%s", e->name);
    (void)snprintf(cell[1], sz, "%" PRIu32, in->width);
    (void)snprintf(cell[2], sz, "%" PRIu32, in->capacity);
    cli_fmt_writer(cell[3], sz, in);
    (void)snprintf(cell[4], sz, "%" PRIu32, in->epoch);
    (void)snprintf(cell[5], sz, "%" PRIu64, in->head);
    cli_fmt_age(cell[6], sz, cli_region_age_ns(in, now));
    cli_fmt_size(cell[7], sz, in->region_size);
}

static void ls_print_table(const struct ls_list *l, uint64_t now)
{
    static const char *const head[LS_COLS] = {
        "NAME", "WIDTH", "CAPACITY", "WRITER", "EPOCH", "SAMPLES", "AGE",
        "SIZE"};
    /* Numbers right-aligned, words left-aligned. */
    static const int right[LS_COLS] = {0, 1, 1, 0, 1, 1, 1, 1};
    char cell[LS_COLS][SHMSEQ_NAME_MAX + 8];
    size_t w[LS_COLS];
    size_t i, c;

    for (c = 0; c < LS_COLS; c++)
        w[c] = strlen(head[c]);
    /* Two passes: widths first, then the rows. */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            for (c = 0; c < LS_COLS; c++)
                printf("%s%-*s", c != 0 ? "  " : "",
                       c + 1 == LS_COLS ? 0 : (int)w[c], head[c]);
            putchar('\n');
        }
        for (i = 0; i < l->n; i++) {
            const struct ls_entry *e = &l->v[i];

            if (e->rc < 0) {
                if (strlen(e->name) > w[0])
                    w[0] = strlen(e->name);
                if (pass == 1)
                    printf("%-*s  unreadable: %s\n", (int)w[0], e->name,
                           cli_region_strerror(e->rc));
                continue;
            }
            ls_cells(cell, e, now);
            for (c = 0; c < LS_COLS; c++) {
                if (pass == 0) {
                    if (strlen(cell[c]) > w[c])
                        w[c] = strlen(cell[c]);
                } else if (c + 1 == LS_COLS && !right[c]) {
                    printf("  %s", cell[c]);
                } else {
                    printf("%s%*s", c != 0 ? "  " : "",
                           right[c] ? (int)w[c] : -(int)w[c], cell[c]);
                }
            }
            if (pass == 1)
                putchar('\n');
        }
    }
}

static void ls_print_json(const struct ls_list *l, uint64_t now)
{
    size_t i;

    printf("[");
    for (i = 0; i < l->n; i++) {
        const struct ls_entry *e = &l->v[i];

        printf("%s\n  {\"name\": ", i != 0 ? "," : "");
        cli_json_string(stdout, e->name);
        if (e->rc == 0) {
            printf(", \"ok\": true, ");
            cli_json_info_fields(stdout, &e->info, now);
        } else {
            const char *code = shmseq_errname(e->rc);

            printf(", \"ok\": false, \"error\": ");
            cli_json_string(stdout, cli_region_strerror(e->rc));
            printf(", \"error_code\": ");
            if (code != NULL)
                cli_json_string(stdout, code);
            else
                printf("null");
        }
        printf("}");
    }
    printf("%s]\n", l->n != 0 ? "\n" : "");
}

int cli_ls(int argc, char **argv)
{
    int json = 0, first, rc;
    const cli_opt opts[] = {
        {"json", 'j', CLI_OPT_FLAG, &json, 0, 0, NULL},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"ls", ls_usage, opts, 0, 0};
    struct ls_list l = {NULL, 0, 0};
    uint64_t now;
    size_t i;

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;

    rc = shmseq_list(ls_collect, &l);
    if (rc < 0) {
        fprintf(stderr, "%s: ls: cannot list the regions: %s\n", cli_prog,
                shmseq_strerror(rc));
        free(l.v);
        return CLI_FAIL;
    }
    if (l.n != 0)
        qsort(l.v, l.n, sizeof l.v[0], ls_compare);
    for (i = 0; i < l.n; i++)
        l.v[i].rc = shmseq_info(l.v[i].name, &l.v[i].info);
    now = cli_realtime_ns();

    if (json)
        ls_print_json(&l, now);
    else if (l.n == 0)
        fprintf(stderr, "%s: no shmseq regions (a sensor task creates one, "
                "e.g. 'sensor_reader --name NAME')\n", cli_prog);
    else
        ls_print_table(&l, now);
    free(l.v);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "%s: ls: writing the output failed: %s\n", cli_prog,
                strerror(errno));
        return CLI_FAIL;
    }
    return CLI_OK;
}
