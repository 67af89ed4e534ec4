#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end test of reader_saver (the original sketch in C): it must exit
# 0, print exactly N lines whose doubled values are exact, and leave no
# region behind; and when a child fails it must still remove the region
# and exit 1.
#
# usage: reader_saver_e2e.sh READER_SAVER CHECK_CSV
# SHMSEQ_EMULATOR, if set, prefixes every program.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 READER_SAVER CHECK_CSV" >&2
    exit 2
fi
rs=$1
check=$2
emu=${SHMSEQ_EMULATOR:-}
name="e2e-rs-$$"
count=20
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-e2e.XXXXXX") || exit 1
trap 'rm -rf "$tmp"; rm -f "/dev/shm/shmseq.$name"' EXIT
trap 'exit 1' INT TERM

fail() {
    echo "reader_saver_e2e: FAIL: $*" >&2
    [ -f "$tmp/err" ] && cat "$tmp/err" >&2
    exit 1
}

# Normal run, stdout a file (a child's unflushed output would be lost).
$emu "$rs" --name "$name" --count "$count" >"$tmp/out" 2>"$tmp/err" ||
    fail "exit status $?"
$emu "$check" --saver --count "$count" "$tmp/out" ||
    fail "check_csv rejected the output"
[ ! -e "/dev/shm/shmseq.$name" ] || fail "region left behind"
# The seed's flow: main creates, the Reader writes, the Saver reads. The
# Reader is the region's first and only writer: epoch 1, not a takeover.
grep -q "^Reader: published $count samples into '$name' (epoch 1)\$" "$tmp/err" ||
    fail "the Reader did not report epoch 1"

# Through a pipe too.
n=$($emu "$rs" --name "$name" --count 7 2>"$tmp/err" | wc -l)
[ "$n" -eq 7 ] || fail "$n lines through a pipe, want 7"
[ ! -e "/dev/shm/shmseq.$name" ] || fail "region left behind (pipe)"

# A child fails: with stdout closed the Saver cannot print, so it exits 1;
# the parent must say so, still remove the region, and exit 1.
$emu "$rs" --name "$name" --count "$count" >&- 2>"$tmp/err"
rc=$?
[ "$rc" -eq 1 ] || fail "failing Saver gave status $rc, want 1"
grep -q "Saver.*failed" "$tmp/err" || fail "the failing child was not named"
[ ! -e "/dev/shm/shmseq.$name" ] || fail "region left behind (child failed)"

# More samples than slots is refused up front (usage error, no region).
$emu "$rs" --name "$name" --count 100 --capacity 64 >/dev/null 2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "count > capacity gave status $rc, want 2"
[ ! -e "/dev/shm/shmseq.$name" ] || fail "region left behind (usage error)"

echo "reader_saver_e2e: PASS"
