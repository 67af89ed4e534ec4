/* SPDX-License-Identifier: MIT */
/*
 * The sample ring: format, check, publish and read on caller memory.
 *
 * Pure C11: no OS header, no allocation, no system call. Sample n lives in
 * slot n & (capacity - 1), guarded by that slot's seqlock (seqlock.h). The
 * header's head word is the low 32 bits of the next sample number; the full
 * 64-bit number travels in each slot, so a reader compares the number it
 * expects with the number it finds: equal, got it; greater, it was
 * overwritten (lost, skip ahead); smaller, not published yet.
 *
 * Nothing read from shared memory is trusted: the geometry is checked once
 * at attach and copied into the handle, slot indices are masked, and a
 * reader never loops on shared data without a bound.
 */
#include <shmseq/ring.h>

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "layout.h"
#include "ring_test.h"
#include "seqlock.h"
#include "wake.h"

/* A slot number that matches no sample: unwritten or repaired slots. */
#define POISON UINT64_MAX
/* Sample numbers stay below 2^63 (about 2900 years at 100 M samples/s): a
 * slot that claims one above is corrupt or hostile, and never makes the
 * 64-bit head (it would send a new writer's numbering round 2^64). */
#define NUMBER_LIMIT (UINT64_C(1) << 63)
/* Seqlock attempts per read before reporting "nothing yet" (-EAGAIN). */
#define READ_TRIES 4
/* Whole read attempts (head check, slot copy, resync) per call. */
#define READ_ROUNDS 8

/* A slot's payload, copied out under the seqlock. */
struct payload {
    uint64_t number;
    uint64_t ts;
    uint32_t epoch;
    uint32_t seq;
    uint64_t values[SHMSEQ_WIDTH_MAX];
};

static bool capacity_ok(uint32_t c)
{
    return c >= SHMSEQ_CAPACITY_MIN && c <= SHMSEQ_CAPACITY_MAX &&
           (c & (c - 1u)) == 0;
}

uint32_t shmseq_slot_size(uint32_t width)
{
    if (width == 0 || width > SHMSEQ_WIDTH_MAX)
        return 0;
    uint32_t bytes = SHMSEQ__SLOT_META_BYTES + 8u * width;
    return (bytes + SHMSEQ_LINE_SIZE - 1u) & ~(SHMSEQ_LINE_SIZE - 1u);
}

static uint64_t region_bytes(uint32_t width, uint32_t capacity)
{
    if (!capacity_ok(capacity))
        return 0;
    uint32_t slot = shmseq_slot_size(width);
    if (slot == 0)
        return 0;
    return (uint64_t)SHMSEQ_HEADER_SIZE + (uint64_t)capacity * slot;
}

size_t shmseq_region_size(uint32_t width, uint32_t capacity)
{
    uint64_t bytes = region_bytes(width, capacity);
    if (bytes > SIZE_MAX)
        return 0;
    return (size_t)bytes;
}

static struct shmseq__slot *slot_at(unsigned char *slots, uint32_t slot_size,
                                    uint32_t mask, uint64_t n)
{
    return (struct shmseq__slot *)(void *)(slots +
                                           (size_t)((uint32_t)n & mask) * slot_size);
}

static const struct shmseq__slot *cslot_at(const unsigned char *slots,
                                           uint32_t slot_size, uint32_t mask,
                                           uint64_t n)
{
    return (const struct shmseq__slot *)(const void *)(slots +
                                                       (size_t)((uint32_t)n & mask) *
                                                           slot_size);
}

/*
 * One attempt at copying slot @s under its seqlock: true with a consistent
 * copy, false if the slot was being written (odd, or changed under us).
 */
static bool slot_try(const struct shmseq__slot *s, uint32_t width,
                     struct payload *p)
{
    uint32_t q = shmseq__seq_read_begin(&s->seq);
    if (q & 1u)
        return false;
    p->epoch = shmseq__ld(&s->epoch);
    p->number = shmseq__ld64(&s->number_lo, &s->number_hi);
    p->ts = shmseq__ld64(&s->ts_lo, &s->ts_hi);
    for (uint32_t v = 0; v < width; v++)
        p->values[v] = shmseq__ld64(&s->values[2u * v], &s->values[2u * v + 1u]);
    if (shmseq__seq_read_retry(&s->seq, q))
        return false;
    p->seq = q;
    return true;
}

/*
 * Copy slot @s under its seqlock. Returns true with a consistent copy, false
 * if the writer kept it busy for READ_TRIES attempts (or died mid-write).
 */
