"""Statistics: mean, var, std, average, median, quantiles, percentiles and histograms."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op
from ._elementwise import _finish
from ._reduction import Axis, axes


@symbolic_op
def mean(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Arithmetic mean along ``axis``; int and bool inputs give float32.

    Half-precision inputs are averaged in float32 and cast back, so large sums
    do not overflow.

    Args:
        x: Input tensor.
        axis: Axis or axes to average; ``None`` averages everything.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The mean.

    >>> ops.mean([1, 2, 3, 4])
    Array(2.5, dtype=float32)
    """
    x = convert_to_tensor(x)
    compute = _compute_dtype(x)
    result = x.dtype if jnp.issubdtype(x.dtype, jnp.inexact) else compute
    return jnp.mean(x, axis=axes(axis), keepdims=keepdims, dtype=compute).astype(result)


@symbolic_op
def var(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Variance (mean squared deviation) along ``axis``; ints give float32.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; ``None`` reduces all of them.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The variance (a float tensor).

    >>> ops.var([1.0, 2.0, 3.0, 4.0])
    Array(1.25, dtype=float32)
    """
    x = convert_to_tensor(x)
    result = x.dtype if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.float32
    out = jnp.var(x, axis=axes(axis), keepdims=keepdims, dtype=_compute_dtype(x))
    return out.astype(result)


@symbolic_op
def std(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Standard deviation along ``axis``; ints give floats.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; ``None`` reduces all of them.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The standard deviation (a float tensor).

    >>> ops.std([1.0, 3.0])
    Array(1., dtype=float32)
    """
    return jnp.std(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)


def _compute_dtype(x: jax.Array) -> Any:
    """At least float32 (complex and float64 inputs keep their dtype): never half precision."""
    if jnp.issubdtype(x.dtype, jnp.inexact):
        return jnp.promote_types(x.dtype, jnp.float32)
    return jnp.float32


@symbolic_op
def average(x: ArrayLike, axis: int | None = None, weights: Any = None) -> jax.Array:
    """Weighted mean along ``axis`` (the plain mean when ``weights`` is ``None``).

    Args:
        x: Input tensor.
        axis: Axis to average over; ``None`` averages everything.
        weights: Weights broadcastable along ``axis``, or ``None``.

    Returns:
        The weighted average, as a float tensor.

    >>> ops.average([1.0, 2.0, 3.0], weights=[3.0, 1.0, 0.0])
    Array(1.25, dtype=float32)
    """
    x = convert_to_tensor(x)
    dtypes = [x.dtype, jnp.float32 if not jnp.issubdtype(x.dtype, jnp.inexact) else x.dtype]
    if weights is not None:
        weights = convert_to_tensor(weights)
        dtypes.append(weights.dtype)
    common = jnp.result_type(*dtypes)
    weights = None if weights is None else weights.astype(common)
    return jnp.average(x.astype(common), axis=axis, weights=weights)


@symbolic_op
def median(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Median along ``axis``.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; ``None`` uses the flattened tensor.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The median.

    >>> ops.median([3.0, 1.0, 4.0, 2.0])
    Array(2.5, dtype=float32)
    """
    return jnp.median(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)


_QUANTILE_DOC = """{summary}

Args:
    x: Input tensor.
    q: {q}
    axis: Axis or axes; ``None`` uses the flattened tensor.
    method: Interpolation method: ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"`` or ``"nearest"``.
    keepdims: Whether to keep reduced axes with size 1.

Returns:
    {returns}

>>> ops.{name}({example})
{output}
"""


def _quantiles(
    name: str, jfn: Callable, q: str, summary: str, returns: str, example: str, output: str
) -> Callable:
    def op(
        x: ArrayLike, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False
    ) -> jax.Array:
        x, q = convert_to_tensor(x), convert_to_tensor(q)
        return jfn(x, q, axis=axes(axis), method=method, keepdims=keepdims)

    return _finish(
        op,
        name,
        _QUANTILE_DOC,
        q=q,
        summary=summary,
        returns=returns,
        example=example,
        output=output,
    )


_QUANTILE = "Quantile(s) between 0 and 1."
_PERCENTILE = "Percentile(s) between 0 and 100."
_WITH_AXIS = "(a leading axis is added when ``q`` is a tensor)"
# fmt: off
quantile = symbolic_op(_quantiles("quantile", jnp.quantile, _QUANTILE, "The ``q``-th quantile (``q`` in ``[0, 1]``) along ``axis``.", f"The quantiles {_WITH_AXIS}.", "[1.0, 2.0, 3.0, 4.0], 0.5", "Array(2.5, dtype=float32)"))
percentile = symbolic_op(_quantiles("percentile", jnp.percentile, _PERCENTILE, "The ``q``-th percentile (``q`` in ``[0, 100]``) along ``axis`` (see ``quantile``).", f"The percentiles {_WITH_AXIS}.", "[1.0, 2.0, 3.0, 4.0], 50", "Array(2.5, dtype=float32)"))
nanquantile = symbolic_op(_quantiles("nanquantile", jnp.nanquantile, _QUANTILE, "The ``q``-th quantile along ``axis``, ignoring NaN (see ``quantile``).", "The quantiles.", '[1.0, float("nan"), 3.0], 0.5', "Array(2., dtype=float32)"))
nanpercentile = symbolic_op(_quantiles("nanpercentile", jnp.nanpercentile, _PERCENTILE, "The ``q``-th percentile along ``axis``, ignoring NaN (see ``percentile``).", "The percentiles.", '[1.0, float("nan"), 3.0], 50', "Array(2., dtype=float32)"))
# fmt: on


@symbolic_op
def histogram(
    x: ArrayLike, bins: int = 10, range: tuple[float, float] | None = None
) -> tuple[jax.Array, jax.Array]:
    """Counts of the values of a 1-D ``x`` in ``bins`` equal-width bins.

    Args:
        x: 1-D input tensor.
        bins: Number of bins, a non-negative int.
        range: ``(lower, upper)`` limits of the bins; the data's min and max by default.

    Returns:
        ``(counts, bin_edges)``; counts are floats, as in Keras.

    Raises:
        TypeError: If ``bins`` is not an int.
        ValueError: If ``bins`` is negative, ``range`` is not an increasing pair, or
            ``x`` is not 1-D.

    >>> ops.histogram([0.0, 0.2, 0.9], bins=2)[0]
    Array([2., 1.], dtype=float32)
    """
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(f"Argument `bins` must be of type `int`. Received: bins={bins!r}")
    if bins < 0:
        raise ValueError(f"Argument `bins` must be a non-negative integer. Received: bins={bins}")
    if range is not None:
        if not isinstance(range, tuple) or len(range) != 2:
            raise ValueError(
                f"Argument `range` must be a tuple of two elements. Received: range={range}"
            )
        if range[1] < range[0]:
            raise ValueError(
                f"The second element of `range` must not be less than the first. Received: range={range}"
            )
    x = convert_to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: x.shape={x.shape}")
    counts, edges = jnp.histogram(x, bins=bins, range=range)
    return counts, edges
