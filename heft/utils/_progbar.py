"""``Progbar``: a progress bar for your own loops, drawn as ``fit``'s bar is."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..callbacks._progbar import ProgbarLogger


class Progbar:
    """A progress bar you advance yourself, with running averages of named values.

    The bar is drawn by :class:`heft.callbacks.ProgbarLogger` (so it looks as
    ``fit``'s does: live on a terminal, plain lines otherwise, or to the
    ``"heft"`` logger when interactive logging is off). Values are averaged
    over the steps they were reported for, except the names in
    ``stateful_metrics`` (shown as given), and the values passed to the final
    update, which are shown as given, as Keras's ``Progbar`` does.

    Args:
        target: Total number of steps, ``None`` if unknown.
        width: Width of the bar in characters.
        verbose: 0 (silent), 1 (bar) or 2 (one line when finished).
        interval: Least number of seconds between two redraws.
        stateful_metrics: Names whose values are shown as given. Give this or
            ``stateless_metrics``, not both.
        stateless_metrics: Names to average; then every other name is shown as
            given.
        unit_name: What a step is called (``"step"``, ``"sample"``).

    Raises:
        ValueError: If both ``stateful_metrics`` and ``stateless_metrics`` are given.

    >>> bar = Progbar(4, verbose=2)
    >>> for step in range(1, 5):
    ...     bar.update(step, [("loss", float(step))])  # doctest: +ELLIPSIS
    4/4 - 0s - ... - loss: 4.0000
    """

    def __init__(
        self,
        target: int | None,
        width: int = 20,
        verbose: int = 1,
        interval: float = 0.05,
        stateful_metrics: Iterable[str] | None = None,
        stateless_metrics: Iterable[str] | None = None,
        unit_name: str = "step",
    ) -> None:
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` or `stateless_metrics` can be provided: "
                "`stateful_metrics` lists the names shown as given (the rest are averaged), "
                "`stateless_metrics` the names averaged (the rest are shown as given)."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics: set[str] | None
        self.stateless_metrics: set[str] | None
        if stateless_metrics is not None:
            self.stateful_metrics, self.stateless_metrics = None, set(stateless_metrics)
        else:
            self.stateful_metrics, self.stateless_metrics = set(stateful_metrics or ()), None
        self._seen_so_far = 0
        self._values: dict[str, list[Any]] = {}
        self._values_order: list[str] = []
        self._bar = ProgbarLogger()
        self._bar.set_params({"verbose": verbose, "epochs": 1, "steps": target})
        self._bar.refresh_interval = interval
        self._bar.bar_width = width
        self._bar._reset()

    def _averaged(self, name: str) -> bool:
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in (self.stateless_metrics or ())

    def update(
        self,
        current: int,
        values: Iterable[tuple[str, Any]] | None = None,
        finalize: bool | None = None,
    ) -> None:
        """Move the bar to step ``current`` and record ``(name, value)`` pairs.

        Args:
            current: Index of the current step (steps done so far).
            values: ``(name, value_for_the_last_steps)`` pairs.
            finalize: Whether this is the last update; by default
                ``current >= target`` (never when ``target`` is ``None``).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values_order:
                self._values_order.append(name)
            if self._averaged(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total = self._values.get(name)
                if total is None:
                    self._values[name] = [value * steps, steps]
                else:
                    total[0] += value * steps
                    total[1] += steps
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current
        shown = {name: self._shown(name) for name in self._values_order}
        if finalize:
            self._bar.seen = current
            self._bar._finalize(shown)
            self._bar._reset()
        else:
            self._bar._update(current - 1, shown)

    def _shown(self, name: str) -> Any:
        total, count = self._values[name]
        if not isinstance(total, float):
            total = np.mean(total)
        return total / max(1, count)

    def add(self, n: int, values: Iterable[tuple[str, Any]] | None = None) -> None:
        """Advance the bar by ``n`` steps (see :meth:`update`)."""
        self.update(self._seen_so_far + n, values)
