"""Load buffers faulted in ahead of the read, on Linux (``HEFT_PREFAULT_BUFFERS``).

Exists because faulting fresh memory in, page by page, is most of a large
load's time. With the switch on, on Linux, each value of at least
``MAPPED_BYTES`` is read into an anonymous memory map of its own that is
faulted in before the file is read into it: with ``madvise(MADV_POPULATE_WRITE)``
(Linux 5.14 and later), which releases the GIL while the kernel works, or else
by writing one zero into each page. A :class:`Filling` buffer is faulted in
``PIECE_BYTES`` at a time, front to back, by a helper thread while the reader
copies the file into the pieces already done; the reader faults in itself the
pieces it reaches first, so two cores share the work.

The maps ask for ordinary pages, not the transparent huge pages numpy asks for
for large arrays: a VM that hands free memory back to its host does so in
blocks the size of a huge page, so a huge-page allocation is the likeliest to
need its memory supplied again (``bench/README.md`` has the figures).

With the switch off, or on another system, loads read into plain aligned
``numpy`` buffers (``heft/saving/_buffers.py``), faulted in as the file is
copied into them. The values read are the same, bit for bit.
"""

from __future__ import annotations

import ctypes
import errno
import mmap
import sys
import threading
from typing import Any

import numpy as np

from ._switches import PREFAULT_BUFFERS

# Values at least this large get a memory map of their own.
MAPPED_BYTES = 1 << 20
# A Filling buffer is faulted in in pieces of this size, front to back.
PIECE_BYTES = 1 << 20
_LINUX = sys.platform.startswith("linux")
_PAGE = mmap.PAGESIZE
_MADV_POPULATE_WRITE = 23  # Linux 5.14 and later


def applies() -> bool:
    """Whether loads fault their buffers in ahead here: the switch is on, on Linux."""
    return PREFAULT_BUFFERS.on and _LINUX


def _madvise() -> Any:
    if not _LINUX:
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
# Whether the kernel takes MADV_POPULATE_WRITE (it is asked until it refuses).
_populate_works = _MADVISE is not None


def _mapped(nbytes: int) -> np.ndarray:
    """``nbytes`` of new page-aligned anonymous memory, not yet faulted in."""
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
    return np.frombuffer(mmap.mmap(-1, nbytes, flags=flags), np.uint8)


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


def faulted(nbytes: int) -> np.ndarray:
    """``nbytes`` of new page-aligned memory (``uint8``), every page faulted in.

    >>> raw = faulted(3 << 20)
    >>> raw.nbytes, raw.ctypes.data % mmap.PAGESIZE, int(raw.max())
    (3145728, 0, 0)
    """
    raw = _mapped(nbytes)
    _fault_in(raw, 0, nbytes)
    return raw


class Filling:
    """A new mapped buffer of ``nbytes``, faulted in piece by piece, front to back.

    A helper thread runs :meth:`fill`; the reader calls :meth:`ready`. Each
    piece is claimed once, by whichever comes to it first, so when the reader
    catches up with the helper both fault pieces in, each its own.

    >>> filling = Filling(3 << 20)
    >>> filling.fill()
    >>> filling.ready(filling.raw.nbytes)  # returns at once: every piece is done
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
