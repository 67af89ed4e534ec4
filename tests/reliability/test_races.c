/* SPDX-License-Identifier: MIT */
/*
 * Races at creation, takeover and removal, each window held open
 * deterministically (docs/reliability.md, "What each failure does"): the
 * libc call in the gap is wrapped at link time (-Wl,--wrap, see
 * reliability.cmake) and the wrapper starts the competing process (forked
 * at the start of the test) there and waits for it before the call goes
 * on.
 *
 *  - create_race: between a creator's shm_open(O_CREAT|O_EXCL) and its
 *    lock, a second writer opens the empty object, locks and formats it.
 *    The creator must give up (-EBUSY) without removing the name: the
 *    second writer's region stays reachable, and a third writer is refused.
 *  - recreate_race: a RECREATE writer is about to remove a region of
 *    another geometry; a second writer tries to take that region over in
 *    the gap. It must be refused (the remover holds the lock), so there are
 *    never two live writers.
 *  - remove_race: the same around a non-forced shmseq_remove().
 *  - orphan_open, orphan_lock: a second writer opened the old region's
 *    name before the RECREATE writer removed it (and, for orphan_lock,
 *    checked the object too), and locks it only after that writer let it
 *    go: it must notice the name now names another object and not write
 *    into the removed one (-EBUSY: the new region is held).
 *  - fallocate_eintr: posix_fallocate interrupted (EINTR) once: creation
 *    retries and succeeds, the name stays.
 *  - empty_no_nap: a reader meeting an empty object with no writer (its
 *    creator between making the name and locking it, for as long as it
 *    is preempted, or dead) gets -EAGAIN at once, without a nap a signal
 *    could cut short or a guess of how long creation takes; once a
 *    writer formats the object in place the reader attaches.
 *  - mmap_errno: a failing mmap is reported with its own errno.
 *  - info_truncated: shmseq_info() on a region its owner truncates after
 *    each system call shmseq_info makes (to 0, into the header, into the
 *    slots): the caller never dies of SIGBUS (it reads with pread, never a
 *    mapping).
 *  - list_hostile: shmseq_list() and shmseq_info() over a directory holding
 *    every kind of hostile file under a region's name prefix.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "shmseq_test.h"

#define TEST_REGION_PREFIX "races"
#include "shmseq_test_region.h"

/* ---- the wrapped calls --------------------------------------------------- */

/* The library is built with _FILE_OFFSET_BITS=64 and _TIME_BITS=64, so its
 * calls reach glibc under these names; on 32-bit ABIs fstat and nanosleep
 * are the time64 entry points (reliability.cmake wraps the same list). */
#if UINTPTR_MAX > 0xffffffffu
#define SYM_FSTAT fstat64
#define SYM_NANOSLEEP nanosleep
#else
#define SYM_FSTAT __fstat64_time64
#define SYM_NANOSLEEP __nanosleep64
#endif
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define WRAP(f) CAT(__wrap_, f)
#define REAL(f) CAT(__real_, f)

int __real_shm_open(const char *name, int oflag, mode_t mode);
int __wrap_shm_open(const char *name, int oflag, mode_t mode);
int __real_shm_unlink(const char *name);
int __wrap_shm_unlink(const char *name);
int __real_posix_fallocate64(int fd, off_t off, off_t len);
int __wrap_posix_fallocate64(int fd, off_t off, off_t len);
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off);
ssize_t __real_pread64(int fd, void *buf, size_t len, off_t off);
ssize_t __wrap_pread64(int fd, void *buf, size_t len, off_t off);
int __real_close(int fd);
int __wrap_close(int fd);
int REAL(SYM_FSTAT)(int fd, struct stat *st);
int WRAP(SYM_FSTAT)(int fd, struct stat *st);
int REAL(SYM_NANOSLEEP)(const struct timespec *req, struct timespec *rem);
int WRAP(SYM_NANOSLEEP)(const struct timespec *req, struct timespec *rem);

