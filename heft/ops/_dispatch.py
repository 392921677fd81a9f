"""Ops called on symbolic tensors become graph nodes (``GraphOp``, an ``heft.Operation``)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from .._symbolic import KerasTensor

_F = TypeVar("_F", bound=Callable[..., Any])

# Ops that answer from a symbolic tensor's metadata, or that take functions and run
# Python control flow: they never become graph nodes.
_NOT_NODES = frozenset(
    {
        "shape",
        "dtype",
        "is_tensor",
        "convert_to_numpy",
        "cond",
        "while_loop",
        "fori_loop",
        "scan",
        "associative_scan",
        "map",
        "switch",
        "vectorized_map",
        "custom_gradient",
        "jvp",
        "vectorize",
    }
)


def _has_symbolic(args: tuple, kwargs: dict) -> bool:
    for value in (*args, *kwargs.values()):
        if isinstance(value, KerasTensor):
            return True
        if isinstance(value, list | tuple) and any(isinstance(v, KerasTensor) for v in value):
            return True
    return False


def symbolic_op(fn: _F) -> _F:
    """Make ``fn`` build a ``GraphOp`` node when it receives a ``KerasTensor``.

    On arrays the op runs as written, after one cheap check of its arguments.

    >>> import heft
    >>> from heft.ops._dispatch import symbolic_op
    >>> double = symbolic_op(lambda x: x * 2)
    >>> double(heft.ops.ones((2,)))
    Array([2., 2.], dtype=float32)
    """
    name = fn.__name__
    if name in _NOT_NODES:
        return fn

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        if _has_symbolic(args, kwargs):
            from ._graph_op import call_operation

            return call_operation(name, fn, args, kwargs)
        return fn(*args, **kwargs)

    op._heft_op = fn  # type: ignore[attr-defined]
    return cast(_F, op)
