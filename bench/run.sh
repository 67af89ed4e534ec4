#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The benchmark driver behind `make bench` (docs/benchmarks.md).
#
# Builds the release preset, runs every measurement with the writer and the
# reader in two processes pinned to two different CPUs, repeats each run
# (interleaving the peers, so slow drifts of a shared machine hit them all
# alike), and prints ONE table: the median over the runs, the spread
# (min..max over the runs) and the ratio to shmseq, then how cost grows
# with the readers, the width and the capacity (bench/scale.sh). Raw rows
# go to bench/out/*.csv, the plots to bench/out/bench.png and
# bench/out/scale.png (gnuplot), the table to bench/out/table.txt. Nothing
# asserts on time. The iceoryx peer runs when
# bench_iceoryx was built (its C binding found); this script starts and
# stops the iox-roudi daemon for it (bench/roudi.sh). Likewise the
# Concurrency Kit peer (bench_ck: ck_sequence around one latest-value slot)
# and the ZeroMQ peer (bench_zmq: PUSH/PULL over ipc://). The jitter pairs
# compare like with like: the sensor task and cyclictest both holding the
# PM QoS CPU latency request (sensor_reader -L 0, cyclictest's default),
# then neither (sensor_reader, cyclictest --laptop).
#
#   bench/run.sh [--runs N] [--quick] [--no-build] [--no-deps]
#                [--skip latency,publish,throughput,readers,width,footprint,
#                        jitter,python,sqlite,fleet]
#
#   --runs N    repetitions of each measurement (default 3)
#   --quick     about a minute: 1 run, smaller counts, 2 s jitter runs
#   --no-build  use the existing build/release
#   --no-deps   do not call scripts/deps.sh --bench (no gnuplot/cyclictest
#               install; what is missing is skipped and said so)
#
# Environment: WCPU / RCPU (default 0 / 1) the writer's and reader's CPU,
# RATE (default 100000) the latency writer's pace in Hz, JOBS build jobs.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
runs=3
quick=0
build=1
deps=1
skip=,
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=${2:?}; shift ;;
    --quick) quick=1 ;;
    --no-build) build=0 ;;
    --no-deps) deps=0 ;;
    --skip) skip=",${2:?},"; shift ;;
    -h|--help) sed -n '3,/^set -euo/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[ "$quick" = 1 ] && [ "$runs" = 3 ] && runs=1

jobs=${JOBS:-2}
wcpu=${WCPU:-0}
rcpu=${RCPU:-1}
rate=${RATE:-100000}
ncpu=$(getconf _NPROCESSORS_ONLN)
if [ "$ncpu" -lt 2 ]; then
  echo "bench: only $ncpu CPU: writer and reader share it; figures mean little" >&2
  rcpu=$wcpu
fi
if [ "$quick" = 1 ]; then
  lat_n=50000 pub_n=1000000 pub_peer_n=50000 thr_n=5000000 thr_peer_n=200000
  paced_n=2000000 jit_s=2 caps="2 64 4096 65536 1048576"
  rd_n=20000 rd_iox_n=2000 wd_lat_n=20000 wd_pub_n=500000 wd_thr_n=2000000
else
  lat_n=200000 pub_n=4000000 pub_peer_n=200000 thr_n=20000000 thr_peer_n=1000000
  paced_n=10000000 jit_s=5
  caps="2 8 64 256 1024 4096 16384 65536 262144 1048576"
  rd_n=50000 rd_iox_n=5000 wd_lat_n=100000 wd_pub_n=2000000 wd_thr_n=10000000
