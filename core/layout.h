/* SPDX-License-Identifier: MIT */
/*
 * The shared region layout, byte for byte (docs/layout.md draws it).
 *
 * Every word is a 32-bit atomic: lock-free and address-free on every
 * target (armv7 included), and its loads never write, so a read-only
 * mapping works. 64-bit quantities travel as lo/hi word pairs inside the
 * seqlock-protected slot payload. No pointer, size_t or long appears here,
 * and every offset is pinned below, so a 32-bit armhf process and a 64-bit
 * process share one region (invariant 6).
 *
 *   0                  line 0 (static)   written once by format, magic last
 *   64                 line 1 (writer)   head, epoch, writer pid, writer flags
 *   SHMSEQ_CTL_OFFSET  line 2 (readers)  futex word, "waiting" flag
 *   SHMSEQ_HEADER_SIZE slots             capacity x slot_size bytes
 *
 * The reader-control line and the slots each start on a SHMSEQ_PAGE_MAX
 * boundary: a reader maps that one page writable, and no byte any other
 * reader trusts lies on it. The bytes between are padding, zero.
 */
#ifndef SHMSEQ_CORE_LAYOUT_H
#define SHMSEQ_CORE_LAYOUT_H

#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <shmseq/ring.h>

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
               "shmseq needs lock-free (address-free) 32-bit atomics");
_Static_assert(sizeof(unsigned int) == 4, "unsigned int must be 32 bits");
_Static_assert(CHAR_BIT == 8, "8-bit bytes");

/** The only atomic type in shared memory. */
typedef _Atomic uint32_t shmseq__word;
/* NOLINTNEXTLINE(misc-redundant-expression): sizeof and _Alignof differ; clang-tidy 14 compares the folded 4s */
_Static_assert(sizeof(shmseq__word) == 4 && _Alignof(shmseq__word) == 4,
               "32-bit atomic words must be plain 4-byte words");

#define SHMSEQ__MAGIC 0x51534d53u      /* "SMSQ" read as little-endian */
#define SHMSEQ__BOM 0x01020304u        /* reads 0x04030201 on the other endian */
#define SHMSEQ__LINE_WORDS (SHMSEQ_LINE_SIZE / 4u)

/** Line 0: static after format. */
struct shmseq__static_line {
    shmseq__word magic;         /* SHMSEQ__MAGIC, stored last (release) */
    shmseq__word version;       /* SHMSEQ_LAYOUT_VERSION */
    shmseq__word byte_order;    /* SHMSEQ__BOM */
    shmseq__word header_size;   /* SHMSEQ_HEADER_SIZE */
    shmseq__word slot_size;     /* shmseq_slot_size(width) */
    shmseq__word width;
    shmseq__word capacity;
    shmseq__word line_size;     /* SHMSEQ_LINE_SIZE */
    shmseq__word region_size_lo;
    shmseq__word region_size_hi;
    shmseq__word created_rt_lo; /* CLOCK_REALTIME at creation */
    shmseq__word created_rt_hi;
    shmseq__word created_mono_lo; /* CLOCK_MONOTONIC at creation */
    shmseq__word created_mono_hi;
    shmseq__word ctl_offset;    /* SHMSEQ_CTL_OFFSET */
    shmseq__word reserved;
};

/** Line 1: written by the writer only. */
struct shmseq__writer_line {
    shmseq__word head;       /* low 32 bits of the next sample number */
    shmseq__word epoch;      /* 0: never attached; +1 per writer */
    shmseq__word writer_pid; /* display only: liveness is the kernel lock */
    shmseq__word flags;      /* SHMSEQ__WF_*: how this writer serves readers */
    shmseq__word reserved[SHMSEQ__LINE_WORDS - 4];
};

/* The writer never wakes sleeping readers (it publishes without the full
 * fence of the wake handshake): readers must poll. Set and cleared only by
 * shmseq_ring_writer_set_wake(). */
#define SHMSEQ__WF_NO_WAKE 0x1u

/** Line 2: the only line readers write. */
struct shmseq__reader_line {
    shmseq__word futex;    /* bumped by the writer to wake sleepers */
    shmseq__word waiting;  /* nonzero: a reader may sleep on futex; the
                              writer clears it when it wakes them */
    shmseq__word reserved[SHMSEQ__LINE_WORDS - 2];
};