static bool slot_copy(const struct shmseq__slot *s, uint32_t width,
                      struct payload *p)
{
    for (int i = 0; i < READ_TRIES; i++)
        if (slot_try(s, width, p))
            return true;
    return false;
}

#ifdef SHMSEQ_TEST_HOOKS
/*
 * Test-only: called in the middle of every slot write, with the sequence
 * word odd and the payload half stored, so a crash test can widen that
 * window and kill the writer inside it (tests/reliability/). Compiled only
 * into the test variant of the library (SHMSEQ_TEST_HOOKS); the production
 * library has no such symbol, and a test checks that with nm.
 */
extern void (*shmseq__test_hook_mid_write)(void);
void (*shmseq__test_hook_mid_write)(void) = NULL;
#endif

/* Store a slot's payload words (the caller holds the slot odd). */
static void slot_fill(struct shmseq__slot *s, uint32_t epoch, uint64_t number,
                      uint64_t ts, const double *values, uint32_t width)
{
    shmseq__st(&s->epoch, epoch);
    shmseq__st64(&s->number_lo, &s->number_hi, number);
    shmseq__st64(&s->ts_lo, &s->ts_hi, ts);
#ifdef SHMSEQ_TEST_HOOKS
    if (shmseq__test_hook_mid_write != NULL)
        shmseq__test_hook_mid_write();
#endif
    for (uint32_t v = 0; v < width; v++) {
        uint64_t bits = values ? shmseq__f64_bits(values[v]) : 0x7ff8000000000000u;
        shmseq__st64(&s->values[2u * v], &s->values[2u * v + 1u], bits);
    }
}

/* Write one slot under its seqlock (the writer's side). */
static void slot_write(struct shmseq__slot *s, uint32_t epoch, uint64_t number,
                       uint64_t ts, const double *values, uint32_t width)
{
    uint32_t q = shmseq__seq_write_begin(&s->seq);
    slot_fill(s, epoch, number, ts, values, width);
    shmseq__seq_write_end(&s->seq, q);
}

/*
 * The 64-bit number with low 32 bits @h: the one nearest @near if a slot
 * gave us a number (@seen), else the first at or after @hint.
 */
static uint64_t head_from(uint32_t h, bool seen, uint64_t near, uint64_t hint)
{
    if (!seen)
        return hint + (uint32_t)(h - (uint32_t)hint);
    int32_t d = (int32_t)(h - (uint32_t)near);
    if (d < 0 && (uint64_t)-(int64_t)d > near)
        return h; /* near is below 2^31: so is the head */
    return near + (uint64_t)(int64_t)d;
}

/*
 * The full 64-bit number of the next sample, from the 32-bit head @h and
 * the slot before it (which holds sample head - 1 in full). If that slot
 * does not confirm it (never written, repaired, or already overwritten by
 * a writer lapping a small ring), take the high bits from a number a slot
 * did show us: a whole slot with a writer's epoch holds a sample within a
 * few laps of the head,
 * far less than 2^31 away, so the head is the value with low bits @h
 * nearest that number. With no number seen, fall back to the first value
 * at or after @hint with the same low 32 bits; @hint is a number known to
 * be at most 2^32 behind (0 when nothing is known).
 *
 * @live false: no writer runs (a writer taking over). The region is still,
 * so a slot that does not confirm the head was not lapped: its number is
 * corrupt (and poisoned next if it lies past the head), and lends nothing.
 */
static uint64_t head64(const struct shmseq__region *reg,
                       const unsigned char *slots, uint32_t slot_size,
                       uint32_t mask, uint64_t hint, bool live)
{
    struct payload p;
    bool seen = false;
    uint64_t near = 0;
    for (int round = 0; round < READ_TRIES; round++) {
        uint32_t h = shmseq__ld_acquire(&reg->w.head);
        const struct shmseq__slot *s = cslot_at(slots, slot_size, mask, (uint32_t)(h - 1u));
        if (slot_copy(s, 0, &p) && p.number < NUMBER_LIMIT) {
            if ((uint32_t)(p.number + 1u) == h)
                return p.number + 1u;
            /* Epoch 0 is no writer's sample (zeroed or repaired): its
             * number says nothing about the head. */
            if (live && p.epoch != 0) {
                seen = true;
                near = p.number;
            }
        }
        if (shmseq__ld_acquire(&reg->w.head) == h)
            return head_from(h, seen, near, hint);
    }
    return head_from(shmseq__ld_acquire(&reg->w.head), seen, near, hint);
}

