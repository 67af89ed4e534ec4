# SPDX-License-Identifier: MIT
"""Loading libshmseq.so with ctypes, and the C structures the API passes.

Everything that touches shared memory happens in the C library: the
seqlock, its memory orders, the loss accounting. This module only finds the
library, declares the functions it calls and turns negative errno returns
into OSError subclasses carrying shmseq_strerror()'s sentence.

Where the library comes from, first match wins:

1. the file named by the SHMSEQ_LIBRARY environment variable;
2. the copy installed inside this package (``pip install ./python`` copies
   the libshmseq.so the build made, see python/setup.py);
3. the system loader's ``libshmseq.so.0.1`` (``cmake --install`` into a
   prefix the loader searches, such as /usr/local/lib).
"""
from __future__ import annotations

import ctypes
import os
from ctypes import POINTER, c_char_p, c_int, c_int64, c_size_t, c_uint, c_uint32, c_uint64, c_void_p

import numpy as np

#: The SONAME this package was written for (major.minor: the ABI of 0.x).
SONAME = "libshmseq.so.0.1"

_HERE = os.path.dirname(os.path.abspath(__file__))


def _candidates() -> list[str]:
    env = os.environ.get("SHMSEQ_LIBRARY")
    if env:
        return [env]  # an explicit choice is never second-guessed
    out = []
    bundled = os.path.join(_HERE, SONAME)
    if os.path.exists(bundled):
        out.append(bundled)
    out.append(SONAME)
    return out


def _load() -> tuple[ctypes.CDLL, ctypes.PyDLL, str]:
    tried = []
    for path in _candidates():
        try:
            # Two handles on one library: PyDLL keeps the GIL (the
            # non-blocking calls take tens of nanoseconds; releasing and
            # retaking the GIL would cost more), CDLL releases it for the
            # calls that may sleep, so other Python threads run meanwhile.
            return ctypes.CDLL(path), ctypes.PyDLL(path), path
        except OSError as e:
            tried.append(f"{path}: {e}")
    raise ImportError(
        "shmseq: cannot load the C library libshmseq.so. Build it (make, or "
        "cmake --build --preset release), then either set SHMSEQ_LIBRARY to "
        "the .so, install the package with `pip install ./python` after the "
        "build, or `cmake --install` the library. Tried:\n  " + "\n  ".join(tried))


_cdll, _pydll, LIBRARY_PATH = _load()


class Sample_t(ctypes.Structure):
    """struct shmseq_sample."""
    _fields_ = [("seq", c_uint64), ("timestamp_ns", c_uint64), ("lost", c_uint64),
                ("epoch", c_uint32), ("width", c_uint32)]


class Stats_t(ctypes.Structure):
    """struct shmseq_reader_stats."""
    _fields_ = [("received", c_uint64), ("lost", c_uint64), ("first", c_uint64),
                ("next", c_uint64), ("epoch", c_uint32), ("epoch_changes", c_uint32)]


class Info_t(ctypes.Structure):
    """struct shmseq_region_info."""
    _fields_ = [("layout_version", c_uint32), ("header_size", c_uint32),
                ("slot_size", c_uint32), ("width", c_uint32), ("capacity", c_uint32),
                ("epoch", c_uint32), ("writer_pid", c_uint32), ("writer_alive", c_uint32),
                ("region_size", c_uint64), ("head", c_uint64),
                ("created_realtime_ns", c_uint64), ("created_monotonic_ns", c_uint64),
                ("no_wake", c_uint32)]


class Config_t(ctypes.Structure):
    """struct shmseq_config."""
    _fields_ = [("width", c_uint32), ("capacity", c_uint32), ("mode", c_uint32),
                ("flags", c_uint32)]


#: numpy's view of an array of struct shmseq_sample (read_many's metadata).
SAMPLE_DTYPE = np.dtype([("seq", np.uint64), ("timestamp_ns", np.uint64),
                         ("lost", np.uint64), ("epoch", np.uint32), ("width", np.uint32)])
assert SAMPLE_DTYPE.itemsize == ctypes.sizeof(Sample_t)

