"""The ``.safetensors`` format: one tensor per saved entry, keyed like ``.weights.h5`` datasets.

heft reads and writes the format itself rather than through the
``safetensors`` package, whose API does not fit how heft saves and loads:
saving streams each value from its device buffer straight into the file,
checksumming it on the way, where ``save_file`` wants every tensor in memory
at once; loading reads each tensor with ``pread`` into a buffer prepared
ahead (which JAX adopts without a copy) and verifies its checksum before
anything is assigned, where ``safe_open`` maps the file and copies each
tensor out of the map. The header checks are the package's (size limit, JSON
object, entries that tile the data exactly), and the tests read and write
files with the package to keep both sides compatible.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import struct
from collections.abc import Iterator
from typing import Any

import ml_dtypes
import numpy as np

from . import _checksum, _untrusted
from ._atomic import Writeback, atomic_path
from ._buffers import Take
from ._format import FileIndex, Opened, StoredArray, WeightFormat, check_readable
from ._store import describe_value, host_value, saved_groups, value_spec
from ._walk import vars_group

FORMAT_VERSION = "1"
# Header keys heft writes in ``__metadata__`` (all values are strings).
META_FORMAT = "format"
META_VERSION = "heft_format_version"
# JSON ``{key: "xxh3:<hex>"}``: one checksum per tensor (see ``_checksum.digest``).
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
# The numpy dtype each code is read as (safetensors data is little-endian).
_NUMPY = {
    code: getattr(ml_dtypes, name) if hasattr(ml_dtypes, name) else np.dtype(name).newbyteorder("<")
    for code, name in _DTYPES.items()
}
# Largest single read or write (Linux moves at most about 2 GB per call).
_IO_CHUNK = 1 << 30


def tensors_of(model: Any, filepath: str) -> dict[str, Any]:
    """``{key: value}`` of every entry the layers save, keyed ``<path>/vars/<name>``."""
    out: dict[str, Any] = {}
    for path, (_, entries) in saved_groups(model, filepath).items():
        group = vars_group(path)
        for name, entry in entries.items():
            out[f"{group}/{name}"] = entry
    return out


def _encode(header: dict[str, Any]) -> bytes:
    """The header as compact JSON, padded with spaces so that the data starts 8-aligned."""
    raw = json.dumps(header, separators=(",", ":")).encode()
    return raw + b" " * (-(8 + len(raw)) % 8)


def _layout(model: Any, filepath: str) -> list[tuple[str, Any, str, tuple[int, ...], int]]:
    """``(key, variable, dtype code, shape, start)`` of every tensor, in data order.

    As the safetensors library does, tensors are ordered by decreasing item
    size (then by key), so every tensor's data is aligned to its item size.

    Raises:
        ValueError: If a variable has a dtype safetensors cannot store.
    """
    codes = {name: code for code, name in _DTYPES.items()}
    specs = []
    for key, variable in tensors_of(model, filepath).items():
        dtype, shape = value_spec(variable)
        code = codes.get(dtype.name)
        if code is None:
            raise ValueError(
                f"Cannot save {describe_value(variable, key)} to the "
                f"safetensors file '{filepath}': its dtype {dtype.name} is not one "
                f"safetensors stores ({', '.join(sorted(codes))}). Save to a `.weights.h5` "
                "file instead."
            )
        specs.append((key, variable, code, shape))
    specs.sort(key=lambda spec: (-_ITEMSIZE[spec[2]], spec[0]))
    out, start = [], 0
    for key, variable, code, shape in specs:
        out.append((key, variable, code, shape, start))
        start += math.prod(shape) * _ITEMSIZE[code]
    return out


def _header(layout: list[Any], checksums: dict[str, str]) -> bytes:
    metadata = {
        META_FORMAT: "heft",
        META_VERSION: FORMAT_VERSION,
        META_CHECKSUMS: json.dumps(checksums, separators=(",", ":")),
    }
    header: dict[str, Any] = {"__metadata__": metadata}
    for key, _, code, shape, start in layout:
        end = start + math.prod(shape) * _ITEMSIZE[code]
        header[key] = {"dtype": code, "shape": list(shape), "data_offsets": [start, end]}
    return _encode(header)


def _pwrite_all(fd: int, data: Any, offset: int) -> None:
    view = memoryview(data).cast("B")
    done = 0
    while done < len(view):
        done += os.pwrite(fd, view[done : done + _IO_CHUNK], offset + done)


def _write_tensor(fd: int, array: np.ndarray, key: str, offset: int) -> _checksum.Digest:
    """Write ``array``'s bytes at ``offset`` in pieces, checksumming each piece beside."""
    pending = _checksum.Digest(array, key.rsplit("/", 1)[-1])
    flat = np.ascontiguousarray(array).reshape(-1)
    for part in _checksum.pieces(flat.shape, flat.dtype.itemsize) or [slice(None)]:
        piece = flat[part]
        pending.update(piece)
        _pwrite_all(fd, piece.view(np.uint8), offset + (part.start or 0) * flat.dtype.itemsize)
    return pending


