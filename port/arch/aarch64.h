/* SPDX-License-Identifier: MIT */
/*
 * AArch64 (included through arch.h only).
 *
 * `yield` is the architectural spin-wait hint (a no-op where the core
 * ignores it).
 *
 * Cache line: 64 bytes on the Cortex-A cores this project targets
 * (Raspberry Pi 4, QEMU virt). Apple cores and some Neoverse parts prefetch
 * in 128-byte pairs, which would argue for 128, but SHMSEQ_CACHE_LINE only
 * pads process-local data, so 64 costs at most some false sharing there and
 * never correctness; the shared layout is fixed separately.
 */
#ifndef SHMSEQ_ARCH_AARCH64_H
#define SHMSEQ_ARCH_AARCH64_H

#define SHMSEQ_CACHE_LINE 64

static inline void shmseq_cpu_relax(void)
{
    __asm__ __volatile__("yield" ::: "memory");
}

#endif /* SHMSEQ_ARCH_AARCH64_H */
