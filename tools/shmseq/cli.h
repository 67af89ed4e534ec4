/* SPDX-License-Identifier: MIT */
/*
 * What the commands of the `shmseq` tool share: the exit statuses of
 * docs/cli.md, the one option parser every command declares its options
 * to, the region error messages, and the formatting of times, sizes and
 * JSON. main.c dispatches to one file per command (ls.c, stat.c, watch.c,
 * dump.c, rm.c); each uses the public API only.
 */
#ifndef SHMSEQ_TOOL_CLI_H
#define SHMSEQ_TOOL_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <shmseq/shmseq.h>

/* Exit statuses, the same for every command (docs/cli.md, EXIT STATUS). */
#define CLI_OK 0
#define CLI_FAIL 1  /* runtime failure: busy, corrupt, permission, I/O */
#define CLI_USAGE 2 /* bad command line or region name */
#define CLI_NOENT 3 /* no region of that name */

#define NS_PER_MS 1000000u
#define NS_PER_S 1000000000u

/*
 * Reader flags for watch and dump. The operator names the region to inspect
 * explicitly, as with `shmseq stat` (which describes regions of any owner),
 * so a region created by another user (the sensor task's account) is read
 * too, where the library makes that a choice.
 */
#define CLI_READER_FLAGS SHMSEQ_READER_ANY_OWNER

extern const char *const cli_prog; /* "shmseq" */

/* Set by SIGINT/SIGTERM once cli_catch_signals() ran; loops poll it. */
extern volatile sig_atomic_t cli_stop_signal;
void cli_catch_signals(void);

/* ---- the option parser -------------------------------------------------- */

typedef enum {
    CLI_OPT_FLAG, /* no argument: *(int *)dst = 1 */
    CLI_OPT_NUM,  /* a number in [min, max]: *(uint64_t *)dst */
} cli_opt_kind;

/* One option of a command. A command's table ends with {NULL}. Letters
 * and long names follow docs/cli.md, OPTION LETTERS (one meaning per letter
 * in every program); the test cli_options compares each --help with it. */
typedef struct {
    const char *name; /* long name, without "--" */
    char letter;      /* short letter, or 0 for a long option only */
    cli_opt_kind kind;
    void *dst;
    uint64_t min, max; /* CLI_OPT_NUM: the accepted range */
    const char *want;  /* CLI_OPT_NUM: what to ask for, e.g. "0..60000 ms" */
} cli_opt;

/* A command: its word, its options, how many NAMEs it takes. */
typedef struct {
    const char *name;
    void (*usage)(void);
    const cli_opt *opts;
    int min_args, max_args; /* positional arguments; max -1 = any number */
} cli_cmd;

/*
 * Parse argv (argv[0] is the command word) against @p cmd; -h/--help is
 * every command's. Returns -1 when the command goes on with its positional
 * arguments argv[*first .. argc-1], else the exit status to return at once
 * (CLI_OK after printing the help, CLI_USAGE after a usage error).
 */
int cli_parse(const cli_cmd *cmd, int argc, char **argv, int *first);

/* Prints "shmseq CMD: WHAT" (WHAT a format with one %s) and the hint to
 * --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *what, const char *arg);

/* ---- regions ------------------------------------------------------------ */

/* The library's sentence for @p rc, with the sense an open or info call
 * gives -EAGAIN and -EPERM. */
const char *cli_region_strerror(int rc);

/* "shmseq: stat imu: REASON", plus the concrete command that helps; returns
 * the exit status for @p rc. */
int cli_region_error(const char *cmd, const char *name, int rc);

/* A region name from the command line, checked before anything touches the
 * system: a typo is a usage error (2), not "no such region" (3). */
int cli_check_name(const char *cmd, const char *name);

/* ---- time and formatting ------------------------------------------------ */

uint64_t cli_realtime_ns(void);
void cli_sleep_ns(uint64_t ns); /* returns early on a signal */
uint64_t cli_region_age_ns(const shmseq_region_info *info, uint64_t now);
void cli_fmt_age(char *buf, size_t size, uint64_t ns);
void cli_fmt_size(char *buf, size_t size, uint64_t bytes);
void cli_fmt_time(char *buf, size_t size, uint64_t realtime, int date);
void cli_fmt_writer(char *buf, size_t size, const shmseq_region_info *in);
void cli_json_string(FILE *f, const char *s);
void cli_json_info_fields(FILE *f, const shmseq_region_info *in,
                          uint64_t now);

/* ---- the commands ------------------------------------------------------- */

int cli_ls(int argc, char **argv);
int cli_stat(int argc, char **argv);
int cli_watch(int argc, char **argv);
int cli_dump(int argc, char **argv);
int cli_rm(int argc, char **argv);

#endif /* SHMSEQ_TOOL_CLI_H */
