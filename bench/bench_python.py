#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""bench_python.py: what one call of the Python package costs, measured as
bench/bench_calls.c measures the C calls (same region shape, same passes),
so bench/python.sh can print each as a ratio to C from the same run:

  publish        ns per Writer.publish(list of width floats)
  publish_numpy  ns per Writer.publish(1-D numpy array)
  read           ns per Reader.read(timeout=0) of a sample in the ring
  read_many      samples per second through Reader.read_many(batch) into
                 numpy arrays (one C call per batch)

Rows go to stdout and, with --csv FILE, are appended as
impl,op,width,batch,run,n,ns_per_sample,msamples_per_s. Nothing asserts on
time. Needs the package (PYTHONPATH=python) and SHMSEQ_LIBRARY (or an
installed package).
"""
import argparse
import os
import time

import numpy as np

import shmseq


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500000)
    ap.add_argument("--width", type=int, default=4)
    ap.add_argument("--capacity", type=int, default=65536)
    ap.add_argument("--batch", type=int, default=4096)
    ap.add_argument("--run", type=int, default=1)
    ap.add_argument("--csv")
    a = ap.parse_args()
    name = f"bench-py-{os.getpid()}"
    rows = []

    def row(op, batch, n, ns):
        per, msps = ns / n, n / (ns / 1e9) / 1e6
        print(f"python {op:13s} width {a.width} batch {batch:<6d} n {n:<9d} "
              f"{per:8.1f} ns/sample {msps:8.2f} M samples/s", flush=True)
        rows.append(f"python,{op},{a.width},{batch},{a.run},{n},{per:.3f},{msps:.4f}\n")

    # CPU time, as bench_calls.c: time preempted on a shared machine is
    # not charged to the calls.
    clock = time.process_time_ns
    with shmseq.Writer(name, a.width, capacity=a.capacity) as w, \
            shmseq.Reader(name, oldest=True) as r:
        try:
            values = [float(i) for i in range(a.width)]
            array = np.arange(a.width, dtype=np.float64)
            for op, v in (("publish", values), ("publish_numpy", array)):
                t = done = 0
                while done < a.count:
                    k = min(a.count - done, a.capacity)
                    publish = w.publish
                    t0 = clock()
                    for _ in range(k):
                        publish(v)
                    t += clock() - t0
                    done += k
                    while len(r.read_many(a.batch, timeout=0)):  # keep the reader up
                        pass
                row(op, 1, a.count, t)

            block = np.zeros((a.capacity, a.width))
            t = done = 0
            while done < a.count:
                k = min(a.count - done, a.capacity)
                w.publish_many(block[:k])
                read = r.read
                t0 = clock()
                for _ in range(k):
                    read(0)
                t += clock() - t0
                done += k
            row("read", 1, a.count, t)

            t = done = 0
            while done < a.count:
                k = min(a.count - done, a.capacity)
                w.publish_many(block[:k])
                got = 0
                t0 = clock()
                while got < k:
                    got += len(r.read_many(a.batch, timeout=0))
                t += clock() - t0
                done += k
            row("read_many", a.batch, a.count, t)
        finally:
            shmseq.remove(name, force=True)
    if a.csv:
        with open(a.csv, "a") as f:
            f.writelines(rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
