"""Reductions and scans over axes: sum, mean, var, max, argmax, cumsum, quantile, nan*, ..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from ._core import convert_to_tensor, jax_dtype, unwrap
from ._elementwise import _finish

Axis = int | tuple[int, ...] | list[int] | None

_REDUCE_DOC = """{summary}

Args:
    x: Input tensor.
    axis: Axis or axes to reduce; ``None`` reduces all of them.
    keepdims: Whether to keep reduced axes with size 1.

Returns:
    {returns}

>>> ops.{name}({example})
{output}
"""


def axes(axis: Axis) -> int | tuple[int, ...] | None:
    """``axis`` in the form jax.numpy accepts (lists become tuples)."""
    axis = unwrap(axis)
    if isinstance(axis, list):
        return tuple(int(a) for a in axis)
    return axis


def _reduce(
    name: str, jfn: Callable, summary: str, example: str, output: str, returns: str = "The reduced tensor."
) -> Callable:
    def op(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
        return jfn(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)

    return _finish(op, name, _REDUCE_DOC, summary=summary, example=example, output=output, returns=returns)


_IDX = "An int32 tensor of indices."
amax = _reduce("amax", jnp.max, "Maximum along ``axis``.", "[[1, 5], [3, 2]], axis=0", "Array([3, 5], dtype=int32)")
amin = _reduce("amin", jnp.min, "Minimum along ``axis``.", "[[1, 5], [3, 2]], axis=0", "Array([1, 2], dtype=int32)")
all = _reduce("all", jnp.all, "Whether all elements along ``axis`` are true.", "[[True, False], [True, True]], axis=1", "Array([False,  True], dtype=bool)")  # noqa: A001
any = _reduce("any", jnp.any, "Whether any element along ``axis`` is true.", "[[True, False], [False, False]], axis=1", "Array([ True, False], dtype=bool)")  # noqa: A001
ptp = _reduce("ptp", jnp.ptp, "Range (max - min) along ``axis``.", "[[1, 5], [3, 2]], axis=1", "Array([4, 1], dtype=int32)")
argmax = _reduce("argmax", jnp.argmax, "Index of the maximum along ``axis`` (of the flat tensor if ``None``).", "[[1, 5], [3, 2]], axis=1", "Array([1, 0], dtype=int32)", returns=_IDX)
argmin = _reduce("argmin", jnp.argmin, "Index of the minimum along ``axis`` (of the flat tensor if ``None``).", "[[1, 5], [3, 2]], axis=1", "Array([0, 1], dtype=int32)", returns=_IDX)
nanmax = _reduce("nanmax", jnp.nanmax, "Maximum along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(3., dtype=float32)")
nanmin = _reduce("nanmin", jnp.nanmin, "Minimum along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nansum = _reduce("nansum", jnp.nansum, "Sum along ``axis``, treating NaN as 0.", "[1.0, float('nan'), 3.0]", "Array(4., dtype=float32)")
nanprod = _reduce("nanprod", jnp.nanprod, "Product along ``axis``, treating NaN as 1.", "[2.0, float('nan'), 3.0]", "Array(6., dtype=float32)")
nanmean = _reduce("nanmean", jnp.nanmean, "Mean along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(2., dtype=float32)")
nanvar = _reduce("nanvar", jnp.nanvar, "Variance along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nanstd = _reduce("nanstd", jnp.nanstd, "Standard deviation along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)")
nanmedian = _reduce("nanmedian", jnp.nanmedian, "Median along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0, 4.0]", "Array(3., dtype=float32)")
nanargmax = _reduce("nanargmax", jnp.nanargmax, "Index of the maximum along ``axis``, ignoring NaN.", "[float('nan'), 3.0, 1.0]", "Array(1, dtype=int32)", returns=_IDX)
nanargmin = _reduce("nanargmin", jnp.nanargmin, "Index of the minimum along ``axis``, ignoring NaN.", "[float('nan'), 3.0, 1.0]", "Array(2, dtype=int32)", returns=_IDX)
logsumexp = _reduce("logsumexp", jss.logsumexp, "``log(sum(exp(x)))`` along ``axis``, computed stably.", "[0.0, 0.0]", "Array(0.6931472, dtype=float32)")


def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:  # noqa: A001
    """Sum of the elements along ``axis`` (bools count as ints).

    Args:
        x: Input tensor.
        axis: Axis or axes to sum; ``None`` sums everything.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The sum.

    >>> ops.sum([[1, 2], [3, 4]], axis=0)
    Array([4, 6], dtype=int32)
    """
    return jnp.sum(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)


def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
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


def var(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Variance (mean squared deviation) along ``axis``; ints give float32.

    >>> ops.var([1.0, 2.0, 3.0, 4.0])
    Array(1.25, dtype=float32)
    """
    x = convert_to_tensor(x)
    result = x.dtype if jnp.issubdtype(x.dtype, jnp.inexact) else jnp.float32
    out = jnp.var(x, axis=axes(axis), keepdims=keepdims, dtype=_compute_dtype(x))
    return out.astype(result)


