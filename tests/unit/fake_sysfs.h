/* SPDX-License-Identifier: MIT */
/*
 * Fake sysfs trees for the driver tests (test_iio.c, test_thermal.c,
 * test_replay.c): a private temporary directory the test fills with the
 * files a driver expects, passed to the driver as its root= parameter.
 * Header-only; each test program includes it once. Needs _XOPEN_SOURCE
 * 700 (nftw) defined before any include.
 */
#ifndef SHMSEQ_FAKE_SYSFS_H
#define SHMSEQ_FAKE_SYSFS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAKE_PATH_MAX 1024

static char fake_root[FAKE_PATH_MAX];

/* A fresh root under $TMPDIR; returns it. Aborts the test on failure. */
static const char *fake_make_root(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(fake_root, sizeof fake_root, "%s/shmseq-drv.XXXXXX",
             tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
    if (mkdtemp(fake_root) == NULL) {
        perror("mkdtemp");
        abort();
    }
    {
        /* Canonical, so /proc/self/fd links compare equal to it. */
        char *real = realpath(fake_root, NULL);

        if (real != NULL) {
            snprintf(fake_root, sizeof fake_root, "%s", real);
            free(real);
        }
    }
    return fake_root;
}

/* mkdir -p of every parent of the path (relative to the root). */
static void fake_mkparents(const char *full)
{
    char buf[FAKE_PATH_MAX];
    char *p;

    snprintf(buf, sizeof buf, "%s", full);
    for (p = buf + strlen(fake_root) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST) {
            perror(buf);
            abort();
        }
        *p = '/';
    }
}

static void fake_path(char *out, size_t size, const char *rel)
{
    int n = snprintf(out, size, "%s/%s", fake_root, rel);
    if (n < 0 || (size_t)n >= size)
        abort(); /* a test path that long is a bug in the test */
}

/* Writes (or rewrites, same inode) root/rel with exactly `content`. */
static void fake_write(const char *rel, const char *content)
{
    char path[FAKE_PATH_MAX];
    FILE *f;

    fake_path(path, sizeof path, rel);
    fake_mkparents(path);
    f = fopen(path, "w");
    if (f == NULL || fputs(content, f) == EOF || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

static void fake_unlink(const char *rel)
{
    char path[FAKE_PATH_MAX];

    fake_path(path, sizeof path, rel);
    if (unlink(path) < 0) {
        perror(path);
        abort();
    }
}

static int fake_rm_one(const char *path, const struct stat *st, int flag,
                       struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fake_remove_root(void)
{
    if (fake_root[0] != '\0')
        (void)nftw(fake_root, fake_rm_one, 16, FTW_DEPTH | FTW_PHYS);
    fake_root[0] = '\0';
}

/* A CMocka teardown: the fake tree goes, whatever the test left in it. */
static int fake_teardown(void **state)
{
    (void)state;
    fake_remove_root();
    return 0;
}

#ifdef SHMSEQ_BSP_H
/* Open sysfs driver @p driver on the fake tree: "root=<tree>" followed by
 * @p extra ("" or "key=value,..."). */
static inline int fake_sensor_open(shmseq_sensor *s, const char *driver,
                                   const char *extra, uint32_t width,
                                   uint32_t rate)
{
    char params[2 * FAKE_PATH_MAX];

    snprintf(params, sizeof params, "root=%s%s%s", fake_root,
             extra[0] != '\0' ? "," : "", extra);
    return shmseq_sensor_open(s, driver, params, width, rate);
}
#endif

/*
 * The process's descriptors that point into the fake tree: how many, and
 * how many of those lack FD_CLOEXEC. Linux /proc; -1 if unavailable.
 */
static int fake_open_fds(int *without_cloexec)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    int n = 0;

    *without_cloexec = 0;
    if (d == NULL)
        return -1;
    while ((e = readdir(d)) != NULL) {
        char link[300], target[FAKE_PATH_MAX];
        ssize_t len;
        int fd = atoi(e->d_name);

        if (e->d_name[0] == '.' || fd == dirfd(d))
            continue;
        snprintf(link, sizeof link, "/proc/self/fd/%s", e->d_name);
        len = readlink(link, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        if (strncmp(target, fake_root, strlen(fake_root)) != 0)
            continue;
        n++;
        if ((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0)
            (*without_cloexec)++;
    }
    (void)closedir(d);
    return n;
}

#endif /* SHMSEQ_FAKE_SYSFS_H */
