"""The stores that layers' ``save_own_variables`` and ``load_own_variables`` write and read."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, NamedTuple

import jax
import numpy as np

from .. import _dtypes
from .._variable import Variable
from ..layers._layer import Layer
from ._buffers import plain
from ._format import Read, StoredArray
from ._walk import walk


def host_value(value: Any) -> np.ndarray:
    """A saved value as a C-ordered numpy array, without a copy where the backend allows it.

    A variable's value shares its device buffer on CPU (read-only); elsewhere
    it is one host transfer. Arrays a ``save_own_variables`` computed are
    returned as they are.
    """
    inner = getattr(value, "value", None)
    if isinstance(inner, jax.Array):
        return np.asarray(inner, order="C")
    if isinstance(value, np.ndarray):
        return np.asarray(value, order="C")
    return np.asarray(value.numpy() if hasattr(value, "numpy") else value, order="C")


def value_spec(value: Any) -> tuple[np.dtype, tuple[int, ...]]:
    """A saved value's host dtype and shape, without moving a variable's value."""
    inner = getattr(value, "value", None)
    if isinstance(inner, jax.Array):
        return np.dtype(inner.dtype), tuple(inner.shape)
    array = host_value(value)
    return array.dtype, tuple(array.shape)


def describe_value(value: Any, key: str) -> str:
    """How messages name a saved value: its variable, or the file key a layer chose."""
    path = getattr(value, "path", None)
    if isinstance(path, str):
        return f"variable '{path}' (file key '{key}')"
    return f"the value saved under file key '{key}'"


def _check_key(key: Any, owner: str) -> None:
    if not isinstance(key, str):
        raise TypeError(
            f"{owner} stored a value under the key {key!r} (of type {type(key).__name__}); "
            "the keys of a weight store are strings, such as '0' or 'kernel'."
        )
    if key in ("", ".", "..") or "/" in key:
        raise ValueError(
            f"{owner} stored a value under the key {key!r}, which cannot name a file entry: "
            "a key is a non-empty name without '/' (nor '.' or '..'), such as '0' or 'kernel'."
        )


class SaveStore(MutableMapping[str, Any]):
    """The entries one object writes to its group of a weight file: ``{name: value}``.

    A variable is kept as it is and read only when the file is written, so
    saving a model through its layers' stores copies one value at a time;
    anything else is taken as a numpy array at once (as Keras's stores do).

    Args:
        owner: How messages name the object (``"layer 'dense'"``).

    >>> store = SaveStore("layer 'demo'")
    >>> store["0"] = [1.0, 2.0]
    >>> list(store), store["0"].dtype
    (['0'], dtype('float64'))
    """

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self._entries: dict[str, Any] = {}

    def __setitem__(self, key: str, value: Any) -> None:
        _check_key(key, self.owner)
        if not isinstance(value, Variable):
            value = np.asarray(value)
            try:
                numeric = _dtypes.standardize_dtype(value.dtype) != "string"
            except ValueError:
                numeric = False
            if not numeric:
                raise TypeError(
                    f"{self.owner} stored a value of dtype {value.dtype} under the key "
                    f"{key!r}; weight files hold numeric arrays. Store a variable or a "
                    "numeric array."
                )
        self._entries[key] = value

    def __getitem__(self, key: str) -> Any:
        return self._entries[key]

    def __delitem__(self, key: str) -> None:
        del self._entries[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)


class SavedGroup(NamedTuple):
    """One saveable object and the entries it writes, ``{name: variable or array}``."""

    obj: Any
    entries: dict[str, Any]


def owner_name(obj: Any) -> str:
    """How messages name a saveable object: ``"layer 'dense'"`` or ``"optimizer 'adam'"``."""
    kind = "layer" if isinstance(obj, Layer) else "optimizer"
    return f"{kind} '{getattr(obj, 'name', '?')}'"


def saved_groups(model: Layer, filepath: str) -> dict[str, SavedGroup]:
    """What a weight file written from ``model`` holds, group by group, in the walk's order.

    Each layer's ``save_own_variables`` fills its group (the default writes
    its variables as ``"0"``, ``"1"``...); an optimizer writes its
    ``variables`` the same way. Every layer is asked before anything is
    written, so a ``save_own_variables`` that raises leaves the disk untouched.

    Raises:
        Exception: Whatever a layer's ``save_own_variables`` raises, with a
            note naming the layer and ``filepath``.
    """
    out: dict[str, SavedGroup] = {}
    for path, (obj, variables) in walk(model).items():
        if not isinstance(obj, Layer):
            out[path] = SavedGroup(obj, {str(i): v for i, v in enumerate(variables)})
            continue
        store = SaveStore(owner_name(obj))
        try:
            obj.save_own_variables(store)
        except Exception as err:
            err.add_note(
                f"Raised by `save_own_variables` of {owner_name(obj)} while saving "
                f"'{filepath}'; nothing was written."
            )
            raise
        out[path] = SavedGroup(obj, dict(store.items()))
    return out


class LoadStore(Mapping[str, np.ndarray]):
    """The entries of one layer's file group, read when its ``load_own_variables`` asks.

    Each value is read from the file on first access, as stored (bfloat16
    comes back as bfloat16), and its checksum is verified before the layer
    sees it. The store remembers which entries were read, for the load
    report, and the first damaged entry, which fails the load whatever the
    layer does with the error.

    Args:
        owner: How messages name the layer.
        group: The file group the entries come from (``"layers/dense/vars"``).
        members: ``{name: stored value}`` of the group.
        read: The file's reader.
    """

    def __init__(self, owner: str, group: str, members: dict[str, StoredArray], read: Read) -> None:
        self.owner, self.group = owner, group
        self._members = members
        self._read = read
        self._values: dict[str, np.ndarray] = {}
        self.damage: ValueError | None = None

    @property
    def read_keys(self) -> list[str]:
        """The names read so far, in the order first read."""
        return list(self._values)

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._values:
            return self._values[key]
        stored = self._members.get(key) if isinstance(key, str) else None
        if stored is None:
            raise KeyError(
                f"{self.owner} asked for entry {key!r}, which its file group '{self.group}' "
                f"does not hold (it holds {sorted(self._members)})"
            )
        try:
            array, check = self._read(stored, plain)
            check()
        except ValueError as err:
            self.damage = err
            raise
        self._values[key] = array
        return array

    def __iter__(self) -> Iterator[str]:
        return iter(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, key: object) -> bool:
        return key in self._members


def reads_own(obj: Any) -> bool:
    """Whether ``obj`` is a layer whose class defines its own ``load_own_variables``."""
    return isinstance(obj, Layer) and type(obj).load_own_variables is not Layer.load_own_variables
