"""A layer's tracked state: sublayers, variables, metrics and losses, and the lists showing them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .. import _scope, _tracking
from .._variable import Variable, _is_tracer


class LayerState:
    """Tracking and the state lists of ``Layer`` (``weights``, ``variables``, ``losses``...).

    Assigning an attribute tracks what it holds (variables, layers, metrics,
    seed generators, also inside lists and dicts), in declaration order; the
    lists below read those stores. After ``build`` the stores are locked, so
    state created too late fails loudly instead of missing from saved files.
    """

    _tracker: _tracking.Tracker
    _name: str
    built: bool
    _losses: list[Any]
    _loss_ids: set[int]

    # ---------------------------------------------------------------- tracking
    def _ensure_tracker(self) -> None:
        if "_tracker" not in self.__dict__:
            object.__setattr__(
                self, "_tracker", _tracking.Tracker(self.__dict__.get("_name", type(self).__name__))
            )

    def __setattr__(self, name: str, value: Any) -> None:
        if name != "_tracker" and not name.startswith("__"):
            self._ensure_tracker()
            value = self._tracker.track(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        value = getattr(self, name)
        object.__delattr__(self, name)
        tracker = self.__dict__.get("_tracker")
        if tracker is not None:
            was_locked = tracker.locked
            tracker.locked = False
            try:
                tracker.untrack(value)
            finally:
                tracker.locked = was_locked

    def _check_super_called(self) -> None:
        if not self.__dict__.get("_called_super_init", False):
            raise RuntimeError(
                f"In layer '{type(self).__name__}', you forgot to call `super().__init__()` "
                "as the first statement in the `__init__()` method. Go add it!"
            )

    def _lock_state(self) -> None:
        self._tracker.locked = True

    def _track_variable(self, variable: Variable) -> None:
        self._tracker.add(variable)
        if not self.trainable:
            variable.trainable = False

    def _untrack_variable(self, variable: Variable) -> None:
        was_locked = self._tracker.locked
        self._tracker.locked = False
        try:
            self._tracker.remove(variable)
        finally:
            self._tracker.locked = was_locked

    # ---------------------------------------------------------------- freezing
    @property
    def trainable(self) -> bool:
        return self.__dict__.get("_trainable", True)

    @trainable.setter
    def trainable(self, value: bool) -> None:
        """Freeze (``False``) or unfreeze this layer and, recursively, its sublayers."""
        value = bool(value)
        self._trainable = value
        for v in self._tracker.trainable_variables:
            v.trainable = value
        for layer in self._tracker.layers:
            layer.trainable = value

    # ---------------------------------------------------------------- state lists
    def _own_variables(self) -> list[Variable]:
        # The tracker holds each variable once, in one of its two lists.
        tracker = self._tracker
        return tracker.trainable_variables + tracker.non_trainable_variables

    def _with_sublayers(self, own: list[list[Variable]], attribute: str) -> list[Variable]:
        """The ``own`` lists, then each sublayer's ``attribute`` list, each variable once."""
        return _once([*own, *(getattr(layer, attribute) for layer in self._tracker.layers)])

    def _of_trainability(self, variables: list[Variable], trainable: bool) -> list[Variable]:
        """The ``variables`` whose ``trainable`` flag is ``trainable``; a frozen layer has none."""
        if not self.trainable:
            return [] if trainable else variables
        return [v for v in variables if v.trainable == trainable]

    @property
    def weights(self) -> list[Variable]:
        """All weights: own ones (trainable-tracked first), then each sublayer's."""
        return self._with_sublayers([self._own_variables()], "weights")

    @property
    def trainable_weights(self) -> list[Variable]:
        return self._of_trainability(self.weights, True)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return self._of_trainability(self.weights, False)

    @property
    def variables(self) -> list[Variable]:
        """Weights plus seed-generator states (metric variables excluded)."""
        seeds = [sg.state for sg in self._tracker.seed_generators]
        return self._with_sublayers([self._own_variables(), seeds], "variables")

    @property
    def trainable_variables(self) -> list[Variable]:
        return self._of_trainability(self.variables, True)

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self._of_trainability(self.variables, False)

    @property
    def metrics(self) -> list[Any]:
        out = list(self._tracker.metrics)
        for layer in self._tracker.layers:
            out.extend(layer.metrics)
        return out

    @property
    def metrics_variables(self) -> list[Variable]:
        return [v for m in self.metrics for v in m.variables]

    def _flatten_layers(
        self, include_self: bool = True, recursive: bool = True
    ) -> Iterator[LayerState]:
        seen: set[int] = set()
        stack: list[LayerState] = [self] if include_self else list(reversed(self._tracker.layers))
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            if recursive or layer is self:
                stack.extend(reversed(layer._tracker.layers))

    # ---------------------------------------------------------------- losses
    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss (e.g. an activity penalty) to ``layer.losses``."""
        if isinstance(loss, Variable):
            loss = loss.value
        if not isinstance(loss, jax.Array) and not _is_tracer(loss):
            if isinstance(loss, int | float | np.ndarray | np.generic):
                loss = jnp.asarray(loss)
            else:
                raise ValueError(
                    "`add_loss()` can only be called from inside `build()` or `call()`, on a "
                    f"tensor input. Received invalid value: {loss}"
                )
        scope = _scope.stateless_scope()
        if scope is not None:
            scope.add_loss(loss)
            self._loss_ids.add(id(loss))
            return
        if _is_tracer(loss):
            return
        self._losses.append(loss)

    def _own_losses(self) -> list[Any]:
        scope = _scope.stateless_scope()
        if scope is not None:
            return [loss for loss in scope.losses if id(loss) in self._loss_ids]
        return list(self._losses)

    def _clear_losses(self) -> None:
        for layer in self._flatten_layers():
            layer._losses = []
            layer._loss_ids = set()

    @property
    def losses(self) -> list[Any]:
        """Losses added in the last call, then weight-regularization penalties.

        Weight penalties cover trainable weights only and are computed on each access.
        """
        losses = []
        for layer in self._flatten_layers():
            losses.extend(layer._own_losses())
        for v in self.trainable_weights:
            if v.regularizer is not None:
                losses.append(v.regularizer(v.value))
        return losses


def _once(lists: list[list[Variable]]) -> list[Variable]:
    """The variables of ``lists`` in order, each the first time it appears.

    Each list holds a variable at most once, so a single non-empty list is the answer.
    """
    filled = [variables for variables in lists if variables]
    if len(filled) == 1:
        return list(filled[0])
    return list({id(v): v for variables in filled for v in variables}.values())
