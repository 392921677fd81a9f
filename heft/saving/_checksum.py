"""Per-entry checksums of heft-written weight files: computed on save, verified on load."""

from __future__ import annotations

import math
import re
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import ml_dtypes
import numpy as np
import xxhash

from ._threads import helper

# The HDF5 attribute heft adds to each dataset it writes (Keras ignores it).
ATTRIBUTE = "checksum"
# Checksums are "<algorithm>:<hex digest>". heft writes XXH3-64, fast enough to
# hash on one helper thread while the file is read or written; files from
# earlier versions carry CRC-32, which is still verified.
WRITTEN = "xxh3"
_HEX_DIGITS = {"xxh3": 16, "crc32": 8}
PLACEHOLDER = f"{WRITTEN}:" + "0" * _HEX_DIGITS[WRITTEN]
_PATTERN = re.compile(r"(xxh3:[0-9a-f]{16})|(crc32:[0-9a-f]{8})")
# Arrays at least this large are checksummed on a helper thread while the caller
# reads or writes them (the hashes and file I/O all release the GIL).
BACKGROUND_BYTES = 1 << 20
# Large arrays are read, written and checksummed in pieces of about this size.
CHUNK_BYTES = 16 << 20


def _dtype_token(array: np.ndarray) -> str:
    return "bfloat16" if array.dtype == ml_dtypes.bfloat16 else array.dtype.str


def digest(array: np.ndarray, name: str, algorithm: str = WRITTEN) -> str:
    """A checksum over ``name``, the dtype, the shape and the bytes of ``array``.

    ``name`` is the entry's last key component (``"0"``, ``"1"``...), so a value
    moved to another index of its group, or read with another dtype, byte order
    or shape than it was written with, fails the check as surely as damaged bytes.
    The bytes are read in place (no copy) when ``array`` is contiguous.
    ``algorithm`` is ``"xxh3"`` (what heft writes) or ``"crc32"`` (what it wrote before).

    >>> digest(np.zeros(2, "float32"), "0", "crc32")
    'crc32:42129d94'
    >>> digest(np.zeros(2, "float32"), "0")
    'xxh3:4a20fb75cd80e1a6'
    """
    pending = Digest(array, name, algorithm, background=False)
    pending.update(np.ascontiguousarray(array))
    return pending.result()


def algorithm_of(checksum: str) -> str:
    """The algorithm named by a checksum string.

    >>> algorithm_of("crc32:42129d94")
    'crc32'
    """
    return checksum.split(":", 1)[0]


class Digest:
    """The :func:`digest` of an array computed from its bytes fed in order, chunk by chunk.

    For arrays of at least ``BACKGROUND_BYTES`` the chunks are checksummed on
    a helper thread (one thread: chunks are processed in the order fed), so a
    reader or writer overlaps its I/O of the next chunk with the checksum of
    the last one.

    >>> a = np.arange(6, dtype="float32")
    >>> d = Digest(a, "0")
    >>> d.update(a[:2]); d.update(a[2:])
    >>> d.result() == digest(a, "0")
    True
    """

    def __init__(
        self, array: np.ndarray, name: str, algorithm: str = WRITTEN, background: bool = True
    ) -> None:
        if algorithm not in _HEX_DIGITS:
            raise ValueError(f"Unknown checksum algorithm {algorithm!r}; heft knows xxh3, crc32.")
        head = f"{name}|{_dtype_token(array)}|{tuple(array.shape)}|".encode()
        self._algorithm = algorithm
        self._crc = 0
        self._hash = None
        if algorithm == "xxh3":
            self._hash = xxhash.xxh3_64(head)
        else:
            self._crc = zlib.crc32(head)
        self._background = background and array.nbytes >= BACKGROUND_BYTES
        self._last: Future | None = None

    def _add(self, data: np.ndarray) -> None:
        if self._hash is not None:
            self._hash.update(data)
        else:
            self._crc = zlib.crc32(data, self._crc)

    def update(self, chunk: np.ndarray) -> None:
        """Add the next bytes (a C-contiguous piece of the array, in order)."""
        data = chunk.reshape(-1).view(np.uint8)
        if self._background:
            self._last = helper("heft-checksum").submit(self._add, data)
        else:
            self._add(data)

    def result(self) -> str:
        """The checksum, once every chunk fed so far has been added."""
        if self._last is not None:
            self._last.result()
        if self._hash is not None:
            return f"xxh3:{self._hash.intdigest():016x}"
        return f"crc32:{self._crc:08x}"


def pieces(shape: tuple[int, ...], itemsize: int) -> list[slice]:
    """Slices along the first axis cutting an array into parts of about ``CHUNK_BYTES``.

    A 0-d array has no first axis: it gets ``[]``, and callers move it whole.

    >>> pieces((4, 3), 4)
    [slice(0, 4, None)]
    """
    if not shape:
        return []
    row = itemsize * math.prod(shape[1:])
    step = max(1, CHUNK_BYTES // row) if row else shape[0] or 1
    return [slice(i, min(i + step, shape[0])) for i in range(0, shape[0], step)]


def checker(
    pending: Digest | None, key: str, expected: str | None, filepath: str
) -> Callable[[], None]:
    """A function that waits for ``pending`` and raises if it differs from ``expected``.

    ``pending`` is ``None`` for entries without a checksum (files not written by
    heft): then the function checks nothing.

    Raises:
        ValueError: When called, if the checksums differ.
    """

    def check() -> None:
        if pending is not None and expected is not None:
            _compare(pending.result(), key, expected, filepath)

    return check


def parse(value: Any, where: str, filepath: str) -> str:
    """Check a stored checksum's form (``"xxh3:<16 hex digits>"`` or ``"crc32:<8 hex digits>"``) and return it.

    Raises:
        ValueError: If it has another form (the file is damaged).
    """
    if isinstance(value, bytes):
        value = value.decode("utf8", "replace")
    if not isinstance(value, str) or not _PATTERN.fullmatch(value):
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the checksum of '{where}' is "
            f"{value!r:.80}, not of the form 'xxh3:<16 hex digits>' or 'crc32:<8 hex digits>'. "
            "Nothing was loaded; save the file again or copy it again from its source."
        )
    return value


def verify(array: np.ndarray, key: str, expected: str | None, filepath: str) -> None:
    """Compare ``array`` (the value read for ``key``) with the checksum written with it.

    Files without checksums (``expected`` is ``None``), e.g. written by Keras,
    are not checked.

    Raises:
        ValueError: If the checksum differs: the entry's data was altered.
    """
    if expected is None:
        return
    name = key.rsplit("/", 1)[-1]
    _compare(digest(array, name, algorithm_of(expected)), key, expected, filepath)


def _compare(actual: str, key: str, expected: str, filepath: str) -> None:
    if actual != expected:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the data of entry '{key}' does not match "
            f"the checksum written with it ({actual} instead of {expected}); the file was "
            "damaged or edited after saving. Nothing was loaded; save the file again or copy "
            "it again from its source."
        )
