"""Tensor creation: arange, array, zeros, ones, full, the *_like variants, eye, identity, tri."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._core import convert_to_tensor, jax_dtype, unwrap
from ._dispatch import symbolic_op

Shape = int | Sequence[int]


def _default(dtype: DTypeLike) -> Any:
    return jax_dtype(_config.floatx() if dtype is None else dtype)


def _scalar_dtype(value: Any) -> Any:
    """The dtype a scalar argument contributes: its own, int32 for ints, floatx for floats."""
    value = unwrap(value)
    if hasattr(value, "dtype"):
        return value.dtype
    if isinstance(value, bool):
        return jnp.bool_
    if isinstance(value, int):
        return jnp.int32
    return jax_dtype(_config.floatx())


@symbolic_op
def arange(start: Any, stop: Any = None, step: Any = None, dtype: DTypeLike = None) -> jax.Array:
    """Evenly spaced values in ``[start, stop)`` with spacing ``step``.

    With only ``start`` given, the range is ``[0, start)``. The dtype is inferred
    from the arguments (ints give int32, floats give ``floatx()``) unless given.

    Args:
        start: Start of the range, or its end when ``stop`` is ``None``.
        stop: End of the range (exclusive).
        step: Spacing between values (default 1).
        dtype: The dtype of the result.

    Returns:
        A 1-D tensor.

    >>> ops.arange(1, 7, 2)
    Array([1, 3, 5], dtype=int32)
    """
    if dtype is None:
        given = [v for v in (start, stop, step) if v is not None]
        dtype = jnp.result_type(*[_scalar_dtype(v) for v in given])
    return jnp.arange(unwrap(start), unwrap(stop), unwrap(step), dtype=jax_dtype(dtype))


@symbolic_op
def array(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """A new tensor holding ``x``.

    Args:
        x: Array-like value (nested lists, numpy array, tensor or Variable).
        dtype: The dtype of the result; ``None`` infers it.

    Returns:
        A new tensor.

    >>> ops.array([[1, 2], [3, 4]], dtype="float32")
    Array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    return jnp.array(unwrap(x), dtype=jax_dtype(dtype))


@symbolic_op
def zeros(shape: Shape, dtype: DTypeLike = None) -> jax.Array:
    """A tensor of zeros (dtype ``floatx()`` unless given).

    Args:
        shape: The shape of the result, an int or a sequence of ints.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of zeros.

    >>> ops.zeros((2,))
    Array([0., 0.], dtype=float32)
    """
    return jnp.zeros(shape, dtype=_default(dtype))


@symbolic_op
def ones(shape: Shape, dtype: DTypeLike = None) -> jax.Array:
    """A tensor of ones (dtype ``floatx()`` unless given).

    Args:
        shape: The shape of the result, an int or a sequence of ints.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of ones.

    >>> ops.ones((2,), dtype="int32")
    Array([1, 1], dtype=int32)
    """
    return jnp.ones(shape, dtype=_default(dtype))


@symbolic_op
def empty(shape: Shape, dtype: DTypeLike = None) -> jax.Array:
    """A tensor of the given shape (JAX fills it with zeros).

    Args:
        shape: The shape of the result, an int or a sequence of ints.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of ``shape``.

    >>> ops.empty((2,)).shape
    (2,)
    """
    return jnp.empty(shape, dtype=_default(dtype))


@symbolic_op
def full(shape: Shape, fill_value: Any, dtype: DTypeLike = None) -> jax.Array:
    """A tensor filled with ``fill_value`` (dtype ``floatx()`` unless given).

    Args:
        shape: The shape of the result, an int or a sequence of ints.
        fill_value: The value to fill with.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of ``shape`` filled with ``fill_value``.

    >>> ops.full((2,), 7)
    Array([7., 7.], dtype=float32)
    """
    return jnp.full(shape, convert_to_tensor(fill_value), dtype=_default(dtype))


