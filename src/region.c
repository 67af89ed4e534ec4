/* SPDX-License-Identifier: MIT */
/*
 * Named regions: the public writer/reader API, built from the OS-free ring
 * (core/) and the port contract (port.h). This file holds the policy —
 * create or take over, what to do with a half-made or foreign region, how
 * a blocking read waits — and no OS call of its own: everything that
 * touches the system goes through shmseq_port_*.
 */
#include <shmseq/region.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "arch.h"
#include "region_internal.h"

/* The port's state inside a handle (see region_internal.h). */
#define PORT(h) shmseq__port(&(h)->platform)
#define PORT_C(h) shmseq__port_const(&(h)->platform)

/* Largest object a reader agrees to map: the biggest valid region
 * (capacity max, and the widest slot: 24 + 8 x 64 bytes = 9 lines). */
#define REGION_SIZE_MAX \
    ((uint64_t)SHMSEQ_HEADER_SIZE + \
     (uint64_t)SHMSEQ_CAPACITY_MAX * (SHMSEQ_LINE_SIZE * 9u))
_Static_assert(SHMSEQ_LINE_SIZE * 9u >= 24u + 8u * SHMSEQ_WIDTH_MAX,
               "REGION_SIZE_MAX must cover the widest slot");

/* The widest slot shmseq_info() copies (see REGION_SIZE_MAX). */
#define INFO_SLOT_MAX (SHMSEQ_LINE_SIZE * 9u)

/* Polling nap when a reader cannot sleep on the futex word. */
#define POLL_NAP_NS 100000u
/* Backoff when head says "data" but a read used up its bounded rounds (a
 * writer lapping the reader as fast as it reads): relax, yield, then nap. */
#define BUSY_RELAX 16
#define BUSY_YIELD 64
#define BUSY_NAP_NS 50000u
/* Spin-then-sleep: polls between two looks at the clock. */
#define SPIN_CHECK 16u

int shmseq_name_check(const char *name)
{
    if (name == NULL || name[0] == '\0' || name[0] == '.')
        return -EINVAL;
    size_t n = 0;
    for (const char *p = name; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return -EINVAL;
        if (n >= SHMSEQ_NAME_MAX)
            return -ENAMETOOLONG;
    }
    return 0;
}

uint64_t shmseq_now_ns(void)
{
    return shmseq_port_monotonic_ns();
}

int shmseq_sleep_ns(uint64_t ns)
{
    return shmseq_port_sleep_ns(ns);
}

static void port_reset(shmseq_port_region *p)
{
    memset(p, 0, sizeof *p);
    p->handle = -1;
}

/*
 * A region owned by another user is refused unless the caller says it
 * expects one: whoever owns the object can truncate it (a SIGBUS in every
 * process mapping it) or fill it with anything, and a name in the shared
 * /dev/shm can be taken by any local user first. See docs/reliability.md.
 */
static int owner_check(const shmseq_port_stat *st, bool any_owner)
{
    if (!any_owner && st->uid != shmseq_port_uid())
        return -EPERM;
    return 0;
}

/* ---- writer ------------------------------------------------------------- */

static void wake_readers(void *ctx, void *word)
{
    (void)ctx;
    shmseq_port_wake(word);
}

static int sleep_reader(void *ctx, void *word, uint32_t value,
                        int64_t timeout_ns)
{
    (void)ctx;
    return shmseq_port_wait(word, value, timeout_ns);
}

static int config_check(const shmseq_config *cfg)
{
    if (shmseq_region_size(cfg->width, cfg->capacity) == 0)
        return -EINVAL;
    if ((cfg->mode & ~0777u) != 0 ||
        (cfg->flags & ~(SHMSEQ_WRITER_RECREATE | SHMSEQ_WRITER_ANY_OWNER |
                        SHMSEQ_WRITER_NO_WAKE | SHMSEQ_WRITER_ANY_MODE)) != 0)
        return -EINVAL;
    return 0;
}

/* Format the locked, open object as a new region of cfg's geometry. */
static int format_new(shmseq_writer *w, const shmseq_config *cfg, size_t size,
                      bool resize)
{
    int rc = resize ? shmseq_port_region_resize(PORT(w), size) : 0;
    if (rc == 0)
        rc = shmseq_port_region_map(PORT(w), size, 0, 0);
    if (rc == 0)
        rc = shmseq_ring_format(PORT(w)->base, PORT(w)->size, cfg->width,
                                cfg->capacity, shmseq_port_realtime_ns(),
                                shmseq_port_monotonic_ns());
    return rc;
}

