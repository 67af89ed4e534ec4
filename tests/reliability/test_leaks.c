/* SPDX-License-Identifier: MIT */
/*
 * No resource leaks across thousands of opens and closes in one process
 * (docs/reliability.md, "Reader killed"): writers (create, take over,
 * refused), readers (sleeping-capable, polling, refused), shmseq_read_wait
 * with timeouts (through the futex wait and the nap), shmseq_info,
 * shmseq_reader_writer_alive, shmseq_list, shmseq_remove. The number of
 * entries in /proc/self/fd and of lines in /proc/self/maps must be the
 * same before and after: a leaked descriptor or mapping per call would
 * show thousands.
 *
 * usage: test_leaks [--rounds N]   (default 5000, scaled by
 * SHMSEQ_TEST_SCALE, never fewer than 200)
 */
#define _GNU_SOURCE

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#define WIDTH 2u
#define CAPACITY 64u

static int count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (d == NULL)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own descriptor */
}

static int count_maps(void)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return -1;
    int n = 0, c;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static int nothing(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return 0;
}

static int fails;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            if (fails++ < 10) {                            \
                printf("test_leaks: " __VA_ARGS__);        \
                printf(" (line %d)\n", __LINE__);          \
            }                                              \
        }                                                  \
    } while (0)

/* One round of everything; @n names the region. */
static void round_trip(const char *n, uint64_t i)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w, w2;
    shmseq_reader r, rp, rbad;
    shmseq_sample m;
    double v[WIDTH];

    int rc = shmseq_writer_open(&w, n, &cfg); /* create or take over */
    CHECK(rc == 0, "writer open: %s", shmseq_strerror(rc));
    if (rc != 0)
        return;
    CHECK(shmseq_writer_open(&w2, n, &cfg) == -EBUSY, "second writer");
    shmseq_config other = {.width = WIDTH + 1u, .capacity = CAPACITY};
    shmseq_writer_close(&w);
    CHECK(shmseq_writer_open(&w2, n, &other) == -EEXIST, "other geometry");
    rc = shmseq_writer_open(&w, n, &cfg);
    CHECK(rc == 0, "writer reopen: %s", shmseq_strerror(rc));
    if (rc != 0)
        return;

    CHECK(shmseq_reader_open(&r, n, 0) == 0, "reader");
    CHECK(shmseq_reader_open(&rp, n, SHMSEQ_READER_POLL) == 0, "polling reader");
    CHECK(shmseq_reader_open(&rbad, "no-such-region-leaks", 0) == -ENOENT, "enoent");
    CHECK(shmseq_reader_open(&rbad, "bad/name", 0) == -EINVAL, "bad name");

    shmseq_test_fill(v, WIDTH, i);
    shmseq_publish(&w, v, shmseq_test_ts(i));
    CHECK(shmseq_read_wait(&r, &m, v, WIDTH, 1000000) == 0, "read_wait");
    while (shmseq_read(&rp, &m, v, WIDTH) == 0) {
    }
    /* Nothing more: sleeps on the futex word (r) or naps (rp), times out. */
    CHECK(shmseq_read_wait(&r, &m, v, WIDTH, 20000) == -ETIMEDOUT, "timeout");
    CHECK(shmseq_read_wait(&rp, &m, v, WIDTH, 20000) == -ETIMEDOUT, "poll timeout");
    CHECK(shmseq_reader_writer_alive(&r) == 1, "writer alive");

    shmseq_region_info info;
    CHECK(shmseq_info(n, &info) == 0, "info");
    if (i % 16u == 0)
        CHECK(shmseq_list(nothing, NULL) == 0, "list");
    CHECK(shmseq_remove(n, 0) == -EBUSY, "remove while held");
    shmseq_reader_close(&rp);
    shmseq_writer_close(&w);
    CHECK(shmseq_reader_writer_alive(&r) == 0, "writer gone");
    shmseq_reader_close(&r);
    shmseq_reader_close(&r); /* safe twice */
    if (i % 2u == 0) /* half the rounds create afresh, half take over */
        CHECK(shmseq_remove(n, 0) == 0, "remove");
}

int main(int argc, char **argv)
{
    uint64_t rounds = 5000;
    if (argc == 3 && strcmp(argv[1], "--rounds") == 0)
        rounds = strtoull(argv[2], NULL, 0);
    else if (argc != 1) {
        fprintf(stderr, "usage: %s [--rounds N]\n", argv[0]);
        return 2;
    }
    rounds = shmseq_test_scaled(rounds, 200);
    setvbuf(stdout, NULL, _IOLBF, 0);

    char n[64];
    snprintf(n, sizeof n, "leaks-%ld", (long)getpid());
    (void)shmseq_remove(n, SHMSEQ_REMOVE_FORCE);

    /* Warm up: the C library sets up what it keeps for good (stdio
     * buffers, the opendir allocation, lazy symbol binding) once. */
    round_trip(n, 0);
    round_trip(n, 1);
    int fd0 = count_fds(), maps0 = count_maps();

    for (uint64_t i = 2; i < rounds + 2u && fails == 0; i++)
        round_trip(n, i);

    int fd1 = count_fds(), maps1 = count_maps();
    (void)shmseq_remove(n, SHMSEQ_REMOVE_FORCE);
    printf("test_leaks: %llu rounds (each: 4 writer opens, 4 reader opens, "
           "3 read_wait, info, remove): fds %d -> %d, mappings %d -> %d\n",
           (unsigned long long)rounds, fd0, fd1, maps0, maps1);
    CHECK(fd0 > 0 && fd1 == fd0, "descriptors leaked: %d -> %d", fd0, fd1);
    CHECK(maps0 > 0 && maps1 == maps0, "mappings leaked: %d -> %d", maps0, maps1);
    printf("test_leaks: %d passed, %d failed\n", fails ? 0 : 1, fails ? 1 : 0);
    return fails ? 1 : 0;
}
