"""Safe HDF5 access shared by the weight formats: open, index, refuse links, read arrays."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

import h5py
import ml_dtypes
import numpy as np

from . import _checksum

# A dataset declaring more than this many bytes must store at least 1/1000 of
# them, else it is refused as a shape or decompression bomb.
_BOMB_FLOOR_BYTES = 1 << 32
_BOMB_MAX_EXPANSION = 1000


@dataclass(frozen=True)
class StoredArray:
    """What the file says about one dataset, before any data is read."""

    key: str
    shape: tuple[int, ...]
    dtype: str  # "float32", "bfloat16"..., or the raw numpy spelling when unsupported
    numeric: bool
    checksum: str | None = None  # "crc32:<hex>" for files heft wrote, else None

    def describe(self) -> str:
        return f"{self.shape} {self.dtype}"


@dataclass
class H5Index:
    """Every dataset and group of a file, checked for links and unsafe storage."""

    arrays: dict[str, StoredArray]
    groups: set[str]


def _dtype_of(ds: h5py.Dataset, has_checksum: bool) -> tuple[str, bool]:
    dt = ds.dtype
    if dt.kind == "V" and dt.itemsize == 2:
        # Keras marks bfloat16 with a variable-length string attribute, whose value
        # lives in the file's global heap (which a damaged file can make HDF5 loop
        # on). In heft's files the checksum already binds the dtype, so there the
        # attribute's presence is enough and its value is never read.
        if has_checksum:
            is_bfloat16 = "dtype" in ds.attrs
        else:
            is_bfloat16 = _attr_str(ds.attrs.get("dtype")) == "bfloat16"
        if is_bfloat16:
            return "bfloat16", True
    if dt.names is None and dt.kind in "biufc":
        return dt.name, True
    return str(dt), False


def _attr_str(value: Any) -> Any:
    return value.decode("utf8") if isinstance(value, bytes) else value


def open_h5(filepath: str) -> h5py.File:
    """Open ``filepath`` read-only, turning every way it can fail into a clear error.

    Raises:
        FileNotFoundError: If the file does not exist.
        IsADirectoryError: If it is a folder.
        ValueError: If it is not a readable HDF5 file (another format, truncated
            or corrupted).
    """
    if not os.path.exists(filepath):
        raise FileNotFoundError(
            f"No weights file at '{filepath}'. Check the path (relative paths start from "
            f"the working folder {os.getcwd()!r})."
        )
    if os.path.isdir(filepath):
        raise IsADirectoryError(
            f"'{filepath}' is a folder, not a weights file. Pass the path of a "
            "`.weights.h5` or `.h5` file."
        )
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
        return h5py.File(filepath, "r")
    except (OSError, RuntimeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is truncated or corrupted and cannot be opened "
            f"({err}). Save it again or copy it again from its source."
        ) from None


def index_file(f: h5py.File, filepath: str) -> H5Index:
    """List every group and dataset of ``f``, refusing links and unsafe datasets.

    Raises:
        ValueError: On a soft or external link, an external or virtual dataset, a
            dataset declaring far more data than it stores, or unreadable metadata.
    """
    links = _visit_links(f, filepath)
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
    return H5Index(arrays, groups)


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
    if ds.external:
        raise ValueError(
            f"Refusing to read weights file '{filepath}': dataset '{name}' stores its data "
            f"in external files {ds.external}. Re-save the file with the data inside it."
        )
    if ds.is_virtual:
        raise ValueError(
            f"Refusing to read weights file '{filepath}': dataset '{name}' is a virtual "
            "dataset that maps data from other files. Re-save the file with the data inside it."
        )
    if ds.shape is None:
        return StoredArray(name, (), "empty (no dataspace)", False)
    shape = tuple(int(d) for d in ds.shape)
    declared = math.prod(shape) * ds.dtype.itemsize
    if declared > _BOMB_FLOOR_BYTES:
        stored = ds.id.get_storage_size()
        if declared > _BOMB_MAX_EXPANSION * stored:
            raise ValueError(
                f"Refusing to read weights file '{filepath}': dataset '{name}' declares "
                f"{declared} bytes but stores only {stored}; reading it would allocate "
                "memory the file does not hold (a shape or decompression bomb)."
            )
    try:
        checksum = _read_checksum(ds)
        dtype, numeric = _dtype_of(ds, checksum is not None)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: the attributes of dataset '{name}' "
            f"cannot be read ({err}). Save it again or copy it again from its source."
        ) from None
    if checksum is not None:
        checksum = _checksum.parse(checksum, name, filepath)
    return StoredArray(name, shape, dtype, numeric, checksum)


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


def read_array(f: h5py.File, stored: StoredArray, filepath: str) -> np.ndarray:
    """Read one dataset into a numpy array (bfloat16 datasets come back as bfloat16).

    Raises:
        ValueError: If the data cannot be read or fails its checksum (a damaged file).
    """
    try:
        ds = f[stored.key]
        out = np.empty(stored.shape, dtype=ds.dtype)
        if out.size:
            ds.read_direct(out)
    except (OSError, RuntimeError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"Weights file '{filepath}' is corrupted: dataset '{stored.key}' cannot be read "
            f"({err}). Nothing was loaded; save the file again or copy it again."
        ) from None
    if stored.dtype == "bfloat16":
        out = out.view(ml_dtypes.bfloat16)
    _checksum.verify(out, stored.key, stored.checksum, filepath)
    return out


def convertible(stored: StoredArray, variable_dtype: str) -> bool:
    """Whether values of ``stored``'s dtype may be cast to ``variable_dtype`` on load."""
    if not stored.numeric:
        return False
    if stored.dtype.startswith("complex"):
        return variable_dtype.startswith("complex")
    return True


def write_array(group: h5py.Group, key: str, value: np.ndarray) -> None:
    """Write one dataset as Keras does (bfloat16 as raw 2-byte values marked by an attribute).

    The dataset also gets a ``checksum`` attribute (see ``_checksum.digest``),
    which Keras ignores and heft verifies on load.
    """
    if value.dtype == ml_dtypes.bfloat16:
        ds = group.create_dataset(key, data=value.view("V2"))
        ds.attrs["dtype"] = "bfloat16"
    else:
        ds = group.create_dataset(key, data=value)
    # A fixed-length string: stored in the dataset's header, not the global heap.
    ds.attrs[_checksum.ATTRIBUTE] = np.bytes_(_checksum.digest(value, key))