fi
# readers: counts of reader processes; width: float64 values per sample
reader_counts="1 2 4 8 16"
widths="1 4 16 64"
out=bench/out
bin=build/release/bench
mkdir -p "$out"
rm -f "$out"/*.csv "$out"/*.png "$out"/table.txt "$out"/python.txt "$out"/*.log \
  "$out"/sqlite.txt "$out"/fleet.txt
want() { case $skip in *",$1,"*) return 1 ;; esac; return 0; }
t_start=$(date +%s)

if [ "$deps" = 1 ]; then
  bash scripts/deps.sh --bench ||
    echo "bench: scripts/deps.sh --bench failed; going on without what is missing" >&2
fi
if [ "$build" = 1 ]; then
  cmake --preset release >/dev/null
  cmake --build --preset release --parallel "$jobs" >/dev/null
fi
for b in bench_latency bench_publish bench_throughput bench_region bench_readers; do
  [ -x "$bin/$b" ] || { echo "bench: $bin/$b missing (build first)" >&2; exit 1; }
done

common=(--wcpu "$wcpu" --rcpu "$rcpu")
say() { printf 'bench: %s\n' "$*" >&2; }

# Optional peers: built only when their library was found at configure.
# iceoryx needs its RouDi daemon: started here, stopped on every exit.
iox=0
ck=0
zmq=0
if [ -x "$bin/bench_ck" ]; then
  ck=1
else
  say "ck_sequence: not built (libck-dev missing at configure): skipped"
fi
if [ -x "$bin/bench_zmq" ]; then
  zmq=1
else
  say "zeromq: not built (libzmq3-dev missing at configure): skipped"
fi
# shellcheck source=bench/roudi.sh
. bench/roudi.sh
trap 'roudi_stop' EXIT
trap 'roudi_stop; exit 130' INT
trap 'roudi_stop; exit 143' TERM
if [ ! -x "$bin/bench_iceoryx" ]; then
  say "iceoryx: not built (libiceoryx-binding-c-dev missing at configure): skipped"
elif ! want latency && ! want publish && ! want throughput && ! want readers &&
     ! want width; then
  :
elif roudi_start "$out/roudi.log"; then
  iox=1
  say "iceoryx: iox-roudi started (pid $roudi_pid, log $out/roudi.log)"
else
  say "iceoryx: skipped: $roudi_why"
fi

# ---- jitter: one row of jitter.csv per tool run -------------------------
# jitter_sr TOOL HZ [sensor_reader options]: its "min A avg B p99 C max D".
jitter_sr() {
  local tool=$1 hz=$2 line
  shift 2
  line=$("$sr" -n "bench-jitter-$$" -r "$hz" -P 80 --cpu "$rcpu" -m -d "$jit_s" \
         -u -q -R "$@" 2>&1 | sed -n 's/.*wake-up latency (us): //p')
  # shellcheck disable=SC2086 # split into fields on purpose
  set -- $line
  if [ $# -ge 8 ]; then
    echo "$tool,$hz,$run,$2,$4,$8" >>"$out/jitter.csv"
  else
    say "jitter: $tool $hz Hz gave no summary"
  fi
}
# jitter_ct TOOL HZ [cyclictest options]: its last "Min: Avg: Max:" line.
jitter_ct() {
  local tool=$1 hz=$2 line
  shift 2
  line=$(cyclictest -q -m -p 80 -a "$rcpu" -t 1 -i "$((1000000 / hz))" \
           -D "$jit_s" "$@" 2>/dev/null |
         sed -n 's/.*Min: *\([0-9]*\).*Avg: *\([0-9]*\).*Max: *\([0-9]*\).*/\1 \2 \3/p' |
         tail -n1)
  # shellcheck disable=SC2086 # split into fields on purpose
  set -- $line
  if [ $# -ge 3 ]; then
    echo "$tool,$hz,$run,$1,$2,$3" >>"$out/jitter.csv"
  else
    say "jitter: $tool $hz Hz gave no summary"
  fi
}

