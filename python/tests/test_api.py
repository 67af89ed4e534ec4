# SPDX-License-Identifier: MIT
"""The shmseq package's API: round trips, batches, accounting, every error
path, handles that outlive their region or their writer."""
import errno
import os
import pickle
import pydoc
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import shmseq
from shmseq import _lib


def sentence(code: int) -> str:
    return _lib.strerror(-code).decode()


def test_round_trip(region):
    name = region()
    with shmseq.Writer(name, width=3, capacity=16) as w, \
            shmseq.Reader(name, oldest=True) as r:
        assert r.width == 3 and w.width == 3 and w.epoch == 1
        assert w.publish([1.0, 2.0, 3.0], timestamp_ns=42) == 0
        assert w.publish(np.array([4, 5, 6], dtype=np.int32)) == 1
        assert w.publish((7.5, 8.5, 9.5)) == 2
        s = r.read(timeout=0)
        assert (s.seq, s.timestamp_ns, s.epoch, s.lost) == (0, 42, 1, 0)
        assert s.values.dtype == np.float64 and s.values.tolist() == [1, 2, 3]
        assert r.read(timeout=1).values.tolist() == [4, 5, 6]
        s2 = r.read()
        assert s2.values.tolist() == [7.5, 8.5, 9.5]
        assert s.values.tolist() == [1, 2, 3]  # each sample owns its array
        assert r.stats == shmseq.ReaderStats(3, 0, 0, 3, 1, 0)
        assert r.head == 3 and w.next_seq == 3
        assert r.writer_alive


def test_publish_many_and_read_many(region):
    name = region()
    data = np.arange(40.0).reshape(10, 4)
    with shmseq.Writer(name, 4, capacity=16) as w, shmseq.Reader(name, oldest=True) as r:
        assert w.publish_many(data, timestamps=np.arange(100, 110)) == 0
        b = r.read_many(4)
        assert len(b) == 4 and b.values.shape == (4, 4)
        b2 = r.read_many(100)
        assert len(b2) == 6
        assert np.array_equal(np.concatenate([b.values, b2.values]), data)
        assert b2.seq.tolist() == list(range(4, 10))
        assert b2.timestamp_ns.tolist() == list(range(104, 110))
        assert b2.epoch.tolist() == [1] * 6 and b2.lost.tolist() == [0] * 6
        assert len(r.read_many(8, timeout=0)) == 0  # nothing: an empty batch
        assert len(r.read_many(8, timeout=0.01)) == 0
        assert w.publish_many(data[:2]) == 10  # stamped as published


def test_read_many_larger_than_ring(region):
    """max_n beyond the capacity: at most what the ring holds, and a lapped
    reader's losses are counted exactly."""
    name = region()
    with shmseq.Writer(name, 2, capacity=8) as w, shmseq.Reader(name, oldest=True) as r:
        w.publish_many(np.zeros((5, 2)))
        assert len(r.read_many(1000)) == 5
        w.publish_many(np.ones((50, 2)))  # laps the reader
        b = r.read_many(10 ** 5)
        assert 0 < len(b) <= 8
        st = r.stats
        assert st.received + st.lost == 55 and st.next == 55
        assert int(b.lost.sum()) == st.lost


def test_read_many_same_accounting_as_read(region):
    name = region()
    with shmseq.Writer(name, 1, capacity=8) as w, \
            shmseq.Reader(name, oldest=True) as one, \
            shmseq.Reader(name, oldest=True) as many:
        for burst in (3, 20, 1, 9, 33):
            w.publish_many(np.arange(burst, dtype=float).reshape(-1, 1))
            singles = []
            while True:
                try:
                    singles.append(one.read(timeout=0))
                except BlockingIOError:
                    break
            b = many.read_many(64)
            assert b.seq.tolist() == [s.seq for s in singles]
            assert b.lost.tolist() == [s.lost for s in singles]
        assert one.stats == many.stats


def test_latest_and_iteration(region):
    name = region()
    w = shmseq.Writer(name, 1, capacity=16)
    r = shmseq.Reader(name)
    assert r.latest() is None
    w.publish_many(np.arange(5.0).reshape(-1, 1))
    s = r.latest()
    assert s.seq == 4 and s.lost == 4 and r.latest() is None
    w.publish([5.0])
    w.publish([6.0])
    w.close()  # no writer: iteration ends once everything is read
    assert [x.seq for x in r] == [5, 6]
    r.close()


def test_closed_handles_and_pickling(region):
    name = region()
    w = shmseq.Writer(name, 2)
    r = shmseq.Reader(name)
    for h in (w, r):
        with pytest.raises(TypeError, match="open it in the process"):
            pickle.dumps(h)
    w.close()
    w.close()
    r.close()
    r.close()
    assert w.closed and r.closed
    for call in (lambda: w.publish([1, 2]), lambda: w.publish_many(np.zeros((1, 2))),
                 lambda: w.epoch, lambda: r.read(0), lambda: r.read_many(1, 0),
                 lambda: r.latest(), lambda: r.stats, lambda: r.writer_alive):
        with pytest.raises(ValueError, match="closed"):
            call()
    assert "closed" in repr(w) and "closed" in repr(r)


