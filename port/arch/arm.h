/* SPDX-License-Identifier: MIT */
/*
 * 32-bit ARM, e.g. Debian armhf (ARMv7-A) (included through arch.h only).
 *
 * `yield` exists from ARMv6K on (armhf's baseline is ARMv7); older cores
 * would need a plain nop here.
 */
#ifndef SHMSEQ_ARCH_ARM_H
#define SHMSEQ_ARCH_ARM_H

static inline void shmseq_cpu_relax(void)
{
    __asm__ __volatile__("yield" ::: "memory");
}

#endif /* SHMSEQ_ARCH_ARM_H */
