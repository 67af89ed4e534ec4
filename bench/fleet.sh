#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The fleet bridge's speed (the fleet part of bench/run.sh; docs/fleet.md
# has the figures), through a mosquitto broker this script starts on
# 127.0.0.1 (free port, configuration in a temporary directory, stopped on
# every exit):
#
#   bench/fleet.sh OUT_DIR RUNS QUICK [BUILD_DIR]
#
#   throughput  a region of width 4 filled with N samples beforehand
#               (bench_fill), then `pub` drains it through the broker to a
#               `sub`: samples/s from the bridge's start until the fleet
#               end has acknowledged the last sample, with --batch 100 and
#               1000, into the binary-log sink (the transport) and into
#               the SQLite sink (end to end); target >= 500000 samples/s
#   cpu         `pub` on a sensor task at 10 kHz: its CPU time per second,
#               as % of one core per 10000 samples/s
#   latency     1 kHz, --max-delay 10, `sub --ack-ms 10` into SQLite with
#               commit_ms=10: each sample's time from being taken (the
#               writer's stamp) to its durable commit, p50 and p99
#
# Writes OUT_DIR/fleet.csv and OUT_DIR/fleet.txt. Nothing asserts on time.
set -euo pipefail

out=${1:?usage: bench/fleet.sh OUT_DIR RUNS QUICK [BUILD_DIR]}
runs=${2:?}
quick=${3:?}
build=${4:-build/release}
cd "$(dirname "$0")/.."
mqtt=$build/tools/shmseq-mqtt
fill=$build/bench/bench_fill
sensor=$build/examples/sensor_reader
for b in "$mqtt" "$fill" "$sensor"; do
  [ -x "$b" ] || { echo "fleet: $b missing (libmosquitto-dev at configure?)" >&2; exit 1; }
