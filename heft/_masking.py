"""Masks carried by tensors: attach, read and move a mask between layers.

A mask rides on the tensor it describes, as Keras's ``_keras_mask``: on objects
that take attributes (``jax.Array``, ``KerasTensor``) it is an attribute; JAX
tracers refuse attributes, so their masks live in a table keyed by ``id`` whose
entries are dropped when the tracer is garbage collected.
"""

from __future__ import annotations

import weakref
from typing import Any

_ATTR = "_keras_mask"
_table: dict[int, Any] = {}


def _forget(key: int) -> None:
    _table.pop(key, None)


def get_mask(x: Any) -> Any:
    """The mask attached to ``x``, or ``None``.

    >>> import jax.numpy as jnp
    >>> from heft import _masking
    >>> x = jnp.ones((2, 3))
    >>> _masking.get_mask(x) is None
    True
    """
    mask = getattr(x, _ATTR, None)
    if mask is None and _table:
        mask = _table.get(id(x))
    return mask


def set_mask(x: Any, mask: Any) -> None:
    """Attach ``mask`` to ``x`` in place (``None`` removes it)."""
    if x is None or isinstance(x, int | float | bool | str):
        return
    try:
        setattr(x, _ATTR, mask)
        return
    except (AttributeError, TypeError):
        pass
    key = id(x)
    if mask is None:
        _table.pop(key, None)
        return
    if key not in _table:
        try:
            weakref.finalize(x, _forget, key)
        except TypeError:
            return
    _table[key] = mask
