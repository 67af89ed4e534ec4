/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
/*
 * Unit tests of the POSIX port's named regions (port/posix/shm.c): create
 * is exclusive and applies the configured mode despite the umask, the space
 * is reserved, one writer at a time (and the kernel frees the lock when the
 * writer is killed), readers map read-only and fall back to a read-only
 * open, unlink respects a live writer and removes a name only while it
 * names the locked object, list and writer_alive see regions.
 *
 * Names carry the pid so parallel runs do not collide; every test removes
 * what it made.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "shmseq/port.h"

#define SIZE (4u * 65536u)
/* The writable part a reader asks for: whole pages on any page size up to
 * 64 KiB, with read-only pages on both sides. */
#define CTL_OFF 65536u
#define CTL_LEN 65536u

static void make_name(char *buf, size_t len, const char *tag)
{
    (void)snprintf(buf, len, "test_port_%ld_%s", (long)getpid(), tag);
    (void)shmseq_port_region_unlink(buf, 1);   /* leftovers of a crash */
}

static int wait_child(pid_t pid)
{
    int st = 0;

    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

static void test_create_exclusive(void **state)
{
    char name[96];
    shmseq_port_region a, b;

    (void)state;
    make_name(name, sizeof name, "excl");
    assert_int_equal(shmseq_port_region_create(&a, name, SIZE, 0600), 0);
    assert_true(a.handle >= 0);
    assert_int_equal(a.flags, SHMSEQ_PORT_WRITABLE | SHMSEQ_PORT_LOCKED |
                                  SHMSEQ_PORT_CREATED);
    assert_int_equal(shmseq_port_region_create(&b, name, SIZE, 0600), -EEXIST);
    assert_int_equal(b.handle, -1);
    shmseq_port_region_close(&a);
    assert_int_equal(a.handle, -1);
    shmseq_port_region_close(&a);   /* idempotent */
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

static void test_mode_despite_umask(void **state)
{
    static const uint32_t modes[] = { 0600, 0640, 0644 };
    char name[96];
    shmseq_port_region r;
    shmseq_port_stat st;
    mode_t old = umask(077);
    size_t i;

    (void)state;
    make_name(name, sizeof name, "mode");
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        assert_int_equal(
            shmseq_port_region_create(&r, name, SIZE, modes[i]), 0);
        assert_int_equal(shmseq_port_region_stat(&r, &st), 0);
        assert_int_equal(st.mode, modes[i]);
        assert_int_equal(st.uid, (uint32_t)geteuid());
        shmseq_port_region_close(&r);
        assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
    }
    umask(old);
}

static void test_size_reserved(void **state)
{
    char name[96];
    shmseq_port_region r;
    shmseq_port_stat st;
    struct stat fs;

    (void)state;
    make_name(name, sizeof name, "size");
    assert_int_equal(shmseq_port_region_create(&r, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_stat(&r, &st), 0);
    assert_int_equal(st.size, SIZE);
    /* Reserved, not sparse: the blocks are allocated already. */
    assert_int_equal(fstat((int)r.handle, &fs), 0);
    assert_true((uint64_t)fs.st_blocks * 512u >= SIZE);

    assert_int_equal(shmseq_port_region_resize(&r, 2 * SIZE), 0);
    assert_int_equal(shmseq_port_region_stat(&r, &st), 0);
    assert_int_equal(st.size, 2 * SIZE);
    assert_int_equal(fstat((int)r.handle, &fs), 0);
    assert_true((uint64_t)fs.st_blocks * 512u >= 2 * SIZE);
    shmseq_port_region_close(&r);
    assert_int_equal(shmseq_port_region_unlink(name, 1), 0);
}

static void test_no_space(void **state)
{
    char name[96];
    shmseq_port_region r;
    struct statvfs vfs;
    uint64_t want;

    (void)state;
    /* Ask for twice the size of the shm file system: tmpfs refuses that at
     * once. Skip where it is unlimited or size_t cannot say it. */
    if (statvfs("/dev/shm", &vfs) != 0 || vfs.f_blocks == 0)
        skip();
    want = 2u * (uint64_t)vfs.f_blocks * (uint64_t)vfs.f_frsize;
    if (want > (uint64_t)(SIZE_MAX / 2))
        skip();
    make_name(name, sizeof name, "nospc");
    assert_int_equal(shmseq_port_region_create(&r, name, (size_t)want, 0600),
                     -ENOSPC);
    assert_int_equal(r.handle, -1);
    /* A failed create leaves no name behind. */
    assert_int_equal(shmseq_port_region_open(&r, name, 0), -ENOENT);
}

static void test_one_writer(void **state)
{
    char name[96];
    shmseq_port_region w, w2, rd;

    (void)state;
    make_name(name, sizeof name, "busy");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_open(&w2, name, 1), -EBUSY);
    assert_int_equal(w2.handle, -1);
    assert_int_equal(shmseq_port_region_writer_alive(name), 1);
    /* Readers do not lock, and do not disturb the writer. */
    assert_int_equal(shmseq_port_region_open(&rd, name, 0), 0);
    assert_int_equal(rd.flags & SHMSEQ_PORT_LOCKED, 0);
    assert_int_equal(shmseq_port_region_writer_alive(name), 1);
    assert_int_equal(shmseq_port_region_unlink(name, 0), -EBUSY);

    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_writer_alive(name), 0);
    assert_int_equal(shmseq_port_region_open(&w2, name, 1), 0);
    assert_int_equal(w2.flags, SHMSEQ_PORT_WRITABLE | SHMSEQ_PORT_LOCKED);
    shmseq_port_region_close(&w2);
    shmseq_port_region_close(&rd);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

static void test_unmap_keeps_lock(void **state)
{
    char name[96];
    shmseq_port_region w, w2;

    (void)state;
    make_name(name, sizeof name, "unmap");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_map(&w, SIZE, 0, 0), 0);
    ((unsigned char *)w.base)[3] = 9;
    shmseq_port_region_unmap(&w);
    assert_null(w.base);
    assert_int_equal(w.size, 0);
    shmseq_port_region_unmap(&w);   /* safe with nothing mapped */
    /* Still open and locked: resize and map again, data kept. */
    assert_true(w.handle >= 0);
    assert_int_equal(shmseq_port_region_open(&w2, name, 1), -EBUSY);
    assert_int_equal(shmseq_port_region_resize(&w, 2 * SIZE), 0);
    assert_int_equal(shmseq_port_region_map(&w, 2 * SIZE, 0, 0), 0);
    assert_int_equal(((unsigned char *)w.base)[3], 9);
    assert_int_equal(((unsigned char *)w.base)[2 * SIZE - 1], 0);
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

static void test_lock_released_on_kill(void **state)
{
    char name[96];
    shmseq_port_region w;
    int pfd[2];
    char c = 0;
    pid_t pid;
    int st;

    (void)state;
    make_name(name, sizeof name, "kill");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    /* Closed before fork: a forked copy of a locked fd would share the lock
     * (it belongs to the open file description). */
    shmseq_port_region_close(&w);
    assert_int_equal(pipe(pfd), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        shmseq_port_region cw;
        char ok = shmseq_port_region_open(&cw, name, 1) == 0 ? 'y' : 'n';

        (void)!write(pfd[1], &ok, 1);
        alarm(30);                   /* never outlive a failed parent */
        for (;;)
            pause();
    }
    assert_int_equal(read(pfd[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    assert_int_equal(shmseq_port_region_open(&w, name, 1), -EBUSY);
    assert_int_equal(shmseq_port_region_writer_alive(name), 1);

    assert_int_equal(kill(pid, SIGKILL), 0);
    st = wait_child(pid);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    assert_int_equal(shmseq_port_region_writer_alive(name), 0);
    assert_int_equal(shmseq_port_region_open(&w, name, 1), 0);
    shmseq_port_region_close(&w);
    (void)close(pfd[0]);
    (void)close(pfd[1]);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

static void on_fault(int sig)
{
    (void)sig;
    _exit(42);
}

/* In a child: write one byte at @p; 0 if it faulted, as it must. */
static int write_faults(volatile unsigned char *p)
{
    pid_t pid = fork();

    assert_true(pid >= 0);
    if (pid == 0) {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_fault;
        (void)sigaction(SIGSEGV, &sa, NULL);
        (void)sigaction(SIGBUS, &sa, NULL);
        *p = 1;                      /* must fault */
        _exit(0);
    }
    int st = wait_child(pid);
    return WIFEXITED(st) && WEXITSTATUS(st) == 42 ? 0 : -1;
}

static void test_reader_mapping_read_only(void **state)
{
    char name[96];
    shmseq_port_region w, r;
    volatile unsigned char *wb, *rb, *rc;

    (void)state;
    make_name(name, sizeof name, "rdonly");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_map(&w, SIZE, 0, 0), 0);
    assert_non_null(w.base);
    assert_null(w.ctl);
    assert_int_equal(shmseq_port_region_open(&r, name, 0), 0);
    /* Never map past the end of the object. */
    assert_int_equal(shmseq_port_region_map(&r, 2 * SIZE, CTL_OFF, CTL_LEN), -EBADMSG);
    /* Nor a writable part outside the mapping. */
    assert_int_equal(shmseq_port_region_map(&r, SIZE, SIZE, CTL_LEN), -EINVAL);
    /* Not whole pages: no writable part at all (the reader polls). */
    assert_int_equal(shmseq_port_region_map(&r, SIZE, 192, 64), 0);
    assert_null(r.ctl);
    assert_int_equal(shmseq_port_region_map(&r, SIZE, CTL_OFF, CTL_LEN), 0);
    assert_non_null(r.base);
    assert_int_equal(r.size, SIZE);
    /* We own the object, so the reader could open it read-write and gets
     * exactly the writable part it asked for, in the same mapping. */
    assert_ptr_equal(r.ctl, (unsigned char *)r.base + CTL_OFF);
    assert_int_equal(r.ctl_size, CTL_LEN);

    wb = w.base;
    rb = r.base;
    rc = r.ctl;
    wb[100] = 0x5a;
    assert_int_equal(rb[100], 0x5a);
    rc[8] = 0xa5;                    /* the ctl part is the same memory */
    assert_int_equal(rb[CTL_OFF + 8], 0xa5);
    assert_int_equal(wb[CTL_OFF + 8], 0xa5);
    rc[CTL_LEN - 1] = 0xa6;

    /* Every byte outside the writable part faults: before it, right after
     * it, and at the end of the mapping. */
    assert_int_equal(write_faults(rb + 200), 0);
    assert_int_equal(write_faults(rc - 1), 0);
    assert_int_equal(write_faults(rc + CTL_LEN), 0);
    assert_int_equal(write_faults(rb + SIZE - 1), 0);
    assert_int_equal(wb[200], 0);
    assert_int_equal(wb[CTL_OFF - 1], 0);
    assert_int_equal(wb[CTL_OFF + CTL_LEN], 0);

    shmseq_port_region_close(&r);
    assert_null(r.base);
    assert_null(r.ctl);
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

/* Open as a reader that may only read: returns 0 if it got a read-only,
 * ctl-less mapping that shows the writer's byte. */
static int open_as_read_only_reader(const char *name, unsigned char expect)
{
    shmseq_port_region r;
    int rc = shmseq_port_region_open(&r, name, 0);

    if (rc != 0)
        return 1;
    if (r.flags != 0 || shmseq_port_region_map(&r, SIZE, CTL_OFF, CTL_LEN) != 0)
        rc = 2;
    else if (r.ctl != NULL)
        rc = 3;
    else if (((volatile unsigned char *)r.base)[7] != expect)
        rc = 4;
    shmseq_port_region_close(&r);
    /* And it cannot become the writer. */
    if (rc == 0 && shmseq_port_region_open(&r, name, 1) != -EACCES)
        rc = 5;
    return rc;
}

static void test_reader_falls_back_to_read_only(void **state)
{
    char name[96];
    shmseq_port_region w;
    int st;

    (void)state;
    make_name(name, sizeof name, "ro");
    if (geteuid() != 0) {
        /* The owner without write permission. */
        assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0400), 0);
        assert_int_equal(shmseq_port_region_map(&w, SIZE, 0, 0), 0);
        ((unsigned char *)w.base)[7] = 0x77;
        assert_int_equal(open_as_read_only_reader(name, 0x77), 0);
    } else {
        /* Root bypasses permission checks: read as "nobody" in a child. */
        pid_t pid;

        assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0644), 0);
        assert_int_equal(shmseq_port_region_map(&w, SIZE, 0, 0), 0);
        ((unsigned char *)w.base)[7] = 0x77;
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            if (setgid(65534) != 0 || setuid(65534) != 0)
                _exit(77);
            _exit(open_as_read_only_reader(name, 0x77));
        }
        st = wait_child(pid);
        assert_true(WIFEXITED(st));
        if (WEXITSTATUS(st) == 77) {
            shmseq_port_region_close(&w);
            (void)shmseq_port_region_unlink(name, 1);
            skip();
        }
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 1), 0);
}

