"""The ``.weights.h5`` format: Keras 3's layout, written from and matched against the walk."""

from __future__ import annotations

from typing import Any

import h5py

from ._atomic import Writeback, atomic_path
from ._hdf5 import (
    H5Index,
    StoredArray,
    host_array,
    index_file,
    metadata_errors,
    open_h5,
    read_array,
    write_array,
)
from ._loading import Slot, execute
from ._policy import LoadPolicy
from ._report import LoadEntry, LoadReport
from ._walk import WalkEntry, model_optimizer, vars_group, walk

FORMAT = "weights.h5"
# Keras 2.13 named the layer list ``_layer_checkpoint_dependencies``.
_KERAS_2_13_LAYERS = "_layer_checkpoint_dependencies"


def write(entries: dict[str, WalkEntry], filepath: str, overwrite: bool) -> None:
    """Write the walk's result to ``filepath`` atomically, in Keras 3's layout.

    Each object gets the group ``<path>/vars`` with attribute ``name`` and one
    dataset per variable (``"0"``, ``"1"``...); values go to the file one
    variable at a time. The file has no root attributes.
    """
    with atomic_path(filepath, overwrite) as tmp, h5py.File(tmp, "w") as f:
        write_entries(f, entries, Writeback(tmp))


def write_entries(
    f: h5py.File, entries: dict[str, WalkEntry], writeback: Writeback | None = None
) -> None:
    """Write the walk's result into the open file ``f`` (the body of :func:`write`).

    Each value is written straight from its device buffer where the backend
    allows (see ``host_array``), so saving adds about one variable's worth of
    memory at most.
    """
    for path, (obj, variables) in entries.items():
        group = f.require_group(vars_group(path))
        name = getattr(obj, "name", None)
        if isinstance(name, str):
            group.attrs["name"] = name
        for i, variable in enumerate(variables):
            value = host_array(variable)
            write_array(group, str(i), value)
            if writeback is not None:
                writeback.wrote(value.nbytes)


def save(model: Any, filepath: str, overwrite: bool) -> None:
    """Save ``model``'s weights to ``filepath`` (a ``.weights.h5`` file)."""
    write(walk(model), filepath, overwrite)


def _resolve_group(index: H5Index, path: str) -> str | None:
    """The file group holding the variables of the object at ``path``, if any."""
    group = vars_group(path)
    if group in index.groups:
        return group
    if _KERAS_2_13_LAYERS in index.groups and "layers" in path:
        legacy = vars_group(path.replace("layers", _KERAS_2_13_LAYERS))
        if legacy in index.groups:
            return legacy
    return None


def _members(index: H5Index, group: str) -> dict[str, Any]:
    prefix = f"{group}/"
    return {
        key[len(prefix) :]: stored
        for key, stored in index.arrays.items()
        if key.startswith(prefix) and "/" not in key[len(prefix) :]
    }


def plan(model: Any, index: H5Index) -> tuple[list[Slot], list[LoadEntry]]:
    """Pair every variable the walk finds with the file's datasets.

    Returns:
        The slots (one per variable, or one per object whose variable count
        differs from the file's) and the file entries nothing uses.
    """
    optimizer = model_optimizer(model)
    slots: list[Slot] = []
    used: set[str] = set()
    for path, (obj, variables) in walk(model).items():
        group = _resolve_group(index, path)
        if group is None:
            group = vars_group(path)
        else:
            used.add(group)
        members = _members(index, group)
        is_optimizer = optimizer is not None and obj is optimizer
        slots += _object_slots(obj, variables, group, members, is_optimizer, used)
    unexpected = [
        LoadEntry(key, None, stored.describe())
        for key, stored in index.arrays.items()
        if key not in used
    ]
    unexpected += [
        LoadEntry(group, None, "empty group no object of the model uses")
        for group in index.groups
        if group.rsplit("/", 1)[-1] == "vars" and group not in used and not _members(index, group)
    ]
    return slots, sorted(unexpected, key=lambda e: e.key)


def _object_slots(
    obj: Any,
    variables: list[Any],
    group: str,
    members: dict[str, StoredArray],
    is_optimizer: bool,
    used: set[str],
) -> list[Slot]:
    """The slots of one object's variables against the datasets of its file group."""
    what = f"optimizer '{getattr(obj, 'name', '?')}'" if is_optimizer else f"layer '{obj.name}'"
    n, k = len(variables), len(members)
    if n == k or k == 0:
        used.update(f"{group}/{i}" for i in range(n) if str(i) in members)
        slots = [
            Slot(f"{group}/{i}", v, stored=members.get(str(i))) for i, v in enumerate(variables)
        ]
        if is_optimizer and k == 0:
            problem = f"{what} has {n} variable(s) but the file holds no optimizer state"
            for slot in slots:
                slot.problem, slot.soft = problem, True
        return slots
    used.update(f"{group}/{name}" for name in members)
    problem = f"{what} has {n} variable(s) but the file's group '{group}' holds {k}"
    if is_optimizer and (n == 0 or getattr(obj, "built", True) is False):
        problem += (
            "; the optimizer is not built yet: build it first (e.g. "
            "`model.optimizer.build(model.trainable_variables)`) to load its state"
        )
    elif n == 0 and not getattr(obj, "built", True):
        problem += "; the layer is not built: call the model on data (or `build()`) first"
    if n == 0:
        return [Slot(group, _Placeholder(obj, group), problem=problem, soft=is_optimizer)]
    return [
        Slot(f"{group}/{i}", v, stored=members.get(str(i)), problem=problem, soft=is_optimizer)
        for i, v in enumerate(variables)
    ]


class _Placeholder:
    """Stands in a report row for an object that has no variables."""

    def __init__(self, obj: Any, group: str) -> None:
        self.path = getattr(obj, "path", None) or getattr(obj, "name", None) or group
        self.shape = ()
        self.dtype = "-"


def load(model: Any, filepath: str, policy: LoadPolicy, dry_run: bool) -> LoadReport:
    """Load a ``.weights.h5`` file into ``model`` (all or nothing)."""
    with open_h5(filepath) as f:
        return load_open(model, f, filepath, policy, dry_run)


def load_open(
    model: Any,
    f: h5py.File,
    filepath: str,
    policy: LoadPolicy,
    dry_run: bool,
    fmt: str = FORMAT,
    index: H5Index | None = None,
) -> LoadReport:
    """Load the open ``.weights.h5`` file ``f`` (named ``filepath`` in messages) into ``model``."""
    if index is None:
        index = index_file(f, filepath)
    with metadata_errors(filepath):
        legacy_root = "model_weights" in index.groups and "layer_names" in f["model_weights"].attrs
        legacy = "layer_names" in f.attrs or legacy_root
    if legacy:
        raise ValueError(
            f"'{filepath}' is a legacy Keras 2 weights file (it lists `layer_names`), "
            "not a `.weights.h5` file in the Keras 3 layout. Rename it to end in `.h5` "
            "and load it again; the legacy reader matches it layer by layer."
        )
    slots, unexpected = plan(model, policy.remap(index))
    return execute(
        lambda stored, take: read_array(f, stored, filepath, take),
        model,
        slots,
        unexpected,
        filepath,
        fmt,
        policy,
        dry_run,
    )
