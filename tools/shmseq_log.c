/* SPDX-License-Identifier: MIT */
/*
 * shmseq-log: reads the logger's binary logs (format: shmseq/logfmt.h,
 * docs/logging.md).
 *
 *   verify FILE...      check the header, every record's CRC and the
 *                       sequence, within and across the files in order,
 *                       and say where each piece of damage is
 *   csv FILE...         convert the intact records to the logger's CSV
 *   recover FILE        write every intact record to a clean log that
 *                       verifies, and say what was lost and where
 *
 * It reads logs only through the scanner of shmseq_logfmt, so all three
 * agree on what a good record is. It needs no shared memory and no region.
 * An output file is written under a temporary name and renamed into place
 * at the end, so a failed run leaves no half-written file, an existing
 * file is replaced (--force) only by a complete one, and a symbolic link
 * at OUT is replaced, never written through.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <shmseq/logfmt.h>

#include "log_sqlite.h"

/* Exit statuses (--help and docs/logging.md). When several apply, the
 * first of this list that applies wins. */
#define EXIT_OK 0         /* intact */
#define EXIT_DAMAGED 1    /* damage found; what was intact was kept */
#define EXIT_USAGE 2
#define EXIT_OUTPUT 6     /* OUT refused or not written */
#define EXIT_UNREADABLE 3 /* a file could not be read */
#define EXIT_NOT_LOG 4    /* not a log, or its header beyond repair */
#define EXIT_NOT_ONE 5    /* the files are not one log's segments in order */

/* Detail lines per file before "... and N more". */
#define DETAIL_MAX 20u

static const char *prog = "shmseq-log";

/* The options listed here are those of docs/cli.md, OPTION LETTERS (one
 * meaning per letter in every program); the test cli_options compares. */
static void usage(FILE *to)
{
    fprintf(to,
"Usage: %s verify FILE...\n"
"       %s csv [-o OUT] [--force] FILE...\n"
"       %s recover [-o OUT] [--force] FILE\n"
"       %s sqlite -o DB [--force] FILE...\n"
"       %s COMMAND --help\n"
"Read the binary logs of 'logger --format bin'.\n"
"\n"
"  verify   check each file's header, every record's CRC-32 and that the\n"
"           sample numbers continue (seq = previous + 1 + lost-before)\n"
"           through the files in the order given (a rotated log's segments:\n"
"           LOG LOG.000001 LOG.000002 ...); one line per file, one line per\n"
"           piece of damage (offset, bytes, samples missing), then a total\n"
"  csv      write the intact records as the logger's CSV (the same bytes\n"
"           'logger --format csv' writes) to OUT or stdout\n"
"  recover  write every intact record to OUT, a clean log that verifies:\n"
"           samples missing in the damage are counted as lost in the record\n"
"           after them; records that go back in sequence (another log or a\n"
"           segment out of order inside FILE) go to OUT.000001, ...; without\n"
"           -o it only reports\n"
"  sqlite   store the intact records in the SQLite database DB as\n"
"           'logger --format sqlite' does (exactly once, gaps as rows)\n"
"\n"
"  -o, --out OUT   output file (written under a temporary name, then\n"
"                  renamed); never replaces one without --force, and never\n"
"                  one of the input files\n"
"  -f, --force     replace OUT\n"
"  -h, --help      this text ('%s COMMAND --help': the command's)\n"
"  -V, --version   print the version\n"
"\n"
"Damage is survived, not just detected: a header with one flipped bit is\n"
"repaired, a worse one rebuilt from its records; after damage, a hole or\n"
"an inserted block the scan resumes at the next intact record.\n"
"\n"
"Exit status: 0 intact, 1 damage found (every intact record was verified,\n"
"converted or recovered; the report says what was lost and where),\n"
"2 usage error, 3 a file cannot be read, 4 not a shmseq log or its header\n"
"is torn or beyond repair (nothing recoverable), 5 the files are not the\n"
"segments of one log in order, 6 OUT refused or could not be written.\n",
        prog, prog, prog, prog, prog, prog);
}

/* The command being run, for its own --help. */
static const char *cur_cmd;

