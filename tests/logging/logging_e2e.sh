#!/bin/sh
# SPDX-License-Identifier: MIT
# End-to-end test of durable logging. One sensor_reader run (sim waveform,
# 1 kHz, 1 s) feeds five loggers at once, all from sample 0:
#   bin    binary log with --max-bytes rotation and --fsync every 100
#          records: every segment verifies, the CSV shmseq-log makes of it
#          is byte for byte the csv logger's file, and check_csv proves
#          every value is the sim waveform
#   csv    the plain CSV
#   nospc  binary log whose disk "fills" after 100 records and 20 bytes
#          (LD_PRELOAD shim): exits 1 naming the file and ENOSPC, the file
#          holds exactly the records it says it wrote (cut back to the last
#          complete one), the rest counted lost to I/O
#   eio    the same for the CSV with EIO
#   fsync  fsync fails with EIO: nothing written is claimed as stored
# Every logger's summary must balance: published = written +
# lost-to-overrun + lost-to-I/O (+ unread), with published equal to what
# sensor_reader says it published. Then: O_EXCL refusal and --force,
# shmseq-log recover/verify on cut and bit-flipped copies; as a user tries
# it: recover onto its own input refused, a missing file, segments out of
# order, a hole, a flipped header bit, joined segments; the logger into
# /dev/null and through --force onto a symbolic link; and a logger whose
# region a writer replaces (--recreate, another width): exit 4.
#
# usage: logging_e2e.sh SENSOR_READER LOGGER SHMSEQ_LOG CHECK_CSV SHIM
# SHMSEQ_EMULATOR, if set, prefixes every program (qemu-user).
set -u

