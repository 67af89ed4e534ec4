/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * POSIX port: named shared-memory regions and the one-writer lock.
 *
 * A region named "x" is the POSIX shared-memory object "/shmseq.x" (on
 * Linux the tmpfs file /dev/shm/shmseq.x). The single-writer rule
 * (invariant 1) is an exclusive lock on the object's open file
 * description: an OFD lock (F_OFD_SETLK) or, on kernels without OFD locks,
 * flock(). Both belong to the open file, not to a pid stored in memory, so
 * the kernel drops the lock when the writer dies however it dies, and a
 * recycled pid can never impersonate a dead writer.
 *
 * Readers never lock. They open read-write when the file mode lets them,
 * only to map the header writable for futex sleeping; the ring itself is
 * always mapped read-only for them.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shmseq/port.h"

/* Where the system keeps POSIX shared memory, and our prefix in it. */
#define SHMSEQ_SHM_DIR    "/dev/shm"
#define SHMSEQ_SHM_PREFIX "shmseq."

/*
 * Flags of every open. O_NOFOLLOW: a symbolic link planted under a region's
 * name is refused, never followed (glibc's shm_open adds it too; saying it
 * keeps other C libraries honest). O_NONBLOCK: a FIFO planted there must
 * not block the open (check_regular() then refuses it); it changes nothing
 * for a regular file.
 */
#define OPEN_FLAGS (O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)

/* "/" + prefix + name + NUL (sizeof the prefix counts its NUL) */
#define SHMSEQ_OBJ_NAME_MAX \
    (1 + sizeof SHMSEQ_SHM_PREFIX + SHMSEQ_PORT_NAME_MAX)

static void region_reset(shmseq_port_region *r)
{
    r->handle = -1;
    r->base = NULL;
    r->size = 0;
    r->ctl = NULL;
    r->ctl_size = 0;
    r->flags = 0;
}

/* The caller has validated the name already (shmseq_name_check); this only
 * keeps a bad one from escaping the shm directory or overflowing. */
static int object_name(char out[SHMSEQ_OBJ_NAME_MAX], const char *name)
{
    size_t len;

    if (name == NULL)
        return -EINVAL;
    len = strlen(name);
    if (len == 0 || len > SHMSEQ_PORT_NAME_MAX || strchr(name, '/') != NULL)
        return -EINVAL;
    (void)snprintf(out, SHMSEQ_OBJ_NAME_MAX, "/" SHMSEQ_SHM_PREFIX "%s", name);
    return 0;
}

/* shm_open failed with @p err: tell "no shared memory at all" (-ENOSYS, so
 * the caller can name the missing directory) from a missing region. */
static int shm_open_error(int err)
{
    struct stat st;

    if ((err == ENOENT || err == ENOSYS) && stat(SHMSEQ_SHM_DIR, &st) != 0)
        return -ENOSYS;
    /* A symbolic link (refused by O_NOFOLLOW), a directory or a device in
     * the region's place: not a regular shm object, like check_regular(). */
    if (err == ELOOP || err == EISDIR || err == ENXIO || err == ENODEV)
        return -EINVAL;
    return -err;
}

/* Take the writer lock on @p fd without waiting. */
static int lock_writer(int fd)
{
#ifdef F_OFD_SETLK
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;     /* l_start = l_len = 0: the whole file */
    if (fcntl(fd, F_OFD_SETLK, &fl) == 0)
        return 0;
    if (errno == EAGAIN || errno == EACCES)
        return -EBUSY;
    if (errno != EINVAL)        /* EINVAL: kernel older than 3.15 */
        return -errno;
#endif
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return 0;
    if (errno == EWOULDBLOCK || errno == EAGAIN)
        return -EBUSY;
    return -errno;
}

/* 1 if someone holds the writer lock on the object behind @p fd, 0 if not.
 * @p fd itself must not hold it. */
static int probe_writer(int fd)
{
#ifdef F_OFD_GETLK
    struct flock fl;

    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_GETLK, &fl) == 0)
        return fl.l_type != F_UNLCK;
    if (errno != EINVAL)
        return -errno;
#endif
    /* flock has no "test" operation: take the lock and give it back at
     * once. A writer opening in that instant sees -EBUSY and may retry. */
    if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
        (void)flock(fd, LOCK_UN);
        return 0;
    }
    if (errno == EWOULDBLOCK || errno == EAGAIN)
        return 1;
    return -errno;
}

