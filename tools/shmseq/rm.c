/* SPDX-License-Identifier: MIT */
/*
 * `shmseq rm NAME...`: remove regions, all or none. Every name is checked
 * first (a valid name, the region exists, no writer holds it and no
 * other kind of file or second name is under it, unless --force), and only
 * when all pass is any removed.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>

static void rm_usage(void)
{
    printf(
"Usage: %s rm [--force] NAME...\n"
"Remove regions, all or none: every NAME is checked first (a valid name,\n"
"the region exists, no writer holds it, no other kind of file or second\n"
"name is under it) and none is removed unless all pass. A region a\n"
"writer holds is removed only with --force: the writer and attached\n"
"readers keep their mapping, but the name is gone and the next writer\n"
"creates a new region. Prints nothing when all are removed.\n"
"\n"
"  -f, --force   remove even while a writer holds the region, or whatever\n"
"                file is under the name\n"
"  -h, --help    this text\n"
"\n"
"Exit status: 0 all removed; 1 a writer holds one, or another kind of\n"
"file or a second name is under one (nothing removed), or\n"
"removing one failed (permission: rm stops there and names those removed\n"
"before it); 2 usage error (nothing removed); 3 one does not exist\n"
"(nothing removed).\n", cli_prog);
}

/* Whether @p name may be removed: CLI_OK, or the status its problem
 * gives (its message printed). */
static int rm_check(const char *name, int force)
{
    shmseq_region_info info;
    int rc = cli_check_name("rm", name);

    if (rc != CLI_OK)
        return rc;
    rc = shmseq_info(name, &info);
    if (rc == -ENOENT)
        return cli_region_error("rm", name, rc);
    /* Another kind of file, or a second name, under the region's name: a
     * removal that takes the writer lock refuses it as every open does,
     * so it is known now, before anything is removed. */
    if ((rc == -EINVAL || rc == -EMLINK) && !force) {
        fprintf(stderr, "%s: rm %s: %s; to remove the name anyway: "
                "shmseq rm --force %s\n", cli_prog, name,
                cli_region_strerror(rc), name);
        return CLI_FAIL;
    }
    /* An unreadable region (corrupt, another layout, being created) is
     * removable: shmseq_remove() itself refuses one a writer holds. */
    if (rc == 0 && info.writer_alive && !force) {
        if (info.writer_pid != 0)
            fprintf(stderr, "%s: rm %s: a writer (pid %" PRIu32 ") still "
                    "holds this region; stop it first, or use --force\n",
                    cli_prog, name, info.writer_pid);
        else
            fprintf(stderr, "%s: rm %s: a writer still holds this region; "
                    "stop it first, or use --force\n", cli_prog, name);
        return CLI_FAIL;
    }
    return CLI_OK;
}

int cli_rm(int argc, char **argv)
{
    int force = 0, first, rc, i, status = CLI_OK;
    const cli_opt opts[] = {
        {"force", 'f', CLI_OPT_FLAG, &force, 0, 0, NULL},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"rm", rm_usage, opts, 1, -1};

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;
    /* Check all: every problem is reported, and the worst decides (a
     * usage error over a runtime failure over a missing region). */
    for (i = first; i < argc; i++) {
        rc = rm_check(argv[i], force);
        if (rc == CLI_USAGE || (rc == CLI_FAIL && status != CLI_USAGE) ||
            (rc == CLI_NOENT && status == CLI_OK))
            status = rc;
    }
    if (status != CLI_OK) {
        if (argc - first > 1)
            fprintf(stderr, "%s: rm: nothing removed\n", cli_prog);
        return status;
    }
    /* Then remove. Should one fail now (permission, or a writer that
     * started since the check), stop there and say which are gone. */
    for (i = first; i < argc; i++) {
        rc = shmseq_remove(argv[i], force ? SHMSEQ_REMOVE_FORCE : 0u);
        if (rc == 0)
            continue;
        if (rc == -EBUSY)
            fprintf(stderr, "%s: rm %s: a writer took the region since the "
                    "check; stop it first, or use --force\n", cli_prog,
                    argv[i]);
        else
            (void)cli_region_error("rm", argv[i], rc);
        if (i > first) {
            fprintf(stderr, "%s: rm: removed before it:", cli_prog);
            for (int j = first; j < i; j++)
                fprintf(stderr, " %s", argv[j]);
            fprintf(stderr, "; not removed:");
            for (int j = i; j < argc; j++)
                fprintf(stderr, " %s", argv[j]);
            fputc('\n', stderr);
        }
        return rc == -ENOENT ? CLI_NOENT : CLI_FAIL;
    }
    return CLI_OK;
}