int shmseq_ring_format(void *mem, size_t size, uint32_t width,
                       uint32_t capacity, uint64_t realtime_ns,
                       uint64_t monotonic_ns)
{
    uint64_t bytes = region_bytes(width, capacity);
    if (mem == NULL || bytes == 0 || ((uintptr_t)mem & 7u) != 0)
        return -EINVAL;
    if ((uint64_t)size < bytes)
        return -ENOSPC;

    struct shmseq__region *reg = mem;
    /* Withdraw the magic first: a checker sees "being created" (-EAGAIN),
     * never a half-written header. */
    shmseq__st_release(&reg->s.magic, 0);

    /* Zero the rest word by word (atomically: readers may be mapped). */
    shmseq__word *words = (shmseq__word *)mem;
    size_t nwords = (size_t)(bytes / 4u);
    for (size_t i = 1; i < nwords; i++)
        shmseq__st(&words[i], 0);

    uint32_t slot_size = shmseq_slot_size(width);
    shmseq__st(&reg->s.version, SHMSEQ_LAYOUT_VERSION);
    shmseq__st(&reg->s.byte_order, SHMSEQ__BOM);
    shmseq__st(&reg->s.header_size, SHMSEQ_HEADER_SIZE);
    shmseq__st(&reg->s.slot_size, slot_size);
    shmseq__st(&reg->s.width, width);
    shmseq__st(&reg->s.capacity, capacity);
    shmseq__st(&reg->s.line_size, SHMSEQ_LINE_SIZE);
    shmseq__st(&reg->s.ctl_offset, SHMSEQ_CTL_OFFSET);
    shmseq__st64(&reg->s.region_size_lo, &reg->s.region_size_hi, bytes);
    shmseq__st64(&reg->s.created_rt_lo, &reg->s.created_rt_hi, realtime_ns);
    shmseq__st64(&reg->s.created_mono_lo, &reg->s.created_mono_hi, monotonic_ns);

    /* Unwritten slots carry a number no reader ever expects. */
    unsigned char *slots = (unsigned char *)mem + SHMSEQ_HEADER_SIZE;
    for (uint32_t i = 0; i < capacity; i++) {
        struct shmseq__slot *s = slot_at(slots, slot_size, capacity - 1u, i);
        shmseq__st64(&s->number_lo, &s->number_hi, POISON);
    }

    /* Pairs with the acquire load of magic in shmseq_ring_check(). */
    shmseq__st_release(&reg->s.magic, SHMSEQ__MAGIC);
    return 0;
}

static uint32_t bswap32(uint32_t v)
{
    return (v >> 24) | ((v >> 8) & 0xff00u) | ((v << 8) & 0xff0000u) | (v << 24);
}

/*
 * Validate the header at @reg against @size, the bytes of the object it came
 * from, and describe it in @out (if not NULL), except head. Reads every
 * field once.
 */
static int check_header(const struct shmseq__region *reg, uint64_t size,
                        shmseq_region_info *out)
{
    /* Pairs with the release store of magic in shmseq_ring_format(). */
    uint32_t magic = shmseq__ld_acquire(&reg->s.magic);
    if (magic == 0)
        return -EAGAIN;
    if (magic == bswap32(SHMSEQ__MAGIC))
        return -EPROTO;
    if (magic != SHMSEQ__MAGIC)
        return -EBADMSG;
    if (shmseq__ld(&reg->s.byte_order) != SHMSEQ__BOM)
        return -EPROTO;
    if (shmseq__ld(&reg->s.version) != SHMSEQ_LAYOUT_VERSION)
        return -EPROTO;

    /* Read each field once; validate the local copies only. */
    uint32_t header_size = shmseq__ld(&reg->s.header_size);
    uint32_t line_size = shmseq__ld(&reg->s.line_size);
    uint32_t ctl_offset = shmseq__ld(&reg->s.ctl_offset);
    uint32_t slot_size = shmseq__ld(&reg->s.slot_size);
    uint32_t width = shmseq__ld(&reg->s.width);
    uint32_t capacity = shmseq__ld(&reg->s.capacity);
    uint64_t recorded = shmseq__ld64(&reg->s.region_size_lo, &reg->s.region_size_hi);

    /* header_size is the ring's offset: both offsets are checked, so a
     * region whose ring or reader-control line is elsewhere is refused
     * before anything is read there. */
    if (header_size != SHMSEQ_HEADER_SIZE || line_size != SHMSEQ_LINE_SIZE ||
        ctl_offset != SHMSEQ_CTL_OFFSET)
        return -EBADMSG;
    if (width == 0 || width > SHMSEQ_WIDTH_MAX || !capacity_ok(capacity))
        return -EBADMSG;
    if (slot_size != shmseq_slot_size(width))
        return -EBADMSG;
    uint64_t bytes = region_bytes(width, capacity);
    if (recorded != bytes || bytes > size)
        return -EBADMSG;

    if (out != NULL) {
        memset(out, 0, sizeof *out);
        out->layout_version = SHMSEQ_LAYOUT_VERSION;
        out->header_size = header_size;
        out->slot_size = slot_size;
        out->width = width;
        out->capacity = capacity;
        out->region_size = recorded;
        out->epoch = shmseq__ld_acquire(&reg->w.epoch);
        out->writer_pid = shmseq__ld(&reg->w.writer_pid);
        out->no_wake = (shmseq__ld(&reg->w.flags) & SHMSEQ__WF_NO_WAKE) ? 1u : 0u;
        out->created_realtime_ns =
            shmseq__ld64(&reg->s.created_rt_lo, &reg->s.created_rt_hi);
        out->created_monotonic_ns =
            shmseq__ld64(&reg->s.created_mono_lo, &reg->s.created_mono_hi);
    }
    return 0;
}

