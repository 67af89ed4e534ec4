/* SPDX-License-Identifier: MIT */
/*
 * bsp internals: the built-in drivers and boards, gathered into the tables
 * of sensor.c and board.c. One line here per driver or board; nothing else
 * in the bsp needs to know they exist.
 */
#ifndef SHMSEQ_BSP_INTERNAL_H
#define SHMSEQ_BSP_INTERNAL_H

#include <shmseq/bsp.h>

/* drivers/<name>.c */
extern const shmseq_sensor_ops shmseq__sensor_sim;

/* <board>/board.c */
extern const shmseq_board shmseq__board_desktop;

#endif /* SHMSEQ_BSP_INTERNAL_H */
