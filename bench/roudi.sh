# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Sourced by bench/run.sh and bench/smoke.sh: start and stop Eclipse
# iceoryx's RouDi daemon (iox-roudi) around the iceoryx peer
# (bench_iceoryx). Only a RouDi started here is ever stopped: if another one
# is running (someone else's), the iceoryx peer is skipped rather than
# sharing or disturbing it. RouDi's fixed names (the shared memory
# /dev/shm/iceoryx_mgmt and /dev/shm/<user>, its socket and lock files in
# /tmp) are left behind when it dies abnormally; they are removed before a
# start and after a stop, only while no RouDi runs.
#
# RouDi runs with its process monitoring off (-m off). With it on, RouDi
# drops a process whose keep-alive it has not seen for 1.5 s (fixed in
# iceoryx 2.0) and deletes its ports under it: on a loaded machine (a build
# beside bench-smoke) a bench writer was dropped mid-run and aborted with
# POPO__CHUNK_LOCKING_ERROR. The monitoring only cleans up after processes
# that die without unregistering; the samples never pass through RouDi, so
# the figures do not depend on it. The price: a bench process that was
# killed stays listed, and RouDi then aborts in its own shutdown (it cannot
# SIGTERM it); roudi_stop copes with that and removes the leftovers.
#
#   roudi_start LOGFILE   0 when RouDi is ready; else 1, and the reason in
#                         $roudi_why
#   roudi_stop            stop the RouDi roudi_start started (idempotent)

roudi_pid=
# shellcheck disable=SC2034 # read by the scripts that source this file
roudi_why=

roudi_leftovers() {
  local user
  user=$(id -un 2>/dev/null || echo "")
  # The payload segment is named after the user: only taken for RouDi's
  # when its management segment lies beside it.
  if [ -e /dev/shm/iceoryx_mgmt ]; then
    echo "bench: removing RouDi's leftovers (/dev/shm/iceoryx_mgmt${user:+ /dev/shm/$user})" >&2
    rm -f /dev/shm/iceoryx_mgmt
    [ -n "$user" ] && rm -f "/dev/shm/$user"
  fi
  rm -f /tmp/roudi /tmp/roudi.lock /tmp/iox-unique-roudi.lock
}

roudi_running() { pgrep -x iox-roudi >/dev/null 2>&1; }

# shellcheck disable=SC2034 # roudi_why is read by the callers
roudi_start() {
  local log=${1:?} i
  roudi_why=
  if ! command -v iox-roudi >/dev/null 2>&1; then
    roudi_why="iox-roudi not installed (Debian package iceoryx; scripts/deps.sh --bench)"
    return 1
  fi
  if roudi_running; then
    roudi_why="another iox-roudi is already running (pid $(pgrep -x iox-roudi | tr '\n' ' ')); not sharing it"
    return 1
  fi
  roudi_leftovers # a RouDi killed earlier (or one that aborted)
  iox-roudi -l warning -m off >"$log" 2>&1 &
  roudi_pid=$!
  for i in $(seq 1 100); do
    if grep -q 'RouDi is ready for clients' "$log" 2>/dev/null; then
      return 0
    fi
    if ! kill -0 "$roudi_pid" 2>/dev/null; then
      roudi_why="iox-roudi exited at start (see $log)"
      roudi_pid=
      roudi_leftovers
      return 1
    fi
    sleep 0.1
  done
  roudi_why="iox-roudi not ready after 10 s (see $log)"
  roudi_stop
  return 1
}

roudi_stop() {
  local _
  [ -n "$roudi_pid" ] || return 0
  kill -TERM "$roudi_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do
    kill -0 "$roudi_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$roudi_pid" 2>/dev/null; then
    kill -KILL "$roudi_pid" 2>/dev/null || true
  fi
  wait "$roudi_pid" 2>/dev/null || true
  roudi_pid=
  roudi_running || roudi_leftovers
}
