"""Activation functions as ops (``ops.relu``, ``ops.softmax``, ``ops.gelu``, ...), on ``jax.nn``."""

from __future__ import annotations

import jax
import jax.nn as jnn
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op
from ._elementwise import _unary

# fmt: off
relu = symbolic_op(_unary("relu", jnn.relu, "Rectified linear unit, ``max(x, 0)``.", "[-1.0, 2.0]", "Array([0., 2.], dtype=float32)"))
relu6 = symbolic_op(_unary("relu6", jnn.relu6, "ReLU capped at 6, ``min(max(x, 0), 6)``.", "[-1.0, 8.0]", "Array([0., 6.], dtype=float32)"))
sigmoid = symbolic_op(_unary("sigmoid", jnn.sigmoid, "Logistic sigmoid, ``1 / (1 + exp(-x))``.", "[0.0, 0.0]", "Array([0.5, 0.5], dtype=float32)"))
sparse_sigmoid = symbolic_op(_unary("sparse_sigmoid", jnn.sparse_sigmoid, "Piecewise-linear sigmoid: 0 below -1, 1 above 1, ``(x + 1) / 2`` between.", "[-2.0, 0.0]", "Array([0. , 0.5], dtype=float32)"))
log_sigmoid = symbolic_op(_unary("log_sigmoid", jnn.log_sigmoid, "``log(sigmoid(x))``, computed stably.", "[0.0]", "Array([-0.6931472], dtype=float32)"))
hard_sigmoid = symbolic_op(_unary("hard_sigmoid", jnn.hard_sigmoid, "Piecewise-linear sigmoid, ``relu6(x + 3) / 6``.", "[-4.0, 0.0]", "Array([0. , 0.5], dtype=float32)"))
softplus = symbolic_op(_unary("softplus", jnn.softplus, "``log(exp(x) + 1)``, computed stably.", "[0.0]", "Array([0.6931472], dtype=float32)"))
softsign = symbolic_op(_unary("softsign", jnn.soft_sign, "``x / (abs(x) + 1)``.", "[1.0, -3.0]", "Array([ 0.5 , -0.75], dtype=float32)"))
sparse_plus = symbolic_op(_unary("sparse_plus", jnn.sparse_plus, "Smooth ReLU: 0 below -1, ``x`` above 1, ``(x + 1)**2 / 4`` between.", "[-2.0, 0.0, 2.0]", "Array([0.  , 0.25, 2.  ], dtype=float32)"))
silu = symbolic_op(_unary("silu", jnn.silu, "Sigmoid linear unit (swish), ``x * sigmoid(x)``.", "[0.0, 0.0]", "Array([0., 0.], dtype=float32)"))
swish = symbolic_op(_unary("swish", jnn.silu, "Swish, ``x * sigmoid(x)`` (alias of ``silu``).", "[0.0, 0.0]", "Array([0., 0.], dtype=float32)"))
hard_silu = symbolic_op(_unary("hard_silu", jnn.hard_silu, "Hard SiLU, ``x * relu6(x + 3) / 6``.", "[-4.0, 3.0]", "Array([-0.,  3.], dtype=float32)"))
hard_swish = symbolic_op(_unary("hard_swish", jnn.hard_silu, "Hard swish, ``x * relu6(x + 3) / 6`` (alias of ``hard_silu``).", "[-4.0, 3.0]", "Array([-0.,  3.], dtype=float32)"))
hard_tanh = symbolic_op(_unary("hard_tanh", jnn.hard_tanh, "Tanh approximated piecewise: ``clip(x, -1, 1)``.", "[-2.0, 0.5]", "Array([-1. ,  0.5], dtype=float32)"))
selu = symbolic_op(_unary("selu", jnn.selu, "Scaled exponential linear unit.", "[0.0, 1.0]", "Array([0.      , 1.050701], dtype=float32)"))
# fmt: on


@symbolic_op
def tanh_shrink(x: ArrayLike) -> jax.Array:
    """``x - tanh(x)``.

    >>> ops.tanh_shrink([0.0, 0.0])
    Array([0., 0.], dtype=float32)
    """
    x = convert_to_tensor(x)
    return x - jnp.tanh(x)


@symbolic_op
def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> jax.Array:
    """Leaky ReLU: ``x`` for positive ``x``, ``negative_slope * x`` otherwise.

    Args:
        x: Input tensor.
        negative_slope: Slope of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.leaky_relu([-1.0, 2.0])
    Array([-0.2,  2. ], dtype=float32)
    """
    return jnn.leaky_relu(convert_to_tensor(x), negative_slope=negative_slope)


@symbolic_op
def elu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: ``x`` for positive ``x``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.elu([0.0, 1.0])
    Array([0., 1.], dtype=float32)
    """
    return jnn.elu(convert_to_tensor(x), alpha=alpha)


@symbolic_op
def celu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Continuously differentiable ELU: ``max(x, 0) + alpha * min(0, exp(x / alpha) - 1)``.

    Args:
        x: Input tensor.
        alpha: Scale of the negative part.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.celu([0.0, 1.0])
    Array([0., 1.], dtype=float32)
    """
    return jnn.celu(convert_to_tensor(x), alpha=alpha)


