#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end tests of the logger's SQLite sink (docs/logging.md, "The
# SQLite sink"), with the sim sensor so check_sqlite can recompute every
# stored value. Two modes:
#
#   kill      a sensor task writes at 5 kHz while a logger --oldest into
#             one database is SIGKILLed at a random moment 100-300 ms after
#             each start, SHMSEQ_SQLITE_KILLS times (100; under an emulator
#             25 kills, 400-1200 ms), each followed by a restart; a last
#             logger drains the ring. Then: integrity ok,
#             no duplicate (region, seq), every value is the sim waveform,
#             rows + gaps cover 0 .. published-1 exactly.
#   failures  a clean run; a database full under --max-bytes (stop: exit 1
#             with the count not stored and a 'full' gap; drop-oldest:
#             goes on); a user's write transaction holding the database
#             (busy: retried, shown, nothing lost); a damaged database, a
#             non-database, another program's database and a database of
#             another width at --out (refused, the file untouched); a second
#             logger of the same region (refused); a restart that continues
#             exactly where the database ends. Each checks that nothing
#             already stored is lost. Also shmseq-log sqlite (the import).
#   saver     reader_saver --db twice into one database: each run's rows
#             read back by its query equal, bit for bit, the doubled
#             values the Saver printed; the two runs are two regions.
#
# usage: sqlite_e2e.sh MODE PROGRAM LOGGER CHECK_SQLITE [SHMSEQ_LOG]
# PROGRAM is sensor_reader (kill, failures) or reader_saver (saver).
# SHMSEQ_EMULATOR, if set, prefixes every program (qemu-user).
set -u

if [ $# -lt 4 ]; then
    echo "usage: $0 kill|failures SENSOR_READER LOGGER CHECK_SQLITE [SHMSEQ_LOG]" >&2
    exit 2
fi
mode=$1
sensor=$2
logger=$3
check=$4
slog=${5:-}
emu=${SHMSEQ_EMULATOR:-}
name="e2e-sq-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-sq-e2e.XXXXXX") || exit 1
pids=""

cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    rm -rf "$tmp"
    for r in "$name" "$name-2" "$name-8"; do
        rm -f "/dev/shm/shmseq.$r"
    done
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "sqlite_e2e ($mode): FAIL: $*" >&2
    for f in "$tmp"/*.err "$tmp"/*.out; do
        [ -f "$f" ] && { echo "--- $(basename "$f")"; tail -n 30 "$f"; }
    done >&2
    exit 1
}

# last FILE: the last sample number sensor_reader's summary says it
# published ("published N samples (seq F..L)").
last() {
    sed -n 's/^sensor_reader: published [0-9]* samples (seq [0-9]*\.\.\([0-9]*\)).*/\1/p' "$1"
}

# rand_ms LO HI: a random number of milliseconds in [LO, HI].
rand_ms() {
    r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $(($1 + r % ($2 - $1 + 1)))
}

# ms N: N milliseconds as seconds for sleep(1).
ms() {
    printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000))
}

# rows DB: "count sum-of-seq" of every stored row: what must never change.
rows() {
    $emu "$check" "$1" 2>/dev/null | sed -n 's/^rows \([0-9]*\) .*/\1/p'
}

# sum FILE: a checksum of the file's bytes.
sum() {
    cksum <"$1"
}

# A background sensor task: sensor_start NAME RATE [ARGS]; stop with
# sensor_stop (SIGTERM: it prints its summary to $tmp/sensor.err).
sensor_start() {
    sname=$1 srate=$2
    shift 2
    $emu "$sensor" --name "$sname" --board desktop --rate "$srate" \
        --quiet "$@" 2>"$tmp/sensor.err" &
    pid_sensor=$!
    pids="$pids $pid_sensor"
}
sensor_stop() {
    kill -TERM "$pid_sensor" 2>/dev/null
    wait "$pid_sensor"
}

