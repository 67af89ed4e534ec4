# SPDX-License-Identifier: MIT
# The front door: thin targets over the CMake presets (CMakePresets.json).
# Everything here can also be done with cmake/ctest --preset NAME directly.
#
#   make demo     install what is missing, build, run the sensor + logger demo
#   make test     install what is missing, then every build and test stage
#   make test-X   one stage (X: dev clang asan tsan install python aarch64
#                 armhf riscv64 abi system), or test-cross for the last five
#   make bench    benchmarks against pipe, UDS, mq, condvar, iceoryx (bench/run.sh)
#   make build    Debug build (build/dev)
#   make install  Release build installed under PREFIX (default /usr/local)
#   make clean    remove build/
#
# "Install what is missing" is scripts/deps.sh: apt-get, as root, on Debian;
# it does nothing when all is present.

JOBS   ?= 2
PREFIX ?= /usr/local

export JOBS

.PHONY: all build deps demo test test-dev test-clang test-asan test-tsan \
        test-install test-python test-aarch64 test-armhf test-riscv64 test-abi \
        test-system test-cross bench install clean help

all: build

help:
	@sed -n '2,15s/^# \{0,1\}//p' Makefile

deps:
	@bash scripts/deps.sh

build: deps
	cmake --preset dev
	cmake --build --preset dev --parallel $(JOBS)

demo: deps
	cmake --preset release
	cmake --build --preset release --parallel $(JOBS)
	bash scripts/demo.sh build/release

# Stages: dev, clang, asan, tsan, install, python (the Python package's
# pytest over the dev build's libshmseq.so), then the cross ones aarch64,
# armhf, riscv64 (qemu-user), abi (mixed ABIs on one region) and system
# (the emulated arm64 board); scripts/check.sh says what each does. It
# stops at the first failure and prints a summary with each stage's time.
test: deps
	bash scripts/check.sh

test-dev test-clang test-asan test-tsan test-install test-python \
test-aarch64 test-armhf test-riscv64 test-abi test-system: deps
	bash scripts/check.sh $(@:test-%=%)

# Only what issue 3 added: the three cross builds, mixed ABIs, the board.
test-cross: deps
	bash scripts/check.sh aarch64 armhf riscv64 abi system

# bench/run.sh: builds the release preset, runs every measurement (default
# 3 runs; BENCH_ARGS="--quick" for about a minute, "--runs N"), prints one
# table, writes bench/out/*.csv and bench/out/bench.png (docs/benchmarks.md).
bench: deps
	bash bench/run.sh $(BENCH_ARGS)

install: deps
	cmake --preset release -DCMAKE_INSTALL_PREFIX="$(PREFIX)"
	cmake --build --preset release --parallel $(JOBS)
	cmake --install build/release
	@# the loader's cache, so libshmseq.so.0.1 is found (the Python package)
	@if [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then ldconfig; fi

clean:
	rm -rf build
