/* SPDX-License-Identifier: MIT */
/*
 * shmseq-log: reads the logger's binary logs (format: shmseq/logfmt.h,
 * docs/logging.md).
 *
 *   verify FILE...      check the header and every record's CRC, and the
 *                       sequence continuity across the files in order
 *   csv FILE...         convert to the logger's CSV format
 *   recover FILE        copy every complete, intact record of a damaged or
 *                       cut log and say what was cut
 *
 * It reads logs only through the scanner of shmseq_logfmt, so all three agree
 * on what a good record is. It needs no shared memory and no region.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <shmseq/logfmt.h>

#define EXIT_DAMAGED 1
#define EXIT_USAGE 2

static const char *prog = "shmseq-log";

/* The options listed here are those of docs/cli.md, OPTION LETTERS (one
 * meaning per letter in every program); the test cli_options compares. */
static void usage(FILE *to)
{
    fprintf(to,
"Usage: %s verify FILE...\n"
"       %s csv [-o OUT] [--force] FILE...\n"
"       %s recover [-o OUT] [--force] FILE\n"
"       %s COMMAND --help\n"
"Read the binary logs of 'logger --format bin'.\n"
"\n"
"  verify   check each file's header, every record's CRC-32 and that the\n"
"           sample numbers continue (seq = previous + 1 + lost-before)\n"
"           through the files in the order given (a rotated log's segments:\n"
"           LOG LOG.000001 LOG.000002 ...); prints counts per file\n"
"  csv      write the intact records as the logger's CSV (the same bytes\n"
"           'logger --format csv' writes) to OUT or stdout\n"
"  recover  copy every complete record whose CRC matches to OUT (a clean\n"
"           log) and report the torn tail: the bytes after the last\n"
"           complete record, or a torn header\n"
"\n"
"  -o, --out OUT   output file; never overwrites one without --force\n"
"  -f, --force     overwrite OUT\n"
"  -h, --help      this text ('%s COMMAND --help': the command's)\n"
"  -V, --version   print the version\n"
"\n"
"Exit status: 0 the files are intact (recover: the header was readable and\n"
"every complete record intact was copied), 1 damage found (bad header,\n"
"CRC mismatch, torn tail, sequence gap; recover: the header itself is torn\n"
"or damaged, so nothing is recoverable) or an I/O error, 2 usage error.\n",
        prog, prog, prog, prog, prog);
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
"print counts per file.\n"
"\n"
"  -h, --help      this text\n", prog);
    else if (strcmp(cmd, "csv") == 0)
        printf(
"Usage: %s csv [-o OUT] [--force] FILE...\n"
"Write the intact records of the files, in the order given, as the\n"
"logger's CSV (the same bytes 'logger --format csv' writes) to OUT or\n"
"stdout.\n"
"\n"
"  -o, --out OUT   output file; never overwrites one without --force\n"
"  -f, --force     overwrite OUT\n"
"  -h, --help      this text\n", prog);
    else
        printf(
"Usage: %s recover [-o OUT] [--force] FILE\n"
"Copy every complete record of FILE whose CRC matches to OUT (a clean log)\n"
"and report the torn tail: the bytes after the last complete record, or a\n"
"torn header.\n"
"\n"
"  -o, --out OUT   output file; never overwrites one without --force\n"
"  -f, --force     overwrite OUT\n"
"  -h, --help      this text\n", prog);
    printf("\nExit status: see '%s --help'.\n", prog);
}

static FILE *open_in(const char *path)
{
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        fprintf(stderr, "%s: cannot read '%s': %s\n", prog, path,
                strerror(errno));
    return f;
}

static FILE *open_out(const char *path, int force)
{
    FILE *f;

    if (path == NULL || strcmp(path, "-") == 0)
        return stdout;
    /* "x": O_EXCL, so an existing file is never replaced by accident. */
    f = fopen(path, force ? "wb" : "wbx");
    if (f == NULL)
        fprintf(stderr, "%s: cannot create '%s': %s%s\n", prog, path,
                strerror(errno),
                errno == EEXIST ? " (use --force to overwrite it)" : "");
    return f;
}