if [ $# -ne 5 ]; then
    echo "usage: $0 SENSOR_READER LOGGER SHMSEQ_LOG CHECK_CSV SHIM" >&2
    exit 2
fi
sensor=$1
logger=$2
slog=$3
check=$4
shim=$5
emu=${SHMSEQ_EMULATOR:-}
rate=1000
# The desktop board's sim sensor has 4 values: a record is 32 + 8 * 4 bytes.
rs=64
name="e2e-log-$$"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-log-e2e.XXXXXX") || exit 1
pids=""
# The shim is preloaded ahead of an ASan runtime; tell ASan that is fine.
asan_opts="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
# Preload the shim into the logger, not into qemu-user: under an emulator
# LD_PRELOAD must be handed to the guest with -E (the emulator's own
# loader would try, and fail, to load a foreign-ABI library).
if [ -n "$emu" ]; then
    pre_env="" pre_emu="$emu -E LD_PRELOAD=$shim"
else
    pre_env="LD_PRELOAD=$shim" pre_emu=""
fi

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
    rm -f "/dev/shm/shmseq.$name" "/dev/shm/shmseq.$name-re" \
        "/dev/shm/shmseq.$name-null" "/dev/shm/shmseq.$name-w2"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    echo "logging_e2e: FAIL: $*" >&2
    for f in "$tmp"/*.err "$tmp"/*.out; do
        [ -f "$f" ] && { echo "--- $(basename "$f")"; cat "$f"; }
    done >&2
    exit 1
}

# acct FILE KEY: the number after "KEY " in the logger's accounting line.
acct() {
    sed -n "s#^logger: accounting: .*$2 \([0-9]*\).*#\1#p" "$1"
}
# kv FILE KEY: the number in "KEY=N" on the last line that has it.
kv() {
    sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n1
}

common="--name $name --wait 20 --oldest --idle 1 --quiet"
$emu "$logger" $common --format bin --out "$tmp/a.bin" --max-bytes 4k \
    --fsync 100 2>"$tmp/bin.err" &
pids="$pids $!"; pid_bin=$!
$emu "$logger" $common --out "$tmp/a.csv" 2>"$tmp/csv.err" &
pids="$pids $!"; pid_csv=$!
# 160-byte header + 100 records + 20 bytes of the next.
env $pre_env ASAN_OPTIONS=$asan_opts \
    SHMSEQ_WFAIL_AFTER=$((160 + 100 * rs + 20)) \
    $pre_emu "$logger" $common --format bin --out "$tmp/nospc.bin" \
    2>"$tmp/nospc.err" &
pids="$pids $!"; pid_nospc=$!
env $pre_env ASAN_OPTIONS=$asan_opts SHMSEQ_WFAIL_AFTER=3000 \
    SHMSEQ_WFAIL_ERRNO=EIO \
    $pre_emu "$logger" $common --out "$tmp/eio.csv" 2>"$tmp/eio.err" &
pids="$pids $!"; pid_eio=$!
env $pre_env ASAN_OPTIONS=$asan_opts SHMSEQ_WFAIL_FSYNC=1 \
    $pre_emu "$logger" $common --format bin --out "$tmp/fsync.bin" \
    --fsync 200 2>"$tmp/fsync.err" &
pids="$pids $!"; pid_fsync=$!

# No --unlink: a logger that a loaded machine starts after the sensor has
# finished still finds the region (the ring holds every sample, --oldest
# reads them all); the cleanup removes it.
$emu "$sensor" --name "$name" --board desktop --rate "$rate" \
    --duration 1 2>"$tmp/sensor.err" ||
    fail "sensor_reader exited with status $?"
published=$(sed -n 's/^sensor_reader: published \([0-9]*\) samples.*/\1/p' \
    "$tmp/sensor.err")
[ -n "$published" ] || fail "no sensor_reader summary"

for which in bin csv nospc eio fsync; do
    eval "p=\$pid_$which"
    wait "$p"
    eval "rc_$which=$?"
done
pids=""
[ "$rc_bin" -eq 0 ] || fail "bin logger exited with status $rc_bin"
[ "$rc_csv" -eq 0 ] || fail "csv logger exited with status $rc_csv"

# Accounting: every logger balances, and counts what the sensor published.
for which in bin csv nospc eio fsync; do
    f="$tmp/$which.err"
    grep -q '^logger: accounting: .*: balanced' "$f" ||
        fail "$which logger: accounting does not balance"
    p=$(acct "$f" published)
    w=$(acct "$f" written)
    o=$(acct "$f" lost-to-overrun)
    i=$(acct "$f" lost-to-I/O)
    u=$(acct "$f" unread)
    [ "$p" = "$published" ] ||
        fail "$which logger: published $p, sensor_reader says $published"
    [ $((w + o + i + u)) -eq "$p" ] ||
        fail "$which logger: $w + $o + $i + $u != $p"
    eval "w_$which=$w; i_$which=$i"
done
[ "$i_bin" = 0 ] && [ "$i_csv" = 0 ] || fail "lost to I/O without a fault"

# bin: every segment intact, the whole log continuous, and its CSV is the
# csv logger's file byte for byte.
# 4 KiB hold the 160-byte header and 61 records: even a loaded machine,
# where the sensor task misses most of its periods, publishes enough for
# two files, and the number of files follows from the records written.
per=$(( (4096 - 160) / rs ))
want=$(( (w_bin + per - 1) / per ))
[ "$want" -ge 2 ] || fail "only $w_bin records written: too few to rotate"
nseg=$(ls "$tmp"/a.bin* | wc -l)
[ "$nseg" -eq "$want" ] ||
    fail "--max-bytes 4k made $nseg file(s) of $w_bin records, want $want"
for f in "$tmp"/a.bin*; do
    [ "$(wc -c <"$f")" -le 4096 ] || fail "$f is larger than --max-bytes"
done
$emu "$slog" verify "$tmp"/a.bin* >"$tmp/verify.out" 2>&1 ||
    fail "shmseq-log verify rejected the rotated log"
[ "$(kv "$tmp/verify.out" records)" = "$w_bin" ] ||
    fail "verify counts $(kv "$tmp/verify.out" records) records, logger wrote $w_bin"
$emu "$slog" csv "$tmp"/a.bin* -o "$tmp/conv.csv" 2>"$tmp/conv.err" ||
    fail "shmseq-log csv failed"
cmp "$tmp/conv.csv" "$tmp/a.csv" ||
    fail "shmseq-log csv differs from the logger's CSV"
$emu "$check" --board desktop --rate "$rate" --rows "$published" \
    --tolerance 0 "$tmp/conv.csv" >"$tmp/check.out" 2>&1 ||
    fail "check_csv rejected the converted CSV"

# nospc: exit 1, says ENOSPC once with the path; the file holds exactly
# the 100 records the logger claims, with no torn tail.
[ "$rc_nospc" -eq 1 ] || fail "disk-full logger exited with $rc_nospc, want 1"
grep -q "nospc.bin' failed: No space left on device" "$tmp/nospc.err" ||
    fail "disk-full logger did not report ENOSPC with the path"
[ "$(grep -c 'No space left' "$tmp/nospc.err")" -eq 1 ] ||
    fail "ENOSPC reported more than once"
[ "$w_nospc" = 100 ] || fail "disk-full logger claims $w_nospc records, want 100"
[ "$i_nospc" -gt 0 ] || fail "disk-full logger counted nothing lost to I/O"
$emu "$slog" verify "$tmp/nospc.bin" >"$tmp/vnospc.out" 2>&1 ||
    fail "the disk-full log does not verify (not cut back?)"
[ "$(kv "$tmp/vnospc.out" records)" = 100 ] ||
    fail "disk-full log holds $(kv "$tmp/vnospc.out" records) records, logger said 100"

# eio: the CSV holds exactly the rows claimed, each complete.
[ "$rc_eio" -eq 1 ] || fail "EIO logger exited with $rc_eio, want 1"
grep -q "eio.csv' failed: Input/output error" "$tmp/eio.err" ||
    fail "EIO logger did not report EIO with the path"
[ "$i_eio" -gt 0 ] || fail "EIO logger counted nothing lost to I/O"
$emu "$check" --board desktop --rate "$rate" --rows "$w_eio" --tolerance 0 \
    "$tmp/eio.csv" >"$tmp/checkeio.out" 2>&1 ||
    fail "the EIO CSV is not exactly the $w_eio rows claimed"

# fsync: a failed fsync means nothing since the last good one is claimed.
[ "$rc_fsync" -eq 1 ] || fail "fsync-EIO logger exited with $rc_fsync, want 1"
grep -q "fsync of '.*fsync.bin' failed: Input/output error" "$tmp/fsync.err" ||
    fail "fsync-EIO logger did not report the failed fsync"
[ "$w_fsync" = 0 ] || fail "fsync-EIO logger claims $w_fsync records stored"

# Never overwrite without --force, for both formats; --force does.
cp "$tmp/a.csv" "$tmp/a.csv.orig"
for out in a.bin a.csv; do
    $emu "$logger" --name "$name-none" --wait 0 --out "$tmp/$out" \
        2>"$tmp/excl.err" && fail "logger overwrote $out without --force"
    grep -q "exists" "$tmp/excl.err" || fail "no 'exists' message for $out"
done
cmp "$tmp/a.csv" "$tmp/a.csv.orig" || fail "a refused run changed a.csv"
$emu "$logger" --name "$name-none" --wait 0 --force --out "$tmp/a.csv" \
    2>"$tmp/force.err"
grep -q "exists" "$tmp/force.err" && fail "--force still refused"

# recover: cut copies of the first segment inside a record, exactly at a
# record boundary and inside the header; then a flipped bit.
seg=$tmp/a.bin
size=$(wc -c <"$seg")
total=$(( (size - 160) / $rs ))
cuts=0
for cut in $((size - 1)) $((size - $rs)) $((size - $rs - 13)) 160 161 100 0; do
    head -c "$cut" "$seg" >"$tmp/cut.bin"
    rm -f "$tmp/rec.bin"
    $emu "$slog" recover "$tmp/cut.bin" -o "$tmp/rec.bin" >"$tmp/rec.out" 2>&1
    rc=$?
    if [ "$cut" -lt 160 ]; then
        [ "$rc" -eq 4 ] || fail "recover of a torn header ($cut bytes) gave $rc"
        grep -q "header=torn ($cut of 160 bytes)" "$tmp/rec.out" ||
            fail "recover did not report the torn header at $cut"
        [ ! -e "$tmp/rec.bin" ] || fail "recover wrote output for a torn header"
    else
        want=$(( (cut - 160) / $rs ))
        torn=$(( (cut - 160) % $rs ))
        # 0: the cut fell between records (nothing lost); 1: damage found
        # (a torn record), every intact record recovered.
        [ "$rc" -eq $([ "$torn" -eq 0 ] && echo 0 || echo 1) ] ||
            fail "recover at cut $cut exited $rc"
        [ "$(kv "$tmp/rec.out" records)" = "$want" ] ||
            fail "recover at cut $cut: $(kv "$tmp/rec.out" records) records, want $want"
        [ "$(kv "$tmp/rec.out" torn_tail_bytes)" = "$torn" ] ||
            fail "recover at cut $cut: wrong torn tail size"
        $emu "$slog" verify "$tmp/rec.bin" >"$tmp/vrec.out" 2>&1 ||
            fail "the recovered log does not verify"
        [ "$(wc -c <"$tmp/rec.bin")" -eq $((160 + want * $rs)) ] ||
            fail "recovered log has the wrong size"
        if [ "$torn" -ne 0 ]; then
            $emu "$slog" verify "$tmp/cut.bin" >/dev/null 2>&1 &&
                fail "verify accepted a log with a torn tail"
        fi
    fi
    cuts=$((cuts + 1))
done

# Flip one bit in the middle record: verify says DAMAGED, recover skips it.
mid=$((160 + (total / 2) * $rs + 30))
cp "$seg" "$tmp/flip.bin"
byte=$(od -An -tu1 -j "$mid" -N1 "$seg" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 4)))" |
    dd of="$tmp/flip.bin" bs=1 seek="$mid" conv=notrunc 2>/dev/null
