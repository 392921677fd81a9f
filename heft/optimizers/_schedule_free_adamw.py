"""ScheduleFreeAdamW: AdamW without a learning-rate schedule, by iterate averaging."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import optax

from . import _step
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer
from ._rule_helpers import cast, leafwise, step_number, zeros


class ScheduleFreeState(NamedTuple):
    """The slots, in Keras's order: ``momentum`` (the base sequence ``z``), ``velocity``."""

    momentum: Any
    velocity: Any


def schedule_free_adamw(
    beta_1: float = 0.9,
    beta_2: float = 0.999,
    epsilon: float = 1e-8,
    warmup_steps: int = 0,
    sets_values: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """Keras's schedule-free AdamW step; the parameter is the interpolated point ``y``.

    With ``t`` the step number and ``lr`` scaled by ``min(t / warmup_steps, 1)``
    during warm-up: ``v += (g**2 - v) * (1 - beta_2)``;
    ``z' = z - lr * g / (sqrt(v / (1 - beta_2**t)) + epsilon)``;
    ``x = (p - (1 - beta_1) * z) / beta_1``; ``x' = (1 - 1/t) * x + z' / t``;
    ``p = (1 - beta_1) * z' + beta_1 * x'``. ``z`` (the ``momentum`` slot) must
    start equal to the parameter.

    Args:
        beta_1: The interpolation between ``z`` and the average ``x``.
        beta_2: Decay of the second moment.
        epsilon: Added to the bias-corrected ``sqrt(v)``.
        warmup_steps: Steps of linear learning-rate warm-up (0 for none).
        sets_values: Return the new parameters instead of the amounts to add.

    Returns:
        The transformation.

    >>> tx = schedule_free_adamw()
    >>> p = [jnp.ones(1)]
    >>> state = ScheduleFreeState(momentum=[jnp.ones(1)], velocity=[jnp.zeros(1)])
    >>> upd, _ = tx.update([jnp.ones(1)], state, p, learning_rate=jnp.float32(0.1), iteration=0)
    >>> round(float(upd[0][0]), 4)
    -0.1
    """

    def init(params: Any) -> ScheduleFreeState:
        return ScheduleFreeState(momentum=zeros(params), velocity=zeros(params))

    def leaf(p: Any, g: Any, z: Any, v: Any, learning_rate: Any, iteration: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        t = step_number(iteration, dtype)
        b1 = cast(beta_1, dtype)
        b2 = cast(beta_2, dtype)
        if warmup_steps > 0:
            lr = lr * jnp.minimum(t / cast(warmup_steps, dtype), 1.0)
        v = v + (jnp.square(g) - v) * (1 - b2)
        denominator = jnp.sqrt(v / (1 - jnp.power(b2, t))) + cast(epsilon, dtype)
        new_z = z - (lr * g) / denominator
        weight = 1.0 / t
        x = (p - (1 - b1) * z) / b1
        x = (1 - weight) * x + weight * new_z
        y = (1 - b1) * new_z + b1 * x
        return (y if sets_values else y - p, new_z, v)

    return leafwise(ScheduleFreeState, init, leaf, with_iteration=True)


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW with Keras's update math and slots (``momentum``, ``velocity``).

    The ``momentum`` slot of each variable starts as a copy of the variable.
    The variables hold the interpolated point used for gradients; as in
    Keras, nothing swaps in the averaged point for evaluation.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: The interpolation factor between the base and averaged sequences.
        beta_2: Decay of the second moment.
        epsilon: Added to the bias-corrected ``sqrt(v)``.
        warmup_steps: Steps of linear learning-rate warm-up (0 for none).
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    References:
        Defazio et al., "The Road Less Scheduled", 2024.

    >>> ScheduleFreeAdamW().get_config()["learning_rate"]
    0.0024999999441206455
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_1: float
    beta_2: float
    epsilon: float
    warmup_steps: int

    _hyperparameters = ("beta_1", "beta_2", "epsilon", "warmup_steps")

    _slot_groups = (("momentum", "velocity"),)

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.0025,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        warmup_steps: int = 0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return schedule_free_adamw(
            self.beta_1, self.beta_2, self.epsilon, self.warmup_steps, sets_values=True
        )

    def _config(self) -> _step.StepConfig:
        return super()._config()._replace(rule_sets_values=True)

    def _add(self, new: list[Any], ordered: list[Any] | None) -> None:
        super()._add(new, ordered)
        for variable in new:
            momentum = self._table.slot(variable, "momentum")
            if momentum is not None:
                momentum.assign(variable.value)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