/* Map the existing object and check it as a region of cfg's geometry. */
static int check_existing(shmseq_writer *w, const shmseq_config *cfg,
                          const shmseq_port_stat *st)
{
    if (st->size < SHMSEQ_HEADER_SIZE || st->size > REGION_SIZE_MAX ||
        st->size > SIZE_MAX)
        return -EBADMSG;
    int rc = shmseq_port_region_map(PORT(w), (size_t)st->size, 0, 0);
    if (rc < 0)
        return rc;
    shmseq_region_info info;
    rc = shmseq_ring_check(PORT(w)->base, PORT(w)->size, &info);
    /* No magic, and we hold the lock, so nobody is formatting it now: a
     * creator died after sizing it, or something else sits under the name.
     * Only an empty object is known to hold nothing: refuse this one. */
    if (rc == -EAGAIN)
        rc = -EBADMSG;
    if (rc == 0 && (info.width != cfg->width || info.capacity != cfg->capacity))
        rc = -EEXIST;
    return rc;
}

/*
 * The object exists and we hold its lock. Decide whether to take it over,
 * format it, or refuse. Returns 0 when PORT(w) maps a region ready for
 * writer_attach, 1 when the caller should remove it and create afresh
 * (RECREATE; w->replaced says why), or a negative errno.
 */
static int adopt_existing(shmseq_writer *w, const shmseq_config *cfg,
                          size_t size, uint32_t mode)
{
    shmseq_port_stat st;
    int rc = shmseq_port_region_stat(PORT(w), &st);
    if (rc < 0)
        return rc;
    /* Before anything is repaired, reformatted or removed. */
    rc = owner_check(&st, (cfg->flags & SHMSEQ_WRITER_ANY_OWNER) != 0);
    if (rc < 0)
        return rc;
    /* A foreign region we cannot narrow (only its owner may chmod it) that
     * lets more users in than this writer asked for. */
    bool mine = st.uid == shmseq_port_uid();
    if (!mine && (st.mode & ~mode & 0777u) != 0 &&
        (cfg->flags & SHMSEQ_WRITER_ANY_MODE) == 0)
        return -EPERM;

    /* Empty: its creator died before sizing it (we hold the lock, so
     * nobody is creating it now). Nothing was ever in it: format it. */
    if (st.size == 0)
        rc = format_new(w, cfg, size, true);
    else
        rc = check_existing(w, cfg, &st);
    /* RECREATE replaces what is unusable as this region, nothing else (a
     * failing mapping or a full /dev/shm says nothing about the object). */
    if ((rc == -EBADMSG || rc == -EPROTO || rc == -EEXIST) &&
        (cfg->flags & SHMSEQ_WRITER_RECREATE)) {
        w->replaced = rc;
        return 1;
    }
    /* The asked mode applies to a region taken over too (a run with 0666
     * must not leave it world-writable for the next one with 0600). */
    if (rc == 0 && mine && (st.mode & 07777u) != mode)
        rc = shmseq_port_region_chmod(PORT(w), mode);
    return rc;
}