/* "shmseq-log COMMAND --help": that command's usage only. */
static void cmd_usage(const char *cmd)
{
    if (strcmp(cmd, "verify") == 0)
        printf(
"Usage: %s verify FILE...\n"
"Check each file's header, every record's CRC-32 and that the sample\n"
"numbers continue (seq = previous + 1 + lost-before) through the files in\n"
"the order given (a rotated log's segments: LOG LOG.000001 LOG.000002 ...);\n"
"print one line per file, one line per piece of damage (its offset, the\n"
"bytes skipped, the samples missing), then a total.\n"
"\n"
"  -h, --help      this text\n", prog);
    else if (strcmp(cmd, "csv") == 0)
        printf(
"Usage: %s csv [-o OUT] [--force] FILE...\n"
"Write the intact records of the files, in the order given, as the\n"
"logger's CSV (the same bytes 'logger --format csv' writes) to OUT or\n"
"stdout; what was left out, and where, goes to stderr.\n"
"\n"
"  -o, --out OUT   output file (written under a temporary name, then\n"
"                  renamed); never replaces one without --force, and never\n"
"                  one of the input files\n"
"  -f, --force     replace OUT\n"
"  -h, --help      this text\n", prog);
    else
        printf(
"Usage: %s recover [-o OUT] [--force] FILE\n"
"Write every intact record of FILE to OUT, a clean log that verifies: the\n"
"samples missing in damage are counted as lost in the record after them;\n"
"records that go back in sequence (another log or a segment out of order\n"
"inside FILE) go to OUT.000001, ...; say what was lost and where. Without\n"
"-o it only reports.\n"
"\n"
"  -o, --out OUT   output file (written under a temporary name, then\n"
"                  renamed); never replaces one without --force, and never\n"
"                  the input file\n"
"  -f, --force     replace OUT\n"
"  -h, --help      this text\n", prog);
    printf("\nExit status: see '%s --help'.\n", prog);
}

/* The status to return when both @p a and @p b apply. */
static int worse(int a, int b)
{
    static const int rank[] = {
        [EXIT_OK] = 0,      [EXIT_DAMAGED] = 1,    [EXIT_NOT_ONE] = 2,
        [EXIT_NOT_LOG] = 3, [EXIT_UNREADABLE] = 4, [EXIT_OUTPUT] = 5,
        [EXIT_USAGE] = 6,
    };

    return rank[a] >= rank[b] ? a : b;
}

/* Options shared by the subcommands: -o OUT, --force, --help. */
typedef struct opts {
    const char *out;
    int force;
    int nfiles;
    char **files;
} opts;

static int parse(int argc, char **argv, opts *o, int allow_out)
{
    int i, only_files = 0;

    memset(o, 0, sizeof *o);
    o->files = argv;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];

        if (!only_files && strcmp(a, "--") == 0) {
            only_files = 1;
        } else if (!only_files && (strcmp(a, "-h") == 0 ||
                                   strcmp(a, "--help") == 0)) {
            cmd_usage(cur_cmd);
            exit(0);
        } else if (!only_files && allow_out &&
                   (strcmp(a, "-o") == 0 || strcmp(a, "--out") == 0)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: %s needs a file\n", prog, a);
                return -1;
            }
            o->out = argv[++i];
        } else if (!only_files && allow_out &&
                   (strcmp(a, "-f") == 0 || strcmp(a, "--force") == 0)) {
            o->force = 1;
        } else if (!only_files && a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "%s %s: unknown option '%s'\nTry '%s %s --help'.\n",
                    prog, cur_cmd, a, prog, cur_cmd);
            return -1;
        } else {
            o->files[o->nfiles++] = argv[i];
        }
    }
    if (o->nfiles == 0) {
        fprintf(stderr, "%s: no log file given\n", prog);
        return -1;
    }
    return 0;
}

/* ---- output files: a temporary name, renamed into place at the end ----- */

typedef struct out_file {
    char path[4096]; /* the final name */
    char tmp[4120];  /* the temporary name */
    FILE *f;
} out_file;

/* Refuse OUT if it is one of the inputs (same device and inode): the log
 * being read is never replaced by what is read from it. */
static int out_is_input(const char *out, const opts *o)
{
    struct stat so, si;
    int i;

    if (stat(out, &so) != 0)
        return 0;
    for (i = 0; i < o->nfiles; i++)
        if (stat(o->files[i], &si) == 0 && si.st_dev == so.st_dev &&
            si.st_ino == so.st_ino) {
            fprintf(stderr, "%s: '%s' is the input file '%s': refusing to "
                    "replace the log being read (write elsewhere)\n", prog,
                    out, o->files[i]);
            return 1;
        }
    return 0;
}