/* What the wrappers do; each mode acts once, in the process that set it. */
enum mode {
    M_OFF,
    M_CREATE_GAP,   /* shm_open(O_CREAT) done: run the hook */
    M_UNLINK_GAP,   /* before shm_unlink: run the hook */
    M_OPEN_PAUSE,   /* child: after its first shm_open, report and wait */
    M_STAT_PAUSE,   /* child: after its first fstat, report and wait */
    M_FALLOCATE,    /* posix_fallocate: EINTR once */
    M_NAP,          /* nanosleep: EINTR once */
    M_MMAP,         /* mmap: ENODEV once */
    M_STEPS,        /* count calls; truncate after step trunc_at */
};
static enum mode mode;
static void (*hook)(void);
static unsigned calls;      /* wrapped calls seen in the current mode */
static int pause_ready = -1, pause_go = -1;

/* M_STEPS: the owner's descriptor, the step after which it truncates, and
 * to what size. */
static int owner_fd = -1;
static unsigned steps, trunc_at;
static off_t trunc_to;

static void step(void)
{
    if (mode != M_STEPS)
        return;
    if (++steps == trunc_at)
        (void)ftruncate(owner_fd, trunc_to);
}

/* A forked rival stops here until the parent lets it go on. */
static void pause_here(void)
{
    char c = 'o';
    mode = M_OFF;
    (void)!write(pause_ready, &c, 1);
    (void)!read(pause_go, &c, 1);
}

int __wrap_shm_open(const char *name, int oflag, mode_t m)
{
    int fd = __real_shm_open(name, oflag, m);
    if (fd >= 0 && mode == M_CREATE_GAP && (oflag & O_CREAT)) {
        mode = M_OFF;
        hook();
    } else if (fd >= 0 && mode == M_OPEN_PAUSE) {
        pause_here();
    }
    step();
    return fd;
}

int __wrap_shm_unlink(const char *name)
{
    if (mode == M_UNLINK_GAP) {
        mode = M_OFF;
        hook();
    }
    return __real_shm_unlink(name);
}

int __wrap_posix_fallocate64(int fd, off_t off, off_t len)
{
    if (mode == M_FALLOCATE) {
        calls++;
        if (calls == 1)
            return EINTR;
    }
    return __real_posix_fallocate64(fd, off, len);
}

int WRAP(SYM_NANOSLEEP)(const struct timespec *req, struct timespec *rem)
{
    if (mode == M_NAP) {
        calls++;
        if (calls == 1) {
            errno = EINTR;
            return -1;
        }
    }
    return REAL(SYM_NANOSLEEP)(req, rem);
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd,
                    off_t off)
{
    if (mode == M_MMAP) {
        mode = M_OFF;
        errno = ENODEV;
        return MAP_FAILED;
    }
    void *p = __real_mmap64(addr, len, prot, flags, fd, off);
    step();
    return p;
}

ssize_t __wrap_pread64(int fd, void *buf, size_t len, off_t off)
{
    ssize_t n = __real_pread64(fd, buf, len, off);
    step();
    return n;
}

int __wrap_close(int fd)
{
    int rc = __real_close(fd);
    step();
    return rc;
}

int WRAP(SYM_FSTAT)(int fd, struct stat *st)
{
    int rc = REAL(SYM_FSTAT)(fd, st);
    if (mode == M_STAT_PAUSE)
        pause_here();
    step();
    return rc;
}

/* ---- helpers ------------------------------------------------------------- */

#define WIDTH 2u
#define CAPACITY 16u

static pid_t child_pid = -1;
static int child_ready = -1, child_go = -1;

static int teardown(void **state)
{
    mode = M_OFF;
    if (child_pid > 0) {
        (void)kill(child_pid, SIGKILL);
        (void)wait_child(child_pid);
    }
    child_pid = -1;
    if (child_ready >= 0)
        __real_close(child_ready);
    if (child_go >= 0)
        __real_close(child_go);
    child_ready = child_go = -1;
    if (owner_fd >= 0)
        __real_close(owner_fd);
    owner_fd = -1;
    return cleanup(state);
}

