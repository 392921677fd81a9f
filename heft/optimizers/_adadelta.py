"""Adadelta: step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

from typing import Any

import optax

from . import _adaptive_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta with Keras's update math (scaled by the learning rate).

    ``ag = rho * ag + (1 - rho) * g**2``;
    ``d = -sqrt(ad + epsilon) * g / sqrt(ag + epsilon)``;
    ``ad = rho * ad + (1 - rho) * d**2``; ``v += lr * d``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        rho: Decay rate of both running averages.
        epsilon: Added under the square roots.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> Adadelta().get_config()["rho"]
    0.95
    """

    # Set from the arguments by `set_hyperparameters`.
    rho: float
    epsilon: float

    _hyperparameters = ("rho", "epsilon")

    _slot_groups = (("accumulated_grad", "accumulated_delta_var"),)

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.95,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adaptive_rules.adadelta(self.rho, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
