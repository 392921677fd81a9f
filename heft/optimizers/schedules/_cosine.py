"""Cosine learning-rate decay, with optional linear warmup, and cosine decay with warm restarts."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ._schedule import LearningRateSchedule, as_float_array, cast, check_positive_steps


class CosineDecay(LearningRateSchedule):
    """Cosine decay, after an optional linear warmup.

    Without ``warmup_target``, the rate goes from ``initial_learning_rate`` to
    ``initial_learning_rate * alpha`` along half a cosine over ``decay_steps``.
    With it, the rate first rises linearly from ``initial_learning_rate`` to
    ``warmup_target`` over ``warmup_steps``, then decays from ``warmup_target``
    to ``warmup_target * alpha`` over ``decay_steps``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps of the cosine decay; must be positive.
        alpha: The final rate as a fraction of the rate decay starts from.
        name: The schedule's name.
        warmup_target: The rate reached at the end of warmup, or ``None``.
        warmup_steps: Steps of warmup.

    Raises:
        ValueError: If ``decay_steps <= 0``.

    >>> round(float(CosineDecay(1.0, decay_steps=10)(5)), 6)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        check_positive_steps(decay_steps, "decay_steps")

    def _decayed(self, step: jax.Array, decay_steps: jax.Array, start: jax.Array) -> jax.Array:
        fraction = step / decay_steps
        pi = jnp.asarray(math.pi, dtype=step.dtype)
        cosine = 0.5 * (1.0 + jnp.cos(pi * fraction))
        return start * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: Any) -> jax.Array:
        initial = as_float_array(self.initial_learning_rate)
        dtype = initial.dtype
        decay_steps = cast(self.decay_steps, dtype)
        step = cast(step, dtype)
        if self.warmup_target is None:
            return self._decayed(jnp.minimum(step, decay_steps), decay_steps, initial)
        target = cast(self.warmup_target, dtype)
        warmup_steps = cast(self.warmup_steps, dtype)
        step = jnp.minimum(step, decay_steps + warmup_steps)
        warming = (target - initial) * (step / warmup_steps) + initial
        decaying = self._decayed(step - warmup_steps, decay_steps, target)
        return jnp.where(step < warmup_steps, warming, decaying)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR).

    The multiplier decays from 1 to ``alpha`` over ``first_decay_steps``; then
    the schedule restarts, each period ``t_mul`` times longer than the last and
    starting from ``m_mul`` times the previous period's initial rate.

    Args:
        initial_learning_rate: The learning rate at step 0.
        first_decay_steps: Steps of the first period; must be positive.
        t_mul: Growth factor of the period length.
        m_mul: Factor on the initial rate of each new period.
        alpha: The minimum rate as a fraction of ``initial_learning_rate``.
        name: The schedule's name.

    Raises:
        ValueError: If ``first_decay_steps <= 0``.

    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> round(float(schedule(10)), 6), round(float(schedule(15)), 6)
    (1.0, 0.5)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        check_positive_steps(first_decay_steps, "first_decay_steps")

    @property
    def t_mul(self) -> float:
        return self._t_mul

    @property
    def m_mul(self) -> float:
        return self._m_mul

    def __call__(self, step: Any) -> jax.Array:
        initial = as_float_array(self.initial_learning_rate)
        dtype = initial.dtype
        first_decay_steps = cast(self.first_decay_steps, dtype)
        alpha = cast(self.alpha, dtype)
        t_mul = cast(self._t_mul, dtype)
        m_mul = cast(self._m_mul, dtype)
        fraction = cast(step, dtype) / first_decay_steps

        # Geometric periods: the restart index solves sum_{k<i} t_mul**k <= fraction.
        geo_restart = jnp.floor(jnp.log(1.0 - fraction * (1.0 - t_mul)) / jnp.log(t_mul))
        geo_done = (1.0 - jnp.power(t_mul, geo_restart)) / (1.0 - t_mul)
        geo_fraction = (fraction - geo_done) / jnp.power(t_mul, geo_restart)
        # Equal periods (t_mul == 1): the restart index is the integer part.
        flat_restart = jnp.floor(fraction)
        flat_fraction = fraction - flat_restart

        equal = t_mul == 1.0
        restart = jnp.where(equal, flat_restart, geo_restart)
        fraction = jnp.where(equal, flat_fraction, geo_fraction)

        m_fac = jnp.power(m_mul, restart)
        pi = jnp.asarray(math.pi, dtype=dtype)
        cosine = 0.5 * m_fac * (1.0 + jnp.cos(pi * fraction))
        return initial * ((1 - alpha) * cosine + alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
