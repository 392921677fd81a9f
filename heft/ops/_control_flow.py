"""Control flow and transformations: cond, switch, scan, loops, map, vectorize, custom_gradient."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import jax
import jax.numpy as jnp

from ._core import convert_to_tensor, unwrap_tree
from ._dispatch import symbolic_op


@symbolic_op
def cond(pred: Any, true_fn: Callable, false_fn: Callable) -> Any:
    """Call ``true_fn()`` if ``pred`` is true, else ``false_fn()`` (traceable).

    Args:
        pred: A scalar bool (Python or tensor).
        true_fn: Function of no arguments called when ``pred`` is true.
        false_fn: Function of no arguments called otherwise; must return the same structure.

    Returns:
        The result of the chosen branch.

    >>> ops.cond(True, lambda: 1, lambda: 2)
    Array(1, dtype=int32, weak_type=True)
    """
    return jax.lax.cond(convert_to_tensor(pred), true_fn, false_fn)


@symbolic_op
def switch(index: Any, branches: Sequence[Callable], *operands: Any) -> Any:
    """Call ``branches[index](*operands)``; the index is clamped to the valid range.

    Args:
        index: An int (Python or tensor) choosing the branch.
        branches: A sequence of functions taking ``*operands``.
        *operands: Arguments passed to the chosen branch.

    Returns:
        The result of the chosen branch.

    >>> ops.switch(1, [lambda x: x + 1, lambda x: x * 10], 3)
    Array(30, dtype=int32, weak_type=True)
    """
    return jax.lax.switch(convert_to_tensor(index), branches, *unwrap_tree(operands))


@symbolic_op
def scan(
    f: Callable,
    init: Any,
    xs: Any = None,
    length: int | None = None,
    reverse: bool = False,
    unroll: int | bool = 1,
) -> tuple[Any, Any]:
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``.

    Args:
        f: ``(carry, x) -> (new_carry, y)``.
        init: The initial carry (any pytree of arrays).
        xs: The values to loop over (a pytree of arrays), or ``None``.
        length: Number of iterations when ``xs`` is ``None``.
        reverse: Whether to loop from the end.
        unroll: Loop iterations to unroll, a positive int or a bool.

    Returns:
        ``(final_carry, stacked_ys)``.

    Raises:
        ValueError: If ``unroll`` is neither a bool nor a positive int.

    >>> ops.scan(lambda c, x: (c + x, c), 0, ops.arange(4))[0]
    Array(6, dtype=int32)
    """
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(
            f"`unroll` must be a positive integer or a boolean. Received: unroll={unroll}"
        )
    return jax.lax.scan(
        f, unwrap_tree(init), unwrap_tree(xs), length=length, reverse=reverse, unroll=unroll
    )


@symbolic_op
def associative_scan(f: Callable, elems: Any, reverse: bool = False, axis: int = 0) -> Any:
    """Parallel prefix scan of ``elems`` with the associative function ``f``.

    Args:
        f: An associative binary function ``(a, b) -> c`` on pytrees of arrays.
        elems: A tensor or pytree of tensors to scan.
        reverse: Whether to scan from the end.
        axis: The axis to scan along.

    Returns:
        The prefix reductions, shaped like ``elems``.

    >>> ops.associative_scan(lambda a, b: a + b, [1, 2, 3])
    Array([1, 3, 6], dtype=int32)
    """
    if isinstance(elems, list) and not any(isinstance(e, list | tuple) for e in elems):
        elems = convert_to_tensor(elems)
    return jax.lax.associative_scan(f, unwrap_tree(elems), reverse=reverse, axis=axis)


@symbolic_op
def map(f: Callable, xs: Any) -> Any:
    """Apply ``f`` to each slice of ``xs`` along its leading axis, stacking the results.

    Args:
        f: The function to apply.
        xs: A tensor or pytree of tensors with a common leading axis.

    Returns:
        The stacked results.

    >>> ops.map(lambda x: x * 2, ops.arange(3))
    Array([0, 2, 4], dtype=int32)
    """
    return jax.lax.map(f, unwrap_tree(xs))


@symbolic_op
def vectorized_map(function: Callable, elements: Any) -> Any:
    """Vectorize ``function`` over the leading axis of ``elements`` (``jax.vmap``).

    Args:
        function: The function to apply to each slice.
        elements: A tensor or pytree of tensors with a common leading axis.

    Returns:
        The stacked results.

    >>> ops.vectorized_map(lambda x: x.sum(), ops.ones((2, 3)))
    Array([3., 3.], dtype=float32)
    """
    return jax.vmap(function)(unwrap_tree(elements))


