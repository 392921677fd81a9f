"""Tensor creation: arange, array, zeros, ones, full, eye, linspace, meshgrid, ..."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from ._core import convert_to_tensor, jax_dtype, unwrap

Shape = int | Sequence[int]


def _default(dtype: Any) -> Any:
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


def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> jax.Array:
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


def array(x: Any, dtype: Any = None) -> jax.Array:
    """A new tensor holding ``x``.

    >>> ops.array([[1, 2], [3, 4]], dtype="float32")
    Array([[1., 2.],
           [3., 4.]], dtype=float32)
    """
    return jnp.array(unwrap(x), dtype=jax_dtype(dtype))


def zeros(shape: Shape, dtype: Any = None) -> jax.Array:
    """A tensor of zeros (dtype ``floatx()`` unless given).

    >>> ops.zeros((2,))
    Array([0., 0.], dtype=float32)
    """
    return jnp.zeros(shape, dtype=_default(dtype))


def ones(shape: Shape, dtype: Any = None) -> jax.Array:
    """A tensor of ones (dtype ``floatx()`` unless given).

    >>> ops.ones((2,), dtype="int32")
    Array([1, 1], dtype=int32)
    """
    return jnp.ones(shape, dtype=_default(dtype))


def empty(shape: Shape, dtype: Any = None) -> jax.Array:
    """A tensor of the given shape (JAX fills it with zeros).

    >>> ops.empty((2,)).shape
    (2,)
    """
    return jnp.empty(shape, dtype=_default(dtype))


def full(shape: Shape, fill_value: Any, dtype: Any = None) -> jax.Array:
    """A tensor filled with ``fill_value`` (dtype ``floatx()`` unless given).

    >>> ops.full((2,), 7)
    Array([7., 7.], dtype=float32)
    """
    return jnp.full(shape, convert_to_tensor(fill_value), dtype=_default(dtype))


def zeros_like(x: Any, dtype: Any = None) -> jax.Array:
    """Zeros with the shape (and dtype, unless given) of ``x``.

    >>> ops.zeros_like([1, 2])
    Array([0, 0], dtype=int32)
    """
    return jnp.zeros_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


def ones_like(x: Any, dtype: Any = None) -> jax.Array:
    """Ones with the shape (and dtype, unless given) of ``x``.

    >>> ops.ones_like([1.0, 2.0])
    Array([1., 1.], dtype=float32)
    """
    return jnp.ones_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


def empty_like(x: Any, dtype: Any = None) -> jax.Array:
    """A tensor with the shape (and dtype, unless given) of ``x`` (filled with zeros).

    >>> ops.empty_like([1, 2]).shape
    (2,)
    """
    return jnp.empty_like(convert_to_tensor(x), dtype=jax_dtype(dtype))


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> jax.Array:
    """``fill_value`` with the shape (and dtype, unless given) of ``x``.

    >>> ops.full_like([1, 2], 5)
    Array([5, 5], dtype=int32)
    """
    return jnp.full_like(convert_to_tensor(x), convert_to_tensor(fill_value), dtype=jax_dtype(dtype))


def _is_float(value: Any) -> bool:
    value = unwrap(value)
    if isinstance(value, float):
        return True
    return hasattr(value, "dtype") and jnp.issubdtype(value.dtype, jnp.floating)


def eye(N: Any, M: Any = None, k: int = 0, dtype: Any = None) -> jax.Array:  # noqa: N803
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


def identity(n: int, dtype: Any = None) -> jax.Array:
    """The ``n x n`` identity matrix (dtype ``floatx()`` unless given).

    >>> ops.identity(2, dtype="int32")
    Array([[1, 0],
           [0, 1]], dtype=int32)
    """
    return jnp.identity(n, dtype=_default(dtype))


def tri(N: int, M: int | None = None, k: int = 0, dtype: Any = None) -> jax.Array:  # noqa: N803
    """A matrix with ones at and below the ``k``-th diagonal and zeros above.

    >>> ops.tri(2)
    Array([[1., 0.],
           [1., 1.]], dtype=float32)
    """
    return jnp.tri(N, M=M, k=k, dtype=_default(dtype))


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``.

    Args:
        start: First value (scalar or tensor).
        stop: Last value (scalar or tensor).
        num: Number of values.
        endpoint: Whether ``stop`` is included.
        retstep: Whether to also return the spacing.
        dtype: The dtype of the result.
        axis: Where the new axis goes when ``start``/``stop`` are tensors.

    Returns:
        The values, or ``(values, step)`` when ``retstep`` is true.

    >>> ops.linspace(0.0, 1.0, 5)
    Array([0.  , 0.25, 0.5 , 0.75, 1.  ], dtype=float32)
    """
    return jnp.linspace(
        unwrap(start), unwrap(stop), num=num, endpoint=endpoint, retstep=retstep,
        dtype=jax_dtype(dtype), axis=axis,
    )


