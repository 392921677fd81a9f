"""Host buffers that values are read into from weight files.

A value read into one of these becomes a JAX array without a copy on the CPU
backend (the buffer is 64-byte aligned, so ``jax.device_put`` adopts it).
Large buffers are anonymous memory maps whose pages are faulted in before the
file is read into them: faulting a page in costs about as much as copying
four of them from the page cache, so a load spends most of its time there,
and :class:`Ahead` does it on a helper thread while the previous value is read.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import mmap
import sys
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

from ._threads import helper

# Buffers read from files start on this boundary, which JAX's CPU backend needs
# to adopt them without a copy.
ALIGNMENT = 64
# Buffers at least this large are memory maps of their own.
MAPPED_BYTES = 1 << 20
# Values prepared ahead of the one being read (the memory of one or two values
# more than a load would hold anyway, and only until they are read).
AHEAD = 2
_MAP_FLAGS = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
_MAP_POPULATE = getattr(mmap, "MAP_POPULATE", 0)
_MADV_POPULATE_WRITE = 23  # Linux 5.14 and later

# What the readers call for each new array: ``take(shape, dtype)``.
Take = Callable[[tuple[int, ...], Any], np.ndarray]


def _madvise() -> Any:
    if not sys.platform.startswith("linux"):
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).madvise
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


# ``madvise`` called through ctypes releases the GIL while the kernel works,
# which ``mmap.mmap(..., MAP_POPULATE)`` does not.
_MADVISE = _madvise()


def _view(raw: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return raw.view(dtype).reshape(shape)


def _mapped(nbytes: int, populate: bool) -> np.ndarray:
    flags = _MAP_FLAGS | (_MAP_POPULATE if populate else 0)
    return np.frombuffer(mmap.mmap(-1, nbytes, flags=flags), np.uint8)


def aligned_empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new uninitialised array whose data starts on a 64-byte boundary.

    Arrays of 1 MiB or more are anonymous memory maps, freed with the last
    array that uses them and populated when mapped (on Linux). numpy would ask
    the kernel for transparent huge pages instead, and while a model's old
    values are still held the kernel may then compact memory on every fault to
    find them (a 1 GiB load took 2.3 s instead of 1.2 s on a VM); populating
    up front costs about half of faulting the pages in one by one inside
    ``pread`` (0.4 s against 0.9 s per GiB there).

    >>> aligned_empty((2, 3), "float32").ctypes.data % 64
    0
    >>> aligned_empty((1024, 1024), "float32").ctypes.data % 4096
    0
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes >= MAPPED_BYTES:
        return _view(_mapped(nbytes, populate=True), shape, dtype)
    raw = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return _view(raw[start : start + nbytes], shape, dtype)


def _prepared(nbytes: int) -> np.ndarray:
    """A mapped buffer of ``nbytes``, its pages faulted in without holding the GIL."""
    if _MADVISE is None:
        return _mapped(nbytes, populate=True)
    raw = _mapped(nbytes, populate=False)
    # A kernel without MADV_POPULATE_WRITE refuses it: the pages then fault in
    # when the file is read into them, which is slower but the same.
    _MADVISE(raw.ctypes.data, nbytes, _MADV_POPULATE_WRITE)
    return raw


class Ahead:
    """Buffers for values to be read in a known order, each prepared before it is needed.

    ``sizes`` are the byte sizes of the values, in the order they will be
    asked for. Up to ``AHEAD`` of the next large ones are mapped and faulted in
    on a helper thread while the caller reads the file into the current one.
    :meth:`take` hands over the next buffer when it matches what is asked for,
    and falls back to :func:`aligned_empty` when it does not.

    >>> ahead = Ahead([6 << 20, 24])
    >>> ahead.take((3 << 20,), "float16").nbytes, ahead.take((2, 3), "float32").shape
    (6291456, (2, 3))
    >>> ahead.close()
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self._sizes = deque(int(n) for n in sizes)
        self._pending: deque[tuple[int, Future | None]] = deque()
        self._fill()

    def _fill(self) -> None:
        while self._sizes and len(self._pending) < AHEAD:
            nbytes = self._sizes.popleft()
            job = (
                helper("heft-prefault").submit(_prepared, nbytes)
                if nbytes >= MAPPED_BYTES
                else None
            )
            self._pending.append((nbytes, job))

    def take(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """A new aligned array of ``shape`` and ``dtype`` (see :func:`aligned_empty`)."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if not self._pending or self._pending[0][0] != nbytes:
            return aligned_empty(shape, dtype)
        _, job = self._pending.popleft()
        self._fill()
        if job is None:
            return aligned_empty(shape, dtype)
        return _view(job.result(), shape, dtype)

    def close(self) -> None:
        """Drop the buffers not taken (after a failed read), waiting for those being prepared."""
        self._sizes.clear()
        while self._pending:
            _, job = self._pending.popleft()
            if job is not None and not job.cancel():
                with contextlib.suppress(Exception):
                    job.result()
