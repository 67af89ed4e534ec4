#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# How cost grows, from the CSVs of bench/run.sh: the writer's cost and
# reader 1's latency against the number of readers (readers.csv: shmseq's
# bench_readers, iceoryx's readers-*), publish cost, polling latency and
# throughput against the width beside the store floor and iceoryx
# (width-*.csv), and the capacity sweep with each region's footprint
# (throughput.csv). Medians over the runs, [min..max] over the runs; then
# the targets, met or missed. Also writes OUTDIR/readers-plot.dat and
# OUTDIR/width-plot.dat for bench/plot.sh. Usage: scale.sh OUTDIR RUNS
set -euo pipefail
out=${1:?}
runs=${2:-?}
files=()
for f in readers width-publish width-latency width-throughput throughput; do
  [ -f "$out/$f.csv" ] && files+=("$out/$f.csv")
done
[ ${#files[@]} -gt 0 ] || exit 0

stats=$(cat "$(dirname "$0")/stats.awk")
awk -F, -v runs="$runs" -v rdat="$out/readers-plot.dat" -v wdat="$out/width-plot.dat" "$stats"'
function span(k) { return "[" fmt(lo(k)) ".." fmt(hi(k)) "]" }
function order(list, x, cnt) { if (!((list, x) in seen)) { seen[list, x] = 1; cnt = ++nord[list]; ord[list, cnt] = x } }
FNR == 1 { src = FILENAME; sub(/.*\//, "", src); sub(/\.csv$/, "", src); next }
src == "readers" {
  # peer,readers,width,run,n,pub_ns_p50,pub_ns_mean,lat1_p50_ns,lat1_p99_ns,lost_min,lost_max,lost_total,send_failed
  k = "rd|" $1 "|" $2; add(k, $6); add(k "|l50", $8); add(k "|l99", $9)
  add(k "|lmin", $10); add(k "|lmax", $11); add(k "|fail", $13); add(k "|min", $14)
  add(k "|pp50", $15); add(k "|pp99", $16)
  order("peer", $1); order("n", $2)
}
src == "width-publish" { k = "wp|" $1 "|" $2; add(k, $5); order("wpeer", $1); order("w", $2) }
src == "width-latency" { k = "wl|" $1 "|" $2; add(k, $7); add(k "|p99", $8); add(k "|lost", $5); order("wlpeer", $1); order("w", $2) }
src == "width-throughput" { k = "wt|" $1 "|" $14; add(k, $8 / 1e6); add(k "|lost", $7); order("wtpeer", $1); order("w", $14) }
src == "throughput" && $1 == "shmseq" && $3 == 0 && $15 != "" {
  k = "cap|" $2; add(k, $8 / 1e6); add(k "|lost", $7); reg[$2] = $15; order("cap", $2)
}
END {
  if (nord["peer"]) {
    print "writer cost and reader 1 latency against readers (all readers on one CPU: from 2 readers on they share it)"
    printf "  %-14s %7s  %-26s %8s  %9s  %-15s  %12s  %12s  %s\n", "peer", "readers", "publish ns/op [runs]", "x 1 rdr", "best bat.", "paced p50/p99", "rdr-1 p50 ns", "rdr-1 p99 ns", "lost per reader (max over runs) min..max"
    for (i = 1; i <= nord["peer"]; i++) {
      p = ord["peer", i]
      for (j = 1; j <= nord["n"]; j++) {
        r = ord["n", j]; k = "rd|" p "|" r
        if (!has(k)) continue
        x = has("rd|" p "|1") ? sprintf("%.2fx", runratio(k, "rd|" p "|1", "rr|" p "|" r)) : "-"
        printf "  %-14s %7s  %-26s %8s  %9s  %-15s  %12s  %12s  %s..%s%s\n", p, r, fmt(med(k)) " " span(k), x, fmt(med(k "|min")), fmt(med(k "|pp50")) "/" fmt(med(k "|pp99")),
               fmt(med(k "|l50")), fmt(med(k "|l99")), fmt(hi(k "|lmin")), fmt(hi(k "|lmax")),
               (hi(k "|fail") > 0 ? "  send failures " fmt(hi(k "|fail")) : "")
      }
    }
    printf("readers") > rdat
    for (i = 1; i <= nord["peer"]; i++) printf(" %s", ord["peer", i]) > rdat
    printf("\n") > rdat
    for (j = 1; j <= nord["n"]; j++) {
      r = ord["n", j]; printf("%s", r) > rdat
      for (i = 1; i <= nord["peer"]; i++) { k = "rd|" ord["peer", i] "|" r; printf(" %s", (has(k) ? med(k) : "NaN")) > rdat }
      printf("\n") > rdat
    }
    close(rdat)
  }
  if (nord["w"]) {
    print ""; print "against the width (float64 values per sample), one reader"
    printf "  %-6s %-28s %-24s %10s  %s\n", "width", "measurement", "peer", "median", "[runs] (x store floor)"
    for (j = 1; j <= nord["w"]; j++) {
      w = ord["w", j]
      for (i = 1; i <= nord["wpeer"]; i++) {
        p = ord["wpeer", i]; k = "wp|" p "|" w
        if (!has(k)) continue
        x = has("wp|store|" w) ? sprintf(" (%.2fx)", runratio(k, "wp|store|" w, "rw|" p "|" w)) : ""
        printf "  %-6s %-28s %-24s %10s  %s%s\n", w, "publish ns/op", p, fmt(med(k)), span(k), x
      }
      for (i = 1; i <= nord["wlpeer"]; i++) {
        p = ord["wlpeer", i]; k = "wl|" p "|" w
        if (has(k)) printf "  %-6s %-28s %-24s %10s  %s p99 %s lost %s\n", w, "latency p50 ns", p, fmt(med(k)), span(k), fmt(med(k "|p99")), fmt(med(k "|lost"))
      }
      for (i = 1; i <= nord["wtpeer"]; i++) {
        p = ord["wtpeer", i]; k = "wt|" p "|" w
        if (has(k)) printf "  %-6s %-28s %-24s %10s  %s lost %s\n", w, "throughput M/s delivered", p, fmt(med(k)), span(k), fmt(med(k "|lost"))
      }
    }
    printf("# width store shmseq-nowake shmseq-poll iceoryx-poll\n") > wdat
    for (j = 1; j <= nord["w"]; j++) {
      w = ord["w", j]; printf("%s", w) > wdat
      split("store shmseq-nowake shmseq-poll iceoryx-poll", pl, " ")
      for (i = 1; i <= 4; i++) { k = "wp|" pl[i] "|" w; printf(" %s", (has(k) ? med(k) : "NaN")) > wdat }
      printf("\n") > wdat
    }
    close(wdat)
  }
  if (nord["cap"]) {
    print ""; print "capacity sweep: shmseq throughput flat out, one polling reader, width 1"
    printf "  %9s %14s  %-21s %14s  %s\n", "capacity", "M/s delivered", "[runs]", "region bytes", "lost (median)"
    for (j = 1; j <= nord["cap"]; j++) {
      c = ord["cap", j]; k = "cap|" c
      printf "  %9s %14s  %-21s %14s  %s\n", c, fmt(med(k)), span(k), reg[c], fmt(med(k "|lost"))
    }
  }
  print ""; print "targets (how cost grows; ratios within this run):"
  a = "rd|shmseq-poll|16"; b = "rd|shmseq-poll|1"
  if (has(a) && has(b)) { r = runratio(a, b, "t1")
    target("writer cost, 16 polling readers <= 1.1x one reader", r <= 1.1, sprintf("%.2fx (per run %.2f..%.2f); medians %.2f vs %.2f ns", r, lo("t1"), hi("t1"), med(a), med(b))) }
  else target("writer cost, 16 polling readers <= 1.1x one reader", 0, "NOT MEASURED")
  a = "rd|shmseq-wait|16"; b = "rd|shmseq-wait|1"
  if (has(a) && has(b)) { r = runratio(a, b, "t2")
    printf "  %-6s %-64s %s\n", "INFO", "writer cost, 16 blocking readers vs one (reported, no target)", sprintf("flat out %.2fx (per run %.2f..%.2f; medians %.2f vs %.2f ns); paced, asleep: p50 %s vs %s ns", r, lo("t2"), hi("t2"), med(a), med(b), fmt(med(a "|pp50")), fmt(med(b "|pp50"))) }
  a = "wp|shmseq-nowake|64"; b = "wp|store|64"
  if (has(a) && has(b)) { r = runratio(a, b, "t3")
    target("publish at width 64 <= 1.5x the store floor (NO_WAKE)", r <= 1.5, sprintf("%.2fx (per run %.2f..%.2f); medians %.2f vs %.2f ns", r, lo("t3"), hi("t3"), med(a), med(b))) }
  else target("publish at width 64 <= 1.5x the store floor (NO_WAKE)", 0, "NOT MEASURED")
}' "${files[@]}"
