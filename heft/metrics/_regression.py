"""Regression metrics: mean squared/absolute (percentage, logarithmic) errors and RMSE."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._reduction import Mean, MeanMetricWrapper
from ._utils import match_ranks, to_array


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype)
    return match_ranks(y_true, y_pred)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(square(y_true - y_pred), axis=-1)``.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return jnp.mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 1.0]]).tolist()
    [0.5]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    return jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).tolist()
    [25.0]
    """
    y_true, y_pred = _pair(y_true, y_pred)
    epsilon = jnp.asarray(_config.epsilon(), dtype=y_pred.dtype)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), epsilon))
    return 100.0 * jnp.mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(square(log(y_pred + 1) - log(y_true + 1)), axis=-1)``, inputs floored at epsilon.

    >>> round(mean_squared_logarithmic_error([[0.0]], [[1.0]]).tolist()[0], 6)
    0.480453
    """
    epsilon = to_array(_config.epsilon())
    y_true, y_pred = _pair(y_true, y_pred)
    log_pred = jnp.log(jnp.maximum(y_pred, epsilon) + 1.0)
    log_true = jnp.log(jnp.maximum(y_true, epsilon) + 1.0)
    return jnp.mean(jnp.square(log_pred - log_true), axis=-1)


class _ErrorMetric(MeanMetricWrapper):
    """A mean of a per-sample error function, to be minimized."""

    def __init__(self, fn: Any, name: str, dtype: DTypeLike) -> None:
        super().__init__(fn, name=name, dtype=dtype)
        self._direction = "down"

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_ErrorMetric):
    """The mean of ``mean(square(y_true - y_pred), axis=-1)`` over samples.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = MeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype: DTypeLike = None) -> None:
        super().__init__(mean_squared_error, name, dtype)


class MeanAbsoluteError(_ErrorMetric):
    """The mean of ``mean(abs(y_true - y_pred), axis=-1)`` over samples.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = MeanAbsoluteError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: DTypeLike = None) -> None:
        super().__init__(mean_absolute_error, name, dtype)


class MeanAbsolutePercentageError(_ErrorMetric):
    """The mean absolute percentage error over samples.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = MeanAbsolutePercentageError()
    >>> m.update_state([[2.0, 4.0]], [[1.0, 4.0]])
    >>> float(m.result())
    25.0
    """

    def __init__(
        self, name: str = "mean_absolute_percentage_error", dtype: DTypeLike = None
    ) -> None:
        super().__init__(mean_absolute_percentage_error, name, dtype)


class MeanSquaredLogarithmicError(_ErrorMetric):
    """The mean squared logarithmic error over samples.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = MeanSquaredLogarithmicError()
    >>> m.update_state([[0.0]], [[1.0]])
    >>> round(float(m.result()), 6)
    0.480453
    """

    def __init__(
        self, name: str = "mean_squared_logarithmic_error", dtype: DTypeLike = None
    ) -> None:
        super().__init__(mean_squared_logarithmic_error, name, dtype)


class RootMeanSquaredError(Mean):
    """The square root of the mean squared error over all elements seen.

    Args:
        name: The metric's name.
        dtype: The dtype of the result.

    >>> m = RootMeanSquaredError()
    >>> m.update_state([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    >>> float(m.result())
    0.5
    """

    def __init__(self, name: str = "root_mean_squared_error", dtype: DTypeLike = None) -> None:
        super().__init__(name, dtype=dtype)
        self._direction = "down"

    def update_state(
        self, y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None = None
    ) -> None:
        """Accumulate the squared errors of one batch.

        Args:
            y_true: The targets.
            y_pred: The predictions.
            sample_weight: Optional weights broadcastable to the errors.
        """
        y_true = to_array(y_true, dtype=self.dtype)
        y_pred = to_array(y_pred, dtype=self.dtype)
        y_true, y_pred = match_ranks(y_true, y_pred)
        super().update_state(jnp.square(y_pred - y_true), sample_weight=sample_weight)

    def result(self) -> jax.Array:
        return jnp.sqrt(super().result())
