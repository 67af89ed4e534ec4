#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install what building and testing shmseq needs, on Debian (12 and later),
# with apt-get. Called by `make deps`, `make test` and `make demo`.
#
# It checks first and changes nothing when all is present, so a ready
# machine never touches apt. As root it installs what is missing; as another
# user it prints the exact command to run and exits 1.
#
#   scripts/deps.sh           install what is missing
#   scripts/deps.sh --check   only report; exit 1 if something is missing
#   scripts/deps.sh --bench   instead: what `make bench` adds (gnuplot for
#                             its plot, rt-tests for cyclictest, iceoryx
#                             and its C binding, Concurrency Kit and
#                             ZeroMQ for peers); --bench --check only
#                             reports
set -euo pipefail

# package:command -- a package counts as present if dpkg says it is
# installed or, for tools, if the command is on PATH (a cmake built by hand
# is fine). libcmocka-dev is found through pkg-config.
#
# The cross stages (docs/porting.md) need Debian's cross GCCs and libcs
# (--no-install-recommends would drop the libc6-dev-*-cross packages, so
# they are named), qemu-user and qemu-system-arm, and CMocka for arm64 and
# armhf from multiarch (Debian 12 has none for riscv64). The :arm64/:armhf
# packages need those architectures added to dpkg first. The hygiene
# stages (valgrind, cppcheck, clang-tidy) need those three tools. The
# python stage needs Debian's python3 with numpy, matplotlib and pytest,
# and pip, setuptools and wheel for its offline `pip install ./python`.
#
# SQLite: libsqlite3-dev for the logger's sqlite sink (found by CMake with
# pkg-config; without it the sink is left out and `logger --format sqlite`
# says so), the sqlite3 shell for `make demo`'s query and the tests, and
# libsqlite3-dev:arm64 / :armhf for the cross stages. Debian 12 has no
# libsqlite3-dev:riscv64 (riscv64 is not a release architecture of Debian
# 12, only of its ports), so the riscv64 stage builds without the sink and
# its configure step says so.
needs=(
  cmake:cmake
  make:make
  gcc:gcc
  clang:clang
  pkg-config:pkg-config
  binutils:nm
  libcmocka-dev:
  gcc-aarch64-linux-gnu:aarch64-linux-gnu-gcc
  gcc-arm-linux-gnueabihf:arm-linux-gnueabihf-gcc
  gcc-riscv64-linux-gnu:riscv64-linux-gnu-gcc
  libc6-dev-arm64-cross:
  libc6-dev-armhf-cross:
  libc6-dev-riscv64-cross:
  qemu-user:qemu-aarch64
  qemu-system-arm:qemu-system-aarch64
  libcmocka-dev:arm64:
  libcmocka-dev:armhf:
  libsqlite3-dev:
  sqlite3:sqlite3
  libsqlite3-dev:arm64:
  libsqlite3-dev:armhf:
  cpio:cpio
  valgrind:valgrind
  cppcheck:cppcheck
  clang-tidy:clang-tidy
  python3:
  python3-numpy:
  python3-matplotlib:
  python3-pytest:
  python3-pip:
  python3-setuptools:
  python3-wheel:
  # shmseq-mqtt (docs/fleet.md): the MQTT client library (also for the
  # arm64 and armhf cross builds; none for riscv64 in Debian 12, which
  # then builds without the tool and says so), and the brokers and
  # openssl its tests start (mosquitto and nats-server live in sbin, so
  # dpkg is asked).
  libmosquitto-dev:
  libmosquitto-dev:arm64:
  libmosquitto-dev:armhf:
  mosquitto:
  nats-server:
  openssl:openssl
)
foreign_archs=(arm64 armhf)
# `make bench` only (bench/run.sh); `make test` never needs these.
# iceoryx (iox-roudi) and its C binding for the optional iceoryx peer;
# Concurrency Kit (ck_sequence) and ZeroMQ (ipc://) for two more.
bench_needs=(
  gnuplot-nox:gnuplot
  rt-tests:cyclictest
  iceoryx:iox-roudi
  libiceoryx-binding-c-dev:
  libck-dev:
  libzmq3-dev:
)

check_only=0
bench=0
for arg in "$@"; do
  case $arg in
    --check) check_only=1 ;;
    --bench) bench=1 ;;
    *) echo "usage: $0 [--bench] [--check]" >&2; exit 2 ;;
  esac
done
if [ "$bench" = 1 ]; then
  needs=("${bench_needs[@]}")
  foreign_archs=()