def save(model: Any, filepath: str, overwrite: bool, max_shard_size: float | None = None) -> None:
    """Save ``model``'s weights to ``filepath`` (a ``.safetensors`` file), atomically.

    The file is streamed: the header is laid out from the variables' shapes and
    dtypes, each value is written from its own buffer (no host copy where the
    backend allows) while its checksum is computed beside it, and the header,
    whose checksums have a fixed length, is written last. Memory use does not
    grow with the model.

    Raises:
        ValueError: If a variable has a dtype safetensors cannot store.
    """
    layout = _layout(model, filepath)
    keys = [spec[0] for spec in layout]
    header = _header(layout, dict.fromkeys(keys, _checksum.PLACEHOLDER))
    data_start = 8 + len(header)
    with atomic_path(filepath, overwrite) as tmp:
        fd = os.open(tmp, os.O_WRONLY)
        try:
            writeback = Writeback(tmp)
            pending = {}
            for key, variable, _, shape, start in layout:
                array = host_value(variable).reshape(shape)
                pending[key] = _write_tensor(fd, array, key, data_start + start)
                writeback.wrote(array.nbytes)
            final = _header(layout, {key: pending[key].result() for key in keys})
            _pwrite_all(fd, struct.pack("<Q", len(final)) + final, 0)
        finally:
            os.close(fd)


def _damaged(filepath: str, what: str) -> ValueError:
    return ValueError(
        f"Weights file '{filepath}' is not a valid safetensors file: {what}. It is "
        "truncated, damaged, or in another format than its suffix says; save it again or "
        "copy it again from its source."
    )


def read_header(fh: Any, filepath: str) -> tuple[dict[str, Any], dict[str, str], int]:
    """Read and check the header of the open safetensors file ``fh`` without reading any tensor.

    Returns:
        ``(tensors, metadata, data_start)``: the header's tensor entries, its
        ``__metadata__`` (``{}`` when absent) and the byte offset of the data.

    Raises:
        ValueError: If the header is malformed, or its tensors do not tile the
            file's data exactly (gaps, overlaps, more or less data than declared).
    """
    size = os.fstat(fh.fileno()).st_size
    head = fh.read(8)
    if len(head) < 8:
        raise _damaged(filepath, f"it has {size} byte(s), fewer than the 8 of a header length")
    (length,) = struct.unpack("<Q", head)
    if length > size - 8:
        raise _damaged(
            filepath, f"its header declares {length} bytes but the file has {size} in all"
        )
    limit = _untrusted.current()
    if length > limit.json_bytes:
        raise _untrusted.too_large("the header", filepath, length, limit.json_bytes, "json_bytes")
    header = _untrusted.parse_json(
        fh.read(length),
        "the header",
        filepath,
        lambda problem: _damaged(filepath, f"its header {problem}"),
    )
    if not isinstance(header, dict):
        raise _damaged(filepath, "its header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()
    ):
        raise _damaged(filepath, "its `__metadata__` is not a mapping of strings to strings")
    if len(header) > limit.file_entries:
        raise _untrusted.too_large(
            "the tensor list", filepath, len(header), limit.file_entries, "file_entries"
        )
    data_size = size - 8 - length
    for key, entry in header.items():
        _check_entry(filepath, key, entry, data_size)
    _check_tiling(filepath, header, data_size)
    return header, metadata, 8 + length


