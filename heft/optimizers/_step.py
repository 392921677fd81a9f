"""The pure optimizer step Keras's base optimizer performs around an update rule.

Order, as in Keras 3's ``BaseOptimizer.apply`` on JAX: variables flagged
``overwrite_with_gradient`` take their gradient; the other gradients are
unscaled by ``loss_scale_factor``, accumulated (``gradient_accumulation_steps``),
clipped; decoupled weight decay shrinks the variables; the rule updates them;
the moving averages (``use_ema``) follow and may overwrite the variables;
constraints are applied; the iteration counter goes up by one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from ._clipping import keras_clipping
from .schedules import LearningRateSchedule


class OptimizerState(NamedTuple):
    """The whole state of a Keras optimizer over one list of variables.

    Attributes:
        iteration: int32 scalar, the number of ``apply`` calls so far.
        learning_rate: float scalar, or ``None`` when the rate is a schedule.
        average: Per variable, the moving average (``use_ema``), else ``None``.
        accumulator: Per variable, the gradient sum (``gradient_accumulation_steps``).
        rule: The update rule's state: per-variable fields are lists aligned
            with the variables, shared fields are scalars.

    Entries of per-variable lists are ``None`` for variables flagged
    ``overwrite_with_gradient`` (Keras creates no slot for them), except in
    ``accumulator``.
    """

    iteration: jax.Array
    learning_rate: jax.Array | None
    average: list | None
    accumulator: list | None
    rule: Any


class StepConfig(NamedTuple):
    """The base-optimizer hyperparameters of a step (static under ``jax.jit``).

    ``learning_rate`` is a schedule or a zero-argument callable, or ``None``
    when the rate lives in ``OptimizerState.learning_rate``. With
    ``rule_sets_values`` the rule's updates are the new parameter values
    rather than amounts to add (Ftrl computes each parameter afresh, and
    ``p + (new - p)`` would round differently from Keras).
    """

    learning_rate: Any = None
    weight_decay: float | None = None
    clipnorm: float | None = None
    clipvalue: float | None = None
    global_clipnorm: float | None = None
    use_ema: bool = False
    ema_momentum: float = 0.99
    ema_overwrite_frequency: int | None = None
    loss_scale_factor: float | None = None
    gradient_accumulation_steps: int | None = None
    rule_sets_values: bool = False


class VariableSpec(NamedTuple):
    """What the step needs to know about one variable.

    Attributes:
        weight_decay: Whether decoupled weight decay applies to it.
        weight_decay_rate: Its own decay factor, used instead of the step's
            ``weight_decay`` (Muon decays the variables it leaves to AdamW by
            ``adam_weight_decay``); ``None`` for the step's.
        overwrite_with_gradient: Whether it takes its gradient as its new value.
        constraint: A callable applied to its value after the update, or ``None``.
    """

    weight_decay: bool = True
    overwrite_with_gradient: bool = False
    constraint: Callable | None = None
    weight_decay_rate: float | None = None


def is_per_variable(field: Any) -> bool:
    """Whether a field of a rule's state holds one entry per variable."""
    return isinstance(field, list)


def select(rule_state: Any, indices: Sequence[int]) -> Any:
    """The rule state restricted to the variables at ``indices``."""
    return type(rule_state)(
        *[[f[i] for i in indices] if is_per_variable(f) else f for f in rule_state]
    )


def scatter(rule_state: Any, part: Any, indices: Sequence[int]) -> Any:
    """``rule_state`` with the variables at ``indices`` replaced by those of ``part``."""
    fields = []
    for whole, piece in zip(rule_state, part, strict=True):
        if is_per_variable(whole):
            whole = list(whole)
            for i, value in zip(indices, piece, strict=True):
                whole[i] = value
            fields.append(whole)
        else:
            fields.append(piece)
    return type(rule_state)(*fields)


def spread(rule_state: Any, indices: Sequence[int], size: int) -> Any:
    """A rule state over ``size`` variables whose entries at ``indices`` come from ``rule_state``."""
    fields = []
    for f in rule_state:
        if is_per_variable(f):
            full: list = [None] * size
            for i, value in zip(indices, f, strict=True):
                full[i] = value
            fields.append(full)
        else:
            fields.append(f)
    return type(rule_state)(*fields)


def current_learning_rate(config: StepConfig, state: OptimizerState) -> jax.Array:
    """The learning rate of this step: the schedule at ``state.iteration``, or the stored rate."""
    if state.learning_rate is not None:
        return state.learning_rate
    lr = config.learning_rate
    if isinstance(lr, LearningRateSchedule):
        return jnp.asarray(lr(state.iteration))
    return jnp.asarray(lr())