@symbolic_op
def zeros_like(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """Zeros with the shape (and dtype, unless given) of ``x``.

    Args:
        x: Tensor whose shape (and dtype) to use.
        dtype: The dtype; ``x``'s dtype by default.

    Returns:
        A tensor of zeros shaped like ``x``.

    >>> ops.zeros_like([1, 2])
    Array([0, 0], dtype=int32)
    """
    return jnp.zeros_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


@symbolic_op
def ones_like(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """Ones with the shape (and dtype, unless given) of ``x``.

    Args:
        x: Tensor whose shape (and dtype) to use.
        dtype: The dtype; ``x``'s dtype by default.

    Returns:
        A tensor of ones shaped like ``x``.

    >>> ops.ones_like([1.0, 2.0])
    Array([1., 1.], dtype=float32)
    """
    return jnp.ones_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


@symbolic_op
def empty_like(x: ArrayLike, dtype: DTypeLike = None) -> jax.Array:
    """A tensor with the shape (and dtype, unless given) of ``x`` (filled with zeros).

    Args:
        x: Tensor whose shape (and dtype) to use.
        dtype: The dtype; ``x``'s dtype by default.

    Returns:
        A tensor shaped like ``x``.

    >>> ops.empty_like([1, 2]).shape
    (2,)
    """
    return jnp.empty_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


@symbolic_op
def full_like(x: ArrayLike, fill_value: Any, dtype: DTypeLike = None) -> jax.Array:
    """``fill_value`` with the shape (and dtype, unless given) of ``x``.

    Args:
        x: Tensor whose shape (and dtype) to use.
        fill_value: The value to fill with.
        dtype: The dtype; ``x``'s dtype by default.

    Returns:
        A tensor shaped like ``x`` filled with ``fill_value``.

    >>> ops.full_like([1, 2], 5)
    Array([5, 5], dtype=int32)
    """
    return jnp.full_like(
        convert_to_tensor(x), convert_to_tensor(fill_value), dtype=jax_dtype(dtype)
    )


def _is_float(value: Any) -> bool:
    value = unwrap(value)
    if isinstance(value, float):
        return True
    return hasattr(value, "dtype") and jnp.issubdtype(value.dtype, jnp.floating)


@symbolic_op
def eye(N: Any, M: Any = None, k: int = 0, dtype: DTypeLike = None) -> jax.Array:
    """A 2-D tensor with ones on the ``k``-th diagonal and zeros elsewhere.

    Args:
        N: Number of rows (an int).
        M: Number of columns; defaults to ``N``.
        k: Diagonal offset (positive: above the main diagonal).
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of shape ``(N, M)``.

    Raises:
        TypeError: If ``N`` or ``M`` is a float.

    >>> ops.eye(2)
    Array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    if _is_float(N):
        raise TypeError(f"Argument `N` must be an integer or an integer tensor. Received: N={N}")
    if _is_float(M):
        raise TypeError(
            f"Argument `M` must be an integer, an integer tensor, or `None`. Received: M={M}"
        )
    return jnp.eye(unwrap(N), unwrap(M), k=k, dtype=_default(dtype))


@symbolic_op
def identity(n: int, dtype: DTypeLike = None) -> jax.Array:
    """The ``n x n`` identity matrix (dtype ``floatx()`` unless given).

    Args:
        n: Number of rows and columns.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of shape ``(n, n)``.

    >>> ops.identity(2, dtype="int32")
    Array([[1, 0],
           [0, 1]], dtype=int32)
    """
    return jnp.identity(n, dtype=_default(dtype))


@symbolic_op
def tri(N: int, M: int | None = None, k: int = 0, dtype: DTypeLike = None) -> jax.Array:
    """A matrix with ones at and below the ``k``-th diagonal and zeros above.

    Args:
        N: Number of rows.
        M: Number of columns; defaults to ``N``.
        k: Diagonal offset: 0 is the main diagonal, positive values are above it.
        dtype: The dtype; ``floatx()`` by default.

    Returns:
        A tensor of shape ``(N, M)``.

    >>> ops.tri(2)
    Array([[1., 0.],
           [1., 1.]], dtype=float32)
    """
    return jnp.tri(N, M=M, k=k, dtype=_default(dtype))
