/* SPDX-License-Identifier: MIT */
/*
 * Helpers for CMocka tests that work on one named region at a time and
 * fork children: a per-process region name (and its /dev/shm path), a
 * teardown that removes it, and CHILD_CHECK for assertions inside a forked
 * child, where CMocka's longjmp would resume the parent's runner.
 *
 * Define TEST_REGION_PREFIX (a short string) before including, so that
 * concurrent test programs never share a name.
 */
#ifndef SHMSEQ_TEST_REGION_H
#define SHMSEQ_TEST_REGION_H

#include <stdio.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#ifndef TEST_REGION_PREFIX
#error "define TEST_REGION_PREFIX before including shmseq_test_region.h"
#endif

static char name_buf[SHMSEQ_NAME_MAX + 1];
static char path_buf[SHMSEQ_NAME_MAX + 32]; /* /dev/shm/shmseq.<name> */

/* A fresh name for this process and @tag; anything left under it goes. */
static const char *rname(const char *tag)
{
    snprintf(name_buf, sizeof name_buf, TEST_REGION_PREFIX "-%ld-%s",
             (long)getpid(), tag);
    snprintf(path_buf, sizeof path_buf, "/dev/shm/shmseq.%s", name_buf);
    (void)shmseq_remove(name_buf, SHMSEQ_REMOVE_FORCE);
    return name_buf;
}

/* CMocka teardown: remove the last region rname() named. */
static int cleanup(void **state)
{
    (void)state;
    if (name_buf[0] != '\0')
        (void)shmseq_remove(name_buf, SHMSEQ_REMOVE_FORCE);
    name_buf[0] = '\0';
    return 0;
}

/*
 * Fork a child joined to us by two pipes, for a ready/go handshake: the
 * child writes to *ready and reads from *go. In the child (0 returned)
 * *ready and *go are its ends; in the parent (the pid returned) they are
 * the other ends: read *ready, write *go. The unused ends are closed on
 * both sides. -1 (and both -1) if a pipe or the fork failed.
 */
static pid_t fork_with_pipes(int *ready, int *go)
{
    int r[2], g[2];

    *ready = -1;
    *go = -1;
    if (pipe(r) != 0)
        return -1;
    if (pipe(g) != 0) {
        close(r[0]);
        close(r[1]);
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(r[0]);
        close(r[1]);
        close(g[0]);
        close(g[1]);
        return -1;
    }
    close(pid == 0 ? r[0] : r[1]);
    close(pid == 0 ? g[1] : g[0]);
    *ready = pid == 0 ? r[1] : r[0];
    *go = pid == 0 ? g[0] : g[1];
    return pid;
}

/* In a forked child: say what failed and leave with status 1. */
#define CHILD_CHECK(cond, ...)                                   \
    do {                                                         \
        if (!(cond)) {                                           \
            fprintf(stderr, "child: " __VA_ARGS__);              \
            fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__);   \
            fflush(stderr);                                      \
            _exit(1);                                            \
        }                                                        \
    } while (0)

#endif /* SHMSEQ_TEST_REGION_H */
