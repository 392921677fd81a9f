"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._utils import mean, to_tensor
from ._wrapper import BuiltinLoss


def _signed_labels(y_true: jax.Array) -> jax.Array:
    """Labels in {0, 1} mapped to {-1, 1}; labels already outside {0, 1} kept as given."""
    is_binary = jnp.all(jnp.logical_or(y_true == 0, y_true == 1))
    return jnp.where(is_binary, 2.0 * y_true - 1.0, y_true)


def _margins(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    y_pred = to_tensor(y_pred)
    y_true = _signed_labels(to_tensor(y_true, y_pred.dtype))
    return jnp.maximum(1.0 - y_true * y_pred, 0.0)


def hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``.

    Labels in {0, 1} are first mapped to {-1, 1}; labels in {-1, 1} are used as given.

    >>> hinge([[1.0, 0.0]], [[0.5, -2.0]])
    Array([0.25], dtype=float32)
    """
    return mean(_margins(y_true, y_pred), axis=-1)


def squared_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(maximum(1 - y_true * y_pred, 0) ** 2, axis=-1)``, labels as in ``hinge``.

    >>> squared_hinge([[1.0, 0.0]], [[0.5, -2.0]])
    Array([0.125], dtype=float32)
    """
    return mean(jnp.square(_margins(y_true, y_pred)), axis=-1)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``maximum(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)`` over the last axis.

    ``y_true`` is one-hot: the score of the true class must beat every other
    class's score by a margin of 1.

    >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.2, 0.7, 0.1]])
    Array([0.5], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    positive = jnp.sum(y_true * y_pred, axis=-1)
    negative = jnp.max((1.0 - y_true) * y_pred, axis=-1)
    return jnp.maximum(negative - positive + 1.0, jnp.zeros((), y_pred.dtype))


class Hinge(BuiltinLoss):
    """The hinge loss ``maximum(1 - y_true * y_pred, 0)``, for labels in {-1, 1} or {0, 1}.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(Hinge()([[1.0, 0.0]], [[0.5, -2.0]]))
    0.25
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "hinge",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(hinge, name=name, reduction=reduction, dtype=dtype)


class SquaredHinge(BuiltinLoss):
    """The squared hinge loss ``maximum(1 - y_true * y_pred, 0) ** 2``.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(SquaredHinge()([[1.0, 0.0]], [[0.5, -2.0]]))
    0.125
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "squared_hinge",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(squared_hinge, name=name, reduction=reduction, dtype=dtype)


class CategoricalHinge(BuiltinLoss):
    """The categorical hinge loss for one-hot targets (see ``categorical_hinge``).

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.2, 0.7, 0.1]])), 6)
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_hinge",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(categorical_hinge, name=name, reduction=reduction, dtype=dtype)
