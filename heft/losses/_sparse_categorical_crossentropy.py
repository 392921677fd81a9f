"""Sparse categorical crossentropy: integer class labels, with an optionally ignored class."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._typing import ArrayLike, DTypeLike
from ._categorical_crossentropy import log_probabilities
from ._utils import canonicalize_axis, to_tensor
from ._wrapper import BuiltinLoss, function_arguments, register_masked_form


def _sparse_categorical_crossentropy_and_mask(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> tuple[jax.Array, jax.Array | None]:
    y_pred = to_tensor(y_pred)
    y_true = to_tensor(y_true)
    if y_pred.ndim < 1:
        raise ValueError(
            f"Argument `output` must be at least rank 1. Received: output.shape={y_pred.shape}. "
            "Pass predictions with a class axis, e.g. shape (batch_size, num_classes)."
        )
    class_axis = canonicalize_axis(axis, y_pred.ndim)
    if y_true.ndim == y_pred.ndim and y_true.shape[class_axis] == 1:
        y_true = jnp.squeeze(y_true, axis=class_axis)
    valid = None
    if ignore_class is not None:
        valid = y_true != jnp.asarray(ignore_class, y_pred.dtype)
        y_true = jnp.where(valid, y_true, 0)
        y_pred = jnp.where(jnp.expand_dims(valid, class_axis), y_pred, 0)
    labels = y_true.astype(jnp.int32)
    if labels.ndim == y_pred.ndim and labels.shape[-1] == 1:
        labels = jnp.squeeze(labels, axis=-1)
    expected = y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1 :]
    if labels.shape != expected:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape up until the class "
            f"dimension: target.shape={labels.shape}, output.shape={y_pred.shape}. Pass one "
            f"integer label per prediction (shape {expected}); for one-hot targets use "
            "`categorical_crossentropy` instead."
        )
    log_prob = log_probabilities(y_pred, from_logits, class_axis)
    one_hot = jax.nn.one_hot(labels, y_pred.shape[class_axis], axis=class_axis)
    result = -jnp.sum(one_hot * log_prob, axis=class_axis)
    if valid is None:
        return result, None
    valid = jnp.reshape(valid, expected)
    return jnp.where(valid, result, 0.0), valid


def sparse_categorical_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> jax.Array:
    """The crossentropy of integer class labels against class probabilities (or logits).

    Args:
        y_true: Integer labels, shaped like ``y_pred`` without the class axis
            (a trailing axis of size 1 is also accepted).
        y_pred: Class probabilities, or logits if ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label whose entries get loss 0 (and, in the
            ``SparseCategoricalCrossentropy`` class, are left out of the mean),
            e.g. the padding label of a segmentation map.
        axis: The class axis of ``y_pred``.

    Returns:
        The loss per sample.

    Raises:
        ValueError: If ``y_pred`` is a scalar, ``axis`` is out of range, or the
            label shape does not match ``y_pred`` without its class axis.

    >>> sparse_categorical_crossentropy([1], [[0.5, 0.5]])
    Array([0.6931472], dtype=float32)
    """
    return _sparse_categorical_crossentropy_and_mask(
        y_true, y_pred, from_logits=from_logits, ignore_class=ignore_class, axis=axis
    )[0]


register_masked_form(sparse_categorical_crossentropy, _sparse_categorical_crossentropy_and_mask)


class SparseCategoricalCrossentropy(BuiltinLoss):
    """The crossentropy of integer class labels against predicted class probabilities.

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        ignore_class: A label to leave out: its entries get loss 0 and the
            mean reductions average over the other entries only.
        reduction: How to reduce the per-sample values (see ``Loss``).
        axis: The class axis of the predictions.
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    As in Keras 3, ``get_config`` does not record ``axis``.

    >>> round(float(SparseCategoricalCrossentropy()([1], [[0.5, 0.5]])), 6)
    0.693147
    """

    _config_keys = ("from_logits", "ignore_class")

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str | None = "sparse_categorical_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            sparse_categorical_crossentropy, reduction, name, dtype, **function_arguments(locals())
        )
