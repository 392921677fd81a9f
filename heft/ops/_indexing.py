"""Gathering and index arithmetic: take, diagonals, triangles, searchsorted, bincount, ..."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor, unwrap
from ._dispatch import symbolic_op
from ._elementwise import _finish


@symbolic_op
def take(x: ArrayLike, indices: Any, axis: int | None = None) -> jax.Array:
    """Gather elements of ``x`` at ``indices`` along ``axis`` (of the flat tensor if ``None``).

    Args:
        x: Input tensor.
        indices: Int tensor of indices (negative values count from the end).
        axis: The axis to gather along.

    Returns:
        The gathered tensor.

    >>> ops.take([[1, 2], [3, 4]], [1, 0], axis=0)
    Array([[3, 4],
           [1, 2]], dtype=int32)
    """
    return jnp.take(convert_to_tensor(x), convert_to_tensor(indices), axis=axis)


@symbolic_op
def take_along_axis(x: ArrayLike, indices: Any, axis: int | None = None) -> jax.Array:
    """Gather values of ``x`` at ``indices`` matched along ``axis`` (e.g. from ``argsort``).

    Args:
        x: Input tensor.
        indices: Int tensor with the same rank as ``x``.
        axis: The axis to gather along; ``None`` uses the flattened tensor.

    Returns:
        The gathered tensor, shaped like ``indices``.

    >>> ops.take_along_axis([[10, 30, 20]], [[1]], axis=1)
    Array([[30]], dtype=int32)
    """
    return jnp.take_along_axis(convert_to_tensor(x), convert_to_tensor(indices), axis=axis)


_TRIANGLE_DOC = """The {part} triangle of ``x``: entries {side} the ``k``-th diagonal set to zero.

Args:
    x: Tensor with at least 2 dimensions; the last two are triangulated.
    k: Diagonal offset: 0 is the main diagonal, positive values are above it.

Returns:
    The {part} triangle, shaped like ``x``.