static void publish_one(shmseq_writer *w, uint64_t n)
{
    double v[WIDTH];
    shmseq_test_fill(v, WIDTH, n);
    (void)shmseq_publish(w, v, shmseq_test_ts(n));
}

/*
 * The competing writer. It is forked before the test's own writer opens
 * anything: a process forked later would inherit that writer's descriptors
 * and mappings, which share its open file description and so keep its
 * writer lock alive in the child after the writer let it go. It waits for
 * 's' (sent from inside a wrapper, in the gap), opens the region with
 * rival_cfg (pausing where rival_pause_at says, after reporting 'o'),
 * publishes one sample if it got the region, reports its return code and
 * holds the region until told to go.
 */
static shmseq_config rival_cfg;
static enum mode rival_pause_at = M_OFF;

static void rival_start(void)
{
    child_pid = fork_with_pipes(&child_ready, &child_go);
    assert_true(child_pid >= 0);
    if (child_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        char c;
        if (read(child_go, &c, 1) != 1)
            _exit(1);
        pause_ready = child_ready;
        pause_go = child_go;
        mode = rival_pause_at;
        shmseq_writer w;
        int32_t rc = shmseq_writer_open(&w, name_buf, &rival_cfg);
        mode = M_OFF;
        if (rc == 0)
            publish_one(&w, 0);
        (void)!write(child_ready, &rc, sizeof rc);
        (void)!read(child_go, &c, 1);
        if (rc == 0)
            shmseq_writer_close(&w);
        _exit(0);
    }
}

static void rival_send(char c)
{
    assert_int_equal(write(child_go, &c, 1), 1);
}

/* The rival's return code, once it has reported. */
static int32_t rival_rc(void)
{
    int32_t rc = 1;
    assert_int_equal(read(child_ready, &rc, sizeof rc), (ssize_t)sizeof rc);
    return rc;
}

static void rival_done(void)
{
    rival_send('g');
    int status = wait_child(child_pid);
    child_pid = -1;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* In the gap: let the rival open the region and wait for its report. */
static int32_t rival_result;
static void rival_in_gap(void)
{
    rival_send('s');
    rival_result = rival_rc();
}

/* In the gap: let the rival open the region up to its pause. */
static void rival_to_pause(void)
{
    rival_send('s');
    char c;
    assert_int_equal(read(child_ready, &c, 1), 1);
    assert_int_equal(c, 'o');
}

/* A region of (WIDTH, CAPACITY) with one sample and no writer. */
static void plant_region(const char *n)
{
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    publish_one(&w, 0);
    shmseq_writer_close(&w);
}

/* ---- item: creation race ------------------------------------------------- */

static void test_create_race(void **state)
{
    (void)state;
    const char *n = rname("create");
    rival_cfg = (shmseq_config){.width = WIDTH, .capacity = CAPACITY};
    rival_pause_at = M_OFF;
    rival_start();
    hook = rival_in_gap;
    mode = M_CREATE_GAP;
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, n, &cfg);
    mode = M_OFF;
    print_message("create_race: rival in the gap -> %d, creator -> %d (%s)\n",
                  rival_result, rc, shmseq_strerror(rc));
    /* The rival opened the empty object and locked it first: it owns it. */
    assert_int_equal(rival_result, 0);
    assert_int_equal(rc, -EBUSY);
    /* Its name is still there, it is the rival's region, and held. */
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.writer_alive, 1);
    assert_int_equal(info.head, 1);
    assert_int_equal(info.writer_pid, (uint32_t)child_pid);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    shmseq_reader_close(&r);
    /* Never two live writers. */
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBUSY);
    rival_done();
}

