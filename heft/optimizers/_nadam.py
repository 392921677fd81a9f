"""Nadam: Adam with Nesterov momentum."""

from __future__ import annotations

from typing import Any

import optax

from . import _adam_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam with Keras's update math and momentum schedule.

    Besides ``momentum`` and ``velocity`` per variable, Nadam keeps one shared
    scalar ``u_product`` (the product of the momentum schedule), listed last
    in ``variables`` with an automatic name as in Keras (``<name>/variable``).

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to ``sqrt(v_hat)``.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> from heft import Variable
    >>> opt = Nadam(name="nadam")
    >>> opt.build([Variable([1.0], name="w")])
    >>> [v.path for v in opt.variables][-1]
    'nadam/variable'
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_1: float
    beta_2: float
    epsilon: float

    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    _slot_groups = (("momentum", "velocity"),)

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
        return _adam_rules.nadam(self.beta_1, self.beta_2, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
