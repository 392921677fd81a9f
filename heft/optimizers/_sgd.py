"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import optax

from . import _sgd_rules
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum, with Keras's update math.

    ``m = m * momentum - g * lr``; ``v += m`` (Nesterov: ``v += m * momentum - g * lr``);
    without momentum ``v -= g * lr``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        momentum: A float in ``[0, 1]``; ``0`` keeps no momentum slot.
        nesterov: Whether to use Nesterov momentum.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: If ``momentum`` is not a float in ``[0, 1]``.
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    >>> import jax.numpy as jnp
    >>> from heft import Variable
    >>> w = Variable([1.0], name="w")
    >>> SGD(learning_rate=0.1).apply([jnp.array([2.0])], [w])
    >>> round(float(w.numpy()[0]), 6)
    0.8
    """

    # Set from the arguments by `set_hyperparameters`.
    momentum: float
    nesterov: bool

    _hyperparameters = ("momentum", "nesterov")

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not isinstance(momentum, float) or momentum < 0 or momentum > 1:
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum}. "
                "Write it as a float, such as 0.9 (or 0.0 for none)."
            )
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        return _sgd_rules.sgd(self.momentum, self.nesterov)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
