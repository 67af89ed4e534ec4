#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end test of the demo: a logger writes CSV while sensor_reader
# publishes the desktop board's sim waveform at 1 kHz for 3 s; check_csv
# then proves every row arrived, in order, with no loss, and that every
# value is exactly the sim waveform recomputed from its sample number.
#
# usage: demo_e2e.sh SENSOR_READER LOGGER CHECK_CSV
# SHMSEQ_EMULATOR, if set, prefixes every program (qemu-user when
# cross-compiling).
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 SENSOR_READER LOGGER CHECK_CSV" >&2
    exit 2
fi
sensor=$1
logger=$2
check=$3
emu=${SHMSEQ_EMULATOR:-}
rate=1000
duration=3
name="e2e-demo-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-e2e.XXXXXX") || exit 1
lpid=""

cleanup() {
    if [ -n "$lpid" ]; then kill "$lpid" 2>/dev/null; fi
    rm -rf "$tmp"
    rm -f "/dev/shm/shmseq.$name"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "demo_e2e: FAIL: $*" >&2
    for f in "$tmp"/*.err; do
        [ -f "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
    done >&2
    exit 1
}

# The logger first: it waits for the region, and --oldest makes it start at
# sample 0 however late it attaches (the ring holds 4 s of samples).
$emu "$logger" --name "$name" --wait 20 --oldest --idle 2 \
    --out "$tmp/out.csv" 2>"$tmp/logger.err" &
lpid=$!

# No --unlink here: a logger that a loaded machine starts only after the
# sensor has finished must still find the region (checked apart below).
$emu "$sensor" --name "$name" --rate "$rate" --duration "$duration" \
    2>"$tmp/sensor.err" || fail "sensor_reader exited with status $?"

wait "$lpid"
lrc=$?
lpid=""
[ "$lrc" -eq 0 ] || fail "logger exited with status $lrc"

published=$(sed -n 's/^sensor_reader: published \([0-9]*\) samples.*/\1/p' \
    "$tmp/sensor.err")
summary=$(grep '^logger: stopped' "$tmp/logger.err") ||
    fail "no logger summary"
received=$(echo "$summary" | sed -n 's/.* received \([0-9]*\) lost.*/\1/p')
lost=$(echo "$summary" | sed -n 's/.* lost \([0-9]*\) .*/\1/p')
[ -n "$published" ] || fail "no sensor_reader summary"
# The summary adds up: every period waited published a sample or failed
# to read one (the sim never fails), none more.
periods=$(sed -n 's/^sensor_reader: periods \([0-9]*\) (published \([0-9]*\), sensor read failed \([0-9]*\)).*/\1 \2 \3/p' \
    "$tmp/sensor.err")
[ -n "$periods" ] || fail "no periods line in the sensor_reader summary"
set -- $periods
[ "$2" = "$published" ] && [ "$1" -eq $(($2 + $3)) ] ||
    fail "periods $1 != published $2 + failed reads $3 (published $published)"
[ "$lost" = "0" ] || fail "logger lost $lost samples"
[ "$received" = "$published" ] ||
    fail "logger received $received of $published published samples"

# Exactly one row per published sample. The count itself depends on how
# many periods a loaded machine let the sensor task run, so it is compared
# with what sensor_reader says it published, never with rate x duration.
$emu "$check" --board desktop --rate "$rate" --rows "$published" \
    --tolerance 0 "$tmp/out.csv" || fail "check_csv rejected the CSV"

# --unlink removes the region at exit (the one the demo wrote stays, as
# without --unlink it should).
[ -e "/dev/shm/shmseq.$name" ] || fail "sensor_reader without --unlink removed the region"
$emu "$sensor" --name "$name" --rate "$rate" --duration 1 --unlink --quiet \
    2>"$tmp/unlink.err" || fail "sensor_reader --unlink exited with status $?"
[ ! -e "/dev/shm/shmseq.$name" ] || fail "sensor_reader --unlink left the region"
echo "demo_e2e: PASS: published $published, received $received, lost 0"
