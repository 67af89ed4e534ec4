/* SPDX-License-Identifier: MIT */
/*
 * Half-made, corrupt and foreign objects under a region's name, through the
 * public named-region API (invariant 7, docs/reliability.md):
 *
 *  - a writer that died during creation: an object of size 0 is a name
 *    with no region yet (readers: -EAGAIN, never trusted) which the next
 *    writer formats in place; full size with no magic and no writer lock
 *    is half-made (readers: -EBADMSG), replaced only with RECREATE; while
 *    its creator still holds the lock it is "being created" (-EAGAIN) and
 *    other writers get -EBUSY;
 *  - every invalid header field, each with its exact error, for
 *    shmseq_reader_open, shmseq_info and shmseq_writer_open;
 *  - a symbolic link, a FIFO or a directory in a region's place: refused
 *    (-EINVAL), and the FIFO never blocks the open; a hard link: -EMLINK;
 *  - a 100-byte garbage file: refused by writers (-EBADMSG) unless
 *    RECREATE, which replaces it with the asked mode and reports it;
 *  - a region owned by another user: -EPERM unless the ANY_OWNER flags,
 *    and for a writer also if its mode is wider than asked (ANY_MODE).
 *
 * Names carry the pid; every object is removed by the teardown.
 */
#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shmseq/shmseq.h>

#include "layout.h"
#include "shmseq_test.h"

#define TEST_REGION_PREFIX "h"
#include "shmseq_test_region.h"

/* Create the object by hand, as a creator that died would leave it. */
static int make_object(const char *n, off_t size)
{
    char obj[SHMSEQ_NAME_MAX + 16];
    snprintf(obj, sizeof obj, "/shmseq.%s", n);
    int fd = shm_open(obj, O_CREAT | O_EXCL | O_RDWR, 0600);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, size), 0);
    return fd;
}

/* Take the writer lock as a live creator would (another open file
 * description, so the library's own probes see it held). */
static void lock_as_creator(int fd)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    assert_int_equal(fcntl(fd, F_OFD_SETLK, &fl), 0);
}

static void expect_open_errors(const char *n, int reader, int writer)
{
    shmseq_reader r;
    shmseq_region_info info;
    shmseq_writer w;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    assert_int_equal(shmseq_reader_open(&r, n, 0), reader);
    assert_int_equal(shmseq_info(n, &info), reader);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), writer);
}

/* The next writer claims the half-made object; it then works normally. */
static void expect_repaired(const char *n)
{
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w), 1);
    assert_int_equal(shmseq_writer_next(&w), 0);
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_START_OLDEST), 0);
    double v[2];
    shmseq_test_fill(v, 2, 0);
    assert_int_equal(shmseq_publish(&w, v, shmseq_test_ts(0)), 0);
    shmseq_sample m;
    double out[2];
    assert_int_equal(shmseq_read(&r, &m, out, 2), 0);
    assert_int_equal(m.seq, 0);
    assert_int_equal(shmseq_test_check(out, 2, 0, m.timestamp_ns), 0);
    shmseq_reader_close(&r);
    shmseq_writer_close(&w);
}

/* Not empty and not a region: a writer refuses it (-EBADMSG); with
 * RECREATE it replaces it with a new region and says so. */
static void expect_replaced(const char *n)
{
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBADMSG);
    cfg.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_replaced(&w), -EBADMSG);
    assert_int_equal(shmseq_writer_epoch(&w), 1); /* a new region */
    assert_int_equal(shmseq_writer_next(&w), 0);
    shmseq_writer_close(&w);
}

/* ---- writer died during creation ----------------------------------------- */

static void test_died_before_sizing(void **state)
{
    (void)state;
    const char *n = rname("size0");
    int fd = make_object(n, 0);
    close(fd);
    /* No lock, nothing in it: no region yet. A reader cannot tell a dead
     * creator from one preempted before its lock, and needs not: the next
     * writer formats it in place. */
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EAGAIN);
    expect_repaired(n);
}

static void test_died_before_magic(void **state)
{
    (void)state;
    const char *n = rname("nomagic");
    int fd = make_object(n, (off_t)shmseq_region_size(2, 16));
    /* A header whose magic is still 0 (format stores it last). */
    uint32_t words[4] = {0, SHMSEQ_LAYOUT_VERSION, SHMSEQ__BOM, SHMSEQ_HEADER_SIZE};
    assert_int_equal(pwrite(fd, words, sizeof words, 0), (ssize_t)sizeof words);
    close(fd);
    shmseq_reader r;
    shmseq_region_info info;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EBADMSG);
    assert_int_equal(shmseq_info(n, &info), -EBADMSG);
    /* Not empty: nothing tells it from any other file, so it is only
     * replaced when asked (only an empty object is formatted in place). */
    expect_replaced(n);
}