int shmseq_writer_open(shmseq_writer *w, const char *name,
                       const shmseq_config *cfg)
{
    assert(w != NULL && cfg != NULL);
    memset(w, 0, sizeof *w);
    port_reset(PORT(w));

    int rc = shmseq_name_check(name);
    if (rc < 0)
        return rc;
    rc = config_check(cfg);
    if (rc < 0)
        return rc;
    size_t size = shmseq_region_size(cfg->width, cfg->capacity);
    uint32_t mode = cfg->mode ? cfg->mode : 0600u;

    /* Open-or-create races with other writers and with RECREATE: a few
     * rounds settle it (each round either succeeds, fails for real, or saw
     * the name change under it and looks again). */
    for (int round = 0; round < 4; round++) {
        rc = shmseq_port_region_open(PORT(w), name, 1);
        if (rc == -ESTALE)
            continue; /* the name changed between our open and our lock */
        if (rc == -ENOENT) {
            rc = shmseq_port_region_create(PORT(w), name, size, mode);
            if (rc == -EEXIST)
                continue; /* another writer created it first */
            if (rc == 0)
                rc = format_new(w, cfg, size, false);
        } else if (rc == 0) {
            rc = adopt_existing(w, cfg, size, mode);
            if (rc == 1) {
                /* Removed while we hold its lock, and only if the name
                 * still refers to it: no other writer can be using it. */
                rc = shmseq_port_region_unlink_locked(PORT(w), name);
                shmseq_port_region_close(PORT(w));
                if (rc < 0 && rc != -ENOENT && rc != -ESTALE)
                    goto fail;
                continue;
            }
        }
        if (rc < 0)
            goto fail;

        rc = shmseq_ring_writer_attach(&w->ring, PORT(w)->base, PORT(w)->size);
        if (rc < 0)
            goto fail;
        /* A port that cannot block has no wake call: its readers nap. The
         * never-wakes mark still wakes readers an earlier writer left
         * asleep, through the port's wake (see set_wake). */
        shmseq_ring_writer_set_wake(&w->ring,
                                    shmseq_port_wait_is_blocking() ? wake_readers : NULL,
                                    w, (cfg->flags & SHMSEQ_WRITER_NO_WAKE) == 0);
        shmseq_ring_writer_set_pid(&w->ring, shmseq_port_pid());
        return 0;
    }
    rc = -EBUSY; /* the name kept changing under us (other writers) */
fail:
    shmseq_port_region_close(PORT(w));
    memset(&w->ring, 0, sizeof w->ring);
    w->replaced = 0;
    return rc;
}

int shmseq_writer_replaced(const shmseq_writer *w)
{
    assert(w != NULL);
    return w->replaced;
}

int shmseq_publish(shmseq_writer *w, const double *values,
                   uint64_t timestamp_ns)
{
    assert(w != NULL);
    return shmseq_ring_publish(&w->ring, values, timestamp_ns);
}

uint64_t shmseq_writer_next(const shmseq_writer *w)
{
    assert(w != NULL);
    return shmseq_ring_writer_next(&w->ring);
}

uint32_t shmseq_writer_epoch(const shmseq_writer *w)
{
    assert(w != NULL);
    return w->ring.epoch;
}

void shmseq_writer_close(shmseq_writer *w)
{
    assert(w != NULL);
    if (w->ring.region != NULL)
        shmseq_ring_writer_set_pid(&w->ring, 0);
    shmseq_port_region_close(PORT(w));
    memset(&w->ring, 0, sizeof w->ring);
}

/* ---- reader ------------------------------------------------------------- */

/*
 * Size the object for a reader. An empty one is a name without a region
 * yet: its creator has made the name and is about to lock and size it, or
 * died before sizing it. No reader can tell the two apart by looking (a
 * creator may be preempted for any time between its two steps), and both
 * mean the same to it: the next writer formats an empty object in place,
 * so it is "not there yet" (-EAGAIN), as a missing name is -ENOENT; the
 * caller's own deadline decides how long to wait. Non-empty but smaller
 * than a header is never a creator's state (it sizes in one step): being
 * created only while a writer holds it, corrupt otherwise (-EBADMSG).
 */
static int stat_settled(shmseq_port_region *p, const char *name,
                        shmseq_port_stat *st)
{
    int rc = shmseq_port_region_stat(p, st);
    if (rc < 0)
        return rc;
    if (st->size > REGION_SIZE_MAX || st->size > SIZE_MAX)
        return -EBADMSG;
    if (st->size >= SHMSEQ_HEADER_SIZE)
        return 0;
    if (st->size == 0 || shmseq_port_region_writer_alive(name) > 0)
        return -EAGAIN;
    return -EBADMSG;
}

