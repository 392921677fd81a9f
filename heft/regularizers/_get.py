"""Look regularizers up by name, config dict, class or callable; serialize them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _registry
from .._resolve import resolve
from ._regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer

# Class names and their snake_case forms, as Keras 3 accepts them ("l1_l2" is not one).
ALL_OBJECTS_DICT: dict[str, Any] = {
    "Regularizer": Regularizer,
    "regularizer": Regularizer,
    "L1": L1,
    "l1": L1,
    "L2": L2,
    "l2": L2,
    "L1L2": L1L2,
    "l1l2": L1L2,
    "OrthogonalRegularizer": OrthogonalRegularizer,
    "orthogonal_regularizer": OrthogonalRegularizer,
}


def serialize(regularizer: Any) -> Any:
    """The Keras 3 dict form of ``regularizer`` (``None`` stays ``None``).

    >>> serialize(L2(0.5))
    {'module': 'keras.regularizers', 'class_name': 'L2', 'config': {'l2': 0.5}, 'registered_name': None}
    """
    return _registry.serialize_object(regularizer, "keras.regularizers")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a regularizer from a name or from the dict ``serialize`` returns.

    Args:
        config: A name (``"l2"``) or a dict with ``class_name`` and ``config``.
        custom_objects: Extra classes or functions by name.

    Returns:
        A regularizer.

    Raises:
        ValueError: If the name or class is unknown.

    >>> deserialize({"class_name": "L1", "config": {"l1": 0.1}}).l1
    0.1
    """
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "regularizer")


def get(identifier: Any) -> Any:
    """Turn ``identifier`` into a regularizer.

    Args:
        identifier: ``None``; a name (``"l1"``, ``"l2"``, ``"l1l2"``,
            ``"orthogonal_regularizer"`` or a class name); a config dict; a
            regularizer class (it is instantiated); or a callable ``weight -> penalty``.

    Returns:
        A regularizer callable, or ``None``.

    Raises:
        ValueError: If ``identifier`` cannot be interpreted.

    >>> get("l2").l2
    0.01
    """
    return resolve(
        identifier,
        kind="regularizer",
        deserialize=deserialize,
        known="'l1', 'l2', 'l1l2', 'orthogonal_regularizer' (or a class name, or a "
        "registered custom name); for both penalties use 'l1l2' or `L1L2(l1, l2)`.",
        expected="a name such as 'l2', a config dict, a regularizer instance or class, "
        "or a callable `weight -> penalty`.",
    )
