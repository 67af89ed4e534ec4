/* SPDX-License-Identifier: MIT */
/*
 * json_flat: a strict JSON (RFC 8259) checker for the CLI end-to-end test.
 * It reads one JSON document from a file (or stdin), rejects anything that
 * is not valid JSON, and prints every scalar as a "path=value" line, e.g.
 *
 *   [0].name=imu
 *   [0].writer_alive=true
 *
 * so a shell script can check `shmseq ls --json` / `stat --json` with grep,
 * without depending on python or jq on the test machine (or in the
 * emulated board). Strings are printed decoded (escapes resolved; \u
 * escapes as UTF-8), numbers, true, false and null as written.
 *
 * usage: json_flat [FILE]     exit 0 valid, 1 invalid, 2 usage/IO error
 */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32
#define MAX_INPUT (1u << 20)

static const char *src; /* the document, NUL-terminated */
static size_t pos;
static char path[4096];

static void fail(const char *what)
{
    fprintf(stderr, "json_flat: invalid JSON at byte %zu: %s\n", pos, what);
    exit(1);
}

static void skip_ws(void)
{
    while (src[pos] == ' ' || src[pos] == '\t' || src[pos] == '\n' ||
           src[pos] == '\r')
        pos++;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static unsigned long parse_u4(void)
{
    unsigned long v = 0;

    for (int i = 0; i < 4; i++) {
        int h = hex(src[pos]);

        if (h < 0)
            fail("bad \\u escape");
        v = v * 16u + (unsigned long)h;
        pos++;
    }
    return v;
}

static void put_utf8(char *out, size_t *n, size_t cap, unsigned long cp)
{
    unsigned char b[4];
    size_t k;

    if (cp < 0x80u) {
        b[0] = (unsigned char)cp;
        k = 1;
    } else if (cp < 0x800u) {
        b[0] = (unsigned char)(0xc0u | (cp >> 6));
        b[1] = (unsigned char)(0x80u | (cp & 0x3fu));
        k = 2;
    } else if (cp < 0x10000u) {
        b[0] = (unsigned char)(0xe0u | (cp >> 12));
        b[1] = (unsigned char)(0x80u | ((cp >> 6) & 0x3fu));
        b[2] = (unsigned char)(0x80u | (cp & 0x3fu));
        k = 3;
    } else {
        b[0] = (unsigned char)(0xf0u | (cp >> 18));
        b[1] = (unsigned char)(0x80u | ((cp >> 12) & 0x3fu));
        b[2] = (unsigned char)(0x80u | ((cp >> 6) & 0x3fu));
        b[3] = (unsigned char)(0x80u | (cp & 0x3fu));
        k = 4;
    }
    if (*n + k >= cap)
        fail("string too long");
    memcpy(out + *n, b, k);
    *n += k;
}

/* A string token into out (decoded); pos is at the opening quote. */
static void parse_string(char *out, size_t cap)
{
    size_t n = 0;

    pos++;
    for (;;) {
        unsigned char c = (unsigned char)src[pos];

        if (c == '"') {
            pos++;
            break;
        }
        if (c == '\0')
            fail("unterminated string");
        if (c < 0x20u)
            fail("unescaped control character in string");
        pos++;
        if (c == '\\') {
            unsigned long cp;

            c = (unsigned char)src[pos++];
            switch (c) {
            case '"': case '\\': case '/':
                cp = c;
                break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                cp = parse_u4();
                if (cp >= 0xd800u && cp < 0xdc00u) {
                    unsigned long lo;

                    if (src[pos] != '\\' || src[pos + 1] != 'u')
                        fail("lone high surrogate");
                    pos += 2;
                    lo = parse_u4();
                    if (lo < 0xdc00u || lo > 0xdfffu)
                        fail("bad low surrogate");
                    cp = 0x10000u + ((cp - 0xd800u) << 10) + (lo - 0xdc00u);
                } else if (cp >= 0xdc00u && cp < 0xe000u) {
                    fail("lone low surrogate");
                }
                break;
            default:
                fail("bad escape");
                return;
            }
            put_utf8(out, &n, cap, cp);
        } else {
            if (n + 1 >= cap)
                fail("string too long");
            out[n++] = (char)c;
        }
    }
    out[n] = '\0';
}

static void print_scalar(const char *text, size_t len)
{
    printf("%s=%.*s\n", path, (int)len, text);
}

static void parse_number(void)
{
    size_t start = pos;

    if (src[pos] == '-')
        pos++;
    if (src[pos] == '0') {
        pos++;
    } else if (src[pos] >= '1' && src[pos] <= '9') {
        while (src[pos] >= '0' && src[pos] <= '9')
            pos++;
    } else {
        fail("bad number");
    }
    if (src[pos] == '.') {
        pos++;
        if (src[pos] < '0' || src[pos] > '9')
            fail("bad fraction");
        while (src[pos] >= '0' && src[pos] <= '9')
            pos++;
    }
    if (src[pos] == 'e' || src[pos] == 'E') {
        pos++;
        if (src[pos] == '+' || src[pos] == '-')
            pos++;
        if (src[pos] < '0' || src[pos] > '9')
            fail("bad exponent");
        while (src[pos] >= '0' && src[pos] <= '9')
            pos++;
    }
    print_scalar(src + start, pos - start);
}

static void parse_value(int depth);

/* Appends a path component, returns the old length to restore. */
static size_t path_push(const char *fmt, const char *s, size_t i)
{
    size_t len = strlen(path);
    int n;

    if (s != NULL)
        n = snprintf(path + len, sizeof path - len, fmt, s);
    else
        n = snprintf(path + len, sizeof path - len, fmt, i);
    if (n < 0 || (size_t)n >= sizeof path - len)
        fail("nesting too deep");
    return len;
}

static void parse_value(int depth)
{
    static char str[4096];

    if (depth > MAX_DEPTH)
        fail("nesting too deep");
    skip_ws();
    switch (src[pos]) {
    case '{': {
        pos++;
        skip_ws();
        if (src[pos] == '}') {
            pos++;
            return;
        }
        for (;;) {
            size_t old;

            skip_ws();
            if (src[pos] != '"')
                fail("object key must be a string");
            parse_string(str, sizeof str);
            old = path_push(".%s", str, 0);
            skip_ws();
            if (src[pos] != ':')
                fail("expected ':'");
            pos++;
            parse_value(depth + 1);
            path[old] = '\0';
            skip_ws();
            if (src[pos] == ',') {
                pos++;
                continue;
            }
            if (src[pos] == '}') {
                pos++;
                return;
            }
            fail("expected ',' or '}'");
        }
    }
    case '[': {
        size_t i = 0;

        pos++;
        skip_ws();
        if (src[pos] == ']') {
            pos++;
            return;
        }
        for (;; i++) {
            size_t old = path_push("[%zu]", NULL, i);

            parse_value(depth + 1);
            path[old] = '\0';
            skip_ws();
            if (src[pos] == ',') {
                pos++;
                continue;
            }
            if (src[pos] == ']') {
                pos++;
                return;
            }
            fail("expected ',' or ']'");
        }
    }
    case '"':
        parse_string(str, sizeof str);
        printf("%s=%s\n", path, str);
        return;
    case 't':
        if (strncmp(src + pos, "true", 4) != 0)
            fail("bad literal");
        print_scalar(src + pos, 4);
        pos += 4;
        return;
    case 'f':
        if (strncmp(src + pos, "false", 5) != 0)
            fail("bad literal");
        print_scalar(src + pos, 5);
        pos += 5;
        return;
    case 'n':
        if (strncmp(src + pos, "null", 4) != 0)
            fail("bad literal");
        print_scalar(src + pos, 4);
        pos += 4;
        return;
    default:
        parse_number();
        return;
    }
}

int main(int argc, char **argv)
{
    static char buf[MAX_INPUT + 1];
    FILE *f = stdin;
    size_t n;

    if (argc > 2) {
        fprintf(stderr, "usage: json_flat [FILE]\n");
        return 2;
    }
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        f = fopen(argv[1], "r");
        if (f == NULL) {
            perror(argv[1]);
            return 2;
        }
    }
    n = fread(buf, 1, MAX_INPUT, f);
    if (ferror(f) || !feof(f)) {
        fprintf(stderr, "json_flat: cannot read the input (or over %u "
                "bytes)\n", MAX_INPUT);
        return 2;
    }
    if (f != stdin)
        (void)fclose(f);
    buf[n] = '\0';
    if (strlen(buf) != n) {
        fprintf(stderr, "json_flat: NUL byte in the input\n");
        return 1;
    }
    src = buf;
    parse_value(0);
    skip_ws();
    if (src[pos] != '\0')
        fail("trailing characters after the document");
    return fflush(stdout) == 0 ? 0 : 2;
}
