/* SPDX-License-Identifier: MIT */
/*
 * AArch64 (included through arch.h only).
 *
 * `yield` is the architectural spin-wait hint (a no-op where the core
 * ignores it).
 */
#ifndef SHMSEQ_ARCH_AARCH64_H
#define SHMSEQ_ARCH_AARCH64_H

static inline void shmseq_cpu_relax(void)
{
    __asm__ __volatile__("yield" ::: "memory");
}

#endif /* SHMSEQ_ARCH_AARCH64_H */
