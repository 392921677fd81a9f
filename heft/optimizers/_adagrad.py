"""Adagrad: per-coordinate learning rates from the sum of squared gradients."""

from __future__ import annotations

from typing import Any

import optax

from . import _adaptive_rules
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

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
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
        super().__init__(
            learning_rate=learning_rate,
            weight_decay=weight_decay,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            global_clipnorm=global_clipnorm,
            use_ema=use_ema,
            ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps,
            name=name,
            **kwargs,
        )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adaptive_rules.adagrad(self.initial_accumulator_value, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon,
            }
        )
        return config
