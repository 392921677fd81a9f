"""Array helpers shared by the metrics: conversion, rank matching, safe division, argmax."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ..losses._utils import squeeze_or_expand_to_same_rank
from ..ops import convert_to_tensor

# Metrics match the ranks of targets and predictions as the losses do.
match_ranks = squeeze_or_expand_to_same_rank


def to_array(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """``x`` (array, list, scalar or Variable) as a JAX array, optionally cast to ``dtype``."""
    return convert_to_tensor(x, dtype=dtype)


def floatx_dtype() -> Any:
    """The JAX dtype named by ``floatx()``."""
    return jnp.dtype(_config.floatx())


def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """``x1 / x2`` with 0 wherever ``x2`` is 0."""
    x1, x2 = jnp.asarray(x1), jnp.asarray(x2)
    zero = x2 == 0
    return jnp.where(zero, 0, x1 / jnp.where(zero, 1, x2))


def argmax_last(x: jax.Array) -> jax.Array:
    """Index of the largest entry along the last axis.

    Negative zeros of float inputs count as slightly below zero on CPU, as in
    Keras's JAX backend (which works around flush-to-zero comparisons there).
    """
    if not jnp.issubdtype(x.dtype, jnp.floating) or x.ndim == 0 or not _on_cpu(x):
        return jnp.argmax(x, axis=-1)
    x = x.astype(jnp.promote_types(x.dtype, jnp.float32))
    negative_zero = (x == 0.0) & jnp.signbit(x)
    x = jnp.where(negative_zero, -jnp.finfo(x.dtype).tiny, x)
    return jnp.argmax(x, axis=-1)


def _on_cpu(x: jax.Array) -> bool:
    if isinstance(x, jax.core.Tracer):
        return jax.default_backend() == "cpu"
    devices = x.devices()
    return len(devices) == 1 and next(iter(devices)).platform == "cpu"
