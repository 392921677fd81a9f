"""Host buffers that values are read into from weight files.

Every buffer starts on a 64-byte boundary, so a value read into one becomes a
JAX array without a copy on the CPU backend (``jax.device_put`` adopts it).
On Linux, large buffers are memory maps faulted in ahead of the read, on a
helper thread (``heft/_platform/_prefault.py``, switch ``HEFT_PREFAULT_BUFFERS``);
with the switch off or on another system they are plain ``numpy.empty``
buffers. The values read into them are the same either way.
"""

from __future__ import annotations

import contextlib
import math
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, NamedTuple

import numpy as np

from .._platform import _prefault
from ._threads import helper

# Buffers read from files start on this boundary, which JAX's CPU backend needs
# to adopt them without a copy.
ALIGNMENT = 64
# Values prepared ahead of the one being read (the memory of one or two values
# more than a load would hold anyway, and only until they are read).
AHEAD = 2


class Taken(NamedTuple):
    """A new array to read a value into, and how to get its pages ready.

    ``ready(n)`` returns once the first ``n`` bytes of ``array`` are faulted
    in; a reader calls it before it reads each piece of the value.
    """

    array: np.ndarray
    ready: Callable[[int], None]


# What the readers call for each new array: ``take(shape, dtype)``.
Take = Callable[[tuple[int, ...], Any], Taken]


def _view(raw: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return raw.view(dtype).reshape(shape)


def aligned_empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new uninitialised array whose data starts on a 64-byte boundary.

    Where load buffers are faulted in ahead (see the module's docstring),
    arrays of ``_prefault.MAPPED_BYTES`` or more are memory maps of their own,
    freed with the last array that uses them and faulted in here.

    >>> aligned_empty((2, 3), "float32").ctypes.data % 64
    0
    >>> aligned_empty((1024, 1024), "float32").ctypes.data % 64
    0
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes >= _prefault.MAPPED_BYTES and _prefault.applies():
        return _view(_prefault.faulted(nbytes), shape, dtype)
    return numpy_aligned(shape, dtype)


def numpy_aligned(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new uninitialised array allocated by numpy, its data on a 64-byte boundary.

    >>> numpy_aligned((1024, 1024), "float32").ctypes.data % 64
    0
    """
    dtype = np.dtype(dtype)
    nbytes = math.prod(shape) * dtype.itemsize
    raw = np.empty(nbytes + ALIGNMENT, np.uint8)
    start = -raw.ctypes.data % ALIGNMENT
    return _view(raw[start : start + nbytes], shape, dtype)


def plain(shape: tuple[int, ...], dtype: Any) -> Taken:
    """A new :func:`aligned_empty` array, ready to be read into at once."""
    return Taken(aligned_empty(shape, dtype), _nothing)


def _nothing(nbytes: int) -> None:
    del nbytes


class Ahead:
    """Buffers for values to be read in a known order, each prepared before it is needed.

    ``sizes`` are the byte sizes of the values, in the order they will be
    asked for. Where load buffers are faulted in ahead (see the module's
    docstring), up to ``AHEAD`` of the next large ones are mapped and faulted
    in on a helper thread while the caller reads the file into the current
    one, and :meth:`take` hands over the next buffer when it matches what is
    asked for. Otherwise, and for any other request, :meth:`take` gives a
    :func:`plain` buffer.

    >>> ahead = Ahead([6 << 20, 24])
    >>> big = ahead.take((3 << 20,), "float16")
    >>> big.ready(big.array.nbytes)  # returns once every page of it is faulted in
    >>> big.array.nbytes, ahead.take((2, 3), "float32").array.shape
    (6291456, (2, 3))
    >>> ahead.close()
    """

    def __init__(self, sizes: Sequence[int]) -> None:
        # The plain path prepares nothing: every take is a plain buffer.
        self._sizes = deque(int(n) for n in sizes) if _prefault.applies() else deque()
        self._pending: deque[tuple[int, _prefault.Filling | None, Future | None]] = deque()
        # The buffer being read, maybe still filling.
        self._current: _prefault.Filling | None = None
        self._fill()

    def _fill(self) -> None:
        while self._sizes and len(self._pending) < AHEAD:
            nbytes = self._sizes.popleft()
            if nbytes >= _prefault.MAPPED_BYTES:
                filling = _prefault.Filling(nbytes)
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