static void test_being_created(void **state)
{
    (void)state;
    const char *n = rname("creating");
    int fd = make_object(n, 0);
    lock_as_creator(fd);
    /* Its creator is alive: being created; no second writer. */
    shmseq_reader r;
    shmseq_writer w;
    shmseq_config cfg = {.width = 2, .capacity = 16};
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EAGAIN);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBUSY);
    /* Full size, magic not yet stored: still "being created". */
    assert_int_equal(ftruncate(fd, (off_t)shmseq_region_size(2, 16)), 0);
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EAGAIN);
    close(fd); /* the creator dies: lock gone */
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EBADMSG);
    expect_replaced(n);
}

/* ---- every invalid header field ----------------------------------------- */

static void patch(const char *n, size_t offset, uint32_t value)
{
    int fd = open(path_buf, O_RDWR);
    (void)n;
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, &value, sizeof value, (off_t)offset), (ssize_t)sizeof value);
    close(fd);
}

static void test_each_field(void **state)
{
    (void)state;
    const struct {
        const char *what;
        size_t offset;
        uint32_t value;
        int err;
    } cases[] = {
        {"magic garbage", 0, 0x12345678u, -EBADMSG},
        {"magic byte-swapped", 0, 0x534d5351u, -EPROTO},
        {"layout version", 4, SHMSEQ_LAYOUT_VERSION + 1u, -EPROTO},
        {"byte-order mark swapped", 8, 0x04030201u, -EPROTO},
        {"byte-order mark garbage", 8, 0xdeadbeefu, -EPROTO},
        {"header size (ring offset)", 12, SHMSEQ_HEADER_SIZE + 64u, -EBADMSG},
        {"ring offset of layout 2", 12, 192u, -EBADMSG},
        {"reader-control offset", 56, 128u, -EBADMSG},
        {"reader-control offset 0", 56, 0u, -EBADMSG},
        {"slot size", 16, 128u, -EBADMSG},
        {"width 0", 20, 0u, -EBADMSG},
        {"width > max", 20, SHMSEQ_WIDTH_MAX + 1u, -EBADMSG},
        {"width of another slot size", 20, 9u, -EBADMSG},
        {"capacity not a power of 2", 24, 24u, -EBADMSG},
        {"capacity 1", 24, 1u, -EBADMSG},
        {"capacity > max", 24, SHMSEQ_CAPACITY_MAX * 2u, -EBADMSG},
        {"capacity larger than the file", 24, 32u, -EBADMSG},
        {"line size", 28, 128u, -EBADMSG},
        {"region size low word", 32, 64u, -EBADMSG},
        {"region size high word", 36, 1u, -EBADMSG},
    };
    shmseq_config cfg = {.width = 2, .capacity = 16};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *n = rname("field");
        shmseq_writer w;
        assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
        shmseq_writer_close(&w);
        patch(n, cases[i].offset, cases[i].value);
        print_message("field: %-32s -> %s\n", cases[i].what,
                      cases[i].err == -EPROTO ? "-EPROTO" : "-EBADMSG");
        expect_open_errors(n, cases[i].err, cases[i].err);
        /* RECREATE (no writer holds it) replaces it. */
        shmseq_config re = cfg;
        re.flags = SHMSEQ_WRITER_RECREATE;
        assert_int_equal(shmseq_writer_open(&w, n, &re), 0);
        shmseq_writer_close(&w);
        assert_int_equal(shmseq_unlink(n), 0);
    }

    /* The file shorter than the header says. */
    const char *n = rname("short");
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    shmseq_writer_close(&w);
    assert_int_equal(truncate(path_buf, (off_t)shmseq_region_size(2, 16) - 64), 0);
    expect_open_errors(n, -EBADMSG, -EBADMSG);
    /* A file larger than any region: refused before mapping. */
    assert_int_equal(truncate(path_buf, (off_t)1 << 40), 0);
    expect_open_errors(n, -EBADMSG, -EBADMSG);
}

/* ---- not a regular shm object -------------------------------------------- */