int shmseq_ring_check(const void *mem, size_t size, shmseq_region_info *out)
{
    if (mem == NULL || ((uintptr_t)mem & 3u) != 0)
        return -EINVAL;
    if (size < SHMSEQ_HEADER_SIZE)
        return -EBADMSG;

    const struct shmseq__region *reg = mem;
    int rc = check_header(reg, (uint64_t)size, out);
    if (rc == 0 && out != NULL)
        out->head = head64(reg, (const unsigned char *)mem + SHMSEQ_HEADER_SIZE,
                           out->slot_size, out->capacity - 1u, 0, true);
    return rc;
}

int shmseq_ring_check_header(const void *hdr, size_t hdr_size,
                             uint64_t object_size, shmseq_region_info *out,
                             uint64_t *slot_offset)
{
    if (hdr == NULL || ((uintptr_t)hdr & 3u) != 0 || out == NULL ||
        slot_offset == NULL)
        return -EINVAL;
    if (hdr_size < SHMSEQ_HEADER_COPY_SIZE || object_size < SHMSEQ_HEADER_SIZE)
        return -EBADMSG;

    const struct shmseq__region *reg = hdr;
    int rc = check_header(reg, object_size, out);
    if (rc < 0)
        return rc;
    uint32_t h = shmseq__ld_acquire(&reg->w.head);
    out->head = h; /* the low 32 bits, until shmseq_ring_info_head() */
    *slot_offset = (uint64_t)SHMSEQ_HEADER_SIZE +
                   (uint64_t)((h - 1u) & (out->capacity - 1u)) * out->slot_size;
    return 0;
}

void shmseq_ring_info_head(shmseq_region_info *info, const void *slot,
                           size_t slot_size)
{
    struct payload p;
    if (info == NULL || slot == NULL || ((uintptr_t)slot & 3u) != 0 ||
        slot_size < info->slot_size)
        return;
    uint32_t h = (uint32_t)info->head;
    if (slot_copy((const struct shmseq__slot *)slot, 0, &p) &&
        p.number < NUMBER_LIMIT) {
        if ((uint32_t)(p.number + 1u) == h)
            info->head = p.number + 1u;
        else if (p.epoch != 0) /* lapped: as head64() does */
            info->head = head_from(h, true, p.number, 0);
    }
}

