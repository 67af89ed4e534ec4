/* SPDX-License-Identifier: MIT */
/*
 * The qemu-virt-aarch64 board: QEMU's "virt" machine with two Cortex-A53
 * cores, booted by tests/system/boot.sh with Debian's arm64
 * kernel (generic or PREEMPT_RT). It is laid out as a small real-time
 * board would be: the sensor task alone on CPU 1 at SCHED_FIFO 80 with its
 * memory locked, the logger on CPU 0 at normal priority, so the logger's
 * CSV writing never preempts a sample. Under emulation the timing means
 * nothing; the board exists to prove the placement and priorities work.
 */
#include "../bsp_internal.h"

const shmseq_board shmseq__board_qemu_virt_aarch64 = {
    .name = "qemu-virt-aarch64",
    .description = "QEMU virt, 2x Cortex-A53: sim sensor, 4 channels at "
                   "1 kHz, SCHED_FIFO 80 on CPU 1, logger on CPU 0",
    .sensor = "sim",
    .sensor_params = "wave=sine,freq=1,amp=1,phase=0.25,noise=0.01,seed=42",
    .width = 4,
    .rate_hz = 1000,
    .capacity = 4096,
    .writer_cpu = 1,
    .writer_priority = 80,
    .logger_cpu = 0,
    .logger_priority = 0,
    .lock_memory = 1,
};
