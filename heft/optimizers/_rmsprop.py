"""RMSprop: gradients divided by a running root mean square."""

from __future__ import annotations

from typing import Any

import optax

from . import _adaptive_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop with Keras's update math (epsilon under the square root).

    ``s = rho * s + (1 - rho) * g**2``; ``inc = lr * g / sqrt(s + epsilon)``
    (centered: ``sqrt(s - a**2 + epsilon)`` with ``a`` the running mean gradient);
    with momentum ``m = momentum * m + inc`` and ``v -= m``, else ``v -= inc``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        rho: Decay of the running average of squared gradients.
        momentum: Momentum factor; ``0`` keeps no momentum slot.
        epsilon: Added under the square root.
        centered: Whether to normalize by the gradient's estimated variance.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> RMSprop(momentum=0.9).get_config()["momentum"]
    0.9
    """

    # Set from the arguments by `set_hyperparameters`.
    rho: float
    momentum: float
    epsilon: float
    centered: bool

    _hyperparameters = ("rho", "momentum", "epsilon", "centered")

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adaptive_rules.rmsprop(self.rho, self.momentum, self.epsilon, self.centered)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
