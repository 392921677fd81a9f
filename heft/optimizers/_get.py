"""Look optimizers up by name, config dict or instance; serialize them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .. import _registry
from ._adadelta import Adadelta
from ._adafactor import Adafactor
from ._adagrad import Adagrad
from ._adam import Adam
from ._adamax import Adamax
from ._adamw import AdamW
from ._ftrl import Ftrl
from ._lamb import Lamb
from ._lion import Lion
from ._multi import MultiOptimizer, OptimizerMap
from ._muon import Muon
from ._nadam import Nadam
from ._optimizer import Optimizer
from ._rmsprop import RMSprop
from ._schedule_free_adamw import ScheduleFreeAdamW
from ._sgd import SGD

ALL_OBJECTS = (
    Optimizer,
    SGD,
    Adam,
    AdamW,
    RMSprop,
    Adagrad,
    Adadelta,
    Adamax,
    Nadam,
    Lion,
    Adafactor,
    Ftrl,
    Lamb,
    Muon,
    ScheduleFreeAdamW,
    MultiOptimizer,
    OptimizerMap,
)
# Keras matches built-in names case-insensitively: "adam", "Adam", "RMSprop", "rmsprop".
ALL_OBJECTS_DICT: dict[str, Any] = {cls.__name__.lower(): cls for cls in ALL_OBJECTS}


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The Keras dict form of an optimizer (its config, not its state).

    >>> serialize(SGD())["class_name"]
    'SGD'
    """
    return _registry.serialize_object(optimizer, "keras.optimizers")


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Optimizer:
    """Rebuild an optimizer from the dict ``serialize`` returns.

    Args:
        config: A dict with ``class_name`` and ``config``; built-in class names
            match case-insensitively.
        custom_objects: Extra optimizer classes by name.

    Returns:
        A new optimizer (not built).

    Raises:
        ValueError: If the class is unknown or the dict is malformed.

    >>> deserialize({"class_name": "adam", "config": {"learning_rate": 0.5}}).get_config()["learning_rate"]
    0.5
    """
    if isinstance(config, Mapping) and isinstance(config.get("class_name"), str):
        if config["class_name"].lower() in ALL_OBJECTS_DICT:
            config = {**config, "class_name": config["class_name"].lower()}
        inner = config.get("config")
        if isinstance(inner, Mapping) and isinstance(inner.get("learning_rate"), Mapping):
            cls = _registry.get_registered_object(
                config.get("registered_name") or config["class_name"],
                custom_objects,
                ALL_OBJECTS_DICT,
            )
            if cls is not None and hasattr(cls, "from_config"):
                return cls.from_config(dict(inner), custom_objects=custom_objects)
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "optimizer")


def get(identifier: Any) -> Optimizer | None:
    """Turn ``identifier`` into an optimizer.

    Args:
        identifier: ``None``, a name (``"adam"``, ``"sgd"``, ``"rmsprop"``, ...), a
            config dict, or an ``Optimizer`` instance (returned unchanged).

    Returns:
        An optimizer, or ``None``.

    Raises:
        ValueError: If ``identifier`` cannot be interpreted.

    >>> type(get("adam")).__name__
    'Adam'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        try:
            obj = deserialize({"class_name": identifier, "config": {}})
        except ValueError:
            obj = None
    else:
        obj = None
    if isinstance(obj, Optimizer):
        return obj
    names = ", ".join(repr(n) for n in ALL_OBJECTS_DICT if n != "optimizer")
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier}. Pass an optimizer "
        f"instance, a config dict, or one of the names {names}."
    )
