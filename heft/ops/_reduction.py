"""Reductions and scans over axes: sum, max, min, prod, argmax, cumsum, logsumexp, nan*, ..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .._typing import ArrayLike, DTypeLike
from ._core import convert_to_tensor, jax_dtype, unwrap
from ._dispatch import symbolic_op
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


_ACCUMULATE_DOC = """{summary}

Args:
    x: Input tensor.
    axis: The axis to accumulate along; ``None`` flattens first.
    dtype: The accumulation dtype; ``None`` keeps ``x``'s.

Returns:
    A tensor of running {running}.

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
    name: str,
    jfn: Callable,
    summary: str,
    example: str,
    output: str,
    returns: str = "The reduced tensor.",
) -> Callable:
    def op(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
        return jfn(convert_to_tensor(x), axis=axes(axis), keepdims=keepdims)

    return _finish(
        op, name, _REDUCE_DOC, summary=summary, example=example, output=output, returns=returns
    )


def _accumulate(
    name: str, jfn: Callable, summary: str, running: str, example: str, output: str
) -> Callable:
    def op(x: ArrayLike, axis: int | None = None, dtype: DTypeLike = None) -> jax.Array:
        return jfn(convert_to_tensor(x), axis=axis, dtype=jax_dtype(dtype))

    return _finish(
        op, name, _ACCUMULATE_DOC, summary=summary, running=running, example=example, output=output
    )


_BOUNDED_DOC = """{what} along ``axis``; ``initial`` is a {bound} bound included in the reduction.

Args:
    x: Input tensor.
    axis: Axis or axes to reduce; ``None`` reduces all of them.
    keepdims: Whether to keep reduced axes with size 1.
    initial: Optional {bound} bound for the result (also used for empty inputs).

Returns:
    The {lower_what}.

>>> ops.{name}({example})
{output}
"""


def _bounded(
    name: str, jfn: Callable, what: str, bound: str, example: str, output: str
) -> Callable:
    def op(
        x: ArrayLike, axis: Axis = None, keepdims: bool = False, initial: Any = None
    ) -> jax.Array:
        return jfn(
            convert_to_tensor(x), axis=axes(axis), keepdims=keepdims, initial=unwrap(initial)
        )

    return _finish(
        op,
        name,
        _BOUNDED_DOC,
        what=what,
        lower_what=what.lower(),
        bound=bound,
        example=example,
        output=output,
    )


_IDX = "An int32 tensor of indices."
# fmt: off
amax = symbolic_op(_reduce("amax", jnp.max, "Maximum along ``axis``.", "[[1, 5], [3, 2]], axis=0", "Array([3, 5], dtype=int32)"))
amin = symbolic_op(_reduce("amin", jnp.min, "Minimum along ``axis``.", "[[1, 5], [3, 2]], axis=0", "Array([1, 2], dtype=int32)"))
all = symbolic_op(_reduce("all", jnp.all, "Whether all elements along ``axis`` are true.", "[[True, False], [True, True]], axis=1", "Array([False,  True], dtype=bool)"))
any = symbolic_op(_reduce("any", jnp.any, "Whether any element along ``axis`` is true.", "[[True, False], [False, False]], axis=1", "Array([ True, False], dtype=bool)"))
ptp = symbolic_op(_reduce("ptp", jnp.ptp, "Range (max - min) along ``axis``.", "[[1, 5], [3, 2]], axis=1", "Array([4, 1], dtype=int32)"))
argmax = symbolic_op(_reduce("argmax", jnp.argmax, "Index of the maximum along ``axis`` (of the flat tensor if ``None``).", "[[1, 5], [3, 2]], axis=1", "Array([1, 0], dtype=int32)", returns=_IDX))
argmin = symbolic_op(_reduce("argmin", jnp.argmin, "Index of the minimum along ``axis`` (of the flat tensor if ``None``).", "[[1, 5], [3, 2]], axis=1", "Array([0, 1], dtype=int32)", returns=_IDX))
nanmax = symbolic_op(_reduce("nanmax", jnp.nanmax, "Maximum along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(3., dtype=float32)"))
nanmin = symbolic_op(_reduce("nanmin", jnp.nanmin, "Minimum along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)"))
nansum = symbolic_op(_reduce("nansum", jnp.nansum, "Sum along ``axis``, treating NaN as 0.", "[1.0, float('nan'), 3.0]", "Array(4., dtype=float32)"))
nanprod = symbolic_op(_reduce("nanprod", jnp.nanprod, "Product along ``axis``, treating NaN as 1.", "[2.0, float('nan'), 3.0]", "Array(6., dtype=float32)"))
nanmean = symbolic_op(_reduce("nanmean", jnp.nanmean, "Mean along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(2., dtype=float32)"))
nanvar = symbolic_op(_reduce("nanvar", jnp.nanvar, "Variance along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)"))
nanstd = symbolic_op(_reduce("nanstd", jnp.nanstd, "Standard deviation along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0]", "Array(1., dtype=float32)"))
nanmedian = symbolic_op(_reduce("nanmedian", jnp.nanmedian, "Median along ``axis``, ignoring NaN.", "[1.0, float('nan'), 3.0, 4.0]", "Array(3., dtype=float32)"))
nanargmax = symbolic_op(_reduce("nanargmax", jnp.nanargmax, "Index of the maximum along ``axis``, ignoring NaN.", "[float('nan'), 3.0, 1.0]", "Array(1, dtype=int32)", returns=_IDX))
nanargmin = symbolic_op(_reduce("nanargmin", jnp.nanargmin, "Index of the minimum along ``axis``, ignoring NaN.", "[float('nan'), 3.0, 1.0]", "Array(2, dtype=int32)", returns=_IDX))
logsumexp = symbolic_op(_reduce("logsumexp", jss.logsumexp, "``log(sum(exp(x)))`` along ``axis``, computed stably.", "[0.0, 0.0]", "Array(0.6931472, dtype=float32)"))
cumsum = symbolic_op(_accumulate("cumsum", jnp.cumsum, "Cumulative sum along ``axis`` (of the flattened tensor if ``None``).", "sums", "[1, 2, 3]", "Array([1, 3, 6], dtype=int32)"))
cumprod = symbolic_op(_accumulate("cumprod", jnp.cumprod, "Cumulative product along ``axis`` (of the flattened tensor if ``None``).", "products", "[1, 2, 3]", "Array([1, 2, 6], dtype=int32)"))
nancumsum = symbolic_op(_accumulate("nancumsum", jnp.nancumsum, "Cumulative sum along ``axis``, treating NaN as 0.", "sums", '[1.0, float("nan"), 3.0]', "Array([1., 1., 4.], dtype=float32)"))
nancumprod = symbolic_op(_accumulate("nancumprod", jnp.nancumprod, "Cumulative product along ``axis``, treating NaN as 1.", "products", '[2.0, float("nan"), 3.0]', "Array([2., 2., 6.], dtype=float32)"))
max = symbolic_op(_bounded("max", jnp.max, "Maximum", "lower", "[[1, 5], [3, 2]], axis=1", "Array([5, 3], dtype=int32)"))
min = symbolic_op(_bounded("min", jnp.min, "Minimum", "upper", "[[1, 5], [3, 2]], axis=1", "Array([1, 2], dtype=int32)"))
# fmt: on


@symbolic_op
def sum(x: ArrayLike, axis: Axis = None, keepdims: bool = False) -> jax.Array:
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


@symbolic_op
def prod(
    x: ArrayLike, axis: Axis = None, keepdims: bool = False, dtype: DTypeLike = None
) -> jax.Array:
    """Product of the elements along ``axis``, accumulated in ``dtype`` if given.

    Args:
        x: Input tensor.
        axis: Axis or axes to reduce; ``None`` reduces all of them.
        keepdims: Whether to keep reduced axes with size 1.
        dtype: The accumulation dtype; ``None`` keeps ``x``'s.

    Returns:
        The product.

    >>> ops.prod([[1, 2], [3, 4]], axis=1)
    Array([ 2, 12], dtype=int32)
    """
    x = convert_to_tensor(x)
    return jnp.prod(x, axis=axes(axis), keepdims=keepdims, dtype=jax_dtype(dtype))


@symbolic_op
def count_nonzero(x: ArrayLike, axis: Axis = None) -> jax.Array:
    """Number of non-zero elements along ``axis``, as int32.

    Args:
        x: Input tensor.
        axis: Axis or axes to count along; ``None`` counts everything.

    Returns:
        An int32 tensor of counts.

    >>> ops.count_nonzero([[0, 1], [2, 3]], axis=1)
    Array([1, 2], dtype=int32)
    """
    return jnp.count_nonzero(convert_to_tensor(x), axis=axes(axis)).astype(jnp.int32)


@symbolic_op
def trapezoid(
    y: ArrayLike, x: ArrayLike | None = None, dx: float = 1.0, axis: int = -1
) -> jax.Array:
    """Integrate ``y`` along ``axis`` with the trapezoidal rule (sample points ``x`` or spacing ``dx``).

    Args:
        y: Values to integrate.
        x: Sample points, or ``None`` for evenly spaced points.
        dx: Spacing between points when ``x`` is ``None``.
        axis: The axis to integrate along.

    Returns:
        The integral, with ``axis`` reduced.

    >>> ops.trapezoid([1.0, 2.0, 3.0])
    Array(4., dtype=float32)
    """
    y = convert_to_tensor(y)
    x = None if x is None else convert_to_tensor(x)
    return jnp.trapezoid(y, x, dx=unwrap(dx), axis=axis)
