#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The iio driver's rate sweep on the emulated board (not a test: a
# measurement, run by hand; docs/sensors.md has the results). For each
# kernel, boot.sh boots once with --iio-sweep: for each module rate the
# board's /init loads the IIO test module at that rate and runs
# sensor_reader with the logger beside it (binary log, 65536-sample ring)
# for 10 s in buffered mode, then 10 s in sysfs mode at the same rate,
# and prints one marker per rate.
# This script turns the markers into a table and names, per kernel, the
# highest rate each mode kept up with:
#
#   buffered  no kernel overrun (driver's count and module's drops both
#             0), no ring loss (logger lost 0), and at least 95% of the
#             rate x 10 s scans (the rest is start-up);
#   sysfs     no missed period and no ring loss, at least 95% published.
#
# CPU is sensor_reader's user + system time over its run time (busybox
# time), in % of one emulated CPU. Every figure is of QEMU's TCG emulation
# on this host, not of ARM hardware.
#
# usage: iio_sweep.sh [--kernels generic,rt] [--rates LIST] AARCH64_BUILD ARMHF_BUILD
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kernels=generic,rt
rates=20,50,100,200,500,1000,2000,5000,10000,20000
while [ $# -gt 0 ]; do
  case $1 in
    --kernels) kernels=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    -h|--help) sed -n '/^# usage:/s/^# //p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
[ $# = 2 ] || { sed -n '/^# usage:/s/^# //p' "$0" >&2; exit 2; }
a64=$1 a32=$2
n=$(tr ',' '\n' <<<"$rates" | wc -l)
timeout_s=$((120 + 45 * n))

# One field (key=value) of a marker's half.
field() { sed -n "s/.*\\b$1=\\([0-9?]*\\).*/\\1/p" <<<"$2"; }

for k in ${kernels//,/ }; do
  log=$(mktemp "${TMPDIR:-/tmp}/iio-sweep-$k.XXXXXX")
  echo "iio_sweep: $k kernel, rates $rates (about $((timeout_s / 60)) min at most)" >&2
  bash "$here/boot.sh" --kernel "$k" --aarch64 "$a64" --armhf "$a32" \
    --iio-sweep "$rates" --timeout "$timeout_s" >"$log" 2>&1 || true
  best_b=0 best_s=0
  printf '%-8s %7s | %-44s | %-36s\n' kernel rate \
    "buffered: scans overruns lost cpu ok" "sysfs: published missed lost cpu ok"
  for r in ${rates//,/ }; do
    line=$(tr -d '\r' <"$log" | grep -m1 "^SHMSEQ-MARK: iio-rate-$r " || true)
    if [ -z "$line" ]; then
      printf '%-8s %7s | %s\n' "$k" "$r" "no marker (see $log)"
      continue
    fi
    b=${line%%;*} s=${line#*;}
    bs=$(field scans "$b") bo=$(field overruns "$b") bd=$(field dropped "$b")
    bl=$(field lost "$b") bc=$(field cpu "$b")
    sp=$(field published "$s") sm=$(field missed "$s") sl=$(field lost "$s")
    sc=$(field cpu "$s")
    want=$((r * 10 * 95 / 100))
    bok=no sok=no
    [ "${bo:-x}" = 0 ] && [ "${bd:-x}" = 0 ] && [ "${bl:-x}" = 0 ] &&
      [ "${bs:-0}" -ge "$want" ] && bok=yes
    [ "${sm:-x}" = 0 ] && [ "${sl:-x}" = 0 ] && [ "${sp:-0}" -ge "$want" ] && sok=yes
    [ $bok = yes ] && [ "$r" -gt "$best_b" ] && best_b=$r
    [ $sok = yes ] && [ "$r" -gt "$best_s" ] && best_s=$r
    printf '%-8s %7s | %8s %8s %6s %5s%% %-4s | %9s %7s %6s %5s%% %-4s\n' \
      "$k" "$r" "$bs" "$bo" "$bl" "$bc" "$bok" "$sp" "$sm" "$sl" "$sc" "$sok"
  done
  echo "iio_sweep: $k: highest rate kept up with: buffered $best_b Hz, sysfs $best_s Hz (serial log: $log)"
done