# Flags, as include/shmseq/*.h defines them.
START_OLDEST = 1
READER_ANY_OWNER = 0x20
WRITER_RECREATE = 0x1
REMOVE_FORCE = 0x1

LIST_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p)


def _declare(dll: ctypes.CDLL, name: str, restype, *argtypes):
    try:
        f = getattr(dll, name)
    except AttributeError:
        raise ImportError(f"shmseq: {LIBRARY_PATH} has no {name}(): "
                          "the library is older than this package") from None
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


def _fast(name: str):
    """A non-blocking call without argtypes: ctypes' per-argument conversion
    would cost three times the call itself. Callers pass ctypes objects
    only (c_void_p for pointers, c_uint32/c_uint64 for integers); every
    such function returns int."""
    f = _declare(_pydll, name, c_int)
    f.argtypes = None
    return f


# Calls that may sleep (GIL released) ...
read_wait = _declare(_cdll, "shmseq_read_wait", c_int, c_void_p, c_void_p, c_void_p, c_uint32, c_int64)
read_many_wait = _declare(_cdll, "shmseq_read_many_wait", c_int,
                          c_void_p, c_void_p, c_void_p, c_uint32, c_uint32, c_int64)
writer_open = _declare(_cdll, "shmseq_writer_open", c_int, c_void_p, c_char_p, POINTER(Config_t))
reader_open = _declare(_cdll, "shmseq_reader_open", c_int, c_void_p, c_char_p, c_uint)
info = _declare(_cdll, "shmseq_info", c_int, c_char_p, c_void_p)
remove = _declare(_cdll, "shmseq_remove", c_int, c_char_p, c_uint)
list_regions = _declare(_cdll, "shmseq_list", c_int, LIST_FN, c_void_p)
writer_alive = _declare(_cdll, "shmseq_reader_writer_alive", c_int, c_void_p)
# ... and the ones that never block (GIL kept); the hot ones unchecked.
publish = _fast("shmseq_publish")      # (w, values, c_uint64 timestamp)
read = _fast("shmseq_read")            # (r, meta, values, c_uint32 max)
read_many = _fast("shmseq_read_many")  # (r, meta, values, c_uint32 stride, c_uint32 n)
read_latest = _fast("shmseq_read_latest")
writer_close = _declare(_pydll, "shmseq_writer_close", None, c_void_p)
writer_next = _declare(_pydll, "shmseq_writer_next", c_uint64, c_void_p)
writer_epoch = _declare(_pydll, "shmseq_writer_epoch", c_uint32, c_void_p)
reader_close = _declare(_pydll, "shmseq_reader_close", None, c_void_p)
reader_width = _declare(_pydll, "shmseq_reader_width", c_uint32, c_void_p)
reader_head = _declare(_pydll, "shmseq_reader_head", c_uint64, c_void_p)
reader_stats = _declare(_pydll, "shmseq_reader_get_stats", None, c_void_p, POINTER(Stats_t))
strerror = _declare(_pydll, "shmseq_strerror", c_char_p, c_int)
now_ns = _declare(_pydll, "shmseq_now_ns", c_uint64)
WRITER_SIZE = _declare(_pydll, "shmseq_writer_handle_size", c_size_t)()
READER_SIZE = _declare(_pydll, "shmseq_reader_handle_size", c_size_t)()
INFO_SIZE = max(ctypes.sizeof(Info_t), 512)  # room if the C struct grows


def error(rc: int, name: str | None = None) -> OSError:
    """The OSError for a negative errno *rc* from the library.

    OSError(errno, ...) picks the matching subclass itself (ENOENT gives
    FileNotFoundError, ETIMEDOUT TimeoutError, EAGAIN BlockingIOError, ...);
    the message is shmseq_strerror()'s sentence, and *name* the region.
    """
    msg = strerror(rc).decode("utf-8", "replace")
    if name is None:
        return OSError(-rc, msg)
    return OSError(-rc, msg, name)


def check(rc: int, name: str | None = None) -> int:
    """*rc* if it is not negative, else raise error(rc, name)."""
    if rc < 0:
        raise error(rc, name)
    return rc
