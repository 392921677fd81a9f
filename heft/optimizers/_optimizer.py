"""The stateful ``Optimizer`` base class: Keras 3's optimizer API over a pure optax step."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import jax.numpy as jnp
import optax

from .. import _config, _naming, _registry
from .._scope import name_scope
from .._variable import Variable
from . import _step
from ._arguments import check_arguments
from ._slots import SlotTable, key, overwrites, slot_name
from ._step import is_per_variable
from ._weights import OptimizerWeights
from .schedules import LearningRateSchedule
from .schedules import deserialize as deserialize_schedule
from .schedules import serialize as serialize_schedule


class Optimizer(OptimizerWeights):
    """Base class of heft optimizers, with Keras 3's API and update math.

    The update math is a pure function (``heft.optimizers._step.apply_step``
    around an optax update rule); this class keeps its state in ``Variable``s
    in Keras's order so that it can be saved and loaded like Keras's:
    ``iteration``, ``learning_rate`` (unless it is a schedule), then per
    variable the ``average`` slots (``use_ema``), the ``gradient_accumulator``
    slots, and the rule's slots (e.g. Adam's ``momentum`` and ``velocity``,
    interleaved per variable).

    Slots are kept per variable (by identity, in build order), so the set of
    trainable variables may change between steps: ``build`` called again with
    new variables only adds their slots, and ``apply``/``stateless_apply``
    update the variables they are given and leave the other slots untouched.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` (called with the
            iteration counter), or a callable taking no argument.
        weight_decay: If set, decoupled weight decay: before each update,
            ``v -= v * weight_decay * learning_rate``.
        clipnorm: If set, each gradient is rescaled to a norm of at most this.
        clipvalue: If set, gradients are clipped to ``[-clipvalue, clipvalue]``.
        global_clipnorm: If set, all gradients are rescaled together to a
            global norm of at most this.
        use_ema: Whether to keep an exponential moving average of the variables.
        ema_momentum: The moving average's momentum.
        ema_overwrite_frequency: If set, every this many steps the variables are
            overwritten by their moving average.
        loss_scale_factor: If set, gradients are divided by it (the loss is
            multiplied by it in ``scale_loss``).
        gradient_accumulation_steps: If set (``>= 2``), gradients are summed
            and the variables updated with their mean every this many steps.
        name: The optimizer's name; prefixes the paths of its variables.

    Raises:
        ValueError: For an unknown keyword argument, more than one clipping
            argument, or a hyperparameter out of range.

    >>> from heft.optimizers import SGD
    >>> w = Variable([1.0, 2.0], name="w")
    >>> opt = SGD(learning_rate=0.5, name="sgd")
    >>> opt.apply([jnp.array([1.0, 1.0])], [w])
    >>> w.numpy().tolist(), [v.path for v in opt.variables]
    ([0.5, 1.5], ['sgd/iteration', 'sgd/learning_rate'])
    """

    _slot_groups: tuple[tuple[str, ...], ...] = ()

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        check_arguments(
            type(self).__name__,
            kwargs,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            gradient_accumulation_steps=gradient_accumulation_steps,
        )
        self.name = name if name is not None else _naming.auto_name(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._table = SlotTable()
        self._trainable_variables: list[Any] = []
        self._extra_variables: list[Variable] = []
        self._exclude_ids: set[int] = set()
        self._exclude_pattern: re.Pattern | None = None

        with name_scope(self.name, caller=self):
            self._iterations = Variable(
                0,
                dtype="int32",
                trainable=False,
                aggregation="only_first_replica",
                name="iteration",
            )
        self._learning_rate = self._new_learning_rate(learning_rate)

    # ------------------------------------------------------------------ rule (subclasses)
    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        """The update rule (an optax transformation, e.g. ``_adam_rules.adam``)."""
        raise NotImplementedError(
            f"Optimizer '{type(self).__name__}' must implement `_make_rule()`, returning "
            "an optax transformation whose `update(grads, state, params, *, learning_rate, "
            "iteration)` returns the amounts to add to the parameters."
        )

    def _groups(self, fields: Sequence[str]) -> list[tuple[str, ...]]:
        grouped = [name for group in self._slot_groups for name in group]
        return [*self._slot_groups, *[(f,) for f in fields if f not in grouped]]

    # ------------------------------------------------------------------ learning rate
    def _new_learning_rate(self, learning_rate: Any) -> Any:
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        if not isinstance(learning_rate, float):
            raise ValueError(
                "Argument `learning_rate` should be float, or an instance of "
                "LearningRateSchedule, or a callable (that takes in the current iteration "
                f"value and returns the corresponding learning rate value). Received instead: "
                f"learning_rate={learning_rate}. Write it as a float, such as 1e-3 or 1.0."
            )
        with name_scope(self.name, caller=self):
            return Variable(
                learning_rate,
                dtype=_config.floatx(),
                trainable=False,
                aggregation="only_first_replica",
                name="learning_rate",
            )

    @property
    def learning_rate(self) -> Any:
        """The learning rate: its ``Variable``, or a schedule's value at the current iteration."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations.value)
        if isinstance(lr, Variable):
            return lr
        return lr()

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object (or a "
                "callable) as its `learning_rate` constructor argument, hence its learning "
                "rate is not settable. If you need the learning rate to be settable, you "
                "should instantiate the optimizer with a float `learning_rate` argument."
            )
        self._learning_rate.assign(learning_rate)

    @property
    def iterations(self) -> Any:
        """The step counter (``Variable``); with gradient accumulation, the number of updates."""
        if self.gradient_accumulation_steps:
            return self._iterations.value // self.gradient_accumulation_steps
        return self._iterations

    # ------------------------------------------------------------------ variables
    @property
    def variables(self) -> list[Variable]:
        """The optimizer's variables, in Keras's order (the order of saved files)."""
        out = [self._iterations]
        if isinstance(self._learning_rate, Variable):
            out.append(self._learning_rate)
        out.extend(self._table.variables(self._groups(self._slot_fields())))
        out.extend(self._extra_variables)
        return out

    def build(self, variables: Iterable[Any]) -> None:
        """Create the slots of ``variables`` and make them the current trainable list.

        Calling it again with new variables adds their slots only; the
        existing slots keep their values. When new variables are added, the
        build order becomes the order of ``variables`` followed by known
        variables absent from it, so that building on a model's full
        ``trainable_variables`` gives Keras's order.

        Args:
            variables: The trainable variables, in the model's order.

        >>> from heft.optimizers import Adam
        >>> opt = Adam(name="adam")
        >>> opt.build([Variable([1.0], name="w")])
        >>> [v.path for v in opt.variables]
        ['adam/iteration', 'adam/learning_rate', 'adam/w_momentum', 'adam/w_velocity']
        """
        ordered = list({key(v): v for v in variables}.values())
        new = [v for v in ordered if not self._table.knows(v)]
        if new:
            self._add(new, ordered)
        self._trainable_variables = ordered
        self.built = True

    def _add(self, new: list[Any], ordered: list[Any] | None) -> None:
        with name_scope(self.name, caller=self):
            self._table.add(
                new,
                ordered,
                self._make_rule(),
                self.use_ema,
                bool(self.gradient_accumulation_steps),
                self._slot_name,
            )

    def _slot_name(self, variable: Any, field: str) -> str | None:
        """The name of ``variable``'s slot ``field``; ``None`` for Keras's default naming."""
        return None

    def _slot_fields(self) -> list[str]:
        template = self._make_rule().init([])
        return [
            f for f, value in zip(template._fields, template, strict=True) if is_per_variable(value)
        ]

    def add_variable(
        self,
        shape: Sequence[int],
        initializer: Any = "zeros",
        dtype: Any = None,
        aggregation: str = "none",
        layout: Any = None,
        name: str | None = None,
    ) -> Variable:
        """Create an extra optimizer variable (listed after the built-in ones).

        Returns:
            The new non-trainable ``Variable``, path ``<optimizer name>/<name>``.
        """
        with name_scope(self.name, caller=self):
            variable = Variable(
                initializer,
                shape=shape,
                dtype=dtype,
                trainable=False,
                aggregation=aggregation,
                layout=layout,
                name=name,
            )
        self._extra_variables.append(variable)
        return variable

    def add_variable_from_reference(
        self, reference_variable: Any, name: str | None = None, initializer: Any = "zeros"
    ) -> Variable:
        """Create an extra variable shaped like ``reference_variable``, named as Keras names slots.

        Returns:
            The new ``Variable``, path ``<optimizer name>/<reference path with _>_<name>``.
        """
        return self.add_variable(
            shape=reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=slot_name(reference_variable, name or "var"),
            layout=getattr(reference_variable, "layout", None),
        )

    # ------------------------------------------------------------------ weight decay
    def exclude_from_weight_decay(
        self, var_list: Sequence[Any] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Exclude variables from weight decay.

        Takes effect for the steps traced after the call.

        Args:
            var_list: Variables to exclude.
            var_names: Substrings (regular expressions); a variable whose name
                contains one of them is excluded, e.g. ``["bias"]``.
        """
        self._exclude_ids = {key(v) for v in var_list or ()}
        names = set(var_names or ())
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _use_weight_decay(self, variable: Any) -> bool:
        if key(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return not (pattern is not None and pattern.search(variable.name) is not None)

    # ------------------------------------------------------------------ applying
    def _config(self) -> _step.StepConfig:
        lr = self._learning_rate
        return _step.StepConfig(
            learning_rate=None if isinstance(lr, Variable) else lr,
            weight_decay=self.weight_decay,
            clipnorm=self.clipnorm,
            clipvalue=self.clipvalue,
            global_clipnorm=self.global_clipnorm,
            use_ema=self.use_ema,
            ema_momentum=self.ema_momentum,
            ema_overwrite_frequency=self.ema_overwrite_frequency,
            loss_scale_factor=self.loss_scale_factor,
            gradient_accumulation_steps=self.gradient_accumulation_steps,
        )

    def _state(self, values: Mapping[int, Any], active: Sequence[Any]) -> _step.OptimizerState:
        """The pure step's state over ``active``, read from ``values`` (by variable id)."""
        lr = self._learning_rate
        average, accumulator, rule_state = self._table.state(
            values,
            active,
            self._make_rule().init([]),
            self.use_ema,
            bool(self.gradient_accumulation_steps),
        )
        return _step.OptimizerState(
            iteration=values[key(self._iterations)],
            learning_rate=values[key(lr)] if isinstance(lr, Variable) else None,
            average=average,
            accumulator=accumulator,
            rule=rule_state,
        )

    def _pure_apply(
        self,
        values: Mapping[int, Any],
        grads: Sequence[Any],
        params: Sequence[Any],
        active: Sequence[Any],
    ) -> tuple[list, dict[int, Any]]:
        missing = [v.path for v, g in zip(active, grads, strict=True) if g is None]
        if missing and len(missing) < len(active):
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. "
                "If using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        specs = [self._variable_spec(v) for v in active]
        grads = [None if g is None else jnp.asarray(g) for g in grads]
        new_params, state = _step.apply_step(
            self._make_rule(),
            self._config(),
            self._state(values, active),
            grads,
            list(params),
            specs,
        )
        updates = self._table.unstate(state, active)
        updates[key(self._iterations)] = state.iteration
        return new_params, updates

    def _variable_spec(self, variable: Any) -> _step.VariableSpec:
        """What the pure step needs to know about ``variable`` (decay, overwrite, constraint)."""
        return _step.VariableSpec(
            weight_decay=self._use_weight_decay(variable),
            overwrite_with_gradient=overwrites(variable),
            constraint=getattr(variable, "constraint", None),
        )

    def _check_known(self, variables: Sequence[Any]) -> None:
        for v in variables:
            if not self._table.knows(v):
                raise ValueError(
                    f"Unknown variable: {v!r}. This optimizer has no slots for it. Call "
                    "`optimizer.build(variables)` with the new list of trainable variables "
                    "first (existing slots are kept)."
                )

    def stateless_apply(
        self,
        optimizer_variables: Sequence[Any],
        grads: Sequence[Any],
        trainable_variables: Sequence[Any],
        variables: Sequence[Any] | None = None,
    ) -> tuple[list, list]:
        """Pure version of ``apply``: takes and returns values, changes no ``Variable``.

        Jittable: everything static (which variables, hyperparameters) is read
        from the optimizer at trace time; the learning rate and all slots come
        in ``optimizer_variables``, so ``optimizer.learning_rate = x`` between
        calls needs no retrace.

        Args:
            optimizer_variables: The values of ``self.variables``, in that order.
            grads: One gradient per entry of ``trainable_variables``.
            trainable_variables: The values of the variables being trained: by
                default those of the last ``build`` call (Keras's contract);
                with ``variables``, those of ``variables``. Only these are
                updated; the slots of other built variables pass through.
            variables: Optionally, the ``Variable`` objects that
                ``trainable_variables`` and ``grads`` belong to (any subset of
                the built variables, in any order).

        Returns:
            ``(new_trainable_values, new_optimizer_values)``, lists aligned with
            ``trainable_variables`` and ``optimizer_variables``.

        Raises:
            ValueError: If the optimizer is not built, if a list has the wrong
                length, or if ``variables`` holds a variable never built.

        >>> from heft.optimizers import SGD
        >>> w = Variable([1.0], name="w")
        >>> opt = SGD(learning_rate=0.5)
        >>> opt.build([w])
        >>> new_w, new_opt = opt.stateless_apply(
        ...     [v.value for v in opt.variables], [jnp.ones(1)], [w.value])
        >>> new_w[0].tolist(), int(new_opt[0]), w.numpy().tolist()
        ([0.5], 1, [1.0])
        """
        if not self.built:
            raise ValueError(
                f"To call `stateless_apply`, {type(self).__name__} must be built (i.e. its "
                "variables must have been created). You can build it via "
                "`optimizer.build(trainable_variables)`."
            )
        opt_vars = self.variables
        if len(optimizer_variables) != len(opt_vars):
            raise ValueError(
                "Argument `optimizer_variables` must be a list of tensors corresponding 1:1 "
                f"to {type(self).__name__}().variables. Received list with length "
                f"{len(optimizer_variables)}, but expected {len(opt_vars)} variables. Pass "
                "`[v.value for v in optimizer.variables]`."
            )
        active = self._trainable_variables if variables is None else list(variables)
        self._check_known(active)
        if len(trainable_variables) != len(active) or len(grads) != len(active):
            raise ValueError(
                "Arguments `trainable_variables` and `grads` must correspond 1:1 to the "
                f"{len(active)} variables being trained ("
                + (
                    "the list the optimizer was last built with"
                    if variables is None
                    else "argument `variables`"
                )
                + f"). Received {len(trainable_variables)} values and {len(grads)} gradients."
            )
        if not active:
            # As Keras: nothing to train is a no-op (the iteration count does not advance).
            return [], list(optimizer_variables)
        values = {key(v): x for v, x in zip(opt_vars, optimizer_variables, strict=True)}
        new_params, updates = self._pure_apply(values, grads, trainable_variables, active)
        new_opt = [
            updates.get(key(v), x) for v, x in zip(opt_vars, optimizer_variables, strict=True)
        ]
        return new_params, new_opt

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        """Update variables from their gradients (eagerly, assigning the variables).

        Args:
            grads: One gradient per variable (``None`` skips that variable, with
                a warning).
            trainable_variables: The variables; by default the list the
                optimizer was last built with. Variables never built get slots
                first (Keras would ask for a new optimizer).

        Raises:
            ValueError: If ``trainable_variables`` is omitted before ``build``,
                if the counts differ, or if every gradient is ``None``.
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
                "When passing `grads` as a list of gradient tensors, the gradients must match "
                f"the variables one-to-one. Received a list of {len(grads)} gradients, but "
                f"the optimizer is updating {len(active)} trainable variables."
            )
        if not self.built:
            self.build(active)
        new = [v for v in active if not self._table.knows(v)]
        if new:
            self._add(list({key(v): v for v in new}.values()), None)
        opt_vars = self.variables
        values = {key(v): v.value for v in opt_vars}
        params = [v.value for v in active]
        new_params, updates = self._pure_apply(values, grads, params, active)
        for v, old, new in zip(active, params, new_params, strict=True):
            if new is not old:
                v.assign(new)
        for v in opt_vars:
            if key(v) in updates:
                v.assign(updates[key(v)])

    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> Variable:
        """``apply`` on ``(gradient, variable)`` pairs; returns the iteration ``Variable``.

        >>> from heft.optimizers import SGD
        >>> w = Variable([1.0], name="w")
        >>> int(SGD(1.0).apply_gradients([(jnp.ones(1), w)]).numpy())
        1
        """
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(list(grads), list(variables))
        return self._iterations

    def scale_loss(self, loss: Any) -> Any:
        """``loss * loss_scale_factor`` (``loss`` unchanged when no factor is set)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """With ``use_ema``, overwrite each variable of ``var_list`` with its moving average.

        Raises:
            ValueError: If a variable of ``var_list`` was never built.
        """
        if not self.use_ema:
            return
        self._check_known(var_list)
        for v in var_list:
            average = self._table.average(v)
            if average is not None:
                v.assign(average.value)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-serializable dict (Keras's keys)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            learning_rate: Any = serialize_schedule(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        else:
            learning_rate = _registry.serialize_object(lr, "builtins")
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
    ) -> Optimizer:
        """Rebuild an optimizer (without state) from the output of ``get_config``."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"