def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: Any = None,
    axis: int = 0,
) -> jax.Array:
    """``num`` values spaced evenly on a log scale, from ``base**start`` to ``base**stop``.

    >>> ops.logspace(0.0, 2.0, 3)
    Array([  1.,  10., 100.], dtype=float32)
    """
    return jnp.logspace(
        unwrap(start), unwrap(stop), num=num, endpoint=endpoint, base=base,
        dtype=jax_dtype(dtype), axis=axis,
    )


def geomspace(
    start: Any, stop: Any, num: int = 50, endpoint: bool = True, dtype: Any = None, axis: int = 0
) -> jax.Array:
    """``num`` values in geometric progression from ``start`` to ``stop``.

    >>> ops.geomspace(1.0, 100.0, 3)
    Array([  1.,  10., 100.], dtype=float32)
    """
    return jnp.geomspace(
        unwrap(start), unwrap(stop), num=num, endpoint=endpoint, dtype=jax_dtype(dtype), axis=axis
    )


def meshgrid(*x: Any, indexing: str = "xy") -> list[jax.Array]:
    """Coordinate grids from 1-D coordinate tensors.

    Args:
        *x: 1-D tensors of coordinates.
        indexing: ``"xy"`` (Cartesian) or ``"ij"`` (matrix) indexing.

    Returns:
        A list of N-D grids, one per input.

    Raises:
        ValueError: If ``indexing`` is not ``"xy"`` or ``"ij"``.

    >>> [g.tolist() for g in ops.meshgrid([1, 2], [3, 4], indexing="ij")]
    [[[1, 1], [2, 2]], [[3, 4], [3, 4]]]
    """
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: indexing={indexing!r}")
    return list(jnp.meshgrid(*[convert_to_tensor(v) for v in x], indexing=indexing))


def bartlett(x: int) -> jax.Array:
    """The Bartlett (triangular) window of ``x`` points, in ``floatx()``.

    >>> ops.bartlett(3)
    Array([0., 1., 0.], dtype=float32)
    """
    return jnp.bartlett(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


def blackman(x: int) -> jax.Array:
    """The Blackman window of ``x`` points, in ``floatx()``.

    >>> ops.blackman(3).round(3)
    Array([-0.,  1., -0.], dtype=float32)
    """
    return jnp.blackman(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


def hamming(x: int) -> jax.Array:
    """The Hamming window of ``x`` points, in ``floatx()``.

    >>> ops.hamming(3).round(2)
    Array([0.08, 1.  , 0.08], dtype=float32)
    """
    return jnp.hamming(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


def hanning(x: int) -> jax.Array:
    """The Hann window of ``x`` points, in ``floatx()``.

    >>> ops.hanning(3)
    Array([0., 1., 0.], dtype=float32)
    """
    return jnp.hanning(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


def kaiser(x: int, beta: float) -> jax.Array:
    """The Kaiser window of ``x`` points with shape parameter ``beta``, in ``floatx()``.

    >>> ops.kaiser(3, 0.0)
    Array([1., 1., 1.], dtype=float32)
    """
    return jnp.kaiser(int(unwrap(x)), unwrap(beta)).astype(jax_dtype(_config.floatx()))