static int out_open(out_file *w, const char *path, int force)
{
    struct stat st;
    int fd;

    w->f = NULL;
    if (snprintf(w->path, sizeof w->path, "%s", path) >= (int)sizeof w->path) {
        fprintf(stderr, "%s: output path too long\n", prog);
        return -1;
    }
    if (!force && lstat(path, &st) == 0) {
        fprintf(stderr, "%s: cannot create '%s': File exists (use --force "
                "to replace it)\n", prog, path);
        return -1;
    }
    snprintf(w->tmp, sizeof w->tmp, "%s.tmpXXXXXX", path);
    fd = mkstemp(w->tmp);
    if (fd < 0 || (w->f = fdopen(fd, "wb")) == NULL) {
        fprintf(stderr, "%s: cannot create '%s': %s\n", prog, w->tmp,
                strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(w->tmp);
        }
        return -1;
    }
    /* mkstemp makes it 0600; a log is as readable as any new file. */
    (void)fchmod(fd, 0666 & ~(mode_t)umask(umask(0)));
    return 0;
}

/* Flush, sync, and rename into place (without --force: link, which never
 * replaces a file that appeared meanwhile). @p ok 0: discard. */
static int out_close(out_file *w, int ok, int force)
{
    int bad = 0, err = 0;

    if (w->f == NULL)
        return 0;
    if (ferror(w->f) || fflush(w->f) != 0 || fsync(fileno(w->f)) != 0) {
        bad = 1;
        err = errno;
    }
    if (fclose(w->f) != 0 && !bad) {
        bad = 1;
        err = errno;
    }
    w->f = NULL;
    if (ok && !bad) {
        if (force ? rename(w->tmp, w->path) != 0
                  : link(w->tmp, w->path) != 0) {
            bad = 1;
            err = errno;
        }
    }
    if (!force || bad || !ok)
        (void)unlink(w->tmp);
    if (bad && ok) {
        fprintf(stderr, "%s: writing '%s' failed: %s\n", prog, w->path,
                strerror(err));
        return -1;
    }
    return 0;
}

static FILE *open_in(const char *path)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        fprintf(stderr, "%s: cannot read '%s': %s\n", prog, path,
                strerror(errno));
    return f;
}

/* ---- the report: what each file holds and where it is damaged ---------- */

typedef struct report {
    const char *cmd;  /* "verify", "csv", "recover" */
    const char *path;
    FILE *to;         /* stdout (verify, recover) or stderr (csv) */
    uint32_t details; /* detail lines printed for this file */
    uint64_t more;    /* detail lines not printed */
    uint64_t prev_seq;
    int have_prev;
    int extra_out;    /* recover: the output index records go to */
    shmseq_log_header first; /* the file's own header (offset 0), which its
                                summary line shows: a log joined to it
                                later is reported where it starts */
} report;

/* Room for a region name as shown: every byte may become \xNN. */
#define SHOWN_NAME_MAX (4u * SHMSEQ_LOG_NAME_MAX + 1u)

/* The region name of a header as printed: a damaged or crafted log may
 * hold any bytes there (a rebuilt header keeps them as found), and none
 * may reach a terminal raw; a byte outside printable ASCII, a quote or a
 * backslash is shown as \xNN. Returns @p out. */
static const char *shown_name(const char *name, char out[SHOWN_NAME_MAX])
{
    static const char hex[] = "0123456789abcdef";
    size_t i, o = 0;

    for (i = 0; i < SHMSEQ_LOG_NAME_MAX && name[i] != '\0'; i++) {
        unsigned char c = (unsigned char)name[i];

        if (c >= 0x20u && c < 0x7fu && c != '\'' && c != '\\') {
            out[o++] = (char)c;
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15u];
        }
    }
    out[o] = '\0';
    return out;
}

