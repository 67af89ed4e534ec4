/* SPDX-License-Identifier: MIT */
/*
 * shmseq-log's "sqlite" command (log_sqlite.c): binary logs into the
 * sqlite sink's database. Its own file, so shmseq_log.c keeps to the log
 * format.
 */
#ifndef SHMSEQ_LOG_SQLITE_H
#define SHMSEQ_LOG_SQLITE_H

/** @brief "shmseq-log sqlite ARGS": @p argv holds what follows the
 *         command. @return the exit status (its --help lists them). */
int shmseq_log_cmd_sqlite(int argc, char **argv);

#endif /* SHMSEQ_LOG_SQLITE_H */
