/* SPDX-License-Identifier: MIT */
/*
 * What a reader may write (docs/layout.md, "What a reader may write";
 * invariant 3): a reader allowed to write the object maps the region
 * read-only except the reader-control page, which holds the futex word,
 * the "waiting" flag and padding, nothing else.
 *
 *  - faults: a reader (this user's region, so it gets the writable page)
 *    stores one byte through its mapping at the static line, the writer
 *    line, the last byte before the reader-control page, the first byte
 *    after it (the first slot) and the last byte of the region: each
 *    store kills it with SIGSEGV. A store to the "waiting" flag does not.
 *  - scribbler: a reader process fills every page it has mapped writable
 *    (found in /proc/self/maps, so whatever the library maps counts) with
 *    random bytes, over and over, while the writer publishes and two other
 *    readers (one sleeping in shmseq_read_wait, one polling) read: both
 *    receive every sample exactly as published, none lost.
 *
 * Readers run in forked children so a fault is seen by the parent. The
 * writer runs in a child of its own: a child forked from a process with
 * the writer open would inherit the writer's writable mapping.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#define WIDTH 3u
#define CAPACITY 4096u
#define SAMPLES 3000u /* below CAPACITY: a reader that keeps up loses none */

#define TEST_REGION_PREFIX "c"
#include "shmseq_test_region.h"

/* One mapping of the region's object, as /proc/self/maps lists it. */
struct vma {
    unsigned char *start;
    size_t len;
    unsigned long long offset; /* in the object */
    int writable;
};

/* The mappings of path_buf in this process; returns how many (at most
 * @max), or -1 if /proc/self/maps cannot be read. */
static int region_vmas(struct vma *out, int max)
{
    FILE *f = fopen("/proc/self/maps", "r");
    if (f == NULL)
        return -1;
    char line[512];
    int n = 0;
    while (n < max && fgets(line, sizeof line, f) != NULL) {
        unsigned long long lo, hi, off;
        char perms[8];
        int path_at = 0;
        if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &lo, &hi, perms,
                   &off, &path_at) < 4 || path_at == 0)
            continue;
        size_t at = (size_t)path_at, plen = strlen(path_buf);
        if (strncmp(line + at, path_buf, plen) != 0)
            continue;
        char after = line[at + plen];
        if (after != '\n' && after != ' ' && after != '\0')
            continue; /* another region whose name starts alike */
        out[n].start = (unsigned char *)(uintptr_t)lo;
        out[n].len = (size_t)(hi - lo);
        out[n].offset = off;
        out[n].writable = perms[1] == 'w';
        n++;
    }
    fclose(f);
    return n;
}

/* The address of object offset @off in this process's mapping of it. */
static unsigned char *addr_of(const struct vma *v, int n, size_t off)
{
    for (int i = 0; i < n; i++)
        if (off >= v[i].offset && off < v[i].offset + v[i].len)
            return v[i].start + (off - v[i].offset);
    return NULL;
}

/*
 * The writer, in a child: open, publish @first samples, say ready, wait
 * for go, publish @then samples @gap_us apart, wait for the pipe to
 * close, close. Parent: returns the pid with *ready and *go its ends.
 */
static pid_t writer_child(const char *n, uint64_t first, uint64_t then,
                          long gap_us, int *ready, int *go)
{
    pid_t pid = fork_with_pipes(ready, go);
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, n, &cfg);
    CHILD_CHECK(rc == 0, "writer: open: %s", shmseq_strerror(rc));
    double v[WIDTH];
    char c = 1;
    for (uint64_t i = 0; i < first + then; i++) {
        if (i == first) {
            CHILD_CHECK(write(*ready, &c, 1) == 1, "writer: ready pipe");
            CHILD_CHECK(read(*go, &c, 1) == 1, "writer: go pipe");
        }
        uint64_t k = shmseq_writer_next(&w);
        shmseq_test_fill(v, WIDTH, k);
        CHILD_CHECK(shmseq_publish(&w, v, shmseq_test_ts(k)) == 0, "publish");
        if (i >= first && gap_us > 0) {
            struct timespec ts = {0, gap_us * 1000L};
            nanosleep(&ts, NULL);
        }
    }
    if (then == 0)
        CHILD_CHECK(write(*ready, &c, 1) == 1, "writer: ready pipe");
    while (read(*go, &c, 1) > 0) { /* until the parent closes it */
    }
    shmseq_writer_close(&w);
    _exit(0);
}

/* ---- faults ------------------------------------------------------------- */