def init_state(
    rule: optax.GradientTransformationExtraArgs,
    config: StepConfig,
    params: Sequence[Any],
    specs: Sequence[VariableSpec],
    learning_rate: float | None = None,
) -> OptimizerState:
    """A fresh state for ``params`` (arrays, or anything with ``shape`` and ``dtype``).

    Args:
        rule: The update rule (one of ``heft.optimizers`` transforms).
        config: The base hyperparameters.
        params: The variables' values or shapes.
        specs: One ``VariableSpec`` per variable.
        learning_rate: The stored learning rate; ``None`` when ``config`` has a schedule.

    Returns:
        The initial ``OptimizerState``.
    """
    size = len(params)
    normal = [i for i in range(size) if not specs[i].overwrite_with_gradient]
    rule_state = spread(rule.init([params[i] for i in normal]), normal, size)

    def zeros(p: Any) -> jax.Array:
        return jnp.zeros(p.shape, p.dtype)

    average = None
    if config.use_ema:
        average = [
            None if s.overwrite_with_gradient else zeros(p)
            for p, s in zip(params, specs, strict=True)
        ]
    accumulator = [zeros(p) for p in params] if config.gradient_accumulation_steps else None
    return OptimizerState(
        iteration=jnp.zeros((), jnp.int32),
        learning_rate=None if learning_rate is None else jnp.asarray(learning_rate, jnp.float32),
        average=average,
        accumulator=accumulator,
        rule=rule_state,
    )


def _overwrite(g: Any, p: Any, acc: Any, is_update: Any) -> tuple:
    if is_update is None:
        return jnp.asarray(g).astype(p.dtype), acc
    new_acc = jnp.where(is_update, jnp.zeros(g.shape, g.dtype), jnp.maximum(g, acc))
    new_p = jnp.where(is_update, jnp.maximum(g, acc), p)
    return new_p.astype(p.dtype), new_acc.astype(acc.dtype)


def apply_step(
    rule: optax.GradientTransformationExtraArgs,
    config: StepConfig,
    state: OptimizerState,
    grads: Sequence[Any],
    params: Sequence[Any],
    specs: Sequence[VariableSpec],
) -> tuple[list, OptimizerState]:
    """One Keras optimizer step; pure and jittable.

    Args:
        rule: The update rule.
        config: The base hyperparameters.
        state: The state over the variables of ``params``.
        grads: One gradient per variable; ``None`` leaves that variable alone.
        params: The variables' current values.
        specs: One ``VariableSpec`` per variable.

    Returns:
        ``(new_params, new_state)``.

    Raises:
        ValueError: If every gradient is ``None``.
    """
    size = len(params)
    steps = config.gradient_accumulation_steps
    it = state.iteration
    iterations = it // steps if steps else it
    is_update = (it + 1) % steps == 0 if steps else None
    lr = current_learning_rate(config, state)
    present = [i for i in range(size) if grads[i] is not None]
    if not present:
        raise ValueError(
            "No gradients provided for any variable. Every gradient passed to the "
            "optimizer was None: check that the loss depends on the trainable variables."
        )
    new_params = list(params)
    accumulator = None if state.accumulator is None else list(state.accumulator)
    normal = []
    for i in present:
        if specs[i].overwrite_with_gradient:
            acc = None if accumulator is None else accumulator[i]
            new_params[i], acc = _overwrite(grads[i], params[i], acc, is_update)
            if accumulator is not None:
                accumulator[i] = acc
        else:
            normal.append(i)

    rule_state, average = state.rule, state.average
    if normal:
        gs = [grads[i] for i in normal]
        if config.loss_scale_factor is not None:
            gs = [g / config.loss_scale_factor for g in gs]
        if steps:
            summed = [g + accumulator[i] for g, i in zip(gs, normal, strict=True)]
            for i, s in zip(normal, summed, strict=True):
                acc = accumulator[i]
                accumulator[i] = jnp.where(is_update, jnp.zeros(acc.shape, acc.dtype), s)
            gs = [jnp.where(is_update, s / steps, g) for s, g in zip(summed, gs, strict=True)]
        clipping = keras_clipping(config.clipnorm, config.clipvalue, config.global_clipnorm)
        if clipping is not None:
            gs, _ = clipping.update(gs, optax.EmptyState())
        ps = [params[i] for i in normal]
        rates = [
            config.weight_decay
            if specs[i].weight_decay_rate is None
            else specs[i].weight_decay_rate
            for i in normal
        ]
        ps = [
            _decayed(p, rate, lr) if rate is not None and specs[i].weight_decay else p
            for p, i, rate in zip(ps, normal, rates, strict=True)
        ]
        part = select(rule_state, normal)
        deltas, new_part = rule.update(gs, part, ps, learning_rate=lr, iteration=iterations)
        if config.rule_sets_values:
            updated = [d.astype(p.dtype) for p, d in zip(ps, deltas, strict=True)]
        else:
            updated = [(p + d).astype(p.dtype) for p, d in zip(ps, deltas, strict=True)]
        if steps:
            updated = [
                jnp.where(is_update, u, params[i]) for u, i in zip(updated, normal, strict=True)
            ]
            new_part = jax.tree.map(lambda new, old: jnp.where(is_update, new, old), new_part, part)
        for i, u in zip(normal, updated, strict=True):
            new_params[i] = u
        rule_state = scatter(rule_state, new_part, normal)
        if config.use_ema:
            average = _moving_average(config, average, new_params, iterations)
            if config.ema_overwrite_frequency:
                new_params = _overwrite_with_average(config, average, new_params, iterations)
        for i in normal:
            constraint = specs[i].constraint
            if constraint is not None:
                new_params[i] = jnp.asarray(constraint(new_params[i])).astype(params[i].dtype)

    new_state = OptimizerState(
        iteration=it + 1,
        learning_rate=state.learning_rate,
        average=average,
        accumulator=accumulator,
        rule=rule_state,
    )
    return new_params, new_state