int shmseq_ring_writer_attach(shmseq_ring_writer *w, void *mem, size_t size)
{
    assert(w != NULL);
    shmseq_region_info info;
    int rc = shmseq_ring_check(mem, size, &info);
    if (rc < 0)
        return rc;

    struct shmseq__region *reg = mem;
    memset(w, 0, sizeof *w);
    w->region = reg;
    w->slots = (unsigned char *)mem + SHMSEQ_HEADER_SIZE;
    w->width = info.width;
    w->mask = info.capacity - 1u;
    w->slot_size = info.slot_size;
    /* We are the only writer: the region is still. */
    w->next = head64(reg, w->slots, w->slot_size, w->mask, 0, false);

    /* A writer that died between a slot's write_end and its store of head
     * left sample `head` whole in its slot but unannounced. Readers take
     * the expected slot before head (shmseq_ring_read's fast path), so one
     * of them may already have it: announce it rather than publish another
     * sample under the same number. Only that one slot, only whole, and
     * only with the dead writer's own epoch (readers see epochs rise). */
    {
        const struct shmseq__slot *s =
            slot_at(w->slots, w->slot_size, w->mask, w->next);
        uint32_t q = shmseq__ld(&s->seq);
        uint64_t num = shmseq__ld64(&s->number_lo, &s->number_hi);
        uint32_t old_epoch = shmseq__ld(&reg->w.epoch);
        if ((q & 1u) == 0 && num == w->next && num + 1u < NUMBER_LIMIT &&
            old_epoch != 0 && shmseq__ld(&s->epoch) == old_epoch) {
            w->next = num + 1u;
            shmseq__st_release(&reg->w.head, (uint32_t)w->next);
        }
    }

    /* A writer that died between write_begin and write_end left the next
     * slot odd and half-written. Rewrite it as a poison sample: readers that
     * expected the sample it held see a larger number and count it lost.
     * Every slot is checked, not only the next one: an odd word anywhere
     * else (a corrupt or hostile region) would make our own write_begin
     * step it to even over a half-written payload, which a reader would
     * accept. O(capacity), once per takeover. */
    for (uint32_t i = 0; i <= w->mask; i++) {
        struct shmseq__slot *s = slot_at(w->slots, w->slot_size, w->mask, i);
        uint32_t q = shmseq__ld(&s->seq);
        if (q & 1u) {
            /* The slot stays odd (readers discard what they copy) while we
             * rewrite it: write_resume stores the odd value again and
             * fences, as write_begin does, and write_end's release store
             * publishes the repair. Never step back to an even value
             * before the payload is whole: a reader would accept it. */
            uint32_t even = shmseq__seq_write_resume(&s->seq, q);
            slot_fill(s, 0, POISON, 0, NULL, w->width);
            shmseq__seq_write_end(&s->seq, even);
            continue;
        }
        /* Any other whole slot numbered at or past next was never
         * announced and is no dead writer's last sample: hostile or
         * corrupt bytes. Readers take the expected slot before head
         * (shmseq_ring_read's fast path), so leaving it would let them
         * take a sample this writer is about to publish differently.
         * (We are the only writer: plain relaxed loads are exact.) */
        uint64_t num = shmseq__ld64(&s->number_lo, &s->number_hi);
        if (num != POISON && num >= w->next && shmseq__ld(&s->epoch) != 0)
            slot_write(s, 0, POISON, 0, NULL, w->width); /* epoch 0: never a sample */
    }

    /* Readers may sleep until set_wake says otherwise. Clearing a stale
     * "never wakes" mark needs no handshake: a reader that still sees it
     * polls, which is never wrong, only slower. */
    shmseq__st(&reg->w.flags, 0);

    uint32_t epoch = shmseq__ld(&reg->w.epoch) + 1u;
    if (epoch == 0)
        epoch = 1;
    w->epoch = epoch;
    shmseq__st_release(&reg->w.epoch, epoch);
    return 0;
}

void shmseq_ring_writer_set_wake(shmseq_ring_writer *w,
                                 void (*wake)(void *ctx, void *word),
                                 void *ctx, bool readers_sleep)
{
    assert(w != NULL && w->region != NULL);
    struct shmseq__region *reg = w->region;

    w->wake = readers_sleep ? wake : NULL; /* NULL: publish makes no fence */
    w->wake_ctx = readers_sleep ? ctx : NULL;
    shmseq__st(&reg->w.flags, readers_sleep ? 0u : SHMSEQ__WF_NO_WAKE);
    /* Wake every sleeper once, whatever the "waiting" flag says. A writer
     * that died between its exchange of the flag and its wake left readers
     * asleep with the flag down: no publish would ever wake them.
     * Changing to "never wakes" is the
     * Dekker handshake of shmseq_ring_sleep() on the mark instead of
     * head: the reader raises "waiting", fences, then looks at the mark; we
     * store the mark, fence, then wake. Either it sees the mark and polls,
     * or it sleeps with the futex value it read before our increment and
     * returns at once or is woken. One system call per writer open. */
    shmseq__wake_all(&reg->r.futex, &reg->r.waiting);
    if (wake != NULL)
        wake(ctx, (void *)&reg->r.futex);
}

