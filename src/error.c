/* SPDX-License-Identifier: MIT */
/*
 * shmseq_strerror(): one sentence for every value the library returns,
 * worded for shmseq's meaning of the errno value, not the C library's.
 */
#include <shmseq/error.h>

#include <errno.h>
#include <string.h>

const char *shmseq_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case 0:
        return "success";
    case -EINVAL:
        return "invalid argument (region name, width, capacity, mode or flags)";
    case -ENAMETOOLONG:
        return "region name too long (at most 64 characters)";
    case -ENOENT:
        return "no region of that name (is the sensor task running?)";
    case -EAGAIN:
        return "nothing yet: no new sample, or the region is still being created";
    case -EBUSY:
        return "another writer holds this region";
    case -EEXIST:
        return "the region exists with another width or capacity "
               "(remove it with `shmseq rm NAME`, or start the writer with "
               "SHMSEQ_WRITER_RECREATE / sensor_reader --recreate)";
    case -EPROTO:
        return "incompatible region: another layout version or byte order "
               "(remove it with `shmseq rm NAME`, then restart the writer)";
    case -EBADMSG:
        return "corrupt or truncated region "
               "(remove it with `shmseq rm NAME`, then restart the writer)";
    case -EACCES:
        return "permission denied on the region";
    case -EPERM:
        return "operation not permitted: the region belongs to another user "
               "(pass SHMSEQ_READER_ANY_OWNER / SHMSEQ_WRITER_ANY_OWNER to "
               "accept it), or real-time priority or memory locking needs "
               "privileges";
    case -ENOSPC:
        return "not enough shared memory for the region (/dev/shm is full)";
    case -ENOMEM:
        return "could not map the region (out of address space or memory)";
    case -ENOSYS:
        return "POSIX shared memory is not available here "
               "(/dev/shm is missing: mount a tmpfs on /dev/shm)";
    case -EMSGSIZE:
        return "values buffer smaller than the region's width";
    case -ETIMEDOUT:
        return "timed out waiting for a sample";
    case -EINTR:
        return "interrupted by a signal";
    case -ESTALE:
        return "the region was replaced: its name now names a new region "
               "(a writer recreated it); open it again to follow it";
    default:
        return strerror(-err);
    }
}
