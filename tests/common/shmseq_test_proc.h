/* SPDX-License-Identifier: MIT */
/*
 * Seeing another test process from outside: whether it is asleep in a
 * futex wait right now. Tests use it to hold a window open ("the reader is
 * asleep; now change the writer") instead of sleeping a guessed while.
 */
#ifndef SHMSEQ_TEST_PROC_H
#define SHMSEQ_TEST_PROC_H

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* 1 if @pid is asleep in a futex wait right now. The kernel's wait channel
 * is read rather than /proc/<pid>/syscall: under qemu-user that shows the
 * host's system call numbers, while the wait channel names the kernel
 * function either way (futex_wait_queue, futex_do_wait, ...). */
static inline int shmseq_test_in_futex(pid_t pid)
{
    char path[64], buf[96];
    snprintf(path, sizeof path, "/proc/%ld/wchan", (long)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    return strstr(buf, "futex") != NULL;
}

/* Wait until @pid is asleep in a futex wait, polling every 0.2 ms at most
 * @tries times: 1 once it is, 0 if it never was. */
static inline int shmseq_test_wait_asleep(pid_t pid, int tries)
{
    for (int i = 0; i < tries; i++) {
        if (shmseq_test_in_futex(pid))
            return 1;
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
    return 0;
}

#endif /* SHMSEQ_TEST_PROC_H */