if [ "$mode" = kill ]; then
    # Under an emulator a logger takes hundreds of milliseconds to start:
    # a longer window (so most kills land after it stored something) and
    # fewer kills keep the test's time bounded.
    if [ -n "$emu" ]; then
        kills=${SHMSEQ_SQLITE_KILLS:-25} lo=400 hi=1200
    else
        kills=${SHMSEQ_SQLITE_KILLS:-100} lo=100 hi=300
    fi
    db=$tmp/kill.db
    sensor_start "$name" 5000
    i=0
    gone=0
    while [ "$i" -lt "$kills" ]; do
        $emu "$logger" --name "$name" --wait 20 --oldest --idle 0 --quiet \
            --format sqlite --out "$db" 2>>"$tmp/kill.err" &
        pid_log=$!
        if [ "$i" -eq 0 ]; then
            # The first logger is killed only once it has begun (its
            # regions row fixes where the coverage starts: sample 0);
            # every later kill lands anywhere.
            j=0
            while [ "$j" -lt 60 ] && kill -0 "$pid_log" 2>/dev/null &&
                ! $emu "$check" --probe --region "$name" "$db" >/dev/null 2>&1; do
                sleep 0.1
                j=$((j + 1))
            done
        fi
        sleep "$(ms "$(rand_ms "$lo" "$hi")")"
        if ! kill -9 "$pid_log" 2>/dev/null; then
            gone=$((gone + 1))
        fi
        wait "$pid_log" 2>/dev/null
        i=$((i + 1))
    done
    # Samples keep coming while the last logger starts: it drains the ring
    # once the sensor stops (idle, no writer).
    $emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
        --format sqlite --out "$db" 2>"$tmp/last.err" &
    pid_last=$!
    pids="$pids $pid_last"
    sleep 0.5
    sensor_stop
    wait "$pid_last" || fail "the last logger exited with status $?"
    pids=""
    end=$(last "$tmp/sensor.err")
    [ -n "$end" ] || fail "no sensor_reader summary"
    [ "$gone" -eq 0 ] || fail "$gone loggers had exited before their SIGKILL"
    grep -q '^logger: accounting: .*already-stored [0-9]*: balanced' \
        "$tmp/last.err" || fail "the last logger did not resume, or its accounting does not balance"
    $emu "$check" --rate 5000 --region "$name" --from 0 --to $end \
        "$db" >"$tmp/check.out" 2>&1 || fail "check_sqlite failed"
    echo "sqlite_e2e (kill): PASS: $kills SIGKILLs at 5 kHz, published 0..$end;" \
         "$(head -n1 "$tmp/check.out")"
    exit 0
fi

if [ "$mode" = saver ]; then
    saver=$sensor
    for run in 1 2; do
        $emu "$saver" --count 50 --width 3 --seed "$run" --db "$tmp/saver.db" \
            >"$tmp/saver$run.out" 2>"$tmp/saver$run.err" ||
            fail "reader_saver --db exited with status $?"
        sed -n 's/^\([0-9]*\) original .* doubled \(.*\)$/\1 \2/p' \
            "$tmp/saver$run.out" >"$tmp/doubled$run"
        sed -n 's/^\([0-9]*\) stored \(.*\)$/\1 \2/p' \
            "$tmp/saver$run.out" >"$tmp/stored$run"
        [ "$(wc -l <"$tmp/doubled$run")" -eq 50 ] || fail "run $run: not 50 samples"
        cmp -s "$tmp/doubled$run" "$tmp/stored$run" ||
            fail "run $run: the rows read back differ from the doubled values"
    done
    cmp -s "$tmp/stored1" "$tmp/stored2" && fail "two seeds stored the same rows"
    if command -v sqlite3 >/dev/null 2>&1; then
        [ "$(sqlite3 "$tmp/saver.db" 'SELECT count(*) FROM regions')" = 2 ] ||
            fail "two runs are not two regions"
    fi
    echo "sqlite_e2e (saver): PASS: 2 runs x 50 rows read back equal to the" \
         "Saver's doubled values"
    exit 0
fi

[ "$mode" = failures ] || { echo "unknown mode '$mode'" >&2; exit 2; }

# 1. A clean run from sample 0, then a restart on the same database that
# continues exactly where it ends (the region keeps its samples; the
# restart polls every 10 ms, --poll-ms).
db=$tmp/run.db
sensor_start "$name" 2000 --duration 1
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
    --format bin --out "$tmp/run.bin" 2>"$tmp/bin.err" &
pid_bin=$!
pids="$pids $pid_bin"
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
    --format sqlite --out "$db" --count 100 2>"$tmp/run1.err" ||
    fail "first logger exited with status $?"
