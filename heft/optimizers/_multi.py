"""``OptimizerMap`` and ``MultiOptimizer``: different optimizers for different variables."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from typing import Any

from .. import _registry
from .._variable import Variable
from ._optimizer import Optimizer
from ._slots import key


def _forbidden_inner(optimizer: Any) -> str | None:
    """Why ``optimizer`` cannot be an inner optimizer (``None`` when it can)."""
    if isinstance(optimizer, MultiOptimizer):
        return "MultiOptimizer"
    if any(cls.__name__ == "LossScaleOptimizer" for cls in type(optimizer).__mro__):
        return "LossScaleOptimizer"
    return None


class OptimizerMap(MutableMapping):
    """Variable paths (exact or regular expressions) mapped to optimizers, with a default.

    Called with a variable, returns the optimizer for its ``path``: the one
    stored under exactly that path if any, else the one whose key matches the
    whole path as a regular expression (``re.fullmatch``), else
    ``default_optimizer``.

    Args:
        default_optimizer: The optimizer of every variable no key matches.
        optimizer_map: Optional initial ``{key: optimizer}`` dict (taken as is;
            keys added later with ``map[key] = optimizer`` are checked).

    Raises:
        TypeError: If ``default_optimizer`` is not an ``Optimizer`` or
            ``optimizer_map`` is not a dict.

    >>> from heft.optimizers import SGD, Adam
    >>> opt_map = OptimizerMap(default_optimizer=Adam(name="adam"))
    >>> opt_map[".*bias"] = SGD(name="sgd")
    >>> opt_map["dense/bias"].name, opt_map["dense/kernel"].name
    ('sgd', 'adam')
    """

    def __init__(
        self, default_optimizer: Optimizer, optimizer_map: dict[str, Optimizer] | None = None
    ) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "default_optimizer must be a heft Optimizer instance, such as "
                f"`heft.optimizers.Adam()`. Received: {default_optimizer!r}"
            )
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "optimizer_map must be a dictionary from variable paths (or regular "
                f"expressions) to optimizers. Received: {optimizer_map!r}"
            )
        self._default_optimizer = default_optimizer
        self._optimizer_map: dict[str, Optimizer] = optimizer_map or {}

    @property
    def default_optimizer(self) -> Optimizer:
        """The optimizer of the variables no key matches."""
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        """The optimizer for the variable path ``key``.

        Raises:
            ValueError: If ``key`` is not stored exactly and more than one key
                matches it as a regular expression.
        """
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key}: its path matches the "
                f"patterns {matches}. Make the patterns exclusive, or add the exact path "
                "as a key."
            )
        if matches:
            return self._optimizer_map[matches[0]]
        return self._default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        """Map the path or pattern ``key`` to ``optimizer``.

        Raises:
            ValueError: If ``key`` is already present or is not a string, or
                ``optimizer`` is not an ``Optimizer`` (or is a ``MultiOptimizer``
                or ``LossScaleOptimizer``).
        """
        if key in self._optimizer_map:
            raise ValueError(
                f"'{key}' already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Each key can be set once; delete it first "
                "(`del optimizer_map[key]`) to replace it."
            )
        if not isinstance(key, str):
            raise ValueError(
                f"key must be a string (a variable path or a regular expression). Received: {key!r}"
            )
        if not isinstance(optimizer, Optimizer):
            raise ValueError(
                f"optimizer must be a heft Optimizer instance. Received: {optimizer!r}"
            )
        forbidden = _forbidden_inner(optimizer)
        if forbidden is not None:
            raise ValueError(
                f"optimizer cannot be {forbidden}: an OptimizerMap holds plain optimizers. "
                "Pass the optimizer it wraps instead."
            )
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self) -> Iterator[str]:
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        """The optimizer for ``variable`` (looked up by its ``path``)."""
        return self[variable.path]

    def get_config(self) -> dict[str, Any]:
        """``default_optimizer`` and ``optimizer_map``, serialized (Keras's keys)."""
        from ._get import serialize

        return {
            "default_optimizer": serialize(self._default_optimizer),
            "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()},
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> OptimizerMap:
        """Rebuild the map (with new, unbuilt optimizers) from ``get_config``'s output."""
        from ._get import deserialize

        default = deserialize(config["default_optimizer"], custom_objects)
        mapping = {
            k: deserialize(v, custom_objects) for k, v in (config["optimizer_map"] or {}).items()
        }
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer ``optimizer_map`` returns for it.

    ``optimizer_map`` is an ``OptimizerMap`` or any callable taking a variable
    and returning an optimizer. ``build`` asks it once per variable; each inner
    optimizer then keeps its own state (iteration, learning rate, slots) for
    the variables it was given and is applied to those only (an inner
    optimizer given no variable is neither built nor stepped).

    ``variables`` lists this optimizer's ``iteration`` and (always zero)
    ``learning_rate``, then the variables of each inner optimizer in the order
    of ``optimizers``: those of the map's values, then its default, then any
    other optimizer the callable returned, in the order first returned. Saved
    files hold these under ``optimizer/vars`` and, as Keras writes them, each
    inner optimizer's again under ``optimizer/optimizers/<snake_case class>``.

    The learning rate is per inner optimizer: reading or setting
    ``learning_rate`` here raises ``AttributeError``. ``loss_scale_factor``
    overrides the inner optimizers' own factors (``None`` included).

    Args:
        optimizer_map: An ``OptimizerMap`` or a callable ``variable -> Optimizer``.
        loss_scale_factor: Loss scale factor, set on every inner optimizer.
        name: The optimizer's name (default ``"multi_optimizer"``).

    Raises:
        TypeError: If ``optimizer_map`` is not callable.

    >>> import jax.numpy as jnp
    >>> from heft.optimizers import SGD
    >>> kernel, bias = Variable([1.0], name="kernel"), Variable([1.0], name="bias")
    >>> opt = MultiOptimizer(OptimizerMap(SGD(0.5), {"bias": SGD(0.25)}))
    >>> opt.apply([jnp.ones(1), jnp.ones(1)], [kernel, bias])
    >>> kernel.numpy().tolist(), bias.numpy().tolist()
    ([0.5], [0.75])
    """

    def __init__(
        self,
        optimizer_map: OptimizerMap | Callable[[Any], Optimizer],
        loss_scale_factor: float | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(optimizer_map):
            raise TypeError(
                "optimizer_map must be an OptimizerMap or a callable returning the optimizer "
                f"of a variable. Received: {optimizer_map!r}. Wrap a dict as "
                "`OptimizerMap(default_optimizer, {pattern: optimizer})`."
            )
        self._inner_optimizers: list[Optimizer] = []
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._assignment: dict[int, int] = {}
        candidates = list(optimizer_map.values()) if isinstance(optimizer_map, Mapping) else []
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None:
            candidates.append(default)
        for opt in candidates:
            if not any(opt is known for known in self._inner_optimizers):
                opt.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(opt)

    # ------------------------------------------------------------------ attributes
    @property
    def optimizers(self) -> list[Optimizer]:
        """The inner optimizers, in the order their variables are listed."""
        return self._inner_optimizers

    @property
    def learning_rate(self) -> Any:
        """Not available: each inner optimizer has its own (raises ``AttributeError``)."""
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Read it on the inner "
            "optimizers instead: `[opt.learning_rate for opt in multi.optimizers]`."
        )

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set it on the inner "
            "optimizers instead: `multi.optimizers[i].learning_rate = value`."
        )

    @property
    def loss_scale_factor(self) -> float | None:
        """The loss scale factor, shared by every inner optimizer."""
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: float | None) -> None:
        self._loss_scale_factor = value
        for opt in self.__dict__.get("_inner_optimizers", ()):
            opt.loss_scale_factor = value

    @property
    def iterations(self) -> Variable:
        """The number of ``apply`` calls (the inner optimizers count their own steps)."""
        return self._iterations

    @property
    def variables(self) -> list[Variable]:  # type: ignore[override]
        """``iteration``, ``learning_rate``, extra variables, then each inner optimizer's."""
        out = [self._iterations, self._learning_rate, *self._extra_variables]
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    def _saved_children(self) -> list[tuple[str, list[Any]]]:
        """Objects saved below this one: the inner optimizers, under ``optimizers``."""
        return [("optimizers", list(self._inner_optimizers))]

    # ------------------------------------------------------------------ building
    def _assign(self, variable: Any) -> int:
        opt = self._optimizer_map(variable)
        if not isinstance(opt, Optimizer):
            raise ValueError(
                f"Optimizer for variable {variable} is not an Optimizer instance: the "
                f"optimizer map returned {opt!r}. Return a heft optimizer for every variable."
            )
        forbidden = _forbidden_inner(opt)
        if forbidden is not None:
            raise ValueError(
                f"{forbidden} cannot be used inside a MultiOptimizer (returned for variable "
                f"{variable.path}). Use the optimizer it wraps."
            )
        for i, known in enumerate(self._inner_optimizers):
            if opt is known:
                return i
        opt.loss_scale_factor = self.loss_scale_factor
        self._inner_optimizers.append(opt)
        return len(self._inner_optimizers) - 1

    def build(self, variables: Iterable[Any]) -> None:
        """Assign each variable to its inner optimizer and build those that received some.

        Calling it again with new variables assigns and builds those only.

        Raises:
            ValueError: If the map returns something that is not a plain optimizer
                for a variable, or a variable matches several patterns.
        """
        ordered = list({key(v): v for v in variables}.values())
        new = [v for v in ordered if key(v) not in self._assignment]
        assignment = dict(self._assignment)
        for v in new:
            assignment[key(v)] = self._assign(v)
        self._assignment = assignment
        for i, opt in enumerate(self._inner_optimizers):
            own = [v for v in ordered if assignment[key(v)] == i]
            if own:
                opt.build(own)
        self._trainable_variables = ordered
        self.built = True

    def _groups_of(self, active: Sequence[Any]) -> list[list[int]]:
        """Positions in ``active`` of the variables of each inner optimizer."""
        groups: list[list[int]] = [[] for _ in self._inner_optimizers]
        for position, v in enumerate(active):
            groups[self._assignment[key(v)]].append(position)
        return groups

    def _check_known(self, variables: Sequence[Any]) -> None:
        for v in variables:
            if key(v) not in self._assignment:
                raise ValueError(
                    f"Unknown variable: {v!r}. This optimizer has not assigned it to an inner "
                    "optimizer. Call `optimizer.build(variables)` with the new list of "
                    "trainable variables first (existing state is kept)."
                )

    # ------------------------------------------------------------------ applying
    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
        variables: Sequence[Any] | None = None,
    ) -> tuple[list, list]:
        """Pure version of ``apply``: each inner optimizer's ``stateless_apply`` on its share.

        Args:
            optimizer_variables: The values of ``self.variables``, in that order.
            grads: One gradient per entry of ``trainable_variables``.
            trainable_variables: The values of the variables being trained (by
                default those of the last ``build``; else those of ``variables``).
            variables: Optionally, the ``Variable`` objects of the values.

        Returns:
            ``(new_trainable_values, new_optimizer_values)``.

        Raises:
            ValueError: If the optimizer is not built, a list has the wrong
                length, or ``variables`` holds a variable never built.
        """
        if not self.built:
            raise ValueError(
                "To call `stateless_apply`, MultiOptimizer must be built (i.e. its variables "
                "must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        opt_vars = self.variables
        if len(optimizer_variables) != len(opt_vars):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 "
                f"to MultiOptimizer().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(opt_vars)} variables. Pass "
                "`[v.value for v in optimizer.variables]`."
            )
        active = self._trainable_variables if variables is None else list(variables)
        self._check_known(active)
        if len(trainable_variables) != len(active) or len(grads) != len(active):
            raise ValueError(
                "Arguments `trainable_variables` and `grads` must correspond 1:1 to the "
                f"{len(active)} variables being trained. Received {len(trainable_variables)} "
                f"values and {len(grads)} gradients."
            )
        new_opt = list(optimizer_variables)
        new_params = list(trainable_variables)
        start = 2 + len(self._extra_variables)
        for opt, positions in zip(self._inner_optimizers, self._groups_of(active), strict=True):
            stop = start + len(opt.variables)
            if positions:
                params, values = opt.stateless_apply(
                    new_opt[start:stop],
                    [grads[p] for p in positions],
                    [trainable_variables[p] for p in positions],
                    variables=[active[p] for p in positions],
                )
                new_opt[start:stop] = values
                for p, value in zip(positions, params, strict=True):
                    new_params[p] = value
            start = stop
        new_opt[0] = optimizer_variables[0] + 1
        return new_params, new_opt

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Update variables from their gradients, each by its inner optimizer (eagerly).

        Args:
            grads: One gradient per variable.
            trainable_variables: The variables; by default those of the last
                ``build``. Variables never built are assigned first.

        Raises:
            ValueError: If ``trainable_variables`` is omitted before ``build``
                or the counts differ.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first."
                )
            active = self._trainable_variables
        else:
            active = list(trainable_variables)
        if len(grads) != len(active):
            raise ValueError(
                "Gradients must match trainable variables one-to-one. Received "
                f"{len(grads)} gradients and {len(active)} variables."
            )
        if not self.built or any(key(v) not in self._assignment for v in active):
            self.build(active if not self.built else [*self._trainable_variables, *active])
        for opt, positions in zip(self._inner_optimizers, self._groups_of(active), strict=True):
            if positions:
                opt.apply([grads[p] for p in positions], [active[p] for p in positions])
        self._iterations.assign(self._iterations.value + 1)

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """Let each inner optimizer finalize its share of ``var_list`` (moving averages)."""
        self._check_known(var_list)
        for opt, positions in zip(self._inner_optimizers, self._groups_of(var_list), strict=True):
            if positions:
                opt.finalize_variable_values([var_list[p] for p in positions])

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """``optimizer_map`` (serialized), ``loss_scale_factor`` and ``name`` (Keras's keys).

        A callable ``optimizer_map`` is saved by its registered name.
        """
        return {
            "optimizer_map": _registry.serialize_object(self._optimizer_map, "keras.optimizers"),
            "loss_scale_factor": self.loss_scale_factor,
            "name": self.name,
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> MultiOptimizer:
        """Rebuild the optimizer (and new inner optimizers) from ``get_config``'s output.

        Raises:
            ValueError: If a saved callable ``optimizer_map`` is not registered.
        """
        config = dict(config)
        saved = config["optimizer_map"]
        if isinstance(saved, str):
            found = _registry.get_registered_object(saved, custom_objects)
            if found is None:
                raise ValueError(
                    f"Could not find the optimizer_map function {saved!r}. Register it with "
                    "`heft.saving.register_keras_serializable()` or pass it in "
                    "`custom_objects`."
                )
            config["optimizer_map"] = found
        elif isinstance(saved, Mapping) and saved.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(saved["config"], custom_objects)
        else:
            from ._get import deserialize

            config["optimizer_map"] = deserialize(saved, custom_objects)
        return cls(**config)
