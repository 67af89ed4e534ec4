/* SPDX-License-Identifier: MIT */
/*
 * The seqlock primitive and the named accessors for shared words.
 *
 * One writer, any number of readers; the writer never waits. A sequence
 * word is even when its data is stable and odd while the writer changes it.
 * Data words are read and written with *relaxed atomic* accesses: plain or
 * volatile loads of seqlock-protected data would be a data race in C11
 * (Boehm, MSPC 2012). The fences below are the whole protocol:
 *
 *   writer                                 reader
 *   q = write_begin(&seq)                  do {
 *       store seq q+1 (relaxed)                q = read_begin(&seq)
 *       fence(release)     ---- pairs ---->      load seq (acquire); odd: retry
 *   store data (relaxed)          |            load data (relaxed)
 *   write_end(&seq, q)            |        } while (read_retry(&seq, q))
 *       store seq q+2 (release) --+---->       fence(acquire); reload seq
 *
 *  - write_end's release store pairs with read_begin's acquire load: a
 *    reader that sees q+2 sees all data of that write.
 *  - write_begin's release fence pairs with read_retry's acquire fence: if
 *    the reader's relaxed data loads saw any store of a later write, the
 *    reload of seq sees at least that write's odd value, so it retries.
 *
 * @code
 * uint32_t q;
 * do {
 *     q = shmseq__seq_read_begin(&slot->seq);
 *     if (q & 1u) { relax(); continue; }   // bounded in the caller
 *     copy = shmseq__ld(&slot->data);
 * } while (shmseq__seq_read_retry(&slot->seq, q));
 * @endcode
 *
 * Every shared access in core goes through these helpers, or through
 * those of wake.h for the futex word and the "waiting" flag, so the memory
 * order of each is visible in one place.
 */
#ifndef SHMSEQ_CORE_SEQLOCK_H
#define SHMSEQ_CORE_SEQLOCK_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "layout.h"

/* ---- named accessors ---------------------------------------------------- */

/** Relaxed load: static fields, payload words (inside a seqlock). */
static inline uint32_t shmseq__ld(const shmseq__word *w)
{
    return atomic_load_explicit(w, memory_order_relaxed);
}

/** Relaxed store: payload words (inside a seqlock), format-time fields. */
static inline void shmseq__st(shmseq__word *w, uint32_t v)
{
    atomic_store_explicit(w, v, memory_order_relaxed);
}

/** Acquire load: head, magic. Pairs with shmseq__st_release(). */
static inline uint32_t shmseq__ld_acquire(const shmseq__word *w)
{
    return atomic_load_explicit(w, memory_order_acquire);
}

/** Release store: head after a slot is complete, magic after format. */
static inline void shmseq__st_release(shmseq__word *w, uint32_t v)
{
    atomic_store_explicit(w, v, memory_order_release);
}

static inline uint64_t shmseq__ld64(const shmseq__word *lo, const shmseq__word *hi)
{
    return (uint64_t)shmseq__ld(lo) | ((uint64_t)shmseq__ld(hi) << 32);
}

static inline void shmseq__st64(shmseq__word *lo, shmseq__word *hi, uint64_t v)
{
    shmseq__st(lo, (uint32_t)v);
    shmseq__st(hi, (uint32_t)(v >> 32));
}

static inline uint64_t shmseq__f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double shmseq__bits_f64(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* ---- the seqlock ---------------------------------------------------------- */

/** Writer: mark the data unstable. Returns the (even) previous value. */
static inline uint32_t shmseq__seq_write_begin(shmseq__word *seq)
{
    uint32_t q = atomic_load_explicit(seq, memory_order_relaxed);
    atomic_store_explicit(seq, q + 1u, memory_order_relaxed);
    /* Pairs with the acquire fence in shmseq__seq_read_retry(): data stores
     * below cannot become visible before the odd sequence value. */
    atomic_thread_fence(memory_order_release);
    return q;
}

/**
 * Writer taking over a slot that a dead writer left odd at @p q (as this
 * writer read it): store @p q again, then the release fence of
 * write_begin. Returns the even value before it, for write_end.
 *
 * The dead writer's odd store and fence order nothing for this writer in
 * C11 (only the kernel lock between them does, which is no C11 order): the
 * repair's data stores must follow an odd value this writer stored itself.
 */
static inline uint32_t shmseq__seq_write_resume(shmseq__word *seq, uint32_t q)
{
    atomic_store_explicit(seq, q, memory_order_relaxed);
    /* Pairs with the acquire fence in shmseq__seq_read_retry(), as in
     * write_begin: a reader whose data loads saw a store of the repair
     * reloads this odd value or a later one, and retries. */
    atomic_thread_fence(memory_order_release);
    return q - 1u;
}

/** Writer: mark the data stable again (q from write_begin). */
static inline void shmseq__seq_write_end(shmseq__word *seq, uint32_t q)
{
    /* Pairs with the acquire load in shmseq__seq_read_begin(). */
    atomic_store_explicit(seq, q + 2u, memory_order_release);
}

/** Reader: sample the sequence word. Odd means a write is in progress. */
static inline uint32_t shmseq__seq_read_begin(const shmseq__word *seq)
{
    /* Pairs with the release store in shmseq__seq_write_end(). */
    return atomic_load_explicit(seq, memory_order_acquire);
}

/** Reader: true if the data read since read_begin may be torn. */
static inline bool shmseq__seq_read_retry(const shmseq__word *seq, uint32_t q)
{
    /* Pairs with the release fence in shmseq__seq_write_begin(): keeps the
     * relaxed data loads above before the reload of the sequence word. */
    atomic_thread_fence(memory_order_acquire);
    return (q & 1u) != 0 ||
           atomic_load_explicit(seq, memory_order_relaxed) != q;
}

#endif /* SHMSEQ_CORE_SEQLOCK_H */
