#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python package's speed beside the C calls, in one run (the python
# part of bench/run.sh; docs/python.md has the figures):
#
#   bench/python.sh OUT_DIR RUNS COUNT [BUILD_DIR]
#
# Runs bench_calls (C) and bench/bench_python.py (the in-tree package over
# BUILD_DIR/libshmseq.so, default build/release) RUNS times each,
# alternating, on the writer's CPU; appends their rows to OUT_DIR/python.csv
# and writes OUT_DIR/python.txt: per operation the median ns per sample
# [min..max over the runs] of each, and Python / C. Width 4; read_many in
# batches of 4096 samples (a batch's numpy arrays then stay in cache: much
# larger batches write fresh memory and run slower). Both measure the
# process's CPU time per pass, so time preempted by other work on a shared
# machine is not counted. Nothing asserts on time; the targets are printed
# beside the figures.
set -euo pipefail

out=${1:?usage: bench/python.sh OUT_DIR RUNS COUNT [BUILD_DIR]}
runs=${2:?}
count=${3:?}
build=${4:-build/release}
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi
fi
cd "$(dirname "$0")/.."
csv=$out/python.csv
echo "impl,op,width,batch,run,n,ns_per_sample,msamples_per_s" >"$csv"
pin=()
if command -v taskset >/dev/null 2>&1; then pin=(taskset -c "${WCPU:-0}"); fi
for run in $(seq 1 "$runs"); do
  "${pin[@]}" "$build/bench/bench_calls" --count "$count" --run "$run" --csv "$csv" >/dev/null
  PYTHONPATH=$PWD/python SHMSEQ_LIBRARY=$build/libshmseq.so \
    "${pin[@]}" "$py" bench/bench_python.py --count "$count" --run "$run" \
    --csv "$csv" >/dev/null
done

# median [min..max] per (impl, op); ratio Python / C (publish_numpy to C's publish)
awk -F, -v runs="$runs" '
  NR == 1 { next }
  { key = $1 "," $2; n[key]++; v[key, n[key]] = $7 }
  function med(k,   i, j, t, m) {
    m = n[k]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++)
      if (v[k, j] < v[k, i]) { t = v[k, i]; v[k, i] = v[k, j]; v[k, j] = t }
    lo[k] = v[k, 1]; hi[k] = v[k, m]
    return m % 2 ? v[k, (m + 1) / 2] : (v[k, m / 2] + v[k, m / 2 + 1]) / 2
  }
  END {
    printf "Python package vs C, width 4, %d run(s): ns per sample, median [min..max]; ratio = Python / C\n", runs
    printf "%-14s %-22s %-22s %8s %12s  %s\n", "operation", "C", "Python", "ratio", "Python M/s", "target"
    split("publish publish_numpy read read_many", ops, " ")
    split("publish publish read read_many", cops, " ")
    split("<= 2000 ns/call|<= 2000 ns/call|<= 2000 ns/call|>= 10 M samples/s", tg, "|")
    for (i = 1; i <= 4; i++) {
      p = "python," ops[i]; c = "c," cops[i]
      if (!(p in n) || !(c in n)) continue
      pm = med(p); cm = med(c)
      printf "%-14s %-22s %-22s %7.1fx %12.2f  %s\n", ops[i],
        sprintf("%.1f [%.1f..%.1f]", cm, lo[c], hi[c]),
        sprintf("%.1f [%.1f..%.1f]", pm, lo[p], hi[p]), pm / cm, 1000 / pm, tg[i]
    }
  }' "$csv" | tee "$out/python.txt"
