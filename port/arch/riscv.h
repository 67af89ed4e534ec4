/* SPDX-License-Identifier: MIT */
/*
 * RISC-V, 32 and 64 bit (included through arch.h only).
 *
 * The spin-wait hint is Zihintpause's `pause`. Older assemblers reject the
 * mnemonic unless the extension is in -march, so it is spelled as its
 * encoding: `fence w, 0` (opcode MISC-MEM 0x0F, funct3 0, rd = rs1 = x0,
 * imm 0x010). Cores without Zihintpause execute that as an ordinary fence
 * whose successor set is empty, i.e. a harmless no-op.
 */
#ifndef SHMSEQ_ARCH_RISCV_H
#define SHMSEQ_ARCH_RISCV_H

static inline void shmseq_cpu_relax(void)
{
    __asm__ __volatile__(".insn i 0x0F, 0, x0, x0, 0x010" ::: "memory");
}

#endif /* SHMSEQ_ARCH_RISCV_H */
