# SPDX-License-Identifier: MIT
"""shmseq: float64 samples in shared memory, from Python and numpy.

One *writer* process publishes samples (a fixed number of float64 values,
the region's *width*) into a named shared-memory region; any number of
*reader* processes read them, each at its own pace. Every sample carries
its number, a timestamp and the epoch of the writer that published it.
A reader never gets a half-written sample, and a reader that falls more
than the ring's capacity behind is told exactly how many samples it lost:
received + lost == published since it attached.

This package calls the C library libshmseq.so (through ctypes): the
seqlock and its memory orders stay in C. Readers and writers of any
language share a region: a C sensor task and a Python logger, or the
other way round.

Writing::

    import numpy as np, shmseq
    with shmseq.Writer("imu", width=3) as w:
        w.publish([0.1, 0.2, 9.81])                # or a numpy array
        w.publish_many(np.random.rand(100, 3))     # 100 samples

Reading::

    with shmseq.Reader("imu", oldest=True) as r:
        s = r.read(timeout=1.0)        # Sample(seq, timestamp_ns, epoch, lost, values)
        b = r.read_many(4096)          # numpy arrays: b.seq, b.values (n x 3), ...
                                       # (waits for the first; timeout=0: never)
        for s in r:                    # each sample as it comes
            print(s.seq, s.values)

Errors are OSError subclasses (FileNotFoundError for a missing region,
FileExistsError, PermissionError, BlockingIOError, TimeoutError, ...) with
the C library's sentence as their message; wrong shapes and closed
handles are ValueError.

Timestamps are CLOCK_MONOTONIC nanoseconds (time.monotonic_ns() in
Python, shmseq_now_ns() in C). The library is found through the
SHMSEQ_LIBRARY environment variable, else the copy installed with the
package, else the system's libshmseq.so.0.1 (see LIBRARY_PATH).
"""
import builtins
import ctypes
import errno
import struct
import time
from typing import Iterator, NamedTuple, Optional, Sequence, Union

import numpy as np

from . import _lib
from ._lib import LIBRARY_PATH

__all__ = ["Writer", "Reader", "Sample", "Batch", "ReaderStats", "RegionInfo",
           "info", "list", "remove", "LIBRARY_PATH"]
__version__ = "0.1.0"

_monotonic_ns = time.monotonic_ns  # CLOCK_MONOTONIC: the samples' clock
_SAMPLE = struct.Struct("=QQQII")  # struct shmseq_sample
_c_uint64 = ctypes.c_uint64
_tuple_new = tuple.__new__  # a NamedTuple without its Python-level __new__

ArrayLike = Union[Sequence[float], np.ndarray]


def _field_docs(cls, **docs: str) -> None:
    for field, doc in docs.items():
        getattr(cls, field).__doc__ = doc


class Sample(NamedTuple):
    """One sample, as Reader.read() and Reader.latest() return it."""
    seq: int
    timestamp_ns: int
    epoch: int
    lost: int
    values: np.ndarray


_field_docs(
    Sample,
    seq="Sample number: 0, 1, 2, ... per region, across writer restarts.",
    timestamp_ns="The writer's timestamp (CLOCK_MONOTONIC nanoseconds).",
    epoch="Epoch of the writer that published it (1, then +1 per takeover).",
    lost="Samples this reader lost (overwritten unread) just before this one.",
    values="The width float64 values (a new array per sample).")


class Batch:
    """Samples that Reader.read_many() got in one call, as numpy arrays.

    Attributes (length len(batch) each, in sample order):
      seq, timestamp_ns, lost  uint64 arrays
      epoch                    uint32 array
      values                   float64 array of shape (len(batch), width)
    The total lost within the batch is batch.lost.sum().
    """
    __slots__ = ("seq", "timestamp_ns", "epoch", "lost", "values")

    def __init__(self, meta: np.ndarray, values: np.ndarray, n: int) -> None:
        self.seq: np.ndarray = meta["seq"][:n]
        self.timestamp_ns: np.ndarray = meta["timestamp_ns"][:n]
        self.epoch: np.ndarray = meta["epoch"][:n]
        self.lost: np.ndarray = meta["lost"][:n]
        self.values: np.ndarray = values[:n]

    def __len__(self) -> int:
        return len(self.seq)

    def __repr__(self) -> str:
        n = len(self)
        first = int(self.seq[0]) if n else None
        return (f"<shmseq.Batch of {n} samples, first #{first}, "
                f"lost {int(self.lost.sum()) if n else 0}>")