cmp -s "$seg" "$tmp/flip.bin" && fail "the bit flip did not happen"
$emu "$slog" verify "$tmp/flip.bin" >"$tmp/vflip.out" 2>&1 &&
    fail "verify accepted a flipped bit"
[ "$(kv "$tmp/vflip.out" damaged)" = 1 ] || fail "verify: not 1 damaged record"
$emu "$slog" recover "$tmp/flip.bin" >"$tmp/rflip.out" 2>&1
[ $? -eq 1 ] || fail "recover of a flipped bit did not exit 1 (damage found)"
[ "$(kv "$tmp/rflip.out" records)" = $((total - 1)) ] ||
    fail "recover kept $(kv "$tmp/rflip.out" records) of $((total - 1)) intact records"

# shmseq-log as a user tries it: nothing recoverable is lost.
cp "$seg" "$tmp/self.bin"
$emu "$slog" recover "$tmp/self.bin" -o "$tmp/self.bin" --force \
    >"$tmp/self.out" 2>&1
[ $? -eq 6 ] || fail "recover -o F --force F did not exit 6"
cmp -s "$seg" "$tmp/self.bin" || fail "recover -o F --force F changed its input"
grep -q "is the input file" "$tmp/self.out" || fail "no 'is the input file' message"
$emu "$slog" recover "$seg" >"$tmp/dry.out" 2>&1 ||
    fail "recover of an intact log without -o did not exit 0"
