"""Joining and splitting tensors: concatenate, stack, split and their variants."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor, unwrap
from ._dispatch import symbolic_op


def _tensors(xs: Any) -> list[jax.Array]:
    """The tensors of a list/tuple of tensors, or the slices of one stacked tensor."""
    if isinstance(xs, list | tuple):
        return [convert_to_tensor(x) for x in xs]
    return list(convert_to_tensor(xs))


@symbolic_op
def concatenate(xs: Sequence[Any], axis: int = 0) -> jax.Array:
    """Join a sequence of tensors along an existing axis.

    Args:
        xs: A list or tuple of tensors with equal shapes except along ``axis``.
        axis: The axis to join along.

    Returns:
        The joined tensor.

    Raises:
        ValueError: If ``axis`` is ``None``.

    >>> ops.concatenate([ops.zeros((1, 2)), ops.ones((1, 2))], axis=0)
    Array([[0., 0.],
           [1., 1.]], dtype=float32)
    """
    if axis is None:
        raise ValueError(
            "`axis` cannot be None for `concatenate`. Pass an int, or flatten the inputs "
            "with `ops.ravel` first."
        )
    return jnp.concatenate(_tensors(xs), axis=axis)


@symbolic_op
def stack(x: Sequence[Any], axis: int = 0) -> jax.Array:
    """Join a sequence of same-shaped tensors along a new axis.

    Args:
        x: A list or tuple of tensors of the same shape.
        axis: Position of the new axis.

    Returns:
        A tensor with one more axis than the inputs.

    >>> ops.stack([[1, 2], [3, 4]], axis=1)
    Array([[1, 3],
           [2, 4]], dtype=int32)
    """
    return jnp.stack(_tensors(x), axis=axis)


@symbolic_op
def hstack(xs: Sequence[Any]) -> jax.Array:
    """Join tensors column-wise (along axis 1, or axis 0 for 1-D tensors).

    >>> ops.hstack([[1, 2], [3]])
    Array([1, 2, 3], dtype=int32)
    """
    return jnp.hstack(_tensors(xs))


@symbolic_op
def vstack(xs: Sequence[Any]) -> jax.Array:
    """Join tensors row-wise (along axis 0, treating 1-D tensors as rows).

    >>> ops.vstack([[1, 2], [3, 4]])
    Array([[1, 2],
           [3, 4]], dtype=int32)
    """
    return jnp.vstack(_tensors(xs))


@symbolic_op
def dstack(xs: Sequence[Any]) -> jax.Array:
    """Join tensors depth-wise (along axis 2).

    >>> ops.dstack([[1, 2], [3, 4]]).shape
    (1, 2, 2)
    """
    return jnp.dstack(_tensors(xs))


@symbolic_op
def append(x1: ArrayLike, x2: ArrayLike, axis: int | None = None) -> jax.Array:
    """Append ``x2`` to the end of ``x1`` along ``axis`` (both flattened when ``None``).

    Args:
        x1: Tensor to append to.
        x2: Values to append.
        axis: Axis to append along; ``None`` flattens both inputs first.

    Returns:
        The joined tensor.

    >>> ops.append([1, 2], [[3, 4]])
    Array([1, 2, 3, 4], dtype=int32)
    """
    return jnp.append(convert_to_tensor(x1), convert_to_tensor(x2), axis=axis)


def _sections(indices_or_sections: Any) -> Any:
    value = unwrap(indices_or_sections)
    return value if isinstance(value, int) else tuple(int(i) for i in value)


@symbolic_op
def split(x: ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0) -> list[jax.Array]:
    """Split ``x`` into equal sections, or at the given indices, along ``axis``.

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or the split points.
        axis: The axis to split.

    Returns:
        A list of tensors.

    >>> [t.tolist() for t in ops.split(ops.arange(6), 3)]
    [[0, 1], [2, 3], [4, 5]]
    """
    return jnp.split(convert_to_tensor(x), _sections(indices_or_sections), axis=axis)


@symbolic_op
def array_split(x: ArrayLike, indices_or_sections: int, axis: int = 0) -> list[jax.Array]:
    """Split ``x`` into ``indices_or_sections`` nearly equal parts along ``axis``.

    Args:
        x: Input tensor.
        indices_or_sections: Number of parts (a positive int); parts differ in size by at most one.
        axis: The axis to split.

    Returns:
        A list of tensors.

    Raises:
        TypeError: If ``indices_or_sections`` or ``axis`` is not an int.
        ValueError: If ``indices_or_sections`` is not positive.

    >>> [t.tolist() for t in ops.array_split(ops.arange(5), 2)]
    [[0, 1, 2], [3, 4]]
    """
    if isinstance(indices_or_sections, bool) or not isinstance(indices_or_sections, int):
        raise TypeError(
            "Argument `indices_or_sections` must be of type `int`. "
            f"Received: indices_or_sections={indices_or_sections}"
        )
    if indices_or_sections <= 0:
        raise ValueError(
            "Argument `indices_or_sections` must be a positive integer. "
            f"Received: indices_or_sections={indices_or_sections}"
        )
    if not isinstance(axis, int):
        raise TypeError(f"Argument `axis` must be of type `int`. Received: axis={axis}")
    return jnp.array_split(convert_to_tensor(x), indices_or_sections, axis=axis)


@symbolic_op
def hsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Split ``x`` column-wise (axis 1, or axis 0 for 1-D tensors).

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or a sequence of split indices.

    Returns:
        A list of tensors.

    >>> [t.tolist() for t in ops.hsplit([[1, 2], [3, 4]], 2)]
    [[[1], [3]], [[2], [4]]]
    """
    return jnp.hsplit(convert_to_tensor(x), _sections(indices_or_sections))


@symbolic_op
def vsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Split ``x`` row-wise (axis 0).

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or a sequence of split indices.

    Returns:
        A list of tensors.

    >>> [t.tolist() for t in ops.vsplit([[1, 2], [3, 4]], 2)]
    [[[1, 2]], [[3, 4]]]
    """
    return jnp.vsplit(convert_to_tensor(x), _sections(indices_or_sections))


@symbolic_op
def dsplit(x: ArrayLike, indices_or_sections: int | Sequence[int]) -> list[jax.Array]:
    """Split ``x`` depth-wise (axis 2).

    Args:
        x: Input tensor.
        indices_or_sections: Number of equal sections, or a sequence of split indices.

    Returns:
        A list of tensors.

    >>> [t.shape for t in ops.dsplit(ops.zeros((1, 1, 4)), 2)]
    [(1, 1, 2), (1, 1, 2)]
    """
    return jnp.dsplit(convert_to_tensor(x), _sections(indices_or_sections))
