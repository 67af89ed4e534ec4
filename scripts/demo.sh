#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `make demo`: the sensor task and a logger task, side by side.
#
# sensor_reader samples the desktop board's simulated sensors for 5 s and
# publishes them into the region "shmseq-demo"; logger reads every sample
# and writes CSV. Shows the logger's status lines as they come, then the
# first CSV rows and both programs' final summaries, and removes the region.
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
spid=

cleanup() {
  if [ -n "$spid" ] && kill -0 "$spid" 2>/dev/null; then
    kill "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
  fi
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

echo "demo: logger --name $name --oldest --out $csv --idle 1 --wait 5"
echo "---- logger status ----"
timeout 30 "$logger" --name "$name" --oldest --out "$csv" --idle 1 --wait 5 2>&1 |
  tee "$tmp/logger.log"
lrc=${PIPESTATUS[0]}
wait "$spid"
src=$?
spid=

echo
echo "---- first rows of the CSV ($(wc -l <"$csv" 2>/dev/null || echo 0) lines) ----"
head -n 11 "$csv" 2>/dev/null || echo "(no CSV written)"
echo
echo "---- sensor_reader (exit $src) ----"
cat "$tmp/sensor.log"
echo
echo "---- logger (exit $lrc) ----"
grep -v -e ': rate ' -e ': reading region ' "$tmp/logger.log" || true

if [ "$src" != 0 ] || [ "$lrc" != 0 ]; then
  echo "demo: failed (sensor_reader exit $src, logger exit $lrc)" >&2
  exit 1
fi
echo
echo "demo: done; region $name removed"
