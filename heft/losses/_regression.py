"""Regression losses: squared, absolute, percentage, logarithmic, Huber, log-cosh, cosine."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._utils import l2_normalize, mean, squeeze_or_expand_to_same_rank, to_tensor
from ._wrapper import BuiltinLoss, function_arguments


def _prepare(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    return squeeze_or_expand_to_same_rank(y_true, y_pred)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean((y_true - y_pred) ** 2, axis=-1)``.

    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    Array([0.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return mean(jnp.square(y_true - y_pred), axis=-1)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(abs(y_true - y_pred), axis=-1)``.

    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    Array([1.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return mean(jnp.abs(y_true - y_pred), axis=-1)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``.

    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
    Array([37.5], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = jnp.asarray(_config.epsilon(), y_pred.dtype)
    diff = jnp.abs((y_true - y_pred) / jnp.maximum(jnp.abs(y_true), eps))
    return 100.0 * mean(diff, axis=-1)


def mean_squared_logarithmic_error(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean((log(y_pred + 1) - log(y_true + 1)) ** 2, axis=-1)``, inputs floored at epsilon.

    >>> round(float(mean_squared_logarithmic_error([[0.0]], [[math.e - 1.0]])[0]), 5)
    1.0
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    eps = jnp.asarray(_config.epsilon(), jnp.float32)
    first = jnp.log(jnp.maximum(y_pred, eps) + 1.0)
    second = jnp.log(jnp.maximum(y_true, eps) + 1.0)
    return mean(jnp.square(first - second), axis=-1)


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """Minus the cosine similarity of ``y_true`` and ``y_pred`` along ``axis``.

    Values lie in [-1, 1]; -1 means the vectors point the same way, so
    minimising it aligns predictions with targets. Zero vectors give 0.

    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0]])
    Array([-1.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    return -jnp.sum(l2_normalize(y_true, axis) * l2_normalize(y_pred, axis), axis=axis)


def huber(y_true: ArrayLike, y_pred: ArrayLike, delta: float = 1.0) -> jax.Array:
    """The Huber loss: quadratic for errors up to ``delta``, linear beyond, mean over the last axis.

    Per entry, with ``e = y_pred - y_true``: ``0.5 * e**2`` if ``|e| <= delta``,
    else ``delta * |e| - 0.5 * delta**2``.

    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
    Array([1.3125], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    delta = jnp.asarray(delta, y_pred.dtype)
    error = y_pred - y_true
    abs_error = jnp.abs(error)
    half = jnp.asarray(0.5, abs_error.dtype)
    quadratic = half * jnp.square(error)
    linear = delta * abs_error - half * jnp.square(delta)
    return mean(jnp.where(abs_error <= delta, quadratic, linear), axis=-1)


def log_cosh(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow.

    >>> log_cosh([[0.0]], [[0.0]])
    Array([0.], dtype=float32)
    """
    y_true, y_pred = _prepare(y_true, y_pred)
    log2 = jnp.asarray(math.log(2.0), jnp.float32).astype(y_pred.dtype)
    x = y_pred - y_true
    return mean(x + jax.nn.softplus(x * -2.0) - log2, axis=-1)


class MeanSquaredError(BuiltinLoss):
    """The mean of the squared errors, ``mean((y_true - y_pred) ** 2)``.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(MeanSquaredError()([[0.0, 1.0]], [[1.0, 1.0]]))
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_error",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(mean_squared_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsoluteError(BuiltinLoss):
    """The mean of the absolute errors, ``mean(abs(y_true - y_pred))``.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]]))
    1.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_error",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(mean_absolute_error, name=name, reduction=reduction, dtype=dtype)


class MeanAbsolutePercentageError(BuiltinLoss):
    """The mean absolute error as a percentage of ``|y_true|`` (floored at epsilon).

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]))
    37.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_absolute_percentage_error",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            mean_absolute_percentage_error, name=name, reduction=reduction, dtype=dtype
        )


class MeanSquaredLogarithmicError(BuiltinLoss):
    """The mean squared difference of ``log(1 + y)`` between predictions and targets.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(MeanSquaredLogarithmicError()([[0.0]], [[math.e - 1.0]])), 6)
    1.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "mean_squared_logarithmic_error",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            mean_squared_logarithmic_error, name=name, reduction=reduction, dtype=dtype
        )


class CosineSimilarity(BuiltinLoss):
    """Minus the cosine similarity between targets and predictions along ``axis``.

    Args:
        axis: The axis holding the vectors to compare.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    As in Keras 3, ``get_config`` records only ``name`` and ``reduction``.

    >>> float(CosineSimilarity()([[1.0, 0.0], [0.0, 1.0]], [[1.0, 0.0], [1.0, 0.0]]))
    -0.5
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "cosine_similarity",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(cosine_similarity, reduction, name, dtype, **function_arguments(locals()))


class Huber(BuiltinLoss):
    """The Huber loss: squared error for small errors, absolute error beyond ``delta``.

    Args:
        delta: The error size where the loss turns from quadratic to linear.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    As in Keras 3, ``get_config`` records only ``name`` and ``reduction``.

    >>> float(Huber()([[0.0, 0.0]], [[0.5, 3.0]]))
    1.3125
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "huber_loss",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(huber, reduction, name, dtype, **function_arguments(locals()))


class LogCosh(BuiltinLoss):
    """The mean of ``log(cosh(y_pred - y_true))``: about ``x**2 / 2`` near 0, ``|x|`` far off.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(LogCosh()([[0.0, 0.0]], [[0.0, 0.0]]))
    0.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "log_cosh",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(log_cosh, name=name, reduction=reduction, dtype=dtype)
