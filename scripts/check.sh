#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The stages of `make test`, each over a CMake preset (CMakePresets.json):
#
#   dev      Debug, -Werror, every test
#   clang    clang, Debug, -Werror, every test
#   asan     AddressSanitizer + UBSan, every test
#   tsan     ThreadSanitizer, the tests labelled tsan
#   install  install the dev build and the aarch64 build into temporary
#            prefixes and build a consumer against each (find_package and
#            pkg-config; the aarch64 one cross, run under qemu-aarch64:
#            tests/install/run.sh); each cross target built and run
#            against a board sysroot instead of multiarch
#            (tests/install/sysroot.sh)
#   python   the Python package's tests (python/tests/run.sh: pytest with
#            the in-tree package over the dev build's libshmseq.so)
#   aarch64  cross build (Release, -Werror) for arm64, every test except
#            the label system, run under qemu-aarch64
#   armhf    the same for 32-bit ARM hard-float, under qemu-arm
#   riscv64  the same for riscv64 under qemu-riscv64 (no CMocka tests
#            and no sqlite sink: Debian 12 has no riscv64 CMocka or
#            libsqlite3-dev; its configure step says so)
#   abi      one region shared at once by native, aarch64, armhf and
#            riscv64 processes (tests/abi/run.sh; builds what is missing)
#   system   boot Debian's arm64 kernels (generic and PREEMPT_RT) under
#            qemu-system-aarch64 and run the demo and the torture test
#            inside (ctest -L system in build/aarch64; needs build/armhf)
#   valgrind every CMocka unit test binary of the dev build (label unit)
#            under valgrind memcheck: no error, no definite or indirect leak
#   cppcheck cppcheck (warning, performance, portability) over core/ src/
#            port/ sink/ bsp/ util/ examples/ tools/: no finding
#   clang-tidy the checks of .clang-tidy over the library, port, sinks,
#            boards, tools and examples, as build/dev compiles them: no
#            finding
#
#   scripts/check.sh            all stages in that order
#   scripts/check.sh asan tsan  only those
#
# Stops at the first failing stage, prints which stages passed, and exits
# non-zero. JOBS (default 2) sets build and ctest parallelism.
set -euo pipefail

cd "$(dirname "$0")/.."
jobs=${JOBS:-2}
all=(dev clang asan tsan install python aarch64 armhf riscv64 abi system valgrind cppcheck clang-tidy)
stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=("${all[@]}")

passed=()
declare -A took=()
current=
t0=$(date +%s)
started=$(date +%s)
tests_passed=0
tests_failed=0
ctest_prefix=()
ctest_log=$(mktemp "${TMPDIR:-/tmp}/shmseq-ctest.XXXXXX")

summary() {
  local rc=$?
  echo
  echo "==== make test summary ($(( $(date +%s) - started )) s) ===="
  local s
  for s in "${passed[@]:-}"; do
    [ -n "$s" ] && printf '  PASS  %-8s %5s s\n' "$s" "${took[$s]}"
  done
  if [ "$rc" != 0 ] && [ -n "$current" ]; then
    printf '  FAIL  %-8s %5s s\n' "$current" "$(( $(date +%s) - t0 ))"
  fi
  for s in "${stages[@]}"; do
    case " ${passed[*]:-} $current " in
      *" $s "*) ;;
      *) echo "  skip  $s" ;;
    esac
  done
  if [ "$rc" = 0 ]; then
    echo "all ${#passed[@]} stages passed"
  else
    echo "stage '$current' failed (exit $rc)"
  fi
  rm -f "$ctest_log"
  # Test executions over all stages, in the plain form CI reads.
  echo "tests: $tests_passed passed, $tests_failed failed"
}
trap summary EXIT

# ctest, keeping count of the tests run (its closing line says how many).
run_ctest() {
  local rc=0 total failed
  "${ctest_prefix[@]}" ctest "$@" 2>&1 | tee "$ctest_log" || rc=$?
  total=$(sed -n 's/.* tests failed out of \([0-9][0-9]*\).*/\1/p' "$ctest_log" | tail -n1)
  failed=$(sed -n 's/.*tests passed, \([0-9][0-9]*\) tests failed out of.*/\1/p' "$ctest_log" | tail -n1)
  if [ -n "$total" ] && [ -n "$failed" ]; then
    tests_passed=$((tests_passed + total - failed))
    tests_failed=$((tests_failed + failed))
  fi
  return "$rc"
}

