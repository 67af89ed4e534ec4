/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the sysfs-backed sensor drivers (iio, thermal) and the
 * replay driver: walking a "key=value,key=value" parameter string and its
 * ':'-separated lists, finding a sysfs directory by the content of one of
 * its files, and reading one number from a kept-open attribute with
 * pread() - the only call the periodic task makes.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bsp_internal.h"

/* 2^53: beyond it a double no longer holds every integer, and no sysfs
 * attribute a driver reads has such values; larger means garbage. */
#define SYSFS_VALUE_MAX 9007199254740992.0

int shmseq__param_next(const char **cursor, const char *driver, char *key,
                       size_t key_size, char *val, size_t val_size,
                       char *why, size_t why_size)
{
    const char *s = *cursor;
    size_t n, klen;
    const char *eq;

    if (*s == '\0')
        return 0;
    n = strcspn(s, ",");
    eq = memchr(s, '=', n);
    if (n == 0 || eq == NULL) {
        snprintf(why, why_size, "%s: '%.*s' is not key=value", driver,
                 (int)(n < 40 ? n : 40), s);
        return -EINVAL;
    }
    klen = (size_t)(eq - s);
    if (klen == 0 || klen >= key_size || n - klen - 1 >= val_size) {
        snprintf(why, why_size, "%s: parameter '%.*s' is empty or too long",
                 driver, (int)(n < 40 ? n : 40), s);
        return -EINVAL;
    }
    memcpy(key, s, klen);
    key[klen] = '\0';
    memcpy(val, eq + 1, n - klen - 1);
    val[n - klen - 1] = '\0';
    s += n;
    if (*s == ',') {
        s++;
        if (*s == '\0') {
            snprintf(why, why_size, "%s: trailing ','", driver);
            return -EINVAL;
        }
    }
    *cursor = s;
    return 1;
}

int shmseq__list_next(const char **cursor, char *item, size_t item_size)
{
    const char *s = *cursor;
    size_t n;

    if (*s == '\0')
        return 0;
    n = strcspn(s, ":");
    if (n == 0 || n >= item_size)
        return -EINVAL;
    memcpy(item, s, n);
    item[n] = '\0';
    s += n;
    if (*s == ':') {
        s++;
        if (*s == '\0')
            return -EINVAL;
    }
    *cursor = s;
    return 1;
}

int shmseq__parse_number(const char *s, double *out)
{
    char *end;
    double v;

    while (*s == ' ' || *s == '\t')
        s++;
    if (*s == '\0')
        return -EINVAL;
    errno = 0;
    v = strtod(s, &end);
    if (end == s || errno == ERANGE)
        return -EINVAL;
    while (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')
        end++;
    if (*end != '\0' || !isfinite(v) || fabs(v) > SYSFS_VALUE_MAX)
        return -EINVAL;
    *out = v;
    return 0;
}

int shmseq__sysfs_open(const char *path, int *fd)
{
    int f = open(path, O_RDONLY | O_CLOEXEC);

    if (f < 0)
        return -errno;
    *fd = f;
    return 0;
}

int shmseq__sysfs_read(int fd, double *out)
{
    /* sysfs hands out a whole attribute from offset 0; 64 bytes hold any
     * number it prints, so a full buffer means the content is not one. */
    char buf[64];
    ssize_t n;

    do
        n = pread(fd, buf, sizeof buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return errno != 0 ? -errno : -EIO;
    if ((size_t)n >= sizeof buf)
        return -EOVERFLOW;
    buf[n] = '\0';
    return shmseq__parse_number(buf, out);
}

int shmseq__read_text(const char *path, char *buf, size_t size)
{
    int fd, rc = 0;
    ssize_t n;

    if (size < 2)
        return -EINVAL;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        rc = -errno;
    (void)close(fd);
    if (rc < 0)
        return rc;
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' ||
                     buf[n - 1] == '\r' || buf[n - 1] == '\t'))
        buf[--n] = '\0';
    return 0;
}

int shmseq__path(char *out, size_t size, const char *a, const char *b,
                 const char *c)
{
    int n = snprintf(out, size, "%s/%s%s%s", a, b, c != NULL ? "/" : "",
                     c != NULL ? c : "");

    return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* prefix followed by decimal digits only ("iio:device12", "hwmon3"). */
static int numbered(const char *entry, const char *prefix, unsigned long *num)
{
    size_t plen = strlen(prefix);
    char *end;

    if (strncmp(entry, prefix, plen) != 0 || entry[plen] < '0' ||
        entry[plen] > '9')
        return 0;
    *num = strtoul(entry + plen, &end, 10);
    return *end == '\0';
}

int shmseq__dir_find(const char *dir, const char *prefix, const char *file,
                     const char *want, char *out, size_t out_size)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    unsigned long best = 0, num;
    int found = 0, rc;

    if (d == NULL)
        return -errno;
    /* The lowest number wins, so that the choice does not depend on the
     * order readdir() happens to return. */
    while ((e = readdir(d)) != NULL) {
        char path[SHMSEQ__PATH_MAX], text[128];

        if (!numbered(e->d_name, prefix, &num) || (found && num >= best))
            continue;
        if (shmseq__path(path, sizeof path, dir, e->d_name, file) < 0 ||
            shmseq__read_text(path, text, sizeof text) < 0 ||
            strcmp(text, want) != 0)
            continue;
        rc = snprintf(out, out_size, "%s", e->d_name);
        if (rc < 0 || (size_t)rc >= out_size)
            continue;
        best = num;
        found = 1;
    }
    (void)closedir(d);
    return found ? 0 : -ENOENT;
}

void shmseq__why(shmseq_sensor *s, const char *fmt, ...)
{
    va_list ap;

    /* Truncating a long path in the sentence is fine: it still names it. */
    va_start(ap, fmt);
    (void)vsnprintf(s->why, sizeof s->why, fmt, ap);
    va_end(ap);
}

int shmseq__copy(char *dst, size_t size, const char *src)
{
    size_t n = strlen(src);

    if (n >= size)
        return -ENAMETOOLONG;
    memcpy(dst, src, n + 1);
    return 0;
}