/*
 * Refuse anything but a regular file (a tmpfs object always is) with
 * exactly one name. A second name is a hard link someone planted (a region
 * is only ever created under one name); no name at all means the object was
 * removed after we opened it, which the caller treats as "no such region".
 */
static int check_regular(int fd)
{
    struct stat st;

    if (fstat(fd, &st) != 0)
        return -errno;
    /* -EINVAL rather than -EBADF: the descriptor is fine, the object is not
     * something a region can live in. */
    if (!S_ISREG(st.st_mode))
        return -EINVAL;
    if (st.st_nlink > 1)
        return -EMLINK;
    if (st.st_nlink == 0)
        return -ENOENT;
    return 0;
}

/*
 * Whether the name @p obj refers to the object open on @p fd: 1 yes, 0 it
 * names another object, -ENOENT the name is gone. A removed and recreated
 * object is a new inode of the shm file system, even at the same size and
 * owner.
 */
static int names_fd(int fd, const char *obj)
{
    struct stat mine, named;
    int nfd, rc;

    if (fstat(fd, &mine) != 0)
        return -errno;
    nfd = shm_open(obj, O_RDONLY | OPEN_FLAGS, 0);
    if (nfd < 0)
        return shm_open_error(errno);
    rc = fstat(nfd, &named) == 0 ? 0 : -errno;
    (void)close(nfd);
    if (rc < 0)
        return rc;
    return mine.st_dev == named.st_dev && mine.st_ino == named.st_ino;
}

/*
 * Remove the name @p obj of the object open and locked on @p fd, only if
 * the name still refers to it. Every unlink but a forced one goes through
 * here: the caller holds the writer lock, so no other writer can be using
 * the object, and since every non-forced removal needs that lock, nobody
 * but a forced removal can remove the name and give it to a new object
 * between the check and the unlink.
 */
static int unlink_if_mine(int fd, const char *obj)
{
    int rc = names_fd(fd, obj);

    if (rc < 0)
        return rc;
    if (rc == 0)
        return -ESTALE;
    if (shm_unlink(obj) != 0)
        return shm_open_error(errno);
    return 0;
}

/* Set the size and reserve the memory, so that a full /dev/shm fails here
 * with -ENOSPC instead of killing a process with SIGBUS at first touch. */
static int reserve(int fd, size_t size)
{
    off_t len = (off_t)size;
    int err;

    if (len < 0 || (size_t)len != size)
        return -EFBIG;
    if (ftruncate(fd, len) != 0)
        return -errno;
    if (len == 0)
        return 0;
    /* Returns the error, not -1. A large reservation can be interrupted by
     * a signal (EINTR); it is safe to redo from the start. */
    do
        err = posix_fallocate(fd, 0, len);
    while (err == EINTR);
    if (err == EINVAL || err == EOPNOTSUPP)
        return 0;  /* the file system cannot reserve: run unreserved */
    return -err;
}

int shmseq_port_region_create(shmseq_port_region *r, const char *name,
                              size_t size, uint32_t mode)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    int fd, rc;

    assert(r != NULL);
    region_reset(r);
    rc = object_name(obj, name);
    if (rc < 0)
        return rc;
    /* Permission bits only: setuid/sticky bits mean nothing here. */
    fd = shm_open(obj, O_CREAT | O_EXCL | O_RDWR | OPEN_FLAGS,
                  (mode_t)(mode & 0777u));
    if (fd < 0)
        return shm_open_error(errno);
    /* The name is visible from here on: another writer may open the new,
     * empty object and lock it before we do (it then formats it in place).
     * Whoever holds the lock owns the object, so a creator that loses the
     * lock leaves without touching the name: -EBUSY, as for any region a
     * writer holds. */
    rc = lock_writer(fd);
    if (rc < 0) {
        (void)close(fd);
        return rc;
    }
    /* shm_open applied the umask; the configured mode is what was asked
     * for (e.g. 0640 so a logger group can read). */
    if (fchmod(fd, (mode_t)(mode & 0777u)) != 0)
        rc = -errno;
    if (rc == 0)
        rc = reserve(fd, size);
    if (rc < 0) {
        /* Ours (we hold the lock): remove it, unless a forced removal
         * already gave the name to another object. */
        (void)unlink_if_mine(fd, obj);
        (void)close(fd);
        return rc;
    }
    r->handle = fd;
    r->flags = SHMSEQ_PORT_WRITABLE | SHMSEQ_PORT_LOCKED | SHMSEQ_PORT_CREATED;
    return 0;
}

