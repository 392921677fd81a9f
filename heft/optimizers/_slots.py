"""The optimizer variables kept per model variable, keyed by identity, in build order."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import optax

from .._variable import Variable
from . import _step


def key(variable: Any) -> int:
    """The identity key of a variable (heft Variables are unhashable, as Keras's)."""
    return id(variable)


def overwrites(variable: Any) -> bool:
    """Whether the optimizer sets ``variable`` to its gradient instead of updating it."""
    return bool(getattr(variable, "overwrite_with_gradient", False))


def slot_name(reference: Any, slot: str) -> str:
    """Keras's slot name: ``<reference path with '/' -> '_'>_<slot>``."""
    return f"{reference.path.replace('/', '_')}_{slot}"


class SlotTable:
    """Per-variable slots (rule slots, EMA averages, gradient accumulators) and shared slots.

    Variables are kept in build order; ``add`` creates the slots of new
    variables as ``Variable``s (the caller opens the optimizer's name scope),
    ``state`` and ``unstate`` convert between those variables' values and the
    pure step's ``OptimizerState`` over any subset of the known variables.
    """

    def __init__(self) -> None:
        self.order: list[Any] = []
        self._index: dict[int, int] = {}
        self._slots: dict[int, dict[str, Variable]] = {}
        self._averages: dict[int, Variable] = {}
        self._accumulators: dict[int, Variable] = {}
        self._shared: dict[str, Variable] = {}

    def knows(self, variable: Any) -> bool:
        return key(variable) in self._index

    def average(self, variable: Any) -> Variable | None:
        return self._averages.get(key(variable))

    def slot(self, variable: Any, field: str) -> Variable | None:
        """The rule slot ``field`` of ``variable``, or ``None`` when it has none."""
        return self._slots.get(key(variable), {}).get(field)

    def add(
        self,
        new: Sequence[Any],
        ordered: Sequence[Any] | None,
        rule: optax.GradientTransformationExtraArgs,
        use_ema: bool,
        accumulate: bool,
        slot_names: Callable[[Any, str], str | None] | None = None,
    ) -> None:
        """Create the slots of ``new`` (variables not known yet).

        The build order becomes ``ordered`` followed by the known variables
        absent from it, or, when ``ordered`` is ``None``, the old order
        followed by ``new``. ``slot_names(variable, field)`` may name a rule
        slot itself (Adafactor's factored slots); ``None`` keeps Keras's
        ``<variable path>_<field>``.
        """
        first = not self.order
        normal = [v for v in new if not overwrites(v)]
        shapes = [jax.ShapeDtypeStruct(tuple(v.shape), jnp.dtype(v.dtype)) for v in normal]
        state = rule.init(shapes)
        if use_ema:
            for v in normal:
                self._averages[key(v)] = _slot(v, "average", None)
        if accumulate:
            for v in new:
                self._accumulators[key(v)] = _slot(v, "gradient_accumulator", None)
        for v in new:
            self._slots[key(v)] = {}
        for field, value in zip(state._fields, state, strict=True):
            if _step.is_per_variable(value):
                for v, init in zip(normal, value, strict=True):
                    if init is None:
                        continue  # a slot this variable does not have (Muon's velocity)
                    name = slot_names(v, field) if slot_names is not None else None
                    self._slots[key(v)][field] = _slot(v, field, init, name)
            elif value is not None and first:
                # Keras gives shared slots (Nadam's u_product) an automatic name.
                self._shared[field] = Variable(value, trainable=False)
        if ordered is None:
            self.order = [*self.order, *new]
        else:
            seen = {key(v) for v in ordered}
            self.order = [*ordered, *[v for v in self.order if key(v) not in seen]]
        self._index = {key(v): i for i, v in enumerate(self.order)}

    def variables(self, groups: Sequence[Sequence[str]]) -> list[Variable]:
        """Keras's order: averages, accumulators, rule slots group by group, shared slots.

        Within a group (e.g. Adam's ``("momentum", "velocity")``) the slots are
        interleaved per variable, in build order.
        """
        keys = [key(v) for v in self.order]
        out = [self._averages[k] for k in keys if k in self._averages]
        out.extend(self._accumulators[k] for k in keys if k in self._accumulators)
        for group in groups:
            for k in keys:
                slots = self._slots[k]
                out.extend(slots[name] for name in group if name in slots)
        out.extend(self._shared.values())
        return out

    def state(
        self,
        values: Mapping[int, Any],
        active: Sequence[Any],
        template: Any,
        use_ema: bool,
        accumulate: bool,
    ) -> tuple[list | None, list | None, Any]:
        """``(average, accumulator, rule_state)`` over ``active``, read from ``values`` by id.

        ``template`` is the rule's state over no variables (``rule.init([])``).
        """
        keys = [key(v) for v in active]

        def per_variable(table: Mapping[int, Variable]) -> list:
            return [values[key(table[k])] if k in table else None for k in keys]

        fields = []
        for field, value in zip(template._fields, template, strict=True):
            if _step.is_per_variable(value):
                fields.append(
                    [
                        values[key(self._slots[k][field])] if field in self._slots[k] else None
                        for k in keys
                    ]
                )
            elif value is None:
                fields.append(None)
            else:
                fields.append(values[key(self._shared[field])])
        return (
            per_variable(self._averages) if use_ema else None,
            per_variable(self._accumulators) if accumulate else None,
            type(template)(*fields),
        )

    def unstate(self, state: _step.OptimizerState, active: Sequence[Any]) -> dict[int, Any]:
        """The new values of the slot variables of ``active`` (and shared slots), by id."""
        out: dict[int, Any] = {}
        keys = [key(v) for v in active]
        for table, values in (
            (self._averages, state.average),
            (self._accumulators, state.accumulator),
        ):
            for k, value in zip(keys, values or [None] * len(keys), strict=True):
                if k in table:
                    out[key(table[k])] = value
        for field, value in zip(state.rule._fields, state.rule, strict=True):
            if _step.is_per_variable(value):
                for k, slot_value in zip(keys, value, strict=True):
                    if field in self._slots[k]:
                        out[key(self._slots[k][field])] = slot_value
            elif value is not None and field in self._shared:
                out[key(self._shared[field])] = value
        return out


def _slot(reference: Any, slot: str, value: Any, name: str | None = None) -> Variable:
    if value is None:
        value = jnp.zeros(tuple(reference.shape), reference.dtype)
    # A slot shaped like its variable shares its layout and dtype; factored or
    # placeholder slots (Adafactor's) keep their own.
    same_shape = tuple(value.shape) == tuple(reference.shape)
    return Variable(
        value,
        dtype=reference.dtype if same_shape else value.dtype,
        trainable=False,
        name=name or slot_name(reference, slot),
        layout=getattr(reference, "layout", None) if same_shape else None,
    )