grep -q "nothing written" "$tmp/dry.out" || fail "recover without -o did not say it wrote nothing"
$emu "$slog" verify "$tmp/nosuch.bin" >"$tmp/nosuch.out" 2>&1
[ $? -eq 3 ] || fail "verify of a missing file did not exit 3"
grep -q "cannot read" "$tmp/nosuch.out" || fail "a missing file not said as such"
grep -q "DAMAGED" "$tmp/nosuch.out" && fail "a missing file reported as DAMAGED"
$emu "$slog" verify "$tmp/a.bin.000001" "$tmp/a.bin" >"$tmp/order.out" 2>&1
[ $? -eq 5 ] || fail "segments in the wrong order did not exit 5"
grep -q "segments out of order" "$tmp/order.out" || fail "no 'out of order' message"
# A hole of 5 bytes inside the middle record: only that record is lost.
hole=$((160 + (total / 2) * $rs + 17))
head -c "$hole" "$seg" >"$tmp/hole.bin"
tail -c +$((hole + 6)) "$seg" >>"$tmp/hole.bin"
$emu "$slog" verify "$tmp/hole.bin" >"$tmp/vhole.out" 2>&1
[ $? -eq 1 ] || fail "verify of a log with a hole did not exit 1"
[ "$(kv "$tmp/vhole.out" records)" = $((total - 1)) ] ||
    fail "verify after a hole: $(kv "$tmp/vhole.out" records) records, want $((total - 1))"
