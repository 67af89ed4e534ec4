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
extern const shmseq_sensor_ops shmseq__sensor_iio;
extern const shmseq_sensor_ops shmseq__sensor_thermal;
extern const shmseq_sensor_ops shmseq__sensor_replay;

/* <board>/board.c */
extern const shmseq_board shmseq__board_desktop;
extern const shmseq_board shmseq__board_qemu_virt_aarch64;
extern const shmseq_board shmseq__board_raspberrypi4;
extern const shmseq_board shmseq__board_raspberrypi4_thermal;
extern const shmseq_board shmseq__board_raspberrypi4_spi_adc;

/* drivers/sysfs.c: helpers for the drivers' open (all but
 * shmseq__sysfs_read, which the periodic task calls, may block). */

/** Room for a sysfs or file path built at open. */
#define SHMSEQ__PATH_MAX 1024u

/* Next "key=value" of a ','-separated parameter string: 1 and *cursor
 * advanced, 0 at the end, -EINVAL (why filled, prefixed by driver). */
int shmseq__param_next(const char **cursor, const char *driver, char *key,
                       size_t key_size, char *val, size_t val_size,
                       char *why, size_t why_size);
/* Next item of a ':'-separated list: 1, 0 at the end, -EINVAL for an
 * empty or overlong item. */
int shmseq__list_next(const char **cursor, char *item, size_t item_size);
/* A finite number, |v| <= 2^53, nothing but blanks around it: 0 or
 * -EINVAL. */
int shmseq__parse_number(const char *s, double *out);
/* open(O_RDONLY | O_CLOEXEC): 0 or -errno. */
int shmseq__sysfs_open(const char *path, int *fd);
/* pread() the whole attribute at offset 0 and parse it as one number.
 * Real-time safe (one syscall, no allocation): 0, -errno of pread,
 * -EOVERFLOW (content too long) or -EINVAL (not a number). */
int shmseq__sysfs_read(int fd, double *out);
/* A small text file's content, trailing blanks and newline removed. */
int shmseq__read_text(const char *path, char *buf, size_t size);
/* out = "a/b" or "a/b/c" (c may be NULL): 0 or -ENAMETOOLONG. */
int shmseq__path(char *out, size_t size, const char *a, const char *b,
                 const char *c);
/* s->why = the formatted sentence, truncated to fit. */
void shmseq__why(shmseq_sensor *s, const char *fmt, ...);
/* strcpy that refuses (-ENAMETOOLONG) rather than truncates. */
int shmseq__copy(char *dst, size_t size, const char *src);
/* The entry of dir named prefix<N> whose file holds exactly want (the
 * lowest N if several): 0 with its name in out, or -ENOENT / -errno. */
int shmseq__dir_find(const char *dir, const char *prefix, const char *file,
                     const char *want, char *out, size_t out_size);

#endif /* SHMSEQ_BSP_INTERNAL_H */
