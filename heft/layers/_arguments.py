"""Constructor arguments by table: resolved, set and configured by the kind their name ends with."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .. import activations, constraints, initializers, regularizers

# By the kind an argument's name ends with (``kernel_initializer``: ``initializer``):
# how a constructor resolves it, and how a config writes it. Other values are kept.
_RESOLVERS: dict[str, Callable[[Any], Any]] = {
    "activation": activations.get,
    "initializer": initializers.get,
    "regularizer": regularizers.get,
    "constraint": constraints.get,
}
_SERIALIZERS: dict[str, Callable[[Any], Any]] = {
    "activation": activations.serialize,
    "initializer": initializers.serialize,
    "regularizer": regularizers.serialize,
    "constraint": constraints.serialize,
}


def _kind(name: str) -> str:
    return name.rsplit("_", 1)[-1]


def weight_arguments(*weights: str, activity: bool = False) -> tuple[str, ...]:
    """The initializer, regularizer and constraint arguments of ``weights``, in Keras's order.

    With ``activity``, ``activity_regularizer`` follows the weights' regularizers,
    as in the configs of Keras's convolutions.

    >>> weight_arguments("kernel", "bias", activity=True)[2:]
    ('kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'kernel_constraint', \
'bias_constraint')
    """
    names = []
    for kind in ("initializer", "regularizer", "constraint"):
        names += [f"{weight}_{kind}" for weight in weights]
        if activity and kind == "regularizer":
            names.append("activity_regularizer")
    return tuple(names)


def pick(values: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """``{name: values[name]}`` for ``names``: a constructor's ``locals()`` passed on by table.

    >>> pick({"units": 2, "seed": 1, "self": None}, ("units",))
    {'units': 2}
    """
    return {name: values[name] for name in names}


def set_arguments(owner: Any, values: Mapping[str, Any], names: Sequence[str]) -> None:
    """Set ``owner.<name>`` for each of ``names`` from ``values``, resolved by its kind.

    Activations, initializers, regularizers and constraints go through their
    ``get``; other values are set as they are.

    >>> from types import SimpleNamespace
    >>> owner = SimpleNamespace()
    >>> set_arguments(owner, {"use_bias": True, "activation": "relu"}, ("use_bias", "activation"))
    >>> owner.use_bias, owner.activation.__name__
    (True, 'relu')
    """
    for name in names:
        resolve = _RESOLVERS.get(_kind(name))
        value = values[name]
        setattr(owner, name, resolve(value) if resolve else value)


def argument_config(owner: Any, names: Sequence[str]) -> dict[str, Any]:
    """``{name: owner.name}`` for ``names``, objects serialized as in Keras configs.

    >>> from heft.layers import Dense
    >>> argument_config(Dense(2), ("units", "activation", "bias_initializer"))
    {'units': 2, 'activation': 'linear', 'bias_initializer': {'module': 'keras.initializers', \
'class_name': 'Zeros', 'config': {}, 'registered_name': None}}
    """
    config = {}
    for name in names:
        serialize = _SERIALIZERS.get(_kind(name))
        value = getattr(owner, name)
        config[name] = serialize(value) if serialize else value
    return config


# What a layer with a kernel and a bias sets with ``set_arguments`` (Dense, convolutions).
KERNEL_BIAS_ARGUMENTS = ("activation", "use_bias", *weight_arguments("kernel", "bias"))


class KernelBiasArguments:
    """The attributes ``set_arguments`` gives a layer with a kernel and a bias (for type checkers)."""

    activation: Callable[..., Any]
    use_bias: bool
    kernel_initializer: Any
    bias_initializer: Any
    kernel_regularizer: Any
    bias_regularizer: Any
    kernel_constraint: Any
    bias_constraint: Any