static void detail(report *rp, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void detail(report *rp, const char *fmt, ...)
{
    va_list ap;

    if (rp->details >= DETAIL_MAX) {
        rp->more++;
        return;
    }
    rp->details++;
    fprintf(rp->to, "%s: %s: ", rp->cmd, rp->path);
    va_start(ap, fmt);
    vfprintf(rp->to, fmt, ap);
    va_end(ap);
    fputc('\n', rp->to);
}

/* One line per event worth a word: damage, a gap, a step back, a header
 * inside the file, a torn tail. */
static void report_event(report *rp, const shmseq_log_scan *s,
                         const shmseq_log_record *r)
{
    char shown[SHOWN_NAME_MAX];

    switch (s->event) {
    case SHMSEQ_LOG_EV_HEADER:
        if (s->event_offset == 0) {
            rp->first = s->header;
            if (s->header_state == SHMSEQ_LOG_HEADER_REPAIRED)
                detail(rp, "header: bit %u of byte %u was flipped; repaired "
                       "(its CRC matches again)",
                       (unsigned)(s->header_bit % 8u),
                       (unsigned)(s->header_bit / 8u));
            else if (s->header_state == SHMSEQ_LOG_HEADER_REBUILT)
                detail(rp, "header: damaged beyond one bit; rebuilt: width "
                       "%u and run id inferred from the records (its other "
                       "fields are unchecked)", (unsigned)s->header.width);
        } else {
            detail(rp, "offset %" PRIu64 ": a log header (segment %u, "
                   "region '%s', width %u, run id %016" PRIx64 "): another "
                   "log or segment was joined to this one here",
                   s->event_offset, (unsigned)s->header.segment,
                   shown_name(s->header.name, shown), (unsigned)s->header.width,
                   s->header.run_id);
        }
        break;
    case SHMSEQ_LOG_EV_SKIP:
        detail(rp, "offset %" PRIu64 ": %" PRIu64 " bytes skipped (damaged, "
               "or not this log's records)", s->event_offset,
               s->event_bytes);
        break;
    case SHMSEQ_LOG_EV_TORN:
        detail(rp, "offset %" PRIu64 ": the file ends inside a record: %"
               PRIu64 " bytes (a cut or a crash; the sample in them is "
               "lost)", s->event_offset, s->event_bytes);
        break;
    case SHMSEQ_LOG_EV_RECORD:
        if (s->event_missing != 0)
            detail(rp, "offset %" PRIu64 ": samples %" PRIu64 "..%" PRIu64
                   " missing (%" PRIu64 ") before sample %" PRIu64,
                   s->event_offset, r->seq - s->event_missing, r->seq - 1u,
                   s->event_missing, r->seq);
        if (s->event_backwards)
            detail(rp, "offset %" PRIu64 ": sample %" PRIu64 " (epoch %u) "
                   "after sample %" PRIu64 ": the sequence goes back (another "
                   "log, or segments out of order)", s->event_offset, r->seq,
                   (unsigned)r->epoch, rp->prev_seq);
        rp->prev_seq = r->seq;
        break;
    }
}

static void report_end(report *rp)
{
    if (rp->more != 0)
        fprintf(rp->to, "%s: %s: ... and %" PRIu64 " more\n", rp->cmd,
                rp->path, rp->more);
}

static int damaged(const shmseq_log_scan *s)
{
    return s->skips != 0 || s->torn_bytes != 0 || s->gaps != 0 ||
           s->backwards != 0 || s->header_state != SHMSEQ_LOG_HEADER_INTACT;
}

/* The sample numbers a file holds: one range, or, when its records go
 * back in sequence (two logs, or segments out of order, in one file), the
 * first and the last record's numbers, which are no range. */
static void print_seq_range(const shmseq_log_scan *s)
{
    if (s->records == 0)
        return;
    if (s->backwards == 0)
        printf(" seq=%" PRIu64 "..%" PRIu64, s->first_seq, s->last_seq);
    else
        printf(" first_seq=%" PRIu64 " last_seq=%" PRIu64, s->first_seq,
               s->last_seq);
}

/* A file that cannot be scanned at all: its header is torn, not a log's,
 * another version's or beyond repair, or it cannot be read. */
static int header_problem(FILE *to, const char *cmd, const char *path,
                          const shmseq_log_scan *s, int rc)
{
    if (rc < 0 && s->header_bytes >= SHMSEQ_LOG_HEADER_SIZE &&
        s->header_rc == SHMSEQ_LOG_OK) {
        fprintf(stderr, "%s: reading '%s' failed: %s\n", prog, path,
                strerror(-rc));
        return EXIT_UNREADABLE;
    }
    if (s->header_rc == SHMSEQ_LOG_SHORT)
        fprintf(to, "%s: %s: header=torn (%" PRIu64 " of %u bytes): no records\n",
               cmd, path, s->header_bytes, (unsigned)SHMSEQ_LOG_HEADER_SIZE);
    else if (s->header_rc == SHMSEQ_LOG_BAD_MAGIC)
        fprintf(to, "%s: %s: not a shmseq log (its first bytes are not "
               "SHMSQLOG): no records\n", cmd, path);
    else if (s->header_rc == SHMSEQ_LOG_BAD_VERSION)
        fprintf(to, "%s: %s: log format version %u, this tool reads %u..%u: no "
               "records\n", cmd, path, (unsigned)s->header.version,
               (unsigned)SHMSEQ_LOG_VERSION_MIN, (unsigned)SHMSEQ_LOG_VERSION);
    else if (s->header_rc == SHMSEQ_LOG_BAD_CRC)
        fprintf(to, "%s: %s: header=damaged beyond repair (more than one bit, and "
               "no width fits its first records): no records\n", cmd, path);
    else if (s->header_rc < 0 && s->header_rc != SHMSEQ_LOG_BAD_FIELD) {
        fprintf(stderr, "%s: reading '%s' failed: %s\n", prog, path,
                strerror(-s->header_rc));
        return EXIT_UNREADABLE;
    } else
        fprintf(to, "%s: %s: header=bad (%s): no records\n", cmd, path,
               shmseq_log_strerror(s->header_rc));
    return EXIT_NOT_LOG;
}

/* Is file @p h the next segment of the log whose last file was @p prev?
 * Says why not, and returns EXIT_NOT_ONE then. */
static int check_segment(FILE *to, const char *cmd, const char *path,
                         const char *prev_path, const shmseq_log_header *prev,
                         const shmseq_log_header *h)
{
    if (h->width != prev->width) {
        fprintf(to, "%s: %s: width %u, but '%s' has %u: not segments of one "
               "log\n", cmd, path, (unsigned)h->width, prev_path,
               (unsigned)prev->width);
        return EXIT_NOT_ONE;
    }
    if (h->run_id != prev->run_id) {
        fprintf(to, "%s: %s: another logger run than '%s' (run id %016" PRIx64
               ", not %016" PRIx64 "): not segments of one log\n", cmd, path,
               prev_path, h->run_id, prev->run_id);
        return EXIT_NOT_ONE;
    }
    if (h->segment <= prev->segment) {
        fprintf(to, "%s: %s: segment %u after segment %u ('%s'): segments out of "
               "order (give them as LOG LOG.000001 LOG.000002 ...)\n", cmd,
               path, (unsigned)h->segment, (unsigned)prev->segment,
               prev_path);
        return EXIT_NOT_ONE;
    }
    if (h->segment != prev->segment + 1u) {
        fprintf(to, "%s: %s: segment %u after segment %u ('%s'): segment(s) %u.."
               "%u missing\n", cmd, path, (unsigned)h->segment,
               (unsigned)prev->segment, prev_path,
               (unsigned)prev->segment + 1u, (unsigned)h->segment - 1u);
        return EXIT_NOT_ONE;
    }
    return EXIT_OK;
}

/* Peek at a file's header (for the segment check before its scan). */
static int peek_header(FILE *f, shmseq_log_header *h)
{
    unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
    size_t got = fread(hb, 1, sizeof hb, f);
    int rc = shmseq_log_header_decode(hb, got, h);
    uint32_t bit;

    /* One flipped bit, as the scan will repair it: the segment check must
     * see the header the records are read under, or an unrelated log with
     * such a header would pass as the next segment. */
    if ((rc == SHMSEQ_LOG_BAD_CRC || rc == SHMSEQ_LOG_BAD_MAGIC) &&
        got == sizeof hb && shmseq_log_header_repair(hb, &bit) == 0)
        rc = shmseq_log_header_decode(hb, got, h);
    rewind(f);
    return rc;
}

/* ---- verify ------------------------------------------------------------- */

static int verify_event(void *ctx, const shmseq_log_scan *s,
                        const shmseq_log_record *r)
{
    report_event(ctx, s, r);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    shmseq_log_header prev, h;
    shmseq_log_scan s;
    report rp;
    opts o;
    char shown[SHOWN_NAME_MAX];
    uint64_t records = 0, skips = 0, torn = 0, gaps = 0, missing = 0;
    uint64_t lost = 0, back = 0;
    int i, rc, status = EXIT_OK, have_prev_file = 0, prev_i = 0;

    if (parse(argc, argv, &o, 0) < 0)
        return EXIT_USAGE;
    memset(&s, 0, sizeof s);
    for (i = 0; i < o.nfiles; i++) {
        FILE *f = open_in(o.files[i]);

        if (f == NULL) {
            status = worse(status, EXIT_UNREADABLE);
            s.have_prev = 0;
            have_prev_file = 0;
            continue;
        }
        /* Several files: each must be the next segment of the one before;
         * if not, say why, and check its sequence on its own. */
        if (have_prev_file && peek_header(f, &h) == SHMSEQ_LOG_OK &&
            check_segment(stdout, "verify", o.files[i], o.files[prev_i], &prev,
                          &h) != EXIT_OK) {
            status = worse(status, EXIT_NOT_ONE);
            s.have_prev = 0;
        }
        memset(&rp, 0, sizeof rp);
        rp.cmd = "verify";
        rp.path = o.files[i];
        rp.to = stdout;
        rp.prev_seq = s.prev_seq;
        rc = shmseq_log_scan_file(f, &s, verify_event, &rp);
        fclose(f);
        if (rc != SHMSEQ_LOG_OK) {
            status = worse(status, header_problem(stdout, "verify", o.files[i], &s,
                                                  rc));
            s.have_prev = 0;
            have_prev_file = 0;
            continue;
        }
        report_end(&rp);
        printf("verify: %s: %s: records=%" PRIu64 " damaged=%" PRIu64
               " skipped_bytes=%" PRIu64 " torn_tail_bytes=%" PRIu64
               " gaps=%" PRIu64 " missing=%" PRIu64 " back=%" PRIu64
               " lost_before=%" PRIu64, o.files[i],
               damaged(&s) ? "DAMAGED" : "OK", s.records, s.skips,
               s.skipped_bytes, s.torn_bytes, s.gaps, s.missing, s.backwards,
               s.lost_before);
        print_seq_range(&s);
        printf(" epochs=%u width=%u region='%s' segment=%u\n",
               (unsigned)s.epochs, (unsigned)rp.first.width,
               shown_name(rp.first.name, shown),
               (unsigned)rp.first.segment);
        if (damaged(&s))
            status = worse(status, EXIT_DAMAGED);
        records += s.records;
        skips += s.skips;
        torn += s.torn_bytes;
        gaps += s.gaps;
        missing += s.missing;
        back += s.backwards;
        lost += s.lost_before;
        prev = s.header;
        prev_i = i;
        have_prev_file = 1;
    }
    printf("verify: %d file(s): %s: records=%" PRIu64 " damaged=%" PRIu64
           " torn_tail_bytes=%" PRIu64 " gaps=%" PRIu64 " missing=%" PRIu64
           " back=%" PRIu64 " lost_before=%" PRIu64 "\n", o.nfiles,
           status == EXIT_OK ? "OK"
           : status == EXIT_DAMAGED ? "DAMAGED"
           : status == EXIT_NOT_ONE ? "NOT ONE LOG" : "FAILED",
           records, skips, torn, gaps, missing, back, lost);
    return status;
}

/* ---- csv ---------------------------------------------------------------- */

typedef struct csv_ctx {
    FILE *out;
    report rp;
    int failed;
    int wrote_header;
    uint64_t other_width; /* records of this file not converted: a log of
                             another width inside it */
} csv_ctx;

static int csv_event(void *ctx, const shmseq_log_scan *s,
                     const shmseq_log_record *r)
{
    csv_ctx *c = ctx;
    char line[SHMSEQ_LOG_CSV_ROW_MAX];
    size_t n;

    report_event(&c->rp, s, r);
    if (s->event == SHMSEQ_LOG_EV_HEADER && !c->wrote_header) {
        n = shmseq_log_csv_header(line, sizeof line, s->header.width);
        c->wrote_header = 1;
    } else if (s->event == SHMSEQ_LOG_EV_RECORD && r->width != s->width) {
        c->other_width++; /* one CSV holds one width: the first file's */
        return 0;
    } else if (s->event == SHMSEQ_LOG_EV_RECORD) {
        n = shmseq_log_csv_row(line, sizeof line, r);
    } else {
        return 0;
    }
    if (n == 0 || fwrite(line, 1, n, c->out) != n) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static int cmd_csv(int argc, char **argv)
{
    static char buf[1u << 16];
    shmseq_log_header prev, h;
    shmseq_log_scan s;
    out_file w;
    csv_ctx c;
    opts o;
    int i, rc, status = EXIT_OK, have_prev_file = 0, prev_i = 0;

    if (parse(argc, argv, &o, 1) < 0)
        return EXIT_USAGE;
    if (o.out != NULL && strcmp(o.out, "-") == 0)
        o.out = NULL;
    if (o.out != NULL && out_is_input(o.out, &o))
        return EXIT_OUTPUT;
    memset(&s, 0, sizeof s);
    memset(&c, 0, sizeof c);
    c.out = stdout;
    if (o.out != NULL) {
        if (out_open(&w, o.out, o.force) < 0)
            return EXIT_OUTPUT;
        c.out = w.f;
    }
    setvbuf(c.out, buf, _IOFBF, sizeof buf);
    for (i = 0; i < o.nfiles && !c.failed; i++) {
        FILE *f = open_in(o.files[i]);

        if (f == NULL) {
            status = worse(status, EXIT_UNREADABLE);
            s.have_prev = 0;
            continue;
        }
        if (peek_header(f, &h) == SHMSEQ_LOG_OK && s.width != 0 &&
            h.width != s.width) {
            fprintf(stderr, "%s: csv: %s: width %u, the first file %u: "
                    "skipped (one CSV holds one width)\n", prog, o.files[i],
                    (unsigned)h.width, (unsigned)s.width);
            fclose(f);
            status = worse(status, EXIT_NOT_ONE);
            continue;
        }
        if (have_prev_file && peek_header(f, &h) == SHMSEQ_LOG_OK) {
            /* the same words as verify, on stderr: stdout is the CSV */
            if (check_segment(stderr, "csv", o.files[i], o.files[prev_i], &prev,
                              &h) != EXIT_OK) {
                status = worse(status, EXIT_NOT_ONE);
                s.have_prev = 0;
            }
        }
        memset(&c.rp, 0, sizeof c.rp);
        c.rp.cmd = "csv";
        c.rp.path = o.files[i];
        c.rp.to = stderr;
        c.rp.prev_seq = s.prev_seq;
        c.other_width = 0;
        rc = shmseq_log_scan_file(f, &s, csv_event, &c);
        fclose(f);
        if (c.failed)
            break;
        if (rc != SHMSEQ_LOG_OK) {
            status = worse(status, header_problem(stderr, "csv", o.files[i], &s, rc));
            s.have_prev = 0;
            continue;
        }
        report_end(&c.rp);
        if (damaged(&s)) {
            fprintf(stderr, "csv: %s: DAMAGED: %" PRIu64 " records converted;"
                    " left out: %" PRIu64 " bytes skipped in %" PRIu64
                    " place(s), %" PRIu64 " torn tail bytes; %" PRIu64
                    " gap(s) in the sequence (%" PRIu64 " samples missing)\n",
                    o.files[i], s.records - c.other_width, s.skipped_bytes,
                    s.skips, s.torn_bytes, s.gaps, s.missing);
            if (c.other_width != 0) {
                fprintf(stderr, "csv: %s: %" PRIu64 " record(s) of a log of "
                        "another width inside the file left out (one CSV "
                        "holds one width: %u values)\n", o.files[i],
                        c.other_width, (unsigned)s.width);
                status = worse(status, EXIT_NOT_ONE);
            }
            /* Nothing is left out for these, but they are why the file
             * is damaged: say so, or the line reads as all zeros. */
            if (s.backwards != 0)
                fprintf(stderr, "csv: %s: %" PRIu64 " record(s) go back in "
                        "sequence (another log, or segments out of order): "
                        "converted in file order\n",
                        o.files[i], s.backwards);
            if (s.header_state != SHMSEQ_LOG_HEADER_INTACT)
                fprintf(stderr, "csv: %s: its header was %s\n", o.files[i],
                        s.header_state == SHMSEQ_LOG_HEADER_REPAIRED
                            ? "repaired (one flipped bit)"
                            : "rebuilt from the records");
            status = worse(status, EXIT_DAMAGED);
        }
        prev = s.header;
        prev_i = i;
        have_prev_file = 1;
    }
    if (c.failed) {
        if (o.out == NULL)
            fprintf(stderr, "%s: writing stdout failed: %s\n", prog,
                    strerror(errno));
        else
            (void)out_close(&w, 0, o.force);
        return EXIT_OUTPUT;
    }
    if (o.out == NULL) {
        if (fflush(stdout) != 0) {
            fprintf(stderr, "%s: writing stdout failed: %s\n", prog,
                    strerror(errno));
            return EXIT_OUTPUT;
        }
    } else if (out_close(&w, 1, o.force) < 0) {
        return EXIT_OUTPUT;
    }
    return status;
}

/* ---- recover ------------------------------------------------------------ */

#define RECOVER_OUTS_MAX 1000u

typedef struct recover_ctx {
    const opts *o;
    report rp;
    out_file w;          /* the output being written (if -o) */
    int open;            /* w is open */
    unsigned index;      /* w's number: OUT, OUT.000001, ... */
    uint64_t records;    /* records in w */
    int failed;          /* OUT refused or not written: stop */
} recover_ctx;

static int recover_close(recover_ctx *c, int ok)
{
    int rc;

    if (!c->open)
        return 0;
    c->open = 0;
    rc = out_close(&c->w, ok, c->o->force);
    if (rc == 0 && ok)
        printf("recover: %s: wrote '%s': %" PRIu64 " records\n", c->rp.path,
               c->w.path, c->records);
    return rc;
}

static int recover_scan_event(void *ctx, const shmseq_log_scan *s,
                              const shmseq_log_record *r)
{
    report_event(&((recover_ctx *)ctx)->rp, s, r);
    return 0;
}

/* The recovered bytes of output @p index: a new index begins a new file. */
static int recover_out(void *ctx, unsigned index, const unsigned char *bytes,
                       size_t n)
{
    recover_ctx *c = ctx;
    char name[4200];

    if (index != c->index || !c->open) {
        if (index != 0)
            detail(&c->rp, "the records from here on cannot follow the ones "
                   "before (the sequence goes back, or another width): "
                   "output %u", index);
        if (c->o->out == NULL) {
            c->index = index;
            return 0;
        }
        if (index >= RECOVER_OUTS_MAX || recover_close(c, 1) < 0) {
            c->failed = 1;
            return 1;
        }
        c->index = index;
        if (index == 0)
            snprintf(name, sizeof name, "%s", c->o->out);
        else
            snprintf(name, sizeof name, "%s.%06u", c->o->out, index);
        if (out_open(&c->w, name, c->o->force) < 0) {
            c->failed = 1;
            return 1;
        }
        c->open = 1;
        c->records = 0;
    } else {
        c->records++;
    }
    if (c->o->out != NULL && fwrite(bytes, 1, n, c->w.f) != n) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static int cmd_recover(int argc, char **argv)
{
    static const char *const state[] = {"ok", "repaired", "rebuilt"};
    shmseq_log_recovery rv;
    const shmseq_log_scan *s = &rv.scan;
    char shown[SHOWN_NAME_MAX];
    recover_ctx c;
    opts o;
    FILE *f;
    int rc;

    if (parse(argc, argv, &o, 1) < 0)
        return EXIT_USAGE;
    if (o.nfiles != 1) {
        fprintf(stderr, "%s: recover takes one file (recover the segments "
                "of a rotated log one by one)\n", prog);
        return EXIT_USAGE;
    }
    if (o.out != NULL && out_is_input(o.out, &o))
        return EXIT_OUTPUT;
    f = open_in(o.files[0]);
    if (f == NULL)
        return EXIT_UNREADABLE;
    memset(&rv, 0, sizeof rv);
    memset(&c, 0, sizeof c);
    c.o = &o;
    c.rp.cmd = "recover";
    c.rp.path = o.files[0];
    c.rp.to = stdout;
    rc = shmseq_log_recover(f, &rv, recover_out, recover_scan_event, &c);
    fclose(f);
    if (c.failed || (rc > 0)) {
        (void)recover_close(&c, 0);
        fprintf(stderr, "%s: recover: %s: stopped; no output written\n",
                prog, o.files[0]);
        return EXIT_OUTPUT;
    }
    if (rc != SHMSEQ_LOG_OK) {
        (void)recover_close(&c, 0);
        return header_problem(stdout, "recover", o.files[0], s, rc);
    }
    report_end(&c.rp);
    printf("recover: %s: header=%s records=%" PRIu64 " damaged=%" PRIu64
           " skipped_bytes=%" PRIu64 " torn_tail_bytes=%" PRIu64,
           o.files[0], state[s->header_state], s->records, s->skips,
           s->skipped_bytes, s->torn_bytes);
    if (s->torn_bytes != 0)
        printf(" torn_offset=%" PRIu64, s->torn_offset);
    printf(" missing=%" PRIu64 " back=%" PRIu64, s->missing, s->backwards);
    print_seq_range(s);
    printf(" width=%u region='%s' outputs=%u\n", (unsigned)c.rp.first.width,
           shown_name(c.rp.first.name, shown), rv.outputs);
    if (recover_close(&c, 1) < 0)
        return EXIT_OUTPUT;
    if (o.out == NULL)
        printf("recover: %s: nothing written (a report only: give -o OUT to "
               "write the recovered log)\n", o.files[0]);
    else if (rv.lost_added != 0)
        printf("recover: %s: the %" PRIu64 " missing samples are counted as "
               "lost (lost_before) in the record after them\n", o.files[0],
               rv.lost_added);
    return damaged(s) ? EXIT_DAMAGED : EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fprintf(stderr, "%s: missing COMMAND (verify, csv, recover, sqlite)\n"
                "Try '%s --help'.\n", prog, prog);
        return EXIT_USAGE;
    }
    cmd = argv[1];
    cur_cmd = cmd;
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 ||
        strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        /* The project's version, from the build: this tool links the log
         * format only, not the region library that defines its own. */
        printf("%s %s (log format version %u)\n", prog,
               SHMSEQ_PROJECT_VERSION, (unsigned)SHMSEQ_LOG_VERSION);
        return 0;
    }
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc - 2, argv + 2);
    if (strcmp(cmd, "csv") == 0)
        return cmd_csv(argc - 2, argv + 2);
    if (strcmp(cmd, "recover") == 0)
        return cmd_recover(argc - 2, argv + 2);
    if (strcmp(cmd, "sqlite") == 0)
        return shmseq_log_cmd_sqlite(argc - 2, argv + 2);
    fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", prog, cmd,
            prog);
    return EXIT_USAGE;
}