def std(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Standard deviation along ``axis``; ints give floats.

    >>> ops.std([1.0, 3.0])
    Array(1., dtype=float32)
    """
    return jnp.std(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)


def _compute_dtype(x: jax.Array) -> Any:
    """float64 for float64 inputs, else float32: statistics never run in half precision."""
    return x.dtype if x.dtype == jnp.float64 else jnp.float32


def max(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> jax.Array:  # noqa: A001
    """Maximum along ``axis``; ``initial`` is a lower bound included in the reduction.

    >>> ops.max([[1, 5], [3, 2]], axis=1)
    Array([5, 3], dtype=int32)
    """
    return jnp.max(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims, initial=unwrap(initial))


def min(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> jax.Array:  # noqa: A001
    """Minimum along ``axis``; ``initial`` is an upper bound included in the reduction.

    >>> ops.min([[1, 5], [3, 2]], axis=1)
    Array([1, 2], dtype=int32)
    """
    return jnp.min(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims, initial=unwrap(initial))


def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> jax.Array:
    """Product of the elements along ``axis``, accumulated in ``dtype`` if given.

    >>> ops.prod([[1, 2], [3, 4]], axis=1)
    Array([ 2, 12], dtype=int32)
    """
    x = convert_to_tensor(x)
    return jnp.prod(x, axis=axes(axis), keepdims=keepdims, dtype=jax_dtype(dtype))


def cumsum(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative sum along ``axis`` (of the flattened tensor if ``None``).

    >>> ops.cumsum([1, 2, 3])
    Array([1, 3, 6], dtype=int32)
    """
    return jnp.cumsum(convert_to_tensor(x), axis=axis, dtype=jax_dtype(dtype))


def cumprod(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative product along ``axis`` (of the flattened tensor if ``None``).

    >>> ops.cumprod([1, 2, 3])
    Array([1, 2, 6], dtype=int32)
    """
    return jnp.cumprod(convert_to_tensor(x), axis=axis, dtype=jax_dtype(dtype))


def nancumsum(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative sum along ``axis``, treating NaN as 0.

    >>> ops.nancumsum([1.0, float("nan"), 3.0])
    Array([1., 1., 4.], dtype=float32)
    """
    return jnp.nancumsum(convert_to_tensor(x), axis=axis, dtype=jax_dtype(dtype))


def nancumprod(x: Any, axis: int | None = None, dtype: Any = None) -> jax.Array:
    """Cumulative product along ``axis``, treating NaN as 1.

    >>> ops.nancumprod([2.0, float("nan"), 3.0])
    Array([2., 2., 6.], dtype=float32)
    """
    return jnp.nancumprod(convert_to_tensor(x), axis=axis, dtype=jax_dtype(dtype))


def count_nonzero(x: Any, axis: Axis = None) -> jax.Array:
    """Number of non-zero elements along ``axis``, as int32.

    >>> ops.count_nonzero([[0, 1], [2, 3]], axis=1)
    Array([1, 2], dtype=int32)
    """
    return jnp.count_nonzero(convert_to_tensor(x), axis=axes(axis)).astype(jnp.int32)


def average(x: Any, axis: int | None = None, weights: Any = None) -> jax.Array:
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


def median(x: Any, axis: Axis = None, keepdims: bool = False) -> jax.Array:
    """Median along ``axis``.

    >>> ops.median([3.0, 1.0, 4.0, 2.0])
    Array(2.5, dtype=float32)
    """
    return jnp.median(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)


def quantile(
    x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> jax.Array:
    """The ``q``-th quantile (``q`` in ``[0, 1]``) along ``axis``.

    Args:
        x: Input tensor.
        q: Quantile or tensor of quantiles, between 0 and 1.
        axis: Axis or axes; ``None`` uses the flattened tensor.
        method: ``"linear"``, ``"lower"``, ``"higher"``, ``"midpoint"`` or ``"nearest"``.
        keepdims: Whether to keep reduced axes with size 1.

    Returns:
        The quantiles (a leading axis is added when ``q`` is a tensor).

    >>> ops.quantile([1.0, 2.0, 3.0, 4.0], 0.5)
    Array(2.5, dtype=float32)
    """
    x, q = convert_to_tensor(x), convert_to_tensor(q)
    return jnp.quantile(x, q, axis=axes(axis), method=method, keepdims=keepdims)


def percentile(
    x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> jax.Array:
    """The ``q``-th percentile (``q`` in ``[0, 100]``) along ``axis`` (see ``quantile``).

    >>> ops.percentile([1.0, 2.0, 3.0, 4.0], 50)
    Array(2.5, dtype=float32)
    """
    x, q = convert_to_tensor(x), convert_to_tensor(q)
    return jnp.percentile(x, q, axis=axes(axis), method=method, keepdims=keepdims)


def nanquantile(
    x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> jax.Array:
    """The ``q``-th quantile along ``axis``, ignoring NaN (see ``quantile``).

    >>> ops.nanquantile([1.0, float("nan"), 3.0], 0.5)
    Array(2., dtype=float32)
    """
    x, q = convert_to_tensor(x), convert_to_tensor(q)
    return jnp.nanquantile(x, q, axis=axes(axis), method=method, keepdims=keepdims)


def nanpercentile(
    x: Any, q: Any, axis: Axis = None, method: str = "linear", keepdims: bool = False
) -> jax.Array:
    """The ``q``-th percentile along ``axis``, ignoring NaN (see ``percentile``).

    >>> ops.nanpercentile([1.0, float("nan"), 3.0], 50)
    Array(2., dtype=float32)
    """
    x, q = convert_to_tensor(x), convert_to_tensor(q)
    return jnp.nanpercentile(x, q, axis=axes(axis), method=method, keepdims=keepdims)


def trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1) -> jax.Array:
    """Integrate ``y`` along ``axis`` with the trapezoidal rule (sample points ``x`` or spacing ``dx``).

    >>> ops.trapezoid([1.0, 2.0, 3.0])
    Array(4., dtype=float32)
    """
    y = convert_to_tensor(y)
    x = None if x is None else convert_to_tensor(x)
    return jnp.trapezoid(y, x, dx=unwrap(dx), axis=axis)


def histogram(x: Any, bins: int = 10, range: tuple[float, float] | None = None) -> tuple[jax.Array, jax.Array]:  # noqa: A002
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
            raise ValueError(f"Argument `range` must be a tuple of two elements. Received: range={range}")
        if range[1] < range[0]:
            raise ValueError(
                f"The second element of `range` must not be less than the first. Received: range={range}"
            )
    x = convert_to_tensor(x)
    if x.ndim != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: x.shape={x.shape}")
    counts, edges = jnp.histogram(x, bins=bins, range=range)
    return counts, edges