int shmseq_reader_open(shmseq_reader *r, const char *name, unsigned flags)
{
    assert(r != NULL);
    memset(r, 0, sizeof *r);
    port_reset(PORT(r));

    int rc = shmseq_name_check(name);
    if (rc < 0)
        return rc;
    if ((flags & ~(unsigned)(SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL |
                             SHMSEQ_READER_ANY_OWNER)) != 0)
        return -EINVAL;
    unsigned ring_flags = flags & ~(unsigned)SHMSEQ_READER_ANY_OWNER;

    rc = shmseq_port_region_open(PORT(r), name, 0);
    if (rc < 0)
        return rc;
    shmseq_port_stat st;
    rc = shmseq_port_region_stat(PORT(r), &st);
    if (rc == 0)
        rc = owner_check(&st, (flags & SHMSEQ_READER_ANY_OWNER) != 0);
    if (rc == 0)
        rc = stat_settled(PORT(r), name, &st);
    int mapped = 0;
    if (rc == 0) {
        rc = shmseq_port_region_map(PORT(r), (size_t)st.size,
                                    SHMSEQ_CTL_OFFSET, SHMSEQ_PAGE_MAX);
        mapped = rc == 0;
    }
    if (rc == 0)
        rc = shmseq_ring_reader_attach(&r->ring, PORT(r)->base, PORT(r)->size,
                                       ring_flags);
    if (mapped && rc == -EAGAIN && shmseq_port_region_writer_alive(name) == 0) {
        /* A full-size object with no magic and no writer: its creator died
         * between sizing it and formatting it (the writer holds its lock
         * throughout). Look once more, in case a writer finished and left
         * in between; still no magic means half-made: -EBADMSG, never
         * "try again" for ever. The next writer formats it afresh. */
        rc = shmseq_ring_reader_attach(&r->ring, PORT(r)->base, PORT(r)->size,
                                       ring_flags);
        if (rc == -EAGAIN)
            rc = -EBADMSG;
    }
    if (rc < 0) {
        shmseq_port_region_close(PORT(r));
        memset(&r->ring, 0, sizeof r->ring);
        return rc;
    }
    /* The reader-control page writable, nothing else: see layout.md. */
    if (PORT(r)->ctl != NULL && PORT(r)->ctl_size >= SHMSEQ_LINE_SIZE &&
        shmseq_port_wait_is_blocking())
        shmseq_ring_reader_set_sleep(&r->ring, PORT(r)->ctl, sleep_reader, NULL);
    memcpy(r->name, name, strlen(name) + 1u);
    return 0;
}

int shmseq_read(shmseq_reader *r, shmseq_sample *meta, double *values,
                uint32_t max_values)
{
    assert(r != NULL);
    return shmseq_ring_read(&r->ring, meta, values, max_values);
}

int shmseq_read_many(shmseq_reader *r, shmseq_sample *meta, double *values,
                     uint32_t stride, uint32_t max_n)
{
    assert(r != NULL);
    return shmseq_ring_read_many(&r->ring, meta, values, stride, max_n);
}

int shmseq_read_many_wait(shmseq_reader *r, shmseq_sample *meta,
                          double *values, uint32_t stride, uint32_t max_n,
                          int64_t timeout_ns)
{
    assert(r != NULL);
    /* Argument errors before any wait, as the single read reports them. */
    if (max_n == 0)
        return -EINVAL;
    if (max_n > (uint32_t)INT_MAX) /* the count is returned as an int */
        max_n = (uint32_t)INT_MAX;
    if (values != NULL && stride < shmseq_ring_reader_width(&r->ring))
        return -EMSGSIZE;
    int rc = shmseq_read_wait(r, meta, values, stride, timeout_ns);
    if (rc < 0)
        return rc;
    if (max_n == 1)
        return 1;
    rc = shmseq_ring_read_many(&r->ring, meta != NULL ? meta + 1 : NULL,
                               values != NULL ? values + stride : NULL, stride,
                               max_n - 1u);
    return rc > 0 ? rc + 1 : 1;
}

int shmseq_read_latest(shmseq_reader *r, shmseq_sample *meta, double *values,
                       uint32_t max_values)
{
    assert(r != NULL);
    return shmseq_ring_read_latest(&r->ring, meta, values, max_values);
}

/* 0 if the reader's object still holds what it mapped and a valid header,
 * else -EBADMSG (truncated, or reformatted to nothing). */
static int region_still_whole(const shmseq_reader *r)
{
    shmseq_port_stat st;
    int rc = shmseq_port_region_stat(PORT_C(r), &st);
    if (rc < 0)
        return rc;
    if (st.size < (uint64_t)PORT_C(r)->size)
        return -EBADMSG;
    rc = shmseq_ring_check(PORT_C(r)->base, PORT_C(r)->size, NULL);
    return rc < 0 ? -EBADMSG : 0;
}