/* ---- item: check-then-unlink --------------------------------------------- */

static void test_recreate_race(void **state)
{
    (void)state;
    const char *n = rname("recreate");
    plant_region(n);
    /* The rival wants the old geometry back: it would take the old region
     * over if nobody held it while it is being removed. */
    rival_cfg = (shmseq_config){.width = WIDTH, .capacity = CAPACITY};
    rival_pause_at = M_OFF;
    rival_start();
    hook = rival_in_gap;
    mode = M_UNLINK_GAP;
    shmseq_config cfg = {.width = WIDTH + 1u, .capacity = CAPACITY,
                         .flags = SHMSEQ_WRITER_RECREATE};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, n, &cfg);
    mode = M_OFF;
    print_message("recreate_race: rival in the gap -> %d, recreator -> %d\n",
                  rival_result, rc);
    assert_int_equal(rival_result, -EBUSY);
    assert_int_equal(rc, 0);
    assert_int_equal(shmseq_writer_replaced(&w), -EEXIST);
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0);
    assert_int_equal(info.width, WIDTH + 1u);
    assert_int_equal(info.writer_pid, (uint32_t)getpid());
    shmseq_writer_close(&w);
    rival_done();
}

static void test_remove_race(void **state)
{
    (void)state;
    const char *n = rname("remove");
    plant_region(n);
    rival_cfg = (shmseq_config){.width = WIDTH, .capacity = CAPACITY};
    rival_pause_at = M_OFF;
    rival_start();
    hook = rival_in_gap;
    mode = M_UNLINK_GAP;
    int rc = shmseq_remove(n, 0);
    mode = M_OFF;
    print_message("remove_race: rival in the gap -> %d, remove -> %d\n",
                  rival_result, rc);
    /* The remover held the lock: the rival could not take it over, so the
     * removed name was nobody's live region. */
    assert_int_equal(rival_result, -EBUSY);
    assert_int_equal(rc, 0);
    assert_int_equal(access(path_buf, F_OK), -1);
    rival_done();
}

static void orphan_case(const char *tag, enum mode pause_at)
{
    const char *n = rname(tag);
    plant_region(n);
    /* The rival opens the old name, then waits (right after its open, or
     * after its fstat of the object; in both cases before its lock) until
     * the recreating writer is done. */
    rival_pause_at = pause_at;
    rival_cfg = (shmseq_config){.width = WIDTH, .capacity = CAPACITY};
    rival_start();
    hook = rival_to_pause;
    mode = M_UNLINK_GAP;
    shmseq_config cfg = {.width = WIDTH + 1u, .capacity = CAPACITY,
                         .flags = SHMSEQ_WRITER_RECREATE};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    mode = M_OFF;
    /* Now the rival locks the old object (nobody holds it any more). */
    rival_send('g');
    int32_t rc = rival_rc();
    print_message("%s: rival locking the removed region -> %d\n", tag, rc);
    assert_int_equal(rc, -EBUSY);
    shmseq_writer_close(&w);
    rival_done();
}

/* Paused after its open: the object it holds has no name any more when it
 * goes on (refused at its fstat, st_nlink 0). */
static void test_orphan_open(void **state)
{
    (void)state;
    orphan_case("orphan_open", M_OPEN_PAUSE);
}

/* Paused after its fstat (the object still had its name then): only the
 * check after taking the lock can tell. */
static void test_orphan_lock(void **state)
{
    (void)state;
    orphan_case("orphan_lock", M_STAT_PAUSE);
}

/* ---- item: EINTR --------------------------------------------------------- */

static void test_fallocate_eintr(void **state)
{
    (void)state;
    const char *n = rname("falloc");
    calls = 0;
    mode = M_FALLOCATE;
    shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
    shmseq_writer w;
    int rc = shmseq_writer_open(&w, n, &cfg);
    mode = M_OFF;
    assert_int_equal(rc, 0);
    assert_int_equal(calls, 2); /* interrupted once, then done */
    assert_int_equal(access(path_buf, F_OK), 0);
    shmseq_writer_close(&w);
}

