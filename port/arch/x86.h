/* SPDX-License-Identifier: MIT */
/*
 * x86 and x86_64 (included through arch.h only).
 *
 * `pause` tells the core it is in a spin-wait: it saves power, yields the
 * pipeline to the sibling hyper-thread and avoids the memory-order
 * mis-speculation penalty when the awaited store arrives. It is encoded as
 * `rep; nop`, so it also runs on CPUs that predate it.
 */
#ifndef SHMSEQ_ARCH_X86_H
#define SHMSEQ_ARCH_X86_H

static inline void shmseq_cpu_relax(void)
{
    __asm__ __volatile__("pause" ::: "memory");
}

#endif /* SHMSEQ_ARCH_X86_H */