int shmseq_port_region_open(shmseq_port_region *r, const char *name,
                            int writable)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    int fd, rc;

    assert(r != NULL);
    region_reset(r);
    rc = object_name(obj, name);
    if (rc < 0)
        return rc;
    fd = shm_open(obj, O_RDWR | OPEN_FLAGS, 0);
    if (fd < 0 && errno == EACCES && !writable)
        fd = shm_open(obj, O_RDONLY | OPEN_FLAGS, 0);
    if (fd < 0)
        return shm_open_error(errno);
    rc = check_regular(fd);
    if (rc == 0 && writable)
        rc = lock_writer(fd);
    if (rc == 0 && writable) {
        /* The name may have been removed between our open and our lock
         * (by a RECREATE writer or a removal that held the lock then and
         * has let it go since): the lock would then hold an object nobody
         * finds by name any more. Only the object the name refers to
         * counts: -ESTALE tells the caller to open the name again. */
        rc = names_fd(fd, obj);
        if (rc == 1)
            rc = 0;
        else if (rc == 0 || rc == -ENOENT)
            rc = -ESTALE;
    }
    if (rc < 0) {
        (void)close(fd);
        return rc;
    }
    r->handle = fd;
    if (writable)
        r->flags = SHMSEQ_PORT_WRITABLE | SHMSEQ_PORT_LOCKED;
    return 0;
}

int shmseq_port_region_stat(const shmseq_port_region *r,
                            shmseq_port_stat *out)
{
    struct stat st;

    assert(r != NULL && out != NULL && r->handle >= 0);
    if (fstat((int)r->handle, &st) != 0)
        return -errno;
    out->size = (uint64_t)st.st_size;
    out->uid = (uint32_t)st.st_uid;
    out->mode = (uint32_t)st.st_mode & 07777u;
    return 0;
}

int shmseq_port_region_resize(shmseq_port_region *r, size_t size)
{
    assert(r != NULL && r->handle >= 0);
    assert(r->flags & SHMSEQ_PORT_LOCKED);
    return reserve((int)r->handle, size);
}

void shmseq_port_region_unmap(shmseq_port_region *r)
{
    assert(r != NULL);
    /* ctl lies inside base: one mapping. */
    if (r->base != NULL)
        (void)munmap(r->base, r->size);
    r->ctl = NULL;
    r->ctl_size = 0;
    r->base = NULL;
    r->size = 0;
}

int shmseq_port_region_map(shmseq_port_region *r, size_t size,
                           size_t ctl_offset, size_t ctl_size)
{
    struct stat st;
    int fd, fl, writable;
    void *p;

    assert(r != NULL && r->handle >= 0);
    fd = (int)r->handle;
    if (size == 0 || ctl_offset > size || ctl_size > size - ctl_offset)
        return -EINVAL;
    /* Touching a mapping beyond the end of the file is SIGBUS, so never map
     * more than the object holds (it may be truncated or half-made). */
    if (fstat(fd, &st) != 0)
        return -errno;
    if (st.st_size < 0 || (uint64_t)st.st_size < (uint64_t)size)
        return -EBADMSG;
    fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return -errno;
    writable = (r->flags & SHMSEQ_PORT_WRITABLE) != 0;

    /* Mapping again (e.g. the header first, then all) replaces. */
    shmseq_port_region_unmap(r);
    p = mmap(NULL, size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
             MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return -errno;
    r->base = p;
    r->size = size;

    /* A reader whose fd allows writing gets the reader-control page(s)
     * writable, in place in the same mapping, for the wait word; every
     * other page stays read-only (invariant 3). Only whole pages can
     * change protection: a range that is not one polls instead. */
    if (!writable && ctl_size > 0 && (fl & O_ACCMODE) == O_RDWR) {
        long page = sysconf(_SC_PAGESIZE);

        if (page > 0 && ctl_offset % (size_t)page == 0 &&
            ctl_size % (size_t)page == 0) {
            unsigned char *c = (unsigned char *)p + ctl_offset;

            if (mprotect(c, ctl_size, PROT_READ | PROT_WRITE) != 0) {
                int e = errno;

                shmseq_port_region_unmap(r);
                return -e;
            }
            r->ctl = c;
            r->ctl_size = ctl_size;
        }
    }
    return 0;
}

void shmseq_port_region_close(shmseq_port_region *r)
{
    assert(r != NULL);
    shmseq_port_region_unmap(r);
    if (r->handle >= 0)
        (void)close((int)r->handle);   /* releases the writer lock */
    region_reset(r);
}

/* Open @p name just to look at its lock. */
static int open_probe(const char *name, int *fd)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    int rc = object_name(obj, name);

    if (rc < 0)
        return rc;
    *fd = shm_open(obj, O_RDONLY | OPEN_FLAGS, 0);
    if (*fd < 0)
        return shm_open_error(errno);
    rc = check_regular(*fd);
    if (rc < 0) {
        (void)close(*fd);
        *fd = -1;
    }
    return rc;
}

