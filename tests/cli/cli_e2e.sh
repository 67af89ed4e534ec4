#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end test of the `shmseq` CLI against a running sensor_reader:
# every command (ls, ls --json, stat, stat --json, dump, dump --follow,
# watch, rm, rm --force), the exit statuses documented in docs/cli.md, a
# writer that stops, a corrupt region, and a FIFO or a second name under a
# region's name. JSON output is checked with
# json_flat (a strict parser built with the tests), so no python or jq is
# needed on the test machine.
#
# usage: cli_e2e.sh SHMSEQ SENSOR_READER JSON_FLAT
# SHMSEQ_EMULATOR, if set, prefixes every program (qemu-user when
# cross-compiling).
set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 SHMSEQ SENSOR_READER JSON_FLAT" >&2
    exit 2
fi
shmseq=$1
sensor=$2
jflat=$3
emu=${SHMSEQ_EMULATOR:-}
name="cli-e2e-$$"
name2="cli-e2e-force-$$"
bad="cli-e2e-bad-$$"
fifo="cli-e2e-fifo-$$"
hl="cli-e2e-hl-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-cli.XXXXXX") || exit 1
spid=""
spid2=""
wpid=""

cleanup() {
    if [ -n "$wpid" ]; then kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null; fi
    if [ -n "$spid" ]; then kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null; fi
    if [ -n "$spid2" ]; then kill "$spid2" 2>/dev/null; wait "$spid2" 2>/dev/null; fi
    rm -rf "$tmp"
    rm -f "/dev/shm/shmseq.$name" "/dev/shm/shmseq.$name2" \
        "/dev/shm/shmseq.$bad" "/dev/shm/shmseq.$fifo" "/dev/shm/shmseq.$hl"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "cli_e2e: FAIL: $*" >&2
    for f in "$tmp"/*.out "$tmp"/*.err; do
        [ -s "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
    done >&2
    exit 1
}

# run LABEL ARGS...: shmseq ARGS, stdout in $tmp/LABEL.out, stderr in
# $tmp/LABEL.err, exit status in $rc.
run() {
    label=$1
    shift
    $emu "$shmseq" "$@" >"$tmp/$label.out" 2>"$tmp/$label.err"
    rc=$?
}

# expect LABEL STATUS ARGS...: run and check the exit status.
expect() {
    label=$1
    want=$2
    shift 2
    run "$label" "$@"
    [ "$rc" -eq "$want" ] || fail "shmseq $* exited with $rc, want $want"
}

# jfield FILE KEY: value of KEY ("[0].name", ".rate_hz") in JSON FILE.
jfield() {
    awk -v k="$2=" 'index($0, k) == 1 { print substr($0, length(k) + 1) }' \
        "$1.flat"
}

# jcheck LABEL: LABEL.out must be valid JSON; flattened into LABEL.out.flat.
jcheck() {
    $emu "$jflat" "$tmp/$1.out" >"$tmp/$1.out.flat" 2>"$tmp/$1.jerr" ||
        fail "output of '$1' is not valid JSON: $(cat "$tmp/$1.jerr")"
}

# The array index of region $2 in the flattened `ls --json` $1.
jindex() {
    awk -v n="$2" '/^\[[0-9]+\]\.name=/ && substr($0, index($0, "=") + 1) == n {
        print substr($0, 1, index($0, ".") - 1) }' "$1.flat"
}

# ---- usage errors (2), help, version -------------------------------------
expect noargs 2
expect badcmd 2 frob
expect badopt 2 --frob
expect lsextra 2 ls extra
expect lsbadopt 2 ls --bogus
expect statnoname 2 stat
expect statbadname 2 stat 'a/b'
expect statwindow 2 stat "$name" --window abc
expect dumpcount 2 dump "$name" -c abc
expect dumptailfollow 2 dump "$name" --tail --follow
expect watchint 2 watch "$name" --interval 0
expect rmnoname 2 rm
grep -q 'not a valid region name' "$tmp/statbadname.err" ||
    fail "no helpful message for a bad name"
grep -q "Try 'shmseq stat --help'" "$tmp/statnoname.err" ||
    fail "usage error does not point at --help"
expect help 0 --help
grep -q '^Usage: shmseq' "$tmp/help.out" || fail "--help has no usage line"
for c in ls stat watch dump rm; do
    expect "help-$c" 0 "$c" --help
    grep -q "^Usage: shmseq $c" "$tmp/help-$c.out" || fail "$c --help"
done
expect version 0 --version
grep -q '^shmseq [0-9]' "$tmp/version.out" || fail "--version output"

# ---- no such region (3) ------------------------------------------------
expect statnone 3 stat "$name"
grep -q "^shmseq: stat $name: no region of that name" "$tmp/statnone.err" ||
    fail "stat of a missing region: unexpected message"
expect rmnone 3 rm "$name"
grep -q "^shmseq: rm $name: no region of that name" "$tmp/rmnone.err" ||
    fail "rm of a missing region: unexpected message"
expect dumpnone 3 dump "$name"
expect watchnone 3 watch "$name"

# ---- a running writer --------------------------------------------------
$emu "$sensor" --name "$name" --width 3 --capacity 1024 --rate 1000 \
    --duration 120 --quiet 2>"$tmp/sensor.err" &
spid=$!

# Wait for the region to exist and hold samples (bounded by tries, not time
# measured: a loaded machine or an emulator is slow to start).
tries=0
while :; do
    run wait stat "$name" --json --window 0
    if [ "$rc" -eq 0 ]; then
        jcheck wait
        head=$(jfield "$tmp/wait.out" .head)
        [ "${head:-0}" -gt 0 ] && break
    fi
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || fail "the region never filled (stat exit $rc)"
    kill -0 "$spid" 2>/dev/null || fail "sensor_reader died"
    sleep 0.1
done

# ls: listed, writer alive with its pid.
expect ls 0 ls
grep -q "^NAME  *WIDTH  *CAPACITY  *WRITER" "$tmp/ls.out" || fail "ls header"
line=$(grep "^$name " "$tmp/ls.out") || fail "ls does not list $name"
echo "$line" | grep -q "alive, pid $spid" ||
    fail "ls does not show the writer alive with pid $spid: $line"
echo "$line" | awk '{ exit !($2 == 3 && $3 == 1024) }' ||
    fail "ls shows the wrong width/capacity: $line"

expect lsjson 0 ls --json
jcheck lsjson
i=$(jindex "$tmp/lsjson.out" "$name")
[ -n "$i" ] || fail "ls --json does not list $name"
[ "$(jfield "$tmp/lsjson.out" "$i.ok")" = true ] || fail "ls --json: ok"
[ "$(jfield "$tmp/lsjson.out" "$i.writer_alive")" = true ] ||
    fail "ls --json: writer not alive"
[ "$(jfield "$tmp/lsjson.out" "$i.writer_pid")" = "$spid" ] ||
    fail "ls --json: writer_pid"
[ "$(jfield "$tmp/lsjson.out" "$i.width")" = 3 ] || fail "ls --json: width"
[ "$(jfield "$tmp/lsjson.out" "$i.capacity")" = 1024 ] ||
    fail "ls --json: capacity"
[ "$(jfield "$tmp/lsjson.out" "$i.epoch")" = 1 ] || fail "ls --json: epoch"

# stat: the header fields, and a publish rate above zero. The rate is
# measured over a window, so retry a few times rather than assume the
# writer got the CPU during any one window.
expect stat 0 stat "$name"
for f in region writer epoch head rate width capacity 'slot size' \
    'header size' 'region size' 'layout version' created; do
    grep -q "^$f  " "$tmp/stat.out" || fail "stat has no '$f' line"
done
grep -q "^writer  *alive, pid $spid\$" "$tmp/stat.out" || fail "stat: writer"
tries=0
while :; do
    expect statjson 0 stat "$name" --json --window 300
    jcheck statjson
    rate=$(jfield "$tmp/statjson.out" .rate_hz)
    awk -v r="$rate" 'BEGIN { exit !(r + 0 > 0) }' && break
    tries=$((tries + 1))
    [ "$tries" -lt 10 ] || fail "stat --json: rate_hz $rate never above 0"
done
for k in .layout_version .header_size .slot_size .region_size .head \
    .created_realtime_ns .created_monotonic_ns .age_ns .window_ms; do
    v=$(jfield "$tmp/statjson.out" "$k")
    [ -n "$v" ] || fail "stat --json has no $k"
done
[ "$(jfield "$tmp/statjson.out" .name)" = "$name" ] || fail "stat --json: name"
[ "$(jfield "$tmp/statjson.out" .writer_alive)" = true ] ||
    fail "stat --json: writer_alive"

# check_rows FILE N: N data rows after a header, consecutive seq numbers,
# epoch 1, 3 values each.
check_rows() {
    awk -F, -v n="$2" '
        NR == 1 { if ($0 != "seq,timestamp_ns,epoch,v0,v1,v2") exit 1; next }
        NF != 6 || $3 != 1 { exit 2 }
        NR > 2 && $1 != prev + 1 { exit 3 }
        { prev = $1; rows++ }
        END { if (rows != n) exit 4 }' "$1"
}

expect dump 0 dump "$name" -c 5
check_rows "$tmp/dump.out" 5 || fail "dump -c 5: bad CSV (awk $?)"
# The ring is full (1024 slots at 1000 Hz after the waits above, or not
# yet: then it starts at 0); the oldest shown is the oldest in the ring.
oldest=$(sed -n 2p "$tmp/dump.out" | cut -d, -f1)

# --tail: the newest samples, consecutive, ending at the head seen.
expect tail 0 dump "$name" --tail -c 5
check_rows "$tmp/tail.out" 5 || fail "dump --tail -c 5: bad CSV (awk $?)"
tfirst=$(sed -n 2p "$tmp/tail.out" | cut -d, -f1)
[ "$tfirst" -gt "$oldest" ] || fail "dump --tail started at $tfirst, not after the oldest $oldest"
expect latest 0 dump "$name" --latest
check_rows "$tmp/latest.out" 1 || fail "dump --latest: bad CSV (awk $?)"
lseq=$(sed -n 2p "$tmp/latest.out" | cut -d, -f1)
[ "$lseq" -gt "$tfirst" ] || fail "dump --latest gave $lseq, older than the tail's $tfirst"
expect tail10 0 dump "$name" --tail --no-header
[ "$(wc -l <"$tmp/tail10.out")" -eq 10 ] || fail "dump --tail: not 10 rows"

expect follow 0 dump "$name" --follow -c 20
check_rows "$tmp/follow.out" 20 || fail "dump --follow -c 20: bad CSV (awk $?)"
first=$(sed -n 2p "$tmp/follow.out" | cut -d, -f1)
[ "$first" -ge "$head" ] || fail "dump --follow started in the past"

expect noheader 0 dump "$name" -c 3 --no-header
[ "$(wc -l <"$tmp/noheader.out")" -eq 3 ] || fail "dump --no-header -c 3"
grep -q '^seq' "$tmp/noheader.out" && fail "dump --no-header printed a header"

# watch until SIGINT: exit 0, status lines printed. The SIGINT goes to
# watch alone: timeout(1) would also send SIGCONT to the whole process
# group, and a SIGCONT landing while LeakSanitizer stops the exiting
# process (ptrace SIGSTOP) discards the stop, which hung the asan stage.
$emu "$shmseq" watch "$name" --interval 200 >"$tmp/watch.out" \
    2>"$tmp/watch.err" &
wpid=$!
sleep 2
kill -INT "$wpid"
wait "$wpid"
rc=$?
wpid=""
[ "$rc" -eq 0 ] || fail "watch ended by SIGINT exited with $rc"
grep -q "^watching '$name'" "$tmp/watch.out" || fail "watch: no banner"
grep -q '^stopped: received' "$tmp/watch.out" || fail "watch: no summary"
expect watchcount 0 watch "$name" --interval 100 --count 3
n=$(grep '^[0-9][0-9]:[0-9][0-9]:[0-9][0-9] ' "$tmp/watchcount.out" |
    grep -vc '  -- ')
[ "$n" -eq 3 ] || fail "watch --count 3 printed $n status lines"

# rm refuses while the writer runs: exit 1, region still there.
expect rmbusy 1 rm "$name"
grep -q "still holds this region" "$tmp/rmbusy.err" || fail "rm busy message"
expect statafter 0 stat "$name" --window 0

# rm is all or nothing: a held region or a missing name among the names
# leaves the others in place (a removable corrupt region stands in).
dd if=/dev/urandom of="/dev/shm/shmseq.$bad" bs=1024 count=4 2>/dev/null ||
    fail "cannot create the corrupt region file"
expect rmheldpair 1 rm "$bad" "$name"
[ -e "/dev/shm/shmseq.$bad" ] || fail "rm A HELD removed A"
grep -q "nothing removed" "$tmp/rmheldpair.err" || fail "rm A HELD: no word"
expect rmmisspair 3 rm "$bad" "no-such-$$"
[ -e "/dev/shm/shmseq.$bad" ] || fail "rm A MISSING removed A"
expect rmbadpair 2 rm "$bad" 'a/b'
[ -e "/dev/shm/shmseq.$bad" ] || fail "rm A BADNAME removed A"
expect statafter2 0 stat "$name" --window 0

# ---- the writer stops, a new one takes over ------------------------------
# A watcher runs across both and must say so.
$emu "$shmseq" watch "$name" --interval 100 >"$tmp/watchev.out" \
    2>"$tmp/watchev.err" &
wpid=$!
# wait_for FILE PATTERN WHAT: poll (bounded tries) until FILE has PATTERN.
wait_for() {
    tries=0
    until grep -q -e "$2" "$1"; do
        tries=$((tries + 1))
        [ "$tries" -lt 300 ] || { kill "$wpid" 2>/dev/null; fail "$3"; }
        sleep 0.1
    done
}
wait_for "$tmp/watchev.out" '^[0-9:]*  *[0-9.]' "watch printed no status line"
kill -TERM "$spid"
wait "$spid"
spid=""
grep -q '^sensor_reader: stopped by SIGTERM$' "$tmp/sensor.err" ||
    fail "sensor_reader does not name the signal that stopped it"
wait_for "$tmp/watchev.out" "-- $name: writer gone" \
    "watch did not notice the writer going away"
expect lsgone 0 ls --json
jcheck lsgone
i=$(jindex "$tmp/lsgone.out" "$name")
[ -n "$i" ] || fail "ls --json no longer lists $name after the writer stopped"
[ "$(jfield "$tmp/lsgone.out" "$i.writer_alive")" = false ] ||
    fail "ls --json: writer still alive after it stopped"
expect lsgonetable 0 ls
grep "^$name " "$tmp/lsgonetable.out" | grep -q ' gone' ||
    fail "ls does not show the writer gone"

# The next writer of the name takes the region over: epoch 2.
$emu "$sensor" --name "$name" --width 3 --capacity 1024 --rate 1000 \
    --duration 1 --quiet 2>"$tmp/sensor3.err" ||
    fail "the second writer of $name failed"
wait_for "$tmp/watchev.out" "-- $name: new writer took over: epoch 2" \
    "watch did not notice the new writer (epoch 2)"
# A writer of another width replaces the region: watch follows the new one.
$emu "$sensor" --name "$name" --width 2 --capacity 256 --rate 1000 \
    --duration 1 --recreate --quiet 2>"$tmp/sensor4.err" ||
    fail "the recreating writer of $name failed"
wait_for "$tmp/watchev.out" \
    "-- $name: the region was replaced by a new one (width 2, capacity 256); following it" \
    "watch did not notice the region being replaced"
kill -INT "$wpid"
wait "$wpid"
rc=$?
[ "$rc" -eq 0 ] || fail "watch stopped by SIGINT exited with $rc"
grep -q '^stopped: received .* writer takeovers seen 1$' "$tmp/watchev.out" ||
    fail "watch summary does not count the takeover"
expect stat2 0 stat "$name" --json --window 0
jcheck stat2
# The replaced region is new: epoch 1, width 2.
[ "$(jfield "$tmp/stat2.out" .epoch)" = 1 ] || fail "stat: epoch is not 1"
[ "$(jfield "$tmp/stat2.out" .width)" = 2 ] || fail "stat: width is not 2"
[ "$(jfield "$tmp/stat2.out" .writer_alive)" = false ] ||
    fail "stat: writer alive after it stopped"

expect rm 0 rm "$name"
expect statrm 3 stat "$name"
expect lsrm 0 ls
grep -q "^$name " "$tmp/lsrm.out" && fail "ls still lists a removed region"

# ---- rm --force while a writer runs -------------------------------------
$emu "$sensor" --name "$name2" --width 2 --capacity 64 --rate 100 \
    --duration 120 --quiet 2>"$tmp/sensor2.err" &
spid2=$!
tries=0
until $emu "$shmseq" stat "$name2" --window 0 >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || fail "the second region never appeared"
    sleep 0.1
done
expect rmforce 0 rm --force "$name2"
[ -s "$tmp/rmforce.err" ] && fail "rm --force printed something (docs: nothing)"
expect statforce 3 stat "$name2"
kill -TERM "$spid2"
wait "$spid2"
spid2=""

# ---- a corrupt region ----------------------------------------------------
[ -e "/dev/shm/shmseq.$bad" ] || fail "the corrupt region is gone"
expect lsbad 0 ls
grep -q "^$bad  *unreadable: " "$tmp/lsbad.out" ||
    fail "ls does not list the corrupt region with its error"
expect lsbadjson 0 ls --json
jcheck lsbadjson
i=$(jindex "$tmp/lsbadjson.out" "$bad")
[ -n "$i" ] || fail "ls --json does not list the corrupt region"
[ "$(jfield "$tmp/lsbadjson.out" "$i.ok")" = false ] ||
    fail "ls --json: corrupt region ok"
[ -n "$(jfield "$tmp/lsbadjson.out" "$i.error")" ] ||
    fail "ls --json: corrupt region has no error text"
expect statbad 1 stat "$bad"
grep -q "^shmseq: stat $bad: " "$tmp/statbad.err" || fail "stat bad: message"
# The library's sentence names no command; the tool adds the real one, once.
grep -q "NAME" "$tmp/statbad.err" && fail "stat bad: a placeholder in the message"
[ "$(grep -o 'shmseq rm' "$tmp/statbad.err" | wc -l)" -eq 1 ] ||
    fail "stat bad: not exactly one 'shmseq rm'"
grep -q "shmseq rm $bad\$" "$tmp/statbad.err" || fail "stat bad: no concrete command"
[ "$(grep -o 'remove' "$tmp/statbad.err" | wc -l)" -eq 1 ] ||
    fail "stat bad: says remove more than once"
expect dumpbad 1 dump "$bad"

# ---- another kind of file, or a second name, under a region's name -------
# A FIFO: not a region (status 1), and the message blames the file, not
# the name. rm refuses it at the check, before removing any other name;
# --force removes it.
mkfifo "/dev/shm/shmseq.$fifo" || fail "cannot make a FIFO in /dev/shm"
expect statfifo 1 stat "$fifo"
grep -q "not a valid region name" "$tmp/statfifo.err" &&
    fail "stat FIFO: blames the name"
grep -q "^shmseq: stat $fifo: not a region: " "$tmp/statfifo.err" ||
    fail "stat FIFO: message"
expect lsfifo 0 ls
grep -q "^$fifo  *unreadable: not a region: " "$tmp/lsfifo.out" ||
    fail "ls does not say what is wrong with the FIFO"
expect rmfifopair 1 rm "$bad" "$fifo"
[ -e "/dev/shm/shmseq.$bad" ] || fail "rm A FIFO removed A"
grep -q "shmseq rm --force $fifo\$" "$tmp/rmfifopair.err" ||
    fail "rm FIFO: no hint to --force"
grep -q "nothing removed" "$tmp/rmfifopair.err" || fail "rm A FIFO: message"
expect rmfifoforce 0 rm --force "$fifo"
[ ! -e "/dev/shm/shmseq.$fifo" ] || fail "rm --force left the FIFO"
# A second name (a hard link) of the corrupt file: refused by the check,
# nothing removed, until --force.
ln "/dev/shm/shmseq.$bad" "/dev/shm/shmseq.$hl" ||
    fail "cannot make a hard link in /dev/shm"
expect rmhlpair 1 rm "$bad" "$hl"
[ -e "/dev/shm/shmseq.$bad" ] && [ -e "/dev/shm/shmseq.$hl" ] ||
    fail "rm of a hard-linked file removed a name"
expect rmhlforce 0 rm --force "$hl"

expect rmbad 0 rm "$bad"
[ ! -e "/dev/shm/shmseq.$bad" ] || fail "rm left the corrupt region"

echo "cli_e2e: PASS"
