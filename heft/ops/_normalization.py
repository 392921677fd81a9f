"""Statistics and normalizations: moments, normalize, batch, layer and RMS normalization."""

from __future__ import annotations

import warnings
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op
from ._reduction import axes as as_axes


@symbolic_op
def moments(
    x: ArrayLike, axes: Any, keepdims: bool = False, synchronized: bool = False
) -> tuple[jax.Array, jax.Array]:
    """Mean and variance of ``x`` over ``axes`` (half precision is computed in float32).

    Args:
        x: Input tensor.
        axes: Axis or axes to reduce.
        keepdims: Whether to keep reduced axes with size 1.
        synchronized: Must be false (cross-device statistics are not supported).

    Returns:
        ``(mean, variance)``.

    Raises:
        NotImplementedError: If ``synchronized=True``.

    >>> ops.moments([1.0, 2.0, 3.0, 4.0], axes=0)
    (Array(2.5, dtype=float32), Array(1.25, dtype=float32))
    """
    if synchronized:
        raise NotImplementedError(
            "Argument synchronized=True is not supported with JAX: compute statistics "
            "per device, or average them yourself with `jax.lax.pmean`."
        )
    x = convert_to_tensor(x)
    original = x.dtype
    half = original in (jnp.float16, jnp.bfloat16)
    if half:
        x = x.astype(jnp.float32)
    reduce_axes = as_axes(axes)
    mean = jnp.mean(x, axis=reduce_axes, keepdims=keepdims)
    variance = jnp.var(x, axis=reduce_axes, keepdims=keepdims)
    if half:
        limit = float(jnp.finfo(jnp.float16).max)
        mean = jnp.clip(mean, -limit, limit).astype(original)
        variance = jnp.clip(variance, -limit, limit).astype(original)
    return mean, variance


@symbolic_op
def normalize(
    x: ArrayLike, axis: int = -1, order: int = 2, epsilon: float | None = None
) -> jax.Array:
    """Scale ``x`` to unit ``order``-norm along ``axis``.

    Args:
        x: Input tensor.
        axis: The axis to normalize along.
        order: The norm order, an int >= 1.
        epsilon: Lower bound on the norm; ``heft.config.epsilon()`` by default.

    Returns:
        The normalized tensor.

    Raises:
        ValueError: If ``order`` is not an int >= 1.

    >>> ops.normalize([3.0, 4.0])
    Array([0.6, 0.8], dtype=float32)
    """
    if isinstance(order, bool) or not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = convert_to_tensor(x)
    if x.ndim == 0:
        x = x[None]
    epsilon = _config.epsilon() if epsilon is None else epsilon
    if order == 2:
        inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
        return x * jnp.minimum(inv_norm, 1.0 / epsilon)
    norm = jnp.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return x / jnp.maximum(norm, epsilon)


@symbolic_op
def batch_normalization(
    x: ArrayLike,
    mean: Any,
    variance: Any,
    axis: int,
    offset: Any = None,
    scale: Any = None,
    epsilon: float = 1e-3,
) -> jax.Array:
    """Normalize ``x`` with given statistics: ``(x - mean) / sqrt(variance + epsilon) * scale + offset``.

    Args:
        x: Input tensor.
        mean: 1-D mean, with the length of ``x``'s ``axis``.
        variance: 1-D variance, same length.
        axis: The feature axis of ``x``.
        offset: Optional 1-D offset (beta).
        scale: Optional 1-D scale (gamma).
        epsilon: Added to the variance for stability.

    Returns:
        The normalized tensor.

    >>> ops.batch_normalization([[1.0, 2.0]], [1.0, 1.0], [1.0, 4.0], axis=-1, epsilon=0.0)
    Array([[0. , 0.5]], dtype=float32)
    """
    x = convert_to_tensor(x)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]

    def as_column(v: Any) -> jax.Array:
        return jnp.reshape(convert_to_tensor(v), shape)

    inv = jax.lax.rsqrt(as_column(variance) + epsilon)
    if scale is not None:
        inv = inv * as_column(scale)
    shift = -as_column(mean) * inv
    if offset is not None:
        shift = shift + as_column(offset)
    return x * inv + shift


