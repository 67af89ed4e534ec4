/* SPDX-License-Identifier: MIT */
/*
 * The port's region state inside a public handle (never installed).
 *
 * The public shmseq_writer and shmseq_reader carry an opaque, fixed-size
 * shmseq_platform so that callers allocate them without any port header
 * (libuv's way). Only the library, and tests that inspect a mapping, look
 * inside: through these accessors, which are the only place the bytes are
 * reinterpreted, after compile-time checks that the port's state fits.
 */
#ifndef SHMSEQ_SRC_REGION_INTERNAL_H
#define SHMSEQ_SRC_REGION_INTERNAL_H

#include <shmseq/region.h>

#include "shmseq/port.h"

_Static_assert(sizeof(shmseq_port_region) <= sizeof(shmseq_platform),
               "the port's region state must fit in SHMSEQ_PLATFORM_SIZE");
_Static_assert(_Alignof(shmseq_port_region) <= _Alignof(shmseq_platform),
               "shmseq_platform must be aligned for the port's region state");
_Static_assert(SHMSEQ_NAME_MAX <= SHMSEQ_PORT_NAME_MAX,
               "the port must accept every valid region name");

/** The port's region in a handle's platform part. */
static inline shmseq_port_region *shmseq__port(shmseq_platform *p)
{
    return (shmseq_port_region *)(void *)p->bytes;
}

/** The same, read-only. */
static inline const shmseq_port_region *
shmseq__port_const(const shmseq_platform *p)
{
    return (const shmseq_port_region *)(const void *)p->bytes;
}

#endif /* SHMSEQ_SRC_REGION_INTERNAL_H */