static void test_empty_no_nap(void **state)
{
    (void)state;
    const char *n = rname("empty");
    char obj[SHMSEQ_NAME_MAX + 16];
    snprintf(obj, sizeof obj, "/shmseq.%s", n);
    int fd = shm_open(obj, O_CREAT | O_EXCL | O_RDWR, 0600);
    assert_true(fd >= 0);
    __real_close(fd);
    /* Empty, no writer: "not there yet", at once and every time. */
    calls = 0;
    mode = M_NAP;
    shmseq_reader r;
    for (int i = 0; i < 3; i++)
        assert_int_equal(shmseq_reader_open(&r, n, 0), -EAGAIN);
    mode = M_OFF;
    assert_int_equal(calls, 0); /* no nap: nothing for a signal to cut */
    /* The next writer formats the empty object in place; readers attach. */
    shmseq_writer w;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_reader_open(&r, n, 0), 0);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
}

/* ---- item: error codes --------------------------------------------------- */

static void test_mmap_errno(void **state)
{
    (void)state;
    const char *n = rname("mmap");
    plant_region(n);
    mode = M_MMAP;
    shmseq_reader r;
    int rc = shmseq_reader_open(&r, n, 0);
    mode = M_OFF;
    assert_int_equal(rc, -ENODEV);
}

/* ---- item: shmseq_info on a region truncated under it -------------------- */

/* Run shmseq_info on @n in a child, truncating after step @k; the child's
 * status (a signal means the caller would have died). */
static int info_truncated_at(const char *n, unsigned k, off_t to,
                             unsigned *nsteps)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* CMocka catches SIGBUS and SIGSEGV; here they must kill, so the
         * parent sees them. */
        signal(SIGBUS, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        __real_close(pfd[0]);
        owner_fd = open(path_buf, O_RDWR);
        CHILD_CHECK(owner_fd >= 0, "open %s", path_buf);
        steps = 0;
        trunc_at = k;
        trunc_to = to;
        mode = M_STEPS;
        shmseq_region_info info;
        int32_t rc = shmseq_info(n, &info);
        mode = M_OFF;
        uint32_t s[2] = {(uint32_t)rc, steps};
        (void)!write(pfd[1], s, sizeof s);
        _exit(0);
    }
    __real_close(pfd[1]);
    uint32_t s[2] = {0, 0};
    ssize_t got = read(pfd[0], s, sizeof s);
    __real_close(pfd[0]);
    int status = wait_child(pid);
    if (got == (ssize_t)sizeof s && nsteps != NULL)
        *nsteps = s[1];
    return status;
}

static void test_info_truncated(void **state)
{
    (void)state;
    const char *n = rname("info");
    const off_t full = (off_t)shmseq_region_size(WIDTH, CAPACITY);
    /* 0; inside the header; the header but no slot; all but the last
     * slot (the one before head lives there once the ring wrapped). */
    const off_t sizes[] = {0, 100, (off_t)SHMSEQ_HEADER_SIZE,
                           full - (off_t)shmseq_slot_size(WIDTH)};
    unsigned nsteps = 0;
    plant_region(n);
    /* Step 0: nothing truncated; count the steps of one call. */
    int status = info_truncated_at(n, 0, 0, &nsteps);
    assert_true(WIFEXITED(status));
    assert_true(nsteps > 0);
    unsigned cases = 0;
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        for (unsigned k = 1; k <= nsteps; k++) {
            /* A full region whose slot before head is the last one. */
            shmseq_config cfg = {.width = WIDTH, .capacity = CAPACITY};
            shmseq_writer w;
            (void)shmseq_remove(n, SHMSEQ_REMOVE_FORCE);
            assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
            for (uint64_t i = 0; i < CAPACITY; i++)
                publish_one(&w, i);
            shmseq_writer_close(&w);
            status = info_truncated_at(n, k, sizes[si], NULL);
            if (!WIFEXITED(status))
                fail_msg("shmseq_info killed by signal %d (truncated to "
                         "%ld after step %u of %u)", WTERMSIG(status),
                         (long)sizes[si], k, nsteps);
            cases++;
        }
    }
    print_message("info_truncated: %u truncations over %u steps, no signal\n",
                  cases, nsteps);
}

