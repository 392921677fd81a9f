"""Adafactor: second moments factored into row and column statistics for matrices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .._variable import Variable
from ._arguments import hyperparameter_config, set_hyperparameters, with_base_arguments
from ._optimizer import Optimizer
from ._rule_helpers import cast, leafwise, step_number, zeros


class AdafactorState(NamedTuple):
    """Adafactor's slots, in Keras's order per variable: ``r``, ``c``, ``velocity``.

    For a variable of rank >= 2, ``r`` has its shape without the last axis and
    ``c`` without the second-to-last; for lower ranks both are int32 scalar
    placeholders (Keras creates them too, so saved files line up).
    """

    r: Any
    c: Any
    velocity: Any


def _row_shape(p: Any) -> tuple[int, ...]:
    return tuple(p.shape[:-1])


def _column_shape(p: Any) -> tuple[int, ...]:
    return (*p.shape[:-2], p.shape[-1])


def _rms(x: jax.Array) -> jax.Array:
    return jnp.sqrt(jnp.mean(jnp.square(x)))


def adafactor(
    beta_2_decay: float = -0.8,
    epsilon_1: float = 1e-30,
    epsilon_2: float = 1e-3,
    clip_threshold: float = 1.0,
    relative_step: bool = True,
) -> optax.GradientTransformationExtraArgs:
    """Keras's Adafactor update.

    With ``t`` the step number: ``lr = min(lr, 1 / sqrt(t))`` if
    ``relative_step``; ``alpha = max(epsilon_2, rms(p)) * min(lr, 1 / sqrt(t))``;
    ``beta = 1 - t**beta_2_decay``; for matrices the row and column means of
    ``g**2 + epsilon_1`` are averaged into ``r`` and ``c`` and
    ``v = (r / mean(r))[..., None] * c[..., None, :]``, else ``v`` averages
    ``g**2 + epsilon_1``; ``u = g / sqrt(v)``;
    ``p -= alpha * u / max(1, rms(u) / clip_threshold)``.

    Args:
        beta_2_decay: The exponent of the second-moment decay schedule.
        epsilon_1: Added to the squared gradients.
        epsilon_2: The floor of the parameter scale ``rms(p)``.
        clip_threshold: The update's RMS is clipped to this.
        relative_step: Whether the learning rate is capped at ``1 / sqrt(t)``
            (pass ``False`` when the rate comes from a schedule, as Keras does).

    Returns:
        The transformation.

    >>> tx = adafactor()
    >>> p = [jnp.ones((2, 2))]
    >>> upd, state = tx.update([jnp.ones((2, 2))], tx.init(p), p,
    ...                        learning_rate=jnp.float32(0.5), iteration=0)
    >>> upd[0].tolist(), state.r[0].shape, state.c[0].shape
    ([[-0.5, -0.5], [-0.5, -0.5]], (2,), (2,))
    """

    def init(params: Any) -> AdafactorState:
        def factor(shape_of: Any) -> Any:
            return jax.tree.map(
                lambda p: (
                    jnp.zeros(shape_of(p), p.dtype)
                    if len(p.shape) >= 2
                    else jnp.zeros((), jnp.int32)
                ),
                params,
            )

        return AdafactorState(r=factor(_row_shape), c=factor(_column_shape), velocity=zeros(params))

    def leaf(p: Any, g: Any, r: Any, c: Any, v: Any, learning_rate: Any, iteration: Any) -> tuple:
        dtype = p.dtype
        lr = cast(learning_rate, dtype)
        g = cast(g, dtype)
        one = cast(1.0, dtype)
        t = step_number(iteration, dtype)
        if relative_step:
            lr = jnp.minimum(lr, 1 / jnp.sqrt(t))
        rho = jnp.minimum(lr, 1 / jnp.sqrt(t))
        alpha = jnp.maximum(cast(epsilon_2, dtype), _rms(p)) * rho
        squared = jnp.square(g) + epsilon_1
        beta = 1 - jnp.power(t, beta_2_decay)
        if p.ndim >= 2:
            r = beta * r + (1 - beta) * jnp.mean(squared, axis=-1)
            c = beta * c + (1 - beta) * jnp.mean(squared, axis=-2)
            row = jnp.expand_dims(r / jnp.mean(r, axis=-1, keepdims=True), -1)
            v = row * jnp.expand_dims(c, -2)
        else:
            v = beta * v + (1 - beta) * squared
        u = g / jnp.sqrt(v)
        u = u / jnp.maximum(one, _rms(u) / clip_threshold)
        return (-(alpha * u), r, c, v)

    return leafwise(AdafactorState, init, leaf, with_iteration=True)


class Adafactor(Optimizer):
    """Adafactor with Keras's update math and slots.

    Per variable, in Keras's order: ``r`` and ``c`` (named after the variable,
    the factored row and column statistics of matrices, int32 scalar
    placeholders for vectors), then ``<variable path>_velocity``. As in Keras,
    the placeholders' paths are the bare variable name when the optimizer is
    built by ``build`` (as ``fit`` does), and under the optimizer's name when
    it is built by its first ``apply``.

    Args:
        learning_rate: A float, a ``LearningRateSchedule`` or a callable.
        beta_2_decay: The exponent of the second-moment decay schedule.
        epsilon_1: Added to the squared gradients.
        epsilon_2: The floor of the parameter scale.
        clip_threshold: The update's RMS is clipped to this.
        relative_step: Whether a float learning rate is capped at
            ``1 / sqrt(step)`` (ignored with a schedule).
        **kwargs: The common arguments of ``Optimizer`` (``weight_decay``,
            ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ``use_ema``,
            ``ema_momentum``, ``ema_overwrite_frequency``, ``loss_scale_factor``,
            ``gradient_accumulation_steps``, ``name``).

    Raises:
        ValueError: For an unknown argument or an invalid common argument (see ``Optimizer``).

    References:
        Shazeer and Stern, "Adafactor: Adaptive Learning Rates with Sublinear
        Memory Cost", 2018.

    >>> opt = Adafactor(name="adafactor")
    >>> opt.build([Variable(jnp.ones((2, 3)), name="kernel")])
    >>> [(v.path, v.shape) for v in opt.variables[2:]]
    [('adafactor/kernel', (2,)), ('adafactor/kernel', (3,)), ('adafactor/kernel_velocity', (2, 3))]
    """

    # Set from the arguments by `set_hyperparameters`.
    beta_2_decay: float
    epsilon_1: float
    epsilon_2: float
    clip_threshold: float
    relative_step: bool

    _hyperparameters = ("beta_2_decay", "epsilon_1", "epsilon_2", "clip_threshold", "relative_step")

    _slot_groups = (("r", "c", "velocity"),)

    @with_base_arguments
    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_2_decay: float = -0.8,
        epsilon_1: float = 1e-30,
        epsilon_2: float = 1e-3,
        clip_threshold: float = 1.0,
        relative_step: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        set_hyperparameters(self, locals())

    def _make_rule(self) -> optax.GradientTransformationExtraArgs:
        # Keras caps the rate only when it is a plain value, not a schedule or callable.
        relative = self.relative_step and isinstance(self._learning_rate, Variable)
        return adafactor(
            self.beta_2_decay, self.epsilon_1, self.epsilon_2, self.clip_threshold, relative
        )

    def _slot_name(self, variable: Any, field: str) -> str | None:
        return variable.name if field in ("r", "c") else None

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None) -> None:
        self._in_apply = True
        try:
            super().apply(grads, trainable_variables)
        finally:
            self._in_apply = False

    def _add(self, new: list[Any], ordered: list[Any] | None) -> None:
        super()._add(new, ordered)
        if getattr(self, "_in_apply", False):
            # Built by `apply`, inside the optimizer's scope, as Keras names them too.
            return
        for variable in new:
            if len(variable.shape) >= 2:
                continue
            for field in ("r", "c"):
                placeholder = self._table.slot(variable, field)
                if placeholder is not None:
                    # Keras creates these outside the optimizer's scope: the path is the name.
                    placeholder._path = variable.name

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), **hyperparameter_config(self)}