static void test_unlink_force(void **state)
{
    char name[96];
    shmseq_port_region w, w2;

    (void)state;
    make_name(name, sizeof name, "force");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_map(&w, SIZE, 0, 0), 0);
    assert_int_equal(shmseq_port_region_unlink(name, 0), -EBUSY);
    assert_int_equal(shmseq_port_region_unlink(name, 1), 0);
    assert_int_equal(shmseq_port_region_unlink(name, 1), -ENOENT);
    /* The unlinked object stays usable by whoever has it mapped, and the
     * name is free for a new region. */
    ((unsigned char *)w.base)[0] = 1;
    assert_int_equal(shmseq_port_region_create(&w2, name, SIZE, 0600), 0);
    shmseq_port_region_close(&w2);
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

struct list_ctx {
    const char *want;
    int found;
    int calls;
};

static int list_cb(void *ctx, const char *name)
{
    struct list_ctx *c = ctx;

    c->calls++;
    if (strcmp(name, c->want) == 0)
        c->found++;
    return 0;
}

static int list_stop(void *ctx, const char *name)
{
    (void)ctx;
    (void)name;
    return 7;
}

/* shmseq_port_region_same tells our object from one created under the same
 * name after a removal, even of the same size and owner. */
static void test_same_object(void **state)
{
    char name[96];
    shmseq_port_region w, rd, w2;

    (void)state;
    make_name(name, sizeof name, "same");
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_open(&rd, name, 0), 0);
    assert_int_equal(shmseq_port_region_same(&rd, name), 1);
    assert_int_equal(shmseq_port_region_same(&w, name), 1);
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
    assert_int_equal(shmseq_port_region_same(&rd, name), -ENOENT);
    assert_int_equal(shmseq_port_region_create(&w2, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_same(&rd, name), 0);
    assert_int_equal(shmseq_port_region_same(&w2, name), 1);
    shmseq_port_region_close(&rd);
    assert_int_equal(shmseq_port_region_same(&rd, name), -EBADF); /* closed */
    shmseq_port_region_close(&w2);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

/* unlink_locked removes the name only while it names the locked object:
 * after a forced removal and a new object under the name, the old holder
 * removes nothing (-ESTALE), and the new holder's region keeps its name. */
static void test_unlink_locked(void **state)
{
    char name[96];
    shmseq_port_region a, b;

    (void)state;
    make_name(name, sizeof name, "unlock");
    assert_int_equal(shmseq_port_region_create(&a, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_unlink(name, 1), 0); /* forced */
    assert_int_equal(shmseq_port_region_unlink_locked(&a, name), -ENOENT);
    assert_int_equal(shmseq_port_region_create(&b, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_unlink_locked(&a, name), -ESTALE);
    assert_int_equal(shmseq_port_region_same(&b, name), 1); /* still there */
    assert_int_equal(shmseq_port_region_unlink_locked(&b, name), 0);
    assert_int_equal(shmseq_port_region_same(&b, name), -ENOENT);
    shmseq_port_region_close(&a);
    shmseq_port_region_close(&b);
}

static void test_list(void **state)
{
    char name[96];
    shmseq_port_region w;
    struct list_ctx c = { NULL, 0, 0 };

    (void)state;
    make_name(name, sizeof name, "list");
    c.want = name;
    assert_int_equal(shmseq_port_region_list(list_cb, &c), 0);
    assert_int_equal(c.found, 0);
    assert_int_equal(shmseq_port_region_create(&w, name, SIZE, 0600), 0);
    assert_int_equal(shmseq_port_region_list(list_cb, &c), 0);
    assert_int_equal(c.found, 1);
    /* A nonzero callback value stops the walk and is returned. */
    assert_int_equal(shmseq_port_region_list(list_stop, NULL), 7);
    shmseq_port_region_close(&w);
    assert_int_equal(shmseq_port_region_unlink(name, 0), 0);
}

static void test_missing_and_bad_names(void **state)
{
    char name[96];
    shmseq_port_region r;

    (void)state;
    make_name(name, sizeof name, "missing");
    assert_int_equal(shmseq_port_region_open(&r, name, 0), -ENOENT);
    assert_int_equal(r.handle, -1);
    assert_int_equal(shmseq_port_region_open(&r, name, 1), -ENOENT);
    assert_int_equal(shmseq_port_region_unlink(name, 0), -ENOENT);
    assert_int_equal(shmseq_port_region_unlink(name, 1), -ENOENT);
    assert_int_equal(shmseq_port_region_writer_alive(name), -ENOENT);
    /* Defensive: names that would leave the shm directory. */
    assert_int_equal(shmseq_port_region_create(&r, "a/b", SIZE, 0600), -EINVAL);
    assert_int_equal(shmseq_port_region_open(&r, "../x", 0), -EINVAL);
    assert_int_equal(shmseq_port_region_open(&r, "", 0), -EINVAL);
    assert_int_equal(shmseq_port_region_unlink("a/b", 1), -EINVAL);
}

/* A failed assertion skips a test's own clean-up: remove what is left. */
static int remove_ours(void *ctx, const char *name)
{
    const char *prefix = ctx;

    if (strncmp(name, prefix, strlen(prefix)) == 0)
        (void)shmseq_port_region_unlink(name, 1);
    return 0;
}

static int teardown_group(void **state)
{
    char prefix[64];

    (void)state;
    (void)snprintf(prefix, sizeof prefix, "test_port_%ld_", (long)getpid());
    (void)shmseq_port_region_list(remove_ours, prefix);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_exclusive),
        cmocka_unit_test(test_mode_despite_umask),
        cmocka_unit_test(test_size_reserved),
        cmocka_unit_test(test_no_space),
        cmocka_unit_test(test_one_writer),
        cmocka_unit_test(test_unmap_keeps_lock),
        cmocka_unit_test(test_lock_released_on_kill),
        cmocka_unit_test(test_reader_mapping_read_only),
        cmocka_unit_test(test_reader_falls_back_to_read_only),
        cmocka_unit_test(test_unlink_force),
        cmocka_unit_test(test_same_object),
        cmocka_unit_test(test_unlink_locked),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_missing_and_bad_names),
    };

    return cmocka_run_group_tests_name("port_shm", tests, NULL,
                                       teardown_group);
}
