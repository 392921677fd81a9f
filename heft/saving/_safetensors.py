"""The ``.safetensors`` format: one tensor per variable, keyed like ``.weights.h5`` datasets."""

from __future__ import annotations

import json
import math
import os
import struct
from typing import Any

import numpy as np
import safetensors
import safetensors.numpy

from . import _checksum
from ._atomic import atomic_path
from ._h5 import plan
from ._hdf5 import H5Index, StoredArray
from ._loading import execute
from ._report import LoadReport
from ._walk import vars_group, walk

FORMAT = "safetensors"
FORMAT_VERSION = "1"
# Header keys heft writes in ``__metadata__`` (all values are strings).
META_FORMAT = "format"
META_VERSION = "heft_format_version"
# JSON ``{key: "crc32:<hex>"}``: one checksum per tensor (see ``_checksum.digest``).
META_CHECKSUMS = "checksums"
# The safetensors dtype codes and the dtype names heft uses for them.
_DTYPES = {
    "BOOL": "bool",
    "U8": "uint8",
    "I8": "int8",
    "U16": "uint16",
    "I16": "int16",
    "U32": "uint32",
    "I32": "int32",
    "U64": "uint64",
    "I64": "int64",
    "F16": "float16",
    "BF16": "bfloat16",
    "F32": "float32",
    "F64": "float64",
    "C64": "complex64",
    "F8_E4M3": "float8_e4m3fn",
    "F8_E5M2": "float8_e5m2",
}
_ITEMSIZE = {
    "BOOL": 1,
    "U8": 1,
    "I8": 1,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "U16": 2,
    "I16": 2,
    "F16": 2,
    "BF16": 2,
    "U32": 4,
    "I32": 4,
    "F32": 4,
    "U64": 8,
    "I64": 8,
    "F64": 8,
    "C64": 8,
}
# The safetensors library refuses headers above 100 MB; so does heft, before reading.
_MAX_HEADER_BYTES = 100_000_000


def tensors_of(model: Any) -> dict[str, Any]:
    """``{key: variable}`` for every variable the walk finds, keyed ``<path>/vars/<i>``."""
    out: dict[str, Any] = {}
    for path, (_, variables) in walk(model).items():
        group = vars_group(path)
        for i, variable in enumerate(variables):
            out[f"{group}/{i}"] = variable
    return out


def save(model: Any, filepath: str, overwrite: bool) -> None:
    """Save ``model``'s weights to ``filepath`` (a ``.safetensors`` file), atomically.

    Raises:
        ValueError: If a variable has a dtype safetensors cannot store.
    """
    codes = {name: code for code, name in _DTYPES.items()}
    arrays: dict[str, np.ndarray] = {}
    for key, variable in tensors_of(model).items():
        # ``asarray`` (unlike ``ascontiguousarray``) keeps scalars 0-d.
        array = np.asarray(variable.numpy(), order="C")
        if array.dtype.name not in codes:
            raise ValueError(
                f"Cannot save variable '{variable.path}' (file key '{key}') to the "
                f"safetensors file '{filepath}': its dtype {array.dtype.name} is not one "
                f"safetensors stores ({', '.join(sorted(codes))}). Save to a `.weights.h5` "
                "file instead."
            )
        arrays[key] = array
    checksums = {key: _checksum.digest(a, key.rsplit("/", 1)[-1]) for key, a in arrays.items()}
    metadata = {
        META_FORMAT: "heft",
        META_VERSION: FORMAT_VERSION,
        META_CHECKSUMS: json.dumps(checksums, separators=(",", ":")),
    }
    with atomic_path(filepath, overwrite) as tmp:
        safetensors.numpy.save_file(arrays, tmp, metadata=metadata)


def _damaged(filepath: str, what: str) -> ValueError:
    return ValueError(
        f"Weights file '{filepath}' is not a valid safetensors file: {what}. It is "
        "truncated, damaged, or in another format than its suffix says; save it again or "
        "copy it again from its source."
    )


