"""Shape manipulation: reshape, transpose, expand_dims, squeeze, tile, pad, flip, ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._dtypes import standardize_dtype
from .._typing import ArrayLike
from ._core import convert_to_tensor, jax_dtype, unwrap
from ._dispatch import symbolic_op
from ._reduction import axes


@symbolic_op
def reshape(x: ArrayLike, newshape: Any) -> jax.Array:
    """Give ``x`` a new shape with the same number of elements (one dimension may be -1).

    Args:
        x: Input tensor.
        newshape: An int or a sequence of ints.

    Returns:
        The reshaped tensor.

    Raises:
        ValueError: If ``newshape`` has more than one -1 or another negative value.

    >>> ops.reshape(ops.arange(6), (2, -1))
    Array([[0, 1, 2],
           [3, 4, 5]], dtype=int32)
    """
    newshape = unwrap(newshape)
    if not isinstance(newshape, jax.Array):
        newshape = tuple(newshape) if isinstance(newshape, Sequence) else (newshape,)
        if sum(1 for d in newshape if d == -1) > 1:
            raise ValueError(
                f"There must be at most one unknown dimension (-1) in `newshape`. "
                f"Received: newshape={newshape}"
            )
        if any(d is not None and d < -1 for d in newshape):
            raise ValueError(
                "All dimensions of `newshape` must be non-negative, or -1 for one inferred "
                f"dimension. Received: newshape={newshape}"
            )
    return jnp.reshape(convert_to_tensor(x), newshape)


@symbolic_op
def transpose(x: ArrayLike, axes: Sequence[int] | None = None) -> jax.Array:
    """Permute the axes of ``x`` (reverse them when ``axes`` is ``None``).

    Args:
        x: Input tensor.
        axes: A permutation of the axes; ``None`` reverses them.

    Returns:
        The permuted tensor.

    >>> ops.transpose(ops.zeros((2, 3, 4)), (1, 0, 2)).shape
    (3, 2, 4)
    """
    return jnp.transpose(convert_to_tensor(x), axes=None if axes is None else tuple(axes))


@symbolic_op
def expand_dims(x: ArrayLike, axis: int | Sequence[int]) -> jax.Array:
    """Insert axes of size 1 at ``axis`` (an int or a sequence of ints).

    Args:
        x: Input tensor.
        axis: Position(s) of the new axes.

    Returns:
        ``x`` with new axes of size 1.

    Raises:
        ValueError: If ``axis`` is not an int, tuple or list.

    >>> ops.expand_dims(ops.zeros((2, 3)), -1).shape
    (2, 3, 1)
    """
    if not isinstance(axis, int | tuple | list):
        raise ValueError(
            "The `axis` argument to `expand_dims` should be an integer, tuple or list. "
            f"Received: axis={axis}"
        )
    return jnp.expand_dims(convert_to_tensor(x), axes(axis))


@symbolic_op
def squeeze(x: ArrayLike, axis: int | Sequence[int] | None = None) -> jax.Array:
    """Remove axes of size 1 (all of them, or those in ``axis``).

    Args:
        x: Input tensor.
        axis: Axis or axes to remove; ``None`` removes all size-1 axes.

    Returns:
        ``x`` without the removed axes.

    >>> ops.squeeze(ops.zeros((1, 3, 1))).shape
    (3,)
    """
    return jnp.squeeze(convert_to_tensor(x), axis=axes(axis))


@symbolic_op
def broadcast_to(x: ArrayLike, shape: Sequence[int]) -> jax.Array:
    """Broadcast ``x`` to ``shape``.

    Args:
        x: Input tensor.
        shape: The target shape.

    Returns:
        The broadcast tensor.

    >>> ops.broadcast_to([1, 2], (2, 2))
    Array([[1, 2],
           [1, 2]], dtype=int32)
    """
    return jnp.broadcast_to(convert_to_tensor(x), tuple(shape))


@symbolic_op
def moveaxis(
    x: ArrayLike, source: int | Sequence[int], destination: int | Sequence[int]
) -> jax.Array:
    """Move axes ``source`` to positions ``destination``; other axes keep their order.

    Args:
        x: Input tensor.
        source: Axis or axes to move.
        destination: Their new positions.

    Returns:
        The tensor with axes moved.

    Raises:
        ValueError: If ``source`` and ``destination`` have different lengths.

    >>> ops.moveaxis(ops.zeros((2, 3, 4)), 0, -1).shape
    (3, 4, 2)
    """
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` must have the same number of elements. "
            f"Received: source={source}, destination={destination}"
        )
    return jnp.moveaxis(convert_to_tensor(x), src, dst)


@symbolic_op
def swapaxes(x: ArrayLike, axis1: int, axis2: int) -> jax.Array:
    """Swap two axes of ``x``.

    Args:
        x: Input tensor.
        axis1: First axis.
        axis2: Second axis.

    Returns:
        The tensor with the two axes swapped.

    >>> ops.swapaxes(ops.zeros((2, 3)), 0, 1).shape
    (3, 2)
    """
    return jnp.swapaxes(convert_to_tensor(x), axis1, axis2)


@symbolic_op
def ravel(x: ArrayLike) -> jax.Array:
    """Flatten ``x`` into a 1-D tensor.

    >>> ops.ravel([[1, 2], [3, 4]])
    Array([1, 2, 3, 4], dtype=int32)
    """
    return jnp.ravel(convert_to_tensor(x))


@symbolic_op
def flip(x: ArrayLike, axis: int | Sequence[int] | None = None) -> jax.Array:
    """Reverse the order of elements along ``axis`` (all axes when ``None``).

    Args:
        x: Input tensor.
        axis: Axis or axes to flip; ``None`` flips all.

    Returns:
        The flipped tensor.

    >>> ops.flip([1, 2, 3])
    Array([3, 2, 1], dtype=int32)
    """
    return jnp.flip(convert_to_tensor(x), axis=axes(axis))


@symbolic_op
def fliplr(x: ArrayLike) -> jax.Array:
    """Reverse the order of columns (axis 1).

    >>> ops.fliplr([[1, 2], [3, 4]])
    Array([[2, 1],
           [4, 3]], dtype=int32)
    """
    return jnp.fliplr(convert_to_tensor(x))


@symbolic_op
def flipud(x: ArrayLike) -> jax.Array:
    """Reverse the order of rows (axis 0).

    >>> ops.flipud([[1, 2], [3, 4]])
    Array([[3, 4],
           [1, 2]], dtype=int32)
    """
    return jnp.flipud(convert_to_tensor(x))


@symbolic_op
def roll(
    x: ArrayLike, shift: int | Sequence[int], axis: int | Sequence[int] | None = None
) -> jax.Array:
    """Shift elements along ``axis`` by ``shift``, wrapping around (flattened if ``None``).

    Args:
        x: Input tensor.
        shift: Number of places to shift (or one per axis).
        axis: Axis or axes to roll; ``None`` rolls the flattened tensor.

    Returns:
        The rolled tensor.

    >>> ops.roll([1, 2, 3, 4], 1)
    Array([4, 1, 2, 3], dtype=int32)
    """
    return jnp.roll(convert_to_tensor(x), unwrap(shift), axis=axes(axis))


@symbolic_op
def rot90(array: Any, k: int = 1, axes: tuple[int, int] = (0, 1)) -> jax.Array:
    """Rotate ``array`` by 90 degrees ``k`` times in the plane of ``axes``.

    Args:
        array: Input tensor with at least 2 dimensions.
        k: Number of quarter turns (counter-clockwise).
        axes: The two axes that define the plane of rotation.

    Returns:
        The rotated tensor.

    Raises:
        ValueError: If ``array`` has fewer than 2 dimensions, or ``axes`` is not
            two different axes.

    >>> ops.rot90([[1, 2], [3, 4]])
    Array([[2, 4],
           [1, 3]], dtype=int32)
    """
    array = convert_to_tensor(array)
    if array.ndim < 2:
        raise ValueError(
            f"Input array must have at least 2 dimensions. Received: array.ndim={array.ndim}"
        )
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"Invalid axes: {axes}. Axes must be a tuple of two different dimensions.")
    return jnp.rot90(array, k=k, axes=tuple(axes))


@symbolic_op
def tile(x: ArrayLike, repeats: int | Sequence[int]) -> jax.Array:
    """Repeat the whole of ``x`` ``repeats`` times along each axis.

    Args:
        x: Input tensor.
        repeats: Repetitions per axis (an int or a sequence).

    Returns:
        The tiled tensor.

    >>> ops.tile([1, 2], 2)
    Array([1, 2, 1, 2], dtype=int32)
    """
    return jnp.tile(convert_to_tensor(x), unwrap(repeats))


@symbolic_op
def repeat(x: ArrayLike, repeats: Any, axis: int | None = None) -> jax.Array:
    """Repeat each element of ``x`` ``repeats`` times along ``axis`` (flattened if ``None``).

    Args:
        x: Input tensor.
        repeats: Repetitions per element (an int, or one per element along ``axis``).
        axis: The axis to repeat along; ``None`` flattens first.

    Returns:
        The repeated tensor.

    >>> ops.repeat([1, 2], 2)
    Array([1, 1, 2, 2], dtype=int32)
    """
    repeats = unwrap(repeats)
    if isinstance(repeats, list | tuple):
        repeats = convert_to_tensor(repeats)
    return jnp.repeat(convert_to_tensor(x), repeats, axis=axis)


@symbolic_op
def pad(
    x: ArrayLike, pad_width: Any, mode: str = "constant", constant_values: Any = None
) -> jax.Array:
    """Pad ``x`` with ``pad_width = [(before, after), ...]`` values per axis.

    Args:
        x: Input tensor.
        pad_width: One ``(before, after)`` pair per axis, or a single pair for all axes.
        mode: ``"constant"``, ``"edge"``, ``"reflect"``, ``"symmetric"``, ``"wrap"``, ...
        constant_values: The fill value in ``"constant"`` mode (default 0).

    Returns:
        The padded tensor.

    Raises:
        ValueError: If ``pad_width`` has one pair per axis for a different number of
            axes, or ``constant_values`` is given with a mode other than ``"constant"``.

    >>> ops.pad([1, 2], [(1, 2)])
    Array([0, 1, 2, 0, 0], dtype=int32)
    """
    x = convert_to_tensor(x)
    pad_width = unwrap(pad_width)
    shape = np.shape(pad_width)
    if len(shape) == 2 and shape[0] > 1 and shape[0] != x.ndim:
        raise ValueError(
            "`pad_width` must have one (before, after) pair per axis of `x`, or a single "
            f"pair for all axes. Received: pad_width={pad_width} (length {shape[0]}) for "
            f"x.shape={x.shape} (rank {x.ndim})"
        )
    if constant_values is None:
        return jnp.pad(x, pad_width, mode=mode)
    if mode != "constant":
        raise ValueError(
            "Argument `constant_values` can only be provided when `mode == 'constant'`. "
            f"Received: mode={mode!r}. Drop `constant_values` or use mode='constant'."
        )
    return jnp.pad(x, pad_width, mode=mode, constant_values=unwrap(constant_values))


@symbolic_op
def ndim(x: ArrayLike) -> int:
    """Number of dimensions of ``x``.

    >>> ops.ndim(ops.zeros((2, 3)))
    2
    """
    return int(jnp.ndim(convert_to_tensor(x)))


@symbolic_op
def size(x: ArrayLike) -> int:
    """Number of elements of ``x``.

    >>> ops.size(ops.zeros((2, 3)))
    6
    """
    return int(jnp.size(convert_to_tensor(x)))


@symbolic_op
def diff(a: Any, n: int = 1, axis: int = -1) -> jax.Array:
    """The ``n``-th discrete difference along ``axis``.

    Args:
        a: Input tensor.
        n: Number of times to take differences.
        axis: The axis along which to take differences.

    Returns:
        A tensor whose ``axis`` is ``n`` shorter.

    >>> ops.diff([1, 4, 9, 16])
    Array([3, 5, 7], dtype=int32)
    """
    return jnp.diff(convert_to_tensor(a), n=n, axis=axis)


@symbolic_op
def view(x: ArrayLike, dtype: Any = None) -> jax.Array:
    """The bits of ``x`` read as ``dtype`` (the last axis rescales with the item size).

    Args:
        x: Input tensor.
        dtype: The dtype to read the data as; ``None`` keeps ``x``'s.

    Returns:
        A tensor of ``dtype``, sharing ``x``'s bytes.

    Raises:
        ValueError: If the last axis's bytes do not divide into ``dtype`` items.

    >>> ops.view(ops.array([1.0], dtype="float32"), "int32")
    Array([1065353216], dtype=int32)
    """
    x = convert_to_tensor(x)
    if dtype is None:
        return x
    return x.view(jax_dtype(standardize_dtype(dtype)))
