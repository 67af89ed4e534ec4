/* SPDX-License-Identifier: MIT */
/*
 * shmseq: one include for the whole public API.
 *
 *  <shmseq/ring.h>    the OS-free seqlock ring on caller memory (core)
 *  <shmseq/region.h>  named shared-memory regions: writer and readers
 *  <shmseq/task.h>    periodic real-time task helper
 *  <shmseq/error.h>   shmseq_strerror()
 */
#ifndef SHMSEQ_SHMSEQ_H
#define SHMSEQ_SHMSEQ_H

#include <shmseq/error.h>
#include <shmseq/ring.h>
#include <shmseq/region.h>
#include <shmseq/task.h>

/** Library version. */
#define SHMSEQ_VERSION_MAJOR 0
#define SHMSEQ_VERSION_MINOR 1
#define SHMSEQ_VERSION_PATCH 0

#endif /* SHMSEQ_SHMSEQ_H */
