# SPDX-License-Identifier: MIT
# The front door: thin targets over the CMake presets (CMakePresets.json).
# Everything here can also be done with cmake/ctest --preset NAME directly.
#
#   make demo     install what is missing, build, run the sensor + logger demo
#   make test     install what is missing, then every build and test stage
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
        test-install bench install clean help

all: build

help:
	@sed -n '2,12s/^# \{0,1\}//p' Makefile

deps:
	@bash scripts/deps.sh

build: deps
	cmake --preset dev
	cmake --build --preset dev --parallel $(JOBS)

demo: deps
	cmake --preset release
	cmake --build --preset release --parallel $(JOBS)
	bash scripts/demo.sh build/release

# Stages: dev, clang, asan, tsan, install (scripts/check.sh says what each
# does); it stops at the first failure and prints a summary.
test: deps
	bash scripts/check.sh

test-dev test-clang test-asan test-tsan test-install: deps
	bash scripts/check.sh $(@:test-%=%)

bench:
	@echo "bench: the benchmarks arrive with the benchmark issue; bench/ is not built yet."

install: deps
	cmake --preset release -DCMAKE_INSTALL_PREFIX="$(PREFIX)"
	cmake --build --preset release --parallel $(JOBS)
	cmake --install build/release

clean:
	rm -rf build
