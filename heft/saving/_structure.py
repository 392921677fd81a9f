"""Pairing a model with a file laid out by the object-graph walk (``<path>/vars/<name>``)."""

from __future__ import annotations

from typing import Any

from ._format import FileIndex, StoredArray
from ._plan import OwnLoad, Plan, Slot
from ._report import LoadEntry
from ._store import reads_own
from ._walk import model_optimizer, vars_group, walk

# Keras 2.13 named the layer list ``_layer_checkpoint_dependencies``.
_KERAS_2_13_LAYERS = "_layer_checkpoint_dependencies"


def _resolve_group(index: FileIndex, path: str) -> str | None:
    """The file group holding the variables of the object at ``path``, if any."""
    group = vars_group(path)
    if group in index.groups:
        return group
    if _KERAS_2_13_LAYERS in index.groups and "layers" in path:
        legacy = vars_group(path.replace("layers", _KERAS_2_13_LAYERS))
        if legacy in index.groups:
            return legacy
    return None


def _by_group(index: FileIndex) -> dict[str, dict[str, StoredArray]]:
    """``{group: {name: stored}}`` for every stored value directly in a group."""
    out: dict[str, dict[str, StoredArray]] = {}
    for key, stored in index.arrays.items():
        group, _, name = key.rpartition("/")
        out.setdefault(group, {})[name] = stored
    return out


def plan(model: Any, index: FileIndex) -> Plan:
    """Pair every object the walk finds with its group of the file.

    A layer whose class defines ``load_own_variables`` gets its whole group
    (it reads what it wants); every other object gets one slot per variable,
    or one per object whose variable count differs from the file's.
    """
    optimizer = model_optimizer(model)
    members_of = _by_group(index)
    plan = Plan(slots=[])
    used: set[str] = set()
    for path, (obj, variables) in walk(model).items():
        group = _resolve_group(index, path)
        if group is None:
            group = vars_group(path)
        else:
            used.add(group)
        members = members_of.get(group, {})
        if reads_own(obj):
            # Its entries are reported once its hook has read them.
            used.update(f"{group}/{name}" for name in members)
            plan.own.append(OwnLoad(obj, group, members))
            continue
        is_optimizer = optimizer is not None and obj is optimizer
        plan.slots += _object_slots(obj, variables, group, members, is_optimizer, used)
    unexpected = [
        LoadEntry(key, None, stored.describe())
        for key, stored in index.arrays.items()
        if key not in used
    ]
    unexpected += [
        LoadEntry(group, None, "empty group no object of the model uses")
        for group in index.groups
        if group.rsplit("/", 1)[-1] == "vars" and group not in used and group not in members_of
    ]
    plan.unexpected = sorted(unexpected, key=lambda e: e.key)
    return plan


def _object_slots(
    obj: Any,
    variables: list[Any],
    group: str,
    members: dict[str, StoredArray],
    is_optimizer: bool,
    used: set[str],
) -> list[Slot]:
    """The slots of one object's variables against the entries of its file group."""
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