wait "$pid_sensor" || fail "sensor_reader exited with status $?"
wait "$pid_bin" || fail "bin logger exited with status $?"
pids=""
end=$(last "$tmp/sensor.err")
$emu "$logger" --name "$name" --wait 20 --oldest --idle 0.5 --quiet \
    --format sqlite --out "$db" --poll-ms 10 2>"$tmp/run2.err" ||
    fail "restarted logger exited with status $?"
grep -q "already-stored [0-9]*: balanced" "$tmp/run2.err" ||
    fail "restarted logger: no resume, or unbalanced"
$emu "$check" --rate 2000 --region "$name" --from 0 --to $end "$db" \
    >"$tmp/check1.out" 2>&1 || fail "check after the restart"
grep -q ' gaps 0 ' "$tmp/check1.out" ||
    fail "a restart with the samples still in the ring recorded a gap"
stored=$(rows "$db")
[ "$stored" = $((end + 1)) ] || fail "stored $stored rows of $((end + 1))"

# shmseq-log sqlite: the binary log of the same run into a new database
# holds the same rows; importing it again, or into the database the
# logger filled, stores nothing twice; a log cut inside a record (as a
# crash leaves it) imports its intact records and says it was damaged.
if [ -n "$slog" ]; then
    $emu "$slog" sqlite -o "$tmp/imp.db" "$tmp/run.bin" >"$tmp/imp.out" \
        2>&1 || fail "import exited with status $?"
    $emu "$check" --rate 2000 --region "$name" --from 0 --to "$end" \
        "$tmp/imp.db" >"$tmp/checkimp.out" 2>&1 || fail "check of the import"
    [ "$(rows "$tmp/imp.db")" = $((end + 1)) ] || fail "import stored $(rows "$tmp/imp.db")"
    $emu "$slog" sqlite -o "$tmp/imp.db" "$tmp/run.bin" >"$tmp/imp2.out" \
        2>&1 || fail "second import exited with status $?"
    grep -q "stored 0 records, skipped $((end + 1)) already stored" \
        "$tmp/imp2.out" || fail "second import: $(cat "$tmp/imp2.out")"
    $emu "$slog" sqlite -o "$db" "$tmp/run.bin" >"$tmp/imp3.out" 2>&1 ||
        fail "import into the logger's database exited with status $?"
    grep -q "stored 0 records" "$tmp/imp3.out" ||
        fail "import into the logger's database: $(cat "$tmp/imp3.out")"
    size=$(wc -c <"$tmp/run.bin")
    head -c $((size - 7)) "$tmp/run.bin" >"$tmp/cut.bin"
    $emu "$slog" sqlite -o "$tmp/cut.db" "$tmp/cut.bin" >"$tmp/imp4.out" 2>&1
    rc=$?
    [ "$rc" -eq 1 ] || fail "import of a cut log exited $rc, want 1"
    $emu "$check" --rate 2000 --region "$name" --from 0 --to $((end - 1)) \
        "$tmp/cut.db" >"$tmp/checkcut.out" 2>&1 || fail "check of the cut import"
fi

# 2. A second logger of the same region into the same database: refused.
# A logger of another region into the same database at the same time:
# serialised by SQLite's write lock, both stored whole.
sensor_start "$name" 1000 --duration 3
$emu "$sensor" --name "$name-2" --board desktop --rate 1000 --quiet \
    --duration 3 2>"$tmp/sensor2.err" &
pid_s2=$!
pids="$pids $pid_s2"
$emu "$logger" --name "$name" --wait 20 --idle 1 --quiet --format sqlite \
    --out "$db" 2>"$tmp/first.err" &
pid_first=$!
pids="$pids $pid_first"
$emu "$logger" --name "$name-2" --wait 20 --oldest --idle 1 --quiet \
    --format sqlite --out "$db" 2>"$tmp/other.err" &
pid_other=$!
pids="$pids $pid_other"
sleep 0.5
$emu "$logger" --name "$name" --wait 20 --idle 1 --quiet --format sqlite \
    --out "$db" 2>"$tmp/second.err"
rc=$?
[ "$rc" -eq 1 ] || fail "a second logger of the same region exited $rc, want 1"
grep -q "another logger is storing region '$name' into" "$tmp/second.err" ||
    fail "the second logger did not say why it was refused"
