"""Binary crossentropy and binary focal crossentropy, on probabilities or logits."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._utils import mean, to_tensor
from ._wrapper import BuiltinLoss, function_arguments


def elementwise_binary_crossentropy(
    target: jax.Array, output: jax.Array, from_logits: bool = False
) -> jax.Array:
    """The crossentropy of each entry of ``output`` against the same entry of ``target``.

    Probabilities are clipped to ``[epsilon, 1 - epsilon]``; logits go through
    ``log_sigmoid`` so large values stay finite.

    Raises:
        ValueError: If ``target`` and ``output`` differ in shape.
    """
    if target.shape != output.shape:
        raise ValueError(
            "Arguments `target` and `output` must have the same shape. "
            f"Received: target.shape={target.shape}, output.shape={output.shape}. "
            "Give one target per prediction (for one sigmoid unit, shape (batch, 1))."
        )
    if from_logits:
        log_p = jax.nn.log_sigmoid(output)
        log_not_p = jax.nn.log_sigmoid(-output)
        return -1.0 * target * log_p - (1.0 - target) * log_not_p
    eps = _config.epsilon()
    output = jnp.clip(output, eps, 1.0 - eps)
    log_likelihood = target * jnp.log(output) + (1.0 - target) * jnp.log(1.0 - output)
    return -log_likelihood


def _smoothed(y_true: jax.Array, label_smoothing: float) -> jax.Array:
    if label_smoothing:
        return y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true


def binary_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """The binary crossentropy of each entry, averaged over ``axis``.

    Args:
        y_true: Targets in [0, 1].
        y_pred: Probabilities, or logits if ``from_logits``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets move towards 0.5 by this fraction.
        axis: The axis to average over.

    Returns:
        The loss per sample (``y_pred`` without ``axis``).

    Raises:
        ValueError: If ``y_true`` and ``y_pred`` differ in shape.

    >>> binary_crossentropy([[1.0, 0.0]], [[0.5, 0.5]])
    Array([0.6931472], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = _smoothed(to_tensor(y_true, y_pred.dtype), label_smoothing)
    return mean(elementwise_binary_crossentropy(y_true, y_pred, from_logits), axis=axis)


def binary_focal_crossentropy(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    apply_class_balancing: bool = False,
    alpha: float = 0.25,
    gamma: float = 2.0,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> jax.Array:
    """Binary crossentropy scaled by ``(1 - p_t) ** gamma``, averaged over ``axis``.

    ``p_t`` is the probability given to the true label, so confident correct
    predictions count less. With ``apply_class_balancing``, positives are
    further weighted by ``alpha`` and negatives by ``1 - alpha``.

    Args:
        y_true: Targets in [0, 1].
        y_pred: Probabilities, or logits if ``from_logits``.
        apply_class_balancing: Whether to weight the classes by ``alpha``.
        alpha: The weight of the positive class when balancing.
        gamma: The focusing exponent; 0 gives plain binary crossentropy.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; targets move towards 0.5 by this fraction.
        axis: The axis to average over.

    Returns:
        The loss per sample.

    Raises:
        ValueError: If ``y_true`` and ``y_pred`` differ in shape.

    >>> binary_focal_crossentropy([[1.0]], [[0.5]], gamma=1.0)
    Array([0.3465736], dtype=float32)
    """
    y_pred = to_tensor(y_pred)
    y_true = _smoothed(to_tensor(y_true, y_pred.dtype), label_smoothing)
    if from_logits:
        y_pred = jax.nn.sigmoid(y_pred)
    bce = elementwise_binary_crossentropy(y_true, y_pred, from_logits=False)
    p_t = y_true * y_pred + (1 - y_true) * (1 - y_pred)
    focal_bce = jnp.power(1.0 - p_t, jnp.asarray(gamma, p_t.dtype)) * bce
    if apply_class_balancing:
        focal_bce = (y_true * alpha + (1 - y_true) * (1 - alpha)) * focal_bce
    return mean(focal_bce, axis=axis)


class BinaryCrossentropy(BuiltinLoss):
    """The crossentropy between binary targets and predicted probabilities (or logits).

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; targets move towards 0.5 by this fraction.
        axis: The axis to average over.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(BinaryCrossentropy(from_logits=True)([[1.0]], [[0.0]])), 6)
    0.693147
    """

    _config_keys = ("from_logits", "label_smoothing", "axis")

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            binary_crossentropy, reduction, name, dtype, **function_arguments(locals())
        )


class BinaryFocalCrossentropy(BuiltinLoss):
    """Binary crossentropy focused on hard examples by a ``(1 - p_t) ** gamma`` factor.

    Args:
        apply_class_balancing: Whether to weight positives by ``alpha`` and
            negatives by ``1 - alpha``.
        alpha: The weight of the positive class when balancing.
        gamma: The focusing exponent; 0 gives plain binary crossentropy.
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; targets move towards 0.5 by this fraction.
        axis: The axis to average over.
        reduction: How to reduce the per-sample values (see ``Loss``).
        name: The loss's name.
        dtype: The dtype of the computation; defaults to ``floatx()``.

    >>> round(float(BinaryFocalCrossentropy(gamma=1.0)([[1.0]], [[0.5]])), 6)
    0.346574
    """

    _config_keys = (
        "from_logits",
        "label_smoothing",
        "axis",
        "apply_class_balancing",
        "alpha",
        "gamma",
    )

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str | None = "binary_focal_crossentropy",
        dtype: DTypeLike = None,
    ) -> None:
        super().__init__(
            binary_focal_crossentropy, reduction, name, dtype, **function_arguments(locals())
        )
