/* SPDX-License-Identifier: MIT */
/*
 * Per-architecture helpers, behind one dispatcher.
 *
 * Everything that differs between CPUs lives in one small header per
 * architecture (port/arch/<arch>.h); this file only picks the right one, so
 * no other file carries an architecture #ifdef. Each arch header defines
 * exactly:
 *
 *   static inline void shmseq_cpu_relax(void);   spin-wait hint
 *
 * The shared region's layout uses the fixed SHMSEQ_LINE_SIZE (64 bytes on
 * every ABI, <shmseq/ring.h>), not the CPU's cache-line size.
 *
 * Porting to a new CPU: add port/arch/<arch>.h and one line below.
 */
#ifndef SHMSEQ_ARCH_H
#define SHMSEQ_ARCH_H

#if defined(__x86_64__) || defined(__i386__)
#include "x86.h"
#elif defined(__aarch64__)
#include "aarch64.h"
#elif defined(__arm__)
#include "arm.h"
#elif defined(__riscv)
#include "riscv.h"
#else
#error "shmseq: unknown architecture: add port/arch/<arch>.h"
#endif

#endif /* SHMSEQ_ARCH_H */
