# SPDX-License-Identifier: MIT
"""C and Python on one region: the C sensor task read from Python, a
Python writer read by the C logger, and a C writer running flat out under
a Python reader that checks every word of every sample."""
import math
import os
import re
import subprocess
import time

import numpy as np
import pytest

import shmseq

SIM = dict(freq=5.0, amp=2.0, offset=0.5, phase=0.25)


def sim_value(channel: int, index: int, rate: float) -> float:
    """shmseq_sim_value() for wave=sine, noise=0 (bsp/include/shmseq/bsp.h),
    operation for operation, so the result is bit for bit C's."""
    x = float(index) * SIM["freq"] / rate + float(channel) * SIM["phase"]
    f = x - math.floor(x)
    return SIM["amp"] * math.sin(6.283185307179586476925286766559 * f) + SIM["offset"]


def test_sensor_reader_to_python(region, program, procs):
    """The C sensor task (sim board) at 1 kHz, read from Python: every value
    is the sim waveform of its sample number, nothing lost."""
    name = region("sensor")
    rate, width = 1000, 4
    shmseq.Writer(name, width, capacity=4096).close()  # attach from sample 0
    with shmseq.Reader(name, oldest=True) as r:
        params = ",".join(f"{k}={v}" for k, v in SIM.items()) + ",wave=sine,noise=0"
        p = procs([program("examples/sensor_reader"), "--name", name,
                   "--rate", str(rate), "--width", str(width), "--capacity", "4096",
                   "--duration", "2", "--params", params, "--quiet"],
                  stderr=subprocess.PIPE, text=True)
        got = []
        deadline = time.monotonic() + 60
        for s in r:  # ends when sensor_reader has closed and all is read
            got.append(s)
            assert time.monotonic() < deadline
        _, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        published = int(re.search(r"published (\d+) samples", err).group(1))
        assert published > 500
        assert len(got) == published
        assert [s.seq for s in got] == list(range(published))
        assert all(s.lost == 0 and s.epoch == 2 for s in got)
        for s in got:
            want = [sim_value(c, s.seq, rate) for c in range(width)]
            assert s.values.tolist() == want, s.seq
        st = r.stats
        assert (st.received, st.lost) == (published, 0)


def test_python_writer_to_c_logger(region, program, procs, tmp_path):
    """A Python writer read by the C logger: its CSV holds exactly what
    Python published (%.17g reads back bit for bit)."""
    name = region("logger")
    width, n = 3, 3000
    rng = np.random.default_rng(7)
    data = rng.standard_normal((n, width)) * 1e3
    stamps = np.arange(n, dtype=np.uint64) * 1000 + 12345
    out = tmp_path / "out.csv"
    with shmseq.Writer(name, width, capacity=4096) as w:
        logger = procs([program("examples/logger"), "--name", name, "--oldest",
                        "--idle", "1", "--quiet", "--out", str(out)],
                       stderr=subprocess.PIPE, text=True)
        w.publish_many(data, timestamps=stamps)
    _, err = logger.communicate(timeout=60)
    assert logger.returncode == 0, err
    rows = out.read_text().splitlines()
    assert rows[0] == "seq,timestamp_ns,epoch,v0,v1,v2"
    assert len(rows) == n + 1
    for i, line in enumerate(rows[1:]):
        f = line.split(",")
        assert (int(f[0]), int(f[1]), int(f[2])) == (i, int(stamps[i]), 1)
        assert [float(x) for x in f[3:]] == data[i].tolist()


def test_c_writer_flat_out(region, program, procs):
    """10^6 samples from a C writer running flat out: every word of every
    sample read is that sample's (none torn), and received + lost ==
    published."""
    name = region("flat")
    width, count = 4, 10 ** 6
    shmseq.Writer(name, width, capacity=4096).close()
    with shmseq.Reader(name, oldest=True) as r:
        p = procs([program("tests/flat_writer"), name, str(count)],
                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        received = lost = torn = 0
        expect = 0
        cols = np.arange(width, dtype=np.float64)
        deadline = time.monotonic() + 120
        while expect < count:
            assert time.monotonic() < deadline, f"stuck at #{expect}"
            b = r.read_many(8192, timeout=1.0)
            n = len(b)
            if n == 0:
                assert p.poll() is None or r.head > expect, "writer gone"
                continue
            seq = b.seq.astype(np.float64)
            want = seq[:, None] * 64 + cols
            torn += int(np.count_nonzero((b.values != want).any(axis=1)))
            torn += int(np.count_nonzero(b.timestamp_ns != b.seq * 3 + 1))
            # numbers follow exactly as previous + 1 + lost
            prev = np.concatenate(([expect], b.seq[:-1] + 1))
            assert np.array_equal(b.seq, prev + b.lost)
            received += n
            lost += int(b.lost.sum())
            expect = int(b.seq[-1]) + 1
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err
        assert out.strip() == f"flat_writer: published {count} from #0"
        assert torn == 0
        assert received + lost == count
        st = r.stats
        assert (st.received, st.lost, st.next) == (received, lost, count)
        assert received > 0