build() {
  cmake --preset "$1"
  cmake --build --preset "$1" --parallel "$jobs"
}

# Configure and build each preset unless it was already built: the abi and
# system stages reuse the builds of the stages before them, and build what
# a run of only those stages lacks. A build tree left half-done is
# finished by the (incremental) build.
ensure_built() {
  local p
  for p in "$@"; do
    if [ -f "build/$p/CMakeCache.txt" ]; then
      cmake --build --preset "$p" --parallel "$jobs"
    else
      build "$p"
    fi
  done
}

# A stage that is one script (exit 0 = pass) counts as one test. A missing
# script fails the stage, never skips it.
script_stage() {
  local script=$1
  shift
  if [ ! -f "$script" ]; then
    echo "$current: $script is missing" >&2
    tests_failed=$((tests_failed + 1))
    exit 1
  fi
  if bash "$script" "$@"; then
    tests_passed=$((tests_passed + 1))
  else
    tests_failed=$((tests_failed + 1))
    exit 1
  fi
}

# ThreadSanitizer (GCC 12 / LLVM 14) cannot handle the address layout of
# kernels using more than 28 bits of mmap randomisation; run its tests with
# ASLR off there.
tsan_prefix() {
  local bits
  bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
  if [ "$bits" -gt 28 ] && setarch "$(uname -m)" -R true 2>/dev/null; then
    echo "tsan: vm.mmap_rnd_bits=$bits, running the tests with ASLR off" >&2
    ctest_prefix=(setarch "$(uname -m)" -R)
  fi
}

