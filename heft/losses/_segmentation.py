"""Overlap losses for segmentation masks: Dice and Tversky."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._utils import to_tensor
from ._wrapper import BuiltinLoss, function_arguments


def dice(
    y_true: ArrayLike, y_pred: ArrayLike, axis: int | tuple[int, ...] | None = None
) -> jax.Array:
    """``1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + epsilon)`` over ``axis``.

    Args:
        y_true: Target masks in [0, 1].
        y_pred: Predicted masks in [0, 1].
        axis: The axes to sum over; ``None`` sums over everything (one value
            for the whole batch).

    Returns:
        The loss, with ``axis`` reduced away.

    >>> dice([[1.0, 0.0]], [[1.0, 0.0]])
    Array(0., dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    intersection = jnp.sum(y_true * y_pred, axis=axis)
    total = jnp.sum(y_true, axis=axis) + jnp.sum(y_pred, axis=axis) + _config.epsilon()
    return 1 - (2.0 * intersection) / total


def tversky(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    alpha: float = 0.5,
    beta: float = 0.5,
    axis: int | tuple[int, ...] | None = None,
) -> jax.Array:
    """``1 - I / (I + alpha * M + beta * S + epsilon)`` with soft counts summed over ``axis``.

    ``I = sum(y_true * y_pred)`` is the overlap, ``M = sum(y_true * (1 - y_pred))``
    the target mass the prediction misses and ``S = sum(y_pred * (1 - y_true))``
    the predicted mass outside the target.

    Args:
        y_true: Target masks in [0, 1].
        y_pred: Predicted masks in [0, 1].
        alpha: The weight of the missed target mass ``M``.
        beta: The weight of the predicted mass outside the target ``S``.
        axis: The axes to sum over; ``None`` sums over everything.

    Returns:
        The loss, with ``axis`` reduced away. ``alpha = beta = 0.5`` gives the Dice loss.

    >>> tversky([[1.0, 0.0]], [[0.0, 1.0]])
    Array(1., dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    overlap = jnp.sum(y_true * y_pred, axis=axis)
    missed = jnp.sum((1 - y_pred) * y_true, axis=axis)
    outside = jnp.sum(y_pred * (1 - y_true), axis=axis)
    return 1 - overlap / (overlap + missed * alpha + outside * beta + _config.epsilon())


class Dice(BuiltinLoss):
    """The Dice loss, one minus the soft overlap of predicted and target masks.

    Args:
        reduction: How to reduce the values (see ``Loss``).
        name: The loss's name.
        axis: The axes to sum over; ``None`` sums over everything.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(Dice()([[1.0, 1.0]], [[1.0, 0.0]])), 6)
    0.333333
    """

    _config_keys = ("axis",)

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "dice",
        axis: int | tuple[int, ...] | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(dice, reduction, name, dtype, **function_arguments(locals()))


class Tversky(BuiltinLoss):
    """The Tversky loss: a Dice loss weighting missed and extra predicted mass apart.

    Args:
        alpha: The weight of the target mass the prediction misses.
        beta: The weight of the predicted mass outside the target.
        reduction: How to reduce the values (see ``Loss``).
        name: The loss's name.
        axis: The axes to sum over; ``None`` sums over everything.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(Tversky(alpha=1.0, beta=0.0)([[1.0, 1.0]], [[1.0, 0.0]])), 6)
    0.5
    """

    _config_keys = ("alpha", "beta", "axis")

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "tversky",
        axis: int | tuple[int, ...] | None = None,
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(tversky, reduction, name, dtype, **function_arguments(locals()))
