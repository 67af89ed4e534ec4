/* SPDX-License-Identifier: MIT */
/*
 * shmseq: the operator's command-line tool, in the style of ipcs/ipcrm.
 * It lets the people who run a board see what each region is doing without
 * writing code: `ls` lists the regions, `stat` shows one header and its
 * publish rate, `watch` follows a region live through a reader of its own,
 * `dump` prints samples as the logger's CSV, `rm` removes regions.
 *
 * This file only dispatches: each command is a file of its own (ls.c,
 * stat.c, watch.c, dump.c, rm.c) over what cli.h shares. The tool uses the
 * public API only (<shmseq/shmseq.h>), so it sees exactly what any other
 * reader sees and never depends on the layout. docs/cli.md is its manual;
 * the exit statuses in cli.h are part of that contract.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} cmds[] = {
    {"ls", cli_ls},     {"stat", cli_stat}, {"watch", cli_watch},
    {"dump", cli_dump}, {"rm", cli_rm},
};

#define N_CMDS (sizeof cmds / sizeof cmds[0])

static void usage(void)
{
    printf(
"Usage: %s COMMAND [OPTION]... [NAME]...\n"
"Inspect and manage shmseq shared-memory sample regions.\n"
"\n"
"Commands:\n"
"  ls [--json]                       list the regions\n"
"  stat NAME [--json] [--window MS]  header, writer and publish rate\n"
"  watch NAME [--interval MS]        live view until Ctrl-C\n"
"  dump NAME [-c N] [--tail|--follow] samples as CSV\n"
"  rm NAME... [--force]              remove regions\n"
"\n"
"  -h, --help     this text ('%s COMMAND --help' for a command's options)\n"
"  -V, --version  print the version\n"
"\n"
"Exit status: 0 ok, 1 runtime failure, 2 usage error, 3 no such region.\n",
        cli_prog, cli_prog);
}

static int find_cmd(const char *name)
{
    for (size_t i = 0; i < N_CMDS; i++)
        if (strcmp(name, cmds[i].name) == 0)
            return (int)i;
    return -1;
}

/* "shmseq help stat" is "shmseq stat --help". */
static int help(int argc, char **argv)
{
    static char help_opt[] = "--help";
    char *hargv[3];
    int c;

    if (argc < 3) {
        usage();
        return CLI_OK;
    }
    c = find_cmd(argv[2]);
    if (c < 0) {
        fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n",
                cli_prog, argv[2], cli_prog);
        return CLI_USAGE;
    }
    hargv[0] = argv[2];
    hargv[1] = help_opt;
    hargv[2] = NULL;
    return cmds[c].fn(2, hargv);
}

int main(int argc, char **argv)
{
    const char *cmd;
    int c;

    if (argc < 2) {
        fprintf(stderr, "%s: missing COMMAND (ls, stat, watch, dump, rm)\n"
                "Try '%s --help'.\n", cli_prog, cli_prog);
        return CLI_USAGE;
    }
    cmd = argv[1];
    if (strcmp(cmd, "help") == 0)
        return help(argc, argv);
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) {
        usage();
        return CLI_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        printf("%s %d.%d.%d (region layout version %u)\n", cli_prog,
               SHMSEQ_VERSION_MAJOR, SHMSEQ_VERSION_MINOR,
               SHMSEQ_VERSION_PATCH, (unsigned)SHMSEQ_LAYOUT_VERSION);
        return CLI_OK;
    }
    c = find_cmd(cmd);
    if (c >= 0)
        return cmds[c].fn(argc - 1, argv + 1);
    if (cmd[0] == '-')
        fprintf(stderr, "%s: unknown option '%s' (options follow the "
                "COMMAND)\nTry '%s --help'.\n", cli_prog, cmd, cli_prog);
    else
        fprintf(stderr, "%s: unknown command '%s' (ls, stat, watch, dump, "
                "rm)\nTry '%s --help'.\n", cli_prog, cmd, cli_prog);
    return CLI_USAGE;
}
