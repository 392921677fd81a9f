"""``SymbolicScope``: marks the symbolic stage (shape inference on ``KerasTensor``s).

heft enters it where Keras 3 does: around every trace that infers a call's output
shapes and dtypes (``compute_output_spec``), which is what runs when a layer or an
op is called on symbolic tensors to build a Functional graph, and when a layer is
built by running its ``call`` on symbolic inputs. Code inside a ``call`` can ask
:func:`in_symbolic_scope` whether it is being traced for shapes only (and, for
instance, skip a side effect that needs real values).

The scope is per thread, as Keras's is.
"""

from __future__ import annotations

import threading

_state = threading.local()


class SymbolicScope:
    """Scope marking the symbolic stage: inside it, calls run on shapes, not on data.

    Entering makes this scope the current one; leaving restores the scope that was
    current before (scopes nest).

    >>> in_symbolic_scope()
    False
    >>> with SymbolicScope() as scope:
    ...     in_symbolic_scope(), get_symbolic_scope() is scope
    (True, True)
    >>> in_symbolic_scope()
    False
    """

    def __enter__(self) -> SymbolicScope:
        self.original_scope = get_symbolic_scope()
        _state.scope = self
        return self

    def __exit__(self, *exc: object) -> None:
        _state.scope = self.original_scope


def get_symbolic_scope() -> SymbolicScope | None:
    """The current ``SymbolicScope`` of this thread, or ``None`` outside any."""
    return getattr(_state, "scope", None)


def in_symbolic_scope() -> bool:
    """Whether this thread is inside a ``SymbolicScope`` (tracing shapes, not computing)."""
    return getattr(_state, "scope", None) is not None