class ReaderStats(NamedTuple):
    """A reader's counters since it attached (Reader.stats)."""
    received: int
    lost: int
    first: int
    next: int
    epoch: int
    epoch_changes: int


_field_docs(
    ReaderStats,
    received="Samples returned.",
    lost="Samples skipped; received + lost == next - first.",
    first="Number of the sample the reader started at.",
    next="Number of the sample it expects next.",
    epoch="Epoch of the last sample returned (0: none yet).",
    epoch_changes="Times a new writer epoch was seen.")


class RegionInfo(NamedTuple):
    """What shmseq.info() tells about a region (its header, checked)."""
    name: str
    width: int
    capacity: int
    epoch: int
    head: int
    writer_alive: bool
    writer_pid: int
    region_size: int
    slot_size: int
    layout_version: int
    created_realtime_ns: int
    created_monotonic_ns: int
    no_wake: bool


_field_docs(
    RegionInfo,
    name="The region's name.",
    width="Values per sample.",
    capacity="Slots in the ring.",
    epoch="0 until a writer attached, then +1 per writer.",
    head="Number of the next sample to be published.",
    writer_alive="True if a writer holds the region now.",
    writer_pid="The last writer's process id, for display only; 0 if none.",
    region_size="Bytes of the region.",
    slot_size="Bytes of one slot.",
    layout_version="Version of the shared layout.",
    created_realtime_ns="CLOCK_REALTIME at creation (ns).",
    created_monotonic_ns="CLOCK_MONOTONIC at creation (ns).",
    no_wake="True if the last writer never wakes readers (they poll).")


def _name(name: str) -> bytes:
    if not isinstance(name, str):
        raise TypeError(f"region name must be str, not {type(name).__name__}")
    return name.encode("utf-8", "surrogateescape")


def _timeout_ns(timeout: Optional[float]) -> int:
    if timeout is None:
        return -1
    if timeout < 0:
        raise ValueError("timeout must be None (wait forever) or >= 0 seconds")
    return int(timeout * 1e9)


def _no_pickle(self):
    raise TypeError(f"a shmseq.{type(self).__name__} cannot be sent to another "
                    "process: open it in the process that uses it")


