"""Elementwise unary math with Keras's dtype rules, and the op factories binary ops share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.scipy.special as jss

from .._typing import ArrayLike
from ._core import convert_to_tensor, float_dtype, unwrap
from ._dispatch import symbolic_op

_UNARY_DOC = """{summary}

Args:
    x: Input tensor (a JAX or numpy array, a list, a scalar or a ``Variable``).

Returns:
    {returns}

>>> ops.{name}({example})
{output}
"""

_BINARY_DOC = """{summary}

Args:
    x1: First input tensor.
    x2: Second input tensor, broadcast against ``x1``.

Returns:
    {returns}

>>> ops.{name}({example})
{output}
"""


def _finish(fn: Callable, name: str, template: str, **doc: str) -> Callable:
    fn.__name__ = name
    fn.__qualname__ = name
    fn.__module__ = "heft.ops"
    fn.__doc__ = template.format(name=name, **doc)
    return fn


def _unary(
    name: str,
    jfn: Callable,
    summary: str,
    example: str,
    output: str,
    to_float: bool = False,
    returns: str = "A tensor of the same shape as ``x``.",
) -> Callable:
    """A Keras-style unary op; ``to_float`` computes int and bool inputs in ``floatx()``."""
    if to_float:

        def op(x: ArrayLike) -> jax.Array:
            x = convert_to_tensor(x)
            return jfn(x.astype(float_dtype(x)))

    else:

        def op(x: ArrayLike) -> jax.Array:
            return jfn(convert_to_tensor(x))

    return _finish(
        op, name, _UNARY_DOC, summary=summary, example=example, output=output, returns=returns
    )


def _binary(
    name: str,
    jfn: Callable,
    summary: str,
    example: str,
    output: str,
    to_float: bool = False,
    returns: str = "The broadcast result.",
    xy: bool = False,
) -> Callable:
    """A Keras-style binary op; ``to_float`` computes in the common float dtype.

    ``xy`` names the parameters ``(x, y)`` instead of ``(x1, x2)``, as Keras's bitwise ops do.
    """

    def compute(a: Any, b: Any) -> jax.Array:
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        if to_float:
            # Promote by dtype alone (a Python float counts as float32, as in Keras).
            common = float_dtype(jnp.zeros((), jnp.promote_types(a.dtype, b.dtype)))
            a, b = a.astype(common), b.astype(common)
        return jfn(a, b)

    if xy:

        def op(x: ArrayLike, y: Any) -> jax.Array:
            return compute(x, y)

        template = _BINARY_DOC.replace("x1:", "x:").replace("x2:", "y:").replace("``x1``", "``x``")
    else:

        def op(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
            return compute(x1, x2)

        template = _BINARY_DOC
    return _finish(
        op, name, template, summary=summary, example=example, output=output, returns=returns
    )


_BOOL = "A bool tensor of the same shape as ``x``."
_F = "Array([0., 0.], dtype=float32)"

# ----------------------------------------------------------------------------- unary
# fmt: off
abs = symbolic_op(_unary("abs", jnp.abs, "Absolute value, elementwise.", "[-1.5, 2.0]", "Array([1.5, 2. ], dtype=float32)"))
absolute = symbolic_op(_unary("absolute", jnp.abs, "Absolute value, elementwise (alias of ``abs``).", "[-3, 2]", "Array([3, 2], dtype=int32)"))
negative = symbolic_op(_unary("negative", jnp.negative, "Numerical negative, elementwise.", "[1.0, -2.0]", "Array([-1.,  2.], dtype=float32)"))
square = symbolic_op(_unary("square", jnp.square, "Square, elementwise.", "[2, -3]", "Array([4, 9], dtype=int32)"))
sign = symbolic_op(_unary("sign", jnp.sign, "Sign (-1, 0 or 1), elementwise.", "[-2.0, 0.0, 3.0]", "Array([-1.,  0.,  1.], dtype=float32)"))
signbit = symbolic_op(_unary("signbit", jnp.signbit, "Whether the sign bit is set (true for -0.0), elementwise.", "[-0.0, 1.0]", "Array([ True, False], dtype=bool)", returns=_BOOL))
reciprocal = symbolic_op(_unary("reciprocal", jnp.reciprocal, "``1 / x``, elementwise.", "[2.0, 4.0]", "Array([0.5 , 0.25], dtype=float32)"))
cbrt = symbolic_op(_unary("cbrt", jnp.cbrt, "Cube root, elementwise.", "[8.0, -27.0]", "Array([ 2., -3.], dtype=float32)", to_float=True))
sqrt = symbolic_op(_unary("sqrt", jnp.sqrt, "Square root, elementwise (int inputs give floats).", "[4, 9]", "Array([2., 3.], dtype=float32)", to_float=True))
rsqrt = symbolic_op(_unary("rsqrt", jax.lax.rsqrt, "``1 / sqrt(x)``, elementwise.", "[4.0, 16.0]", "Array([0.5 , 0.25], dtype=float32)", to_float=True))
exp = symbolic_op(_unary("exp", jnp.exp, "Exponential, elementwise.", "[0.0, 1.0]", "Array([1.       , 2.7182817], dtype=float32)", to_float=True))
exp2 = symbolic_op(_unary("exp2", jnp.exp2, "``2 ** x``, elementwise.", "[0, 3]", "Array([1., 8.], dtype=float32)", to_float=True))
expm1 = symbolic_op(_unary("expm1", jnp.expm1, "``exp(x) - 1``, accurate near zero.", "[0.0, 0.0]", _F, to_float=True))
log = symbolic_op(_unary("log", jnp.log, "Natural logarithm, elementwise.", "[1.0, 1.0]", _F, to_float=True))
log1p = symbolic_op(_unary("log1p", jnp.log1p, "``log(1 + x)``, accurate near zero.", "[0.0, 0.0]", _F, to_float=True))
log2 = symbolic_op(_unary("log2", jnp.log2, "Base-2 logarithm, elementwise.", "[1, 8]", "Array([0., 3.], dtype=float32)", to_float=True))
log10 = symbolic_op(_unary("log10", jnp.log10, "Base-10 logarithm, elementwise.", "[1.0, 100.0]", "Array([0., 2.], dtype=float32)", to_float=True))
sin = symbolic_op(_unary("sin", jnp.sin, "Sine, elementwise.", "[0.0, 0.0]", _F, to_float=True))
cos = symbolic_op(_unary("cos", jnp.cos, "Cosine, elementwise.", "[0.0, 0.0]", "Array([1., 1.], dtype=float32)", to_float=True))
tan = symbolic_op(_unary("tan", jnp.tan, "Tangent, elementwise.", "[0.0, 0.0]", _F, to_float=True))
arcsin = symbolic_op(_unary("arcsin", jnp.arcsin, "Inverse sine, elementwise.", "[0.0, 0.0]", _F, to_float=True))
arccos = symbolic_op(_unary("arccos", jnp.arccos, "Inverse cosine, elementwise.", "[1.0, 1.0]", _F, to_float=True))
arctan = symbolic_op(_unary("arctan", jnp.arctan, "Inverse tangent, elementwise.", "[0.0, 0.0]", _F, to_float=True))
sinh = symbolic_op(_unary("sinh", jnp.sinh, "Hyperbolic sine, elementwise.", "[0.0, 0.0]", _F, to_float=True))
cosh = symbolic_op(_unary("cosh", jnp.cosh, "Hyperbolic cosine, elementwise.", "[0.0, 0.0]", "Array([1., 1.], dtype=float32)", to_float=True))
tanh = symbolic_op(_unary("tanh", jnp.tanh, "Hyperbolic tangent, elementwise.", "[0.0, 0.0]", _F, to_float=True))
arcsinh = symbolic_op(_unary("arcsinh", jnp.arcsinh, "Inverse hyperbolic sine, elementwise.", "[0.0, 0.0]", _F, to_float=True))
arccosh = symbolic_op(_unary("arccosh", jnp.arccosh, "Inverse hyperbolic cosine, elementwise.", "[1.0, 1.0]", _F, to_float=True))
arctanh = symbolic_op(_unary("arctanh", jnp.arctanh, "Inverse hyperbolic tangent, elementwise.", "[0.0, 0.0]", _F, to_float=True))
sinc = symbolic_op(_unary("sinc", jnp.sinc, "Normalized sinc, ``sin(pi x) / (pi x)``, elementwise.", "[0.0]", "Array([1.], dtype=float32)", to_float=True))
deg2rad = symbolic_op(_unary("deg2rad", jnp.deg2rad, "Degrees to radians, elementwise.", "[0.0, 180.0]", "Array([0.       , 3.1415927], dtype=float32)"))
rad2deg = symbolic_op(_unary("rad2deg", jnp.rad2deg, "Radians to degrees, elementwise.", "[0.0, 0.0]", _F))
erf = symbolic_op(_unary("erf", jax.lax.erf, "Gauss error function, elementwise.", "[0.0, 0.0]", _F, to_float=True))
erfc = symbolic_op(_unary("erfc", jss.erfc, "Complementary error function ``1 - erf(x)``, elementwise.", "[0.0, 0.0]", "Array([1., 1.], dtype=float32)", to_float=True))
erfinv = symbolic_op(_unary("erfinv", jss.erfinv, "Inverse error function, elementwise.", "[0.0, 0.0]", _F, to_float=True))
floor = symbolic_op(_unary("floor", jnp.floor, "Largest integer not above ``x`` (int inputs give floats).", "[1.7, -1.2]", "Array([ 1., -2.], dtype=float32)", to_float=True))
ceil = symbolic_op(_unary("ceil", jnp.ceil, "Smallest integer not below ``x`` (int inputs give floats).", "[1.2, -1.7]", "Array([ 2., -1.], dtype=float32)", to_float=True))
trunc = symbolic_op(_unary("trunc", jnp.trunc, "Round towards zero, elementwise (ints are returned as is).", "[1.7, -1.7]", "Array([ 1., -1.], dtype=float32)"))
isnan = symbolic_op(_unary("isnan", jnp.isnan, "Whether each element is NaN.", "[1.0, float('nan')]", "Array([False,  True], dtype=bool)", returns=_BOOL))
isinf = symbolic_op(_unary("isinf", jnp.isinf, "Whether each element is positive or negative infinity.", "[1.0, float('inf')]", "Array([False,  True], dtype=bool)", returns=_BOOL))
isfinite = symbolic_op(_unary("isfinite", jnp.isfinite, "Whether each element is finite (not NaN or infinite).", "[1.0, float('inf')]", "Array([ True, False], dtype=bool)", returns=_BOOL))
isneginf = symbolic_op(_unary("isneginf", jnp.isneginf, "Whether each element is negative infinity.", "[float('-inf'), 1.0]", "Array([ True, False], dtype=bool)", returns=_BOOL))
isposinf = symbolic_op(_unary("isposinf", jnp.isposinf, "Whether each element is positive infinity.", "[float('inf'), 1.0]", "Array([ True, False], dtype=bool)", returns=_BOOL))
isreal = symbolic_op(_unary("isreal", jnp.isreal, "Whether each element has a zero imaginary part.", "[1.0, 2.0]", "Array([ True,  True], dtype=bool)", returns=_BOOL))
logical_not = symbolic_op(_unary("logical_not", jnp.logical_not, "Logical NOT, elementwise.", "[True, False]", "Array([False,  True], dtype=bool)", returns=_BOOL))
bitwise_invert = symbolic_op(_unary("bitwise_invert", jnp.invert, "Bitwise NOT of integers (logical NOT of bools).", "[0, 1]", "Array([-1, -2], dtype=int32)"))
bitwise_not = symbolic_op(_unary("bitwise_not", jnp.invert, "Bitwise NOT of integers (alias of ``bitwise_invert``).", "[0, 1]", "Array([-1, -2], dtype=int32)"))
conjugate = symbolic_op(_unary("conjugate", jnp.conjugate, "Complex conjugate, elementwise.", "[1 + 2j]", "Array([1.-2.j], dtype=complex64)"))
conj = symbolic_op(_unary("conj", jnp.conjugate, "Complex conjugate, elementwise (alias of ``conjugate``).", "[1 - 1j]", "Array([1.+1.j], dtype=complex64)"))
real = symbolic_op(_unary("real", jnp.real, "Real part, elementwise.", "[1 + 2j]", "Array([1.], dtype=float32)"))
imag = symbolic_op(_unary("imag", jnp.imag, "Imaginary part, elementwise.", "[1 + 2j]", "Array([2.], dtype=float32)"))
angle = symbolic_op(_unary("angle", jnp.angle, "Argument (phase angle, in radians) of complex values.", "[1j, -1.0]", "Array([1.5707964, 3.1415927], dtype=float32)", to_float=True))
i0 = symbolic_op(_unary("i0", jnp.i0, "Modified Bessel function of the first kind, order 0.", "[0.0]", "Array([1.0000001], dtype=float32)", to_float=True))
copy = symbolic_op(_unary("copy", jnp.copy, "A copy of ``x``.", "[1, 2]", "Array([1, 2], dtype=int32)"))
# fmt: on


@symbolic_op
def fabs(x: ArrayLike) -> jax.Array:
    """Absolute value as a float, elementwise.

    Args:
        x: A real input tensor.

    Returns:
        ``abs(x)``.

    Raises:
        TypeError: If ``x`` is complex.

    >>> ops.fabs([-1.5, 2.0])
    Array([1.5, 2. ], dtype=float32)
    """
    x = convert_to_tensor(x)
    if jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(
            f"fabs does not support complex inputs. Received: x.dtype={x.dtype}. "
            "Use `ops.abs` for the magnitude of complex numbers."
        )
    return jnp.fabs(x)


@symbolic_op
def round(x: ArrayLike, decimals: int = 0) -> jax.Array:
    """Round to ``decimals`` decimal places (half to even); negative values round to tens, ...

    Args:
        x: Input tensor.
        decimals: Number of decimal places.

    Returns:
        The rounded tensor, with ``x``'s dtype.

    >>> ops.round([1.25, 2.5], decimals=1)
    Array([1.2, 2.5], dtype=float32)
    """
    x = convert_to_tensor(x)
    if jnp.issubdtype(x.dtype, jnp.integer) and decimals < 0:
        factor = jnp.asarray(10.0**decimals, float_dtype(x))
        return (jnp.round(x.astype(factor.dtype) * factor) / factor).astype(x.dtype)
    return jnp.round(x, decimals=decimals)


@symbolic_op
def clip(x: ArrayLike, x_min: Any, x_max: Any) -> jax.Array:
    """Limit the values of ``x`` to ``[x_min, x_max]`` (bool inputs are clipped as int32).

    Args:
        x: Input tensor.
        x_min: Lower bound (scalar or tensor).
        x_max: Upper bound (scalar or tensor).

    Returns:
        The clipped tensor.

    >>> ops.clip([-2.0, 0.5, 3.0], 0.0, 1.0)
    Array([0. , 0.5, 1. ], dtype=float32)
    """
    x = convert_to_tensor(x)
    if x.dtype == jnp.bool_:
        x = x.astype(jnp.int32)
    return jnp.clip(x, unwrap(x_min), unwrap(x_max))


@symbolic_op
def nan_to_num(
    x: ArrayLike, nan: float = 0.0, posinf: float | None = None, neginf: float | None = None
) -> jax.Array:
    """Replace NaN by ``nan`` and infinities by ``posinf``/``neginf`` (default: dtype's extremes).

    Args:
        x: Input tensor.
        nan: Replacement for NaN.
        posinf: Replacement for +inf; the dtype's largest value by default.
        neginf: Replacement for -inf; the dtype's lowest value by default.

    Returns:
        A tensor shaped like ``x``.

    >>> ops.nan_to_num([float("nan"), 1.0])
    Array([0., 1.], dtype=float32)
    """
    return jnp.nan_to_num(convert_to_tensor(x), nan=nan, posinf=posinf, neginf=neginf)
