#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Mixed-ABI test (README.md, invariant 6): processes of different ABIs share
# one region at the same time. Each scenario starts its readers first (they
# wait for the region to appear, attach from the oldest sample, and say so
# with a ready file), then one writer that waits for those files and
# publishes samples whose every word derives from the sample number. Every
# reader verifies every sample it gets bit for bit and checks
# received + lost == published since it attached (tests/abi/abi_peer.c).
# Foreign binaries run under qemu-user (there is no binfmt_misc here).
#
#   tests/abi/run.sh NATIVE_BUILD AARCH64_BUILD ARMHF_BUILD [RISCV64_BUILD]
#
# Each build directory must hold tests/abi_peer. Prints every peer's result
# line; the last line is "abi: N passed, M failed" (one per scenario); exits
# 0 only if all passed. ABI_TIMEOUT (default 120) bounds every process.
set -u

if [ $# -lt 3 ] || [ $# -gt 4 ]; then
  echo "usage: $0 NATIVE_BUILD AARCH64_BUILD ARMHF_BUILD [RISCV64_BUILD]" >&2
  exit 2
fi

limit=${ABI_TIMEOUT:-120}
# The peers give up a little before timeout(1) would kill them, so they still
# print why.
inner=$((limit > 30 ? limit - 15 : limit))
declare -A bin=(
  [x86_64]="$1/tests/abi_peer"
  [aarch64]="$2/tests/abi_peer"
  [armhf]="$3/tests/abi_peer"
)
[ $# -ge 4 ] && bin[riscv64]="$4/tests/abi_peer"

# qemu-user for each foreign architecture, with its Debian cross sysroot.
# LD_LIBRARY_PATH makes the cross libc load next to the cross dynamic
# loader: when the target's multiarch libc6 (pulled in by libcmocka-dev:<arch>)
# is a different glibc build than libc6-<arch>-cross, -L alone pairs the
# cross ld.so with the multiarch libc.so.6 found through the host's
# ld.so.cache, and forked children crash.
declare -A emu=(
  [x86_64]=""
  [aarch64]="qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib"
  [armhf]="qemu-arm -L /usr/arm-linux-gnueabihf -E LD_LIBRARY_PATH=/usr/arm-linux-gnueabihf/lib"
  [riscv64]="qemu-riscv64 -L /usr/riscv64-linux-gnu -E LD_LIBRARY_PATH=/usr/riscv64-linux-gnu/lib"
)

if [ "$(uname -m)" != x86_64 ]; then
  echo "abi: the native build is taken to be x86_64, this host is $(uname -m)" >&2
  exit 2
fi
for a in "${!bin[@]}"; do
  if [ ! -x "${bin[$a]}" ]; then
    echo "abi: no $a binary at ${bin[$a]} (build target abi_peer)" >&2
    exit 2
  fi
  q=${emu[$a]%% *}
  if [ -n "$q" ] && ! command -v "$q" >/dev/null; then
    echo "abi: $q not found (package qemu-user)" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/shmseq-abi.XXXXXX")
prefix="abi-$$"
pids=()

cleanup() {
  local p
  for p in "${pids[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null
  done
  wait 2>/dev/null
  rm -f /dev/shm/shmseq."$prefix"-*
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Print the command that runs abi_peer for architecture $1.
peer() {
  echo "${emu[$1]} ${bin[$1]}"
}

passed=0
failed=0
scen=0

# scenario TITLE WRITER_ARCH "WRITER_OPTS" READER...
#   READER is arch:mode[:opt,opt...], e.g. armhf:wait or aarch64:wait:--no-loss
#   Readers of an architecture not given on the command line are skipped.
scenario() {
  local title=$1 warch=$2 wopts=$3
  shift 3
  scen=$((scen + 1))
  local name="$prefix-$scen" dir="$work/$scen"
  mkdir -p "$dir"
  if [ -z "${bin[$warch]:-}" ]; then
    echo "---- $scen: $title: skipped (no $warch build)"
    return
  fi
  local samples
  samples=$(sed -n 's/.*--samples \([0-9]*\).*/\1/p' <<<"$wopts")
  echo "---- $scen: $title"

  local specs=() rpids=() ready=() i=0 spec arch mode extra
  for spec in "$@"; do
    IFS=: read -r arch mode extra <<<"$spec"
    [ -n "${bin[$arch]:-}" ] || continue
    specs+=("$arch $mode")
    # shellcheck disable=SC2046,SC2086
    timeout "$limit" $(peer "$arch") reader --name "$name" \
      --expect "$samples" --mode "$mode" --first 0 \
      --timeout "$inner" --ready "$dir/ready$i" ${extra//,/ } \
      >"$dir/reader$i.log" 2>&1 &
    rpids+=($!)
    pids+=($!)
    ready+=(--wait-ready "$dir/ready$i")
    i=$((i + 1))
  done

  # shellcheck disable=SC2046,SC2086
  timeout "$limit" $(peer "$warch") writer --name "$name" $wopts \
    --timeout "$inner" "${ready[@]}" >"$dir/writer.log" 2>&1 &
  local wpid=$!
  pids+=("$wpid")

  local ok=1 rc
  wait "$wpid"
  rc=$?
  show "writer $warch" "$dir/writer.log" "$rc" || ok=0
  for i in "${!rpids[@]}"; do
    wait "${rpids[$i]}"
    rc=$?
    show "reader ${specs[$i]}" "$dir/reader$i.log" "$rc" || ok=0
  done
  pids=()
  rm -f /dev/shm/shmseq."$name"

  if [ "$ok" = 1 ]; then
    passed=$((passed + 1))
    echo "     PASS  $title"
  else
    failed=$((failed + 1))
    echo "     FAIL  $title"
  fi
}

# show WHAT LOG EXIT_STATUS: print the peer's result line (or the end of
# its log if it has none). Returns non-zero if the peer failed.
show() {
  local what=$1 log=$2 rc=$3 line abi
  abi=$(grep -m1 ' abi arch=' "$log" | sed 's/.* abi arch=/arch=/')
  line=$(grep -m1 'result=' "$log")
  if [ -n "$line" ]; then
    echo "  $line"
  else
    echo "  abi_peer: $what: no result line (exit $rc${abi:+, $abi}); log:"
    tail -n 5 "$log" | sed 's/^/    /'
  fi
  [ "$rc" = 124 ] && echo "  ($what killed after ${limit}s)"
  [ "$rc" = 0 ] && [[ "$line" == *result=PASS* ]]
}

# Flat-out writers into a 64-slot ring: emulated readers fall behind and
# lose samples, which must be accounted exactly. Emulated writers are ~10x
# slower, so they get fewer samples.
fast="--capacity 64 --width 5"

scenario "x86_64 writer; aarch64, armhf, riscv64 and x86_64 readers" \
  x86_64 "--samples 2000000 $fast" \
  aarch64:wait armhf:wait armhf:poll riscv64:wait x86_64:poll

scenario "armhf writer; x86_64 and aarch64 readers" \
  armhf "--samples 300000 $fast" \
  x86_64:wait x86_64:latest aarch64:wait aarch64:poll

scenario "aarch64 writer; armhf and x86_64 readers" \
  aarch64 "--samples 300000 $fast" \
  armhf:wait armhf:latest x86_64:poll

scenario "riscv64 writer; armhf, aarch64 and x86_64 readers" \
  riscv64 "--samples 300000 $fast" \
  armhf:wait aarch64:wait x86_64:wait

# A paced writer with a ring that holds 2 s of samples: every reader, even
# emulated, keeps up, so every sample is received and checked (no loss).
scenario "paced armhf writer (2 kHz, 4096 slots), no loss allowed" \
  armhf "--samples 5000 --rate 2000 --capacity 4096 --width 7" \
  x86_64:wait:--no-loss aarch64:wait:--no-loss riscv64:wait:--no-loss

scenario "paced x86_64 writer (2 kHz, 4096 slots), no loss allowed" \
  x86_64 "--samples 5000 --rate 2000 --capacity 4096 --width 3" \
  armhf:wait:--no-loss armhf:poll:--no-loss aarch64:wait:--no-loss

echo "abi: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
