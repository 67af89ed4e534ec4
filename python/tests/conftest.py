# SPDX-License-Identifier: MIT
"""Fixtures of the Python package's tests (the `python` stage of make test).

python/tests/run.sh runs them with the in-tree package (PYTHONPATH) over the
build's libshmseq.so (SHMSEQ_LIBRARY) and tells where the build's C programs
are (SHMSEQ_BUILD). Region names carry the pid and a counter; every region a
test made is removed afterwards, even when the test failed.
"""
import itertools
import os
import subprocess
import sys

import pytest

import shmseq

_count = itertools.count()


@pytest.fixture
def build_dir() -> str:
    """The CMake build tree (sensor_reader, logger, flat_writer)."""
    d = os.environ.get("SHMSEQ_BUILD")
    if not d or not os.path.isdir(d):
        pytest.fail("SHMSEQ_BUILD must name the build tree (python/tests/run.sh sets it)")
    return d


@pytest.fixture
def program(build_dir):
    """Path of a program of the build; fails the test if it is missing."""
    def find(rel: str) -> str:
        p = os.path.join(build_dir, rel)
        if not os.access(p, os.X_OK):
            pytest.fail(f"{p} is missing: build the dev preset first")
        return p
    return find


@pytest.fixture
def region():
    """A fresh region name; removed (force) after the test."""
    names = []

    def make(tag: str = "r") -> str:
        name = f"py-{os.getpid()}-{next(_count)}-{tag}"
        names.append(name)
        try:
            shmseq.remove(name, force=True)
        except FileNotFoundError:
            pass
        return name
    yield make
    for name in names:
        try:
            shmseq.remove(name, force=True)
        except FileNotFoundError:
            pass


@pytest.fixture
def procs():
    """Start subprocesses that are killed if the test ends without them."""
    started = []

    def start(args, **kw) -> subprocess.Popen:
        p = subprocess.Popen(args, **kw)
        started.append(p)
        return p
    yield start
    for p in started:
        if p.poll() is None:
            p.kill()
            p.wait()


PYTHON = sys.executable