def read_header(filepath: str) -> tuple[dict[str, Any], dict[str, str], int]:
    """Read and check the header of a safetensors file without reading any tensor data.

    Returns:
        ``(tensors, metadata, data_start)``: the header's tensor entries, its
        ``__metadata__`` (``{}`` when absent) and the byte offset of the data.

    Raises:
        FileNotFoundError: If the file does not exist.
        IsADirectoryError: If it is a folder.
        ValueError: If the header is malformed or declares more data than the file holds.
    """
    if not os.path.exists(filepath):
        raise FileNotFoundError(
            f"No weights file at '{filepath}'. Check the path (relative paths start from "
            f"the working folder {os.getcwd()!r})."
        )
    if os.path.isdir(filepath):
        raise IsADirectoryError(
            f"'{filepath}' is a folder, not a weights file. Pass the path of a `.safetensors` file."
        )
    size = os.path.getsize(filepath)
    with open(filepath, "rb") as fh:
        head = fh.read(8)
        if len(head) < 8:
            raise _damaged(filepath, f"it has {size} byte(s), fewer than the 8 of a header length")
        (length,) = struct.unpack("<Q", head)
        if length > min(size - 8, _MAX_HEADER_BYTES):
            raise _damaged(
                filepath, f"its header declares {length} bytes but the file has {size} in all"
            )
        raw = fh.read(length)
    try:
        header = json.loads(raw.decode("utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _damaged(filepath, f"its header is not valid JSON ({err})") from None
    if not isinstance(header, dict):
        raise _damaged(filepath, "its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _damaged(filepath, "its `__metadata__` is not a mapping of strings to strings")
    data_size = size - 8 - length
    for key, entry in header.items():
        _check_entry(filepath, key, entry, data_size)
    return header, metadata, 8 + length


def _check_entry(filepath: str, key: str, entry: Any, data_size: int) -> None:
    """Check one tensor entry's declared size against its offsets and the file's size."""
    try:
        dtype, shape, (start, end) = entry["dtype"], entry["shape"], entry["data_offsets"]
        ints = [*shape, start, end]
        valid = isinstance(dtype, str) and all(type(i) is int and i >= 0 for i in ints)
    except (KeyError, TypeError, ValueError):
        valid = False
    if not valid:
        raise _damaged(
            filepath, f"the header entry of tensor '{key}' is malformed ({entry!r:.200})"
        )
    if end > data_size or start > end:
        raise _damaged(
            filepath,
            f"tensor '{key}' declares bytes {start}..{end} but the file holds "
            f"{data_size} bytes of data",
        )
    itemsize = _ITEMSIZE.get(dtype)
    if itemsize is not None and math.prod(shape) * itemsize != end - start:
        raise _damaged(
            filepath,
            f"tensor '{key}' of shape {tuple(shape)} and dtype {dtype} needs "
            f"{math.prod(shape) * itemsize} bytes but its offsets span {end - start}",
        )


def _checksums(metadata: dict[str, str], tensors: dict[str, Any], filepath: str) -> dict[str, str]:
    """The per-tensor checksums heft wrote in the header (``{}`` for other files)."""
    raw = metadata.get(META_CHECKSUMS)
    if raw is None:
        return {}
    try:
        checksums = json.loads(raw)
    except json.JSONDecodeError as err:
        raise _damaged(
            filepath, f"its `{META_CHECKSUMS}` metadata is not valid JSON ({err})"
        ) from None
    if not isinstance(checksums, dict):
        raise _damaged(filepath, f"its `{META_CHECKSUMS}` metadata is not a JSON object")
    for key in tensors:
        if key not in checksums:
            raise _damaged(
                filepath, f"tensor '{key}' has no checksum although the file carries checksums"
            )
        checksums[key] = _checksum.parse(checksums[key], key, filepath)
    return checksums


def index_header(tensors: dict[str, Any], metadata: dict[str, str], filepath: str) -> H5Index:
    """The file's tensors as stored arrays, and the groups their keys imply.

    Raises:
        ValueError: If the file carries checksums but not a well-formed one per tensor.
    """
    checksums = _checksums(metadata, tensors, filepath)
    arrays: dict[str, StoredArray] = {}
    groups: set[str] = set()
    for key, entry in tensors.items():
        code = entry["dtype"]
        dtype = _DTYPES.get(code)
        shape = tuple(entry["shape"])
        arrays[key] = StoredArray(key, shape, dtype or code, dtype is not None, checksums.get(key))
        parts = key.split("/")
        groups.update("/".join(parts[:i]) for i in range(1, len(parts)))
    return H5Index(arrays, groups)


def load(model: Any, filepath: str, skip_mismatch: bool, dry_run: bool) -> LoadReport:
    """Load a ``.safetensors`` file into ``model`` (all or nothing)."""
    tensors, metadata, _ = read_header(filepath)
    index = index_header(tensors, metadata, filepath)
    slots, unexpected = plan(model, index)
    try:
        handle = safetensors.safe_open(filepath, framework="np")
    except (safetensors.SafetensorError, OSError) as err:
        raise _damaged(filepath, str(err)) from None
    with handle as f:

        def read(stored: StoredArray) -> np.ndarray:
            try:
                array = f.get_tensor(stored.key)
            except (safetensors.SafetensorError, OSError, TypeError, ValueError) as err:
                raise ValueError(
                    f"Weights file '{filepath}' is corrupted: tensor '{stored.key}' cannot be "
                    f"read ({err}). Nothing was loaded; save the file again or copy it again."
                ) from None
            _checksum.verify(array, stored.key, stored.checksum, filepath)
            return array

        return execute(read, model, slots, unexpected, filepath, FORMAT, skip_mismatch, dry_run)
