"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import Any

import optax

from . import _adam_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax with Keras's update math.

    ``m += (g - m) * (1 - beta_1)``; ``u = max(beta_2 * u, |g|)``;
    ``v -= lr * m / ((1 - beta_1**t) * (u + epsilon))``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: Decay of the first moment.
        beta_2: Decay of the infinity norm.
        epsilon: Added to the norm.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> Adamax().get_config()["beta_2"]
    0.999
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_1: float
    beta_2: float
    epsilon: float

    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    _slot_groups = (("momentum", "norm"),)

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adam_rules.adamax(self.beta_1, self.beta_2, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