@symbolic_op
def layer_normalization(
    x: ArrayLike,
    gamma: Any = None,
    beta: Any = None,
    axis: int | list[int] = -1,
    epsilon: float | None = None,
    **kwargs: Any,
) -> jax.Array:
    """Normalize ``x`` to zero mean and unit variance over ``axis``, then scale and shift.

    Computed in at least float32 and cast back to ``x``'s dtype.

    Args:
        x: Input tensor.
        gamma: Optional scale, shaped like the normalized axes.
        beta: Optional offset, shaped like the normalized axes.
        axis: Axis or axes to normalize over.
        epsilon: Added to the variance; ``heft.config.epsilon()`` by default.
        **kwargs: Only the deprecated ``rms_scaling`` (scales by the variance
            without centring; use ``rms_normalization`` instead).

    Returns:
        The normalized tensor.

    Raises:
        TypeError: If an unknown keyword argument is given.

    >>> ops.layer_normalization([[1.0, 3.0]], epsilon=0.0)
    Array([[-1.,  1.]], dtype=float32)
    """
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(
            f"Unexpected keyword arguments for `layer_normalization`: {sorted(kwargs)}."
        )
    if rms_scaling:
        warnings.warn(
            "`rms_scaling=True` is deprecated: it scales by the variance, not the root mean "
            "square. Use `ops.rms_normalization` instead.",
            DeprecationWarning,
            stacklevel=2,
        )
    epsilon = _config.epsilon() if epsilon is None else epsilon
    x = convert_to_tensor(x)
    original = x.dtype
    x = x.astype(jnp.promote_types(original, jnp.float32))
    norm_axes = sorted([axis] if isinstance(axis, int) else list(axis))
    norm_axes = [a % x.ndim for a in norm_axes]
    broadcast = [x.shape[d] if d in norm_axes else 1 for d in range(x.ndim)]

    def prepare(v: Any) -> Any:
        if v is None:
            return None
        v = convert_to_tensor(v, dtype=x.dtype)
        if v.ndim != x.ndim and norm_axes != [x.ndim - 1]:
            v = jnp.reshape(v, broadcast)
        return v

    gamma, beta = prepare(gamma), prepare(beta)
    if rms_scaling:
        out = x * jax.lax.rsqrt(jnp.var(x, axis=tuple(norm_axes), keepdims=True) + epsilon)
        return (out if gamma is None else out * gamma).astype(original)
    mean = jnp.mean(x, axis=tuple(norm_axes), keepdims=True)
    variance = jnp.var(x, axis=tuple(norm_axes), keepdims=True)
    inv = jax.lax.rsqrt(variance + epsilon)
    if gamma is not None:
        inv = inv * gamma
    shift = -mean * inv
    if beta is not None:
        shift = shift + beta
    return (x * inv + shift).astype(original)


@symbolic_op
def rms_normalization(
    x: ArrayLike, scale: Any = None, axis: int | list[int] = -1, epsilon: float | None = None
) -> jax.Array:
    """Divide ``x`` by its root mean square over ``axis``, then multiply by ``scale``.

    Computed in at least float32 and cast back to ``x``'s dtype.

    Args:
        x: Input tensor.
        scale: Optional scale, broadcast against the normalized axes.
        axis: Axis or axes to normalize over.
        epsilon: Added to the mean square; ``heft.config.epsilon()`` by default.

    Returns:
        The normalized tensor, with ``x``'s dtype.

    >>> ops.rms_normalization([[3.0, 4.0]], epsilon=0.0)
    Array([[0.84852815, 1.1313709 ]], dtype=float32)
    """
    epsilon = _config.epsilon() if epsilon is None else epsilon
    x = convert_to_tensor(x)
    original = x.dtype
    x = x.astype(jnp.promote_types(original, jnp.float32))
    if x.ndim == 0:
        x = x[None]
    norm_axes = tuple(sorted(axis)) if isinstance(axis, list | tuple) else axis
    out = x * jax.lax.rsqrt(jnp.mean(jnp.square(x), axis=norm_axes, keepdims=True) + epsilon)
    if scale is not None:
        out = out * convert_to_tensor(scale, dtype=x.dtype)
    return out.astype(original)
