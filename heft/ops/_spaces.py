"""Evenly spaced values, coordinate grids and window functions: linspace, meshgrid, hamming, ..."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config
from .._typing import ArrayLike, DTypeLike
from ._core import convert_to_tensor, jax_dtype, unwrap
from ._dispatch import symbolic_op


def _endpoint(value: Any) -> Any:
    """A start/stop value: scalars stay Python scalars, sequences become tensors."""
    value = unwrap(value)
    return convert_to_tensor(value) if isinstance(value, list | tuple) else value


@symbolic_op
def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: DTypeLike = None,
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
        _endpoint(start),
        _endpoint(stop),
        num=num,
        endpoint=endpoint,
        retstep=retstep,
        dtype=jax_dtype(dtype),
        axis=axis,
    )


@symbolic_op
def logspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    base: float = 10,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> jax.Array:
    """``num`` values spaced evenly on a log scale, from ``base**start`` to ``base**stop``.

    Args:
        start: Exponent of the first value.
        stop: Exponent of the last value.
        num: Number of values.
        endpoint: Whether ``stop`` is included.
        base: The base of the exponents.
        dtype: The dtype of the result.
        axis: Where the new axis goes when ``start``/``stop`` are tensors.

    Returns:
        A 1-D tensor of ``num`` values (more axes when ``start``/``stop`` are tensors).

    >>> ops.logspace(0.0, 2.0, 3)
    Array([  1.,  10., 100.], dtype=float32)
    """
    return jnp.logspace(
        _endpoint(start),
        _endpoint(stop),
        num=num,
        endpoint=endpoint,
        base=base,
        dtype=jax_dtype(dtype),
        axis=axis,
    )


@symbolic_op
def geomspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    dtype: DTypeLike = None,
    axis: int = 0,
) -> jax.Array:
    """``num`` values in geometric progression from ``start`` to ``stop``.

    Args:
        start: First value (a scalar or a tensor).
        stop: Last value (a scalar or a tensor).
        num: Number of values.
        endpoint: Whether ``stop`` is included.
        dtype: The dtype of the result.
        axis: Where the new axis goes when ``start``/``stop`` are tensors.

    Returns:
        A 1-D tensor of ``num`` values (more axes when ``start``/``stop`` are tensors).

    >>> ops.geomspace(1.0, 100.0, 3)
    Array([  1.,  10., 100.], dtype=float32)
    """
    return jnp.geomspace(
        _endpoint(start),
        _endpoint(stop),
        num=num,
        endpoint=endpoint,
        dtype=jax_dtype(dtype),
        axis=axis,
    )


@symbolic_op
def meshgrid(*x: ArrayLike, indexing: str = "xy") -> list[jax.Array]:
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
        raise ValueError(
            f"Valid values for `indexing` are 'xy' and 'ij'. Received: indexing={indexing!r}"
        )
    return list(jnp.meshgrid(*[convert_to_tensor(v) for v in x], indexing=indexing))


@symbolic_op
def bartlett(x: int) -> jax.Array:
    """The Bartlett (triangular) window of ``x`` points, in ``floatx()``.

    >>> ops.bartlett(3)
    Array([0., 1., 0.], dtype=float32)
    """
    return jnp.bartlett(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


@symbolic_op
def blackman(x: int) -> jax.Array:
    """The Blackman window of ``x`` points, in ``floatx()``.

    >>> ops.blackman(3).round(3)
    Array([-0.,  1., -0.], dtype=float32)
    """
    return jnp.blackman(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


@symbolic_op
def hamming(x: int) -> jax.Array:
    """The Hamming window of ``x`` points, in ``floatx()``.

    >>> ops.hamming(3).round(2)
    Array([0.08, 1.  , 0.08], dtype=float32)
    """
    return jnp.hamming(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


@symbolic_op
def hanning(x: int) -> jax.Array:
    """The Hann window of ``x`` points, in ``floatx()``.

    >>> ops.hanning(3)
    Array([0., 1., 0.], dtype=float32)
    """
    return jnp.hanning(int(unwrap(x))).astype(jax_dtype(_config.floatx()))


@symbolic_op
def kaiser(x: int, beta: float) -> jax.Array:
    """The Kaiser window of ``x`` points with shape parameter ``beta``, in ``floatx()``.

    Args:
        x: Number of points.
        beta: Shape parameter: 0 gives a rectangular window, larger values narrow it.

    Returns:
        A 1-D tensor of ``x`` values.

    >>> ops.kaiser(3, 0.0)
    Array([1., 1., 1.], dtype=float32)
    """
    return jnp.kaiser(int(unwrap(x)), unwrap(beta)).astype(jax_dtype(_config.floatx()))
