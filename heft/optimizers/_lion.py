"""Lion: sign-based updates from an interpolated momentum."""

from __future__ import annotations

from typing import Any

import optax

from . import _sgd_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Lion(Optimizer):
    """Lion with Keras's update math.

    ``v -= lr * sign(m * beta_1 + g * (1 - beta_1))``; ``m = m * beta_2 + g * (1 - beta_2)``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: Interpolation between momentum and gradient, in ``(0, 1]``.
        beta_2: Decay of the momentum.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: If ``beta_1`` is not in ``(0, 1]``.
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> Lion(beta_1=0.95).get_config()["beta_1"]
    0.95
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_1: float
    beta_2: float

    _hyperparameters = ("beta_1", "beta_2")

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.99,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}. Use a value such as 0.9."
            )
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _sgd_rules.lion(self.beta_1, self.beta_2)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
