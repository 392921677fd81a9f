"""Array helpers shared by the losses: conversion, Keras-style means, rank matching."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _config, _masking
from .._typing import ArrayLike, DTypeLike
from .._variable import Variable

_INT_TYPES = (int, np.integer)


def to_tensor(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """``x`` (array, Variable, list or scalar) as a JAX array, optionally cast to ``dtype``.

    Without ``dtype``, arrays keep theirs; Python floats (and lists of them)
    become ``floatx()``, Python ints ``int32``, as Keras's JAX backend does.
    """
    if isinstance(x, Variable):
        x = x.value
    if dtype is not None:
        if isinstance(x, jax.Array) and x.dtype == jnp.dtype(dtype):
            return x
        return jnp.asarray(x, dtype=dtype)
    if isinstance(x, bool | int | float):
        host = np.asarray(x)
        if host.dtype.kind == "f":
            return jnp.asarray(host, dtype=_config.floatx())
        if host.dtype.kind in "iu":
            return jnp.asarray(host, dtype=jnp.int32)
        return jnp.asarray(host)
    return jnp.asarray(x)


def mean(x: jax.Array, axis: Any = None) -> jax.Array:
    """The mean over ``axis``, accumulated in at least float32 as Keras does.

    Float inputs keep their dtype; integer and boolean inputs give float32.
    """
    compute = jnp.promote_types(x.dtype, jnp.float32)
    if jnp.issubdtype(x.dtype, jnp.floating):
        result = x.dtype
    else:
        result = compute
    return jnp.mean(x, axis=axis, dtype=compute).astype(result)


def squeeze_or_expand_to_same_rank(
    x1: jax.Array, x2: jax.Array, expand_rank_1: bool = True
) -> tuple[jax.Array, jax.Array]:
    """Make two arrays whose ranks differ by one, through a trailing size-1 axis, agree.

    The array with the extra trailing axis of size 1 loses it, except when the
    other is 1-D and ``expand_rank_1`` is true: then that one gains an axis.
    Other rank differences are left for broadcasting.
    """
    rank1, rank2 = x1.ndim, x2.ndim
    if rank1 == rank2:
        return x1, x2
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = jnp.expand_dims(x2, -1)
        else:
            x1 = jnp.squeeze(x1, -1)
    if rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = jnp.expand_dims(x1, -1)
        else:
            x2 = jnp.squeeze(x2, -1)
    return x1, x2


def divide_no_nan(x1: jax.Array, x2: jax.Array) -> jax.Array:
    """``x1 / x2``, with 0 wherever ``x2`` is 0 (and a gradient free of NaNs there)."""
    zero = x2 == 0
    return jnp.where(zero, jnp.zeros((), x1.dtype), x1 / jnp.where(zero, 1, x2))


def canonicalize_axis(axis: int, ndim: int, argument: str = "axis") -> int:
    """``axis`` as a non-negative index into ``ndim`` dimensions.

    Raises:
        ValueError: If ``axis`` is out of range for an array of rank ``ndim``.
    """
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"`{argument}={axis}` is out of range for an input of rank {ndim}: expected an "
            f"integer in [{-ndim}, {ndim - 1}]. Pass the axis that holds the classes."
        )
    return axis % ndim


def check_int_axis(axis: Any, function: str) -> None:
    """Reject booleans and other non-int ``axis`` values with a helpful error.

    Raises:
        ValueError: If ``axis`` is a bool or not an int.
    """
    if isinstance(axis, bool) or not isinstance(axis, _INT_TYPES):
        raise ValueError(
            f"`axis` must be of type `int` in `{function}`. Received: axis={axis!r} of type "
            f"{type(axis)}. Pass the index of the class axis, e.g. `axis=-1`."
        )


def l2_normalize(x: jax.Array, axis: int = -1) -> jax.Array:
    """``x`` scaled to unit L2 norm along ``axis`` (all-zero slices stay zero)."""
    if x.ndim == 0:
        x = jnp.expand_dims(x, 0)
    inv_norm = jax.lax.rsqrt(jnp.sum(jnp.square(x), axis=axis, keepdims=True))
    inv_norm = jnp.minimum(inv_norm, 1.0 / _config.epsilon())
    return x * inv_norm


def keras_mask_of(x: ArrayLike) -> Any:
    """The Keras mask attached to ``x`` (``x._keras_mask``), or ``None``."""
    return _masking.get_mask(x)
