#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Boot the qemu-virt-aarch64 board and run shmseq's checks on it: Debian's
# arm64 kernel (generic or PREEMPT_RT) under qemu-system-aarch64 -M virt
# with two Cortex-A53 cores, and a minimal initramfs made here of
# busybox-static:arm64, the project's aarch64 and armhf binaries with their
# loaders and C libraries, and ./init (which runs the checks and prints one
# `SHMSEQ-MARK: <name> PASS|FAIL <detail>` line per check on the serial
# console). This script then reads the serial log: a missing marker, a FAIL
# marker, a kernel panic or the timeout fail the boot.
#
# usage: boot.sh --kernel generic|rt --aarch64 BUILD_DIR --armhf BUILD_DIR
#                [--cache DIR] [--timeout S] [--torture N] [--abi N]
#                [--checks LIST] [--iio-rate HZ] [--iio-sweep LIST]
#                [--keep] [--shell]
#
#   --kernel      generic: linux-image-arm64; rt: linux-image-rt-arm64 (the
#                 Debian meta-packages, resolved to today's kernel package)
#   --aarch64     an aarch64 build of shmseq (examples, tests/torture_mp)
#   --armhf       an armhf build of shmseq (examples, tests/check_csv)
#   --cache DIR   downloaded packages, the kernel, busybox, the initramfs
#                 and the serial logs    (default: AARCH64_BUILD/qemu-cache)
#   --timeout S   kill qemu after S seconds; counts as a failure   (600)
#   --torture N   samples for torture_mp inside the VM         (1000000)
#   --abi N       samples for each abi_peer run inside the VM   (100000)
#   --checks LIST comma list of demo,torture,abi,iio to run      (all)
#   --iio-rate HZ the test module's scan rate for the iio check   (1000)
#   --iio-sweep LIST  instead of the checks: for each rate in the comma
#                 list, load the module at that rate and measure the
#                 buffered and sysfs modes for 10 s (tests/system/
#                 iio_sweep.sh runs this); markers iio-rate-*
#   --keep        keep the initramfs tree (CACHE/initramfs-KERNEL/)
#   --shell       interactive: after the checks /init starts a shell on the
#                 console instead of powering off; no timeout, no verdict
#                 (quit qemu with Ctrl-A X)
#
# Needs: qemu-system-aarch64 (qemu-system-arm), apt-get/apt-cache with the
# arm64 package lists (dpkg --add-architecture arm64 && apt-get update;
# scripts/deps.sh does it), dpkg-deb, cpio, gzip, readelf, the cross
# runtime under /usr/aarch64-linux-gnu and /usr/arm-linux-gnueabihf
# (libc6-dev-arm64-cross, libc6-dev-armhf-cross). No root needed.
# Exit status: 0 every check passed, 1 failure, 2 usage or setup error.
set -euo pipefail

prog=boot.sh
here=$(cd "$(dirname "$0")" && pwd)

die() { echo "$prog: $*" >&2; exit 2; }
usage() { # the usage block of the comment above, to stderr; exit $1
  sed -n '/^# usage:/,/^# Needs:/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
  exit "$1"
}

kernel='' a64='' a32='' cache='' timeout_s=600 torture=1000000 abi=100000 checks=''
iio_rate=1000 iio_sweep=''
keep=0 shell=0
while [ $# -gt 0 ]; do
  case $1 in
    --kernel|--aarch64|--armhf|--cache|--timeout|--torture|--abi|--checks|--iio-rate|--iio-sweep)
      [ $# -ge 2 ] || { echo "$prog: $1 needs a value" >&2; usage 2; } ;;
  esac
  case $1 in
    --kernel) kernel=${2:-}; shift 2 ;;
    --aarch64) a64=${2:-}; shift 2 ;;
    --armhf) a32=${2:-}; shift 2 ;;
    --cache) cache=${2:-}; shift 2 ;;
    --timeout) timeout_s=${2:-}; shift 2 ;;
    --torture) torture=${2:-}; shift 2 ;;
    --abi) abi=${2:-}; shift 2 ;;
    --checks) checks=${2:-}; shift 2 ;;
    --iio-rate) iio_rate=${2:-}; shift 2 ;;
    --iio-sweep) iio_sweep=${2:-}; shift 2 ;;
    --keep) keep=1; shift ;;
    --shell) shell=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "$prog: unknown argument '$1'" >&2; usage 2 ;;
  esac
done
case $kernel in
  generic) meta=linux-image-arm64 ;;
  rt) meta=linux-image-rt-arm64 ;;
  *) echo "$prog: --kernel generic|rt is required" >&2; usage 2 ;;
