/* SPDX-License-Identifier: MIT */
/*
 * `shmseq rm NAME...`: remove regions; one a writer still holds only with
 * --force.
 */
#define _POSIX_C_SOURCE 200809L

#include "cli.h"

#include <errno.h>
#include <inttypes.h>

static void rm_usage(void)
{
    printf(
"Usage: %s rm [--force] NAME...\n"
"Remove regions. A region a writer still holds is not removed (stop the\n"
"sensor task first) unless --force is given: then the writer and attached\n"
"readers keep their mapping, but the name is gone and the next writer\n"
"creates a new region.\n"
"\n"
"  -f, --force   remove even while a writer holds the region\n"
"  -h, --help    this text\n"
"\n"
"Exit status: 0 all removed, 1 some could not be removed (writer running,\n"
"permission), 2 usage error (nothing removed), 3 some did not exist (and\n"
"nothing else failed).\n", cli_prog);
}

int cli_rm(int argc, char **argv)
{
    int force = 0, first, rc, i, failed = 0, missing = 0;
    const cli_opt opts[] = {
        {"force", 'f', CLI_OPT_FLAG, &force, 0, 0, NULL},
        {NULL, 0, CLI_OPT_FLAG, NULL, 0, 0, NULL},
    };
    const cli_cmd cmd = {"rm", rm_usage, opts, 1, -1};
    shmseq_region_info info;

    if ((rc = cli_parse(&cmd, argc, argv, &first)) >= 0)
        return rc;
    /* All names first: a typo in one removes none. */
    for (i = first; i < argc; i++) {
        rc = cli_check_name("rm", argv[i]);
        if (rc != CLI_OK)
            return rc;
    }
    for (i = first; i < argc; i++) {
        const char *name = argv[i];
        int held = shmseq_info(name, &info) == 0 && info.writer_alive;

        rc = shmseq_remove(name, force ? SHMSEQ_REMOVE_FORCE : 0u);
        if (rc == 0) {
            if (held)
                fprintf(stderr, "%s: rm %s: removed while its writer (pid %"
                        PRIu32 ") runs; it goes on writing into a region no "
                        "new reader can find\n", cli_prog, name,
                        info.writer_pid);
            continue;
        }
        if (rc == -EBUSY) {
            if (held && info.writer_pid != 0)
                fprintf(stderr, "%s: rm %s: a writer (pid %" PRIu32 ") "
                        "still holds this region; stop it first, or use "
                        "--force\n", cli_prog, name, info.writer_pid);
            else
                fprintf(stderr, "%s: rm %s: a writer still holds this "
                        "region; stop it first, or use --force\n", cli_prog,
                        name);
            failed = 1;
        } else {
            (void)cli_region_error("rm", name, rc);
            if (rc == -ENOENT)
                missing = 1;
            else
                failed = 1;
        }
    }
    return failed ? CLI_FAIL : missing ? CLI_NOENT : CLI_OK;
}
