/* SPDX-License-Identifier: MIT */
/*
 * The region fixture of the CMocka tests that work on one named region at
 * a time and fork children: a per-process region name (and its /dev/shm
 * path), the writer opened on it, children that die with the test and are
 * reaped by the teardown, a teardown that removes whatever the test left
 * under the name (a region, or the file, link or folder a hostile test
 * planted), and CHILD_CHECK for assertions inside a forked child, where
 * CMocka's longjmp would resume the parent's runner.
 *
 * Define TEST_REGION_PREFIX (a short string) before including, so that
 * concurrent test programs never share a name. Register each test with
 * cmocka_unit_test_teardown(test, cleanup).
 */
#ifndef SHMSEQ_TEST_REGION_H
#define SHMSEQ_TEST_REGION_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#ifndef TEST_REGION_PREFIX
#error "define TEST_REGION_PREFIX before including shmseq_test_region.h"
#endif

static char name_buf[SHMSEQ_NAME_MAX + 1];
static char path_buf[SHMSEQ_NAME_MAX + 32]; /* /dev/shm/shmseq.<name> */

/* A fresh name for this process and @tag; anything left under it goes. */
static inline const char *rname(const char *tag)
{
    snprintf(name_buf, sizeof name_buf, TEST_REGION_PREFIX "-%ld-%s",
             (long)getpid(), tag);
    snprintf(path_buf, sizeof path_buf, "/dev/shm/shmseq.%s", name_buf);
    (void)shmseq_remove(name_buf, SHMSEQ_REMOVE_FORCE);
    return name_buf;
}

/* A fresh name for @tag, and a writer @w opened on it with @cfg (asserted:
 * the test's own setup, not what it checks). Returns the name. */
static inline const char *open_test_writer(shmseq_writer *w, const char *tag,
                                    const shmseq_config *cfg)
{
    const char *n = rname(tag);
    assert_int_equal(shmseq_writer_open(w, n, cfg), 0);
    return n;
}

/* Publish @count samples of @width values from the writer's next number
 * on, each derived from its number (shmseq_test_fill), so any reader can
 * check every copy. */
static inline void publish_next(shmseq_writer *w, uint32_t width,
                                uint64_t count)
{
    double v[SHMSEQ_WIDTH_MAX];
    for (uint64_t i = 0; i < count; i++) {
        uint64_t k = shmseq_writer_next(w);
        shmseq_test_fill(v, width, k);
        assert_int_equal(shmseq_publish(w, v, shmseq_test_ts(k)), 0);
    }
}

/* Children alive right now, killed by the teardown if a test fails. */
static pid_t test_children[4];

/* fork(); the child dies with this process (a failed assertion must not
 * leave a writer spinning), and the parent remembers it for the teardown.
 * Returns as fork() does. */
static inline pid_t spawn(void)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        return 0;
    }
    for (size_t i = 0; pid > 0 && i < sizeof test_children / sizeof test_children[0]; i++) {
        if (test_children[i] == 0) {
            test_children[i] = pid;
            break;
        }
    }
    return pid;
}

/* Reap child @pid (of spawn() or fork()): its wait status. */
static inline int wait_child(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            fail_msg("waitpid(%ld): %s", (long)pid, strerror(errno));
    }
    for (size_t i = 0; i < sizeof test_children / sizeof test_children[0]; i++)
        if (test_children[i] == pid)
            test_children[i] = 0;
    return status;
}

/* Fail unless the child's wait @status is a clean exit 0; @what names it.
 * A child reports its own failure on stderr before exiting 1. */
static inline void expect_child_ok(int status, const char *what)
{
    if (WIFSIGNALED(status))
        fail_msg("%s: child died with signal %d (%s)", what, WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("%s: child failed (exit %d; message above)", what,
                 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* CMocka teardown, even after a failed assertion: kill and reap leftover
 * children, then remove what is under the last name rname() gave (force:
 * a failed test may still hold the writer lock; the path too, for objects
 * that are not regions). */
static inline int cleanup(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof test_children / sizeof test_children[0]; i++) {
        if (test_children[i] > 0) {
            kill(test_children[i], SIGKILL);
            waitpid(test_children[i], NULL, 0);
        }
        test_children[i] = 0;
    }
    if (name_buf[0] != '\0') {
        (void)shmseq_remove(name_buf, SHMSEQ_REMOVE_FORCE);
        (void)unlink(path_buf);
        (void)rmdir(path_buf);
    }
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
static inline pid_t fork_with_pipes(int *ready, int *go)
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