grep -q "offset $((160 + (total / 2) * $rs)): $((rs - 5)) bytes skipped" "$tmp/vhole.out" ||
    fail "verify did not say where the hole is"
$emu "$slog" recover "$tmp/hole.bin" -o "$tmp/rhole.bin" >"$tmp/rhole.out" 2>&1
[ $? -eq 1 ] || fail "recover of a log with a hole did not exit 1"
$emu "$slog" verify "$tmp/rhole.bin" >"$tmp/vrhole.out" 2>&1 ||
    fail "the log recovered from a hole does not verify"
[ "$(kv "$tmp/vrhole.out" lost_before)" = 1 ] ||
    fail "the recovered log does not count the dropped record as lost"
$emu "$slog" csv "$tmp/hole.bin" >"$tmp/hole.csv" 2>"$tmp/chole.out"
grep -q "1 gap(s) in the sequence (1 samples missing)" "$tmp/chole.out" ||
    fail "csv does not count the gap it leaves"
# One flipped bit in the header: repaired, every record kept.
cp "$seg" "$tmp/hflip.bin"
byte=$(od -An -tu1 -j 33 -N1 "$seg" | tr -d ' ')
printf "$(printf '\\%03o' $((byte ^ 4)))" |
    dd of="$tmp/hflip.bin" bs=1 seek=33 conv=notrunc 2>/dev/null
$emu "$slog" recover "$tmp/hflip.bin" -o "$tmp/rhflip.bin" >"$tmp/rhflip.out" 2>&1
grep -q "header=repaired records=$total " "$tmp/rhflip.out" ||
    fail "a flipped header bit was not repaired with every record kept"
# A damaged header's name is shown, never written raw to the terminal:
# an escape byte and a byte above ASCII in it (two bytes changed: the
# header is rebuilt, its fields kept as found) are printed as \xNN.
cp "$seg" "$tmp/hesc.bin"
printf '\033\351' | dd of="$tmp/hesc.bin" bs=1 seek=84 conv=notrunc 2>/dev/null
$emu "$slog" verify "$tmp/hesc.bin" >"$tmp/vhesc.out" 2>&1
LC_ALL=C grep -q "$(printf '\033')" "$tmp/vhesc.out" && fail "verify wrote a raw escape byte"
LC_ALL=C grep -q "$(printf '\351')" "$tmp/vhesc.out" && fail "verify wrote a raw non-ASCII byte"
grep -q "region='\\\\x1b\\\\xe9" "$tmp/vhesc.out" ||
    fail "verify did not show the damaged name's bytes as \\xNN"
# ... and after another run's log it is still another run's log: the
# segment check reads the header as repaired (not one log: 5), never a
# step back in one log (1).
$emu "$slog" verify "$tmp/nospc.bin" "$tmp/hflip.bin" >"$tmp/vhflip2.out" 2>&1
[ $? -eq 5 ] || fail "a repaired header after another log did not exit 5"
grep -q "hflip.bin: another logger run than" "$tmp/vhflip2.out" ||
    fail "a repaired header after another log: not said to be another run"
