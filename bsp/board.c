/* SPDX-License-Identifier: MIT */
/*
 * The board table. Each board is a const description in its own folder
 * (bsp/<board>/board.c); this file only lists them so tools can find one by
 * name or list them all (--list-boards).
 */
#include <stddef.h>
#include <string.h>

#include "bsp_internal.h"

static const shmseq_board *const boards[] = {
    &shmseq__board_desktop,
    &shmseq__board_qemu_virt_aarch64,
    &shmseq__board_raspberrypi4,
    &shmseq__board_raspberrypi4_thermal,
    &shmseq__board_raspberrypi4_spi_adc,
};

const shmseq_board *shmseq_board_at(size_t i)
{
    return i < sizeof boards / sizeof boards[0] ? boards[i] : NULL;
}

const shmseq_board *shmseq_board_find(const char *name)
{
    const shmseq_board *b;
    size_t i;

    if (name == NULL)
        return NULL;
    for (i = 0; (b = shmseq_board_at(i)) != NULL; i++)
        if (strcmp(b->name, name) == 0)
            return b;
    return NULL;
}
