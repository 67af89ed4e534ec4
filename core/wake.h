/* SPDX-License-Identifier: MIT */
/*
 * The wait/wake handshake: named accessors for the two words of the
 * reader-control line, the futex word and the "waiting" flag.
 *
 * A reader that found nothing to read announces that it will sleep and
 * looks once more; the writer, after it published, looks for an announcing
 * reader and wakes every sleeper. No wake-up may be lost, and the writer
 * pays a system call only while a reader announced. docs/protocol.md
 * ("Blocking reads") gives the argument step by step, with the litmus case
 * of two sleeping readers; the letters below are its names.
 *
 *   reader: wake_announce                  writer: publish, then wake_claim
 *     v = load futex        seq_cst  (V)     store head            release  (E)
 *     store waiting = 1     seq_cst  (S)     fence(seq_cst)                 (F)
 *     fence(seq_cst)                 (G)     load waiting          relaxed
 *   then: load head (or the mark);           exchange(waiting, 0)  acquire  (X)
 *   nothing new: sleep while futex == v      futex += 1            release  (I)
 *                                            wake every sleeper
 *
 *  - (G) and (F) are the Dekker pair: in their total order either the
 *    reader's look after (G) sees (E), or the writer's look after (F) sees
 *    (S) or a later store of the flag.
 *  - (I) is a release read by (V), an acquire: a reader whose v is an
 *    increment's value also sees the exchange sequenced before it, so its
 *    flag store (S) lands after that exchange and the next (F) finds it.
 *  - (X) acquires from (S) when it reads that reader's own store: the v
 *    read before (S) is then older than the increment that follows (X).
 *
 * Every store to the futex word after format is an increment (a
 * read-modify-write), so an increment heads a release sequence holding all
 * later ones. Only the writer clears the flag; readers only raise it.
 *
 * @code
 * // reader (shmseq_ring_sleep)            // writer (shmseq_ring_publish)
 * uint32_t v = shmseq__wake_announce(      shmseq__st_release(&head, n + 1);
 *     &futex, &waiting);                   if (shmseq__wake_claim(&futex, &waiting))
 * if (!new_data())                             wake(&futex);
 *     sleep_while_equal(&futex, v);
 * @endcode
 */
#ifndef SHMSEQ_CORE_WAKE_H
#define SHMSEQ_CORE_WAKE_H

#include <stdbool.h>
#include <stdatomic.h>
#include <stdint.h>

#include "layout.h"

/** Reader: read the value to sleep on (V), raise the flag (S), then the
 *  full fence (G) that pairs with the writer's (F) or (F'). The caller
 *  looks at head (or the writer's mark) after this, never before. */
static inline uint32_t shmseq__wake_announce(const shmseq__word *futex,
                                             shmseq__word *waiting)
{
    /* (V): acquire (seq_cst) pairs with the release increment (I). It is
     * read before the flag is raised: a writer that sees the flag
     * increments after it. */
    uint32_t v = atomic_load_explicit(futex, memory_order_seq_cst);
    atomic_store_explicit(waiting, 1u, memory_order_seq_cst); /* (S) */
    atomic_thread_fence(memory_order_seq_cst);                /* (G) */
    return v;
}

/** Writer: bump the futex word (I). Release: pairs with the reader's (V),
 *  so a reader that reads this value sees the exchange before it. */
static inline void shmseq__wake_bump(shmseq__word *futex)
{
    atomic_fetch_add_explicit(futex, 1u, memory_order_release);
}

/** Writer: take the flag down (X); true if a reader had raised it. Acquire:
 *  pairs with (S) of the reader whose store it reads. */
static inline bool shmseq__wake_take_flag(shmseq__word *waiting)
{
    return atomic_exchange_explicit(waiting, 0u, memory_order_acquire) != 0;
}

/** Writer, after its head store (E): the full fence (F) that pairs with a
 *  reader's (G), then, if a reader announced, take the flag and bump the
 *  futex word. True: the caller must wake every sleeper now. */
static inline bool shmseq__wake_claim(shmseq__word *futex,
                                      shmseq__word *waiting)
{
    atomic_thread_fence(memory_order_seq_cst); /* (F) */
    /* The plain look first keeps the cache line shared while nobody
     * sleeps; it reads (S) or later, by (F) against (G). */
    if (atomic_load_explicit(waiting, memory_order_relaxed) == 0 ||
        !shmseq__wake_take_flag(waiting))
        return false;
    shmseq__wake_bump(futex);
    return true;
}

/** Writer, after a store the readers look at in place of head (the
 *  "never wakes" mark): the full fence (F') that pairs with a reader's
 *  (G), then take the flag and bump the futex word whatever the flag said.
 *  The caller wakes every sleeper next: a writer that died between its
 *  exchange and its wake left sleepers with the flag down. */
static inline void shmseq__wake_all(shmseq__word *futex, shmseq__word *waiting)
{
    atomic_thread_fence(memory_order_seq_cst); /* (F') */
    (void)shmseq__wake_take_flag(waiting);
    shmseq__wake_bump(futex);
}

#endif /* SHMSEQ_CORE_WAKE_H */
