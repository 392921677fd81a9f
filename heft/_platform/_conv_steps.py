"""One training step per dispatch for models that convolve on XLA's CPU (``HEFT_CONV_ONE_STEP``).

Exists because inside ``lax.scan`` XLA's CPU backend leaves a convolution's
kernel gradient in a layout that it runs on a slow generic path, so a model
that convolves trains slower with several steps scanned per dispatch than with
one. With the switch on, on the CPU backend, :func:`convolves_on_cpu` finds a
convolution in a traced step, and the trainer then keeps one step per dispatch
without timing a scanned chunk first.

With the switch off, or on another backend, :func:`convolves_on_cpu` is
``False`` and the trainer decides by timing alone, as for any other model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax

from ._switches import CONV_ONE_STEP

CONVOLUTION = "conv_general_dilated"


def _subjaxprs(params: dict[str, Any]) -> Iterator[Any]:
    """The jaxprs among an equation's parameters (a loop's body, a branch, a called function)."""
    for value in params.values():
        for item in value if isinstance(value, tuple | list) else (value,):
            inner = getattr(item, "jaxpr", item)  # a ClosedJaxpr holds its Jaxpr
            if hasattr(inner, "eqns"):
                yield inner


def primitives(jaxpr: Any) -> Iterable[str]:
    """The names of the primitives ``jaxpr`` applies, nested calls, loops and branches included.

    ``jaxpr`` is a ``Jaxpr`` or a ``ClosedJaxpr``.

    >>> step = jax.make_jaxpr(lambda x: jax.lax.cond(x > 0, jax.numpy.sin, jax.numpy.cos, x))
    >>> sorted({"sin", "cos", "cond"} & set(primitives(step(1.0))))
    ['cond', 'cos', 'sin']
    """
    stack = [getattr(jaxpr, "jaxpr", jaxpr)]
    seen: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        for eqn in current.eqns:
            yield eqn.primitive.name
            stack.extend(_subjaxprs(eqn.params))


def convolves(jaxpr: Any) -> bool:
    """Whether ``jaxpr`` (or any jaxpr nested in it) applies ``conv_general_dilated``.

    >>> conv = lambda x, k: jax.lax.conv_general_dilated(x, k, (1,), "VALID")
    >>> convolves(jax.make_jaxpr(jax.grad(lambda k, x: conv(x, k).sum()))(
    ...     jax.numpy.ones((1, 1, 2)), jax.numpy.ones((1, 1, 4))))
    True
    >>> convolves(jax.make_jaxpr(lambda x: x @ x)(jax.numpy.ones((2, 2))))
    False
    """
    return any(name == CONVOLUTION for name in primitives(jaxpr))


def convolves_on_cpu(step: Callable, args: tuple) -> bool:
    """Whether the jitted ``step`` convolves and runs on XLA's CPU backend, with the switch on.

    ``step`` is traced with ``args`` (``step.trace(*args)``, nothing is
    compiled). A step that cannot be traced that way (a plain function, as with
    ``run_eagerly``) gives ``False``.

    >>> conv = jax.jit(lambda x, k: jax.lax.conv_general_dilated(x, k, (1,), "VALID"))
    >>> ones = jax.numpy.ones((1, 1, 4))
    >>> convolves_on_cpu(conv, (ones, ones[..., :2])) == (
    ...     CONV_ONE_STEP.on and jax.default_backend() == "cpu"
    ... )
    True
    """
    if not CONV_ONE_STEP.on or jax.default_backend() != "cpu":
        return False
    trace = getattr(step, "trace", None)
    if trace is None:
        return False
    return convolves(trace(*args).jaxpr)
