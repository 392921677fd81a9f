"""Crossentropies over one-hot classes: plain, focal, and generalized (integer labels)."""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._utils import check_int_axis, to_tensor
from ._wrapper import BuiltinLoss, function_arguments


def log_probabilities(output: jax.Array, from_logits: bool, axis: int) -> jax.Array:
    """Log-probabilities from logits (log-softmax) or from probabilities (renormalized, clipped)."""
    if from_logits:
        return jax.nn.log_softmax(output, axis=axis)
    eps = _config.epsilon()
    output = output / jnp.sum(output, axis=axis, keepdims=True)
    return jnp.log(jnp.clip(output, eps, 1.0 - eps))


def _warn_single_class(function: str, y_pred: jax.Array) -> None:
    if y_pred.ndim and y_pred.shape[-1] == 1:
        warnings.warn(
            f"In loss {function}, expected y_pred.shape to be (batch_size, num_classes) with "
            f"num_classes > 1. Received: y_pred.shape={y_pred.shape}. Consider using "
            "'binary_crossentropy' if you only have 2 classes.",
            SyntaxWarning,
            stacklevel=3,
        )


def _smoothed(y_true: jax.Array, label_smoothing: float, dtype: DTypeLike) -> jax.Array:
    if not label_smoothing:
        return y_true
    num_classes = jnp.asarray(y_true.shape[-1], dtype)
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes


def categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """``-sum(y_true * log(p), axis)`` for one-hot (or soft) targets.

    Probabilities are renormalized to sum to 1 and clipped to
    ``[epsilon, 1 - epsilon]``; logits go through ``log_softmax``.

    Args:
        y_true: One-hot or soft targets, shaped like ``y_pred``.
        y_pred: Class probabilities, or logits if ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; this fraction of each target is spread
            evenly over the classes.
        axis: The class axis.

    Returns:
        The loss per sample (``y_pred`` without ``axis``).

    Raises:
        ValueError: If ``axis`` is not an int, or the shapes differ.

    >>> categorical_crossentropy([[0.0, 1.0]], [[0.5, 0.5]])
    Array([0.6931472], dtype=float32)
    """
    check_int_axis(axis, "categorical_crossentropy")
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    _warn_single_class("categorical_crossentropy", y_pred)
    y_true = _smoothed(y_true, label_smoothing, y_pred.dtype)
    if y_true.shape != y_pred.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={y_true.shape}, output.shape={y_pred.shape}. For "
            "integer class labels use `sparse_categorical_crossentropy` instead."
        )
    if y_pred.ndim < 1:
        raise ValueError(
            "Arguments `target` and `output` must be at least rank 1. "
            f"Received: target.shape={y_true.shape}, output.shape={y_pred.shape}. "
            "Pass arrays with a class axis."
        )
    return -jnp.sum(y_true * log_probabilities(y_pred, from_logits, axis), axis=axis)


def categorical_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Categorical crossentropy with each class term scaled by ``alpha * (1 - p) ** gamma``.

    Args:
        y_true: One-hot or soft targets, shaped like ``y_pred``.
        y_pred: Class probabilities, or logits if ``from_logits``.
        alpha: The weight of every class term.
        gamma: The focusing exponent; 0 gives ``alpha`` times the crossentropy.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; this fraction of each target is spread
            evenly over the classes.
        axis: The class axis.

    Returns:
        The loss per sample.

    Raises:
        ValueError: If ``axis`` is not an int.

    >>> categorical_focal_crossentropy([[0.0, 1.0]], [[0.5, 0.5]], gamma=1.0)
    Array([0.0866434], dtype=float32)
    """
    check_int_axis(axis, "categorical_focal_crossentropy")
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true, y_pred.dtype)
    _warn_single_class("categorical_focal_crossentropy", y_pred)
    y_true = _smoothed(y_true, label_smoothing, y_pred.dtype)
    if from_logits:
        y_pred = jax.nn.softmax(y_pred, axis=axis)
    eps = _config.epsilon()
    output = jnp.clip(y_pred / jnp.sum(y_pred, axis=axis, keepdims=True), eps, 1.0 - eps)
    crossentropy = -y_true * jnp.log(output)
    modulating = jnp.power(1.0 - output, jnp.asarray(gamma, output.dtype))
    return jnp.sum(modulating * alpha * crossentropy, axis=axis)


def categorical_generalized_cross_entropy(
    y_true: ArrayLike, y_pred: ArrayLike, q: float
) -> jax.Array:
    """The generalized crossentropy ``(1 - p ** q) / q`` of the true class's probability ``p``.

    It tends to crossentropy as ``q -> 0`` and to mean absolute error at
    ``q = 1``, which makes it robust to noisy labels.

    Args:
        y_true: Integer class labels, shape ``(batch_size,)``.
        y_pred: Class probabilities, shape ``(batch_size, num_classes)``.
        q: In (0, 1).

    Returns:
        The loss per sample.

    >>> categorical_generalized_cross_entropy([1], [[0.75, 0.25]], q=0.5)
    Array([1.], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    labels = to_tensor(y_true).astype(jnp.int32)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[-1]).astype(y_pred.dtype)
    p = jnp.sum(y_pred * one_hot, axis=-1)
    return (1 - jnp.power(p, jnp.asarray(q, p.dtype))) / q


class CategoricalCrossentropy(BuiltinLoss):
    """The crossentropy between one-hot (or soft) targets and predicted class probabilities.

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; this fraction of each target is spread
            evenly over the classes.
        axis: The class axis.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(CategoricalCrossentropy()([[0.0, 1.0]], [[0.5, 0.5]])), 6)
    0.693147
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            categorical_crossentropy, reduction, name, dtype, **function_arguments(locals())
        )


class CategoricalFocalCrossentropy(BuiltinLoss):
    """Categorical crossentropy focused on hard examples by ``alpha * (1 - p) ** gamma``.

    Args:
        alpha: The weight of every class term.
        gamma: The focusing exponent.
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; this fraction of each target is spread
            evenly over the classes.
        axis: The class axis.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(CategoricalFocalCrossentropy(gamma=1.0)([[0.0, 1.0]], [[0.5, 0.5]])), 6)
    0.086643
    """

    _config_keys = ("from_logits", "label_smoothing", "axis", "alpha", "gamma")

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_focal_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            categorical_focal_crossentropy, reduction, name, dtype, **function_arguments(locals())
        )


class CategoricalGeneralizedCrossEntropy(BuiltinLoss):
    """The generalized crossentropy ``(1 - p ** q) / q``, robust to noisy labels.

    Args:
        q: In (0, 1): near 0 it behaves like crossentropy, near 1 like mean
            absolute error.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    Raises:
        ValueError: If ``q`` is not in (0, 1).

    >>> float(CategoricalGeneralizedCrossEntropy(q=0.5)([1], [[0.75, 0.25]]))
    1.0
    """

    _config_keys = ("q",)

    def __init__(
        self,
        q: float = 0.5,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "categorical_generalized_cross_entropy",
        dtype: DTypeLike = None,
    ) -> None:
        if not 0 < q < 1:
            raise ValueError(
                f"`q` must be in the interval (0, 1). Received: q={q!r}. Values near 0 behave "
                "like crossentropy, values near 1 like mean absolute error."
            )
        super().__init__(
            categorical_generalized_cross_entropy,
            reduction,
            name,
            dtype,
            **function_arguments(locals()),
        )
