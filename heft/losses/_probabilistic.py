"""Losses between distributions and counts: Kullback-Leibler divergence and Poisson."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._utils import mean, to_tensor
from ._wrapper import BuiltinLoss


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``sum(y_true * log(y_true / y_pred), axis=-1)``, both clipped to ``[epsilon, 1]``.

    >>> kl_divergence([[0.5, 0.5]], [[0.5, 0.5]])
    Array([0.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    eps = _config.epsilon()
    y_true = jnp.clip(y_true, eps, 1)
    y_pred = jnp.clip(y_pred, eps, 1)
    return jnp.sum(y_true * jnp.log(y_true / y_pred), axis=-1)


def poisson(y_true: ArrayLike, y_pred: ArrayLike) -> jax.Array:
    """``mean(y_pred - y_true * log(y_pred + epsilon), axis=-1)``.

    >>> poisson([[0.0, 0.0]], [[1.0, 3.0]])
    Array([2.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    eps = jnp.asarray(_config.epsilon(), y_pred.dtype)
    return mean(y_pred - y_true * jnp.log(y_pred + eps), axis=-1)


class KLDivergence(BuiltinLoss):
    """The Kullback-Leibler divergence of the predicted from the true distribution.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(KLDivergence()([[1.0, 0.0]], [[0.5, 0.5]])), 5)
    0.69315
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "kl_divergence",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(kl_divergence, name=name, reduction=reduction, dtype=dtype)


class Poisson(BuiltinLoss):
    """The Poisson negative log-likelihood (up to a constant), ``y_pred - y_true * log(y_pred)``.

    Args:
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> float(Poisson()([[0.0, 0.0]], [[1.0, 3.0]]))
    2.0
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "poisson",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(poisson, name=name, reduction=reduction, dtype=dtype)
