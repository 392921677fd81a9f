"""Host buffers that values are read into from weight files.

A value read into one of these becomes a JAX array without a copy on the CPU
backend (the buffer is 64-byte aligned, so ``jax.device_put`` adopts it).

Large buffers are anonymous memory maps, faulted in before the file is read
into them; faulting fresh memory in is most of a load's time.
:class:`Ahead` faults the buffers in, 1 MiB at a time, on a helper thread
while the reader copies the file into the pages already done; the reader
faults in the pieces it reaches first itself, so both cores of a small
machine share the work.

The maps ask for ordinary pages, not transparent huge pages (which numpy
asks for). A VM that hands free memory back to its host does so in blocks
the size of a huge page, and the host must then supply each page again, so
a huge-page allocation is the likeliest to land there: with huge pages a
1 GiB load took 0.9-1.8 s in ``bench/weight_files.py`` on such a VM, against
0.34-0.57 s with ordinary pages.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import math
import mmap
import sys
import threading
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, NamedTuple

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
# A prepared buffer is faulted in in pieces of this size, front to back.
PIECE_BYTES = 1 << 20
_PAGE = mmap.PAGESIZE
_MAP_FLAGS = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
_MADV_POPULATE_WRITE = 23  # Linux 5.14 and later


class Taken(NamedTuple):
    """A new array to read a value into, and how to get its pages ready.

    ``ready(n)`` returns once the first ``n`` bytes of ``array`` are faulted
    in; a reader calls it before it reads each piece of the value.
    """

    array: np.ndarray
    ready: Callable[[int], None]


# What the readers call for each new array: ``take(shape, dtype)``.
Take = Callable[[tuple[int, ...], Any], Taken]


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


# ``madvise`` called through ctypes releases the GIL while the kernel works.
_MADVISE = _madvise()
# Whether the kernel takes MADV_POPULATE_WRITE (it is asked once).
_populate_works = _MADVISE is not None


def _view(raw: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return raw.view(dtype).reshape(shape)


def _mapped(nbytes: int) -> np.ndarray:
    """``nbytes`` of new page-aligned anonymous memory, not yet faulted in."""
    return np.frombuffer(mmap.mmap(-1, nbytes, flags=_MAP_FLAGS), np.uint8)


def _fault_in(raw: np.ndarray, start: int, stop: int) -> None:
    """Faults in the pages of ``raw[start:stop]`` for writing, without holding the GIL."""
    global _populate_works
    if _populate_works and _MADVISE is not None:
        if _MADVISE(raw.ctypes.data + start, stop - start, _MADV_POPULATE_WRITE) == 0:
            return
        if ctypes.get_errno() == errno.EINVAL:
            _populate_works = False  # an older kernel: touch the pages from now on
    # Writing a zero into each page of fresh anonymous memory faults it in and
    # changes nothing; numpy's strided copy releases the GIL.
    raw[start:stop:_PAGE] = 0


def aligned_empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new uninitialised array whose data starts on a 64-byte boundary.

    Arrays of 1 MiB or more are memory maps of their own (see the module's
    docstring), freed with the last array that uses them and faulted in here.

    >>> aligned_empty((2, 3), "float32").ctypes.data % 64
    0
    >>> aligned_empty((1024, 1024), "float32").ctypes.data % 4096
    0
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes >= MAPPED_BYTES:
        raw = _mapped(nbytes)
        _fault_in(raw, 0, nbytes)
        return _view(raw, shape, dtype)
    raw = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return _view(raw[start : start + nbytes], shape, dtype)


def plain(shape: tuple[int, ...], dtype: Any) -> Taken:
    """A new :func:`aligned_empty` array: its pages are already faulted in."""
    return Taken(aligned_empty(shape, dtype), _nothing)


def _nothing(nbytes: int) -> None:
    del nbytes


class _Filling:
    """A new mapped buffer faulted in piece by piece, front to back.

    The helper thread runs :meth:`fill`; the reader calls :meth:`ready`. Each
    piece is claimed once, by whichever comes to it first, so when the reader
    catches up with the helper both fault pieces in, each its own.
    """

    def __init__(self, nbytes: int) -> None:
        self.raw = _mapped(nbytes)
        self._nbytes = nbytes
        self._count = -(-nbytes // PIECE_BYTES)
        self._claimed = 0  # pieces are claimed in order: [0, claimed) are taken
        self._done = [False] * self._count
        self._prefix = 0  # pieces [0, prefix) are all faulted in
        self._stopped = False
        self._cond = threading.Condition()

    def _claim(self, below: int) -> int | None:
        with self._cond:
            if self._stopped or self._claimed >= min(below, self._count):
                return None
            self._claimed += 1
            return self._claimed - 1

    def _fault(self, piece: int) -> None:
        start = piece * PIECE_BYTES
        try:
            _fault_in(self.raw, start, min(start + PIECE_BYTES, self._nbytes))
        finally:
            with self._cond:
                self._done[piece] = True
                while self._prefix < self._count and self._done[self._prefix]:
                    self._prefix += 1
                self._cond.notify_all()

    def fill(self) -> None:
        """Faults in every piece not yet claimed (the helper thread's job)."""
        while (piece := self._claim(self._count)) is not None:
            self._fault(piece)

    def ready(self, nbytes: int) -> None:
        """Returns once the first ``nbytes`` are faulted in, faulting in unclaimed pieces."""
        needed = min(-(-nbytes // PIECE_BYTES), self._count)
        while (piece := self._claim(needed)) is not None:
            self._fault(piece)
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or self._prefix >= needed)

    def stop(self) -> None:
        """Stops claiming pieces (after a failed read; the pages then fault in on use)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()


class Ahead:
    """Buffers for values to be read in a known order, each prepared before it is needed.

    ``sizes`` are the byte sizes of the values, in the order they will be
    asked for. Up to ``AHEAD`` of the next large ones are mapped and faulted in
    on a helper thread while the caller reads the file into the current one.
    :meth:`take` hands over the next buffer when it matches what is asked for,
    and falls back to :func:`plain` when it does not.

    >>> ahead = Ahead([6 << 20, 24])
    >>> big = ahead.take((3 << 20,), "float16")
    >>> big.ready(big.array.nbytes)  # every page of it is faulted in
    >>> big.array.nbytes, ahead.take((2, 3), "float32").array.shape
    (6291456, (2, 3))
    >>> ahead.close()
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        self._sizes = deque(int(n) for n in sizes)
        self._pending: deque[tuple[int, _Filling | None, Future | None]] = deque()
        self._current: _Filling | None = None  # the buffer being read, maybe still filling
        self._fill()

    def _fill(self) -> None:
        while self._sizes and len(self._pending) < AHEAD:
            nbytes = self._sizes.popleft()
            if nbytes >= MAPPED_BYTES:
                filling = _Filling(nbytes)
                self._pending.append(
                    (nbytes, filling, helper("heft-prefault").submit(filling.fill))
                )
            else:
                self._pending.append((nbytes, None, None))

    def take(self, shape: tuple[int, ...], dtype: Any) -> Taken:
        """A new aligned array of ``shape`` and ``dtype``, and its ``ready`` function."""
        dtype = np.dtype(dtype)
        nbytes = math.prod(shape) * dtype.itemsize
        if not self._pending or self._pending[0][0] != nbytes:
            return plain(shape, dtype)
        _, filling, _ = self._pending.popleft()
        self._current = filling
        self._fill()
        if filling is None:
            return plain(shape, dtype)
        return Taken(_view(filling.raw, shape, dtype), filling.ready)

    def close(self) -> None:
        """Drop the buffers not taken (after a failed read), waiting for those being prepared.

        The helper thread also stops faulting in the last buffer taken.
        """
        self._sizes.clear()
        if self._current is not None:
            self._current.stop()
            self._current = None
        while self._pending:
            _, filling, job = self._pending.popleft()
            if filling is not None:
                filling.stop()
            if job is not None and not job.cancel():
                with contextlib.suppress(Exception):
                    job.result()