fi

dpkg_has() {
  command -v dpkg-query >/dev/null 2>&1 &&
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# The package of an entry: everything before the last ':' (so
# libcmocka-dev:arm64: is the package libcmocka-dev:arm64).
pkg_of() { echo "${1%:*}"; }

present() {
  local pkg cmd=${1##*:}
  pkg=$(pkg_of "$1")
  if [ -n "$cmd" ]; then
    command -v "$cmd" >/dev/null 2>&1 && return 0
  elif [ "$pkg" = libcmocka-dev ]; then
    command -v pkg-config >/dev/null 2>&1 && pkg-config --exists cmocka && return 0
  fi
  dpkg_has "$pkg"
}

missing_now() {
  local n out=()
  for n in "${needs[@]}"; do
    present "$n" || out+=("$(pkg_of "$n")")
  done
  echo "${out[@]:-}"
}

# Foreign architectures dpkg does not know yet (multiarch CMocka needs them).
missing_archs() {
  local a have out=()
  command -v dpkg >/dev/null 2>&1 || { echo "${foreign_archs[@]}"; return; }
  have=" $(dpkg --print-architecture) $(dpkg --print-foreign-architectures | tr '\n' ' ') "
  for a in "${foreign_archs[@]}"; do
    case $have in *" $a "*) ;; *) out+=("$a") ;; esac
  done
  echo "${out[@]:-}"
}

# The presets need CMake 3.25 (Debian 12 ships 3.25.1).
cmake_too_old() {
  command -v cmake >/dev/null 2>&1 || return 1
  local v
  v=$(cmake --version | sed -n '1s/[^0-9]*\([0-9]*\.[0-9]*\).*/\1/p')
  [ -n "$v" ] || return 1
  [ "$(printf '%s\n%s\n' 3.25 "$v" | sort -V | head -n1)" != 3.25 ]
}

missing=$(missing_now)
archs=$(missing_archs)
if cmake_too_old; then
  echo "deps: $(cmake --version | head -n1) is older than 3.25 (CMakePresets.json v6)" >&2
fi
if [ -z "$missing" ] && [ "$bench" = 1 ]; then
  echo "deps: all present for the benchmarks (gnuplot, cyclictest, iceoryx, ck, zmq)"
  exit 0
fi
if [ -z "$missing" ]; then
  echo "deps: all present (cmake make gcc clang pkg-config nm cmocka," \
       "cross gcc+libc for arm64 armhf riscv64, qemu-user, qemu-system-arm," \
       "cmocka:arm64 cmocka:armhf, cpio, valgrind, cppcheck, clang-tidy," \
       "libmosquitto (+ :arm64 :armhf), mosquitto, nats-server, openssl," \
       "python3 with numpy, matplotlib, pytest, pip, setuptools, wheel," \
       "libsqlite3-dev (+ :arm64 :armhf), sqlite3)"
  exit 0
fi

echo "deps: missing: $missing"
if [ "$check_only" = 1 ]; then
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "deps: not root; install them with:" >&2
  for a in $archs; do
    echo "  sudo dpkg --add-architecture $a" >&2
  done
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $missing" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: no apt-get here; install these with your package manager: $missing" >&2
  exit 1
fi

for a in $archs; do
  echo "deps: dpkg --add-architecture $a"
  dpkg --add-architecture "$a"
done

export DEBIAN_FRONTEND=noninteractive
# A mirror can be briefly inconsistent (one architecture's index mid-sync)
# and make update exit non-zero while the lists we need are fine: go on,
# and judge by what actually got installed.
apt-get update || echo "deps: apt-get update reported an error; trying the install anyway" >&2
# Judge the update by whether what we need resolves: a candidate version
# for every missing package (an index that failed to download leaves none).
unresolved=()
for p in $missing; do
  cand=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p')
  if [ -z "$cand" ] || [ "$cand" = "(none)" ]; then
    unresolved+=("$p")
  fi
done
if [ ${#unresolved[@]} -gt 0 ]; then
  echo "deps: no installable version of: ${unresolved[*]} (check the apt sources)" >&2
fi
# shellcheck disable=SC2086 # word splitting of the package list is wanted
apt-get install -y --no-install-recommends $missing ||
  echo "deps: apt-get install reported an error; checking what is there" >&2

still=$(missing_now)
if [ -n "$still" ]; then
  echo "deps: still missing after apt-get: $still" >&2
  exit 1
fi
echo "deps: installed: $missing"
