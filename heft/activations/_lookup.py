"""Activations by name: ``get``, ``serialize`` and ``deserialize``, with Keras 3's forms."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from .. import _registry
from . import _activations as _fns

_BUILTINS: tuple[Callable, ...] = (
    _fns.celu,
    _fns.elu,
    _fns.exponential,
    _fns.gelu,
    _fns.glu,
    _fns.hard_shrink,
    _fns.hard_sigmoid,
    _fns.hard_silu,
    _fns.hard_tanh,
    _fns.leaky_relu,
    _fns.linear,
    _fns.log_sigmoid,
    _fns.log_softmax,
    _fns.mish,
    _fns.relu,
    _fns.relu6,
    _fns.selu,
    _fns.sigmoid,
    _fns.silu,
    _fns.soft_shrink,
    _fns.softmax,
    _fns.softplus,
    _fns.softsign,
    _fns.sparse_plus,
    _fns.sparse_sigmoid,
    _fns.sparsemax,
    _fns.squareplus,
    _fns.tanh,
    _fns.tanh_shrink,
    _fns.threshold,
)

#: Builtin activations by name, including the aliases ``swish`` and ``hard_swish``.
ALL_OBJECTS_DICT: dict[str, Callable] = {fn.__name__: fn for fn in _BUILTINS}
ALL_OBJECTS_DICT["swish"] = _fns.silu
ALL_OBJECTS_DICT["hard_swish"] = _fns.hard_silu

_HINT = (
    "Use the name of a builtin activation (one of "
    f"{', '.join(sorted(ALL_OBJECTS_DICT))}), a callable, or a function decorated with "
    "`@heft.saving.register_keras_serializable()`."
)


def serialize(activation: Callable) -> str | dict[str, Any]:
    """The config form of ``activation``, as Keras 3 writes it in layer configs.

    Builtin activations (and functions named like one) give their name, e.g.
    ``"relu"``; ``swish`` gives ``"silu"``. Other named functions give
    ``{"module": "builtins", "class_name": "function", "config": <registered name>,
    "registered_name": "function"}``; objects with ``get_config`` give the usual
    class dict.

    Args:
        activation: The activation function or callable object.

    Returns:
        A name string or a config dict.

    Raises:
        ValueError: If ``activation`` is a lambda or an object without ``get_config``,
            which cannot be named in a config.

    >>> serialize(relu), serialize(swish)
    ('relu', 'silu')
    """
    if inspect.isfunction(activation) or inspect.isbuiltin(activation):
        name = activation.__name__
        if name == "<lambda>":
            raise ValueError(
                "Cannot serialize a lambda activation: it has no name to store in the "
                "config. Define it with `def`, decorate it with "
                "`@heft.saving.register_keras_serializable()`, and pass that function."
            )
        if name in ALL_OBJECTS_DICT and _registry.get_registered_name(activation) == name:
            return name
        return {
            "module": "builtins",
            "class_name": "function",
            "config": _registry.get_registered_name(activation),
            "registered_name": "function",
        }
    if hasattr(activation, "get_config"):
        return _registry.serialize_object(activation, module=type(activation).__module__)
    raise ValueError(
        f"Unknown activation function '{activation}' cannot be serialized: it is neither "
        "a named function nor an object with `get_config()`. " + _HINT
    )


def _lookup(name: str, custom_objects: Mapping[str, Any] | None) -> Any:
    if name in ALL_OBJECTS_DICT and not (custom_objects and name in custom_objects):
        return ALL_OBJECTS_DICT[name]
    return _registry.get_registered_object(name, custom_objects, ALL_OBJECTS_DICT)


def deserialize(
    config: str | Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> Callable:
    """The activation described by ``config`` (a name, or a dict from ``serialize``).

    Args:
        config: A builtin or registered name (``"relu"``, ``"my_package>my_fn"``), or
            a dict as produced by ``serialize``.
        custom_objects: Extra ``{name: function}`` to look names up in.

    Returns:
        The activation function (or object).

    Raises:
        ValueError: If the name is unknown or ``config`` is malformed.
        TypeError: If a function dict names a function that is not registered.

    >>> deserialize("relu") is relu
    True
    """
    if isinstance(config, str):
        found = _lookup(config, custom_objects)
        if found is None:
            raise ValueError(
                f"Could not interpret activation function identifier: {config!r}. {_HINT}"
            )
        return found
    if isinstance(config, Mapping) and config.get("class_name") == "function":
        name = config.get("config")
        found = _lookup(name, custom_objects) if isinstance(name, str) else None
        if found is None:
            raise TypeError(
                f"Could not locate function {name!r}. Make sure custom functions are decorated "
                "with `@heft.saving.register_keras_serializable()` and imported before "
                f"loading, or pass them in `custom_objects`. Full object config: {dict(config)}"
            )
        return found
    if isinstance(config, Mapping) and "class_name" in config:
        return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "activation")
    raise ValueError(
        f"Could not interpret activation function identifier: {config!r}. Expected a name "
        "or a dict with keys 'class_name' and 'config', as produced by `serialize`."
    )


def get(identifier: Any) -> Callable:
    """The activation function for ``identifier``.

    Args:
        identifier: ``None`` (gives ``linear``), a name such as ``"relu"``, a config
            dict from ``serialize``, or a callable (returned as is).

    Returns:
        A callable activation.

    Raises:
        ValueError: If ``identifier`` names no activation or is not callable.

    >>> get("relu") is relu, get(None) is linear
    (True, True)
    """
    if identifier is None:
        return _fns.linear
    if isinstance(identifier, str):
        found = _lookup(identifier, None)
    elif isinstance(identifier, Mapping):
        found = deserialize(identifier) if "class_name" in identifier else None
    else:
        found = identifier
    if callable(found):
        return found
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. {_HINT}")