# ---- measurements -------------------------------------------------------
for run in $(seq 1 "$runs"); do
  if want latency; then
    say "run $run/$runs: latency (clock, cache line, shmseq, pipe, uds, mq, condvar$([ "$iox" = 1 ] && echo ", iceoryx")$([ "$ck" = 1 ] && echo ", ck_sequence")$([ "$zmq" = 1 ] && echo ", zeromq"))"
    "$bin/bench_latency" clock -n "$lat_n" --run "$run" --csv "$out/latency.csv" \
      "${common[@]}" >/dev/null
    "$bin/bench_latency" pingpong -n "$lat_n" --run "$run" \
      --csv "$out/latency.csv" "${common[@]}" >/dev/null
    for w in 1 6; do
      for p in line shmseq-poll shmseq-wait shmseq-spin pipe uds mq condvar; do
        "$bin/bench_latency" "$p" -n "$lat_n" -r "$rate" --width "$w" \
          --run "$run" --csv "$out/latency.csv" "${common[@]}" >/dev/null
      done
      if [ "$iox" = 1 ]; then
        for p in latency-poll latency-wait; do
          "$bin/bench_iceoryx" "$p" -n "$lat_n" -r "$rate" --width "$w" \
            --run "$run" --csv "$out/latency.csv" "${common[@]}" >/dev/null ||
            say "iceoryx $p width $w failed"
        done
      fi
      if [ "$ck" = 1 ]; then
        "$bin/bench_ck" latency-poll -n "$lat_n" -r "$rate" --width "$w" \
          --run "$run" --csv "$out/latency.csv" "${common[@]}" >/dev/null ||
          say "ck_sequence latency-poll width $w failed"
      fi
      if [ "$zmq" = 1 ]; then
        "$bin/bench_zmq" latency -n "$lat_n" -r "$rate" --width "$w" \
          --run "$run" --csv "$out/latency.csv" "${common[@]}" >/dev/null ||
          say "zeromq latency width $w failed"
      fi
    done
  fi
  if want publish; then
    say "run $run/$runs: writer cost per publish"
    for w in 1 6; do
      for m in store shmseq-none shmseq-nowake shmseq-poll shmseq-stopped; do
        "$bin/bench_publish" "$m" -n "$pub_n" --width "$w" --run "$run" \
          --csv "$out/publish.csv" "${common[@]}" >/dev/null
      done
    done
    if [ "$iox" = 1 ]; then
      # publish-stopped caps itself at 100 000 publishes (bench_iceoryx.c)
      for w in 1 6; do
        for m in publish-none publish-poll publish-stopped; do
          "$bin/bench_iceoryx" "$m" -n "$pub_peer_n" --width "$w" --run "$run" \
            --csv "$out/publish.csv" "${common[@]}" >/dev/null ||
            say "iceoryx $m width $w failed"
        done
      done
    fi
    if [ "$ck" = 1 ]; then
      # as cheap as shmseq's publish: the same counts
      for w in 1 6; do
        for m in publish-none publish-poll; do
          "$bin/bench_ck" "$m" -n "$pub_n" --width "$w" --run "$run" \
            --csv "$out/publish.csv" "${common[@]}" >/dev/null ||
            say "ck_sequence $m width $w failed"
        done
      done
    fi
    for m in pipe uds mq; do
      "$bin/bench_publish" "$m" -n "$pub_peer_n" --width 1 --run "$run" \
        --csv "$out/publish.csv" "${common[@]}" >/dev/null
    done
    if [ "$zmq" = 1 ]; then
      "$bin/bench_zmq" publish -n "$pub_peer_n" --width 1 --run "$run" \
        --csv "$out/publish.csv" "${common[@]}" >/dev/null ||
        say "zeromq publish failed"
    fi
  fi
  if want throughput; then
    say "run $run/$runs: throughput (capacities $caps, then paced 5 MHz, then peers)"
    for c in $caps; do
      "$bin/bench_throughput" shmseq -n "$thr_n" -c "$c" --run "$run" \
        --csv "$out/throughput.csv" "${common[@]}" >/dev/null || true
    done
    for c in 4096 65536; do
      "$bin/bench_throughput" shmseq -n "$paced_n" -c "$c" -r 5000000 \
        --run "$run" --csv "$out/throughput.csv" "${common[@]}" >/dev/null || true
    done
    for p in pipe uds mq; do
      "$bin/bench_throughput" "$p" -n "$thr_peer_n" --run "$run" \
        --csv "$out/throughput.csv" "${common[@]}" >/dev/null || true
    done
    if [ "$iox" = 1 ]; then
      # its subscriber queue holds at most 256 samples
      "$bin/bench_iceoryx" throughput -n "$thr_peer_n" -c 256 --run "$run" \
        --csv "$out/throughput.csv" "${common[@]}" >/dev/null ||
        say "iceoryx throughput failed"
    fi
    if [ "$ck" = 1 ]; then
      # one slot: most samples are overwritten unread, by design
      "$bin/bench_ck" throughput -n "$thr_n" --run "$run" \
        --csv "$out/throughput.csv" "${common[@]}" >/dev/null ||
        say "ck_sequence throughput failed"
    fi
    if [ "$zmq" = 1 ]; then
      "$bin/bench_zmq" throughput -n "$thr_peer_n" --run "$run" \
        --csv "$out/throughput.csv" "${common[@]}" >/dev/null ||
        say "zeromq throughput failed"
    fi
  fi
  if want readers; then
    # Every reader on RCPU: from 2 readers on they share one CPU
    # (oversubscribed on a 2-CPU machine; docs/benchmarks.md).
    say "run $run/$runs: readers $reader_counts (shmseq poll, wait, spin, mix, nowake$([ "$iox" = 1 ] && echo "; iceoryx poll, wait"))"
    for n in $reader_counts; do
      for t in poll wait spin mix nowake; do
        "$bin/bench_readers" "$t" -n "$rd_n" -r "$rate" --readers "$n" \
          --run "$run" --csv "$out/readers.csv" "${common[@]}" >/dev/null ||
          say "readers $t $n failed"
      done
      if [ "$iox" = 1 ]; then
        for t in readers-poll readers-wait; do
          "$bin/bench_iceoryx" "$t" -n "$rd_iox_n" -r "$rate" --readers "$n" \
            --run "$run" --csv "$out/readers.csv" "${common[@]}" >/dev/null ||
            say "iceoryx $t $n failed"
        done
      fi
    done
  fi
  if want width; then
    say "run $run/$runs: widths $widths at one reader (store floor, shmseq$([ "$iox" = 1 ] && echo ", iceoryx"))"
    for w in $widths; do
      for m in store shmseq-nowake shmseq-none shmseq-poll; do
        "$bin/bench_publish" "$m" -n "$wd_pub_n" --width "$w" --run "$run" \
          --csv "$out/width-publish.csv" "${common[@]}" >/dev/null
      done
      "$bin/bench_latency" shmseq-poll -n "$wd_lat_n" -r "$rate" --width "$w" \
        --run "$run" --csv "$out/width-latency.csv" "${common[@]}" >/dev/null
      "$bin/bench_throughput" shmseq -n "$wd_thr_n" -c 4096 --width "$w" \
        --run "$run" --csv "$out/width-throughput.csv" "${common[@]}" \
        >/dev/null || true
      if [ "$iox" = 1 ]; then
        "$bin/bench_iceoryx" publish-poll -n "$pub_peer_n" --width "$w" \
          --run "$run" --csv "$out/width-publish.csv" "${common[@]}" \
          >/dev/null || say "iceoryx publish-poll width $w failed"
        "$bin/bench_iceoryx" latency-poll -n "$wd_lat_n" -r "$rate" \
          --width "$w" --run "$run" --csv "$out/width-latency.csv" \
          "${common[@]}" >/dev/null || say "iceoryx latency-poll width $w failed"
        "$bin/bench_iceoryx" throughput -n "$thr_peer_n" -c 256 --width "$w" \
          --run "$run" --csv "$out/width-throughput.csv" "${common[@]}" \
          >/dev/null || say "iceoryx throughput width $w failed"
      fi
    done
  fi
  if want jitter; then
    sr=build/release/examples/sensor_reader
    if ! command -v cyclictest >/dev/null 2>&1; then
      say "jitter: cyclictest (rt-tests) missing: skipped"
    elif [ ! -x "$sr" ]; then
      say "jitter: $sr missing: skipped"
    else
      # Holding the request needs write access to the device (root): without
      # it sensor_reader would only warn and the "+qos" figures would lie.
      jit_qos=0
      [ -w /dev/cpu_dma_latency ] && jit_qos=1
      [ "$jit_qos" = 1 ] ||
        say "jitter: /dev/cpu_dma_latency not writable: the pair holding the PM QoS request is skipped"
      say "run $run/$runs: jitter (sensor_reader vs cyclictest, with and without the PM QoS request, ${jit_s} s each)"
      for hz in 1000 10000; do
        if [ "$jit_qos" = 1 ]; then
          jitter_sr sensor_reader+qos "$hz" -L 0
          jitter_ct cyclictest "$hz"
        fi
        # Another process's request would spoil the pair without one (the
        # kernel reads back the smallest request, 2000 s when none).
        jit_lim=$(od -An -td4 -N4 /dev/cpu_dma_latency 2>/dev/null | tr -d ' ') || jit_lim=
        if [ -n "$jit_lim" ] && [ "$jit_lim" -lt 2000000000 ]; then
          say "jitter: another process holds a CPU latency request ($jit_lim us): the pair without one may not be clean"
        fi
        jitter_sr sensor_reader "$hz"
        jitter_ct cyclictest-laptop "$hz" --laptop
      done
    fi
  fi
