"""Elementwise binary math, comparisons and logic, with Keras's signatures and dtype rules."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .._typing import ArrayLike
from ._core import convert_to_tensor
from ._dispatch import symbolic_op
from ._elementwise import _binary

_BOOL = "A bool tensor of the broadcast shape."
# fmt: off

add = symbolic_op(_binary("add", jnp.add, "``x1 + x2``, elementwise.", "[1, 2], [0.5, 0.5]", "Array([1.5, 2.5], dtype=float32)"))
subtract = symbolic_op(_binary("subtract", jnp.subtract, "``x1 - x2``, elementwise.", "[3, 2], 1", "Array([2, 1], dtype=int32)"))
multiply = symbolic_op(_binary("multiply", jnp.multiply, "``x1 * x2``, elementwise.", "[1.0, 2.0], 3.0", "Array([3., 6.], dtype=float32)"))
divide = symbolic_op(_binary("divide", jnp.divide, "``x1 / x2``, elementwise (ints give floats).", "[1, 3], 2", "Array([0.5, 1.5], dtype=float32)"))
true_divide = symbolic_op(_binary("true_divide", jnp.divide, "``x1 / x2``, elementwise (alias of ``divide``).", "[1, 3], 2", "Array([0.5, 1.5], dtype=float32)"))
floor_divide = symbolic_op(_binary("floor_divide", jnp.floor_divide, "``x1 // x2``, elementwise.", "[7, -7], 2", "Array([ 3, -4], dtype=int32)"))
power = symbolic_op(_binary("power", jnp.power, "``x1 ** x2``, elementwise.", "[2.0, 3.0], 2", "Array([4., 9.], dtype=float32)"))
mod = symbolic_op(_binary("mod", jnp.mod, "Remainder of ``x1 / x2`` with the sign of ``x2``.", "[7, -7], 3", "Array([1, 2], dtype=int32)"))
fmod = symbolic_op(_binary("fmod", jnp.fmod, "Remainder of ``x1 / x2`` with the sign of ``x1``.", "[7, -7], 3", "Array([ 1, -1], dtype=int32)"))
maximum = symbolic_op(_binary("maximum", jnp.maximum, "Elementwise maximum (NaN wins).", "[1.0, 5.0], 3.0", "Array([3., 5.], dtype=float32)"))
minimum = symbolic_op(_binary("minimum", jnp.minimum, "Elementwise minimum (NaN wins).", "[1.0, 5.0], 3.0", "Array([1., 3.], dtype=float32)"))
fmax = symbolic_op(_binary("fmax", jnp.fmax, "Elementwise maximum ignoring NaN.", "[float('nan'), 1.0], 0.0", "Array([0., 1.], dtype=float32)"))
fmin = symbolic_op(_binary("fmin", jnp.fmin, "Elementwise minimum ignoring NaN.", "[float('nan'), 1.0], 2.0", "Array([2., 1.], dtype=float32)"))
arctan2 = symbolic_op(_binary("arctan2", jnp.arctan2, "Angle of the point ``(x2, x1)``, elementwise.", "[0.0, 1.0], 1.0", "Array([0.       , 0.7853982], dtype=float32)", to_float=True))
hypot = symbolic_op(_binary("hypot", jnp.hypot, "``sqrt(x1**2 + x2**2)``, elementwise.", "[3.0], [4.0]", "Array([5.], dtype=float32)"))
logaddexp = symbolic_op(_binary("logaddexp", jnp.logaddexp, "``log(exp(x1) + exp(x2))``, computed stably.", "[0.0], [0.0]", "Array([0.6931472], dtype=float32)", to_float=True))
logaddexp2 = symbolic_op(_binary("logaddexp2", jnp.logaddexp2, "``log2(2**x1 + 2**x2)``, computed stably.", "[1.0], [1.0]", "Array([2.], dtype=float32)", to_float=True))
heaviside = symbolic_op(_binary("heaviside", jnp.heaviside, "Heaviside step of ``x1``, with ``x2`` where ``x1 == 0``.", "[-1.0, 0.0, 2.0], 0.5", "Array([0. , 0.5, 1. ], dtype=float32)"))
nextafter = symbolic_op(_binary("nextafter", jnp.nextafter, "The next float after ``x1`` towards ``x2``.", "[1.0], [2.0]", "Array([1.0000001], dtype=float32)"))
gcd = symbolic_op(_binary("gcd", jnp.gcd, "Greatest common divisor of integers, elementwise.", "[12, 9], 6", "Array([6, 3], dtype=int32)"))
lcm = symbolic_op(_binary("lcm", jnp.lcm, "Least common multiple of integers, elementwise.", "[4, 3], 6", "Array([12,  6], dtype=int32)"))
equal = symbolic_op(_binary("equal", jnp.equal, "``x1 == x2``, elementwise.", "[1, 2], 2", "Array([False,  True], dtype=bool)", returns=_BOOL))
not_equal = symbolic_op(_binary("not_equal", jnp.not_equal, "``x1 != x2``, elementwise.", "[1, 2], 2", "Array([ True, False], dtype=bool)", returns=_BOOL))
greater = symbolic_op(_binary("greater", jnp.greater, "``x1 > x2``, elementwise.", "[1, 2], 1", "Array([False,  True], dtype=bool)", returns=_BOOL))
greater_equal = symbolic_op(_binary("greater_equal", jnp.greater_equal, "``x1 >= x2``, elementwise.", "[1, 2], 2", "Array([False,  True], dtype=bool)", returns=_BOOL))
less = symbolic_op(_binary("less", jnp.less, "``x1 < x2``, elementwise.", "[1, 2], 2", "Array([ True, False], dtype=bool)", returns=_BOOL))
less_equal = symbolic_op(_binary("less_equal", jnp.less_equal, "``x1 <= x2``, elementwise.", "[1, 3], 2", "Array([ True, False], dtype=bool)", returns=_BOOL))
logical_and = symbolic_op(_binary("logical_and", jnp.logical_and, "Logical AND, elementwise.", "[True, False], True", "Array([ True, False], dtype=bool)", returns=_BOOL))
logical_or = symbolic_op(_binary("logical_or", jnp.logical_or, "Logical OR, elementwise.", "[True, False], False", "Array([ True, False], dtype=bool)", returns=_BOOL))
logical_xor = symbolic_op(_binary("logical_xor", jnp.logical_xor, "Logical XOR, elementwise.", "[True, False], True", "Array([False,  True], dtype=bool)", returns=_BOOL))


bitwise_and = symbolic_op(_binary("bitwise_and", jnp.bitwise_and, "Bitwise AND, elementwise.", "[12, 10], 6", "Array([4, 2], dtype=int32)", xy=True))
bitwise_or = symbolic_op(_binary("bitwise_or", jnp.bitwise_or, "Bitwise OR, elementwise.", "[12, 10], 1", "Array([13, 11], dtype=int32)", xy=True))
bitwise_xor = symbolic_op(_binary("bitwise_xor", jnp.bitwise_xor, "Bitwise XOR, elementwise.", "[12, 10], 6", "Array([10, 12], dtype=int32)", xy=True))
bitwise_left_shift = symbolic_op(_binary("bitwise_left_shift", jnp.left_shift, "Shift the bits of ``x`` left by ``y``.", "[1, 3], 2", "Array([ 4, 12], dtype=int32)", xy=True))
left_shift = symbolic_op(_binary("left_shift", jnp.left_shift, "Shift the bits of ``x`` left by ``y`` (alias).", "[1, 3], 2", "Array([ 4, 12], dtype=int32)", xy=True))
bitwise_right_shift = symbolic_op(_binary("bitwise_right_shift", jnp.right_shift, "Shift the bits of ``x`` right by ``y``.", "[8, 12], 2", "Array([2, 3], dtype=int32)", xy=True))
right_shift = symbolic_op(_binary("right_shift", jnp.right_shift, "Shift the bits of ``x`` right by ``y`` (alias).", "[8, 12], 2", "Array([2, 3], dtype=int32)", xy=True))
# fmt: on


@symbolic_op
def divide_no_nan(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """``x1 / x2``, but 0 wherever ``x2`` is 0 (no NaN or inf, and safe gradients).

    Args:
        x1: Numerator.
        x2: Denominator.

    Returns:
        The broadcast quotient.

    >>> ops.divide_no_nan([1.0, 2.0], [2.0, 0.0])
    Array([0.5, 0. ], dtype=float32)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    is_zero = x2 == 0
    return jnp.where(is_zero, 0, jnp.divide(x1, jnp.where(is_zero, 1, x2)))


