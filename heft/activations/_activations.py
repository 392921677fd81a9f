"""The builtin activation functions of ``heft.activations``, by Keras 3's names and defaults."""

from __future__ import annotations

from typing import Any

import jax

from .. import ops
from .._typing import ArrayLike
from ..ops._core import convert_to_tensor, unwrap


def linear(x: ArrayLike) -> Any:
    """The identity: returns ``x`` unchanged (a Variable gives its value).

    >>> linear([1.0, -2.0])
    [1.0, -2.0]
    """
    return unwrap(x)


def relu(
    x: ArrayLike,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> jax.Array:
    """Rectified linear unit, with optional leak, cap and threshold.

    With the defaults this is ``max(x, 0)``. Otherwise values below ``threshold``
    become ``negative_slope * (x - threshold)`` and values are capped at ``max_value``.

    Args:
        x: Input tensor.
        negative_slope: Slope for values below the threshold.
        max_value: Upper bound of the output, or ``None`` for no cap.
        threshold: Values at or below this are zeroed (or leaked).

    Returns:
        A tensor of the same shape as ``x``.

    >>> relu([-10.0, -5.0, 0.0, 5.0, 10.0], negative_slope=0.5, max_value=6.0)
    Array([-5. , -2.5,  0. ,  5. ,  6. ], dtype=float32)
    """
    x = convert_to_tensor(x)
    if negative_slope != 0.0 and max_value is None and threshold == 0:
        return ops.leaky_relu(x, negative_slope=negative_slope)
    if threshold != 0:
        positive = ops.where(x > ops.cast(threshold, x.dtype), x, ops.zeros_like(x))
    elif max_value == 6:
        positive = ops.relu6(x)
        max_value = None
    else:
        positive = ops.relu(x)
    if max_value is not None:
        positive = ops.clip(positive, ops.cast(0.0, x.dtype), ops.cast(max_value, x.dtype))
    if negative_slope == 0.0:
        return positive
    return positive - negative_slope * ops.relu(threshold - x)


def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> jax.Array:
    """Leaky ReLU: ``x`` if positive, else ``negative_slope * x``.

    Args:
        x: Input tensor.
        negative_slope: Slope of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> leaky_relu([-1.0, 2.0])
    Array([-0.2,  2. ], dtype=float32)
    """
    return ops.leaky_relu(x, negative_slope=negative_slope)


def relu6(x: ArrayLike) -> jax.Array:
    """ReLU capped at 6.

    >>> relu6([-1.0, 8.0])
    Array([0., 6.], dtype=float32)
    """
    return ops.relu6(x)


def softmax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Softmax along ``axis``: non-negative outputs that sum to 1.

    Args:
        x: Input tensor.
        axis: The axis (or axes) to normalize over.

    Returns:
        Probabilities, shaped like ``x``, summing to 1 along ``axis``.

    >>> softmax([0.0, 0.0])
    Array([0.5, 0.5], dtype=float32)
    """
    return ops.softmax(x, axis=axis)


def log_softmax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Log of the softmax along ``axis``, computed stably.

    Args:
        x: Input tensor.
        axis: The axis (or axes) to normalize over.

    Returns:
        Log-probabilities, shaped like ``x``.

    >>> log_softmax([0.0, 0.0])
    Array([-0.6931472, -0.6931472], dtype=float32)
    """
    return ops.log_softmax(x, axis=axis)


def sparsemax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Sparsemax along ``axis``: like softmax, but small logits get exactly 0.

    Args:
        x: Input tensor.
        axis: The axis to normalize over.

    Returns:
        Probabilities, shaped like ``x``, summing to 1 along ``axis``.

    >>> sparsemax([0.0, 2.0])
    Array([0., 1.], dtype=float32)
    """
    return ops.sparsemax(x, axis=axis)


def elu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: ``x`` if positive, else ``alpha * (exp(x) - 1)``.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> elu([0.0, 1.0])
    Array([0., 1.], dtype=float32)
    """
    return ops.elu(x, alpha=alpha)


def selu(x: ArrayLike) -> jax.Array:
    """Scaled ELU (``scale * elu(x, alpha)`` with the self-normalizing constants).

    >>> selu([0.0, 1.0])
    Array([0.      , 1.050701], dtype=float32)
    """
    return ops.selu(x)


def celu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Continuously differentiable ELU.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> celu([0.0, 1.0])
    Array([0., 1.], dtype=float32)
    """
    return ops.celu(x, alpha=alpha)


def softplus(x: ArrayLike) -> jax.Array:
    """``log(exp(x) + 1)``.

    >>> softplus([0.0])
    Array([0.6931472], dtype=float32)
    """
    return ops.softplus(x)


def softsign(x: ArrayLike) -> jax.Array:
    """``x / (abs(x) + 1)``.

    >>> softsign([1.0])
    Array([0.5], dtype=float32)
    """
    return ops.softsign(x)


def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Shrink values towards zero by ``threshold``; those within it become 0.

    Args:
        x: Input tensor.
        threshold: Amount to shrink towards zero.

    Returns:
        A tensor of the same shape as ``x``.

    >>> soft_shrink([-1.0, 0.2, 2.0])
    Array([-0.5,  0. ,  1.5], dtype=float32)
    """
    return ops.soft_shrink(x, threshold=threshold)


def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Zero the values whose magnitude is at most ``threshold``.

    Args:
        x: Input tensor.
        threshold: Magnitudes at or below this become 0.

    Returns:
        A tensor of the same shape as ``x``.

    >>> hard_shrink([-1.0, 0.2])
    Array([-1.,  0.], dtype=float32)
    """
    return ops.hard_shrink(x, threshold=threshold)


def sparse_plus(x: ArrayLike) -> jax.Array:
    """0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between.

    >>> sparse_plus([0.0])
    Array([0.25], dtype=float32)
    """
    return ops.sparse_plus(x)


def silu(x: ArrayLike) -> jax.Array:
    """Sigmoid linear unit (also called swish): ``x * sigmoid(x)``.

    >>> silu([0.0])
    Array([0.], dtype=float32)
    """
    return ops.silu(x)


def squareplus(x: ArrayLike, b: float = 4) -> jax.Array:
    """``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: Input tensor.
        b: Smoothness: larger values round the corner at 0 more.

    Returns:
        A tensor of the same shape as ``x``.

    >>> squareplus([0.0])
    Array([1.], dtype=float32)
    """
    return ops.squareplus(x, b=b)


def gelu(x: ArrayLike, approximate: bool = False) -> jax.Array:
    """Gaussian error linear unit, exact by default (``ops.gelu`` approximates by default).

    Args:
        x: Input tensor.
        approximate: Whether to use the tanh approximation.

    Returns:
        A tensor of the same shape as ``x``.

    >>> gelu([0.0])
    Array([0.], dtype=float32)
    """
    return ops.gelu(x, approximate=approximate)


def glu(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Gated linear unit: halves ``a, b`` of ``x`` along ``axis`` give ``a * sigmoid(b)``.

    Args:
        x: Input tensor.
        axis: The axis to split in two halves (its size must be even).

    Returns:
        ``x`` with ``axis`` halved.

    >>> glu([1.0, 0.0])
    Array([0.5], dtype=float32)
    """
    return ops.glu(x, axis=axis)


def tanh(x: ArrayLike) -> jax.Array:
    """Hyperbolic tangent.

    >>> tanh([0.0])
    Array([0.], dtype=float32)
    """
    return ops.tanh(x)


def tanh_shrink(x: ArrayLike) -> jax.Array:
    """``x - tanh(x)``.

    >>> tanh_shrink([0.0])
    Array([0.], dtype=float32)
    """
    return ops.tanh_shrink(x)


def hard_tanh(x: ArrayLike) -> jax.Array:
    """``clip(x, -1, 1)``.

    >>> hard_tanh([-2.0, 0.5])
    Array([-1. ,  0.5], dtype=float32)
    """
    return ops.hard_tanh(x)


def threshold(x: ArrayLike, threshold: float, default_value: float) -> jax.Array:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: Values at or below this are replaced.
        default_value: The replacement value.

    Returns:
        A tensor of the same shape as ``x``.

    >>> threshold([0.5, 2.0], 1.0, 0.0)
    Array([0., 2.], dtype=float32)
    """
    return ops.threshold(x, threshold, default_value)


def sigmoid(x: ArrayLike) -> jax.Array:
    """Logistic sigmoid, ``1 / (1 + exp(-x))``.

    >>> sigmoid([0.0])
    Array([0.5], dtype=float32)
    """
    return ops.sigmoid(x)


def sparse_sigmoid(x: ArrayLike) -> jax.Array:
    """0 below -1, 1 above 1, ``(x + 1) / 2`` between.

    >>> sparse_sigmoid([0.0])
    Array([0.5], dtype=float32)
    """
    return ops.sparse_sigmoid(x)


def hard_sigmoid(x: ArrayLike) -> jax.Array:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid.

    >>> hard_sigmoid([0.0])
    Array([0.5], dtype=float32)
    """
    return ops.hard_sigmoid(x)


def log_sigmoid(x: ArrayLike) -> jax.Array:
    """``log(sigmoid(x))``, computed stably.

    >>> log_sigmoid([0.0])
    Array([-0.6931472], dtype=float32)
    """
    return ops.log_sigmoid(x)


def hard_silu(x: ArrayLike) -> jax.Array:
    """Hard SiLU (also called hard swish): ``x * relu6(x + 3) / 6``.

    >>> hard_silu([3.0])
    Array([3.], dtype=float32)
    """
    return ops.hard_silu(x)


def exponential(x: ArrayLike) -> jax.Array:
    """``exp(x)``.

    >>> exponential([0.0])
    Array([1.], dtype=float32)
    """
    return ops.exp(x)


def mish(x: ArrayLike) -> jax.Array:
    """Mish: ``x * tanh(softplus(x))``.

    >>> mish([0.0])
    Array([0.], dtype=float32)
    """
    x = convert_to_tensor(x)
    return x * ops.tanh(ops.softplus(x))


swish = silu
hard_swish = hard_silu
