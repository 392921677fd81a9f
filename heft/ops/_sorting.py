"""Sorting and ranking: sort, argsort, argpartition, top_k, in_top_k, unique."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op


@symbolic_op
def sort(x: ArrayLike, axis: int = -1) -> jax.Array:
    """Sort ``x`` in ascending order along ``axis``.

    Args:
        x: Input tensor.
        axis: The axis to sort along.

    Returns:
        The sorted tensor.

    >>> ops.sort([3, 1, 2])
    Array([1, 2, 3], dtype=int32)
    """
    return jnp.sort(convert_to_tensor(x), axis=axis)


@symbolic_op
def argsort(x: ArrayLike, axis: int = -1) -> jax.Array:
    """The indices that sort ``x`` in ascending order along ``axis`` (stable).

    Args:
        x: Input tensor.
        axis: The axis to sort along.

    Returns:
        An int32 tensor of indices, shaped like ``x``.

    >>> ops.argsort([3, 1, 2])
    Array([1, 2, 0], dtype=int32)
    """
    x = convert_to_tensor(x)
    return jnp.argsort(x, axis=None if x.ndim == 0 else axis)


@symbolic_op
def argpartition(x: ArrayLike, kth: int, axis: int = -1) -> jax.Array:
    """Indices that partially sort ``x`` so the ``kth`` element is in its sorted place.

    Smaller elements come before it and larger ones after, in no particular order.

    Args:
        x: Input tensor.
        kth: The position to place correctly (an int).
        axis: The axis to partition; ``None`` partitions the flattened tensor.

    Returns:
        An int tensor of indices.

    Raises:
        ValueError: If ``kth`` is not an int.

    >>> int(ops.argpartition([3, 4, 2, 1], 1)[1])
    2
    """
    if isinstance(kth, bool) or not isinstance(kth, int):
        raise ValueError(f"`kth` must be an integer. Received: kth={kth}")
    x = convert_to_tensor(x)
    if axis is None:
        return jnp.argpartition(jnp.ravel(x), kth, axis=0)
    return jnp.argpartition(x, kth, axis=axis)


@symbolic_op
def top_k(x: ArrayLike, k: int, sorted: bool = True) -> tuple[jax.Array, jax.Array]:
    """The ``k`` largest values along the last axis and their indices.

    Args:
        x: Input tensor.
        k: Number of values to return.
        sorted: Accepted for Keras compatibility; results are always sorted
            in descending order.

    Returns:
        ``(values, indices)``, each with last dimension ``k``.

    >>> values, indices = ops.top_k([1.0, 4.0, 3.0], 2)
    >>> values, indices
    (Array([4., 3.], dtype=float32), Array([1, 2], dtype=int32))
    """
    return jax.lax.top_k(convert_to_tensor(x), k)


@symbolic_op
def in_top_k(targets: Any, predictions: Any, k: int) -> jax.Array:
    """Whether each target class is among the ``k`` highest predictions of its row.

    Ties count in the target's favour; a NaN prediction for the target is never in the top k.

    Args:
        targets: Int tensor of shape ``(batch,)``: the true class per row.
        predictions: Tensor of shape ``(batch, classes)``.
        k: Number of top predictions to consider.

    Returns:
        A bool tensor of shape ``(batch,)``.

    >>> ops.in_top_k([1, 0], [[0.1, 0.9, 0.0], [0.1, 0.3, 0.6]], 2)
    Array([ True, False], dtype=bool)
    """
    targets, predictions = convert_to_tensor(targets), convert_to_tensor(predictions)
    at_target = jnp.take_along_axis(predictions, targets[..., None].astype(jnp.int32), axis=-1)
    at_target = jnp.where(jnp.isnan(at_target), -jnp.inf, at_target)
    rank = 1 + jnp.sum(predictions > at_target, axis=-1)
    return rank <= k


@symbolic_op
def unique(
    x: ArrayLike,
    sorted: bool = True,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    size: int | None = None,
    fill_value: Any = None,
) -> Any:
    """The unique elements of ``x``, optionally with indices, inverse and counts.

    Args:
        x: Input tensor.
        sorted: Whether the unique values are sorted.
        return_index: Also return the first index of each unique value.
        return_inverse: Also return indices that rebuild ``x`` from the result.
        return_counts: Also return how often each unique value occurs.
        axis: Axis to find unique slices along; ``None`` flattens.
        size: A fixed output size (needed under ``jax.jit``).
        fill_value: Padding value when ``size`` exceeds the number of unique values.

    Returns:
        The unique values, or a tuple with the requested extra outputs.

    >>> ops.unique([3, 1, 3, 2])
    Array([1, 2, 3], dtype=int32)
    """
    return jnp.unique(
        convert_to_tensor(x),
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        equal_nan=False,
        size=size,
        fill_value=fill_value,
        sorted=sorted,
    )