struct shmseq__region {
    struct shmseq__static_line s;
    struct shmseq__writer_line w;
    shmseq__word pad0[(SHMSEQ_CTL_OFFSET - 2u * SHMSEQ_LINE_SIZE) / 4u];
    struct shmseq__reader_line r;
    shmseq__word pad1[(SHMSEQ_HEADER_SIZE - SHMSEQ_CTL_OFFSET - SHMSEQ_LINE_SIZE) / 4u];
    /* slots follow, at SHMSEQ_HEADER_SIZE */
};

/** Slot: sequence word, then the payload words. */
struct shmseq__slot {
    shmseq__word seq;       /* odd while being written */
    shmseq__word epoch;     /* writer epoch that wrote it */
    shmseq__word number_lo; /* sample number */
    shmseq__word number_hi;
    shmseq__word ts_lo;     /* timestamp, ns */
    shmseq__word ts_hi;
    shmseq__word values[];  /* width x (lo, hi) words of float64 bits */
};

#define SHMSEQ__SLOT_FIXED_WORDS 6u /* seq .. ts_hi */
#define SHMSEQ__SLOT_META_BYTES (SHMSEQ__SLOT_FIXED_WORDS * 4u)

/* Pin every offset: the layout is the same on every ABI. */
_Static_assert(sizeof(struct shmseq__static_line) == SHMSEQ_LINE_SIZE, "line 0");
_Static_assert(sizeof(struct shmseq__writer_line) == SHMSEQ_LINE_SIZE, "line 1");
_Static_assert(sizeof(struct shmseq__reader_line) == SHMSEQ_LINE_SIZE, "line 2");
_Static_assert(sizeof(struct shmseq__region) == SHMSEQ_HEADER_SIZE, "header");
_Static_assert(offsetof(struct shmseq__region, s.magic) == 0, "magic");
_Static_assert(offsetof(struct shmseq__region, s.version) == 4, "version");
_Static_assert(offsetof(struct shmseq__region, s.byte_order) == 8, "bom");
_Static_assert(offsetof(struct shmseq__region, s.header_size) == 12, "hdr");
_Static_assert(offsetof(struct shmseq__region, s.slot_size) == 16, "slot");
_Static_assert(offsetof(struct shmseq__region, s.width) == 20, "width");
_Static_assert(offsetof(struct shmseq__region, s.capacity) == 24, "cap");
_Static_assert(offsetof(struct shmseq__region, s.line_size) == 28, "line");
_Static_assert(offsetof(struct shmseq__region, s.region_size_lo) == 32, "size");
_Static_assert(offsetof(struct shmseq__region, s.created_rt_lo) == 40, "rt");
_Static_assert(offsetof(struct shmseq__region, s.created_mono_lo) == 48, "mono");
_Static_assert(offsetof(struct shmseq__region, s.ctl_offset) == 56, "ctl offset");
_Static_assert(offsetof(struct shmseq__region, w.head) == 64, "head");
_Static_assert(offsetof(struct shmseq__region, w.epoch) == 68, "epoch");
_Static_assert(offsetof(struct shmseq__region, w.writer_pid) == 72, "pid");
_Static_assert(offsetof(struct shmseq__region, w.flags) == 76, "writer flags");
_Static_assert(SHMSEQ_CTL_OFFSET == 65536u && SHMSEQ_HEADER_SIZE == 131072u,
               "the reader-control line and the ring on their own 64 KiB");
_Static_assert(offsetof(struct shmseq__region, r.futex) == SHMSEQ_CTL_OFFSET, "futex");
_Static_assert(offsetof(struct shmseq__region, r.waiting) == SHMSEQ_CTL_OFFSET + 4u,
               "waiting");
_Static_assert(offsetof(struct shmseq__slot, seq) == 0, "slot seq");
_Static_assert(offsetof(struct shmseq__slot, epoch) == 4, "slot epoch");
_Static_assert(offsetof(struct shmseq__slot, number_lo) == 8, "slot number");
_Static_assert(offsetof(struct shmseq__slot, ts_lo) == 16, "slot ts");
_Static_assert(offsetof(struct shmseq__slot, values) == SHMSEQ__SLOT_META_BYTES,
               "slot values");
_Static_assert(sizeof(double) == 8 && sizeof(uint64_t) == 8, "float64");

#endif /* SHMSEQ_CORE_LAYOUT_H */
