"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import optax

from . import _adaptive_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad with Keras's update math.

    ``acc += g**2``; ``v -= lr * g / sqrt(acc + epsilon)``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        initial_accumulator_value: The accumulators' starting value.
        epsilon: Added under the square root.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> Adagrad(initial_accumulator_value=0.5).initial_accumulator_value
    0.5
    """

    # Set from the arguments by `set_hyperparameters`.
    initial_accumulator_value: float
    epsilon: float

    _hyperparameters = ("initial_accumulator_value", "epsilon")

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adaptive_rules.adagrad(self.initial_accumulator_value, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
