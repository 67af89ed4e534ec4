#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Turn the raw CSVs of bench/run.sh into its one table: per measurement the
# median over the runs, the spread (min..max over the runs) and the ratio
# to shmseq (value / shmseq's value, same run set), then the
# targets, each met or missed with the figures. Jitter compares the sensor
# task with cyclictest in pairs run alike: both holding the PM QoS CPU
# latency request (sensor_reader+qos, cyclictest), then neither
# (sensor_reader, cyclictest-laptop); the ratio is to the pair's
# cyclictest. The optional peers' rows (iceoryx-*, ck-seq*, zmq-ipc) come
# from the same CSVs and say in their notes what they are. Usage:
# table.sh OUTDIR RUNS [LATENCY-RATE-HZ]
set -euo pipefail
out=${1:?}
runs=${2:-?}
rate=${3:-100000}
files=()
for f in latency publish throughput jitter footprint region; do
  [ -f "$out/$f.csv" ] && files+=("$out/$f.csv")
done
[ ${#files[@]} -gt 0 ] || { echo "no data in $out"; exit 0; }

stats=$(cat "$(dirname "$0")/stats.awk")
awk -F, -v runs="$runs" -v rate_khz="$((rate / 1000))" "$stats"'
function ratio(a, b) { return (b > 0) ? sprintf("%.2fx", a / b) : "-" }
function row(sec, peer, k, base, note) {
  printf "%-22s %-17s %12s  %-21s %9s  %s\n", sec, peer, fmt(med(k)),
         "[" fmt(lo(k)) ".." fmt(hi(k)) "]", (base == "" ? "" : ratio(med(k), base)), note
}
FNR == 1 { src = FILENAME; sub(/.*\//, "", src); sub(/\.csv$/, "", src); next }
src == "latency" {
  k = "lat|" $1 "|" $2; add(k, $7); add(k "|p99", $8); add(k "|p999", $9)
  add(k "|max", $10); add(k "|lost", $5); add(k "|idle", $12); latw[$2] = 1
  # The floor probed in the same invocation (bench_probe_*), before and after
  # the stream: p50 over that floor, per run.
  if ($13 > 0 && $14 > 0) { add(k "|rtt", ($13 + $14) / 2); add(k "|x", $7 / (($13 + $14) / 2))
    if ($13 > 1.5 * $14 || $14 > 1.5 * $13) add(k "|moved", 1) }
  if (!($1 in latpeer)) { latpeer[$1] = ++nlp; lporder[nlp] = $1 }
}
src == "publish" {
  k = "pub|" $1 "|" $2; add(k, $5); add(k "|blk", $8); add(k "|eagain", $9); pubw[$2] = 1
  if (!($1 in pubpeer)) { pubpeer[$1] = ++npp; pporder[npp] = $1 }
}
src == "throughput" {
  k = "thr|" $1 "|" $2 "|" $3; add(k, $8 / 1e6); add(k "|lost", $7); add(k "|acc", $10)
  if ($11 > 0 && $12 > 0) add(k "|rtt", ($11 + $12) / 2)
  if ($3 > 0 && $13 > 0) add(k "|stall", $13 / 1000)
  if (!(k in thrseen)) { thrseen[k] = 1; tkorder[++ntk] = k; tlabel[k] = $1 "|" $2 "|" $3 }
}
src == "jitter" { k = "jit|" $1 "|" $2; add(k "|avg", $5); add(k "|max", $6); add(k, $5); if (!($2 in jrate)) { jrate[$2] = 1; jrates[++njr] = $2 + 0 } }
src == "footprint" { fp[++nfp] = sprintf("%-7s -%-3s text %6d  data %4d  bss %4d  (total %d)", $1, $2, $3, $4, $5, $3 + $4 + $5) }
src == "region" { if (($1 == 1 || $1 == 6) && ($2 == 1024 || $2 == 65536)) rg[++nrg] = sprintf("width %2d capacity %6d: slot %4d B, region %9d B", $1, $2, $3, $4) }
END {
  printf "%-22s %-17s %12s  %-21s %9s  %s\n", "measurement", "peer", "median", "[min..max] runs", "x shmseq", "notes (medians)"
  printf "%-22s %-17s %12s  %-21s %9s  %s\n", "-----------", "----", "------", "---------------", "--------", "-----"
  for (w = 1; w <= 64; w++) {
    if (!(w in latw)) continue
    base = med("lat|shmseq-poll|" w)
    for (i = 1; i <= nlp; i++) {
      p = lporder[i]; k = "lat|" p "|" w
      if (!has(k)) continue
      note = "p99 " fmt(med(k "|p99")) " p99.9 " fmt(med(k "|p999")) " max " fmt(med(k "|max"))
      if (med(k "|lost") > 0) note = note " lost " fmt(med(k "|lost"))
      if (med(k "|idle") >= 0) note = note " idle-cpu " fmt(med(k "|idle")) "%"
      if (has(k "|rtt")) note = note " floor-rtt " fmt(med(k "|rtt")) (has(k "|moved") ? " (moved in " n[k "|moved"] " run(s))" : "")
      if (p ~ /^ck-seq/) note = note "; one-slot mailbox: a reader that is late loses samples"
      else if (p == "zmq-ipc") note = note "; blocking zmq_recv"
      row("latency p50 ns w=" w, p, k, base, note)
    }
  }
  for (w = 1; w <= 64; w++) {
    if (!(w in pubw)) continue
    base = med("pub|shmseq-none|" w)
    for (i = 1; i <= npp; i++) {
      p = pporder[i]; k = "pub|" p "|" w
      if (!has(k)) continue
      note = ""
      if (med(k "|blk") >= 0) note = "no reader: blocks after " fmt(med(k "|blk")) "; with reader: EAGAIN " fmt(med(k "|eagain"))
      else if (p ~ /^iceoryx/) note = "loan + publish of one chunk; loan failures " fmt(med(k "|eagain")) (p == "iceoryx-stopped" ? "; 100 000 publishes" : "")
      else if (p ~ /^ck-seq/) note = "write_begin + copy + write_end into one slot; never blocks, overwrites"
      if (p == "zmq-ipc") sub(/^no reader:/, "a connected reader not receiving:", note)
      row("publish ns/op w=" w, p, k, base, note)
    }
  }
  base = med("thr|shmseq|4096|0")
  for (i = 1; i <= ntk; i++) {
    k = tkorder[i]; split(tlabel[k], t, "|")
    sec = (t[3] == 0) ? "throughput M/s" : "paced " t[3] / 1e6 " M/s"
    note = (t[1] == "shmseq" ? "capacity " t[2] ", " : t[1] == "iceoryx" ? "queue " t[2] ", discards oldest, " : t[1] == "ck-seq" ? "one-slot mailbox: a reader that is late loses samples (flat out, nearly every read is torn and retried), " : t[1] == "zmq-ipc" ? "blocking writer at the high-water mark " t[2] ", " : "blocking writer, ") "lost " fmt(med(k "|lost")) " [" fmt(lo(k "|lost")) ".." fmt(hi(k "|lost")) "]"
    if (lo(k "|acc") < 1) note = note " ACCOUNTING BROKEN"
    if (has(k "|rtt")) note = note ", floor-rtt " fmt(med(k "|rtt")) " [" fmt(lo(k "|rtt")) ".." fmt(hi(k "|rtt")) "]"
    if (has(k "|stall")) note = note ", longest reader stall " fmt(med(k "|stall")) " us [" fmt(lo(k "|stall")) ".." fmt(hi(k "|stall")) "] (the ring holds " fmt(t[2] / t[3] * 1e6) " us)"
    row(sec, t[1], k, base, note)
  }
  # Rates in ascending order; each pair: the sensor task, its cyclictest.
  for (i = 2; i <= njr; i++) { jt = jrates[i]; for (j = i - 1; j >= 1 && jrates[j] > jt; j--) jrates[j + 1] = jrates[j]; jrates[j + 1] = jt }
  jsr[1] = "sensor_reader+qos"; jct[1] = "cyclictest";        jhow[1] = "PM QoS request held"
  jsr[2] = "sensor_reader";     jct[2] = "cyclictest-laptop"; jhow[2] = "no PM QoS request"
  for (i = 1; i <= njr; i++) {
    r = jrates[i]
    for (q = 1; q <= 2; q++) {
      base = med("jit|" jct[q] "|" r "|avg")
      for (m = 1; m <= 2; m++) {
        p = (m == 1) ? jct[q] : jsr[q]; k = "jit|" p "|" r
        if (has(k)) row("jitter avg us " r " Hz", p, k "|avg", base, "max " fmt(med(k "|max")) ", " jhow[q])
      }
    }
  }
  if (nfp) { print ""; print "footprint of libshmseq.a (size -t, bytes):"; for (i = 1; i <= nfp; i++) print "  " fp[i] }
  if (nrg) { print "region bytes (shmseq_region_size):"; for (i = 1; i <= nrg; i++) print "  " rg[i] }

  print ""; print "targets (ratios within this run):"
  poll = med("lat|shmseq-poll|1"); rtt = med("lat|line-rtt|1")
  if (has("lat|shmseq-poll|1|x"))
    target("polling p50 <= 1.5x cache-line round trip (same invocation)", med("lat|shmseq-poll|1|x") <= 1.5, sprintf("p50/RTT per run %.2fx [%.2f..%.2f]; %s ns vs %s ns", med("lat|shmseq-poll|1|x"), lo("lat|shmseq-poll|1|x"), hi("lat|shmseq-poll|1|x"), fmt(poll), fmt(med("lat|shmseq-poll|1|rtt"))))
  else if (poll != "" && rtt != "")
    target("polling p50 <= 1.5x cache-line round trip", poll <= 1.5 * rtt, sprintf("%s ns vs RTT %s ns = %.2fx", fmt(poll), fmt(rtt), poll / rtt))
  for (i = 1; i <= 3; i++) {
    p = (i == 1) ? "pipe" : (i == 2) ? "uds" : "mq"
    x = med("lat|" p "|1")
    if (poll != "" && x != "") { r = runratio("lat|" p "|1", "lat|shmseq-poll|1", "rr|" p)
      target("polling p50 >= 50x below " p, r >= 50, sprintf("%.1fx (per run %.1f..%.1f); medians %s / %s ns", r, lo("rr|" p), hi("rr|" p), fmt(x), fmt(poll))) }
  }
  x = med("lat|iceoryx-poll|1")
  if (poll != "" && x != "") { r = runratio("lat|iceoryx-poll|1", "lat|shmseq-poll|1", "rr|iox")
    target("polling p50 >= 8x below iceoryx (polling subscriber)", r >= 8, sprintf("%.1fx (per run %.1f..%.1f); medians %s / %s ns", r, lo("rr|iox"), hi("rr|iox"), fmt(x), fmt(poll))) }
  else target("polling p50 >= 8x below iceoryx", 0, "NOT MEASURED (bench_iceoryx not built or iox-roudi not started)")
  wt = med("lat|shmseq-wait|1"); pp = med("lat|pipe|1")
  if (wt != "" && pp != "") { r = runratio("lat|shmseq-wait|1", "lat|pipe|1", "rr|wait")
    target("blocking reader p50 no slower than pipe", r <= 1, sprintf("%.2fx (per run %.2f..%.2f); medians %s vs %s ns", r, lo("rr|wait"), hi("rr|wait"), fmt(wt), fmt(pp))) }
  if (has("lat|shmseq-wait|1|idle")) target("blocking reader 0% CPU while idle", med("lat|shmseq-wait|1|idle") < 1, fmt(med("lat|shmseq-wait|1|idle")) "% over a 200 ms idle wait")
  sp = med("lat|shmseq-spin|1")
  if (sp != "" && poll != "") target("spin-then-sleep reader p50 <= 2x polling at " rate_khz " kHz", sp <= 2 * poll, sprintf("%s vs %s ns = %.2fx", fmt(sp), fmt(poll), sp / poll))
  if (has("lat|shmseq-spin|1|idle")) target("spin-then-sleep reader 0% CPU while idle", med("lat|shmseq-spin|1|idle") < 1, fmt(med("lat|shmseq-spin|1|idle")) "% over a 200 ms idle wait")
  for (w = 1; w <= 64; w++) {
    if (!(w in pubw)) continue
    s = med("pub|store|" w); nn = med("pub|shmseq-none|" w); st = med("pub|shmseq-stopped|" w)
    nw = med("pub|shmseq-nowake|" w)
    if (s != "" && nn != "") { r = runratio("pub|shmseq-none|" w, "pub|store|" w, "rr|pn" w)
      target("publish, no reader <= 1.5x plain stores (w=" w ")", r <= 1.5, sprintf("%.2fx (per run %.2f..%.2f); medians %.2f vs %.2f ns (waking writer, the default)", r, lo("rr|pn" w), hi("rr|pn" w), nn, s)) }
    if (s != "" && nw != "") { r = runratio("pub|shmseq-nowake|" w, "pub|store|" w, "rr|pw" w)
      target("publish, no reader <= 1.5x plain stores (w=" w ", NO_WAKE)", r <= 1.5, sprintf("%.2fx (per run %.2f..%.2f); medians %.2f vs %.2f ns (never-waking writer)", r, lo("rr|pw" w), hi("rr|pw" w), nw, s)) }
    if (st != "" && nn != "") target("publish, stopped reader <= 1.05x no reader (w=" w ")", st <= 1.05 * nn, sprintf("%.2f vs %.2f ns = %.2fx", st, nn, st / nn))
  }
  if (has("thr|shmseq|4096|0")) {
    mn = 1e30; for (i = 1; i <= ntk; i++) { split(tlabel[tkorder[i]], t, "|"); if (t[1] == "shmseq" && t[3] == 0 && med(tkorder[i]) < mn) { mn = med(tkorder[i]); mc = t[2] } }
    target(">= 25 M samples/s delivered, writer flat out (every capacity)", mn >= 25, sprintf("lowest %.1f M/s (capacity %s)", mn, mc))
  }
  k = "thr|shmseq|4096|5000000"
  if (has(k)) target("zero loss paced at 5 M/s, capacity 4096", hi(k "|lost") == 0, "lost per run " fmt(lo(k "|lost")) ".." fmt(hi(k "|lost")) "; capacity 65536: " fmt(lo("thr|shmseq|65536|5000000|lost")) ".." fmt(hi("thr|shmseq|65536|5000000|lost")))
  for (i = 1; i <= njr; i++) {
    r = jrates[i]
    for (q = 1; q <= 2; q++) {
      text = "sensor task jitter <= 1.2x " jct[q] " (avg, " r " Hz)"
      a = med("jit|" jsr[q] "|" r "|avg"); c = med("jit|" jct[q] "|" r "|avg")
      if (a != "" && c != "") target(text, a <= 1.2 * c || a - c <= 1, sprintf("%s vs %s us, %s", fmt(a), fmt(c), jhow[q]))
      else target(text, 0, "NOT MEASURED (" jsr[q] " / " jct[q] " missing" (q == 1 ? "; holding the request needs root" : "") ")")
    }
  }
}' "${files[@]}"