done
roudi_stop
[ -f "$out/jitter.csv" ] && sed -i '1i tool,rate_hz,run,min_us,avg_us,max_us' "$out/jitter.csv"

# ---- footprint: .text/.data/.bss of libshmseq.a, library only ----------
if want footprint; then
  "$bin/bench_region" --csv "$out/region.csv" >/dev/null
  echo "arch,opt,text,data,bss" >"$out/footprint.csv"
  for arch in x86_64 aarch64 armhf; do
    case $arch in
      x86_64) tc=; sz=size ;;
      aarch64) tc=toolchain/aarch64-linux-gnu.cmake; sz=aarch64-linux-gnu-size ;;
      armhf) tc=toolchain/arm-linux-gnueabihf.cmake; sz=arm-linux-gnueabihf-size ;;
    esac
    command -v "$sz" >/dev/null 2>&1 || { say "footprint: $sz missing: $arch skipped"; continue; }
    for opt in Os O2; do
      d=build/bench-footprint-$arch-$opt
      say "footprint: $arch -$opt"
      args=(-S . -B "$d" -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_FLAGS_RELEASE=-$opt -DNDEBUG"
            -DSHMSEQ_BUILD_TESTS=OFF -DSHMSEQ_BUILD_EXAMPLES=OFF
            -DSHMSEQ_BUILD_BENCH=OFF -DSHMSEQ_INSTALL=OFF)
      [ -n "$tc" ] && args+=("-DCMAKE_TOOLCHAIN_FILE=$root/$tc")
      if cmake "${args[@]}" >"$out/footprint-$arch-$opt.log" 2>&1 &&
         cmake --build "$d" --target shmseq --parallel "$jobs" \
           >>"$out/footprint-$arch-$opt.log" 2>&1; then
        "$sz" -t "$d/libshmseq.a" | awk -v a="$arch" -v o="$opt" \
          '/\(TOTALS\)/ { print a "," o "," $1 "," $2 "," $3 }' >>"$out/footprint.csv"
      else
        say "footprint: $arch -$opt build failed (see $out/footprint-$arch-$opt.log)"
      fi
    done
  done