@symbolic_op
def ldexp(x1: ArrayLike, x2: ArrayLike) -> jax.Array:
    """``x1 * 2 ** x2`` for an integer exponent ``x2``.

    Args:
        x1: Mantissas (a float tensor).
        x2: Integer exponents.

    Returns:
        ``x1 * 2**x2``, broadcast.

    Raises:
        TypeError: If ``x2`` is not an integer tensor.

    >>> ops.ldexp([1.0, 3.0], 2)
    Array([ 4., 12.], dtype=float32)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    if not jnp.issubdtype(x2.dtype, jnp.integer):
        raise TypeError(
            f"ldexp exponent must be an integer type. Received: x2 dtype={x2.dtype}. "
            "Cast the exponent with `ops.cast(x2, 'int32')`."
        )
    return jnp.ldexp(x1, x2)


@symbolic_op
def isclose(
    x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> jax.Array:
    """Whether ``|x1 - x2| <= atol + rtol * |x2|``, elementwise.

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether NaN compares equal to NaN.

    Returns:
        A bool tensor of the broadcast shape.

    >>> ops.isclose([1.0, 1.1], 1.0)
    Array([ True, False], dtype=bool)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return jnp.isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


@symbolic_op
def allclose(
    x1: ArrayLike, x2: ArrayLike, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> jax.Array:
    """Whether all elements of ``x1`` and ``x2`` are close (see ``isclose``).

    Args:
        x1: First input tensor.
        x2: Second input tensor, broadcast against ``x1``.
        rtol: Relative tolerance.
        atol: Absolute tolerance.
        equal_nan: Whether NaN compares equal to NaN.

    Returns:
        A scalar bool tensor.

    >>> ops.allclose([1.0, 2.0], [1.0, 2.000001])
    Array(True, dtype=bool)
    """
    x1, x2 = convert_to_tensor(x1), convert_to_tensor(x2)
    return jnp.allclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan)


