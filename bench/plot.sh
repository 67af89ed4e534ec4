#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The PNGs of bench/run.sh: bench.png, one-way latency p50/p99/p99.9 per
# peer (log scale, width 1, medians over the runs); scale.png, two panels
# from what bench/scale.sh wrote: the writer's ns per publish against the
# number of readers (shmseq and iceoryx), and against the width (shmseq,
# iceoryx, the store floor). Each is drawn when its data is there.
# Usage: plot.sh OUTDIR
set -euo pipefail
out=${1:?}
if [ -s "$out/readers-plot.dat" ] && [ -s "$out/width-plot.dat" ]; then
  ncol=$(head -n1 "$out/readers-plot.dat" | wc -w)
  gnuplot <<GP
set terminal pngcairo size 1200,520 noenhanced font ",10"
set output "$out/scale.png"
set multiplot layout 1,2 title "How the writer's cost grows (median of runs; lower is better)"
set logscale xy
set grid
set key top left
set title "writer ns per publish vs readers (all readers on one CPU)"
set xlabel "reader processes"
set ylabel "ns per publish (log)"
set xtics (1, 2, 4, 8, 16)
set xrange [0.8:20]
plot for [i=2:$ncol] "$out/readers-plot.dat" using 1:i with linespoints lw 2 title columnhead(i)
set title "publish ns vs width (one reader)"
set xlabel "float64 values per sample"
set xtics (1, 4, 16, 64)
set xrange [0.8:80]
plot "$out/width-plot.dat" using 1:2 with linespoints lw 2 title "store floor", \
     "" using 1:3 with linespoints lw 2 title "shmseq NO_WAKE", \
     "" using 1:4 with linespoints lw 2 title "shmseq, polling reader", \
     "" using 1:5 with linespoints lw 2 title "iceoryx, polling subscriber"
unset multiplot
GP
fi
[ -f "$out/latency.csv" ] || exit 0
dat="$out/latency-plot.dat"
# peer p50 p99 p999 (medians over runs), width 1, in the CSV's order
awk -F, 'NR > 1 && $2 == 1 {
  k = $1; if (!(k in seen)) { seen[k] = 1; order[++n] = k }
  c[k]++; a50[k, c[k]] = $7; a99[k, c[k]] = $8; a999[k, c[k]] = $9 }
function med(arr, k, cnt,   i, j, t, x) {
  for (i = 1; i <= cnt; i++) x[i] = arr[k, i] + 0
  for (i = 2; i <= cnt; i++) { t = x[i]; for (j = i - 1; j >= 1 && x[j] > t; j--) x[j + 1] = x[j]; x[j + 1] = t }
  return x[int((cnt + 1) / 2)] }
END { for (i = 1; i <= n; i++) { k = order[i]
  printf "%s %d %d %d\n", k, med(a50, k, c[k]), med(a99, k, c[k]), med(a999, k, c[k]) } }' \
  "$out/latency.csv" >"$dat"
gnuplot <<GP
set terminal pngcairo size 1000,560 noenhanced font ",10"
set output "$out/bench.png"
set title "shmseq one-way latency vs peers (width 1, median of runs; lower is better)"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "ns (log scale)"
set yrange [10:*]
set grid ytics
set xtics rotate by -30
set key top left
plot "$dat" using 2:xtic(1) title "p50", "" using 3 title "p99", "" using 4 title "p99.9"
GP