esac
if [ -z "$a64" ] || [ -z "$a32" ]; then
  echo "$prog: --aarch64 and --armhf are required" >&2
  usage 2
fi
[[ $timeout_s =~ ^[0-9]+$ ]] || die "--timeout '$timeout_s': want seconds"
[[ $torture =~ ^[1-9][0-9]*$ ]] || die "--torture '$torture': want a sample count"
[[ $abi =~ ^[1-9][0-9]*$ ]] || die "--abi '$abi': want a sample count"
[[ -z $checks || $checks =~ ^[a-z,]+$ ]] || die "--checks '$checks': want e.g. demo,torture,abi,iio"
[[ $iio_rate =~ ^[1-9][0-9]*$ ]] && [ "$iio_rate" -le 200000 ] ||
  die "--iio-rate '$iio_rate': want 1..200000 Hz"
[[ -z $iio_sweep || $iio_sweep =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] ||
  die "--iio-sweep '$iio_sweep': want rates like 1000,5000,20000"
# The sweep replaces the checks.
[ -z "$iio_sweep" ] || checks=none
want_check() { [ -z "$checks" ] || [[ ",$checks," == *",$1,"* ]]; }
need_kmod=0
{ want_check iio || [ -n "$iio_sweep" ]; } && need_kmod=1
[ -d "$a64" ] || die "--aarch64 $a64: no such directory (configure and build the aarch64 preset first)"
[ -d "$a32" ] || die "--armhf $a32: no such directory (configure and build the armhf preset first)"
a64=$(cd "$a64" && pwd)
a32=$(cd "$a32" && pwd)
cache=${cache:-$a64/qemu-cache}
mkdir -p "$cache/debs" "$cache/log"
cache=$(cd "$cache" && pwd)

for t in qemu-system-aarch64 apt-get apt-cache dpkg-deb cpio gzip readelf timeout flock; do
  command -v "$t" >/dev/null 2>&1 ||
    die "'$t' not found (packages: qemu-system-arm apt dpkg cpio gzip binutils coreutils util-linux)"
done

# ---- the project's binaries ----------------------------------------------
# name:required, from each build. abi_peer is used when both builds have it.
a64_bins="examples/sensor_reader:1 examples/logger:1 tests/check_csv:1 tests/torture_mp:1 tests/abi_peer:0 tests/check_iio:$need_kmod"
a32_bins="examples/sensor_reader:1 examples/logger:1 tests/check_csv:1 tests/abi_peer:0"
check_build() { # DIR MACHINE(readelf) LIST
  local dir=$1 machine=$2 b f
  for b in $3; do
    f=$dir/${b%:*}
    if [ ! -f "$f" ]; then
      [ "${b#*:}" = 1 ] && die "$f missing: build $dir first (cmake --build $dir)"
      continue
    fi
    readelf -h "$f" | grep -q "Machine: *$machine\$" ||
      die "$f is not an $machine binary (wrong build directory?)"
  done
}
check_build "$a64" AArch64 "$a64_bins"
check_build "$a32" ARM "$a32_bins"

# ---- kernel and busybox from Debian, cached --------------------------------
apt_opts=()
# As root apt-get download drops to the _apt user, who cannot write a
# cache owned by someone else; there is nothing to protect here.
[ "$(id -u)" = 0 ] && apt_opts=(-o APT::Sandbox::User=root)

# The newest cached .deb of PACKAGE, downloading it if there is none.
# ARCH: arm64 (default), all (architecture-independent) or the host's
# (the kernel build tools run on the host).
fetch() {
  local pkg=$1 arch=${2:-arm64} spec deb
  spec=$pkg
  [ "$arch" = arm64 ] && spec=$pkg:arm64
  # shellcheck disable=SC2012 # Debian file names: no spaces or newlines
  deb=$(ls -t "$cache/debs/${pkg}_"*_"$arch".deb 2>/dev/null | head -n1 || true)
  if [ -z "$deb" ]; then
    echo "$prog: downloading $spec" >&2
    (cd "$cache/debs" && apt-get "${apt_opts[@]}" -q download "$spec" >&2) ||
      die "apt-get download $spec failed"
    # shellcheck disable=SC2012
    deb=$(ls -t "$cache/debs/${pkg}_"*_"$arch".deb 2>/dev/null | head -n1 || true)
    [ -n "$deb" ] || die "apt-get download $spec left no .deb in $cache/debs"
  fi
  echo "$deb"
}

# One boot at a time touches the cache (ctest may start both at once).
exec 9>"$cache/.lock"
flock 9

apt-cache show "$meta:arm64" >/dev/null 2>&1 ||
  die "no arm64 package lists: apt-cache knows no $meta:arm64. Run (as root)
  dpkg --add-architecture arm64 && apt-get update
(scripts/deps.sh does this), then run this again."
# The meta-package depends on today's kernel package, whose name carries
# the kernel ABI (linux-image-6.1.0-NN-arm64 / -rt-arm64).
if [ "$kernel" = rt ]; then suffix='-rt-arm64'; else suffix='[0-9]-arm64'; fi
kpkg=$(apt-cache depends "$meta:arm64" 2>/dev/null |
  sed -n 's/^ *|\{0,1\}Depends: *\(linux-image-[0-9][^:[:space:]]*\).*/\1/p' |
  grep -E -- "$suffix\$" | head -n1 || true)
[ -n "$kpkg" ] || die "cannot resolve $meta:arm64 to a kernel package (apt-cache depends $meta:arm64)"

# What is extracted is kept, so the .debs may be deleted after a first run.
image=$cache/Image-${kpkg#linux-image-}
config=$cache/config-${kpkg#linux-image-}
if [ ! -s "$image" ] || [ ! -s "$config" ]; then
  kdeb=$(fetch "$kpkg")
  # Only /boot: the modules (most of the package) are not needed.
  dpkg-deb --fsys-tarfile "$kdeb" | tar -xO --wildcards './boot/config-*' >"$config.tmp"
  dpkg-deb --fsys-tarfile "$kdeb" | tar -xO --wildcards './boot/vmlinuz-*' >"$image.tmp"
  # Debian's arm64 vmlinuz is the plain Image today; if it ever comes
  # gzip-compressed, qemu -kernel wants it uncompressed.
  if [ "$(head -c2 "$image.tmp" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
    gzip -dc <"$image.tmp" >"$image.tmp2" && mv "$image.tmp2" "$image.tmp"
  fi
  mv "$config.tmp" "$config"
  mv "$image.tmp" "$image"
fi
grep -q '^CONFIG_COMPAT=y' "$config" ||
  die "$kpkg has no CONFIG_COMPAT: the armhf binaries cannot run on it"
if [ "$kernel" = rt ]; then
  grep -q '^CONFIG_PREEMPT_RT=y' "$config" || die "$kpkg is not a PREEMPT_RT kernel"
fi
busybox=$cache/busybox-arm64
if [ ! -s "$busybox" ]; then
  bdeb=$(fetch busybox-static)
  dpkg-deb --fsys-tarfile "$bdeb" | tar -xO ./bin/busybox >"$busybox.tmp"
  chmod 755 "$busybox.tmp"
  mv "$busybox.tmp" "$busybox"
fi

# ---- the IIO test module (tests/system/kmod), built for this kernel -------
# Debian's linux-headers-<kver> (arm64), the -common headers it includes
# and the host's linux-kbuild (fixdep, modpost), unpacked for the build;
# the IIO core modules the fixture depends on, from the kernel package.
kver=${kpkg#linux-image-}
kmoddir=$cache/kmod-$kver
if [ "$need_kmod" = 1 ]; then
  command -v aarch64-linux-gnu-gcc-12 >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ||
    die "building the IIO test module needs make and aarch64-linux-gnu-gcc-12 (gcc-aarch64-linux-gnu)"
  # The kernel build tree lives only while the module builds: tens of
  # thousands of headers left in the build directory would slow every
  # tool that walks the source tree. The .debs stay cached.
  kb=$cache/kbuild-$kver
  rm -rf "$kb" && mkdir -p "$kb"
  deps=$(apt-cache depends "linux-headers-$kver:arm64" 2>/dev/null || true)
  common=$(sed -n 's/^ *Depends: <\{0,1\}\(linux-headers-[^:>]*-common[^:>]*\).*/\1/p' <<<"$deps" | head -n1)
  kbuild=$(sed -n 's/^ *Depends: \(linux-kbuild-[^:]*\).*/\1/p' <<<"$deps" | head -n1)
  [ -n "$common" ] && [ -n "$kbuild" ] ||
    die "cannot resolve linux-headers-$kver:arm64 to its -common and linux-kbuild packages"
  dpkg-deb -x "$(fetch "linux-headers-$kver")" "$kb"
  dpkg-deb -x "$(fetch "$common" all)" "$kb"
  dpkg-deb -x "$(fetch "$kbuild" "$(dpkg --print-architecture)")" "$kb"
  # Its Makefile includes the -common tree by absolute path: here instead.
  sed -i "s#^include /usr/src/#include $kb/usr/src/#" "$kb/usr/src/linux-headers-$kver/Makefile"
  if [ ! -f "$kmoddir/.done" ]; then
    kdeb=$(fetch "$kpkg")
    rm -rf "$kmoddir" && mkdir -p "$kmoddir/core"
    dpkg-deb --fsys-tarfile "$kdeb" |
      tar -x -C "$kmoddir/core" --strip-components=6 --wildcards \
        "./lib/modules/$kver/kernel/drivers/iio/*.ko"
    touch "$kmoddir/.done"
  fi
  # The fixture itself, rebuilt each time (a few seconds): its source may
  # have changed since the last boot.
  build=$kb/kmod
  mkdir -p "$build"
  cp "$here/kmod/Kbuild" "$here/kmod/shmseq_iio_test.c" "$build/"
  make -s -C "$kb/usr/src/linux-headers-$kver" M="$build" ARCH=arm64 \
      CROSS_COMPILE=aarch64-linux-gnu- modules >"$kmoddir/build.log" 2>&1 || {
    cat "$kmoddir/build.log" >&2
    rm -rf "$kb"
    die "building tests/system/kmod for $kver failed"
  }
  cp "$build/shmseq_iio_test.ko" "$kmoddir/shmseq_iio_test.ko"
  rm -rf "$kb"
fi
flock -u 9

# ---- the initramfs ----------------------------------------------------------
root=$cache/initramfs-$kernel
initrd=$cache/initrd-$kernel.cpio.gz
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,dev,proc,sys,tmp,shmseq/aarch64,shmseq/armhf}
install -m 755 "$here/init" "$root/init"
install -m 755 "$busybox" "$root/bin/busybox"

# Copy ELF file $1 of triplet $2 into the tree, with its loader and every
# shared library it needs (recursively), where the target's ld.so looks:
# /lib/<loader> and /lib/<triplet>/.
copy_libs() {
  local elf=$1 trip=$2 interp lib src d
  interp=$(readelf -l "$elf" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
  if [ -n "$interp" ] && [ ! -e "$root$interp" ]; then
    src=/usr/$trip/lib/$(basename "$interp")
    [ -f "$src" ] || die "loader $interp of $elf not found at $src (install libc6-dev-*-cross)"
    mkdir -p "$root$(dirname "$interp")"
    cp -L "$src" "$root$interp"
  fi
  for lib in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [ -e "$root/lib/$trip/$lib" ] && continue
    src=
    for d in "/usr/$trip/lib" "/usr/lib/$trip" "/lib/$trip"; do
      if [ -f "$d/$lib" ]; then src=$d/$lib; break; fi
    done
    [ -n "$src" ] || die "$lib (needed by $elf) not found for $trip"
    mkdir -p "$root/lib/$trip"
    cp -L "$src" "$root/lib/$trip/$lib"
    copy_libs "$root/lib/$trip/$lib" "$trip"
  done
}
stage() { # BUILD_DIR ABI TRIPLET LIST
  local b f
  for b in $4; do
    f=$1/${b%:*}
    [ -f "$f" ] || continue
    install -m 755 "$f" "$root/shmseq/$2/$(basename "$f")"
    copy_libs "$f" "$3"
  done
}
stage "$a64" aarch64 aarch64-linux-gnu "$a64_bins"
# The module and, in load order, the modules it depends on (the depends=
# of each .ko's .modinfo), into /lib/modules/; /init loads them in the
# order of /lib/modules/order.
modinfo_depends() {
  readelf -p .modinfo "$1" | sed -n 's/.*depends=\(.*\)$/\1/p' | tr ',' ' '
}
add_module() { # PATH: its dependencies first, each once
  local ko=$1 dep f
  for dep in $(modinfo_depends "$ko"); do
    f=$(find "$kmoddir/core" -name "$(tr _ - <<<"$dep").ko" -o -name "$(tr - _ <<<"$dep").ko" | head -n1)
    [ -n "$f" ] || die "module $dep (needed by $(basename "$ko")) is not in the kernel package's drivers/iio"
    add_module "$f"
  done
  grep -qx "$(basename "$ko")" "$root/lib/modules/order" 2>/dev/null && return
  cp "$ko" "$root/lib/modules/"
  basename "$ko" >>"$root/lib/modules/order"
}
if [ "$need_kmod" = 1 ]; then
  mkdir -p "$root/lib/modules"
  : >"$root/lib/modules/order"
  add_module "$kmoddir/shmseq_iio_test.ko"
fi
stage "$a32" armhf arm-linux-gnueabihf "$a32_bins"
have_abi_peer=0
[ -x "$root/shmseq/aarch64/abi_peer" ] && [ -x "$root/shmseq/armhf/abi_peer" ] && have_abi_peer=1

# A newc entry for the character device /dev/console (5, 1): the kernel
# opens it for /init's stdin/stdout/stderr before /init runs, and cpio
# cannot archive a device node without root to mknod it. The kernel reads
# concatenated archives, so this one follows cpio's.
console_cpio() {
  local name=dev/console
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    900001 $((0020600)) 0 0 1 0 0 0 0 5 1 $(( ${#name} + 1 )) 0
  printf '%s\0' "$name"
  printf '\0\0' # 110 + 12 bytes of header and name, padded to 4
  printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
    0 0 0 0 1 0 0 0 0 0 0 11 0
  printf 'TRAILER!!!\0\0\0\0'
}
(
  cd "$root"
  find . -mindepth 1 -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet
  console_cpio
) | gzip -1 >"$initrd.tmp"
mv "$initrd.tmp" "$initrd"
[ "$keep" = 1 ] || rm -rf "$root"

# ---- boot -------------------------------------------------------------------
append="console=ttyAMA0 panic=-1 quiet rdinit=/init shmseq.kernel=$kernel shmseq.torture=$torture shmseq.abi=$abi"
[ -z "$checks" ] || append="$append shmseq.checks=$checks"
append="$append shmseq.iio_rate=$iio_rate"
[ -z "$iio_sweep" ] || append="$append shmseq.iio_sweep=$iio_sweep"
[ "$shell" = 0 ] || append="$append shmseq.shell=1"
qemu=(qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 2 -m 1024
      -nographic -nic none -no-reboot
      -kernel "$image" -initrd "$initrd" -append "$append")

echo "$prog: kernel $kpkg ($meta:arm64), $image"
echo "$prog: initramfs $initrd ($(du -k "$initrd" | cut -f1) KiB)"
echo "$prog: ${qemu[*]}"

if [ "$shell" = 1 ]; then
  echo "$prog: interactive; quit qemu with Ctrl-A X"
  exec "${qemu[@]}"
fi

log=$cache/log/serial-$kernel.log
t0=$(date +%s)
set +e
timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null | tee "$log"
qrc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - t0 ))

# ---- verdict ------------------------------------------------------------------
clean=$(tr -d '\r' <"$log")
marks=$(grep -o 'SHMSEQ-MARK: .*' <<<"$clean" || true)
expected="boot uname nproc realtime armhf-exec"
want_check demo && expected="$expected demo"
want_check torture && expected="$expected torture"
if want_check abi; then
  expected="$expected abi-demo-armhf-to-aarch64 abi-demo-aarch64-to-armhf"
  [ "$have_abi_peer" = 0 ] || expected="$expected abi-peer-armhf-writer abi-peer-aarch64-writer"
fi
want_check iio && expected="$expected iio-load iio-sysfs iio-buffered iio-overrun"
for r in ${iio_sweep//,/ }; do
  expected="$expected iio-rate-$r"
done
expected="$expected summary"

problems=()
[ "$qrc" != 124 ] && [ "$qrc" != 137 ] || problems+=("timeout: qemu killed after ${timeout_s} s")
[ "$qrc" = 0 ] || [ "$qrc" = 124 ] || [ "$qrc" = 137 ] || problems+=("qemu exited with status $qrc")
grep -q 'Kernel panic' <<<"$clean" && problems+=("kernel panic: $(grep -m1 'Kernel panic' <<<"$clean")")
for m in $expected; do
  grep -q "^SHMSEQ-MARK: $m \(PASS\|FAIL\)" <<<"$marks" || problems+=("missing marker: $m")
done
grep -q '^SHMSEQ-MARK: ALL DONE' <<<"$marks" || problems+=("missing marker: ALL DONE")
while IFS= read -r line; do
  [ -n "$line" ] && problems+=("$line")
done < <(grep '^SHMSEQ-MARK: [^ ]* FAIL' <<<"$marks" || true)

echo
echo "==== $prog --kernel $kernel: markers ($kpkg, ${secs} s) ===="
[ -z "$marks" ] || echo "$marks"
echo "serial log: $log"
if [ ${#problems[@]} -gt 0 ]; then
  for p in "${problems[@]}"; do
    echo "$prog: FAIL: $p"
  done
  exit 1
fi
echo "$prog: PASS: $kernel kernel, every check passed"