int shmseq_ring_publish(shmseq_ring_writer *w, const double *values,
                        uint64_t timestamp_ns)
{
    assert(w != NULL && w->region != NULL && values != NULL);
    struct shmseq__region *reg = w->region;
    uint64_t n = w->next;

    slot_write(slot_at(w->slots, w->slot_size, w->mask, n), w->epoch, n,
               timestamp_ns, values, w->width);
    /* Pairs with the acquire load of head in readers: a reader that sees
     * head > n finds slot n complete (or already rewritten). */
    shmseq__st_release(&reg->w.head, (uint32_t)(n + 1u));
    w->next = n + 1u;

    /* The wake handshake (wake.h) with readers in shmseq_ring_sleep():
     * either a reader sees the head stored above or we see it announced.
     * Clearing the flag as we wake means a reader that died asleep costs
     * at most one wake call, never one per publish. */
    if (w->wake != NULL && shmseq__wake_claim(&reg->r.futex, &reg->r.waiting))
        w->wake(w->wake_ctx, (void *)&reg->r.futex);
    return 0;
}

void shmseq_ring_writer_set_pid(shmseq_ring_writer *w, uint32_t pid)
{
    assert(w != NULL && w->region != NULL);
    shmseq__st(&w->region->w.writer_pid, pid);
}

uint64_t shmseq_ring_writer_next(const shmseq_ring_writer *w)
{
    assert(w != NULL);
    return w->next;
}

int shmseq_ring_reader_attach(shmseq_ring_reader *r, const void *mem,
                              size_t size, unsigned flags)
{
    assert(r != NULL);
    if ((flags & ~(unsigned)(SHMSEQ_START_OLDEST | SHMSEQ_READER_POLL)) != 0)
        return -EINVAL;
    shmseq_region_info info;
    int rc = shmseq_ring_check(mem, size, &info);
    if (rc < 0)
        return rc;

    memset(r, 0, sizeof *r);
    r->region = mem;
    r->slots = (const unsigned char *)mem + SHMSEQ_HEADER_SIZE;
    r->width = info.width;
    r->mask = info.capacity - 1u;
    r->slot_size = info.slot_size;
    r->flags = flags;
    uint64_t h = info.head;
    if (flags & SHMSEQ_START_OLDEST)
        r->next = h > info.capacity ? h - info.capacity : 0;
    else
        r->next = h;
    r->first = r->next;
    return 0;
}

void shmseq_ring_reader_set_sleep(shmseq_ring_reader *r, void *ctl,
                                  shmseq_ring_sleep_fn sleep, void *ctx)
{
    assert(r != NULL);
    r->ctl = sleep != NULL ? ctl : NULL;
    r->sleep = ctl != NULL ? sleep : NULL;
    r->sleep_ctx = r->sleep != NULL ? ctx : NULL;
}

/*
 * The reader fell behind (or found its sample overwritten): skip to a
 * sample still in the ring, with some headroom so a writer running flat
 * out does not overwrite it again at once. Every skipped number is lost.
 */
static void resync(shmseq_ring_reader *r)
{
    uint64_t cap = (uint64_t)r->mask + 1u;
    uint64_t h = head64(r->region, r->slots, r->slot_size, r->mask, r->next,
                        true);
    uint64_t headroom = cap >> 3 ? cap >> 3 : 1u;
    uint64_t to = h >= cap ? h - cap + headroom : 0;
    /* The expected sample is gone: skip at least it. */
    if (to <= r->next)
        to = r->next + 1u;
    r->lost += to - r->next;
    r->next = to;
}

static void deliver(shmseq_ring_reader *r, const struct payload *p,
                    shmseq_sample *meta, double *values)
{
    if (values != NULL)
        for (uint32_t v = 0; v < r->width; v++)
            values[v] = shmseq__bits_f64(p->values[v]);
    if (p->epoch != r->epoch) {
        if (r->epoch != 0)
            r->epoch_changes++;
        r->epoch = p->epoch;
    }
    if (meta != NULL) {
        meta->seq = p->number;
        meta->timestamp_ns = p->ts;
        meta->lost = r->lost - r->lost_reported;
        meta->epoch = p->epoch;
        meta->width = r->width;
    }
    r->lost_reported = r->lost;
    r->received++;
    r->next = p->number + 1u;
}

static int check_room(const shmseq_ring_reader *r, const double *values,
                      uint32_t max_values)
{
    assert(values != NULL || max_values == 0);
    if (values != NULL && max_values < r->width)
        return -EMSGSIZE;
    return 0;
}

