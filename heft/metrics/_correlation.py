"""Correlation metrics: Pearson and concordance correlation, per sample and averaged."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._loss_metrics import _FunctionMean
from ._utils import match_ranks, to_array


def _pair(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[jax.Array, jax.Array]:
    y_pred = to_array(y_pred)
    y_true = to_array(y_true, dtype=y_pred.dtype)
    return match_ranks(y_true, y_pred)


def pearson_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """Pearson's correlation coefficient of ``y_true`` and ``y_pred`` along ``axis``.

    Both are centred and divided by their (population) standard deviation, and
    the mean of their product is returned; a constant input gives NaN.

    >>> round(pearson_correlation([[1.0, 2.0, 3.0]], [[2.0, 4.0, 7.0]]).tolist()[0], 5)
    0.9934
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_centred = y_true - jnp.mean(y_true, axis=axis, keepdims=True)
    pred_centred = y_pred - jnp.mean(y_pred, axis=axis, keepdims=True)
    true_centred = true_centred / jnp.std(true_centred, axis=axis, keepdims=True)
    pred_centred = pred_centred / jnp.std(pred_centred, axis=axis, keepdims=True)
    return jnp.mean(true_centred * pred_centred, axis=axis)


def concordance_correlation(y_true: ArrayLike, y_pred: ArrayLike, axis: int = -1) -> jax.Array:
    """Lin's concordance correlation of ``y_true`` and ``y_pred`` along ``axis``, as Keras 3.

    Keras 3.15 centres the targets on the mean of the *predictions* in the
    covariance term (``(y_true - mean(y_pred)) * (y_pred - mean(y_pred))``); the
    same formula is used here so values agree. The denominator gets
    ``epsilon()`` added.

    >>> round(concordance_correlation([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]]).tolist()[0], 5)
    1.0
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = jnp.mean(y_true, axis=axis, keepdims=True)
    pred_mean = jnp.mean(y_pred, axis=axis, keepdims=True)
    true_var = jnp.var(y_true - true_mean, axis=axis, keepdims=True)
    pred_var = jnp.var(y_pred - pred_mean, axis=axis, keepdims=True)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + jnp.square(true_mean - pred_mean)
    epsilon = jnp.asarray(_config.epsilon(), norm.dtype)
    return jnp.mean(2 * covariance / (norm + epsilon), axis=axis)


class PearsonCorrelation(_FunctionMean):
    """The mean over samples of ``pearson_correlation`` (to be maximised).

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        axis: The axis along which each correlation is taken.

    >>> m = PearsonCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[2.0, 4.0, 6.0]])
    >>> round(float(m.result()), 5)
    1.0
    """

    _config_keys = ("axis",)

    def __init__(
        self, name: str = "pearson_correlation", dtype: DTypeLike = None, axis: int = -1
    ) -> None:
        super().__init__(pearson_correlation, name, dtype, "up", axis=axis)


class ConcordanceCorrelation(_FunctionMean):
    """The mean over samples of ``concordance_correlation`` (to be maximised).

    Args:
        name: The metric's name.
        dtype: The dtype of the result.
        axis: The axis along which each correlation is taken.

    >>> m = ConcordanceCorrelation()
    >>> m.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.0, 3.0]])
    >>> round(float(m.result()), 5)
    1.0
    """

    _config_keys = ("axis",)

    def __init__(
        self, name: str = "concordance_correlation", dtype: DTypeLike = None, axis: int = -1
    ) -> None:
        super().__init__(concordance_correlation, name, dtype, "up", axis=axis)
