"""Adam: adaptive moment estimation, with Keras's placement of epsilon."""

from __future__ import annotations

from typing import Any

import optax

from . import _adam_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Adam(Optimizer):
    """Adam with Keras's update math (epsilon outside the bias correction).

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``v -= m * lr * sqrt(1 - beta_2**t) / (1 - beta_1**t) / (sqrt(v) + epsilon)``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to ``sqrt(v)``.
        amsgrad: Whether to use the running maximum of ``v`` (AMSGrad).
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> from heft import Variable
    >>> opt = Adam(name="adam")
    >>> opt.build([Variable([1.0], name="w")])
    >>> [v.path for v in opt.variables]
    ['adam/iteration', 'adam/learning_rate', 'adam/w_momentum', 'adam/w_velocity']
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_1: float
    beta_2: float
    epsilon: float
    amsgrad: bool

    _hyperparameters = ("beta_1", "beta_2", "epsilon", "amsgrad")

    _slot_groups = (("momentum", "velocity"), ("velocity_hat",))

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _adam_rules.adam(self.beta_1, self.beta_2, self.epsilon, self.amsgrad)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
