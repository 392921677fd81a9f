"""Look initializers up by name, config dict, class, callable or array; serialize them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import numpy as np

from .. import _registry
from .._resolve import resolve
from .._typing import DTypeLike
from .._variable import Variable
from ._constant_initializers import Constant, Identity, Ones, Zeros
from ._initializer import Initializer, jax_dtype, standardize_shape
from ._random_initializers import Orthogonal, RandomNormal, RandomUniform, TruncatedNormal
from ._stft import STFT
from ._variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
)

_CLASSES = (
    Initializer,
    Constant,
    Identity,
    Ones,
    Zeros,
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    Orthogonal,
    RandomNormal,
    RandomUniform,
    TruncatedNormal,
    VarianceScaling,
    STFT,
)
_SNAKE_NAMES = {
    "initializer": Initializer,
    "constant": Constant,
    "identity": Identity,
    "ones": Ones,
    "zeros": Zeros,
    "glorot_normal": GlorotNormal,
    "glorot_uniform": GlorotUniform,
    "he_normal": HeNormal,
    "he_uniform": HeUniform,
    "lecun_normal": LecunNormal,
    "lecun_uniform": LecunUniform,
    "orthogonal": Orthogonal,
    "random_normal": RandomNormal,
    "random_uniform": RandomUniform,
    "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling,
    "stft": STFT,
}
_ALIASES = {
    "IdentityInitializer": Identity,
    "OrthogonalInitializer": Orthogonal,
    "STFTInitializer": STFT,
    "normal": RandomNormal,
    "uniform": RandomUniform,
    "one": Ones,
    "zero": Zeros,
}
ALL_OBJECTS_DICT: dict[str, Any] = {
    **{cls.__name__: cls for cls in _CLASSES},
    **_SNAKE_NAMES,
    **_ALIASES,
}


def serialize(initializer: Any) -> Any:
    """The Keras 3 dict form of ``initializer`` (``None`` stays ``None``).

    >>> serialize(GlorotUniform(seed=1))["config"]
    {'seed': 1, 'input_axes': None, 'output_axes': None}
    """
    return _registry.serialize_object(initializer, "keras.initializers")


def deserialize(config: Any, custom_objects: Mapping[str, Any] | None = None) -> Any:
    """Rebuild an initializer from a name or from the dict ``serialize`` returns.

    Args:
        config: A name (``"he_normal"``) or a dict with ``class_name`` and ``config``.
        custom_objects: Extra classes or functions by name.

    Returns:
        An initializer.

    Raises:
        ValueError: If the name or class is unknown.

    >>> type(deserialize({"class_name": "Ones", "config": {}})).__name__
    'Ones'
    """
    return _registry.deserialize_object(config, ALL_OBJECTS_DICT, custom_objects, "initializer")


def _array_initializer(array: Any) -> Callable[..., jax.Array]:
    """An initializer returning ``array`` cast to the requested dtype."""

    def initialize_fn(shape: Any, dtype: DTypeLike = None) -> jax.Array:
        value = array.value if isinstance(array, Variable) else array
        expected = tuple(value.shape)
        if standardize_shape(shape) != expected:
            raise ValueError(
                f"Expected `shape` to be {expected} for direct tensor as initializer. "
                f"Received shape={shape}. Pass an array of the variable's shape, or "
                "create the variable with the array's shape."
            )
        jdtype = jax_dtype(dtype)
        if isinstance(value, jax.Array) and value.dtype == jdtype:
            return value
        if isinstance(value, jax.core.Tracer):
            return value.astype(jdtype)
        return jax.device_put(np.asarray(value).astype(jdtype))

    return initialize_fn


def _from_value(value: Any) -> Any:
    """An array or Variable becomes an initializer returning it; anything else stays."""
    if isinstance(value, jax.Array | np.ndarray | np.generic | Variable):
        return _array_initializer(value)
    return value


def get(identifier: Any) -> Any:
    """Turn ``identifier`` into an initializer.

    Args:
        identifier: ``None``; a name (class name, snake_case name, or one of
            ``normal``, ``uniform``, ``one``, ``zero``, ``IdentityInitializer``,
            ``OrthogonalInitializer``); a config dict; an initializer class (it is
            instantiated); a callable ``(shape, dtype=None)``; or an array or
            Variable, whose value is used for a variable of the same shape.

    Returns:
        An initializer callable, or ``None``.

    Raises:
        ValueError: If ``identifier`` cannot be interpreted.

    >>> type(get("glorot_uniform")).__name__
    'GlorotUniform'
    """
    return resolve(
        identifier,
        kind="initializer",
        deserialize=deserialize,
        known=f"{sorted(_SNAKE_NAMES)} (or a class name, or a registered custom name).",
        expected="a name such as 'glorot_uniform', a config dict, an initializer instance "
        "or class, a callable `(shape, dtype=None)`, or an array.",
        convert=_from_value,
    )
