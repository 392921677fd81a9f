"""Lamb: Adam's direction scaled per variable by the ratio of weight norm to update norm."""

from __future__ import annotations

from typing import Any, NamedTuple

import jax.numpy as jnp
import optax

from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer
from ._rule_helpers import cast, leafwise, step_number, zeros


class LambState(NamedTuple):
    """Lamb's slots, in Keras's order: ``momentum``, ``velocity``."""

    momentum: Any
    velocity: Any


def lamb(
    beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7
) -> optax.GradientTransformationExtraArgs:
    """Keras's Lamb (no weight decay inside the rule; the optimizer's decay comes first).

    ``m += (g - m) * (1 - beta_1)``; ``v += (g**2 - v) * (1 - beta_2)``;
    ``u = (m / (1 - beta_1**t)) / (sqrt(v / (1 - beta_2**t)) + epsilon)``;
    ``p -= r * lr * u`` with ``r = |p| / |u|`` (``1`` when either norm is 0).

    Returns:
        The transformation.

    >>> tx = lamb()
    >>> p = [jnp.full(2, 3.0)]
    >>> upd, _ = tx.update([jnp.ones(2)], tx.init(p), p,
    ...                    learning_rate=jnp.float32(0.1), iteration=0)
    >>> [round(x, 4) for x in upd[0].tolist()]
    [-0.3, -0.3]
    """

    def init(params: Any) -> LambState:
        return LambState(momentum=zeros(params), velocity=zeros(params))

    def leaf(p: Any, g: Any, m: Any, v: Any, learning_rate: Any, iteration: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        t = step_number(iteration, dtype)
        beta_1_power = jnp.power(cast(beta_1, dtype), t)
        beta_2_power = jnp.power(cast(beta_2, dtype), t)
        m = m + (g - m) * (1 - beta_1)
        v = v + (jnp.square(g) - v) * (1 - beta_2)
        update = (m / (1.0 - beta_1_power)) / (jnp.sqrt(v / (1.0 - beta_2_power)) + epsilon)
        w_norm = jnp.sqrt(jnp.sum(jnp.power(p, 2)))
        u_norm = jnp.sqrt(jnp.sum(jnp.power(update, 2)))
        ratio = jnp.where(w_norm > 0, jnp.where(u_norm > 0, w_norm / u_norm, 1.0), 1.0)
        return (-(ratio * lr * update), m, v)

    return leafwise(LambState, init, leaf, with_iteration=True)


class Lamb(Optimizer):
    """Lamb (layer-wise adaptive large-batch optimization) with Keras's update math.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_1: Decay of the first moment.
        beta_2: Decay of the second moment.
        epsilon: Added to the bias-corrected ``sqrt(v)``.
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    References:
        You et al., "Large Batch Optimization for Deep Learning: Training BERT
        in 76 minutes", 2019.

    >>> Lamb().get_config()["epsilon"]
    1e-07
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
        return lamb(self.beta_1, self.beta_2, self.epsilon)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
