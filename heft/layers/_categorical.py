"""Encoding integer category indices as ``int``, one-hot, multi-hot or count outputs."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count")


def check_output_mode(value: Any, allowed: tuple[str, ...], caller: str) -> None:
    """Raise Keras's ``ValueError`` for an ``output_mode`` outside ``allowed``."""
    if value not in allowed:
        raise ValueError(
            f"Unknown value for `output_mode` argument of {caller}. Allowed values are: "
            f"{allowed}. Received: output_mode={value}"
        )


def check_not_sparse(sparse: bool, caller: str) -> None:
    """heft has no sparse arrays: ``sparse=True`` is refused with a clear error."""
    if sparse:
        raise ValueError(
            f"`sparse=True` is not supported by heft's {caller}: heft computes with dense "
            "arrays only. Pass sparse=False (the default); the dense output has the same values."
        )


def encode(
    indices: Any, output_mode: str, depth: int, dtype: Any, count_weights: Any = None
) -> Any:
    """Encode integer ``indices`` in ``[0, depth)`` as Keras's ``encode_categorical_inputs``.

    ``"int"`` casts; ``"one_hot"`` adds a ``depth`` axis (replacing a trailing axis of
    size 1); ``"multi_hot"`` and ``"count"`` reduce axis 1 of a batch (axis 0 of a
    single sample) into ``depth`` slots. Indices outside ``[0, depth)`` count nowhere.
    """
    x = jnp.asarray(indices)
    dtype = jax.dtypes.canonicalize_dtype(np.dtype(dtype))
    if output_mode == "int":
        return x.astype(dtype)
    if x.ndim == 0:
        x = x[None]
    if output_mode == "one_hot":
        if x.ndim > 1 and x.shape[-1] == 1:
            x = x.reshape(x.shape[:-1])
        return jax.nn.one_hot(x, depth, dtype=dtype)
    axis = 1 if x.ndim > 1 else 0
    if output_mode == "multi_hot":
        return jnp.max(jax.nn.one_hot(x, depth, dtype=dtype), axis=axis)
    if count_weights is not None:
        weights = jnp.asarray(count_weights)
        hot = jax.nn.one_hot(x, depth, dtype=weights.dtype) * weights[..., None]
    else:
        hot = jax.nn.one_hot(x, depth, dtype=dtype)
    return jnp.sum(hot, axis=axis)


def encoded_shape(input_shape: Any, output_mode: str, depth: int) -> tuple:
    """The output shape of :func:`encode` for an input shape."""
    shape = tuple(input_shape)
    if output_mode == "int":
        return shape
    if not shape:
        return (depth,)
    if output_mode == "one_hot":
        if len(shape) > 1 and shape[-1] == 1:
            return (*shape[:-1], depth)
        return (*shape, depth)
    if len(shape) >= 2:
        return (shape[0], *shape[2:], depth)
    return (depth,)