/*
 * Samples published that @r has not passed, from the 32-bit head (mod
 * 2^32; 0: none). The acquire load pairs with the writer's release store
 * of head: a slot whose number head has passed is completely written.
 */
static uint32_t unread(const shmseq_ring_reader *r)
{
    uint32_t n = shmseq__ld_acquire(&r->region->w.head) - (uint32_t)r->next;
    /* One short: the fast path in shmseq_ring_read() took sample next - 1
     * from its slot before the writer's store of head reached us. Nothing
     * unread, not a lap of 2^32 - 1 samples. */
    return n == UINT32_MAX ? 0 : n;
}

int shmseq_ring_read(shmseq_ring_reader *r, shmseq_sample *meta,
                     double *values, uint32_t max_values)
{
    assert(r != NULL && r->region != NULL);
    int rc = check_room(r, values, max_values);
    if (rc < 0)
        return rc;

    struct payload p;
    /* Fast path: the slot of the expected sample, before head. The seqlock
     * alone proves a whole sample numbered next (sample numbers are never
     * reused), so a reader that keeps up takes one cache-line transfer per
     * sample instead of two (head, then the slot) and polls the line the
     * writer writes. One attempt only: anything else (not written yet,
     * busy, overwritten, epoch 0) is sorted out below with head. We may get
     * here one sample ahead of the head we can see: see unread(). */
    if (slot_try(cslot_at(r->slots, r->slot_size, r->mask, r->next), r->width,
                 &p) &&
        p.number == r->next && p.epoch != 0) {
        deliver(r, &p, meta, values);
        return 0;
    }
    for (int round = 0; round < READ_ROUNDS; round++) {
        uint32_t avail = unread(r);
        if (avail == 0)
            return -EAGAIN;
        if (avail > r->mask + 1u) { /* lapped (or a lying head) */
            resync(r);
            continue;
        }
        bool whole = slot_copy(cslot_at(r->slots, r->slot_size, r->mask, r->next),
                               r->width, &p);
        /* Epoch 0 is never a writer's: a zeroed slot (a region truncated
         * and regrown under us) or a repaired one. Not a sample. */
        if (whole && p.number == r->next && p.epoch != 0) {
            deliver(r, &p, meta, values);
            return 0;
        }
        if (whole && p.number > r->next) { /* overwritten, or repaired */
            resync(r);
            continue;
        }
        /* Sample next was published (head is past it), yet its slot is
         * being written (odd or changing) or holds an older number. Only a
         * writer overwriting it with next + k * capacity — or a writer that
         * died doing so, or a corrupt slot — does that: the sample is gone.
         * Count exactly that one lost and go on; waiting would hang a
         * reader on a dead writer's half-written slot. */
        r->lost++;
        r->next++;
    }
    return -EAGAIN;
}

int shmseq_ring_read_many(shmseq_ring_reader *r, shmseq_sample *meta,
                          double *values, uint32_t stride, uint32_t max_n)
{
    assert(r != NULL && r->region != NULL);
    if (max_n == 0)
        return -EINVAL;
    int rc = check_room(r, values, stride);
    if (rc < 0)
        return rc;
    /* N single reads, so the loss accounting is theirs exactly: each meta
     * carries the samples skipped just before it. The cap on n keeps the
     * count representable in the int return. */
    uint32_t n = 0;
    if (max_n > (uint32_t)INT_MAX)
        max_n = (uint32_t)INT_MAX;
    while (n < max_n &&
           shmseq_ring_read(r, meta != NULL ? &meta[n] : NULL,
                            values != NULL ? values + (size_t)n * stride : NULL,
                            stride) == 0)
        n++;
    return n > 0 ? (int)n : -EAGAIN;
}

int shmseq_ring_read_latest(shmseq_ring_reader *r, shmseq_sample *meta,
                            double *values, uint32_t max_values)
{
    assert(r != NULL && r->region != NULL);
    int rc = check_room(r, values, max_values);
    if (rc < 0)
        return rc;

    struct payload p;
    for (int round = 0; round < READ_ROUNDS; round++) {
        uint32_t avail = unread(r);
        if (avail == 0)
            return -EAGAIN;
        uint64_t head = avail <= r->mask + 1u
                            ? r->next + avail
                            : head64(r->region, r->slots, r->slot_size, r->mask,
                                     r->next, true);
        if (head <= r->next)
            return -EAGAIN;
        uint64_t want = head - 1u;
        if (!slot_copy(cslot_at(r->slots, r->slot_size, r->mask, want),
                       r->width, &p))
            return -EAGAIN;
        if (p.number == want && p.epoch == 0) { /* not a sample: gone */
            r->lost += want + 1u - r->next;
            r->next = want + 1u;
            return -EAGAIN;
        }
        if (p.number == want) {
            r->lost += want - r->next;
            deliver(r, &p, meta, values);
            return 0;
        }
        if (p.number < want || p.number == POISON)
            return -EAGAIN;
        /* p.number > want: the writer lapped us while we looked; again. */
    }
    return -EAGAIN;
}

