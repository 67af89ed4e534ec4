#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: the sensor task and a logger task, side by side.
#
# sensor_reader samples the desktop board's simulated sensors for 5 s and
# publishes them into the region "shmseq-demo"; one logger reads every
# sample and writes CSV, a second one stores them in a SQLite database.
# Shows the CSV logger's status lines as they come, then the first CSV
# rows, the programs' final summaries, and a query over the database with
# the sqlite3 shell (count, first and last sample, mean of each channel,
# gaps); removes the region.
#
#   scripts/demo.sh [BUILD_DIR]     (default build/release)
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build/release}
case $build in /*) ;; *) build=$root/$build ;; esac
sensor=$build/examples/sensor_reader
logger=$build/examples/logger
name=shmseq-demo
for b in "$sensor" "$logger"; do
  [ -x "$b" ] || { echo "demo: $b is not built" >&2; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-demo.XXXXXX")
csv=$tmp/samples.csv
db=$tmp/samples.db
spid=
qpid=

cleanup() {
  for p in $spid $qpid; do
    if kill -0 "$p" 2>/dev/null; then
      kill "$p" 2>/dev/null
      wait "$p" 2>/dev/null
    fi
  done
  # sensor_reader --unlink removed it on a normal exit; not after a kill.
  rm -f "/dev/shm/shmseq.$name"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A region left by an interrupted run would be taken over and its old
# samples logged first; start clean.
rm -f "/dev/shm/shmseq.$name"

# --unlink: the sensor removes the region when it stops (the logger keeps
# its mapping and drains what is left).
echo "demo: sensor_reader --board desktop --duration 5 --name $name --unlink"
timeout 30 "$sensor" --board desktop --duration 5 --name "$name" --unlink \
  >"$tmp/sensor.log" 2>&1 &
spid=$!

# The second logger, into SQLite: needs a logger built with libsqlite3
# (scripts/deps.sh installs libsqlite3-dev) and the sqlite3 shell.
sqlite_why=
if ! command -v sqlite3 >/dev/null 2>&1; then
  sqlite_why="the sqlite3 shell is not installed (apt-get install sqlite3)"
elif ! "$logger" --help | grep -q 'or sqlite'; then
  sqlite_why="this logger was built without libsqlite3 (apt-get install libsqlite3-dev, then rebuild)"
fi
if [ -z "$sqlite_why" ]; then
  echo "demo: logger --name $name --oldest --format sqlite --out $db --idle 1 --wait 5 --quiet"
  timeout 30 "$logger" --name "$name" --oldest --format sqlite --out "$db" \
    --idle 1 --wait 5 --quiet >"$tmp/sqlite.log" 2>&1 &
  qpid=$!
fi

echo "demo: logger --name $name --oldest --out $csv --idle 1 --wait 5"
echo "---- logger status ----"
timeout 30 "$logger" --name "$name" --oldest --out "$csv" --idle 1 --wait 5 2>&1 |
  tee "$tmp/logger.log"
lrc=${PIPESTATUS[0]}
wait "$spid"
src=$?
spid=
qrc=0
if [ -n "$qpid" ]; then
  wait "$qpid"
  qrc=$?
  qpid=
fi

echo
echo "---- first rows of the CSV ($(wc -l <"$csv" 2>/dev/null || echo 0) lines) ----"
head -n 11 "$csv" 2>/dev/null || echo "(no CSV written)"
echo
echo "---- sensor_reader (exit $src) ----"
cat "$tmp/sensor.log"
echo
echo "---- logger (exit $lrc) ----"
grep -v -e ': rate ' -e ': reading region ' "$tmp/logger.log" || true

if [ -z "$sqlite_why" ]; then
  echo
  echo "---- logger into SQLite (exit $qrc) ----"
  cat "$tmp/sqlite.log"
  echo
  # One avg() per channel, named as the database names them.
  chans=$(sqlite3 "$db" "SELECT channels FROM regions ORDER BY id DESC LIMIT 1")
  avgs=$(echo "$chans" | tr ',' '\n' | sed 's/.*/printf("%.6f", avg("&")) AS "mean_&"/' |
    paste -sd, -)
  echo "---- sqlite3 $(basename "$db"): the samples ----"
  sqlite3 -header -column "$db" \
    "SELECT count(*) AS samples, min(seq) AS first_seq, max(seq) AS last_seq,
            $avgs FROM samples"
  echo
  echo "---- sqlite3 $(basename "$db"): the first and the last sample ----"
  sqlite3 -header -column "$db" \
    "SELECT * FROM samples WHERE seq = (SELECT min(seq) FROM samples)
     UNION ALL
     SELECT * FROM samples WHERE seq = (SELECT max(seq) FROM samples)"
  echo
  echo "---- sqlite3 $(basename "$db"): the gaps ----"
  sqlite3 -header -column "$db" \
    "SELECT count(*) AS gaps, coalesce(sum(last_seq - first_seq + 1), 0) AS missing_samples,
            coalesce(group_concat(DISTINCT reason), '-') AS reasons FROM gaps"
else
  echo
  echo "demo: the SQLite logger was skipped: $sqlite_why"
fi

if [ "$src" != 0 ] || [ "$lrc" != 0 ] || [ "$qrc" != 0 ]; then
  echo "demo: failed (sensor_reader exit $src, logger exit $lrc, SQLite logger exit $qrc)" >&2
  exit 1
fi
echo
echo "demo: done; region $name removed"
