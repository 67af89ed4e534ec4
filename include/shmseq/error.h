/* SPDX-License-Identifier: MIT */
/*
 * shmseq error convention.
 *
 * Every fallible shmseq call returns 0 on success or a negative errno value
 * (as libuv does). The values are the host's <errno.h> numbers, so callers
 * compare against -EBUSY, -EAGAIN, ... directly. shmseq_strerror() gives a
 * sentence for every value the library returns, worded for shmseq (e.g.
 * -EBUSY says "another writer holds this region", not "device busy"), and
 * shmseq_errname() its symbolic name; both come from one table in
 * src/error.c. The sentences name no program.
 *
 * Misuse (a NULL handle, a handle used after close) is a programming error
 * and is caught by assert(), not reported as an error code.
 */
#ifndef SHMSEQ_ERROR_H
#define SHMSEQ_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * @brief Describe an error code returned by any shmseq function.
 *
 * @param[in] err  A value returned by a shmseq call (0 or negative errno).
 *                 A positive errno value is accepted too.
 * @return A static, NUL-terminated English sentence; never NULL. Values
 *         shmseq never returns get the C library's text.
 */
const char *shmseq_strerror(int err);

/**
 * @brief The symbolic name of an error code, e.g. "EBUSY" for -EBUSY.
 *
 * Stable across architectures (unlike the numbers), so machine-readable
 * output such as `shmseq ls --json` uses it.
 *
 * @param[in] err  A value returned by a shmseq call (0 or negative errno).
 *                 A positive errno value is accepted too.
 * @return "OK" for 0; the errno constant's name for every value
 *         shmseq_strerror() has a sentence of its own for; NULL for a
 *         value the library never returns.
 */
const char *shmseq_errname(int err);

#ifdef __cplusplus
}
#endif

#endif /* SHMSEQ_ERROR_H */
