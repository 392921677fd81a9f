"""Safe HDF5 access for the HDF5-based formats: open, index, refuse links, read and write arrays."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any

import h5py
import ml_dtypes
import numpy as np

from . import _checksum, _untrusted
from ._buffers import Take, plain
from ._format import FileIndex, StoredArray, check_readable

# A dataset declaring more than this many bytes must store at least 1/1000 of
# them, else it is refused as a shape or decompression bomb.
_BOMB_FLOOR_BYTES = 1 << 32
_BOMB_MAX_EXPANSION = 1000


def _dtype_of(ds: h5py.Dataset) -> tuple[str, bool]:
    dt = ds.dtype
    if dt.kind == "V" and dt.itemsize == 2 and dt.names is None and "dtype" in ds.attrs:
        # Keras stores bfloat16 as raw 2-byte values marked by a ``dtype`` attribute
        # (no other 2-byte type is stored that way). The attribute's value is a
        # variable-length string in the file's global heap, which a damaged file
        # can make HDF5 loop on or crash in, so only its presence is checked.
        return "bfloat16", True
    if dt.names is None and dt.kind in "biufc":
        return dt.name, True
    return str(dt), False


def open_h5(filepath: str) -> h5py.File:
    """Open ``filepath`` read-only, turning every way it can fail into a clear error.

    Raises:
        FileNotFoundError: If the file does not exist.
        IsADirectoryError: If it is a folder.
        ValueError: If it is not a readable HDF5 file (another format, truncated
            or corrupted).
    """
    check_readable(filepath, "`.weights.h5` or `.h5`")
    try:
        is_hdf5 = h5py.is_hdf5(filepath)
    except OSError as err:
        raise ValueError(f"Cannot read weights file '{filepath}': {err}.") from None
    if not is_hdf5:
        raise ValueError(
            f"'{filepath}' is not an HDF5 file, so it cannot be read as weights: it is "
            "empty, in another format than its suffix says, or damaged. Check that the "
            "file was written by `save_weights` and copied completely."
        )
    try:
        f = h5py.File(filepath, "r")
    except (OSError, RuntimeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is truncated or corrupted and cannot be opened "
            f"({err}). Save it again or copy it again from its source."
        ) from None
    _bound_metadata_cache(f)
    return f


# HDF5 keeps the structure it has read (object headers, group tables) in a
# per-file cache that grows to 32 MiB by default, and memory it frees goes to
# free lists it never returns: a file listing 20,000 tiny datasets cost a load
# 100 MiB. A weights file is read once, front to back, so a small fixed cache
# loses nothing; with it, the same file costs 18 MiB.
_METADATA_CACHE_BYTES = 1 << 20


def _bound_metadata_cache(f: h5py.File) -> None:
    config = f.id.get_mdc_config()
    config.set_initial_size = True
    config.initial_size = config.min_size = config.max_size = _METADATA_CACHE_BYTES
    f.id.set_mdc_config(config)


@contextlib.contextmanager
def metadata_errors(filepath: str) -> Iterator[None]:
    """Turn HDF5's errors while reading a file's attributes into a ``ValueError`` naming it.

    Raises:
        ValueError: If the body fails with an HDF5 error (a damaged file); a
            ``ValueError`` raised by the body passes through unchanged.
    """
    try:
        yield
    except (OSError, RuntimeError, KeyError, TypeError, UnicodeDecodeError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: its attributes cannot be read ({err}). "
            "Nothing was loaded; save it again or copy it again from its source."
        ) from None


def index_file(f: h5py.File, filepath: str) -> FileIndex:
    """List every group and dataset of ``f``, refusing links and unsafe datasets.

    Raises:
        ValueError: On a soft or external link, an external or virtual dataset, a
            dataset declaring far more data than it stores, or unreadable metadata.
    """
    links = _visit_links(f, filepath)
    limit = _untrusted.current().file_entries
    if len(links) > limit:
        raise _untrusted.too_large(
            "the list of groups and datasets", filepath, len(links), limit, "file_entries"
        )
    arrays: dict[str, StoredArray] = {}
    groups: set[str] = set()
    for name, link_type in links:
        if link_type in (h5py.h5l.TYPE_SOFT, h5py.h5l.TYPE_EXTERNAL):
            kind = "soft" if link_type == h5py.h5l.TYPE_SOFT else "external"
            raise ValueError(
                f"Refusing to read weights file '{filepath}': '{name}' is an HDF5 {kind} "
                "link, which can point outside this file. Weight files never need links; "
                "re-save the file without them."
            )
        if link_type != h5py.h5l.TYPE_HARD:
            raise ValueError(
                f"Refusing to read weights file '{filepath}': '{name}' is a link of unknown "
                f"type ({link_type}); the file is damaged or was not written as a weights "
                "file. Re-save it."
            )
        try:
            obj = f[name]
        except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
            raise ValueError(
                f"Weights file '{filepath}' is corrupted: object '{name}' cannot be read "
                f"({err}). Save it again or copy it again from its source."
            ) from None
        if isinstance(obj, h5py.Group):
            groups.add(name)
        elif isinstance(obj, h5py.Dataset):
            arrays[name] = _check_dataset(obj, name, filepath)
    return FileIndex(arrays, groups)


def _visit_links(f: h5py.File, filepath: str) -> list[tuple[str, int]]:
    """Every link below the root as ``(name, link type)``, without following soft links."""
    raw: list[tuple[bytes, int]] = []
    try:
        # Low-level visit with a callback that only records: names stay bytes
        # (a damaged name cannot fail inside HDF5's callback) and no exception
        # has to cross the C boundary.
        f.id.links.visit(lambda name, info: raw.append((name, info.type)), info=True)
        return [(name.decode("utf8"), link_type) for name, link_type in raw]
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: its structure cannot be read ({err}). "
            "Save it again or copy it again from its source."
        ) from None


def _check_dataset(ds: h5py.Dataset, name: str, filepath: str) -> StoredArray:
    try:
        # A damaged header can hold a datatype or dataspace h5py cannot represent.
        external, virtual, raw_shape = ds.external, ds.is_virtual, ds.shape
        itemsize = ds.dtype.itemsize
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the header of dataset '{name}' "
            f"cannot be read ({err}). Save it again or copy it again from its source."
        ) from None
    if external:
        raise ValueError(
            f"Refusing to read weights file '{filepath}': dataset '{name}' stores its data "
            f"in external files {external}. Re-save the file with the data inside it."
        )
    if virtual:
        raise ValueError(
            f"Refusing to read weights file '{filepath}': dataset '{name}' is a virtual "
            "dataset that maps data from other files. Re-save the file with the data inside it."
        )
    if raw_shape is None:
        return StoredArray(name, (), "empty (no dataspace)", False)
    shape = tuple(int(d) for d in raw_shape)
    declared = math.prod(shape) * itemsize
    if declared > _BOMB_FLOOR_BYTES:
        stored = ds.id.get_storage_size()
        if declared > _BOMB_MAX_EXPANSION * stored:
            raise ValueError(
                f"Refusing to read weights file '{filepath}': dataset '{name}' declares "
                f"{declared} bytes but stores only {stored}; reading it would allocate "
                "memory the file does not hold (a shape or decompression bomb)."
            )
    _check_storage(ds, name, filepath, declared)
    try:
        checksum = _read_checksum(ds)
        dtype, numeric = _dtype_of(ds)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the attributes of dataset '{name}' "
            f"cannot be read ({err}). Save it again or copy it again from its source."
        ) from None
    if checksum is not None:
        checksum = _checksum.parse(checksum, name, filepath)
    return StoredArray(name, shape, dtype, numeric, checksum)


def _check_storage(ds: h5py.Dataset, name: str, filepath: str, declared: int) -> None:
    """Check that a dataset's stored bytes add up to its shape before any data is read.

    A damaged header can give a dataset a shape its storage does not hold, or
    point its data past the end of the file; HDF5 may then read garbage, loop
    or crash, so such datasets are refused here.

    Raises:
        ValueError: If the sizes do not add up.
    """
    try:
        dcpl = ds.id.get_create_plist()
        layout = dcpl.get_layout()
        stored = ds.id.get_storage_size()
        filesize = ds.file.id.get_filesize()
        if layout == h5py.h5d.CONTIGUOUS:
            offset = ds.id.get_offset() if stored else None
            problem = None
            if stored not in (0, declared):
                problem = f"its shape needs {declared} bytes but it stores {stored}"
            elif offset is not None and offset + stored > filesize:
                problem = (
                    f"its data ends at byte {offset + stored}, past the end of the file "
                    f"({filesize} bytes)"
                )
        elif layout == h5py.h5d.CHUNKED:
            problem = _chunk_problem(ds, dcpl, stored, filesize)
        elif layout == h5py.h5d.COMPACT:
            problem = (
                None
                if stored == declared
                else (f"its shape needs {declared} bytes but it stores {stored}")
            )
        else:
            problem = f"it has an unknown storage layout ({layout})"
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        problem = f"its storage cannot be read ({err})"
    if problem is not None:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: dataset '{name}' does not add up: "
            f"{problem}. Nothing was loaded; save the file again or copy it again from its "
            "source."
        )


def _chunk_problem(ds: h5py.Dataset, dcpl: Any, stored: int, filesize: int) -> str | None:
    """Why a chunked dataset's storage cannot be right, or ``None``."""
    if stored > filesize:
        return f"it claims {stored} bytes of chunks but the file has {filesize}"
    chunk = dcpl.get_chunk()
    if dcpl.get_nfilters() == 0 and chunk:
        chunk_bytes = math.prod(chunk) * ds.dtype.itemsize
        most = math.prod(-(-n // c) for n, c in zip(ds.shape, chunk, strict=True)) * chunk_bytes
        if chunk_bytes == 0 or stored % chunk_bytes or stored > most:
            return (
                f"its unfiltered chunks of {chunk_bytes} bytes cannot add up to the "
                f"{stored} bytes it stores (at most {most})"
            )
    return None


def _read_checksum(ds: h5py.Dataset) -> Any:
    """The dataset's checksum attribute, read only if it is a short fixed-length string."""
    if _checksum.ATTRIBUTE not in ds.attrs:
        return None
    attr = h5py.h5a.open(ds.id, _checksum.ATTRIBUTE.encode())
    kind = attr.get_type()
    fixed_string = (
        kind.get_class() == h5py.h5t.STRING
        and not kind.is_variable_str()
        and kind.get_size() <= 64
        and attr.get_space().get_simple_extent_type() == h5py.h5s.SCALAR
    )
    # Anything else (a variable-length string, an array) is damage: never read it.
    return ds.attrs[_checksum.ATTRIBUTE] if fixed_string else "(not a short fixed-length string)"


def read_array(
    f: h5py.File,
    stored: StoredArray,
    filepath: str,
    take: Take = plain,
) -> tuple[np.ndarray, Callable[[], None]]:
    """Read one dataset into a new aligned array, as stored (bfloat16 comes back as bfloat16).

    Large datasets are read in pieces while the checksum of the pieces already
    read is computed on a helper thread. ``take(shape, dtype)`` gives the new
    array and the function that faults its pages in ahead of each piece (see
    ``_buffers.Taken``).

    Returns:
        The array, and a function that waits for its checksum and raises
        ``ValueError`` if it differs from the one stored (it checks nothing for
        files without checksums).

    Raises:
        ValueError: If the data cannot be read (a damaged file).
    """
    try:
        ds = f[stored.key]
        out, ready = take(stored.shape, ds.dtype)
        typed = out.view(ml_dtypes.bfloat16) if stored.dtype == "bfloat16" else out
        pending = None
        if stored.checksum is not None:
            name = stored.key.rsplit("/", 1)[-1]
            pending = _checksum.Digest(typed, name, _checksum.algorithm_of(stored.checksum))
        parts = _checksum.pieces(out.shape, out.dtype.itemsize)
        if out.size and len(parts) > 1:
            row = out.nbytes // out.shape[0]
            for part in parts:
                ready(part.stop * row)
                ds.read_direct(out, source_sel=np.s_[part], dest_sel=np.s_[part])
                if pending is not None:
                    pending.update(typed[part])
        else:
            if out.size:
                ready(out.nbytes)
                ds.read_direct(out)
            if pending is not None:
                pending.update(typed)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: dataset '{stored.key}' cannot be read "
            f"({err}). Nothing was loaded; save the file again or copy it again."
        ) from None
    return typed, _checksum.checker(pending, stored.key, stored.checksum, filepath)


def write_array(group: h5py.Group, key: str, value: np.ndarray) -> None:
    """Write one dataset as Keras does (bfloat16 as raw 2-byte values marked by an attribute).

    The dataset also gets a ``checksum`` attribute (see ``_checksum.digest``),
    which Keras ignores and heft verifies on load. The value is written from
    its own buffer (no copy), in pieces for large values, while the checksum
    of each piece is computed on a helper thread.
    """
    value = np.asarray(value, order="C")
    raw = value.view("V2") if value.dtype == ml_dtypes.bfloat16 else value
    pending = _checksum.Digest(value, key.rsplit("/", 1)[-1])
    parts = _checksum.pieces(value.shape, value.dtype.itemsize)
    if len(parts) > 1:
        ds = group.create_dataset(key, shape=raw.shape, dtype=raw.dtype)
        for part in parts:
            pending.update(value[part])
            ds.write_direct(raw, source_sel=np.s_[part], dest_sel=np.s_[part])
    else:
        pending.update(value)
        ds = group.create_dataset(key, data=raw)
    if raw is not value:
        ds.attrs["dtype"] = "bfloat16"
    # A fixed-length string: stored in the dataset's header, not the global heap.
    ds.attrs[_checksum.ATTRIBUTE] = np.bytes_(pending.result())
