"""``Metric``: the base of stateful metrics, with a pure (stateless) API for ``jax.jit``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from .. import _config, _naming, _scope, _tracking
from .. import dtype_policies as _dtype_policies
from .._variable import Variable


class _MetricTracker(_tracking.Tracker):
    """Keeps a metric's variables in one store in assignment order, and its sub-metrics."""

    def _store_for(self, value: Any) -> list[Any] | None:
        kind = _tracking.kind_of(value)
        if kind == "variable":
            return self.non_trainable_variables
        if kind == "metric":
            return self.metrics
        return None


class Metric:
    """Accumulated statistics over batches, held in non-trainable variables.

    Subclasses create their state in ``__init__`` with ``add_variable``, update
    it in ``update_state`` with ``variable.assign(...)``, and compute the value
    in ``result``. The same code runs eagerly and, through the ``stateless_*``
    methods, as a pure function inside ``jax.jit``.

    Args:
        dtype: The dtype of the metric's computations (a dtype name or a
            ``DTypePolicy``, whose compute dtype is used). Defaults to
            ``floatx()``.
        name: The metric's name; an automatic snake_case name by default.

    >>> import heft
    >>> class Total(Metric):
    ...     def __init__(self, name="total_metric"):
    ...         super().__init__(name=name)
    ...         self.total = self.add_variable((), "zeros", name="total")
    ...     def update_state(self, values):
    ...         self.total.assign_add(heft.ops.sum(values))
    ...     def result(self):
    ...         return self.total.value
    >>> m = Total()
    >>> float(m([1.0, 2.0])), [v.path for v in m.variables]
    (3.0, ['total_metric/total'])
    """

    _tracking_kind = "metric"

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        object.__setattr__(self, "_tracker", _MetricTracker(name or type(self).__name__))
        self.name = name or _naming.auto_name(type(self).__name__)
        self._dtype_policy = _dtype_policies.get(dtype or _config.floatx())
        self._dtype = self._dtype_policy.compute_dtype

    # ------------------------------------------------------------------ tracking
    def __setattr__(self, name: str, value: Any) -> None:
        tracker = self.__dict__.get("_tracker")
        if tracker is not None:
            value = tracker.track(value)
        object.__setattr__(self, name, value)

    def _check_super_called(self) -> None:
        if "_tracker" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__} was used before `Metric.__init__` ran: its "
                "`__init__` must call `super().__init__(...)` before creating variables "
                "or being called. Add that call at the top of `__init__`."
            )

    @property
    def variables(self) -> list[Variable]:
        """This metric's variables in creation order, then those of its sub-metrics."""
        if "_tracker" not in self.__dict__:
            return []
        out = list(self._tracker.non_trainable_variables)
        for metric in self._tracker.metrics:
            out.extend(metric.variables)
        return out

    @property
    def dtype(self) -> str:
        """The compute dtype of the metric (``floatx()`` by default)."""
        return self._dtype

    def add_variable(
        self,
        shape: Any,
        initializer: Any,
        dtype: Any = None,
        aggregation: str = "sum",
        name: str | None = None,
    ) -> Variable:
        """Create a non-trainable state variable at path ``<metric name>/<name>``.

        Args:
            shape: The variable's shape.
            initializer: An initializer name (``"zeros"``), instance or callable.
            dtype: The variable's dtype; ``floatx()`` by default.
            aggregation: How values combine across replicas (``"sum"``,
                ``"mean"``, ``"none"`` or ``"only_first_replica"``).
            name: The variable's name.

        Returns:
            The new ``heft.Variable``, tracked in ``self.variables``.

        Raises:
            RuntimeError: If ``super().__init__()`` was not called first.
        """
        from .. import initializers

        self._check_super_called()
        with _scope.name_scope(self.name.replace("/", ">"), caller=self):
            variable = Variable(
                initializer=initializers.get(initializer),
                shape=shape,
                dtype=dtype,
                trainable=False,
                aggregation=aggregation,
                synchronization="on_read",
                name=name,
            )
        self._tracker.add(variable)
        return variable

    def add_weight(
        self, shape: Any = (), initializer: Any = None, dtype: Any = None, name: str | None = None
    ) -> Variable:
        """Alias of ``add_variable`` kept for older code."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    # ------------------------------------------------------------------ stateful API
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics from one batch (implemented by subclasses)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement `update_state`. Subclasses of "
            "`Metric` must define `update_state(...)` to accumulate their statistics."
        )

    def result(self) -> Any:
        """The metric's current value (implemented by subclasses)."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement `result`. Subclasses of `Metric` "
            "must define `result()` returning the value computed from their variables."
        )

    def reset_state(self) -> None:
        """Set every state variable back to zeros."""
        for variable in self.variables:
            variable.assign(jnp.zeros(variable.shape, dtype=variable.dtype))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update the state with one batch, then return ``result()``."""
        self._check_super_called()
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------ stateless API
    def _mapping(self, metric_variables: Sequence[Any]) -> list[tuple[Variable, Any]]:
        variables = self.variables
        if len(metric_variables) != len(variables):
            raise ValueError(
                "Argument `metric_variables` must be a list of values corresponding 1:1 "
                f"to {type(self).__name__}().variables ({len(variables)} variables: "
                f"{[v.path for v in variables]}). Received a list of length "
                f"{len(metric_variables)}. Pass `[v.value for v in metric.variables]` or "
                "the list returned by a previous stateless call."
            )
        return list(zip(variables, metric_variables, strict=True))

    def stateless_update_state(
        self, metric_variables: Sequence[Any], *args: Any, **kwargs: Any
    ) -> list[jax.Array]:
        """Pure ``update_state``: return the new variable values, change nothing.

        Args:
            metric_variables: The current values, one per ``self.variables``.
            *args: Passed to ``update_state``.
            **kwargs: Passed to ``update_state``.

        Returns:
            The updated values, in the order of ``self.variables``.

        Raises:
            ValueError: If ``metric_variables`` has the wrong length.
        """
        mapping = self._mapping(metric_variables)
        with _scope.StatelessScope(state_mapping=mapping) as scope:
            self.update_state(*args, **kwargs)
        return [scope.get_current_value(v) for v, _ in mapping]

    def stateless_result(self, metric_variables: Sequence[Any]) -> Any:
        """Pure ``result``: the value the metric has with ``metric_variables`` as state.

        Raises:
            ValueError: If ``metric_variables`` has the wrong length.
        """
        mapping = self._mapping(metric_variables)
        with _scope.StatelessScope(state_mapping=mapping):
            return self.result()

    def stateless_reset_state(self) -> list[jax.Array]:
        """Pure ``reset_state``: the values the variables have after a reset."""
        variables = self.variables
        with _scope.StatelessScope() as scope:
            self.reset_state()
        out = []
        for variable in variables:
            value = scope.get_current_value(variable)
            out.append(variable.value if value is None else value)
        return out

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The arguments that recreate this metric (``name`` and ``dtype`` here)."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Create a metric from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
