"""Deterministic initializers: ``Zeros``, ``Ones``, ``Constant`` and ``Identity``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config_arrays
from .._variable import Variable
from ._initializer import Initializer, jax_dtype, standardize_shape

# Values are built in numpy and transferred with `jax.device_put`: an eager
# `jnp.zeros(shape)` or `jnp.asarray(ndarray)` compiles a program per shape.


def _host_full(shape: tuple[int, ...], value: Any, dtype: np.dtype) -> jax.Array:
    return jax.device_put(np.full(shape, value, dtype=dtype))


class Zeros(Initializer):
    """Initializer that fills with zeros.

    >>> Zeros()((2, 2)).tolist()
    [[0.0, 0.0], [0.0, 0.0]]
    """

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return zeros of ``shape`` and ``dtype`` (``None`` means ``floatx()``)."""
        return _host_full(standardize_shape(shape), 0, jax_dtype(dtype))


class Ones(Initializer):
    """Initializer that fills with ones.

    >>> Ones()((3,), dtype="int32").tolist()
    [1, 1, 1]
    """

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return ones of ``shape`` and ``dtype`` (``None`` means ``floatx()``)."""
        return _host_full(standardize_shape(shape), 1, jax_dtype(dtype))


def _serialize_value(value: Any) -> Any:
    """A JSON-friendly form of ``value``, in the encoding Keras 3 writes to configs."""
    if isinstance(value, Variable):
        value = value.value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {
            "class_name": "__numpy__",
            "config": {"value": value.tolist(), "dtype": str(value.dtype)},
        }
    if isinstance(value, jax.Array):
        return {
            "class_name": "__tensor__",
            "config": {"value": np.asarray(value).tolist(), "dtype": str(value.dtype)},
        }
    return value


def _deserialize_value(value: Any) -> Any:
    """Undo ``_serialize_value``; arrays are read within ``heft/_config_arrays.py``'s bounds."""
    if isinstance(value, dict) and value.get("class_name") in ("__numpy__", "__tensor__"):
        array = _config_arrays.decode_array(
            value.get("config"), "the `value` of a Constant initializer's config"
        )
        return array if value["class_name"] == "__numpy__" else jax.device_put(array)
    return value


class Constant(Initializer):
    """Initializer that fills with a constant value.

    Args:
        value: A Python scalar, or an array broadcastable to the requested shape.

    >>> Constant(3.0)((2,)).tolist()
    [3.0, 3.0]
    """

    def __init__(self, value: Any = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return ``value`` cast to ``dtype`` and broadcast to ``shape``.

        Raises:
            TypeError: If ``value``'s shape does not broadcast to ``shape``.
        """
        shape = standardize_shape(shape)
        jdtype = jax_dtype(dtype)
        value = self.value.value if isinstance(self.value, Variable) else self.value
        if isinstance(value, jax.core.Tracer):
            return jnp.broadcast_to(jnp.asarray(value).astype(jdtype), shape)
        array = np.asarray(value).astype(jdtype)
        try:
            out = np.broadcast_to(array, shape)
        except ValueError:
            raise TypeError(
                f"Constant initializer value of shape {array.shape} cannot be broadcast to "
                f"the requested shape {shape}. Pass a scalar, or an array whose shape "
                "broadcasts to the variable's shape."
            ) from None
        return jax.device_put(np.ascontiguousarray(out))

    def get_config(self) -> dict[str, Any]:
        return {"value": _serialize_value(self.value)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constant:
        return cls(_deserialize_value(config.get("value", 0.0)))


class Identity(Initializer):
    """Initializer that produces ``gain`` times the identity matrix (2-D shapes only).

    Args:
        gain: The value on the diagonal.

    >>> Identity(gain=2.0)((2, 3)).tolist()
    [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return ``gain * eye(rows, cols)`` in ``dtype``.

        Raises:
            ValueError: If ``shape`` is not 2-D.
        """
        shape = standardize_shape(shape)
        if len(shape) != 2:
            raise ValueError(
                "Identity matrix initializer can only be used for 2D matrices. "
                f"Received: shape={shape} of rank {len(shape)}. Use it for 2-D weights "
                "such as a Dense kernel."
            )
        jdtype = jax_dtype(dtype)
        eye = np.eye(shape[0], shape[1], dtype=jdtype)
        return jax.device_put(eye * np.asarray(self.gain, dtype=jdtype))

    def get_config(self) -> dict[str, Any]:
        # Keras 3 returns {} here and so loses `gain` in a round trip; heft keeps it.
        return {"gain": self.gain}