fi

# ---- python: the package's calls beside the C calls (bench/python.sh) --
if want python; then
  if [ "$quick" = 1 ]; then py_n=300000; else py_n=2000000; fi
  say "python: the package's read, read_many and publish vs the C calls ($runs run(s))"
  bash bench/python.sh "$out" "$runs" "$py_n" build/release >/dev/null ||
    say "python: failed (python3 with numpy? see bench/python.sh): skipped"
fi

# ---- sqlite: the sinks' store rates, the logger into SQLite (bench/sqlite.sh)
if want sqlite; then
  bash bench/sqlite.sh "$out" "$quick" "$bin" build/release/examples >/dev/null ||
    say "sqlite: failed: skipped"
fi

# ---- fleet: shmseq-mqtt through a local broker (bench/fleet.sh) ---------
if want fleet; then
  if [ -x build/release/tools/shmseq-mqtt ]; then
    say "fleet: shmseq-mqtt through a local mosquitto ($runs run(s))"
    bash bench/fleet.sh "$out" "$runs" "$quick" build/release >/dev/null ||
      say "fleet: failed (mosquitto missing? see bench/fleet.sh): skipped"
  else
    say "fleet: shmseq-mqtt not built (libmosquitto-dev missing at configure): skipped"
  fi
fi

# ---- the table ----------------------------------------------------------
{
  echo "shmseq benchmarks: $runs run(s), median [min..max over runs]; writer CPU $wcpu, reader CPU $rcpu"
  echo "machine: $(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1), Linux $(uname -r)"
  echo
  bash bench/table.sh "$out" "$runs" "$rate"
  echo
  bash bench/scale.sh "$out" "$runs"
  if [ -f "$out/python.txt" ]; then echo; cat "$out/python.txt"; fi
  if [ -f "$out/sqlite.txt" ]; then echo; cat "$out/sqlite.txt"; fi
  if [ -f "$out/fleet.txt" ]; then echo; cat "$out/fleet.txt"; fi
} | tee "$out/table.txt"

# ---- the plot ------------------------------------------------------------
if command -v gnuplot >/dev/null 2>&1; then
  bash bench/plot.sh "$out" &&
    for f in bench scale; do [ -f "$out/$f.png" ] && say "plot: $out/$f.png"; done
else
  say "plot: gnuplot missing: no PNG (scripts/deps.sh --bench installs gnuplot)"
fi
say "raw data: $out/*.csv; table: $out/table.txt; took $(( $(date +%s) - t_start )) s"
