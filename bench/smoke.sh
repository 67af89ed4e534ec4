#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench-smoke (ctest, label bench): run every bench program once with tiny
# counts so they cannot rot. Checks that each exits 0 and prints its row;
# never looks at a time. Usage: smoke.sh DIR-WITH-THE-BENCH-BINARIES
set -euo pipefail
dir=${1:?usage: smoke.sh BINDIR}
out=$(mktemp "${TMPDIR:-/tmp}/shmseq-bench-smoke.XXXXXX")
trap 'rm -f "$out" "$out.csv"' EXIT
fail=0
nfail=0 # failed runs, to tell whether the iceoryx ones failed
ncpu=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
rcpu=1
[ "$ncpu" -ge 2 ] || rcpu=0

# run NAME PATTERN CMD...: CMD must exit 0 and print a line matching PATTERN.
# A program that hangs ends at its own alarm() (SIGALRM, status 142).
run() {
  local name=$1 pat=$2 rc=0 why
  shift 2
  "$@" >"$out" 2>&1 || rc=$?
  if [ "$rc" != 0 ]; then
    why="exit status $rc"
    if [ "$rc" -gt 128 ]; then
      why="killed by SIG$(kill -l "$((rc - 128))" 2>/dev/null || echo "$((rc - 128))")"
      [ "$rc" = 142 ] && why="$why (hung until its alarm)"
    fi
    echo "FAIL $name: $why from: $*"; cat "$out"; fail=1
    nfail=$((nfail + 1)); return
  fi
  if ! grep -q -- "$pat" "$out"; then
    echo "FAIL $name: no '$pat' line in the output of: $*"; cat "$out"; fail=1
    nfail=$((nfail + 1)); return
  fi
  echo "ok   $name: $(grep -- "$pat" "$out" | head -n1)"
}

common=(--wcpu 0 --rcpu "$rcpu" --csv "$out.csv")
for p in clock pingpong line shmseq-poll shmseq-wait shmseq-spin pipe uds mq condvar; do
  pat=$p
  case $p in clock) pat=clock_gettime ;; pingpong) pat=line-rtt ;; esac
  run "latency $p" "^$pat " "$dir/bench_latency" "$p" -n 300 -r 20000 \
    --width 6 "${common[@]}"
done
for m in store shmseq-none shmseq-nowake shmseq-poll shmseq-stopped pipe uds mq; do
  run "publish $m" "^$m .*ns/op" "$dir/bench_publish" "$m" -n 2000 "${common[@]}"
done
for p in shmseq pipe uds mq; do
  run "throughput $p" "^$p .*accounted yes" "$dir/bench_throughput" "$p" \
    -n 20000 -c 64 "${common[@]}"
done
run "throughput shmseq paced" "^shmseq .*accounted yes" \
  "$dir/bench_throughput" shmseq -n 2000 -r 100000 "${common[@]}"
run "region" "^6 " "$dir/bench_region" --csv "$out.csv"
for t in poll mix; do
  run "readers $t" "^shmseq-$t .*readers  3" "$dir/bench_readers" "$t" -n 300 \
    -r 20000 --readers 3 "${common[@]}"
done
run "sink" "^sink=bin width=4 " "$dir/bench_sink" -n 2000

# Optional peers: only when built (their library found at configure).
if [ ! -x "$dir/bench_iceoryx" ]; then
  echo "skip iceoryx: bench_iceoryx not built (libiceoryx-binding-c-dev not found at configure)"
else
  # shellcheck source=bench/roudi.sh
  . "$(dirname "$0")/roudi.sh"
  trap 'roudi_stop; rm -f "$out" "$out.csv" "$out.roudi"' EXIT
  nfail_before_iox=$nfail
  if roudi_start "$out.roudi"; then
    for t in latency-poll latency-wait; do
      run "iceoryx $t" "^iceoryx-" "$dir/bench_iceoryx" "$t" -n 300 -r 20000 \
        --width 6 "${common[@]}"
    done
    for t in publish-none publish-poll publish-stopped; do
      run "iceoryx $t" "^iceoryx-.*ns/op" "$dir/bench_iceoryx" "$t" -n 2000 "${common[@]}"
    done
    run "iceoryx throughput" "^iceoryx .*accounted yes" "$dir/bench_iceoryx" \
      throughput -n 20000 -c 64 "${common[@]}"
    run "iceoryx readers-poll" "^iceoryx-poll .*readers  2" "$dir/bench_iceoryx" \
      readers-poll -n 300 -r 20000 --readers 2 "${common[@]}"
    roudi_stop
    if [ "$nfail" != "$nfail_before_iox" ]; then
      echo "RouDi's log (iox-roudi -l warning, at most 60 lines):"
      sed -e 's/\x1b\[[0-9;]*m//g' -e 60q "$out.roudi"
    fi
  else
    echo "skip iceoryx: $roudi_why"
  fi
fi
# Concurrency Kit and ZeroMQ: no daemon, only the library at configure.
if [ ! -x "$dir/bench_ck" ]; then
  echo "skip ck_sequence: bench_ck not built (libck-dev not found at configure)"
else
  run "ck_sequence latency-poll" "^ck-seq-poll " "$dir/bench_ck" latency-poll \
    -n 300 -r 20000 --width 6 "${common[@]}"
  for t in none poll; do
    run "ck_sequence publish-$t" "^ck-seq-$t .*ns/op" "$dir/bench_ck" \
      "publish-$t" -n 2000 "${common[@]}"
  done
  run "ck_sequence throughput" "^ck-seq .*accounted yes" "$dir/bench_ck" \
    throughput -n 20000 "${common[@]}"
fi
if [ ! -x "$dir/bench_zmq" ]; then
  echo "skip zeromq: bench_zmq not built (libzmq3-dev not found at configure)"
else
  run "zeromq latency" "^zmq-ipc " "$dir/bench_zmq" latency -n 300 -r 20000 \
    --width 6 "${common[@]}"
  run "zeromq publish" "^zmq-ipc .*ns/op.*blocks after" "$dir/bench_zmq" \
    publish -n 2000 "${common[@]}"
  run "zeromq throughput" "^zmq-ipc .*accounted yes" "$dir/bench_zmq" \
    throughput -n 20000 "${common[@]}"
fi
grep -q '^peer,width,run' "$out.csv" || { echo "FAIL: no CSV header"; fail=1; }

if [ "$fail" = 0 ]; then
  echo "bench-smoke: every bench program ran"
else
  echo "bench-smoke: FAILED"
fi
exit "$fail"