class Writer:
    """The one writer of region *name*: creates it, or takes it over.

    Writer(name, width, capacity=1024, mode=0o600, recreate=False)

    width     float64 values per sample, 1..64
    capacity  slots in the ring, a power of two (2..2**20): how far a
              reader may fall behind before it loses samples
    mode      permission bits of a new region
    recreate  if the region exists with another width or capacity (or is
              unusable) and no writer holds it, remove and recreate it
              (else FileExistsError)

    A region whose last writer died is taken over: the epoch goes up and
    the numbering continues. A second live writer gets OSError(EBUSY).
    The region stays after close() (for readers and the next writer);
    shmseq.remove() removes it. Publishing never blocks: readers that are
    slow, stopped or dead change nothing here.

    Open it in the process that publishes (not before a fork: a forked
    child would share the writer lock), and publish from one thread at a
    time, as in C.
    """

    __reduce__ = _no_pickle

    def __init__(self, name: str, width: int, capacity: int = 1024,
                 mode: int = 0o600, recreate: bool = False) -> None:
        self._hp = None
        cfg = _lib.Config_t(width, capacity, mode,
                            _lib.WRITER_RECREATE if recreate else 0)
        self._handle = ctypes.create_string_buffer(_lib.WRITER_SIZE)
        _lib.check(_lib.writer_open(ctypes.addressof(self._handle), _name(name),
                                    ctypes.byref(cfg)), name)
        self._hp = ctypes.addressof(self._handle)
        self._chp = ctypes.c_void_p(self._hp)  # what the fast calls take
        self.name: str = name
        """The region's name."""
        self.width: int = width
        """Values per sample."""
        self.capacity: int = capacity
        """Slots in the ring."""
        self._buf = (ctypes.c_double * width)()
        self._bufp = ctypes.addressof(self._buf)
        self._cbufp = ctypes.c_void_p(self._bufp)
        self._pack = struct.Struct(f"={width}d").pack_into
        self._next = _lib.writer_next(self._hp)

    def _closed(self) -> ValueError:
        return ValueError(f"shmseq.Writer {self.name!r} is closed")

    def publish(self, values: ArrayLike, timestamp_ns: Optional[int] = None) -> int:
        """Publish one sample of *width* values; returns its sample number.

        values        a sequence or 1-D array of width floats
        timestamp_ns  CLOCK_MONOTONIC ns; None: now (time.monotonic_ns())
        Never blocks. ValueError if values has the wrong length.
        """
        if self._hp is None:
            raise self._closed()
        try:
            if type(values) is np.ndarray:
                if values.ndim != 1:
                    raise struct.error
                values = values.tolist()  # Python floats: the fastest to pack
            self._pack(self._buf, 0, *values)
        except (struct.error, TypeError):
            raise ValueError(f"values must be {self.width} floats, not "
                             f"{values!r:.60}") from None
        _lib.publish(self._chp, self._cbufp, _c_uint64(
            _monotonic_ns() if timestamp_ns is None else timestamp_ns))
        n = self._next
        self._next = n + 1
        return n

    def publish_many(self, values: np.ndarray,
                     timestamps: Optional[ArrayLike] = None) -> int:
        """Publish each row of a (n, width) array as one sample, in order.

        timestamps  n CLOCK_MONOTONIC ns values; None: each row is stamped
                    with the time it is published
        Returns the sample number of the first row (the rows get
        consecutive numbers). Never blocks.
        """
        if self._hp is None:
            raise self._closed()
        arr = np.ascontiguousarray(values, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != self.width:
            raise ValueError(f"values has shape {arr.shape}, the region wants "
                             f"(n, {self.width})")
        n = arr.shape[0]
        if timestamps is not None:
            ts = np.asarray(timestamps, dtype=np.uint64)
            if ts.shape != (n,):
                raise ValueError(f"{ts.shape} timestamps for {n} rows")
            ts = ts.tolist()
        base = arr.__array_interface__["data"][0]
        row = 8 * self.width
        publish, chp, ptr = _lib.publish, self._chp, ctypes.c_void_p
        first = self._next
        for i in range(n):
            publish(chp, ptr(base + i * row),
                    _c_uint64(_monotonic_ns() if timestamps is None else ts[i]))
        self._next = first + n
        return first

    @property
    def next_seq(self) -> int:
        """Number the next publish() will get."""
        if self._hp is None:
            raise self._closed()
        return self._next

    @property
    def epoch(self) -> int:
        """This writer's epoch (1 for the region's first writer, +1 per takeover)."""
        if self._hp is None:
            raise self._closed()
        return int(_lib.writer_epoch(self._hp))

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._hp is None

    def close(self) -> None:
        """Stop writing; the region stays for readers and the next writer.
        Safe to call twice."""
        if self._hp is not None:
            _lib.writer_close(self._hp)
            self._hp = None

    def __enter__(self) -> "Writer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._hp is None else f"next #{self._next}"
        return (f"<shmseq.Writer {self.name!r} width {self.width} capacity "
                f"{self.capacity}, {state}>")


class Reader:
    """A reader of region *name*, with its own position in the stream.

    Reader(name, oldest=False, any_owner=False)

    oldest     start with the oldest sample still in the ring (default:
               with the next sample published after opening)
    any_owner  accept a region that belongs to another user

    FileNotFoundError if there is no such region (yet). Reading never
    disturbs the writer or other readers. A reader that falls more than
    the ring's capacity behind skips ahead; each sample's `lost` says how
    many were skipped just before it. One thread at a time per Reader
    (each thread may have its own).
    """

    __reduce__ = _no_pickle

    def __init__(self, name: str, oldest: bool = False, any_owner: bool = False) -> None:
        self._hp = None
        flags = (_lib.START_OLDEST if oldest else 0) | \
                (_lib.READER_ANY_OWNER if any_owner else 0)
        self._handle = ctypes.create_string_buffer(_lib.READER_SIZE)
        _lib.check(_lib.reader_open(ctypes.addressof(self._handle), _name(name),
                                    flags), name)
        self._hp = ctypes.addressof(self._handle)
        self.name: str = name
        """The region's name."""
        self.width: int = int(_lib.reader_width(self._hp))
        """Values per sample."""
        self._meta = ctypes.create_string_buffer(_SAMPLE.size)
        self._metap = ctypes.addressof(self._meta)
        self._vals = np.empty(self.width, dtype=np.float64)
        self._valsp = self._vals.__array_interface__["data"][0]
        # prebuilt arguments of the fast calls
        self._fast_args = (ctypes.c_void_p(self._hp), ctypes.c_void_p(self._metap),
                           ctypes.c_void_p(self._valsp), ctypes.c_uint32(self.width))
        self._cwidth = ctypes.c_uint32(self.width)

    def _closed(self) -> ValueError:
        return ValueError(f"shmseq.Reader {self.name!r} is closed")

    def _sample(self) -> Sample:
        seq, ts, lost, epoch, _ = _SAMPLE.unpack_from(self._meta)
        return _tuple_new(Sample, (seq, ts, epoch, lost, self._vals.copy()))

    def read(self, timeout: Optional[float] = None) -> Sample:
        """The next sample, waiting up to *timeout* seconds for it.

        timeout  None: wait as long as it takes; 0: do not wait
        Raises TimeoutError if nothing came in time (BlockingIOError for
        timeout=0), OSError(EBADMSG) if the region was truncated or
        destroyed under the reader. Waiting sleeps in the kernel (no CPU
        used) and lets other Python threads run.
        """
        hp = self._hp
        if hp is None:
            raise self._closed()
        if timeout == 0:
            rc = _lib.read(*self._fast_args)
        else:
            rc = self._wait(_lib.read_wait, timeout, hp, self._metap,
                            self._valsp, self.width)
        if rc < 0:
            raise _lib.error(rc, self.name)
        seq, ts, lost, epoch, _ = _SAMPLE.unpack_from(self._meta)  # inlined _sample()
        return _tuple_new(Sample, (seq, ts, epoch, lost, self._vals.copy()))

    def _wait(self, fn, timeout, *args) -> int:
        # A signal interrupts the C wait (-EINTR); its Python handler runs
        # when we return to the interpreter (KeyboardInterrupt raises
        # there), so otherwise wait again for what is left (PEP 475).
        ns = _timeout_ns(timeout)
        deadline = _monotonic_ns() + ns
        while True:
            rc = fn(*args, ns)
            if rc != -errno.EINTR:
                return rc
            if ns >= 0:
                ns = max(0, deadline - _monotonic_ns())

    def read_many(self, max_n: int, timeout: Optional[float] = None) -> Batch:
        """Up to *max_n* samples in one C call, into numpy arrays.

        Waits up to *timeout* seconds (None: as long as it takes; 0: not
        at all) until at least one sample is there, then takes what is
        there, up to max_n, without waiting for more. Returns a Batch,
        empty if nothing came in time. The loss accounting is that of
        max_n single reads: batch.lost[i] counts the samples lost just
        before sample i. Batches of a few thousand are the fastest.
        """
        hp = self._hp
        if hp is None:
            raise self._closed()
        max_n = int(max_n)
        if not 1 <= max_n <= 0x7FFFFFFF:
            raise ValueError("max_n must be 1 .. 2**31 - 1")
        meta = np.empty(max_n, dtype=_lib.SAMPLE_DTYPE)
        values = np.empty((max_n, self.width), dtype=np.float64)
        mp = meta.__array_interface__["data"][0]
        vp = values.__array_interface__["data"][0]
        if timeout == 0:
            rc = _lib.read_many(self._fast_args[0], ctypes.c_void_p(mp),
                                ctypes.c_void_p(vp), self._cwidth,
                                ctypes.c_uint32(max_n))
        else:
            rc = self._wait(_lib.read_many_wait, timeout, hp, mp, vp,
                            self.width, max_n)
        if rc == -errno.EAGAIN or rc == -errno.ETIMEDOUT:
            rc = 0
        elif rc < 0:
            raise _lib.error(rc, self.name)
        return Batch(meta, values, rc)

    def latest(self) -> Optional[Sample]:
        """The newest sample, or None if nothing is newer than the last one
        this reader returned. Older unread samples are skipped and counted
        as lost. Never waits."""
        hp = self._hp
        if hp is None:
            raise self._closed()
        rc = _lib.read_latest(*self._fast_args)
        if rc == -errno.EAGAIN:
            return None
        if rc < 0:
            raise _lib.error(rc, self.name)
        return self._sample()

    def __iter__(self) -> Iterator[Sample]:
        """Each sample as it comes (`for s in reader:`), waiting for it.

        The iteration ends once every sample is read and no writer can
        publish more to this reader: the region's name was removed, or
        now names a new region (see writer_alive), or no writer holds it
        after this reader got at least one sample (a reader started
        before its writer waits for it).
        """
        got = False
        while True:
            try:
                s = self.read(timeout=0.2)
            except TimeoutError:
                rc = self._alive()
                gone = rc in (-errno.ENOENT, -errno.ESTALE) or (got and rc == 0)
                if gone and len(self.read_many(1, timeout=0)) == 0:
                    return
                continue
            got = True
            yield s

    def _alive(self) -> int:
        if self._hp is None:
            raise self._closed()
        return _lib.writer_alive(self._hp)

    @property
    def stats(self) -> ReaderStats:
        """The reader's counters since it attached (received, lost, ...)."""
        if self._hp is None:
            raise self._closed()
        st = _lib.Stats_t()
        _lib.reader_stats(self._hp, ctypes.byref(st))
        return ReaderStats(st.received, st.lost, st.first, st.next, st.epoch,
                           st.epoch_changes)

    @property
    def head(self) -> int:
        """Number of the next sample the writer will publish (samples
        published since attaching: head - stats.first)."""
        if self._hp is None:
            raise self._closed()
        return int(_lib.reader_head(self._hp))

    @property
    def writer_alive(self) -> bool:
        """True if a writer holds this reader's region now. False if none
        does, if the region's name was removed, or if the name now names a
        new region (a writer recreated it: open a new Reader to follow
        it). A system call or two: not for every sample."""
        rc = self._alive()
        if rc in (-errno.ENOENT, -errno.ESTALE):
            return False
        return _lib.check(rc, self.name) == 1

    @property
    def closed(self) -> bool:
        """True once close() was called."""
        return self._hp is None

    def close(self) -> None:
        """Detach from the region. Safe to call twice."""
        if self._hp is not None:
            _lib.reader_close(self._hp)
            self._hp = None

    def __enter__(self) -> "Reader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._hp is None:
            return f"<shmseq.Reader {self.name!r} closed>"
        st = self.stats
        return (f"<shmseq.Reader {self.name!r} width {self.width}, next "
                f"#{st.next}, received {st.received}, lost {st.lost}>")


def info(name: str) -> RegionInfo:
    """Describe region *name* without attaching to it (any owner's).

    FileNotFoundError if there is none; OSError(EBADMSG) if it is corrupt,
    OSError(EPROTO) if it has another layout version or byte order.
    """
    buf = ctypes.create_string_buffer(_lib.INFO_SIZE)
    _lib.check(_lib.info(_name(name), buf), name)
    i = _lib.Info_t.from_buffer(buf)
    return RegionInfo(name, i.width, i.capacity, i.epoch, i.head,
                      bool(i.writer_alive), i.writer_pid, i.region_size,
                      i.slot_size, i.layout_version, i.created_realtime_ns,
                      i.created_monotonic_ns, bool(i.no_wake))


def list() -> builtins.list[str]:
    """The names of every shmseq region on this system, sorted."""
    names: builtins.list[str] = []

    def one(ctx, name):
        names.append(name.decode("utf-8", "surrogateescape"))
        return 0

    _lib.check(_lib.list_regions(_lib.LIST_FN(one), None))
    return sorted(names)


def remove(name: str, force: bool = False) -> None:
    """Remove region *name*. Readers attached keep their mapping.

    force  remove it even while a writer holds it (the writer keeps
           publishing into the old region, which nobody can open by name;
           the next writer creates a new one)
    FileNotFoundError if there is none; OSError(EBUSY) if a writer holds
    it and force is False.
    """
    _lib.check(_lib.remove(_name(name), _lib.REMOVE_FORCE if force else 0), name)