static void test_not_regular(void **state)
{
    (void)state;
    const char *n = rname("symlink");
    assert_int_equal(symlink("/etc/passwd", path_buf), 0);
    expect_open_errors(n, -EINVAL, -EINVAL);
    assert_int_equal(unlink(path_buf), 0);

    n = rname("fifo");
    assert_int_equal(mkfifo(path_buf, 0444), 0); /* open read-only would block */
    expect_open_errors(n, -EINVAL, -EINVAL);
    assert_int_equal(shmseq_unlink(n), -EINVAL);
    assert_int_equal(unlink(path_buf), 0);

    n = rname("dir");
    assert_int_equal(mkdir(path_buf, 0700), 0);
    expect_open_errors(n, -EINVAL, -EINVAL);
    assert_int_equal(rmdir(path_buf), 0);

    /* A hard link planted under a region's name (here to a valid region
     * under another name): refused, -EMLINK, by every open. */
    char orig[SHMSEQ_NAME_MAX + 1], target[sizeof path_buf];
    snprintf(orig, sizeof orig, "h-%ld-orig", (long)getpid());
    snprintf(target, sizeof target, "/dev/shm/shmseq.%s", orig);
    (void)unlink(target);
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, orig, &cfg), 0);
    shmseq_writer_close(&w);
    n = rname("linked");
    assert_int_equal(link(target, path_buf), 0);
    expect_open_errors(n, -EMLINK, -EMLINK);
    print_message("hard link: -EMLINK: \"%s\"\n", shmseq_strerror(-EMLINK));
    assert_int_equal(unlink(target), 0);
}

/* A small garbage file (100 random bytes, mode 0644) under a region's name:
 * never formatted in place; RECREATE replaces it and reports it. */
static void test_garbage_file(void **state)
{
    (void)state;
    const char *n = rname("garbage");
    int fd = make_object(n, 0);
    unsigned char junk[100];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (unsigned char)(i * 37u + 11u);
    assert_int_equal(write(fd, junk, sizeof junk), (ssize_t)sizeof junk);
    assert_int_equal(fchmod(fd, 0644), 0);
    close(fd);
    shmseq_config cfg = {.width = 2, .capacity = 16};
    shmseq_writer w;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EBADMSG);
    struct stat st;
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_size, 100); /* untouched */
    cfg.flags = SHMSEQ_WRITER_RECREATE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_replaced(&w), -EBADMSG);
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* the asked mode, not 0644 */
    shmseq_writer_close(&w);
}

/* ---- the asked mode on takeover ------------------------------------------ */

/* A run with 0666 must not leave the region world-writable for the next
 * writer, which asks for 0600 (the default): the owner's takeover sets it. */
static void test_takeover_mode(void **state)
{
    (void)state;
    const char *n = rname("mode");
    shmseq_config cfg = {.width = 2, .capacity = 16, .mode = 0666};
    shmseq_writer w;
    struct stat st;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    shmseq_writer_close(&w);
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666);
    cfg.mode = 0;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(shmseq_writer_epoch(&w), 2); /* taken over */
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    shmseq_writer_close(&w);
    cfg.mode = 0640;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    shmseq_writer_close(&w);
}

/* ---- owned by another user ----------------------------------------------- */

static void test_other_owner(void **state)
{
    (void)state;
    shmseq_config cfg = {.width = 2, .capacity = 16, .mode = 0644};
    shmseq_writer w;
    const char *n = open_test_writer(&w, "owner", &cfg);
    shmseq_writer_close(&w);
    /* Hand it to 'nobody' (tests run as root; elsewhere, skip). */
    if (chown(path_buf, 65534, 65534) != 0) {
        print_message("other owner: cannot chown (not root): skipped\n");
        skip();
    }
    shmseq_reader r;
    assert_int_equal(shmseq_reader_open(&r, n, 0), -EPERM);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EPERM);
    cfg.flags = SHMSEQ_WRITER_RECREATE; /* never removes another's region */
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EPERM);
    /* Allowed explicitly. */
    assert_int_equal(shmseq_reader_open(&r, n, SHMSEQ_READER_ANY_OWNER), 0);
    shmseq_reader_close(&r);
    cfg.flags = SHMSEQ_WRITER_ANY_OWNER;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    shmseq_writer_close(&w);
    /* Wider than asked: we cannot narrow another user's region, so it is
     * refused unless SHMSEQ_WRITER_ANY_MODE; its mode is left alone. */
    assert_int_equal(chmod(path_buf, 0666), 0);
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), -EPERM);
    cfg.flags |= SHMSEQ_WRITER_ANY_MODE;
    assert_int_equal(shmseq_writer_open(&w, n, &cfg), 0);
    shmseq_writer_close(&w);
    struct stat st;
    assert_int_equal(stat(path_buf, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0666);
    shmseq_region_info info;
    assert_int_equal(shmseq_info(n, &info), 0); /* describing is harmless */
    assert_int_equal(shmseq_unlink(n), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_died_before_sizing, cleanup),
        cmocka_unit_test_teardown(test_died_before_magic, cleanup),
        cmocka_unit_test_teardown(test_being_created, cleanup),
        cmocka_unit_test_teardown(test_each_field, cleanup),
        cmocka_unit_test_teardown(test_not_regular, cleanup),
        cmocka_unit_test_teardown(test_garbage_file, cleanup),
        cmocka_unit_test_teardown(test_takeover_mode, cleanup),
        cmocka_unit_test_teardown(test_other_owner, cleanup),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
