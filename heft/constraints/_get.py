"""Look constraints up by name, config dict, class or callable; serialize them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _registry
from .._resolve import resolve
from ._constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

# Class names and their snake_case forms, as Keras 3 accepts them ("nonneg" is not one).
ALL_OBJECTS_DICT: dict[str, Any] = {
    "Constraint": Constraint,
    "constraint": Constraint,
    "MaxNorm": MaxNorm,
    "max_norm": MaxNorm,
    "MinMaxNorm": MinMaxNorm,
    "min_max_norm": MinMaxNorm,
    "NonNeg": NonNeg,
    "non_neg": NonNeg,
    "UnitNorm": UnitNorm,
    "unit_norm": UnitNorm,
}


def serialize(constraint: Any) -> Any:
    """The Keras 3 dict form of ``constraint`` (``None`` stays ``None``).

    >>> serialize(MaxNorm(3))["config"]
    {'max_value': 3, 'axis': 0}
    """
    return _registry.serialize_object(constraint, "keras.constraints")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a constraint from a name or from the dict ``serialize`` returns.

    Args:
        config: A name (``"non_neg"``) or a dict with ``class_name`` and ``config``.
        custom_objects: Extra classes or functions by name.

    Returns:
        A constraint.

    Raises:
        ValueError: If the name or class is unknown.

    >>> deserialize({"class_name": "UnitNorm", "config": {"axis": 1}}).axis
    1
    """
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "constraint")


def get(identifier: Any) -> Any:
    """Turn ``identifier`` into a constraint.

    Args:
        identifier: ``None``; a name (``"non_neg"``, ``"max_norm"``,
            ``"min_max_norm"``, ``"unit_norm"`` or a class name); a config dict;
            a constraint class (it is instantiated); or a callable ``weight -> weight``.

    Returns:
        A constraint callable, or ``None``.

    Raises:
        ValueError: If ``identifier`` cannot be interpreted.

    >>> type(get("non_neg")).__name__
    'NonNeg'
    """
    return resolve(
        identifier,
        kind="constraint",
        deserialize=deserialize,
        known="'non_neg', 'max_norm', 'min_max_norm', 'unit_norm' (or a class name, or a "
        "registered custom name).",
        expected="a name such as 'non_neg', a config dict, a constraint instance or class, "
        "or a callable `weight -> weight`.",
    )