@symbolic_op
def vectorize(pyfunc: Callable, *, excluded: Any = None, signature: str | None = None) -> Callable:
    """Turn a function of scalars (or core shapes, via ``signature``) into one that broadcasts.

    Args:
        pyfunc: A function of scalars (or of core shapes given by ``signature``).
        excluded: Positions or names of arguments not to vectorize.
        signature: A generalized-ufunc signature such as ``"(n),(n)->()"``.

    Returns:
        The broadcasting function.

    Raises:
        ValueError: If ``pyfunc`` is not callable.

    >>> ops.vectorize(lambda a, b: a + b)([1, 2], 10)
    Array([11, 12], dtype=int32)
    """
    if not callable(pyfunc):
        raise ValueError(
            f"Expected argument `pyfunc` to be a callable. Received: pyfunc={pyfunc!r}"
        )
    vectorized = jnp.vectorize(
        pyfunc, excluded=set() if excluded is None else excluded, signature=signature
    )

    def call(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = unwrap_tree((args, kwargs))
        return vectorized(*args, **kwargs)

    return call


@symbolic_op
def fori_loop(lower: Any, upper: Any, body_fun: Callable, init_val: Any) -> Any:
    """Run ``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    Args:
        lower: First loop index.
        upper: Loop end (exclusive).
        body_fun: ``(i, value) -> new_value``.
        init_val: The initial value (any pytree of arrays).

    Returns:
        The final loop value.

    >>> ops.fori_loop(0, 4, lambda i, v: v + i, 0)
    Array(6, dtype=int32, weak_type=True)
    """
    return jax.lax.fori_loop(
        unwrap_tree(lower), unwrap_tree(upper), body_fun, unwrap_tree(init_val)
    )


@symbolic_op
def while_loop(
    cond: Callable,
    body: Callable,
    loop_vars: Any,
    maximum_iterations: int | None = None,
) -> Any:
    """Run ``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` holds.

    Args:
        cond: Takes the loop variables (unpacked if a list/tuple), returns a bool.
        body: Takes the loop variables the same way, returns new ones.
        loop_vars: A value, or a list/tuple of values.
        maximum_iterations: An optional cap on the number of iterations.

    Returns:
        The final loop variables, in the structure of ``loop_vars``.

    >>> ops.while_loop(lambda i: i < 5, lambda i: i + 2, 0)
    Array(6, dtype=int32, weak_type=True)
    """
    is_sequence = isinstance(loop_vars, list | tuple)
    state = tuple(unwrap_tree(loop_vars)) if is_sequence else (unwrap_tree(loop_vars),)

    def as_tuple(out: Any) -> tuple:
        return tuple(out) if is_sequence else (out,)

    if maximum_iterations is None:
        result = jax.lax.while_loop(lambda s: cond(*s), lambda s: as_tuple(body(*s)), state)
    else:
        result = jax.lax.while_loop(
            lambda s: jnp.logical_and(cond(*s[:-1]), s[-1] < maximum_iterations),
            lambda s: (*as_tuple(body(*s[:-1])), s[-1] + 1),
            (*state, 0),
        )[:-1]
    return result if is_sequence else result[0]


@symbolic_op
def custom_gradient(f: Callable) -> Callable:
    """Decorate ``f`` returning ``(output, grad_fn)`` so that ``grad_fn`` gives its gradient.

    >>> @ops.custom_gradient
    ... def clipped(x):
    ...     return x, lambda g: ops.clip(g, -1.0, 1.0)
    >>> jax.grad(lambda x: 5.0 * clipped(x))(2.0)
    Array(1., dtype=float32, weak_type=True)
    """
    wrapped = jax.custom_gradient(f)

    @functools.wraps(f)
    def call(*args: Any, **kwargs: Any) -> Any:
        args, kwargs = unwrap_tree((args, kwargs))
        return wrapped(*args, **kwargs)

    return call


@symbolic_op
def jvp(fun: Callable, primals: Any, tangents: Any, has_aux: bool = False) -> Any:
    """Forward-mode derivative: ``(fun(*primals), J @ tangents)`` (``jax.jvp``).

    Args:
        fun: The function to differentiate.
        primals: A tuple of the point's arguments.
        tangents: A tuple of tangent vectors, one per primal.
        has_aux: Whether ``fun`` returns ``(output, aux)``.

    Returns:
        ``(outputs, tangent_outputs)``, plus the auxiliary data when ``has_aux``.

    >>> ops.jvp(lambda x: x * x, (3.0,), (1.0,))[1]
    Array(6., dtype=float32, weak_type=True)
    """
    return jax.jvp(fun, unwrap_tree(primals), unwrap_tree(tangents), has_aux=has_aux)
