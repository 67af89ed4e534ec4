/* SPDX-License-Identifier: MIT */
/*
 * The built-in sinks, gathered into the table of sink.c. One line here per
 * sink; nothing else needs to know they exist.
 */
#ifndef SHMSEQ_SINK_INTERNAL_H
#define SHMSEQ_SINK_INTERNAL_H

#include <shmseq/sink.h>

/* file.c: the file sinks, one per format. */
extern const shmseq_sink_ops shmseq__sink_csv;
extern const shmseq_sink_ops shmseq__sink_bin;

#ifdef SHMSEQ_SINK_SQLITE
/* sqlite.c: the database sink, built when CMake found libsqlite3. */
extern const shmseq_sink_ops shmseq__sink_sqlite;
#endif

#endif /* SHMSEQ_SINK_INTERNAL_H */
