# SPDX-License-Identifier: MIT
"""The sketch example end to end, and the plot's PNG."""
import os
import sqlite3
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import shmseq

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SKETCH = os.path.join(ROOT, "examples", "python", "reader_saver.py")


def test_reader_saver_sketch(region, tmp_path):
    """main creates, the Reader publishes np.random.rand(10) arrays, the Saver
    stores them doubled in SQLite, main removes the region."""
    name, db, count, seed = region("sketch"), tmp_path / "s.db", 300, 1234
    p = subprocess.run([sys.executable, SKETCH, "--name", name, "--db", str(db),
                        "--count", str(count), "--seed", str(seed)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert f"stored {count} doubled arrays, lost 0" in p.stdout
    np.random.seed(seed)  # what the Reader drew, in its order
    want = [np.random.rand(10) * 2 for _ in range(count)]
    rows = sqlite3.connect(db).execute(
        "SELECT * FROM doubled ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == list(range(count))
    assert all(r[3] == 0 for r in rows)  # nothing lost before any row
    for r, w in zip(rows, want):
        assert list(r[4:]) == w.tolist()  # exactly doubled
    assert name not in shmseq.list()  # main removed it


def test_reader_saver_notices_a_dead_reader(region, tmp_path):
    name, db = region("crash"), tmp_path / "c.db"
    p = subprocess.run([sys.executable, SKETCH, "--name", name, "--db", str(db),
                        "--count", "200", "--crash-after", "40"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "stopped after 40 of 200 arrays" in p.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM doubled").fetchone() == (40,)
    assert name not in shmseq.list()


def test_plot_png(region, tmp_path):
    """--png writes a picture in which every channel's colour is drawn."""
    import matplotlib.colors
    import matplotlib.image
    name, png, width = region("plot"), tmp_path / "p.png", 4
    stop = threading.Event()
    w = shmseq.Writer(name, width, capacity=4096)

    def publish():
        t0 = time.monotonic()
        while not stop.is_set():
            t = time.monotonic() - t0
            w.publish([np.sin(5 * t), 2 * np.cos(3 * t), t, -1 - t])
            stop.wait(0.002)
    th = threading.Thread(target=publish)
    th.start()
    try:
        p = subprocess.run([sys.executable, "-m", "shmseq.plot", name, "--png",
                            str(png), "--seconds", "1"],
                           capture_output=True, text=True, timeout=120)
    finally:
        stop.set()
        th.join()
        w.close()
    assert p.returncode == 0, p.stderr
    img = matplotlib.image.imread(str(png))[:, :, :3]
    assert img.shape[0] > 100 and img.shape[1] > 100
    for i in range(width):
        rgb = np.array(matplotlib.colors.to_rgb(f"C{i}"))
        close = np.all(np.abs(img - rgb) < 0.02, axis=2)
        # many pixels: the line, not only its legend swatch
        assert np.count_nonzero(close) > 200, f"channel {i} (C{i}) not drawn"


def test_plot_missing_region(region):
    p = subprocess.run([sys.executable, "-m", "shmseq.plot", region("none"),
                        "--png", "/dev/null", "--seconds", "0"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 1
    assert "no region of that name" in p.stderr