int shmseq_port_region_unlink(const char *name, int force)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    shmseq_port_region r;
    int rc = object_name(obj, name);

    if (rc < 0)
        return rc;
    if (force) {
        if (shm_unlink(obj) != 0)
            return shm_open_error(errno);
        return 0;
    }
    /* Take the writer lock, as a writer would: -EBUSY while one holds it,
     * and no writer can take the region over until the name is gone. */
    for (int round = 0; round < 4; round++) {
        rc = shmseq_port_region_open(&r, name, 1);
        if (rc == -ESTALE)
            continue; /* replaced while we locked: look again */
        if (rc < 0)
            return rc;
        rc = shmseq_port_region_unlink_locked(&r, name);
        shmseq_port_region_close(&r);
        if (rc != -ESTALE)
            return rc;
    }
    return -EBUSY;
}

int shmseq_port_region_unlink_locked(const shmseq_port_region *r,
                                     const char *name)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    int rc;

    assert(r != NULL && r->handle >= 0 && (r->flags & SHMSEQ_PORT_LOCKED));
    rc = object_name(obj, name);
    if (rc < 0)
        return rc;
    return unlink_if_mine((int)r->handle, obj);
}

int shmseq_port_region_chmod(shmseq_port_region *r, uint32_t mode)
{
    assert(r != NULL && r->handle >= 0 && (r->flags & SHMSEQ_PORT_LOCKED));
    if (fchmod((int)r->handle, (mode_t)(mode & 0777u)) != 0)
        return -errno;
    return 0;
}

int shmseq_port_region_read(const shmseq_port_region *r, uint64_t offset,
                            void *buf, size_t len)
{
    unsigned char *p = buf;
    size_t done = 0;

    assert(r != NULL && r->handle >= 0);
    if (offset > (uint64_t)INT64_MAX - len)
        return -EBADMSG;
    while (done < len) {
        ssize_t n = pread((int)r->handle, p + done, len - done,
                          (off_t)(offset + done));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EBADMSG; /* the object ends first: truncated */
        done += (size_t)n;
    }
    return 0;
}

int shmseq_port_region_same(const shmseq_port_region *r, const char *name)
{
    char obj[SHMSEQ_OBJ_NAME_MAX];
    int rc;

    if (r->handle < 0)
        return -EBADF;
    rc = object_name(obj, name);
    if (rc < 0)
        return rc;
    return names_fd((int)r->handle, obj);
}

int shmseq_port_region_writer_alive(const char *name)
{
    int fd, rc;

    rc = open_probe(name, &fd);
    if (rc < 0)
        return rc;
    rc = probe_writer(fd);
    (void)close(fd);
    return rc;
}

uint32_t shmseq_port_uid(void)
{
    return (uint32_t)geteuid();
}

int shmseq_port_region_list(int (*fn)(void *ctx, const char *name),
                            void *ctx)
{
    const size_t plen = sizeof SHMSEQ_SHM_PREFIX - 1;
    struct dirent *e;
    DIR *d;
    int rc = 0;

    assert(fn != NULL);
    d = opendir(SHMSEQ_SHM_DIR);
    if (d == NULL)
        return errno == ENOENT ? -ENOSYS : -errno;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        const char *name = e->d_name;
        size_t len = strlen(name);

        if (len <= plen || len - plen > SHMSEQ_PORT_NAME_MAX ||
            strncmp(name, SHMSEQ_SHM_PREFIX, plen) != 0)
            continue;
        rc = fn(ctx, name + plen);
    }
    (void)closedir(d);
    return rc;
}
