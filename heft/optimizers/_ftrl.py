"""Ftrl: follow-the-regularized-leader, with L1, L2 and L2-shrinkage regularization."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from . import _step
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer
from ._rule_helpers import cast, leafwise, zeros


class FtrlState(NamedTuple):
    """Ftrl's slots, in Keras's order: ``accumulator`` (squared-gradient sum), ``linear``."""

    accumulator: Any
    linear: Any


def ftrl(
    learning_rate_power: float = -0.5,
    initial_accumulator_value: float = 0.1,
    l1_regularization_strength: float = 0.0,
    l2_regularization_strength: float = 0.0,
    l2_shrinkage_regularization_strength: float = 0.0,
    beta: float = 0.0,
    sets_values: bool = False,
) -> optax.GradientTransformationExtraArgs:
    """Keras's Ftrl update, which sets each parameter from its ``linear`` slot.

    With ``n`` the accumulator and ``k = -learning_rate_power``:
    ``n' = n + g**2``; ``linear += g + 2 * l2_shrinkage * p - (n'**k - n**k) / lr * p``;
    ``p = (clip(linear, -l1, l1) - linear) / (n'**k / lr + 2 * (l2 + beta / (2 * lr)))``.

    With ``sets_values`` the updates are the new parameters themselves (for a
    step configured with ``rule_sets_values``, which rounds as Keras does).

    Returns:
        The transformation (its updates are ``new_p - p``, or ``new_p``).

    >>> tx = ftrl(initial_accumulator_value=0.0)
    >>> p = [jnp.zeros(1)]
    >>> upd, state = tx.update([jnp.ones(1)], tx.init(p), p, learning_rate=jnp.float32(0.1))
    >>> round(float(upd[0][0]), 6), float(state.accumulator[0][0])
    (-0.1, 1.0)
    """
    power = -learning_rate_power

    def init(params: Any) -> FtrlState:
        return FtrlState(
            accumulator=jax.tree.map(
                lambda p: jnp.full(p.shape, initial_accumulator_value, p.dtype), params
            ),
            linear=zeros(params),
        )

    def leaf(p: Any, g: Any, accumulator: Any, linear: Any, learning_rate: Any) -> tuple:
        lr = cast(learning_rate, p.dtype)
        g = cast(g, p.dtype)
        l2 = l2_regularization_strength + beta / (2.0 * lr)
        shrunk = g + 2 * l2_shrinkage_regularization_strength * p
        new_accumulator = accumulator + jnp.square(g)
        step = (jnp.power(new_accumulator, power) - jnp.power(accumulator, power)) / lr
        linear = linear + (shrunk - step * p)
        quadratic = jnp.power(new_accumulator, power) / lr + 2 * l2
        l1 = l1_regularization_strength
        new_p = (jnp.clip(linear, -l1, l1) - linear) / quadratic
        return (new_p if sets_values else new_p - p, new_accumulator, linear)

    return leafwise(FtrlState, init, leaf)


class Ftrl(Optimizer):
    """Ftrl with Keras's update math and slots (``accumulator``, ``linear`` per variable).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        learning_rate_power: How the rate shrinks with the accumulated squared
            gradients; ``<= 0`` (``0`` keeps it fixed).
        initial_accumulator_value: The accumulators' starting value, ``>= 0``.
        l1_regularization_strength: L1 strength, ``>= 0``.
        l2_regularization_strength: L2 strength, ``>= 0``.
        l2_shrinkage_regularization_strength: L2 penalty added to the gradient
            (magnitude shrinkage), ``>= 0``.
        beta: Keras's ``beta``, added as ``beta / (2 * lr)`` to the L2 strength.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: If a strength or the initial accumulator value is negative,
            or ``learning_rate_power`` is positive.

    >>> Ftrl(l1_regularization_strength=0.01).get_config()["l1_regularization_strength"]
    0.01
    """

    # Set from the arguments by `set_hyperparameters`.
    learning_rate_power: float
    initial_accumulator_value: float
    l1_regularization_strength: float
    l2_regularization_strength: float
    l2_shrinkage_regularization_strength: float
    beta: float

    _hyperparameters = (
        "learning_rate_power",
        "initial_accumulator_value",
        "l1_regularization_strength",
        "l2_regularization_strength",
        "l2_shrinkage_regularization_strength",
        "beta",
    )

    _slot_groups = (("accumulator", "linear"),)

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = (
            ("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
            ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
            ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
            (
                "l2_shrinkage_regularization_strength",
                l2_shrinkage_regularization_strength,
                "positive or zero",
            ),
        )
        if learning_rate_power > 0.0:
            raise ValueError(
                "`learning_rate_power` needs to be negative or zero. Received: "
                f"learning_rate_power={learning_rate_power}."
            )
        for name, value, expected in checks:
            if value < 0.0:
                raise ValueError(f"`{name}` needs to be {expected}. Received: {name}={value}.")
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return ftrl(
            self.learning_rate_power,
            self.initial_accumulator_value,
            self.l1_regularization_strength,
            self.l2_regularization_strength,
            self.l2_shrinkage_regularization_strength,
            self.beta,
            sets_values=True,
        )

    def _config(self) -> _step.StepConfig:
        return super()._config()._replace(rule_sets_values=True)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