wait "$pid_first" || fail "the first logger exited with status $?"
wait "$pid_other" || fail "the other region's logger exited with status $?"
wait "$pid_sensor"
wait "$pid_s2"
pids=""
end2=$(last "$tmp/sensor2.err")
$emu "$check" --rate 1000 --region "$name-2" --from 0 --to "$end2" "$db" \
    >"$tmp/check2.out" 2>&1 || fail "the other region in the shared database"

# 3. Busy: a user's write transaction holds the database for 1.5 s while
# the logger commits every 100 ms with --busy-ms 100: it retries, shows
# it, and loses nothing.
rm -f "/dev/shm/shmseq.$name"
db=$tmp/busy.db
sensor_start "$name" 2000 --duration 3
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --format sqlite \
    --out "$db" --busy-ms 100 2>"$tmp/busy.err" &
pid_log=$!
pids="$pids $pid_log"
sleep 1
[ -s "$db" ] || fail "no database after a second"
$emu "$check" --hold-write 1500 "$db" >"$tmp/hold.out" 2>&1 ||
    fail "could not hold the write lock"
wait "$pid_log" || fail "busy logger exited with status $?"
wait "$pid_sensor"
pids=""
end=$(last "$tmp/sensor.err")
grep -q 'busy [1-9]' "$tmp/busy.err" || fail "the logger did not show the busy database"
$emu "$check" --rate 2000 --region "$name" --from 0 --to $end "$db" \
    >"$tmp/check3.out" 2>&1 || fail "check after the busy database"
grep -q ' gaps 0 ' "$tmp/check3.out" || fail "the busy database cost samples"

# 4. Full: --max-bytes 64k. stop: exit 1, says how many samples could not
# be stored, records them as a 'full' gap; what was stored is intact.
rm -f "/dev/shm/shmseq.$name"
db=$tmp/full.db
sensor_start "$name" 5000 --duration 3 --width 8
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
    --format sqlite --out "$db" --max-bytes 64k 2>"$tmp/full.err"
rc=$?
sensor_stop
pids=""
[ "$rc" -eq 1 ] || fail "a full database: logger exited $rc, want 1"
grep -q "full.db' is full (.*): [1-9][0-9]* samples could not be stored (recorded as a 'full' gap)" \
    "$tmp/full.err" || fail "the full database's message"
$emu "$check" --rate 5000 --region "$name" --from 0 "$db" \
    >"$tmp/check4.out" 2>&1 || fail "check of the full database"
grep -q 'full [1-9]' "$tmp/check4.out" || fail "no 'full' gap recorded"
[ "$(wc -c <"$db")" -le $((64 * 1024)) ] || fail "the database outgrew --max-bytes"
# A restart with room continues after the gap, and stores nothing twice.
before=$(rows "$db")
sensor_start "$name" 5000 --duration 1 --width 8
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
    --format sqlite --out "$db" 2>"$tmp/full2.err" ||
    fail "restart after full exited $?"
wait "$pid_sensor"
pids=""
end=$(last "$tmp/sensor.err")
$emu "$check" --rate 5000 --region "$name" --from 0 --to $end "$db" \
    >"$tmp/check4b.out" 2>&1 || fail "check after the restart with room"
[ "$(rows "$db")" -gt "$before" ] || fail "nothing stored after the restart"

# drop-oldest: goes on, deleting the oldest rows; what is left is exact.
rm -f "/dev/shm/shmseq.$name"
db=$tmp/drop.db
sensor_start "$name" 5000 --duration 3 --width 8
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --format sqlite \
    --out "$db" --max-bytes 64k --on-full drop-oldest 2>"$tmp/drop.err" ||
    fail "drop-oldest logger exited with status $?"
wait "$pid_sensor"
pids=""
end=$(last "$tmp/sensor.err")
grep -q 'dropped-for-space [1-9]' "$tmp/drop.err" || fail "nothing dropped for space"
$emu "$check" --rate 5000 --region "$name" --to $end "$db" \
    >"$tmp/check5.out" 2>&1 || fail "check of the drop-oldest database"
[ "$(wc -c <"$db")" -le $((64 * 1024)) ] || fail "the database outgrew --max-bytes"

