"""Weight penalties: ``L1``, ``L2``, ``L1L2`` and ``OrthogonalRegularizer``."""

from __future__ import annotations

import math
import numbers
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config
from .._variable import Variable


def _as_array(x: Any) -> jax.Array:
    return x.value if isinstance(x, Variable) else jnp.asarray(x)


def validate_float_arg(value: Any, name: str) -> float:
    """``value`` as a float, if it is a finite non-negative number.

    Raises:
        ValueError: If ``value`` is not a number, is negative, NaN or infinite.

    >>> validate_float_arg(0.5, name="l2")
    0.5
    """
    if not isinstance(value, numbers.Real) or math.isinf(value) or math.isnan(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value}. Pass a finite number >= 0, such as 0.01."
        )
    return float(value)


class Regularizer:
    """Base class of regularizers: callables ``weight -> scalar penalty``.

    The penalty of each trainable weight is added to the training loss. A
    subclass implements ``__call__`` and, to be saved with a model, ``get_config``.

    >>> class Half(Regularizer):
    ...     def __call__(self, x):
    ...         return 0.5 * jnp.sum(x)
    ...     def get_config(self):
    ...         return {}
    >>> float(Half()(jnp.ones((2, 2))))
    2.0
    """

    def __call__(self, x: Any) -> Any:
        """The penalty for ``x`` (``0.0`` in the base class)."""
        return 0.0

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Rebuild a regularizer from the output of ``get_config``."""
        return cls(**config)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-serializable dict.

        Raises:
            NotImplementedError: In the base class; subclasses must override it.
        """
        raise NotImplementedError(
            f"{self} does not implement get_config(). Regularizers that are saved with a "
            "model must return their constructor arguments from `get_config()`."
        )


class L1L2(Regularizer):
    """Penalty ``l1 * sum(abs(x)) + l2 * sum(square(x))``.

    Args:
        l1: The L1 factor (``None`` means 0).
        l2: The L2 factor (``None`` means 0).

    Raises:
        ValueError: If a factor is negative, NaN, infinite or not a number.

    >>> float(L1L2(l1=0.5, l2=1.0)(jnp.array([1.0, -2.0])))
    6.5
    """

    def __init__(self, l1: float | None = 0.0, l2: float | None = 0.0) -> None:
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, name="l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, name="l2")

    def __call__(self, x: Any) -> jax.Array:
        x = _as_array(x)
        penalty = jnp.zeros((), dtype=x.dtype)
        if self.l1 != 0.0:
            penalty = penalty + self.l1 * jnp.sum(jnp.abs(x))
        if self.l2 != 0.0:
            penalty = penalty + self.l2 * jnp.sum(jnp.square(x))
        return penalty

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """Penalty ``l1 * sum(abs(x))``.

    Args:
        l1: The factor (``None`` means 0.01).

    Raises:
        ValueError: If ``l1`` is negative, NaN, infinite or not a number.

    >>> float(L1(0.5)(jnp.array([1.0, -2.0])))
    1.5
    """

    def __init__(self, l1: float | None = 0.01) -> None:
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, name="l1")

    def __call__(self, x: Any) -> jax.Array:
        x = _as_array(x)
        # The factor goes through float32 first, as Keras stores it as a float32 tensor.
        return float(np.float32(self.l1)) * jnp.sum(jnp.abs(x))

    def get_config(self) -> dict[str, Any]:
        # Keras holds the factor as a float32 tensor and writes it back as such.
        return {"l1": float(np.float32(self.l1))}


class L2(Regularizer):
    """Penalty ``l2 * sum(square(x))``.

    Args:
        l2: The factor (``None`` means 0.01).

    Raises:
        ValueError: If ``l2`` is negative, NaN, infinite or not a number.

    >>> float(L2(2.0)(jnp.ones((5, 5))))
    50.0
    """

    def __init__(self, l2: float | None = 0.01) -> None:
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, name="l2")

    def __call__(self, x: Any) -> jax.Array:
        x = _as_array(x)
        return self.l2 * jnp.sum(jnp.square(x))

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


def _l2_normalize(x: jax.Array, axis: int) -> jax.Array:
    """``x`` divided by its L2 norm along ``axis`` (norms below epsilon count as epsilon)."""
    square_sum = jnp.sum(jnp.square(x), axis=axis, keepdims=True)
    inv_norm = jnp.minimum(jax.lax.rsqrt(square_sum), 1.0 / _config.epsilon())
    return x * inv_norm


class OrthogonalRegularizer(Regularizer):
    """Penalty that pushes the rows (or columns) of a 2-D weight towards orthogonality.

    The rows (``mode="rows"``) or columns are L2-normalized; the penalty is
    ``factor * 0.5 * sum(|dot products of distinct pairs|) / number of pairs``
    (each pair counted twice in the sum, hence the 0.5).

    Args:
        factor: The penalty factor.
        mode: ``"rows"`` or ``"columns"``.

    Raises:
        ValueError: If ``factor`` is not a finite non-negative number, or
            ``mode`` is not ``"rows"`` or ``"columns"``.

    >>> float(OrthogonalRegularizer(factor=1.0)(jnp.eye(3)))
    0.0
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        self.factor = validate_float_arg(factor, name="factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}. 'rows' makes the rows orthogonal, 'columns' "
                "the columns."
            )
        self.mode = mode

    def __call__(self, inputs: Any) -> jax.Array:
        """The penalty for a 2-D ``inputs``.

        Raises:
            ValueError: If ``inputs`` is not 2-D.
        """
        x = _as_array(inputs)
        if x.ndim != 2:
            raise ValueError(
                "Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}. Apply it to 2-D weights such as a "
                "Dense kernel."
            )
        if self.mode == "rows":
            x = _l2_normalize(x, axis=1)
            product = jnp.matmul(x, x.T)
            size = x.shape[0]
        else:
            x = _l2_normalize(x, axis=0)
            product = jnp.matmul(x.T, x)
            size = x.shape[1]
        off_diagonal = product * (1.0 - jnp.eye(size, dtype=x.dtype))
        num_pairs = size * (size - 1.0) / 2.0
        return self.factor * 0.5 * jnp.sum(jnp.abs(off_diagonal)) / num_pairs

    def get_config(self) -> dict[str, Any]:
        return {"factor": float(np.float32(self.factor)), "mode": self.mode}