uint64_t shmseq_ring_reader_head(const shmseq_ring_reader *r)
{
    assert(r != NULL && r->region != NULL);
    /* head64 trusts the hint's high bits only when the slot cannot confirm
     * them; never report less than what this reader already passed. */
    uint64_t h = head64(r->region, r->slots, r->slot_size, r->mask, r->next,
                        true);
    return h < r->next ? r->next : h;
}

bool shmseq_ring_ready(const shmseq_ring_reader *r)
{
    assert(r != NULL && r->region != NULL);
    return unread(r) != 0;
}

void shmseq_ring_reader_stats(const shmseq_ring_reader *r,
                              shmseq_reader_stats *out)
{
    assert(r != NULL && out != NULL);
    out->received = r->received;
    out->lost = r->lost;
    out->first = r->first;
    out->next = r->next;
    out->epoch = r->epoch;
    out->epoch_changes = r->epoch_changes;
}

uint32_t shmseq_ring_reader_width(const shmseq_ring_reader *r)
{
    assert(r != NULL);
    return r->width;
}

/* The writer's "never wakes" mark (a hint when read alone; authoritative
 * only after the announcement in shmseq_ring_sleep()). */
static bool writer_never_wakes(const shmseq_ring_reader *r)
{
    return (shmseq__ld(&r->region->w.flags) & SHMSEQ__WF_NO_WAKE) != 0;
}

bool shmseq_ring_reader_can_sleep(const shmseq_ring_reader *r)
{
    assert(r != NULL);
    return r->sleep != NULL && (r->flags & SHMSEQ_READER_POLL) == 0 &&
           !writer_never_wakes(r);
}

int shmseq_ring_sleep(shmseq_ring_reader *r, int64_t timeout_ns)
{
    assert(r != NULL && r->region != NULL);
    /* Not can_sleep(): the mark it reads is a hint until after the fence
     * below, which is where it is answered. */
    if (r->sleep == NULL || (r->flags & SHMSEQ_READER_POLL) != 0)
        return -EAGAIN;
    struct shmseq__reader_line *ctl = r->ctl;
    /* Announce, then look (wake.h): the fence in the announcement pairs
     * with the one in shmseq_ring_publish() for head, and with the one in
     * shmseq_ring_writer_set_wake() for the "never wakes" mark. */
    uint32_t value = shmseq__wake_announce(&ctl->futex, &ctl->waiting);
    if (writer_never_wakes(r))
        return -EAGAIN; /* nobody would wake us: poll */
    if (shmseq_ring_ready(r))
        return 0;
    /* Nothing to withdraw afterwards: the flag is the writer's to clear (a
     * stale flag costs the writer one wake call, then it is gone). */
    return r->sleep(r->sleep_ctx, (void *)&ctl->futex, value, timeout_ns);
}

int shmseq__ring_test_start(void *mem, size_t size, uint64_t first,
                            uint32_t seq)
{
    if (seq & 1u)
        return -EINVAL;
    shmseq_region_info info;
    int rc = shmseq_ring_check(mem, size, &info);
    if (rc < 0)
        return rc;
    struct shmseq__region *reg = mem;
    unsigned char *slots = (unsigned char *)mem + SHMSEQ_HEADER_SIZE;
    uint32_t mask = info.capacity - 1u;
    for (uint32_t i = 0; i < info.capacity; i++)
        shmseq__st(&slot_at(slots, info.slot_size, mask, i)->seq, seq);
    /* Sample first - 1 "exists", so head64() recovers the high bits. */
    if (first != 0) {
        struct shmseq__slot *s = slot_at(slots, info.slot_size, mask, first - 1u);
        slot_write(s, 0, first - 1u, 0, NULL, info.width);
    }
    shmseq__st_release(&reg->w.head, (uint32_t)first);
    return 0;
}