/* ---- `shmseq ls` over a hostile directory -------------------------------- */

struct walk {
    unsigned seen, described;
};

static int visit(void *ctx, const char *name)
{
    struct walk *wk = ctx;
    shmseq_region_info info;
    wk->seen++;
    if (shmseq_info(name, &info) == 0)
        wk->described++;
    return 0;
}

static void test_list_hostile(void **state)
{
    (void)state;
    char paths[8][SHMSEQ_NAME_MAX + 32];
    const char *tags[8] = {"garbage", "empty", "fifo", "dir", "link",
                           "huge", "short", "valid"};
    for (int i = 0; i < 8; i++) {
        snprintf(paths[i], sizeof paths[i], "/dev/shm/shmseq.%s-%ld-%s",
                 TEST_REGION_PREFIX, (long)getpid(), tags[i]);
        (void)unlink(paths[i]);
        (void)rmdir(paths[i]);
    }
    int fd = open(paths[0], O_CREAT | O_EXCL | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "garbage garbage garbage", 23), 23);
    __real_close(fd);
    fd = open(paths[1], O_CREAT | O_EXCL | O_WRONLY, 0644);
    assert_true(fd >= 0);
    __real_close(fd);
    assert_int_equal(mkfifo(paths[2], 0644), 0);
    assert_int_equal(mkdir(paths[3], 0700), 0);
    assert_int_equal(symlink("/dev/zero", paths[4]), 0);
    fd = open(paths[5], O_CREAT | O_EXCL | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)1 << 40), 0);
    __real_close(fd);
    rname("valid");
    plant_region(name_buf);
    fd = open(paths[6], O_CREAT | O_EXCL | O_WRONLY, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SHMSEQ_HEADER_SIZE), 0);
    __real_close(fd);
    /* A copy of a valid header over a file too short for its slots. */
    int src = open(path_buf, O_RDONLY);
    assert_true(src >= 0);
    unsigned char hdr[SHMSEQ_HEADER_SIZE];
    assert_int_equal(read(src, hdr, sizeof hdr), (ssize_t)sizeof hdr);
    __real_close(src);
    fd = open(paths[6], O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, hdr, sizeof hdr), (ssize_t)sizeof hdr);
    __real_close(fd);

    struct walk wk = {0, 0};
    assert_int_equal(shmseq_list(visit, &wk), 0);
    print_message("list_hostile: %u names listed, %u described\n", wk.seen,
                  wk.described);
    assert_true(wk.seen >= 8); /* ours, at least (other tests' too) */
    assert_true(wk.described >= 1);
    for (int i = 0; i < 7; i++) {
        (void)unlink(paths[i]);
        (void)rmdir(paths[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_create_race, teardown),
        cmocka_unit_test_teardown(test_recreate_race, teardown),
        cmocka_unit_test_teardown(test_remove_race, teardown),
        cmocka_unit_test_teardown(test_orphan_open, teardown),
        cmocka_unit_test_teardown(test_orphan_lock, teardown),
        cmocka_unit_test_teardown(test_fallocate_eintr, teardown),
        cmocka_unit_test_teardown(test_empty_no_nap, teardown),
        cmocka_unit_test_teardown(test_mmap_errno, teardown),
        cmocka_unit_test_teardown(test_info_truncated, teardown),
        cmocka_unit_test_teardown(test_list_hostile, teardown),
    };
    return cmocka_run_group_tests_name("races", tests, NULL, NULL);
}