/* Child: open a reader, store one byte at object offset @off; exit 0 if
 * the store went through, 2 if the offset is not mapped, 3 if no page of
 * the region is writable or the writable one is not the reader-control
 * page; SIGSEGV if the store faulted. */
static _Noreturn void store_child(const char *n, size_t off)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    signal(SIGSEGV, SIG_DFL); /* CMocka traps it in the runner */
    signal(SIGBUS, SIG_DFL);
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, 0);
    CHILD_CHECK(rc == 0, "open: %s", shmseq_strerror(rc));
    struct vma v[8];
    int nv = region_vmas(v, 8);
    CHILD_CHECK(nv > 0, "no mapping of %s in /proc/self/maps", path_buf);
    int writable = 0;
    for (int i = 0; i < nv; i++) {
        if (!v[i].writable)
            continue;
        writable++;
        if (v[i].offset != SHMSEQ_CTL_OFFSET || v[i].len != SHMSEQ_PAGE_MAX)
            _exit(3);
    }
    if (writable != 1)
        _exit(3);
    volatile unsigned char *p = addr_of(v, nv, off);
    if (p == NULL)
        _exit(2);
    *p = 0xa5;
    _exit(0);
}

static void test_faults(void **state)
{
    (void)state;
    const char *n = rname("faults");
    int ready, go;
    char c;
    pid_t wpid = writer_child(n, 5, 0, 0, &ready, &go);
    assert_true(wpid > 0);
    assert_int_equal(read(ready, &c, 1), 1);
    size_t size = shmseq_region_size(WIDTH, CAPACITY);
    const struct {
        const char *what;
        size_t off;
        int faults;
    } cases[] = {
        {"magic (static line)", 0, 1},
        {"head (writer line)", 64, 1},
        {"last byte before the reader-control page", SHMSEQ_CTL_OFFSET - 1u, 1},
        {"waiting flag (reader-control line)", SHMSEQ_CTL_OFFSET + 4u, 0},
        {"first slot, right after the reader-control page", SHMSEQ_HEADER_SIZE, 1},
        {"last byte of the region", size - 1u, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            store_child(n, cases[i].off);
        int st = wait_child(pid);
        if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
            fail_msg("the reader's writable mapping is not exactly the "
                     "reader-control page (see /proc/self/maps)");
        if (WIFEXITED(st) && WEXITSTATUS(st) == 1)
            fail_msg("the reader child failed (message above)");
        int faulted = WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
        print_message("faults: store at %-48s (offset %zu): %s\n",
                      cases[i].what, cases[i].off,
                      faulted ? "SIGSEGV" : "stored");
        if (faulted != cases[i].faults || (!faulted && !(WIFEXITED(st) &&
                                                         WEXITSTATUS(st) == 0)))
            fail_msg("store at %s: status 0x%x, want %s", cases[i].what,
                     (unsigned)st, cases[i].faults ? "SIGSEGV" : "exit 0");
    }
    /* Nothing a reader could not write changed. */
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.head, 5);
    close(go);
    close(ready);
    int st = wait_child(wpid);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* ---- scribbler ---------------------------------------------------------- */

struct board {
    atomic_uint ready;    /* readers attached */
    atomic_uint stop;     /* the writer is done: scribbler stops */
    atomic_ullong rounds; /* scribbler passes over its writable pages */
    atomic_ullong bytes;  /* writable bytes it found */
};

static struct board *board;

static _Noreturn void scribbler(const char *n, int ready)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, 0);
    CHILD_CHECK(rc == 0, "scribbler: open: %s", shmseq_strerror(rc));
    struct vma v[8];
    int nv = region_vmas(v, 8);
    CHILD_CHECK(nv > 0, "scribbler: no mapping of %s", path_buf);
    unsigned long long bytes = 0;
    for (int i = 0; i < nv; i++)
        if (v[i].writable)
            bytes += v[i].len;
    atomic_store(&board->bytes, bytes);
    char c = 1;
    CHILD_CHECK(write(ready, &c, 1) == 1, "scribbler: ready pipe");
    uint64_t x = 0x9e3779b97f4a7c15u ^ (uint64_t)getpid();
    while (!atomic_load(&board->stop)) {
        for (int i = 0; i < nv; i++) {
            if (!v[i].writable)
                continue;
            volatile uint32_t *p = (volatile uint32_t *)(void *)v[i].start;
            for (size_t k = 0; k < v[i].len / 4u; k++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                p[k] = (uint32_t)x;
            }
        }
        atomic_fetch_add(&board->rounds, 1);
    }
    _exit(0);
}

