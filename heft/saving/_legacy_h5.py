"""The legacy ``.h5`` weights format (Keras 2's layout: ``layer_names``, ``weight_names``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import h5py
import ml_dtypes
import numpy as np

from .. import __version__
from ._atomic import Writeback, atomic_path
from ._format import FileIndex, Opened, WeightFormat
from ._hdf5 import index_file, metadata_errors, open_h5, read_array, write_array
from ._plan import Plan, Slot
from ._report import LoadEntry
from ._store import host_value

TOP_LEVEL = "top_level_model_weights"
# HDF5 object headers hold at most 64 KiB; longer attributes are split in chunks
# named ``<name>0``, ``<name>1``...
_HEADER_LIMIT = 64512


def _legacy_weights(layer: Any) -> list[Any]:
    """A layer's weights in the legacy order: trainable ones, then non-trainable ones."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _own_weights(model: Any) -> list[Any]:
    """The model's own variables (not its layers'), in tracking order."""
    out, seen = [], set()
    for v in model._tracker.trainable_variables + model._tracker.non_trainable_variables:
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _write_names(group: h5py.Group, name: str, values: list[str]) -> None:
    encoded = [v.encode("utf8") for v in values]
    too_long = [v for v in values if len(v.encode("utf8")) > _HEADER_LIMIT]
    if too_long:
        raise ValueError(
            f"Cannot write {name} to a legacy `.h5` file: these names are longer than the "
            f"{_HEADER_LIMIT} bytes an HDF5 attribute can hold: {[v[:80] for v in too_long]}. "
            "Use shorter layer names, or save to a `.weights.h5` file."
        )
    data = np.array(encoded, dtype=bytes)
    chunks = 1
    parts = [data]
    while any(p.nbytes > _HEADER_LIMIT for p in parts):
        chunks += 1
        parts = np.array_split(data, chunks)
    if chunks == 1:
        group.attrs[name] = data
    else:
        for i, part in enumerate(parts):
            group.attrs[f"{name}{i}"] = part


def read_names(attrs: Any, name: str) -> list[str]:
    """Read a list of names written by :func:`_write_names` (chunked or not)."""
    if name in attrs:
        raw = list(np.atleast_1d(attrs[name]))
    else:
        raw, i = [], 0
        while f"{name}{i}" in attrs:
            raw.extend(np.atleast_1d(attrs[f"{name}{i}"]))
            i += 1
    return [v.decode("utf8") if isinstance(v, bytes) else str(v) for v in raw]


def _weight_names(weights: list[Any]) -> list[str]:
    """Dataset names (variable paths), made unique within one layer's group."""
    names: list[str] = []
    for w in weights:
        name, n = w.path, 1
        while name in names:
            name = f"{w.path}_{n}"
            n += 1
        names.append(name)
    return names


def _write_group(group: h5py.Group, weights: list[Any], writeback: Writeback) -> None:
    names = _weight_names(weights)
    _write_names(group, "weight_names", names)
    for name, w in zip(names, weights, strict=True):
        value = host_value(w)
        if value.dtype == ml_dtypes.bfloat16:
            # Stored as float32 (exact) so that every legacy reader understands it.
            value = value.astype(np.float32)
        # With heft's checksum attribute, which legacy readers ignore.
        write_array(group, name, value)
        writeback.wrote(value.nbytes)


