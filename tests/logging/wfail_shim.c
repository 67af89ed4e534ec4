/* SPDX-License-Identifier: MIT */
/*
 * A test-only LD_PRELOAD shim that makes the disk "fill up": write(2) to a
 * regular file succeeds for the first SHMSEQ_WFAIL_AFTER bytes (the write
 * that crosses the limit is cut short, as a real full disk does), then
 * fails with SHMSEQ_WFAIL_ERRNO (ENOSPC, the default, or EIO). With
 * SHMSEQ_WFAIL_FSYNC=1, fsync(2) fails with EIO instead. Pipes, terminals
 * and /dev/null are never touched, so the logger's stderr still works.
 *
 * The logger writes its output with write(2) on purpose (not stdio, whose
 * internal writes a shim cannot see), so this exercises the real path.
 */
#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t count);
int fsync(int fd);

static size_t allowed_total(int *set)
{
    const char *s = getenv("SHMSEQ_WFAIL_AFTER");

    *set = s != NULL && *s != '\0';
    return *set ? (size_t)strtoull(s, NULL, 10) : 0;
}

static int fail_errno(void)
{
    const char *s = getenv("SHMSEQ_WFAIL_ERRNO");

    return s != NULL && strcmp(s, "EIO") == 0 ? EIO : ENOSPC;
}

static int is_regular(int fd)
{
    struct stat st;

    return fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
}

/* Single-threaded callers only (the logger): a plain counter suffices. */
static size_t written_so_far;

ssize_t write(int fd, const void *buf, size_t count)
{
    ssize_t (*real)(int, const void *, size_t);
    size_t limit;
    int set;
    void *sym = dlsym(RTLD_NEXT, "write");

    memcpy(&real, &sym, sizeof real);
    limit = allowed_total(&set);
    if (set && is_regular(fd)) {
        if (written_so_far >= limit) {
            errno = fail_errno();
            return -1;
        }
        if (count > limit - written_so_far)
            count = limit - written_so_far;
        {
            ssize_t n = real(fd, buf, count);

            if (n > 0)
                written_so_far += (size_t)n;
            return n;
        }
    }
    return real(fd, buf, count);
}

int fsync(int fd)
{
    int (*real)(int);
    const char *s = getenv("SHMSEQ_WFAIL_FSYNC");
    void *sym = dlsym(RTLD_NEXT, "fsync");

    memcpy(&real, &sym, sizeof real);
    if (s != NULL && strcmp(s, "1") == 0 && is_regular(fd)) {
        errno = EIO;
        return -1;
    }
    return real(fd);
}
