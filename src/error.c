/* SPDX-License-Identifier: MIT */
/*
 * shmseq_strerror() and shmseq_errname(): one table, SHMSEQ_ERRORS, gives
 * every value the library returns its symbolic name and its sentence, so a
 * tool that prints error names (e.g. `shmseq ls --json`) keeps no second
 * map. The sentences are worded for shmseq's meaning of the errno value,
 * not the C library's, and name no program: the library is used by
 * programs it does not know, and a program adds its own concrete command.
 */
#include <shmseq/error.h>

#include <errno.h>
#include <string.h>

/* X(errno constant, sentence); every value the public API documents. */
#define SHMSEQ_ERRORS(X)                                                     \
    X(EINVAL, "invalid argument (region name, width, capacity, mode or "    \
              "flags)")                                                      \
    X(ENAMETOOLONG, "region name too long (at most 64 characters)")         \
    X(ENOENT, "no region of that name (is the sensor task running?)")       \
    X(EAGAIN, "nothing yet: no new sample, or the region is still being "   \
              "created")                                                     \
    X(EBUSY, "another writer holds this region")                            \
    X(EEXIST, "the region exists with another width or capacity (remove "  \
              "it, or open the writer with SHMSEQ_WRITER_RECREATE)")         \
    X(EPROTO, "incompatible region: another layout version or byte order "  \
              "(remove it, then restart the writer)")                        \
    X(EBADMSG, "corrupt, truncated or half-made region, or another file "   \
               "under its name (remove it, or open the writer with "         \
               "SHMSEQ_WRITER_RECREATE)")                                    \
    X(EACCES, "permission denied on the region")                            \
    X(EPERM, "operation not permitted: the region belongs to another user " \
             "(pass SHMSEQ_READER_ANY_OWNER / SHMSEQ_WRITER_ANY_OWNER to "   \
             "accept it) or grants more access than the writer asked for "   \
             "(SHMSEQ_WRITER_ANY_MODE), or real-time priority or memory "    \
             "locking needs privileges")                                     \
    X(ENOSPC, "not enough shared memory for the region (/dev/shm is full)") \
    X(ENOMEM, "could not map the region (out of address space or memory)")  \
    X(ENOSYS, "POSIX shared memory is not available here (/dev/shm is "     \
              "missing: mount a tmpfs on /dev/shm)")                         \
    X(EMSGSIZE, "values buffer smaller than the region's width")            \
    X(ETIMEDOUT, "timed out waiting for a sample")                          \
    X(EINTR, "interrupted by a signal")                                     \
    X(EMLINK, "refused: the region's file has a second name (a hard link "  \
              "was planted under the region's name)")                        \
    X(ESTALE, "the region was replaced: its name now names a new region "   \
              "(a writer recreated it); open it again to follow it")

const char *shmseq_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "success";
#define SHMSEQ_X_TEXT(code, text) \
    case -(code):                 \
        return text;
        SHMSEQ_ERRORS(SHMSEQ_X_TEXT)
#undef SHMSEQ_X_TEXT
    default:
        return strerror(-err);
    }
}

const char *shmseq_errname(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "OK";
#define SHMSEQ_X_NAME(code, text) \
    case -(code):                 \
        return #code;
        SHMSEQ_ERRORS(SHMSEQ_X_NAME)
#undef SHMSEQ_X_NAME
    default:
        return NULL;
    }
}
