"""Weight projections applied after each optimizer step: ``NonNeg``, ``MaxNorm``, ``UnitNorm``, ``MinMaxNorm``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._variable import Variable


def _as_array(w: Any) -> jax.Array:
    return w.value if isinstance(w, Variable) else jnp.asarray(w)


def _norms(w: jax.Array, axis: Any) -> jax.Array:
    return jnp.sqrt(jnp.sum(jnp.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class of constraints: callables ``weight -> projected weight``.

    The optimizer applies a variable's constraint after each update. The base
    class returns the weight unchanged.

    >>> class Clip(Constraint):
    ...     def __call__(self, w):
    ...         return jnp.clip(w, -1.0, 1.0)
    >>> Clip()(jnp.array([-3.0, 0.5])).tolist()
    [-1.0, 0.5]
    """

    def __call__(self, w: Any) -> Any:
        """Return the projected ``w`` (``w`` itself in the base class)."""
        return w

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-serializable dict (``{}`` here)."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constraint:
        """Rebuild a constraint from the output of ``get_config``."""
        return cls(**config)


class NonNeg(Constraint):
    """Constrains weights to be non-negative (negative entries become 0).

    >>> NonNeg()(jnp.array([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __call__(self, w: Any) -> jax.Array:
        return jnp.maximum(_as_array(w), 0)


class MaxNorm(Constraint):
    """Rescales slices whose L2 norm along ``axis`` exceeds ``max_value``.

    Args:
        max_value: The largest norm allowed.
        axis: The axis (or axes) the norm is taken over; 0 for a Dense kernel
            ``(input_dim, units)`` constrains each unit's incoming weights.

    >>> [round(v, 4) for v in MaxNorm(max_value=1.0)(jnp.array([3.0, 4.0])).tolist()]
    [0.6, 0.8]
    """

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = _as_array(w)
        norms = _norms(w, self.axis)
        desired = jnp.clip(norms, 0, self.max_value)
        return w.astype(norms.dtype) * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class UnitNorm(Constraint):
    """Rescales slices along ``axis`` to unit L2 norm.

    Args:
        axis: The axis (or axes) the norm is taken over.

    >>> [round(v, 4) for v in UnitNorm()(jnp.array([3.0, 4.0])).tolist()]
    [0.6, 0.8]
    """

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = _as_array(w)
        norms = _norms(w, self.axis)
        return w.astype(norms.dtype) / (_config.epsilon() + norms)

    def get_config(self) -> dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves slice norms along ``axis`` into ``[min_value, max_value]`` at speed ``rate``.

    The new norm is ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``;
    ``rate=1.0`` projects exactly into the interval.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How far to move towards the interval, in ``[0, 1]``.
        axis: The axis (or axes) the norm is taken over.

    >>> [round(v, 4) for v in MinMaxNorm(2.0, 3.0)(jnp.array([0.6, 0.8])).tolist()]
    [1.2, 1.6]
    """

    def __init__(
        self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0
    ) -> None:
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w: Any) -> jax.Array:
        w = _as_array(w)
        norms = _norms(w, self.axis)
        desired = (
            self.rate * jnp.clip(norms, self.min_value, self.max_value) + (1 - self.rate) * norms
        )
        return w.astype(norms.dtype) * (desired / (_config.epsilon() + norms))

    def get_config(self) -> dict[str, Any]:
        return {
            "min_value": self.min_value,
            "max_value": self.max_value,
            "rate": self.rate,
            "axis": self.axis,
        }
