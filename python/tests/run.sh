#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Python package's tests: the `python` stage of scripts/check.sh.
#
#   python/tests/run.sh [BUILD_DIR]      (default build/dev)
#
# Runs pytest (Debian's python3-pytest) over python/tests with the in-tree
# package (PYTHONPATH=python) and the build's shared library
# (SHMSEQ_LIBRARY=BUILD_DIR/libshmseq.so); the tests find the build's C
# programs (sensor_reader, logger, flat_writer) through SHMSEQ_BUILD.
# The interpreter is PYTHON, default Debian's /usr/bin/python3 (where apt
# puts numpy, matplotlib and pytest), else python3 on PATH. pytest's exit
# status 5 (no test collected) is a failure, as is any other non-zero one.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-build/dev}
case $build in /*) ;; *) build=$root/$build ;; esac
py=${PYTHON:-}
if [ -z "$py" ]; then
  if [ -x /usr/bin/python3 ]; then py=/usr/bin/python3; else py=python3; fi
fi
lib=$build/libshmseq.so
[ -e "$lib" ] || { echo "python tests: $lib is missing (build $build first)" >&2; exit 1; }
if ! "$py" -c 'import numpy, matplotlib, pytest' 2>/dev/null; then
  echo "python tests: $py lacks numpy, matplotlib or pytest (scripts/deps.sh installs them)" >&2
  exit 1
fi

export PYTHONPATH=$root/python${PYTHONPATH:+:$PYTHONPATH}
export SHMSEQ_LIBRARY=$lib
export SHMSEQ_BUILD=$build
export MPLBACKEND=Agg # no display in CI
export PYTHONDONTWRITEBYTECODE=1 # nothing written into the tree

rc=0
# A whole-run bound: a hung test fails the stage instead of hanging it.
timeout 600 "$py" -m pytest -p no:cacheprovider -q --durations=5 "$root/python/tests" || rc=$?
case $rc in
  0) ;;
  5) echo "python tests: pytest collected no test: failing" >&2 ;;
  124) echo "python tests: timed out after 600 s" >&2 ;;
esac
exit "$rc"
