"""Abstract building: run code that creates variables, recording their shapes and allocating none.

``run(fn)`` calls ``fn`` inside ``jax.eval_shape`` with the abstract mode on.
While it is on, a new ``Variable`` runs no initializer: it records its path,
shape and dtype here and holds a value that exists only in the trace (a
tracer of ``jax.eval_shape``, which never executes), so a layer's ``build``
and symbolic calls work as usual and cost no memory for the weights. Names
handed out (``dense``, ``dense_1``) come from a copy of the counters, and
default seeds are not drawn, so the process's names and random state after
``run`` are those it had before: building the same objects again for real
gives the same names and values as if ``run`` had never been called.

The mode is entered only by ``run``, inside the trace; no code path turns it
on where a placeholder value could be computed for real.
"""

from __future__ import annotations

import collections
import contextvars
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Record:
    """One variable created in abstract mode.

    Attributes:
        path: The variable's path (``"<layer path>/<name>"``).
        shape: Its shape.
        dtype: Its dtype name.
        nbytes: The bytes its value would take (``prod(shape) * itemsize``).
    """

    path: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int


@dataclass
class Mode:
    """The state of one ``run``: what was recorded and the names handed out in it.

    Attributes:
        names: The naming counters of the run (a copy of the process's).
        anchor: A scalar tracer, the input of the run's trace; stand-in values
            are computed from it so that they are never constants.
        records: The variables created so far, in order.
    """

    names: collections.Counter[str]
    anchor: Any = None
    records: list[Record] = field(default_factory=list)


_MODE: contextvars.ContextVar[Mode | None] = contextvars.ContextVar("heft_abstract", default=None)


def current() -> Mode | None:
    """The mode of the ``run`` in progress in this context, or ``None``."""
    return _MODE.get()


def run(fn: Callable[[], Any]) -> tuple[list[Record], BaseException | None]:
    """Call ``fn()`` abstractly; return the variables it created and what it raised.

    ``fn``'s return value is dropped: objects built abstractly hold values that
    exist only inside the trace and must not be used afterwards.

    Returns:
        ``(records, error)``: the variables created, in creation order (up to
        the failure, if any), and the ``Exception`` ``fn`` raised, or ``None``.
        A ``BaseException`` that is not an ``Exception`` (``KeyboardInterrupt``)
        propagates.

    >>> from heft import Variable
    >>> records, error = run(lambda: Variable("ones", shape=(2**20, 2**20), name="w"))
    >>> [(r.path, r.nbytes) for r in records], error
    ([('w', 4398046511104)], None)
    """
    import jax

    from . import _naming

    mode = Mode(names=_naming.counters_copy())
    error: BaseException | None = None

    def body(anchor: Any) -> None:
        mode.anchor = anchor
        token = _MODE.set(mode)
        try:
            fn()
        finally:
            _MODE.reset(token)
            mode.anchor = None

    try:
        jax.eval_shape(body, jax.ShapeDtypeStruct((), "int32"))
    except Exception as err:
        error = err
    return list(mode.records), error
