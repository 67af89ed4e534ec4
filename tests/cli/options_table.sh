#!/bin/sh
# SPDX-License-Identifier: MIT
# One option language: the table OPTION LETTERS of docs/cli.md gives each
# short letter one meaning across the five programs, and every program's
# --help (and every command's) lists exactly the options the table gives
# it, with the same letters. Also: --version in every program, getopt
# naming the program (not its path), and shmseq-log's one-line answer to
# no arguments.
#
# usage: options_table.sh CLI_MD SHMSEQ SHMSEQ_LOG LOGGER SENSOR_READER READER_SAVER
# SHMSEQ_EMULATOR, if set, prefixes every program.
set -u

if [ $# -ne 6 ]; then
    echo "usage: $0 CLI_MD SHMSEQ SHMSEQ_LOG LOGGER SENSOR_READER READER_SAVER" >&2
    exit 2
fi
doc=$1
emu=${SHMSEQ_EMULATOR:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-opts.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM
failed=0

fail() {
    echo "options_table: FAIL: $*" >&2
    failed=1
}

SHMSEQ_BIN=$2
LOG_BIN=$3
LOGGER_BIN=$4
SENSOR_BIN=$5
SAVER_BIN=$6

# bin PROGRAM: the binary of a program.
bin() {
    case $1 in
    shmseq) echo "$SHMSEQ_BIN" ;;
    shmseq-log) echo "$LOG_BIN" ;;
    logger) echo "$LOGGER_BIN" ;;
    sensor_reader) echo "$SENSOR_BIN" ;;
    reader_saver) echo "$SAVER_BIN" ;;
    esac
}

# Every program and command that has a --help of its own.
units="shmseq|shmseq ls|shmseq stat|shmseq watch|shmseq dump|shmseq rm|\
shmseq-log|shmseq-log verify|shmseq-log csv|shmseq-log recover|shmseq-log sqlite|\
logger|sensor_reader|reader_saver"

# The table: "UNIT<TAB>SHORT<TAB>LONG" per program it names (SHORT "-" for
# a long option only), "all" expanded to every unit.
awk -F'|' -v units="$units" '
    /^## OPTION LETTERS/ { on = 1; next }
    /^## / { on = 0 }
    !on || $2 !~ /`|—/ { next }
    {
        short = $2; long = $3; progs = $4
        gsub(/[` ]/, "", short); sub(/^—$/, "-", short)
        gsub(/`/, "", long); sub(/^ +/, "", long); sub(/ .*/, "", long)
        if (short != "-" && seen_s[short]++) print "DUP letter " short > "/dev/stderr"
        if (seen_l[long]++) print "DUP long " long > "/dev/stderr"
        if (progs ~ /^ *all *$/) progs = units
        n = split(progs, p, /[,|]/)
        for (i = 1; i <= n; i++) {
            u = p[i]; sub(/^ +/, "", u); sub(/ +$/, "", u)
            if (u != "") printf "%s\t%s\t%s\n", u, short, long
        }
    }' "$doc" 2>"$tmp/dups" | sort -u >"$tmp/table"
[ -s "$tmp/table" ] || fail "no OPTION LETTERS table in $doc"
[ -s "$tmp/dups" ] && fail "the table gives a letter or long option twice: $(cat "$tmp/dups")"

# The options each --help lists: lines "  -x, --long ..." or "      --long".
: >"$tmp/help"
old_ifs=$IFS
IFS='|'
for u in $units; do
    IFS=$old_ifs
    # shellcheck disable=SC2086 # "shmseq dump": the program, the command
    set -- $u
    b=$(bin "$1")
    shift
    $emu "$b" "$@" --help >"$tmp/out" 2>&1 || fail "$u --help exited with $?"
    awk -v u="$u" '
        /^ +-[A-Za-z], --[a-z]/ {
            s = $1; sub(/,$/, "", s); sub(/^-/, "", s)
            l = $2; sub(/^--/, "", l); sub(/[=[].*/, "", l)
            printf "%s\t-%s\t--%s\n", u, s, l; next }
        /^ +--[a-z]/ {
            l = $1; sub(/^--/, "", l); sub(/[=[].*/, "", l)
            printf "%s\t-\t--%s\n", u, l }' "$tmp/out" >>"$tmp/help"
    IFS='|'
done
IFS=$old_ifs
sort -u "$tmp/help" -o "$tmp/help"

# The table's rows name long options with their argument; compare names.
sort -u "$tmp/table" >"$tmp/t"
if ! cmp -s "$tmp/t" "$tmp/help"; then
    fail "--help and docs/cli.md OPTION LETTERS differ (< table, > help):"
    diff "$tmp/t" "$tmp/help" >&2
fi

# --version in every program, one line naming it.
for p in shmseq shmseq-log logger sensor_reader reader_saver; do
    b=$(bin "$p")
    $emu "$b" --version >"$tmp/v" 2>&1 || fail "$p --version exited with $?"
    grep -q "^$p [0-9][0-9.]* (" "$tmp/v" && [ "$(wc -l <"$tmp/v")" -eq 1 ] ||
        fail "$p --version: $(cat "$tmp/v")"
    # getopt's own messages name the program, not the path.
    $emu "$b" --no-such-option >"$tmp/e" 2>&1
    rc=$?
    [ "$rc" -eq 2 ] || fail "$p --no-such-option exited with $rc, want 2"
    grep -q "^$p[ :]" "$tmp/e" || fail "$p --no-such-option: $(head -1 "$tmp/e")"
    grep -q "/$p" "$tmp/e" && fail "$p names its path: $(head -1 "$tmp/e")"
done

# shmseq-log without arguments: one line and the hint, as shmseq does.
for p in shmseq shmseq-log; do
    b=$(bin "$p")
    $emu "$b" >"$tmp/o" 2>"$tmp/e"
    rc=$?
    [ "$rc" -eq 2 ] || fail "$p without arguments exited with $rc, want 2"
    [ -s "$tmp/o" ] && fail "$p without arguments wrote to stdout"
    [ "$(wc -l <"$tmp/e")" -eq 2 ] && grep -q "^Try '$p --help'.\$" "$tmp/e" ||
        fail "$p without arguments: not one line and the hint: $(cat "$tmp/e")"
done
# shmseq-log COMMAND --help: that command's usage only.
for c in verify csv recover; do
    $emu "$LOG_BIN" "$c" --help >"$tmp/o" 2>&1 || fail "shmseq-log $c --help"
    grep -q "^Usage: shmseq-log $c " "$tmp/o" || fail "shmseq-log $c --help: no usage line"
    [ "$(grep -c '^Usage:' "$tmp/o")" -eq 1 ] || fail "shmseq-log $c --help: more than its usage"
done

# A bad region name: what is wrong with it, said once, not the library's
# generic invalid-argument sentence.
for p in logger sensor_reader reader_saver; do
    $emu "$(bin "$p")" --name 'a/b' >"$tmp/o" 2>"$tmp/e"
    rc=$?
    [ "$rc" -eq 2 ] || fail "$p --name a/b exited with $rc, want 2"
    grep -q "^$p: region name 'a/b' is not valid: '/' is not allowed (" "$tmp/e" ||
        fail "$p --name a/b: $(cat "$tmp/e")"
    grep -q "invalid argument" "$tmp/e" && fail "$p --name a/b: generic text"
    [ "$(wc -l <"$tmp/e")" -eq 1 ] || fail "$p --name a/b: more than one line"
done

[ "$failed" -eq 0 ] || exit 1
echo "options_table: PASS ($(wc -l <"$tmp/t") program options)"
