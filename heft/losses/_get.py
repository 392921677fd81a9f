"""Losses by name: ``get``, ``serialize`` and ``deserialize``, with Keras 3's names and forms."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import _registry
from ._binary_crossentropy import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
)
from ._categorical_crossentropy import (
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
)
from ._circle import Circle, circle
from ._ctc import CTC, ctc
from ._hinge import CategoricalHinge, Hinge, SquaredHinge, categorical_hinge, hinge, squared_hinge
from ._loss import Loss
from ._probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from ._regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)
from ._segmentation import Dice, Tversky, dice, tversky
from ._sparse_categorical_crossentropy import (
    SparseCategoricalCrossentropy,
    sparse_categorical_crossentropy,
)
from ._wrapper import LossFunctionWrapper, serialize_function, serialize_value

_CLASSES: tuple[type[Loss], ...] = (
    Loss,
    LossFunctionWrapper,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCosh,
    Huber,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    Dice,
    Tversky,
    Circle,
    CTC,
)

_FUNCTIONS: tuple[Callable, ...] = (
    kl_divergence,
    poisson,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    log_cosh,
    huber,
    hinge,
    squared_hinge,
    categorical_hinge,
    dice,
    tversky,
    circle,
    ctc,
)

#: Every name ``get`` and ``deserialize`` understand: class names, function
#: names and Keras's short aliases.
ALL_OBJECTS_DICT: dict[str, Any] = {obj.__name__: obj for obj in (*_CLASSES, *_FUNCTIONS)}
ALL_OBJECTS_DICT.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
    }
)

_HINT = (
    "Pass a `Loss` instance or class, a function `fn(y_true, y_pred)`, a config dict from "
    "`serialize`, or one of the names: " + ", ".join(sorted(ALL_OBJECTS_DICT)) + "."
)

# Keras writes these two classes with their own module and registered name.
_SPECIAL_FORMS = {
    Loss: ("keras", None),
    LossFunctionWrapper: ("keras.src.losses.losses", "LossFunctionWrapper"),
}


def serialize(loss: Any) -> Any:
    """The Keras 3 config form of a loss instance or loss function.

    Instances give ``{"module": "keras.losses", "class_name", "config",
    "registered_name"}``; functions give Keras's ``"builtins"`` function form.

    Args:
        loss: A ``Loss``, a loss function, or ``None``.

    Returns:
        A config dict, or ``None`` for ``None``.

    Raises:
        ValueError: If ``loss`` is a lambda.
        TypeError: If ``loss`` is neither a function nor has ``get_config``.

    >>> serialize(MeanSquaredError())["config"]
    {'name': 'mean_squared_error', 'reduction': 'sum_over_batch_size'}
    """
    if loss is None:
        return None
    if inspect.isfunction(loss):
        return serialize_function(loss)
    if not hasattr(loss, "get_config"):
        raise TypeError(
            f"Cannot serialize the loss {loss!r} of type {type(loss).__name__}: it is not a "
            "function and has no `get_config()`. Subclass `heft.losses.Loss` and implement "
            "`get_config()`, or pass a named function."
        )
    cls = type(loss)
    config = serialize_value(loss.get_config())
    if cls in _SPECIAL_FORMS:
        module, registered = _SPECIAL_FORMS[cls]
    elif cls in _CLASSES:
        module, registered = "keras.losses", None
    else:
        module = cls.__module__
        registered = _registry.get_registered_name(cls)
    return {
        "module": module,
        "class_name": cls.__name__,
        "config": config,
        "registered_name": registered,
    }


def _lookup(name: str, custom_objects: Mapping[str, Any] | None) -> Any:
    found = _registry.get_registered_object(name, custom_objects, ALL_OBJECTS_DICT)
    if found is None:
        close = difflib.get_close_matches(name, ALL_OBJECTS_DICT, n=3)
        suggestion = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        raise ValueError(f"Could not interpret loss identifier: {name!r}.{suggestion} {_HINT}")
    return found


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild a loss (or loss function) from a name or a ``serialize`` dict.

    Args:
        config: A name (``"mse"``, ``"Huber"``), a class dict from
            ``serialize``, or a ``"builtins"`` function dict.
        custom_objects: Extra ``{name: class or function}`` to look names up in.

    Returns:
        A ``Loss`` instance for class names and dicts, a function for function
        names and function dicts.

    Raises:
        ValueError: If the name or class is unknown, or the config malformed.

    >>> deserialize({"class_name": "Huber", "config": {"name": "h", "reduction": "sum"}}).name
    'h'
    """
    if isinstance(config, str):
        found = _lookup(config, custom_objects)
        return found() if inspect.isclass(found) else found
    if not isinstance(config, Mapping) or "class_name" not in config:
        raise ValueError(
            f"Could not interpret loss identifier: {config!r}. Expected a name or a dict with "
            "keys 'class_name' and 'config', as produced by `heft.losses.serialize`."
        )
    if config["class_name"] == "function":
        name = config.get("config")
        if not isinstance(name, str):
            raise ValueError(
                f"Could not interpret loss function config: {dict(config)!r}. A function "
                "config names its function in 'config', e.g. 'mean_squared_error'."
            )
        found = _lookup(name, custom_objects)
        if not callable(found):
            raise ValueError(
                f"The loss function config names {name!r}, which is not callable. Register "
                "the function under that name or pass it in `custom_objects`."
            )
        return found
    with _registry.CustomObjectScope(custom_objects):
        return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "loss")


def get(identifier: Any) -> Any:
    """A loss instance or function from an identifier, as ``compile(loss=...)`` accepts them.

    Args:
        identifier: ``None``; a name (function names such as
            ``"sparse_categorical_crossentropy"`` or ``"mse"`` give the
            function, class names such as ``"Huber"`` a new instance); a config
            dict from ``serialize``; a ``Loss`` class (instantiated); or a loss
            instance or function (returned as is).

    Returns:
        A ``Loss``, a function, or ``None`` for ``None``.

    Raises:
        ValueError: If ``identifier`` names no loss or is not callable.

    >>> get("mse").__name__
    'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, Mapping):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = _lookup(identifier, None)
    else:
        found = identifier
    if callable(found):
        return found() if inspect.isclass(found) else found
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}. {_HINT}")