def save(model: Any, filepath: str, overwrite: bool, max_shard_size: float | None = None) -> None:
    """Save ``model``'s weights in the legacy layout that tf.keras and Keras 3 read.

    Raises:
        ValueError: If two layers of the model share a name.
    """
    layers = list(model.layers)
    names = [layer.name for layer in layers]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates or TOP_LEVEL in names:
        raise ValueError(
            f"Cannot save model '{model.name}' to legacy file '{filepath}': the legacy "
            f"format names groups after layers, and these names are not unique or reserved: "
            f"{duplicates or [TOP_LEVEL]}. Rename the layers, or save to a `.weights.h5` file."
        )
    with atomic_path(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        _write_names(f, "layer_names", names)
        f.attrs["backend"] = b"jax"
        f.attrs["keras_version"] = f"heft {__version__}".encode()
        writeback = Writeback(tmp)
        for layer in sorted(layers, key=lambda x: x.name):
            _write_group(f.create_group(layer.name), _legacy_weights(layer), writeback)
        _write_group(f.create_group(TOP_LEVEL), _own_weights(model), writeback)


def _slots_for(
    f: h5py.File, index: FileIndex, group: str, weights: list[Any], what: str, used: set[str]
) -> list[Slot]:
    """Pair ``weights`` with the datasets the file's ``group`` lists, in order."""
    keys = [f"{group}/{n}" for n in read_names(f[group].attrs, "weight_names")]
    used.update(k for k in keys if k in index.arrays)
    if len(keys) != len(weights):
        problem = (
            f"{what} has {len(weights)} weight(s) but the file's group '{group}' lists {len(keys)}"
        )
        return [
            Slot(keys[i] if i < len(keys) else f"{group}/#{i}", w, problem=problem)
            for i, w in enumerate(weights)
        ]
    return [Slot(k, w, stored=index.arrays.get(k)) for k, w in zip(keys, weights, strict=True)]


def plan(f: h5py.File, index: FileIndex, model: Any, filepath: str, by_name: bool) -> Plan:
    """Pair the model's layers with the file's (by position, or by name)."""
    root = ""
    if "layer_names" not in f.attrs and "model_weights" in index.groups:
        root = "model_weights/"
    attrs = f[root or "/"].attrs
    if "layer_names" not in attrs and "layer_names0" not in attrs:
        raise ValueError(
            f"'{filepath}' is not a legacy Keras weights file: it has no `layer_names` "
            "attribute. If it was written by Keras 3 or heft in the `.weights.h5` layout, "
            "rename it to end in `.weights.h5` and load it again."
        )
    saved = []
    for name in read_names(attrs, "layer_names"):
        if f"{root}{name}" not in index.groups:
            raise ValueError(
                f"Legacy weights file '{filepath}' lists layer '{name}' in `layer_names` but "
                "has no group for it: the file is damaged. Save it again."
            )
        saved.append((name, f"{root}{name}"))
    used: set[str] = set()
    slots: list[Slot] = []
    model_layers = [layer for layer in model.layers if _legacy_weights(layer)]
    if by_name:
        by_layer_name = dict(saved)
        matched_any = False
        for layer in model_layers:
            group = by_layer_name.get(layer.name)
            if group is None:
                problem = f"no layer named '{layer.name}' in the file"
                slots += [
                    Slot(f"{root}{layer.name}/{w.path}", w, problem=problem, soft=True, warn=False)
                    for w in _legacy_weights(layer)
                ]
                continue
            matched_any = True
            what = f"layer '{layer.name}'"
            slots += _slots_for(f, index, group, _legacy_weights(layer), what, used)
        if model_layers and not matched_any:
            raise ValueError(
                f"Cannot load '{filepath}' by name into model '{model.name}': none of its "
                f"layer names {[layer.name for layer in model_layers][:10]} is in the file, "
                f"which has {[n for n, _ in saved][:10]}. Rename the layers to match, or "
                "load with `by_name=False` to match layers by position."
            )
    else:
        with_weights = [
            (name, group) for name, group in saved if read_names(f[group].attrs, "weight_names")
        ]
        if len(with_weights) != len(model_layers):
            raise ValueError(
                f"Cannot load '{filepath}' into model '{model.name}': the model has "
                f"{len(model_layers)} layer(s) with weights but the file has "
                f"{len(with_weights)} ({[n for n, _ in with_weights][:10]}). Layers are matched "
                "by position, so both must have the same architecture; pass `by_name=True` "
                "to match layers by name instead. Nothing was changed."
            )
        for k, (layer, (name, group)) in enumerate(zip(model_layers, with_weights, strict=True)):
            what = f"layer #{k} ('{layer.name}' in the model, '{name}' in the file)"
            slots += _slots_for(f, index, group, _legacy_weights(layer), what, used)
    own = _own_weights(model)
    top = f"{root}{TOP_LEVEL}"
    if top in index.groups:
        slots += _slots_for(f, index, top, own, f"model '{model.name}' (own weights)", used)
    else:
        slots += [Slot(f"{top}/{w.path}", w) for w in own]
    unexpected = [
        LoadEntry(key, None, stored.describe())
        for key, stored in sorted(index.arrays.items())
        if key not in used
    ]
    return Plan(slots, unexpected=unexpected)


@contextlib.contextmanager
def open_file(filepath: str) -> Iterator[Opened]:
    """Open a legacy ``.h5`` weights file for loading; its layers are paired by position or name."""
    with open_h5(filepath) as f:
        index = index_file(f, filepath)

        def pair(model: Any, by_name: bool) -> Plan:
            with metadata_errors(filepath):
                return plan(f, index, model, filepath, by_name)

        yield Opened(
            filepath, index, lambda stored, take: read_array(f, stored, filepath, take), pair
        )


FORMAT: WeightFormat = WeightFormat(
    name="legacy h5",
    suffixes=(".h5", ".hdf5"),
    description="the legacy Keras 2 layout",
    open=open_file,
    save=save,
    by_structure=False,
)