static int close_out(FILE *f, const char *path)
{
    int bad = ferror(f);

    if (f == stdout)
        bad |= fflush(f) != 0;
    else
        bad |= fclose(f) != 0;
    if (bad) {
        fprintf(stderr, "%s: writing '%s' failed: %s\n", prog,
                path != NULL ? path : "stdout", strerror(errno));
        return -1;
    }
    return 0;
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

static void print_header_problem(const char *cmd, const char *path,
                                 const shmseq_log_scan *s)
{
    if (s->header_rc == SHMSEQ_LOG_SHORT)
        printf("%s: %s: header=torn (%" PRIu64 " of %u bytes): no records\n",
               cmd, path, s->header_bytes, (unsigned)SHMSEQ_LOG_HEADER_SIZE);
    else
        printf("%s: %s: header=bad (%s): no records\n", cmd, path,
               shmseq_log_strerror(s->header_rc));
}

static int damaged(const shmseq_log_scan *s)
{
    return s->bad_records != 0 || s->torn_bytes != 0 || s->gaps != 0;
}

static int cmd_verify(int argc, char **argv)
{
    shmseq_log_scan s;
    opts o;
    uint64_t records = 0, bad = 0, torn = 0, gaps = 0, lost = 0;
    int i, rc, status = 0, width_mismatch;

    if (parse(argc, argv, &o, 0) < 0)
        return EXIT_USAGE;
    memset(&s, 0, sizeof s);
    for (i = 0; i < o.nfiles; i++) {
        FILE *f = open_in(o.files[i]);

        if (f == NULL) {
            status = EXIT_DAMAGED;
            continue;
        }
        rc = shmseq_log_scan_file(f, &s, NULL, NULL);
        fclose(f);
        if (rc < 0 && s.header_rc == SHMSEQ_LOG_OK) {
            fprintf(stderr, "%s: reading '%s' failed: %s\n", prog,
                    o.files[i], strerror(-rc));
            status = EXIT_DAMAGED;
            continue;
        }
        if (rc != SHMSEQ_LOG_OK) {
            print_header_problem("verify", o.files[i], &s);
            status = EXIT_DAMAGED;
            s.have_prev = 0;
            continue;
        }
        width_mismatch = s.header.width != s.width;
        printf("verify: %s: %s: records=%" PRIu64 " damaged=%" PRIu64
               " torn_tail_bytes=%" PRIu64 " gaps=%" PRIu64
               " lost_before=%" PRIu64,
               o.files[i],
               damaged(&s) || width_mismatch ? "DAMAGED" : "OK", s.records,
               s.bad_records, s.torn_bytes, s.gaps, s.lost_before);
        if (s.records != 0)
            printf(" seq=%" PRIu64 "..%" PRIu64, s.first_seq, s.last_seq);
        printf(" epochs=%u width=%u region='%s' segment=%u\n",
               (unsigned)s.epochs, (unsigned)s.header.width, s.header.name,
               (unsigned)s.header.segment);
        if (s.bad_records != 0)
            printf("verify: %s: first damaged record at offset %" PRIu64
                   " (CRC mismatch)\n", o.files[i], s.first_bad_offset);
        if (s.torn_bytes != 0)
            printf("verify: %s: the file ends inside a record: %" PRIu64
                   " bytes at offset %" PRIu64 " (use 'recover')\n",
                   o.files[i], s.torn_bytes, s.torn_offset);
        if (width_mismatch)
            printf("verify: %s: width %u, but the first file has %u\n",
                   o.files[i], (unsigned)s.header.width, (unsigned)s.width);
        if (damaged(&s) || width_mismatch)
            status = EXIT_DAMAGED;
        records += s.records;
        bad += s.bad_records;
        torn += s.torn_bytes;
        gaps += s.gaps;
        lost += s.lost_before;
    }
    printf("verify: %d file(s): %s: records=%" PRIu64 " damaged=%" PRIu64
           " torn_tail_bytes=%" PRIu64 " gaps=%" PRIu64 " lost_before=%"
           PRIu64 "\n", o.nfiles, status == 0 ? "OK" : "DAMAGED", records,
           bad, torn, gaps, lost);
    return status;
}

typedef struct csv_ctx {
    FILE *out;
    int failed;
} csv_ctx;

static int csv_row(void *ctx, const shmseq_log_record *r, uint64_t offset)
{
    csv_ctx *c = ctx;
    char line[SHMSEQ_LOG_CSV_ROW_MAX];
    size_t n = shmseq_log_csv_row(line, sizeof line, r);

    (void)offset;
    if (n == 0 || fwrite(line, 1, n, c->out) != n) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static int cmd_csv(int argc, char **argv)
{
    static char buf[1u << 16];
    char line[SHMSEQ_LOG_CSV_ROW_MAX];
    shmseq_log_scan s;
    csv_ctx c;
    opts o;
    int i, rc, status = 0;
    size_t n;

    if (parse(argc, argv, &o, 1) < 0)
        return EXIT_USAGE;
    memset(&s, 0, sizeof s);
    c.failed = 0;
    c.out = open_out(o.out, o.force);
    if (c.out == NULL)
        return EXIT_DAMAGED;
    setvbuf(c.out, buf, _IOFBF, sizeof buf);
    for (i = 0; i < o.nfiles && !c.failed; i++) {
        FILE *f = open_in(o.files[i]);
        uint32_t width = s.width;

        if (f == NULL) {
            status = EXIT_DAMAGED;
            continue;
        }
        /* The CSV header goes out once the first header is known, so it
         * is written from inside the first file's scan; simplest is to
         * peek at the header first. */
        if (width == 0) {
            shmseq_log_header h;
            unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
            size_t got = fread(hb, 1, sizeof hb, f);

            if (shmseq_log_header_decode(hb, got, &h) == SHMSEQ_LOG_OK) {
                n = shmseq_log_csv_header(line, sizeof line, h.width);
                if (fwrite(line, 1, n, c.out) != n)
                    c.failed = 1;
            }
            rewind(f);
        } else {
            /* A file of another width cannot go into the same CSV. */
            shmseq_log_header h;
            unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
            size_t got = fread(hb, 1, sizeof hb, f);

            if (shmseq_log_header_decode(hb, got, &h) == SHMSEQ_LOG_OK &&
                h.width != width) {
                fprintf(stderr, "%s: '%s' has width %u, the first file %u: "
                        "skipped\n", prog, o.files[i], (unsigned)h.width,
                        (unsigned)width);
                fclose(f);
                status = EXIT_DAMAGED;
                continue;
            }
            rewind(f);
        }
        rc = shmseq_log_scan_file(f, &s, csv_row, &c);
        fclose(f);
        if (c.failed)
            break;
        if (rc < 0 && s.header_rc == SHMSEQ_LOG_OK) {
            fprintf(stderr, "%s: reading '%s' failed: %s\n", prog,
                    o.files[i], strerror(-rc));
            status = EXIT_DAMAGED;
        } else if (rc != SHMSEQ_LOG_OK) {
            fprintf(stderr, "%s: %s: header %s: skipped\n", prog, o.files[i],
                    shmseq_log_strerror(rc));
            status = EXIT_DAMAGED;
        } else if (damaged(&s)) {
            fprintf(stderr, "%s: %s: damaged: %" PRIu64 " bad records and %"
                    PRIu64 " torn tail bytes left out, %" PRIu64
                    " sequence gaps; %" PRIu64 " records converted\n", prog,
                    o.files[i], s.bad_records, s.torn_bytes, s.gaps,
                    s.records);
            status = EXIT_DAMAGED;
        }
    }
    if (close_out(c.out, o.out) < 0 || c.failed)
        return EXIT_DAMAGED;
    return status;
}

typedef struct recover_ctx {
    FILE *out;
    int failed;
} recover_ctx;

static int recover_record(void *ctx, const shmseq_log_record *r,
                          uint64_t offset)
{
    recover_ctx *c = ctx;
    unsigned char rec[SHMSEQ_LOG_RECORD_MAX];
    size_t n = shmseq_log_record_encode(r, rec);

    (void)offset;
    if (c->out != NULL && fwrite(rec, 1, n, c->out) != n) {
        c->failed = 1;
        return 1;
    }
    return 0;
}

static int cmd_recover(int argc, char **argv)
{
    shmseq_log_scan s;
    recover_ctx c;
    unsigned char hb[SHMSEQ_LOG_HEADER_SIZE];
    opts o;
    FILE *f;
    int rc;

    if (parse(argc, argv, &o, 1) < 0)
        return EXIT_USAGE;
    if (o.nfiles != 1) {
        fprintf(stderr, "%s: recover takes one file\n", prog);
        return EXIT_USAGE;
    }
    f = open_in(o.files[0]);
    if (f == NULL)
        return EXIT_DAMAGED;
    memset(&s, 0, sizeof s);
    /* Check the header before creating OUT, so a hopeless input leaves no
     * empty output behind. */
    rc = shmseq_log_header_decode(hb, fread(hb, 1, sizeof hb, f), &s.header);
    rewind(f);
    c.out = NULL;
    c.failed = 0;
    if (rc == SHMSEQ_LOG_OK && o.out != NULL) {
        c.out = open_out(o.out, o.force);
        if (c.out == NULL) {
            fclose(f);
            return EXIT_DAMAGED;
        }
        if (fwrite(hb, 1, sizeof hb, c.out) != sizeof hb)
            c.failed = 1;
    }
    rc = c.failed ? 1 : shmseq_log_scan_file(f, &s, recover_record, &c);
    fclose(f);
    if (c.out != NULL && (close_out(c.out, o.out) < 0 || c.failed))
        return EXIT_DAMAGED;
    if (rc < 0 && s.header_rc == SHMSEQ_LOG_OK) {
        fprintf(stderr, "%s: reading '%s' failed: %s\n", prog, o.files[0],
                strerror(-rc));
        return EXIT_DAMAGED;
    }
    if (rc != SHMSEQ_LOG_OK) {
        print_header_problem("recover", o.files[0], &s);
        return EXIT_DAMAGED;
    }
    printf("recover: %s: header=ok records=%" PRIu64 " damaged=%" PRIu64
           " torn_tail_bytes=%" PRIu64, o.files[0], s.records, s.bad_records,
           s.torn_bytes);
    if (s.torn_bytes != 0)
        printf(" torn_offset=%" PRIu64, s.torn_offset);
    if (s.records != 0)
        printf(" seq=%" PRIu64 "..%" PRIu64, s.first_seq, s.last_seq);
    printf(" width=%u region='%s'%s%s\n", (unsigned)s.header.width,
           s.header.name, o.out != NULL ? " written to " : "",
           o.out != NULL ? o.out : "");
    return 0;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fprintf(stderr, "%s: missing COMMAND (verify, csv, recover)\n"
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
    fprintf(stderr, "%s: unknown command '%s'\nTry '%s --help'.\n", prog, cmd,
            prog);
    return EXIT_USAGE;
}
