#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The SQLite sink's rows of `make bench` (bench/run.sh calls it; docs/
# benchmarks.md shows the figures):
#
#   1. bench_sink: the sustained store rate of the bin, csv and sqlite sinks
#      at width 4 and 16, fed straight through the sink API, as records/s
#      and as a ratio to the binary sink measured in the same run
#      (OUT/sink.csv). Target: sqlite >= 250 000/s at width 4.
#   2. the logger at 10 kHz, width 8, --format sqlite --commit-ms 100
#      --poll-ms 10 (one wake-up per 10 ms, not per sample): that
#      it loses nothing (accounting: lost-to-overrun and lost-to-I/O 0), its
#      CPU (user + system over the sensor's run, % of one core; target
#      < 5 %) and its commit latency p50/p99 (its summary line)
#      (OUT/sqlite.csv).
#
# Writes the table rows to OUT/sqlite.txt. Nothing here asserts on time.
#
#   bench/sqlite.sh OUT QUICK BENCH_BIN_DIR EXAMPLES_DIR
set -uo pipefail

out=${1:?usage: sqlite.sh OUT QUICK BENCH_BIN_DIR EXAMPLES_DIR}
quick=${2:?}
bin=${3:?}
ex=${4:?}
say() { printf 'bench: %s\n' "$*" >&2; }
if [ "$quick" = 1 ]; then n=500000 secs=5; else n=2000000 secs=20; fi
txt=$out/sqlite.txt
mkdir -p "$out"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-bench-sqlite.XXXXXX")
name="bench-sqlite-$$"
spid=
cleanup() {
  [ -n "$spid" ] && kill "$spid" 2>/dev/null
  rm -rf "$tmp"
  rm -f "/dev/shm/shmseq.$name"
}
trap cleanup EXIT

{
  echo "sinks: sustained store rate through the sink API ($n records, --fsync 1000ms; sqlite: commits every 100 ms or 4096 rows)"
} >"$txt"
echo "sink,width,records,seconds,rate_per_s,ratio_to_bin" >"$out/sink.csv"
if [ -x "$bin/bench_sink" ]; then
  say "sinks: bench_sink -n $n (bin, csv, sqlite at width 4 and 16)"
  "$bin/bench_sink" -n "$n" --csv "$out/sink.csv" >"$tmp/sink.out" 2>&1 ||
    say "sinks: bench_sink failed: $(tail -n 3 "$tmp/sink.out")"
  awk -F, 'NR > 1 {
      printf "  %-7s width %-3s %11.0f records/s  %.3fx the binary sink%s\n",
        $1, $2, $5, $6, ($1 == "sqlite" && $2 == 4) ? \
        (($5 >= 250000) ? "  (target >= 250000/s: met)" : "  (target >= 250000/s: NOT met)") : ""
    }' "$out/sink.csv" >>"$txt"
  grep -q 'not built' "$tmp/sink.out" &&
    grep 'not built' "$tmp/sink.out" | sed 's/^/  /' >>"$txt"
else
  echo "  bench_sink not built" >>"$txt"
fi

# The logger at 10 kHz, width 8, into SQLite.
echo "run,rate_hz,width,commit_ms,published,written,lost_overrun,lost_io,cpu_s,cpu_pct,commit_p50_ms,commit_p99_ms" \
  >"$out/sqlite.csv"
echo >>"$txt"
if [ ! -x "$ex/sensor_reader" ] || [ ! -x "$ex/logger" ]; then
  echo "logger into SQLite: $ex/sensor_reader or logger missing: skipped" >>"$txt"
  cat "$txt"
  exit 0
fi
if ! "$ex/logger" --help | grep -q 'or sqlite'; then
  echo "logger into SQLite: this logger was built without libsqlite3: skipped" >>"$txt"
  cat "$txt"
  exit 0
fi
say "sqlite: logger at 10 kHz, width 8, --commit-ms 100 --poll-ms 10 for $secs s"
rm -f "/dev/shm/shmseq.$name"
"$ex/sensor_reader" --name "$name" --board desktop --rate 10000 --width 8 \
  --capacity 65536 --duration "$secs" --quiet 2>"$tmp/sensor.err" &
spid=$!
# The logger's user and system CPU, from bash's time in a shell of its own:
# here the sensor task, a child of this shell reaped meanwhile, would be
# counted too.
# shellcheck disable=SC2016 # expanded by the inner bash
bash -c 'TIMEFORMAT="%U %S %R"; time "$@" 2>"'"$tmp"'/logger.err"' logger \
  "$ex/logger" --name "$name" --wait 10 --oldest --idle 1 \
  --format sqlite --out "$tmp/bench.db" --commit-ms 100 --poll-ms 10 --quiet \
  2>"$tmp/time.out"
wait "$spid"
spid=
acct=$(grep '^logger: accounting:' "$tmp/logger.err")
num() { echo "$acct" | sed -n "s#.* $1 \([0-9]*\).*#\1#p"; }
pub=$(num published) wr=$(num written) lo=$(num lost-to-overrun) li=$(num lost-to-I/O)
read -r u s r <"$tmp/time.out"
cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.3f", u + s }')
pct=$(awk -v c="$cpu" -v d="$secs" 'BEGIN { printf "%.2f", 100 * c / d }')
p50=$(sed -n 's/^logger: sqlite: commit p50 \([0-9.]*\) ms.*/\1/p' "$tmp/logger.err")
p99=$(sed -n 's/^logger: sqlite: commit p50 [0-9.]* ms p99 \([0-9.]*\) ms.*/\1/p' "$tmp/logger.err")
echo "1,10000,8,100,$pub,$wr,$lo,$li,$cpu,$pct,$p50,$p99" >>"$out/sqlite.csv"
{
  echo "logger into SQLite at 10 kHz, width 8, --commit-ms 100 --poll-ms 10, $secs s:"
  if [ -n "$pub" ] && [ "$pub" = "$wr" ] && [ "$lo" = 0 ] && [ "$li" = 0 ]; then
    echo "  published $pub, stored $wr: loses nothing"
  else
    echo "  published ${pub:-?}, stored ${wr:-?}, lost to overrun ${lo:-?}, to I/O ${li:-?}: LOST SAMPLES"
  fi
  echo "  CPU ${cpu} s over ${secs} s = ${pct} % of one core (target < 5 %: $(awk -v p="$pct" 'BEGIN { print (p < 5) ? "met" : "NOT met" }'))"
  echo "  commit latency p50 ${p50:-?} ms, p99 ${p99:-?} ms"
  echo "  (sensor: $(sed -n 's/^sensor_reader: periods \(.*\)/\1/p' "$tmp/sensor.err"))"
} >>"$txt"
cat "$txt"