def _decayed(p: jax.Array, weight_decay: float, lr: jax.Array) -> jax.Array:
    wd = jnp.asarray(weight_decay).astype(p.dtype)
    return p - p * wd * lr.astype(p.dtype)


def _moving_average(config: StepConfig, average: list, params: list, iterations: Any) -> list:
    not_first_step = iterations != 0
    out = list(average)
    for i, (avg, var) in enumerate(zip(average, params, strict=True)):
        if avg is None:
            continue
        momentum = not_first_step.astype(var.dtype) * config.ema_momentum
        out[i] = (momentum * avg + (1 - momentum) * var).astype(avg.dtype)
    return out


def _overwrite_with_average(
    config: StepConfig, average: list, params: list, iterations: Any
) -> list:
    should = (iterations + 1) % config.ema_overwrite_frequency == 0
    take = should.astype(jnp.int32)
    keep = jnp.logical_not(should).astype(jnp.int32)
    out = list(params)
    for i, (avg, var) in enumerate(zip(average, params, strict=True)):
        if avg is not None:
            out[i] = (avg * take + var * keep).astype(var.dtype)
    return out


def keras_optimizer(
    rule: optax.GradientTransformationExtraArgs,
    config: StepConfig,
    specs: Sequence[VariableSpec] | None = None,
    learning_rate: float | None = None,
) -> optax.GradientTransformation:
    """The whole Keras optimizer step as an optax transformation over a list of parameters.

    ``update(grads, state, params)`` returns ``new_params - params``, so
    ``optax.apply_updates`` reproduces the step up to rounding; use
    ``apply_step`` for the exact values.

    Args:
        rule: The update rule.
        config: The base hyperparameters.
        specs: One ``VariableSpec`` per parameter (defaults: decay on, no overwrite,
            no constraint).
        learning_rate: The stored learning rate, ``None`` when ``config`` holds a schedule.

    Returns:
        The transformation.

    >>> from heft.optimizers._sgd_rules import sgd
    >>> tx = keras_optimizer(sgd(), StepConfig(), learning_rate=0.5)
    >>> p = [jnp.ones(2)]
    >>> upd, state = tx.update([jnp.ones(2)], tx.init(p), p)
    >>> upd[0].tolist(), int(state.iteration)
    ([-0.5, -0.5], 1)
    """

    def specs_for(params: Sequence[Any]) -> Sequence[VariableSpec]:
        return specs if specs is not None else [VariableSpec()] * len(params)

    def init(params: Sequence[Any]) -> OptimizerState:
        params = list(params)
        return init_state(rule, config, params, specs_for(params), learning_rate)

    def update(grads: Any, state: OptimizerState, params: Any = None) -> tuple:
        params = list(params)
        new_params, new_state = apply_step(
            rule, config, state, list(grads), params, specs_for(params)
        )
        return [n - p for n, p in zip(new_params, params, strict=True)], new_state

    return optax.GradientTransformation(init, update)