>>> ops.{name}([[1, 2], [3, 4]])
{output}
"""


def _triangle(name: str, jfn: Callable, part: str, side: str, output: str) -> Callable:
    def op(x: ArrayLike, k: int = 0) -> jax.Array:
        return jfn(convert_to_tensor(x), k=k)

    return _finish(op, name, _TRIANGLE_DOC, part=part, side=side, output=output)


tril = symbolic_op(
    _triangle("tril", jnp.tril, "lower", "above", "Array([[1, 0],\n       [3, 4]], dtype=int32)")
)
triu = symbolic_op(
    _triangle("triu", jnp.triu, "upper", "below", "Array([[1, 2],\n       [0, 4]], dtype=int32)")
)


@symbolic_op
def diag(x: ArrayLike, k: int = 0) -> jax.Array:
    """The ``k``-th diagonal of a 2-D ``x``, or a 2-D tensor with 1-D ``x`` on that diagonal.

    Args:
        x: A 1-D or 2-D tensor.
        k: Diagonal offset: 0 is the main diagonal, positive values are above it.

    Returns:
        The diagonal (1-D) or the diagonal matrix (2-D).

    >>> ops.diag([1, 2])
    Array([[1, 0],
           [0, 2]], dtype=int32)
    """
    return jnp.diag(convert_to_tensor(x), k=k)


@symbolic_op
def diagflat(x: ArrayLike, k: int = 0) -> jax.Array:
    """A 2-D tensor with the flattened ``x`` on its ``k``-th diagonal.

    Args:
        x: Values for the diagonal (flattened).
        k: Diagonal offset: 0 is the main diagonal, positive values are above it.

    Returns:
        A 2-D tensor.

    >>> ops.diagflat([[1, 2]])
    Array([[1, 0],
           [0, 2]], dtype=int32)
    """
    return jnp.diagflat(convert_to_tensor(x), k=k)


@symbolic_op
def diagonal(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """The diagonal of the 2-D slices of ``x`` in the plane ``(axis1, axis2)``.

    Args:
        x: Tensor with at least 2 dimensions.
        offset: Diagonal offset from the main diagonal.
        axis1: First axis of the 2-D planes.
        axis2: Second axis of the 2-D planes.

    Returns:
        The diagonals, with ``axis1`` and ``axis2`` replaced by a last axis.

    Raises:
        ValueError: If ``axis1`` and ``axis2`` name the same axis.

    >>> ops.diagonal([[1, 2], [3, 4]])
    Array([1, 4], dtype=int32)
    """
    x = convert_to_tensor(x)
    if axis1 % max(x.ndim, 1) == axis2 % max(x.ndim, 1):
        raise ValueError(
            f"`axis1` and `axis2` cannot be the same. Received: axis1={axis1}, axis2={axis2}"
        )
    return jnp.diagonal(x, offset=offset, axis1=axis1, axis2=axis2)


@symbolic_op
def trace(x: ArrayLike, offset: int = 0, axis1: int = 0, axis2: int = 1) -> jax.Array:
    """Sum of the diagonal of the 2-D slices of ``x`` in the plane ``(axis1, axis2)``.

    Args:
        x: Tensor with at least 2 dimensions.
        offset: Diagonal offset from the main diagonal.
        axis1: First axis of the 2-D planes.
        axis2: Second axis of the 2-D planes.

    Returns:
        The sums, with ``axis1`` and ``axis2`` removed.

    >>> ops.trace([[1, 2], [3, 4]])
    Array(5, dtype=int32)
    """
    return jnp.trace(convert_to_tensor(x), offset=offset, axis1=axis1, axis2=axis2)


@symbolic_op
def unravel_index(indices: Any, shape: Sequence[int]) -> tuple[jax.Array, ...]:
    """Convert flat indices into a tuple of coordinate tensors for ``shape``.

    Args:
        indices: Int tensor of flat indices.
        shape: The shape the flat indices refer to.

    Returns:
        A tuple of int tensors, one per dimension of ``shape``.

    >>> [int(i) for i in ops.unravel_index(5, (2, 3))]
    [1, 2]
    """
    return tuple(jnp.unravel_index(convert_to_tensor(indices), tuple(shape)))


@symbolic_op
def nonzero(x: ArrayLike) -> tuple[jax.Array, ...]:
    """The indices of the non-zero elements, one tensor per axis (not traceable).

    >>> ops.nonzero([0, 3, 0, 4])
    (Array([1, 3], dtype=int32),)
    """
    return jnp.nonzero(convert_to_tensor(x))


@symbolic_op
def isin(
    x1: ArrayLike, x2: ArrayLike, assume_unique: bool = False, invert: bool = False
) -> jax.Array:
    """Whether each element of ``x1`` occurs in ``x2`` (negated with ``invert=True``).

    Args:
        x1: Values to look up.
        x2: Values to look in.
        assume_unique: Whether both inputs hold unique values (a speed hint).
        invert: Whether to return the negation.

    Returns:
        A bool tensor shaped like ``x1``.

    >>> ops.isin([1, 2, 3], [2, 3])
    Array([False,  True,  True], dtype=bool)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return jnp.isin(x1, x2, assume_unique=assume_unique, invert=invert)


@symbolic_op
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> jax.Array:
    """Indices at which ``values`` would be inserted to keep a 1-D ``sorted_sequence`` sorted.

    Args:
        sorted_sequence: A sorted 1-D tensor.
        values: The values to place.
        side: ``"left"`` (first suitable index) or ``"right"`` (last).

    Returns:
        An int tensor shaped like ``values``.

    Raises:
        ValueError: If ``sorted_sequence`` is not 1-D.

    >>> ops.searchsorted([1, 3, 5], [2, 5])
    Array([1, 2], dtype=int32)
    """
    sorted_sequence = convert_to_tensor(sorted_sequence)
    if sorted_sequence.ndim != 1:
        raise ValueError(
            "`searchsorted` only supports 1-D sorted sequences; use `ops.vectorized_map` "
            f"for N-D ones. Received: sorted_sequence.shape={sorted_sequence.shape}"
        )
    return jnp.searchsorted(sorted_sequence, convert_to_tensor(values), side=side)


@symbolic_op
def digitize(x: ArrayLike, bins: Any) -> jax.Array:
    """The index of the bin (edges ``bins``, increasing) each element of ``x`` falls in.

    Args:
        x: Input tensor.
        bins: 1-D tensor of increasing bin edges.

    Returns:
        An int tensor of bin indices, shaped like ``x``.

    >>> ops.digitize([0.5, 1.5, 3.0], [1.0, 2.0])
    Array([0, 1, 2], dtype=int32)
    """
    return jnp.digitize(convert_to_tensor(x), convert_to_tensor(bins))


