"""The values a step function takes and returns: the model's state as named lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple


class TrainState(NamedTuple):
    """What ``train_step(state, data)`` receives and returns, as Keras's JAX trainer orders it.

    Each field is a list of arrays, one per variable of the matching list:
    ``model.trainable_variables``, ``model.non_trainable_variables``,
    ``model.optimizer.variables`` and ``model.metrics_variables``. A plain
    4-tuple works wherever a ``TrainState`` is expected (Keras passes tuples),
    and a step may return either.

    >>> state = TrainState([1.0], [], [0], [])
    >>> trainable, non_trainable, optimizer, metrics = state
    >>> state.trainable_variables
    [1.0]
    """

    trainable_variables: list[Any]
    non_trainable_variables: list[Any]
    optimizer_variables: list[Any]
    metrics_variables: list[Any]


class TestState(NamedTuple):
    """What ``test_step(state, data)`` receives and returns (no optimizer state)."""

    trainable_variables: list[Any]
    non_trainable_variables: list[Any]
    metrics_variables: list[Any]


# Not a test class, whatever its name says to pytest.
TestState.__test__ = False  # type: ignore[attr-defined]


class PredictState(NamedTuple):
    """What ``predict_step(state, data)`` receives: the model's variables only."""

    trainable_variables: list[Any]
    non_trainable_variables: list[Any]


State = TrainState | TestState | PredictState


def as_state(kind: type[State], value: Any, step: str) -> State:
    """``value`` (a tuple or list of lists returned by a step) as a ``kind`` of lists.

    Raises:
        ValueError: If ``value`` does not have ``kind``'s number of parts.
    """
    if isinstance(value, kind):
        return value
    if not isinstance(value, Sequence) or len(value) != len(kind._fields):
        raise ValueError(
            f"`{step}` must return `(logs, state)` where state has {len(kind._fields)} parts "
            f"({', '.join(kind._fields)}), as it received them. Received a state of type "
            f"{type(value).__name__}"
            + (f" with {len(value)} parts" if isinstance(value, Sequence) else "")
            + "."
        )
    return kind(*(list(part) for part in value))


def unaliased(state: State) -> State:
    """``state`` with each array that appears a second time replaced by a copy.

    A jitted train step donates its state's buffers, and XLA refuses to
    donate one buffer twice. Variables may share an array (a metric's
    ``reset_state`` assigning one zeros array to all its variables, or
    ``a.assign(x); b.assign(x)``), so the state read from them is de-aliased
    before it is donated.
    """
    seen: set[int] = set()
    parts = []
    for part in state:
        values = []
        for value in part:
            if id(value) in seen:
                value = value.copy()
            else:
                seen.add(id(value))
            values.append(value)
        parts.append(values)
    return type(state)(*parts)