/* Poll the ring for up to r->spin_ns (at most @left ns if left >= 0). The
 * clock is read once per SPIN_CHECK polls: a vDSO call each is cheap, but
 * not free next to a poll of a cached line. */
static int spin_read(shmseq_reader *r, shmseq_sample *meta, double *values,
                     uint32_t max_values, int64_t left)
{
    uint64_t budget = r->spin_ns;
    if (left >= 0 && (uint64_t)left < budget)
        budget = (uint64_t)left;
    uint64_t until = shmseq_port_monotonic_ns() + budget;
    for (unsigned i = 1;; i++) {
        int rc = shmseq_ring_read(&r->ring, meta, values, max_values);
        if (rc != -EAGAIN)
            return rc;
        shmseq_cpu_relax();
        if (i % SPIN_CHECK == 0 && shmseq_port_monotonic_ns() >= until)
            return -EAGAIN;
    }
}

void shmseq_reader_set_spin(shmseq_reader *r, uint64_t spin_ns)
{
    assert(r != NULL);
    r->spin_ns = spin_ns;
}

int shmseq_read_wait(shmseq_reader *r, shmseq_sample *meta, double *values,
                     uint32_t max_values, int64_t timeout_ns)
{
    assert(r != NULL);
    uint64_t deadline = 0;
    if (timeout_ns > 0)
        deadline = shmseq_port_monotonic_ns() + (uint64_t)timeout_ns;
    unsigned busy = 0;
    bool spun = r->spin_ns == 0;

    for (;;) {
        int rc = shmseq_ring_read(&r->ring, meta, values, max_values);
        if (rc != -EAGAIN)
            return rc;
        if (timeout_ns == 0)
            return -ETIMEDOUT;
        int64_t left = -1;
        if (timeout_ns > 0) {
            uint64_t now = shmseq_port_monotonic_ns();
            if (now >= deadline)
                return -ETIMEDOUT;
            left = (int64_t)(deadline - now);
        }

        if (!spun) {
            /* Spin-then-sleep: poll the ring for the budget (and never past
             * the deadline) before paying for a sleep and a wake-up. */
            spun = true;
            rc = spin_read(r, meta, values, max_values, left);
            if (rc != -EAGAIN)
                return rc;
            continue;
        }

        if (shmseq_ring_ready(&r->ring)) {
            /* Head says there is a sample but the read used up its rounds
             * (lapped as fast as it read): back off without sleeping on
             * the futex, since no wake-up would come. */
            busy++;
            if (busy < BUSY_RELAX) {
                shmseq_cpu_relax();
            } else if (busy < BUSY_YIELD) {
                shmseq_port_yield();
            } else {
                rc = shmseq_port_sleep_ns(BUSY_NAP_NS);
                if (rc == -EINTR)
                    return rc;
            }
            continue;
        }
        busy = 0;

        /* About to sleep or nap (a system call anyway): make sure the
         * region is still whole. Another process with write access can
         * truncate it; touching a page past the new end is SIGBUS, so a
         * reader that finds it shrunk or unformatted stops here. */
        rc = region_still_whole(r);
        if (rc < 0)
            return rc;

        rc = shmseq_ring_sleep(&r->ring, left);
        if (rc < 0 && rc != -EAGAIN && rc != -EINTR && rc != -ETIMEDOUT) {
            /* The sleep itself fails (no futex: ENOSYS; a seccomp
             * filter: EPERM): trying again at once would spin. This
             * reader polls from now on (and stops raising "waiting",
             * which would cost the writer a wake call per sample). */
            shmseq_ring_reader_set_sleep(&r->ring, NULL, NULL, NULL);
            rc = -EAGAIN;
        }
        if (rc == -EAGAIN) { /* this reader cannot sleep: nap */
            uint64_t nap = POLL_NAP_NS;
            if (left >= 0 && (uint64_t)left < nap)
                nap = (uint64_t)left;
            rc = shmseq_port_sleep_ns(nap);
        }
        if (rc == -EINTR)
            return rc;
        /* 0 or -ETIMEDOUT: read again; the deadline check decides. */
    }
}

uint64_t shmseq_reader_head(const shmseq_reader *r)
{
    assert(r != NULL);
    return shmseq_ring_reader_head(&r->ring);
}

uint32_t shmseq_reader_width(const shmseq_reader *r)
{
    assert(r != NULL);
    return shmseq_ring_reader_width(&r->ring);
}

