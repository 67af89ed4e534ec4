/* SPDX-License-Identifier: MIT */
/*
 * The desktop board: any x86_64 or ARM Linux machine without real-time
 * tuning. The sim sensor at 1 kHz, four channels, normal scheduling, no
 * pinning, so the demo runs anywhere without privileges.
 */
#include "../bsp_internal.h"

const shmseq_board shmseq__board_desktop = {
    .name = "desktop",
    .description = "any Linux desktop: sim sensor, 4 channels at 1 kHz, "
                   "no real-time priority",
    .sensor = "sim",
    .sensor_params = "wave=sine,freq=1,amp=1,phase=0.25,noise=0.01,seed=42",
    .width = 4,
    .rate_hz = 1000,
    .capacity = 4096,
    .writer_cpu = -1,
    .writer_priority = 0,
    .logger_cpu = -1,
    .logger_priority = 0,
    .lock_memory = 0,
};