grep -q "goes back" "$tmp/vhflip2.out" &&
    fail "a repaired header after another log: read as one log going back"
$emu "$slog" csv "$tmp/nospc.bin" "$tmp/hflip.bin" >/dev/null 2>"$tmp/chflip2.out"
[ $? -eq 5 ] || fail "csv: a repaired header after another log did not exit 5"
grep -q "its header was repaired" "$tmp/chflip2.out" ||
    fail "csv does not say the header was repaired"
# Two segments joined into one file, in order: one clean log.
cat "$tmp/a.bin" "$tmp/a.bin.000001" >"$tmp/joined.bin"
$emu "$slog" recover "$tmp/joined.bin" -o "$tmp/rjoined.bin" >"$tmp/rjoined.out" 2>&1
$emu "$slog" verify "$tmp/rjoined.bin" >"$tmp/vjoined.out" 2>&1 ||
    fail "two joined segments did not recover into one clean log"
# Joined out of order: the report gives the first and last numbers, not a
# range running backwards, and csv says why the file is damaged.
cat "$tmp/a.bin.000001" "$tmp/a.bin" >"$tmp/rev.bin"
$emu "$slog" recover "$tmp/rev.bin" >"$tmp/rrev.out" 2>&1
[ $? -eq 1 ] || fail "recover of segments joined out of order did not exit 1"
grep -q " first_seq=[0-9]* last_seq=[0-9]* " "$tmp/rrev.out" ||
    fail "segments joined out of order: no first_seq/last_seq"
grep -q " seq=" "$tmp/rrev.out" && fail "segments joined out of order: a seq range"
$emu "$slog" csv "$tmp/rev.bin" >/dev/null 2>"$tmp/crev.out"
grep -q "1 record(s) go back in sequence" "$tmp/crev.out" ||
    fail "csv of segments joined out of order does not say they go back"

# The logger: /dev/null is a valid output, with and without --force; a
# symbolic link is replaced with --force, never written through.
nname="$name-null"
ln -s "$tmp/target.keep" "$tmp/link.csv"
echo keep >"$tmp/target.keep"
$emu "$logger" --name "$nname" --wait 20 --oldest --idle 1 --quiet \
    --out /dev/null 2>"$tmp/null.err" &
pid_n1=$!
$emu "$logger" --name "$nname" --wait 20 --oldest --idle 1 --quiet \
    --out /dev/null --force 2>"$tmp/nullf.err" &
pid_n2=$!
$emu "$logger" --name "$nname" --wait 20 --oldest --idle 1 --quiet \
    --out "$tmp/link.csv" --force 2>"$tmp/link.err" &
pid_n3=$!
pids="$pid_n1 $pid_n2 $pid_n3"
sleep 0.5
$emu "$sensor" --name "$nname" --board desktop --rate "$rate" \
    --duration 0.3 2>"$tmp/nsensor.err" || fail "the /dev/null run's sensor failed"
for p in $pid_n1 $pid_n2 $pid_n3; do
    wait "$p" || fail "a logger of the /dev/null run exited $?"
done
pids=""
for f in null nullf; do
    grep -q "written to character device '/dev/null', which cannot be synced" \
        "$tmp/$f.err" || fail "logger --out /dev/null ($f): no word of where the samples went"
done
[ "$(cat "$tmp/target.keep")" = keep ] || fail "--force wrote through a symbolic link"
[ -L "$tmp/link.csv" ] && fail "--force did not replace the symbolic link"
grep -q "^seq,timestamp_ns,epoch" "$tmp/link.csv" || fail "the replaced link holds no CSV"

# A log of another width inside a file: csv leaves its records out (one
# CSV holds one width) and says so, status 5.
wname="$name-w2"
$emu "$logger" --name "$wname" --wait 20 --oldest --idle 1 --quiet \
    --format bin --out "$tmp/w2.bin" 2>"$tmp/w2.err" &