@symbolic_op
def gelu(x: ArrayLike, approximate: bool = True) -> jax.Array:
    """Gaussian error linear unit, ``x * Phi(x)``; the tanh approximation by default.

    Args:
        x: Input tensor.
        approximate: Use the tanh approximation (``True``, the default of
            ``ops.gelu``) or the exact erf form.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.gelu([0.0, 0.0])
    Array([0., 0.], dtype=float32)
    """
    return jnn.gelu(convert_to_tensor(x), approximate=approximate)


@symbolic_op
def glu(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; return ``a * sigmoid(b)``.

    Args:
        x: Input tensor.
        axis: The axis to split in two halves (its size must be even).

    Returns:
        ``x`` with ``axis`` halved.

    >>> ops.glu([1.0, 0.0])
    Array([0.5], dtype=float32)
    """
    return jnn.glu(convert_to_tensor(x), axis=axis)


@symbolic_op
def squareplus(x: ArrayLike, b: float = 4) -> jax.Array:
    """Smooth ReLU, ``(x + sqrt(x**2 + b)) / 2``.

    Args:
        x: Input tensor.
        b: Smoothness: larger values round the corner at 0 more.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.squareplus([0.0])
    Array([1.], dtype=float32)
    """
    return jnn.squareplus(convert_to_tensor(x), b=b)


@symbolic_op
def soft_shrink(x: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Move ``x`` towards zero by ``threshold``; values within ``threshold`` become 0.

    Args:
        x: Input tensor.
        threshold: Amount to shrink towards zero.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.soft_shrink([-1.0, 0.2, 2.0])
    Array([-0.5,  0. ,  1.5], dtype=float32)
    """
    x = convert_to_tensor(x)
    return jnp.where(x > threshold, x - threshold, jnp.where(x < -threshold, x + threshold, 0.0))


@symbolic_op
def hard_shrink(x: ArrayLike, threshold: float = 0.5) -> jax.Array:
    """Zero the values whose magnitude is at most ``threshold``.

    Args:
        x: Input tensor.
        threshold: Magnitudes at or below this become 0.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.hard_shrink([-1.0, 0.2, 2.0])
    Array([-1.,  0.,  2.], dtype=float32)
    """
    x = convert_to_tensor(x)
    return jnp.where(jnp.abs(x) > threshold, x, 0.0)


@symbolic_op
def threshold(x: ArrayLike, threshold: float, default_value: float) -> jax.Array:
    """``x`` where ``x > threshold``, else ``default_value``.

    Args:
        x: Input tensor.
        threshold: Values at or below this are replaced.
        default_value: The replacement value.

    Returns:
        A tensor of the same shape as ``x``.

    >>> ops.threshold([0.5, 2.0], 1.0, -1.0)
    Array([-1.,  2.], dtype=float32)
    """
    x = convert_to_tensor(x)
    return jnp.where(x > threshold, x, default_value)


@symbolic_op
def softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> jax.Array:
    """Softmax along ``axis`` (an int or a tuple of axes): ``exp(x) / sum(exp(x))``.

    Args:
        x: Input tensor.
        axis: The axis (or axes) to normalize over.

    Returns:
        Probabilities, shaped like ``x``, summing to 1 along ``axis``.

    >>> ops.softmax([0.0, 0.0])
    Array([0.5, 0.5], dtype=float32)
    """
    return jnn.softmax(convert_to_tensor(x), axis=tuple(axis) if isinstance(axis, list) else axis)


@symbolic_op
def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> jax.Array:
    """``log(softmax(x))`` along ``axis``, computed stably.

    Args:
        x: Input tensor.
        axis: The axis (or axes) to normalize over.

    Returns:
        Log-probabilities, shaped like ``x``.

    >>> ops.log_softmax([0.0, 0.0])
    Array([-0.6931472, -0.6931472], dtype=float32)
    """
    return jnn.log_softmax(
        convert_to_tensor(x), axis=tuple(axis) if isinstance(axis, list) else axis
    )


@symbolic_op
def sparsemax(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Sparsemax: the Euclidean projection of ``x`` onto the probability simplex along ``axis``.

    Like softmax its outputs sum to 1, but small logits get exactly 0.
    (Keras 3.15's version sums the wrong cumulative values and can return all
    zeros; this one follows the published definition.)

    Args:
        x: Input tensor.
        axis: The axis to normalize over.

    Returns:
        Probabilities, shaped like ``x``, summing to 1 along ``axis``.

    >>> ops.sparsemax([1.0, 1.2, 1.1])
    Array([0.23333329, 0.43333334, 0.3333333 ], dtype=float32)
    """
    logits = jnp.moveaxis(convert_to_tensor(x), axis, -1)
    ordered = -jnp.sort(-logits, axis=-1)
    cumulative = jnp.cumsum(ordered, axis=-1)
    ranks = jnp.arange(1, logits.shape[-1] + 1, dtype=logits.dtype)
    support_size = jnp.sum(ordered - (cumulative - 1) / ranks > 0, axis=-1, keepdims=True)
    total = jnp.take_along_axis(cumulative, support_size - 1, axis=-1)
    tau = (total - 1) / support_size.astype(logits.dtype)
    return jnp.moveaxis(jnp.maximum(logits - tau, 0.0), -1, axis)