def test_shape_errors(region):
    name = region()
    with shmseq.Writer(name, 3) as w, shmseq.Reader(name) as r:
        for bad in ([1.0, 2.0], [1.0] * 4, np.zeros(2), np.zeros((3, 1))):
            with pytest.raises(ValueError):
                w.publish(bad)
        with pytest.raises(ValueError):
            w.publish_many(np.zeros((2, 4)))
        with pytest.raises(ValueError):
            w.publish_many(np.zeros(3))
        with pytest.raises(ValueError):
            w.publish_many(np.zeros((2, 3)), timestamps=[1])
        with pytest.raises(ValueError):
            r.read_many(0)
        with pytest.raises(ValueError):
            r.read_many(2 ** 31)
        with pytest.raises(ValueError):
            r.read(timeout=-1)
        with pytest.raises(TypeError):
            shmseq.Reader(b"bytes-name")
        assert w.next_seq == 0  # nothing was published


def check_oserror(exc_info, cls, code, name=None):
    e = exc_info.value
    assert type(e) is cls, type(e)
    assert e.errno == code
    assert e.strerror == sentence(code)  # the C library's sentence
    assert name is None or e.filename == name


def test_error_paths(region):
    missing = region("missing")
    with pytest.raises(FileNotFoundError) as ei:
        shmseq.Reader(missing)
    check_oserror(ei, FileNotFoundError, errno.ENOENT, missing)
    with pytest.raises(FileNotFoundError) as ei:
        shmseq.info(missing)
    check_oserror(ei, FileNotFoundError, errno.ENOENT)
    with pytest.raises(FileNotFoundError):
        shmseq.remove(missing)

    for bad in ("", ".hidden", "a/b", "sp ace"):
        with pytest.raises(OSError) as ei:
            shmseq.Reader(bad)
        check_oserror(ei, OSError, errno.EINVAL)
    with pytest.raises(OSError) as ei:
        shmseq.Writer("x" * 65, 1)
    check_oserror(ei, OSError, errno.ENAMETOOLONG)
    for kw in ({"width": 0}, {"width": 65}, {"width": 1, "capacity": 3},
               {"width": 1, "mode": 0o10000}):
        with pytest.raises(OSError) as ei:
            shmseq.Writer(region("cfg"), **kw)
        check_oserror(ei, OSError, errno.EINVAL)

    name = region()
    w = shmseq.Writer(name, 2, capacity=8)
    with pytest.raises(OSError) as ei:
        shmseq.Writer(name, 2, capacity=8)
    check_oserror(ei, OSError, errno.EBUSY, name)
    with pytest.raises(OSError) as ei:
        shmseq.remove(name)
    check_oserror(ei, OSError, errno.EBUSY, name)
    r = shmseq.Reader(name)
    with pytest.raises(BlockingIOError) as ei:
        r.read(timeout=0)
    check_oserror(ei, BlockingIOError, errno.EAGAIN, name)
    with pytest.raises(TimeoutError) as ei:
        r.read(timeout=0.01)
    check_oserror(ei, TimeoutError, errno.ETIMEDOUT, name)
    r.close()
    w.close()
    with pytest.raises(FileExistsError) as ei:
        shmseq.Writer(name, 3, capacity=8)
    check_oserror(ei, FileExistsError, errno.EEXIST, name)
    shmseq.Writer(name, 3, capacity=8, recreate=True).close()
    assert shmseq.info(name).width == 3


def test_permission_error(region):
    name = region()
    shmseq.Writer(name, 1).close()
    path = f"/dev/shm/shmseq.{name}"
    if os.geteuid() == 0:
        os.chown(path, 65534, 65534)  # another user's region: EPERM
        code = errno.EPERM
    else:
        os.chmod(path, 0)  # no access: EACCES
        code = errno.EACCES
    with pytest.raises(PermissionError) as ei:
        shmseq.Reader(name)
    check_oserror(ei, PermissionError, code, name)
    if code == errno.EPERM:
        shmseq.Reader(name, any_owner=True).close()


def test_corrupt_and_foreign_regions(region):
    name = region()
    shmseq.Writer(name, 1, capacity=4).close()
    path = f"/dev/shm/shmseq.{name}"
    with open(path, "r+b") as f:
        head = f.read(8)
        f.seek(4)  # the layout version word follows the magic
        f.write((99).to_bytes(4, sys.byteorder))
    with pytest.raises(OSError) as ei:
        shmseq.Reader(name)
    check_oserror(ei, OSError, errno.EPROTO, name)
    with open(path, "r+b") as f:
        f.write(head)
        f.truncate(100)  # shorter than its header says
    with pytest.raises(OSError) as ei:
        shmseq.Reader(name)
    check_oserror(ei, OSError, errno.EBADMSG, name)
    with pytest.raises(OSError) as ei:
        shmseq.info(name)
    check_oserror(ei, OSError, errno.EBADMSG)


