# SPDX-License-Identifier: MIT
"""python -m shmseq.plot NAME: look at a region's channels, live.

    python -m shmseq.plot imu                      # a window, last 10 s, live
    python -m shmseq.plot imu --window 30          # the last 30 s
    python -m shmseq.plot imu --png imu.png --seconds 5   # no display needed

Shows the last --window seconds of every channel (v0, v1, ...) against
time, from the samples' own timestamps, redrawn a few times a second. With
--png it records --seconds seconds, writes the picture and exits (the Agg
backend: no display). Gaps in the numbering (samples lost by a plotter
that fell behind) are said in the title. Channel i is drawn in
matplotlib's colour "Ci" (C0 blue, C1 orange, C2 green, C3 red, ...).
"""
import argparse
import sys
import time
from typing import List, Optional

import numpy as np

import shmseq

BATCH = 65536


class Window:
    """The samples of the last `seconds`, appended batch by batch."""

    def __init__(self, width: int, seconds: Optional[float]) -> None:
        self.seconds = seconds
        self.t = np.empty(0, dtype=np.uint64)
        self.v = np.empty((0, width))
        self.lost = 0

    def add(self, b: "shmseq.Batch") -> None:
        if len(b) == 0:
            return
        self.t = np.concatenate([self.t, b.timestamp_ns])
        self.v = np.concatenate([self.v, b.values])
        self.lost += int(b.lost.sum())
        if self.seconds is not None:
            keep = self.t >= self.t[-1] - np.uint64(self.seconds * 1e9)
            self.t, self.v = self.t[keep], self.v[keep]

    def x(self) -> np.ndarray:
        """Seconds before the newest sample (<= 0)."""
        if len(self.t) == 0:
            return np.empty(0)
        return (self.t.astype(np.int64) - np.int64(self.t[-1])) / 1e9


def _draw(ax, lines, win: Window, name: str) -> None:
    x = win.x()
    for i, line in enumerate(lines):
        line.set_data(x, win.v[:, i])
    if len(x):
        lo, hi = float(np.min(win.v)), float(np.max(win.v))
        pad = (hi - lo) * 0.05 or 1.0
        ax.set_ylim(lo - pad, hi + pad)
        ax.set_xlim(min(float(x[0]), -1e-3), 0.0)
    ax.set_title(f"shmseq region {name!r}: {len(x)} samples"
                 + (f", {win.lost} lost by the plotter" if win.lost else ""))


def _figure(plt, name: str, width: int):
    fig, ax = plt.subplots(figsize=(10, 5))
    lines = [ax.plot([], [], color=f"C{i % 10}", linewidth=1.5, label=f"v{i}")[0]
             for i in range(width)]
    ax.set_xlabel("seconds before the newest sample")
    ax.set_ylabel("value")
    ax.grid(True, alpha=0.3)
    if width <= 16:
        ax.legend(loc="upper left")
    return fig, ax, lines


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m shmseq.plot",
                                 description="Plot a shmseq region's channels.")
    ap.add_argument("name", help="region name")
    ap.add_argument("--window", type=float, default=10.0,
                    help="seconds shown (default 10)")
    ap.add_argument("--png", metavar="FILE", help="write a PNG instead of showing a window")
    ap.add_argument("--seconds", type=float, default=5.0,
                    help="with --png: seconds to record first (default 5)")
    ap.add_argument("--oldest", action="store_true",
                    help="start with the oldest sample in the ring (default: "
                         "with the next one published)")
    a = ap.parse_args(argv)
    if a.window <= 0 or a.seconds < 0:
        ap.error("--window must be > 0 and --seconds >= 0")

    import matplotlib
    if a.png:
        matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt  # slow: before the reader starts

    try:
        reader = shmseq.Reader(a.name, oldest=a.oldest)
    except OSError as e:
        print(f"shmseq.plot: {a.name}: {e.strerror}", file=sys.stderr)
        return 1
    with reader:
        if a.png:
            win = Window(reader.width, None)
            end = time.monotonic() + a.seconds
            while True:
                left = end - time.monotonic()
                win.add(reader.read_many(BATCH, timeout=max(0.0, min(left, 0.1))))
                if left <= 0:
                    break
            fig, ax, lines = _figure(plt, a.name, reader.width)
            _draw(ax, lines, win, a.name)
            fig.savefig(a.png, dpi=100)
            print(f"shmseq.plot: {len(win.t)} samples of {a.name!r} "
                  f"({reader.width} channels) into {a.png}")
            return 0 if len(win.t) else 1

        from matplotlib.animation import FuncAnimation
        win = Window(reader.width, a.window)
        fig, ax, lines = _figure(plt, a.name, reader.width)

        def update(_frame):
            while True:  # everything there is, in batches
                b = reader.read_many(BATCH, timeout=0)
                win.add(b)
                if len(b) < BATCH:
                    break
            _draw(ax, lines, win, a.name)
            return lines

        anim = FuncAnimation(fig, update, interval=200, cache_frame_data=False)
        plt.show()
        del anim
    return 0


if __name__ == "__main__":
    sys.exit(main())