@symbolic_op
def where(condition: ArrayLike, x1: ArrayLike | None = None, x2: ArrayLike | None = None) -> Any:
    """Pick ``x1`` where ``condition`` holds, else ``x2``; with neither, the indices of true values.

    Args:
        condition: Bool tensor.
        x1: Values where ``condition`` is true.
        x2: Values where ``condition`` is false.

    Returns:
        The broadcast selection, or a tuple of index arrays when ``x1`` and ``x2``
        are both ``None``.

    Raises:
        ValueError: If only one of ``x1`` and ``x2`` is given.

    >>> ops.where([True, False], [1.0, 2.0], [0.0, 0.0])
    Array([1., 0.], dtype=float32)
    """
    if (x1 is None) != (x2 is None):
        raise ValueError(
            "`x1` and `x2` must either both be None or both be given. "
            f"Received: x1={'None' if x1 is None else 'a value'}, "
            f"x2={'None' if x2 is None else 'a value'}."
        )
    condition = convert_to_tensor(condition)
    if x1 is None or x2 is None:  # both, as checked above
        return jnp.where(condition)
    return jnp.where(condition, convert_to_tensor(x1), convert_to_tensor(x2))


@symbolic_op
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> jax.Array:
    """For each element, the entry of the first ``choicelist`` tensor whose condition holds.

    Args:
        condlist: List of bool tensors.
        choicelist: List of tensors, one per condition.
        default: Value where no condition holds.

    Returns:
        The selected tensor.

    Raises:
        ValueError: If the lists are not lists or tuples, or are empty.

    >>> ops.select([ops.array([True, False]), ops.array([True, True])], [ops.array([1, 1]), ops.array([2, 2])])
    Array([1, 2], dtype=int32)
    """
    if not isinstance(condlist, list | tuple) or not isinstance(choicelist, list | tuple):
        raise ValueError(
            "`condlist` and `choicelist` must be lists or tuples. Received: "
            f"type(condlist)={type(condlist).__name__}, type(choicelist)={type(choicelist).__name__}."
        )
    if not condlist or not choicelist:
        raise ValueError(
            "`condlist` and `choicelist` must not be empty. Received: "
            f"len(condlist)={len(condlist)}, len(choicelist)={len(choicelist)}."
        )
    conds = [convert_to_tensor(c) for c in condlist]
    choices = [convert_to_tensor(c) for c in choicelist]
    return jnp.select(conds, choices, default=convert_to_tensor(default))