done
mosq=$(command -v mosquitto || echo /usr/sbin/mosquitto)
[ -x "$mosq" ] || { echo "fleet: mosquitto missing (scripts/deps.sh)" >&2; exit 1; }
if [ "$quick" = 1 ]; then n=500000 secs=3; else n=1000000 secs=10; fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-fleet-bench.XXXXXX")
broker=""
name="fleet-bench-$$"
cleanup() {
  [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
  rm -rf "$tmp"
  rm -f "/dev/shm/shmseq.$name" "/dev/shm/shmseq.$name"-[cl]*
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
{
  printf 'listener %s 127.0.0.1\nallow_anonymous true\n' "$port"
  [ "$(id -u)" = 0 ] && echo "user root"
  echo "max_queued_messages 0"
} > "$tmp/m.conf"
"$mosq" -c "$tmp/m.conf" > "$tmp/broker.log" 2>&1 &
broker=$!
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done

now() { date +%s.%N; }
csv=$out/fleet.csv
echo "what,sink,batch,run,samples,seconds,value" > "$csv"

# throughput SINK BATCH RUN
throughput() {
  local sink=$1 batch=$2 run=$3 d t0 t1 params=
  d=$tmp/t-$sink-$batch-$run
  mkdir -p "$d"
  "$fill" "$name" 4 1048576 "$n"
  [ "$sink" = sqlite ] && params=commit_ms=50
  "$mqtt" sub --db "$d/db" --sink "$sink" ${params:+--params "$params"} \
    --port "$port" --ack-ms 20 --status 0 2> "$d/sub.log" &
  local sub=$!
  sleep 0.3
  t0=$(now)
  "$mqtt" pub --node bench --spool "$d/spool" --spool-max 1G --port "$port" \
    --batch "$batch" --max-delay 5 --window 2000000 --duration 0.05 \
    --linger 120 --status 0 "$name" 2> "$d/pub.log"
  t1=$(now)
  kill -TERM "$sub"; wait "$sub" || true
  if ! grep -q "unacknowledged 0 " "$d/pub.log"; then
    echo "fleet: throughput run did not finish: $(cat "$d/pub.log")" >&2
    return
  fi
  python3 -c "import sys; n, a, b = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]); print('throughput,%s,%s,%s,%d,%.3f,%.0f' % (sys.argv[4], sys.argv[5], sys.argv[6], n, b - a, n / (b - a)))" \
    "$n" "$t0" "$t1" "$sink" "$batch" "$run" >> "$csv"
}

# cpu RUN: pub's CPU at 10 kHz
cpu() {
  local run=$1 d
  d=$tmp/c-$run
  mkdir -p "$d"
  "$mqtt" sub --db "$d/db" --port "$port" --status 0 2> "$d/sub.log" &
  local sub=$!
  "$sensor" -n "$name-c$run" -r 10000 -d "$secs" -C 65536 -q 2> "$d/sensor.log" &
  local sens=$!
  sleep 0.2
  /usr/bin/time -f "%U %S %e" -o "$d/time" "$mqtt" pub --node bench \
    --spool "$d/spool" --port "$port" --batch 100 --max-delay 50 \
    --duration "$secs" --status 0 "$name-c$run" 2> "$d/pub.log"
  wait "$sens"
  kill -TERM "$sub"; wait "$sub" || true
  read -r u s e < "$d/time"
  local got
  got=$(sed -n "s/.*summary: .* read \([0-9]*\),.*/\1/p" "$d/pub.log")
  # CPU % of one core, per 10000 samples/s actually read
  python3 -c "import sys; u, s, e, n = map(float, sys.argv[1:5]); print('cpu,sqlite,100,%s,%d,%.3f,%.2f' % (sys.argv[5], n, e, 100 * (u + s) / e / (n / e / 10000)))" \
    "$u" "$s" "$e" "${got:-0}" "$run" >> "$csv"
}

# latency RUN
latency() {
  local run=$1 d p50 p99
  d=$tmp/l-$run
  mkdir -p "$d"
  "$mqtt" sub --db "$d/db" --params commit_ms=10 --ack-ms 10 --latency \
    --port "$port" --status 0 2> "$d/sub.log" &
  local sub=$!
  "$sensor" -n "$name-l$run" -r 1000 -d "$secs" -C 65536 -q 2> "$d/sensor.log" &
  local sens=$!
  sleep 0.2
  "$mqtt" pub --node bench --spool "$d/spool" --port "$port" --batch 100 \
    --max-delay 10 --duration "$secs" --linger 10 --status 0 "$name-l$run" \
    2> "$d/pub.log"
  wait "$sens"
  kill -TERM "$sub"; wait "$sub" || true
  p50=$(sed -n 's/.*latency .*: p50 \([0-9.]*\) ms.*/\1/p' "$d/sub.log" | head -n1)
  p99=$(sed -n 's/.*latency .* p99 \([0-9.]*\) ms.*/\1/p' "$d/sub.log" | head -n1)
  echo "latency_p50_ms,sqlite,100,$run,$((1000 * secs)),$secs,${p50:-nan}" >> "$csv"
  echo "latency_p99_ms,sqlite,100,$run,$((1000 * secs)),$secs,${p99:-nan}" >> "$csv"
}

for run in $(seq 1 "$runs"); do
  for sink in bin sqlite; do
    for batch in 100 1000; do
      throughput "$sink" "$batch" "$run"
    done
  done
  cpu "$run"
  latency "$run"
done

# The table: median [min..max] over the runs of each row.
python3 - "$csv" > "$out/fleet.txt" <<'EOF'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
def pick(what, sink, batch):
    v = [float(r["value"]) for r in rows
         if r["what"] == what and r["sink"] == sink and r["batch"] == batch]
    v = [x for x in v if x == x]
    if not v:
        return "n/a"
    m = statistics.median(v)
    return "%.0f [%.0f..%.0f]" % (m, min(v), max(v)) if m > 100 else \
           "%.2f [%.2f..%.2f]" % (m, min(v), max(v))
print("fleet bridge (shmseq-mqtt) through a local mosquitto, width 4; median [min..max]")
for sink, label in (("bin", "binary-log sink (transport)"), ("sqlite", "SQLite sink (end to end)")):
    for b in ("100", "1000"):
        print("  samples/s, batch %-4s, %-28s %s   (target >= 500000)" % (b, label, pick("throughput", sink, b)))
print("  pub CPU %% of one core per 10k samples/s (10 kHz)      %s" % pick("cpu", "sqlite", "100"))
print("  latency sample -> durable commit, 1 kHz, --max-delay 10, --ack-ms 10:")
print("    p50 ms %s, p99 ms %s" % (pick("latency_p50_ms", "sqlite", "100"), pick("latency_p99_ms", "sqlite", "100")))
EOF
cat "$out/fleet.txt"