pid_w2=$!
pids="$pid_w2"
$emu "$sensor" --name "$wname" --board desktop --width 2 --rate "$rate" \
    --duration 0.2 --quiet 2>"$tmp/w2sensor.err" ||
    fail "the width-2 sensor exited with status $?"
wait "$pid_w2" || fail "the width-2 logger exited with status $?"
pids=""
cat "$seg" "$tmp/w2.bin" >"$tmp/mixw.bin"
$emu "$slog" csv "$tmp/mixw.bin" >"$tmp/mixw.csv" 2>"$tmp/cmixw.out"
[ $? -eq 5 ] || fail "csv of a file holding two widths did not exit 5"
awk -F, 'NR == 1 { n = NF } NF != n { bad = 1 } END { exit bad }' \
    "$tmp/mixw.csv" || fail "csv wrote rows of two widths into one CSV"
grep -q "of a log of another width inside the file left out" "$tmp/cmixw.out" ||
    fail "csv did not say it left the other width's records out"
# The file's summary line shows its own header, not the joined log's.
$emu "$slog" verify "$tmp/mixw.bin" >"$tmp/vmixw.out" 2>&1
grep -q "^verify: $tmp/mixw.bin: DAMAGED: .* width=4 region='$name' segment=0\$" \
    "$tmp/vmixw.out" || fail "verify's summary does not show the file's own header"

# A writer replaces the region under a running logger (another width, with
# --recreate): the logger cannot follow it, says so and exits 4 with its
# accounting balanced for the region it read. --idle 0: only the
# replacement can stop it.
rname="$name-re"
$emu "$logger" --name "$rname" --wait 20 --oldest --idle 0 --quiet \
    --out "$tmp/re.csv" 2>"$tmp/re.err" &
pids="$pids $!"; pid_re=$!
$emu "$sensor" --name "$rname" --board desktop --rate "$rate" \
    --duration 0.5 2>"$tmp/resensor1.err" ||
    fail "the first writer of $rname exited with status $?"
re_pub=$(sed -n 's/^sensor_reader: published \([0-9]*\) samples.*/\1/p' \
    "$tmp/resensor1.err")
$emu "$sensor" --name "$rname" --board desktop --width 2 --rate "$rate" \
    --duration 20 --recreate --unlink 2>"$tmp/resensor2.err" &
pids="$pids $!"; pid_re2=$!
# A logger that never notices would wait for ever: bound it to 60 s. The
# watchdog ends with the logger and holds none of ctest's pipes.
(
    i=0
    while [ "$i" -lt 600 ] && kill -0 "$pid_re" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill "$pid_re" 2>/dev/null
) >/dev/null 2>&1 &
wait "$pid_re"
rc_re=$?
kill "$pid_re2" 2>/dev/null
wait "$pid_re2" 2>/dev/null
pids=""
[ "$rc_re" -eq 4 ] ||
    fail "logger of a replaced region exited $rc_re, want 4 (a logger still waiting is stopped after 60 s)"
grep -q "region '$rname' was replaced by a new one" "$tmp/re.err" ||
    fail "the logger did not say the region was replaced"
grep -q '^logger: stopped (region replaced)' "$tmp/re.err" ||
    fail "the logger's summary does not say why it stopped"
grep -q '^logger: accounting: .*: balanced' "$tmp/re.err" ||
    fail "replaced-region logger: accounting does not balance"
[ "$(acct "$tmp/re.err" published)" = "$re_pub" ] ||
    fail "replaced-region logger: published $(acct "$tmp/re.err" published), the first writer says $re_pub"

echo "logging_e2e: PASS: published $published; bin $w_bin records in $nseg" \
     "segments = csv; disk-full wrote $w_nospc lost-to-I/O $i_nospc; EIO" \
     "wrote $w_eio lost-to-I/O $i_eio; fsync-EIO lost-to-I/O $i_fsync;" \
     "$cuts cut copies recovered, 1 bit flip caught; a replaced region" \
     "stopped its logger with status 4"
