"""The ``.weights.h5`` format: Keras 3's layout, one HDF5 group per saveable object."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import h5py

from ._atomic import Writeback, atomic_path
from ._format import FileIndex, Opened, WeightFormat
from ._hdf5 import index_file, metadata_errors, open_h5, read_array, write_array
from ._store import SavedGroup, host_value, saved_groups
from ._walk import vars_group


def write_groups(
    f: h5py.File, groups: dict[str, SavedGroup], writeback: Writeback | None = None
) -> None:
    """Write ``saved_groups``' result into the open file ``f``, in Keras 3's layout.

    Each object gets the group ``<path>/vars`` with attribute ``name`` and one
    dataset per entry, in the order its ``save_own_variables`` stored them
    (``"0"``, ``"1"``... by default); the file has no root attributes. Values
    go to the file one at a time, each straight from its device buffer where
    the backend allows (see ``host_value``), so saving adds about one value's
    worth of memory at most.
    """
    for path, (obj, entries) in groups.items():
        group = f.require_group(vars_group(path))
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        for key, entry in entries.items():
            value = host_value(entry)
            write_array(group, key, value)
            if writeback is not None:
                writeback.wrote(value.nbytes)


def save(model: Any, filepath: str, overwrite: bool, max_shard_size: float | None = None) -> None:
    """Save ``model``'s weights to ``filepath`` (a ``.weights.h5`` file), atomically.

    ``max_shard_size`` is always ``None``: sharded saves go to ``_sharded``.
    """
    groups = saved_groups(model, filepath)
    with atomic_path(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_groups(f, groups, Writeback(tmp))


def opened(f: h5py.File, label: str, index: FileIndex | None = None) -> Opened:
    """The open ``.weights.h5`` file ``f`` (named ``label`` in messages), indexed and checked.

    Raises:
        ValueError: If the file is damaged or unsafe (see ``_hdf5.index_file``),
            or is a legacy Keras 2 file.
    """
    if index is None:
        index = index_file(f, label)
    with metadata_errors(label):
        legacy_root = "model_weights" in index.groups and "layer_names" in f["model_weights"].attrs
        legacy = "layer_names" in f.attrs or legacy_root
    if legacy:
        raise ValueError(
            f"'{label}' is a legacy Keras 2 weights file (it lists `layer_names`), "
            "not a `.weights.h5` file in the Keras 3 layout. Rename it to end in `.h5` "
            "and load it again; the legacy reader matches it layer by layer."
        )
    return Opened(label, index, lambda stored, take: read_array(f, stored, label, take))


@contextlib.contextmanager
def open_file(filepath: str) -> Iterator[Opened]:
    """Open the ``.weights.h5`` file ``filepath`` for loading (see :func:`opened`)."""
    with open_h5(filepath) as f:
        yield opened(f, filepath)


FORMAT: WeightFormat = WeightFormat(
    name="weights.h5",
    suffixes=(".weights.h5",),
    description="the Keras 3 layout",
    open=open_file,
    save=save,
    sharded_suffix=".weights.json",
)