/* A reader that must get every sample 0..SAMPLES-1 exactly. */
static _Noreturn void victim(const char *n, int wait)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST);
    CHILD_CHECK(rc == 0, "victim: open: %s", shmseq_strerror(rc));
    atomic_fetch_add(&board->ready, 1);
    double v[WIDTH];
    shmseq_sample m;
    uint64_t expect = 0;
    uint64_t deadline = shmseq_now_ns() + 60ull * 1000000000u;
    while (expect < SAMPLES) {
        CHILD_CHECK(shmseq_now_ns() < deadline, "victim (%s): only %llu of %u "
                    "samples in 60 s", wait ? "wait" : "poll",
                    (unsigned long long)expect, SAMPLES);
        rc = wait ? shmseq_read_wait(&r, &m, v, WIDTH, 100000000)
                  : shmseq_read(&r, &m, v, WIDTH);
        if (rc == -EAGAIN || rc == -ETIMEDOUT)
            continue;
        CHILD_CHECK(rc == 0, "victim (%s): read: %s", wait ? "wait" : "poll",
                    shmseq_strerror(rc));
        CHILD_CHECK(m.seq == expect && m.lost == 0,
                    "victim (%s): got #%llu (lost %llu), expected #%llu",
                    wait ? "wait" : "poll", (unsigned long long)m.seq,
                    (unsigned long long)m.lost, (unsigned long long)expect);
        CHILD_CHECK(shmseq_test_check(v, WIDTH, m.seq, m.timestamp_ns) == 0,
                    "victim (%s): sample #%llu changed",
                    wait ? "wait" : "poll", (unsigned long long)m.seq);
        expect++;
    }
    shmseq_reader_stats st;
    shmseq_reader_get_stats(&r, &st);
    CHILD_CHECK(st.received == SAMPLES && st.lost == 0,
                "victim: received %llu lost %llu",
                (unsigned long long)st.received, (unsigned long long)st.lost);
    _exit(0);
}

static void test_scribbler(void **state)
{
    (void)state;
    const char *n = rname("scribble");
    board = mmap(NULL, sizeof *board, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(board != MAP_FAILED);
    memset(board, 0, sizeof *board);
    int wready, wgo;
    char c;
    /* Paced, so the waiting reader falls asleep between samples. */
    pid_t wpid = writer_child(n, 0, SAMPLES, 100, &wready, &wgo);
    assert_true(wpid > 0);
    assert_int_equal(read(wready, &c, 1), 1); /* the region exists */

    pid_t pids[3];
    int ready, go;
    pids[0] = fork_with_pipes(&ready, &go);
    assert_true(pids[0] >= 0);
    if (pids[0] == 0)
        scribbler(n, ready);
    assert_int_equal(read(ready, &c, 1), 1); /* it scribbles from now on */
    for (int i = 1; i < 3; i++) {
        pids[i] = fork();
        assert_true(pids[i] >= 0);
        if (pids[i] == 0)
            victim(n, i == 1);
    }
    for (int i = 0; i < 3000 && atomic_load(&board->ready) < 2; i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    assert_int_equal(atomic_load(&board->ready), 2);
    assert_int_equal(write(wgo, &c, 1), 1);
    int st[3];
    for (int i = 1; i < 3; i++)
        st[i] = wait_child(pids[i]);
    atomic_store(&board->stop, 1);
    st[0] = wait_child(pids[0]);
    close(ready);
    close(go);
    close(wgo);
    close(wready);
    int wst = wait_child(wpid);
    print_message("scribbler: %llu writable bytes, %llu passes of random "
                  "bytes over them; the readers got all %u samples intact\n",
                  (unsigned long long)atomic_load(&board->bytes),
                  (unsigned long long)atomic_load(&board->rounds), SAMPLES);
    /* It must have had something to write, or the test proves nothing. */
    assert_true(atomic_load(&board->bytes) > 0);
    assert_true(atomic_load(&board->rounds) > 0);
    for (int i = 0; i < 3; i++)
        if (!WIFEXITED(st[i]) || WEXITSTATUS(st[i]) != 0)
            fail_msg("%s child: status 0x%x (message above)",
                     i == 0 ? "scribbler" : "victim", (unsigned)st[i]);
    assert_true(WIFEXITED(wst) && WEXITSTATUS(wst) == 0);
    munmap(board, sizeof *board);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_faults, cleanup),
        cmocka_unit_test_teardown(test_scribbler, cleanup),
    };
    return cmocka_run_group_tests_name("ctl_page", tests, NULL, NULL);
}