def _check_tiling(filepath: str, tensors: dict[str, Any], data_size: int) -> None:
    """Check that the tensors' byte ranges follow each other and cover the data exactly."""
    end = 0
    for key, entry in sorted(tensors.items(), key=lambda item: item[1]["data_offsets"]):
        start, stop = entry["data_offsets"]
        if start != end:
            raise _damaged(
                filepath,
                f"tensor '{key}' starts at byte {start} of the data, but the tensor before "
                f"it ends at byte {end} (tensors must follow each other without gaps or "
                "overlaps)",
            )
        end = stop
    if end != data_size:
        raise _damaged(
            filepath, f"its tensors end at byte {end} but the file holds {data_size} bytes of data"
        )


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
    checksums = _untrusted.parse_json(
        raw,
        f"the `{META_CHECKSUMS}` metadata",
        filepath,
        lambda problem: _damaged(filepath, f"its `{META_CHECKSUMS}` metadata {problem}"),
    )
    if not isinstance(checksums, dict):
        raise _damaged(filepath, f"its `{META_CHECKSUMS}` metadata is not a JSON object")
    for key in tensors:
        if key not in checksums:
            raise _damaged(
                filepath, f"tensor '{key}' has no checksum although the file carries checksums"
            )
        checksums[key] = _checksum.parse(checksums[key], key, filepath)
    return checksums


def index_header(tensors: dict[str, Any], metadata: dict[str, str], filepath: str) -> FileIndex:
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
    return FileIndex(arrays, groups)


def _pread_into(fd: int, out: np.ndarray, offset: int, key: str, filepath: str) -> None:
    view = memoryview(out.reshape(-1).view(np.uint8))
    done = 0
    while done < len(view):
        try:
            n = os.preadv(fd, [view[done : done + _IO_CHUNK]], offset + done)
        except OSError as err:
            raise ValueError(
                f"Weights file '{filepath}' cannot be read: tensor '{key}' failed ({err}). "
                "Nothing was loaded; check the disk, or copy the file again."
            ) from None
        if n == 0:
            raise _damaged(filepath, f"it ended while tensor '{key}' was read (it was truncated)")
        done += n


def _read_tensor(
    fd: int, stored: StoredArray, code: str, offset: int, filepath: str, take: Take
) -> tuple[np.ndarray, Any]:
    """Read one tensor in pieces into ``take(shape, dtype)``, checksumming each piece beside."""
    out, ready = take(stored.shape, _NUMPY[code])
    pending = None
    if stored.checksum is not None:
        name = stored.key.rsplit("/", 1)[-1]
        pending = _checksum.Digest(out, name, _checksum.algorithm_of(stored.checksum))
    flat = out.reshape(-1)
    itemsize = flat.dtype.itemsize
    for part in _checksum.pieces(flat.shape, itemsize) or [slice(None)]:
        piece = flat[part]
        ready((part.stop if part.stop is not None else flat.size) * itemsize)
        _pread_into(fd, piece, offset + (part.start or 0) * itemsize, stored.key, filepath)
        if pending is not None:
            pending.update(piece)
    return out, _checksum.checker(pending, stored.key, stored.checksum, filepath)


@contextlib.contextmanager
def open_file(filepath: str) -> Iterator[Opened]:
    """Open a ``.safetensors`` file for loading, its header checked before any tensor is read.

    Each tensor is then read with ``pread`` into a new aligned buffer (no
    memory map, no extra copy) from the same open file, so a file renamed over
    this one while loading is never mixed in.

    Raises:
        FileNotFoundError: If the file does not exist.
        IsADirectoryError: If it is a folder.
        ValueError: If the header is malformed or does not fit the file.
    """
    check_readable(filepath, "`.safetensors`")
    with _untrusted.open_regular(filepath, "a `.safetensors` file") as fh:
        tensors, metadata, data_start = read_header(fh, filepath)
        index = index_header(tensors, metadata, filepath)

        def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Any]:
            entry = tensors[stored.key]
            offset = data_start + entry["data_offsets"][0]
            return _read_tensor(fh.fileno(), stored, entry["dtype"], offset, filepath, take)

        yield Opened(filepath, index, read)


FORMAT: WeightFormat = WeightFormat(
    name="safetensors",
    suffixes=(".safetensors",),
    description="the same keys in the safetensors format",
    open=open_file,
    save=save,
)