@symbolic_op
def bincount(
    x: ArrayLike, weights: Any = None, minlength: int = 0, sparse: bool = False
) -> jax.Array:
    """Count occurrences of each non-negative int in ``x`` (rows counted separately for 2-D).

    Args:
        x: 1-D or 2-D non-negative int tensor.
        weights: Optional weights, shaped like ``x``, summed instead of counts.
        minlength: Minimum number of bins.
        sparse: Must be false: only dense results are supported.

    Returns:
        The counts: shape ``(bins,)``, or ``(rows, bins)`` for 2-D ``x``. The output
        size depends on the values, so this op is not traceable.

    Raises:
        ValueError: If ``sparse=True``.

    >>> ops.bincount([0, 1, 1, 3])
    Array([1, 2, 0, 1], dtype=int32)
    """
    if sparse:
        raise ValueError("`sparse=True` is not supported by heft: only dense counts are returned.")
    x = convert_to_tensor(x)
    weights = None if weights is None else convert_to_tensor(weights)
    if x.ndim == 2:
        length = max(int(minlength), int(jnp.max(x)) + 1 if x.size else 0)
        rows = [
            jnp.bincount(x[i], None if weights is None else weights[i], length=length)
            for i in range(x.shape[0])
        ]
        return jnp.stack(rows)
    return jnp.bincount(x, weights, minlength=minlength)


def _segment(
    reduce: Any, data: Any, segment_ids: Any, num_segments: Any, is_sorted: bool
) -> jax.Array:
    data, segment_ids = convert_to_tensor(data), convert_to_tensor(segment_ids)
    if segment_ids.ndim != 1:
        raise ValueError(
            f"Argument `segment_ids` must be a 1-D tensor. Received: segment_ids.shape="
            f"{segment_ids.shape}. Flatten it with `ops.reshape(segment_ids, (-1,))` and "
            "reshape `data` to match, or vectorize with `ops.vectorized_map`."
        )
    if data.ndim == 0 or data.shape[0] != segment_ids.shape[0]:
        raise ValueError(
            "Arguments `segment_ids` and `data` must have the same leading dimension. "
            f"Received: segment_ids.shape={segment_ids.shape}, data.shape={data.shape}"
        )
    num_segments = unwrap(num_segments)
    if num_segments is None:
        raise ValueError(
            "Argument `num_segments` must be set: JAX needs the number of segments to "
            "know the output shape. Received: num_segments=None"
        )
    return reduce(data, segment_ids, int(num_segments), indices_are_sorted=is_sorted)


_SEGMENT_DOC = """{summary}

Args:
    data: Input tensor; rows are grouped by ``segment_ids``.
    segment_ids: 1-D int tensor of segment ids, one per row of ``data``.
    num_segments: Number of segments (required with JAX).
    sorted: Whether ``segment_ids`` is sorted (a speed hint).

Returns:
    A tensor of shape ``(num_segments,) + data.shape[1:]``.

Raises:
    ValueError: If ``num_segments`` is ``None``, ``segment_ids`` is not 1-D, or
        its length differs from ``data``'s leading dimension.

>>> ops.{name}({example}, num_segments=2)
{output}
"""


def _segment_op(name: str, reduce: Callable, summary: str, example: str, output: str) -> Callable:
    def op(
        data: Any, segment_ids: Any, num_segments: int | None = None, sorted: bool = False
    ) -> jax.Array:
        return _segment(reduce, data, segment_ids, num_segments, sorted)

    return _finish(op, name, _SEGMENT_DOC, summary=summary, example=example, output=output)


# fmt: off
segment_sum = symbolic_op(_segment_op("segment_sum", jax.ops.segment_sum, "Sum of ``data`` rows per segment id.", "[1, 2, 3], [0, 0, 1]", "Array([3, 3], dtype=int32)"))
segment_max = symbolic_op(_segment_op("segment_max", jax.ops.segment_max, "Maximum of ``data`` rows per segment id.", "[1, 5, 3], [0, 0, 1]", "Array([5, 3], dtype=int32)"))
segment_min = symbolic_op(_segment_op("segment_min", jax.ops.segment_min, "Minimum of ``data`` rows per segment id.", "[1, 5, 3], [0, 0, 1]", "Array([1, 3], dtype=int32)"))
segment_prod = symbolic_op(_segment_op("segment_prod", jax.ops.segment_prod, "Product of ``data`` rows per segment id.", "[2, 5, 3], [0, 0, 1]", "Array([10,  3], dtype=int32)"))
# fmt: on