void shmseq_reader_get_stats(const shmseq_reader *r, shmseq_reader_stats *out)
{
    assert(r != NULL);
    shmseq_ring_reader_stats(&r->ring, out);
}

int shmseq_reader_writer_alive(const shmseq_reader *r)
{
    assert(r != NULL && r->name[0] != '\0');
    /* The name is probed, so first make sure it still names our region: a
     * writer that recreated it (another width or capacity) holds a new
     * object, and its lock says nothing about ours. */
    int rc = shmseq_port_region_same(PORT_C(r), r->name);
    if (rc == 0)
        return -ESTALE;
    if (rc < 0)
        return rc;
    return shmseq_port_region_writer_alive(r->name);
}

void shmseq_reader_close(shmseq_reader *r)
{
    assert(r != NULL);
    shmseq_port_region_close(PORT(r));
    memset(&r->ring, 0, sizeof r->ring);
    r->name[0] = '\0';
}

size_t shmseq_writer_handle_size(void)
{
    return sizeof(shmseq_writer);
}

size_t shmseq_reader_handle_size(void)
{
    return sizeof(shmseq_reader);
}

/* ---- by name ------------------------------------------------------------ */

int shmseq_unlink(const char *name)
{
    return shmseq_remove(name, 0);
}

int shmseq_remove(const char *name, unsigned flags)
{
    int rc = shmseq_name_check(name);
    if (rc < 0)
        return rc;
    if ((flags & ~SHMSEQ_REMOVE_FORCE) != 0)
        return -EINVAL;
    return shmseq_port_region_unlink(name, (flags & SHMSEQ_REMOVE_FORCE) != 0);
}

/* Only names a shmseq call would accept reach the caller. */
struct list_ctx {
    int (*fn)(void *ctx, const char *name);
    void *ctx;
};

static int list_one(void *ctx, const char *name)
{
    struct list_ctx *l = ctx;
    return shmseq_name_check(name) == 0 ? l->fn(l->ctx, name) : 0;
}

int shmseq_list(int (*fn)(void *ctx, const char *name), void *ctx)
{
    assert(fn != NULL);
    struct list_ctx l = {fn, ctx};
    return shmseq_port_region_list(list_one, &l);
}

/*
 * Describe a region of any owner without mapping it: its owner can truncate
 * it at any moment, and a mapping would then kill this process with
 * SIGBUS. The header and the slot before head are copied with reads; a
 * truncated object is an error (-EBADMSG).
 */
int shmseq_info(const char *name, shmseq_region_info *out)
{
    assert(out != NULL);
    int rc = shmseq_name_check(name);
    if (rc < 0)
        return rc;
    shmseq_port_region p;
    port_reset(&p);
    rc = shmseq_port_region_open(&p, name, 0);
    if (rc < 0)
        return rc;
    shmseq_port_stat st;
    rc = stat_settled(&p, name, &st);

    uint64_t hdr[SHMSEQ_HEADER_COPY_SIZE / 8u];
    uint64_t slot[2][INFO_SLOT_MAX / 8u];
    uint64_t at = 0;
    if (rc == 0)
        rc = shmseq_port_region_read(&p, 0, hdr, sizeof hdr);
    if (rc == 0)
        rc = shmseq_ring_check_header(hdr, sizeof hdr, st.size, out, &at);
    if (rc == 0 && out->slot_size <= INFO_SLOT_MAX) {
        /* Two copies: equal ones were not changed by the writer while
         * they were taken (a write moves the slot's sequence word). */
        rc = shmseq_port_region_read(&p, at, slot[0], out->slot_size);
        if (rc == 0)
            rc = shmseq_port_region_read(&p, at, slot[1], out->slot_size);
        if (rc == 0 && memcmp(slot[0], slot[1], out->slot_size) == 0)
            shmseq_ring_info_head(out, slot[0], out->slot_size);
    }
    if (rc == -EAGAIN && shmseq_port_region_writer_alive(name) == 0)
        rc = -EBADMSG; /* no magic and no writer: half-made */
    if (rc == 0) {
        int alive = shmseq_port_region_writer_alive(name);
        out->writer_alive = alive > 0 ? 1u : 0u;
    }
    shmseq_port_region_close(&p);
    return rc;
}