def test_info_list_remove(region):
    name = region()
    with shmseq.Writer(name, 5, capacity=32) as w:
        w.publish_many(np.zeros((3, 5)))
        i = shmseq.info(name)
        assert (i.name, i.width, i.capacity, i.epoch, i.head) == (name, 5, 32, 1, 3)
        assert i.writer_alive and i.writer_pid == os.getpid()
        assert i.region_size == 131072 + 32 * i.slot_size  # SHMSEQ_HEADER_SIZE
        assert name in shmseq.list()
    assert not shmseq.info(name).writer_alive
    shmseq.remove(name)
    assert name not in shmseq.list()


def test_region_removed_under_reader(region):
    """The reader keeps its mapping: it reads what the writer publishes
    after the name was removed, then learns that no writer reaches it."""
    name = region()
    w = shmseq.Writer(name, 1, capacity=16)
    r = shmseq.Reader(name, oldest=True)
    w.publish([1.0])
    shmseq.remove(name, force=True)
    assert name not in shmseq.list()
    w.publish([2.0])
    assert [s.values[0] for s in (r.read(0), r.read(0))] == [1.0, 2.0]
    assert not r.writer_alive  # the name is gone
    w.close()
    w2 = shmseq.Writer(name, 1, capacity=16)  # a new region, same name
    w2.publish([3.0])
    assert not r.writer_alive  # the name now names another region
    with pytest.raises(BlockingIOError):
        r.read(0)
    assert list(r) == []  # iteration ends: nothing will ever come
    w2.close()
    r.close()


def test_writer_killed_under_reader(region):
    name = region()
    shmseq.Writer(name, 2, capacity=64).close()
    r = shmseq.Reader(name, oldest=True)
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import shmseq, sys\n"
         f"w = shmseq.Writer({name!r}, 2, capacity=64)\n"
         "w.publish([1.0, 1.0]); w.publish([2.0, 2.0])\n"
         "print('ready', flush=True); sys.stdin.read()\n"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        assert r.writer_alive
        first = [r.read(timeout=10) for _ in range(2)]
        assert [s.epoch for s in first] == [2, 2]  # the creator was epoch 1
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert not r.writer_alive
    with shmseq.Writer(name, 2, capacity=64) as w:  # takes over
        assert w.epoch == 3
        w.publish([3.0, 3.0])
        s = r.read(timeout=10)
        assert (s.seq, s.epoch, s.lost) == (2, 3, 0)
        assert r.stats.epoch_changes == 1
        assert r.writer_alive
    r.close()


def test_ctrl_c_interrupts_a_wait(region):
    """SIGINT during read() (the C wait returns -EINTR): KeyboardInterrupt,
    not a hang and not an OSError."""
    name = region()
    shmseq.Writer(name, 1).close()
    child = subprocess.Popen(
        [sys.executable, "-c",
         "import shmseq\n"
         f"r = shmseq.Reader({name!r})\n"
         "try:\n"
         "    print('ready', flush=True)\n"
         "    r.read()\n"
         "except KeyboardInterrupt:\n"
         "    print('interrupted', flush=True)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline() == "ready\n"
        # Signal only once it sleeps in the kernel's futex wait, so the
        # C call's -EINTR path is the one taken.
        deadline = time.monotonic() + 30
        while "futex" not in open(f"/proc/{child.pid}/wchan").read():
            assert time.monotonic() < deadline, "the reader never slept"
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        out, _ = child.communicate(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert out == "interrupted\n" and child.returncode == 0


def test_help_reads_well():
    text = pydoc.render_doc(shmseq, renderer=pydoc.plaintext)
    for word in ("Writer", "Reader", "read_many", "publish_many", "writer_alive",
                 "FileNotFoundError", "SHMSEQ_LIBRARY", "info(name", "list()",
                 "remove(name", "class Sample", "class Batch"):
        assert word in text, word
    public = [getattr(shmseq, n) for n in shmseq.__all__ if n != "LIBRARY_PATH"]
    for obj in public:
        assert obj.__doc__ and len(obj.__doc__) > 20, obj
    for cls in (shmseq.Writer, shmseq.Reader):
        for n, member in vars(cls).items():
            if not n.startswith("_"):
                assert getattr(member, "__doc__", None), f"{cls.__name__}.{n}"
    assert shmseq.Writer.publish.__annotations__  # type hints
    assert shmseq.Reader.read_many.__annotations__["return"] in ("Batch", shmseq.Batch)
