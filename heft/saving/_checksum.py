"""Per-entry checksums of heft-written weight files: computed on save, verified on load."""

from __future__ import annotations

import re
import zlib
from typing import Any

import ml_dtypes
import numpy as np

# The HDF5 attribute heft adds to each dataset it writes (Keras ignores it).
ATTRIBUTE = "checksum"
_PATTERN = re.compile(r"crc32:[0-9a-f]{8}")


def _dtype_token(array: np.ndarray) -> str:
    return "bfloat16" if array.dtype == ml_dtypes.bfloat16 else array.dtype.str


def digest(array: np.ndarray, name: str) -> str:
    """A CRC-32 over ``name``, the dtype, the shape and the bytes of ``array``.

    ``name`` is the entry's last key component (``"0"``, ``"1"``...), so a value
    moved to another index of its group, or read with another dtype, byte order
    or shape than it was written with, fails the check as surely as damaged bytes.

    >>> digest(np.zeros(2, "float32"), "0")
    'crc32:42129d94'
    """
    head = f"{name}|{_dtype_token(array)}|{tuple(array.shape)}|".encode()
    flat = np.ascontiguousarray(array).reshape(-1).view(np.uint8)
    return f"crc32:{zlib.crc32(flat, zlib.crc32(head)):08x}"


def parse(value: Any, where: str, filepath: str) -> str:
    """Check a stored checksum's form (``"crc32:<8 hex digits>"``) and return it.

    Raises:
        ValueError: If it has another form (the file is damaged).
    """
    if isinstance(value, bytes):
        value = value.decode("utf8", "replace")
    if not isinstance(value, str) or not _PATTERN.fullmatch(value):
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the checksum of '{where}' is "
            f"{value!r:.80}, not of the form 'crc32:<8 hex digits>'. Nothing was loaded; save "
            "the file again or copy it again from its source."
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
    actual = digest(array, key.rsplit("/", 1)[-1])
    if actual != expected:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the data of entry '{key}' does not match "
            f"the checksum written with it ({actual} instead of {expected}); the file was "
            "damaged or edited after saving. Nothing was loaded; save the file again or copy "
            "it again from its source."
        )
