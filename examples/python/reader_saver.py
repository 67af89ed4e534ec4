#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""reader_saver.py: the original Python sketch of shmseq, on shmseq.

The sketch's three parts, kept: main creates the shared region and starts
two processes with multiprocessing; the "Reader" fetches data
(np.random.rand(10)) and writes it into the region; the "Saver" reads each
array, doubles it and stores it into an SQLite database (Python's sqlite3);
main removes the region at the end. docs/python.md sets this program beside
the original (multiprocessing.shared_memory and a sleep) and says what each
difference buys.

No sleep synchronises anything here: the Saver sleeps in the kernel until
the Reader publishes (and the Reader never waits for the Saver), each array
arrives whole or not at all, losses are counted, and a Reader that dies is
noticed.

usage: reader_saver.py [--count N] [--db FILE] [--name REGION] [--seed S]
                      [--crash-after K]
  --seed S         seed numpy's generator (np.random.seed), so a test can
                   recompute every array
  --crash-after K  the Reader dies (SIGKILL) after K arrays: the Saver
                   notices, stores what arrived and says what is missing
"""
import argparse
import multiprocessing as mp
import os
import signal
import sqlite3
import sys

import numpy as np

import shmseq

WIDTH = 10  # np.random.rand(10): ten float64 values per array


def reader(name: str, count: int, started, crash_after: int, seed) -> None:
    """The sketch's Reader (shmseq's writer): fetches and publishes arrays."""
    if seed is not None:
        np.random.seed(seed)
    with shmseq.Writer(name, WIDTH, capacity=1024) as w:
        started.set()  # the Saver may now tell a dead Reader from a late one
        for i in range(count):
            if i == crash_after:
                os.kill(os.getpid(), signal.SIGKILL)  # a crash, for the demo
            w.publish(np.random.rand(WIDTH))  # never waits for the Saver


def saver(name: str, count: int, db_path: str, started) -> None:
    """The sketch's Saver (a shmseq reader): reads, doubles, stores."""
    db = sqlite3.connect(db_path)
    cols = ", ".join(f"v{i} REAL" for i in range(WIDTH))
    db.execute(f"CREATE TABLE IF NOT EXISTS doubled (seq INTEGER PRIMARY KEY, "
               f"timestamp_ns INTEGER, epoch INTEGER, lost_before INTEGER, {cols})")
    # OR IGNORE: the key is the sample number, so a restarted Saver
    # (oldest=True) never stores an array twice.
    insert = f"INSERT OR IGNORE INTO doubled VALUES ({', '.join('?' * (WIDTH + 4))})"
    with shmseq.Reader(name, oldest=True) as r:  # from the region's first array
        started.wait()
        expect = 0
        while expect < count:
            try:
                s = r.read(timeout=1.0)  # sleeps until an array is there
            except TimeoutError:
                if not r.writer_alive:  # the Reader is gone: nothing more comes
                    break
                continue
            doubled = s.values * 2
            db.execute(insert, (s.seq, s.timestamp_ns, s.epoch, s.lost,
                                *doubled.tolist()))
            expect = s.seq + 1
        db.commit()
        st = r.stats
    db.close()
    print(f"saver: stored {st.received} doubled arrays, lost {st.lost}, "
          f"of {count}", flush=True)
    if st.received + st.lost < count:
        print(f"saver: the Reader stopped after {st.received + st.lost} of "
              f"{count} arrays (it died?)", file=sys.stderr, flush=True)
        sys.exit(1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=100, help="arrays to pass (default 100)")
    ap.add_argument("--db", default="reader_saver.db", help="SQLite file (default reader_saver.db)")
    ap.add_argument("--name", default=f"reader-saver-py-{os.getpid()}", help="region name")
    ap.add_argument("--seed", type=int, default=None, help="seed numpy's generator")
    ap.add_argument("--crash-after", type=int, default=-1, help="the Reader dies after K arrays")
    args = ap.parse_args()

    # main creates the region; the Reader takes it over as its writer.
    shmseq.Writer(args.name, WIDTH, capacity=1024).close()
    try:
        started = mp.Event()
        procs = [mp.Process(target=saver, args=(args.name, args.count, args.db, started)),
                 mp.Process(target=reader, args=(args.name, args.count, started,
                                                 args.crash_after, args.seed))]
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        rc = procs[0].exitcode
        if procs[1].exitcode != 0:
            print(f"main: the Reader exited with {procs[1].exitcode}", file=sys.stderr)
            rc = rc or 1
    finally:
        shmseq.remove(args.name, force=True)  # on every path
    return rc


if __name__ == "__main__":
    sys.exit(main())