# 5. Retention: --keep-rows keeps exactly the newest N rows (commits every
# 10 rows, so retention runs many times).
rm -f "/dev/shm/shmseq.$name"
db=$tmp/keep.db
sensor_start "$name" 2000 --duration 1
$emu "$logger" --name "$name" --wait 20 --oldest --idle 1 --quiet \
    --format sqlite --out "$db" --keep-rows 20 --commit-rows 10 \
    2>"$tmp/keep.err" ||
    fail "keep-rows logger exited with status $?"
wait "$pid_sensor"
pids=""
end=$(last "$tmp/sensor.err")
[ "$end" -ge 40 ] || fail "only $((end + 1)) samples published"
$emu "$check" --rate 2000 --region "$name" --from $((end - 19)) \
    --to $end "$db" >"$tmp/check6.out" 2>&1 ||
    fail "check of the retained rows"
[ "$(rows "$db")" = 20 ] || fail "--keep-rows 20 kept $(rows "$db")"

# 6. Refused before anything is written; the file is untouched.
# refuse FILE WANT [LOGGER ARGS]: the logger exits 1 saying WANT.
refuse() {
    f=$1 want=$2
    shift 2
    s0=$(sum "$f")
    $emu "$logger" --name "$name" --wait 5 --idle 1 --quiet --format sqlite \
        --out "$f" "$@" 2>"$tmp/refuse.err"
    rc=$?
    [ "$rc" -eq 1 ] || fail "$(basename "$f"): exited $rc, want 1"
    grep -q "$want" "$tmp/refuse.err" ||
        fail "$(basename "$f"): no '$want' in: $(cat "$tmp/refuse.err")"
    [ "$(sum "$f")" = "$s0" ] || fail "$(basename "$f") was changed"
}
sensor_start "$name" 1000 --duration 8
printf 'not a database, somebody else\047s notes\n' >"$tmp/notes.txt"
refuse "$tmp/notes.txt" "is not a SQLite database: refusing"
# A damaged copy of the clean database: garbage over its second page.
cp "$tmp/run.db" "$tmp/bad.db"
dd if=/dev/urandom of="$tmp/bad.db" bs=4096 seek=1 count=2 conv=notrunc \
    2>/dev/null
refuse "$tmp/bad.db" "is a damaged SQLite database"
cp "$tmp/keep.db" "$tmp/keep.copy"
stored=$(rows "$tmp/keep.db")
if command -v sqlite3 >/dev/null 2>&1; then
    sqlite3 "$tmp/other.db" "CREATE TABLE t (x); INSERT INTO t VALUES (1);"
    refuse "$tmp/other.db" "database of another program"
fi
sensor_stop
pids=""
# Another width: the region is 8 wide, the database holds width 4.
sensor_start "$name-8" 1000 --duration 8 --width 8
cp "$tmp/run.db" "$tmp/w4.db"
s0=$(sum "$tmp/w4.db")
$emu "$logger" --name "$name-8" --wait 5 --idle 1 --quiet --format sqlite \
    --out "$tmp/w4.db" 2>"$tmp/width.err"
rc=$?
sensor_stop
pids=""
[ "$rc" -eq 1 ] || fail "another width: exited $rc, want 1"
grep -q "holds samples of width 4 (v0,v1,v2,v3), this region has width 8" \
    "$tmp/width.err" || fail "another width: $(cat "$tmp/width.err")"
[ "$(sum "$tmp/w4.db")" = "$s0" ] || fail "the width-4 database was changed"
[ "$(rows "$tmp/w4.db")" = "$(rows "$tmp/run.db")" ] || fail "rows lost"

# A build without libsqlite3 says what to install (checked by the build
# itself: this binary has the sink). Usage errors: the sqlite options need
# --format sqlite.
$emu "$logger" --keep-rows 5 >/dev/null 2>"$tmp/usage.err"
[ $? -eq 2 ] || fail "--keep-rows without --format sqlite is not a usage error"

echo "sqlite_e2e (failures): PASS: restart exact ($(head -n1 "$tmp/check1.out"));" \
     "second logger of a region refused, another region's logger" \
     "shares the database; busy retried; full: stop exit 1 + 'full' gap," \
     "drop-oldest goes on; keep-rows 20; non-database, damaged, foreign," \
     "other width refused untouched"