# valgrind: every CMocka unit test binary of build dir $1 (label unit;
# the scripts, cmake -P checks and non-CMocka programs of that label are
# not ours to instrument), each counted as one test. Torture tests (label
# torture) are left out: they fork writers flat out and SIGKILL them, which
# under valgrind's ~50x slowdown measures valgrind, not shmseq; the ASan
# stage covers them. Valgrind follows fork()ed children (the truncation
# and access tests die of SIGBUS/SIGSEGV in a child on purpose).
memcheck_stage() {
  local dir=$1 line cmd t0 n=0 bad=0
  local vg=(valgrind -q --error-exitcode=1 --leak-check=full
            --errors-for-leak-kinds=definite,indirect)
  while IFS= read -r line; do
    cmd=${line#*Test command: }
    cmd=${cmd%% *}
    [ -x "$cmd" ] || continue
    readelf -d "$cmd" 2>/dev/null | grep -q 'NEEDED.*libcmocka' || continue
    t0=$(date +%s)
    if (cd "$dir/tests" && "${vg[@]}" "$cmd" > "$ctest_log" 2>&1); then
      printf '  valgrind: %-22s ok    (%s s)\n' "${cmd##*/}" "$(( $(date +%s) - t0 ))"
      tests_passed=$((tests_passed + 1))
    else
      printf '  valgrind: %-22s FAILED (%s s)\n' "${cmd##*/}" "$(( $(date +%s) - t0 ))"
      cat "$ctest_log"
      tests_failed=$((tests_failed + 1))
      bad=$((bad + 1))
    fi
    n=$((n + 1))
  done < <(ctest --test-dir "$dir" -L '^unit$' -N -V 2>/dev/null |
             grep 'Test command: ')
  echo "valgrind: $n CMocka unit test binaries, $bad failed"
  [ "$n" -gt 0 ] || { echo "valgrind: no CMocka unit test found in $dir" >&2; exit 1; }
  [ "$bad" = 0 ] || exit 1
}

# The Python package's tests (pytest through python/tests/run.sh), each
# pytest test counted; a run that fails without a count counts as one.
python_stage() {
  local rc=0 p f
  bash python/tests/run.sh "$1" 2>&1 | tee "$ctest_log" || rc=$?
  # pytest's last line: "N passed in Ts" or "F failed, N passed in Ts"
  local last
  last=$(grep -E ' in [0-9.]+s' "$ctest_log" | tail -n1 || true)
  p=$(grep -oE '[0-9]+ passed' <<< "$last" | cut -d' ' -f1 || true)
  f=$(grep -oE '[0-9]+ (failed|error)' <<< "$last" | cut -d' ' -f1 | head -n1 || true)
  tests_passed=$((tests_passed + ${p:-0}))
  if [ "$rc" != 0 ] && [ -z "$f" ]; then f=1; fi
  tests_failed=$((tests_failed + ${f:-0}))
  [ "$rc" = 0 ] || exit 1
}

# A static checker: one test, passes when the command exits 0.
static_stage() {
  if "$@"; then
    tests_passed=$((tests_passed + 1))
  else
    tests_failed=$((tests_failed + 1))
    exit 1
  fi
}

# clang-tidy over the sources named in .clang-tidy's header, one process
# per file (JOBS at once): several files in one clang-tidy process make
# clang 14's analyzer report a false va_list finding across files.
tidy_stage() {
  local dir=$1 files
  files=$(ls core/*.c src/*.c port/posix/*.c sink/*.c tools/*.c \
             tools/shmseq/*.c tools/mqtt/*.c util/*.c examples/*.c
          find bsp -name '*.c' | sort)
  echo "clang-tidy: $(echo "$files" | wc -l) files"
  static_stage xargs -P "$jobs" -n 1 clang-tidy -p "$dir" --quiet <<< "$files"
}

for stage in "${stages[@]}"; do
  current=$stage
  t0=$(date +%s)
  echo
  echo "==== stage $stage ===="
  case $stage in
    dev|clang|asan)
      build "$stage"
      run_ctest --preset "$stage" --parallel "$jobs"
      ;;
    tsan)
      build tsan
      tsan_prefix
      run_ctest --preset tsan --parallel "$jobs"
      ctest_prefix=()
      ;;
    install)
      [ -d build/dev ] || build dev
      cmake --build --preset dev --parallel "$jobs"
      script_stage tests/install/run.sh build/dev
      ensure_built aarch64
      script_stage tests/install/run.sh build/aarch64
      for t in aarch64-linux-gnu arm-linux-gnueabihf riscv64-linux-gnu; do
        script_stage tests/install/sysroot.sh "$t"
      done
      ;;
    python)
      [ -d build/dev ] || build dev
      cmake --build --preset dev --parallel "$jobs"
      python_stage build/dev
      ;;
    aarch64|armhf|riscv64)
      build "$stage"
      run_ctest --preset "$stage" --parallel "$jobs"
      ;;
    abi)
      ensure_built dev aarch64 armhf riscv64
      script_stage tests/abi/run.sh build/dev build/aarch64 build/armhf build/riscv64
      ;;
    system)
      # The system tests exist only in the aarch64 build, and take the
      # armhf binaries into the emulated board too.
      ensure_built aarch64 armhf
      [ -f tests/system/boot.sh ] || {
        echo "system: tests/system/boot.sh is missing" >&2
        exit 1
      }
      run_ctest --test-dir build/aarch64 -L '^system$' --output-on-failure \
        --no-tests=error
      ;;
    valgrind)
      ensure_built dev
      memcheck_stage build/dev
      ;;
    cppcheck)
      static_stage cppcheck --enable=warning,performance,portability --std=c11 \
        --error-exitcode=1 --inline-suppr -q \
        -Iinclude -Iport/include -Icore -Iport/arch -Isink/include -Isink \
        -Ibsp/include -Ibsp -Itools -Iexamples -Iutil/include core src port \
        sink bsp util examples tools
      ;;
    clang-tidy)
      # compile_commands.json of the dev build: configure it if missing.
      [ -f build/dev/compile_commands.json ] || cmake --preset dev
      tidy_stage build/dev
      ;;
    *)
      echo "unknown stage '$stage' (stages: ${all[*]})" >&2
      exit 2
      ;;
  esac
  took[$stage]=$(( $(date +%s) - t0 ))
  echo "==== stage $stage passed (${took[$stage]} s) ===="
  passed+=("$stage")
  current=
done
