"""Exponential, inverse-time, piecewise-constant and polynomial learning-rate decay."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp

from ._schedule import LearningRateSchedule, as_float_array, cast, check_positive_steps


class _StepDecay(LearningRateSchedule):
    """What exponential and inverse-time decay share: arguments, progress and config."""

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool,
        name: str,
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        check_positive_steps(decay_steps, "decay_steps")

    def _decay(self, initial: jax.Array, rate: jax.Array, progress: jax.Array) -> jax.Array:
        """The learning rate after ``progress`` decay periods."""
        raise NotImplementedError

    def __call__(self, step: Any) -> jax.Array:
        initial = as_float_array(self.initial_learning_rate)
        dtype = initial.dtype
        progress = cast(step, dtype) / cast(self.decay_steps, dtype)
        if self.staircase:
            progress = jnp.floor(progress)
        return self._decay(initial, cast(self.decay_rate, dtype), progress)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_StepDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps per factor of ``decay_rate``; must be positive.
        decay_rate: The factor applied every ``decay_steps`` steps.
        staircase: Whether ``step / decay_steps`` is floored (decay in jumps).
        name: The schedule's name.

    Raises:
        ValueError: If ``decay_steps <= 0``.

    >>> float(ExponentialDecay(1.0, decay_steps=10, decay_rate=0.5)(20))
    0.25
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, initial: jax.Array, rate: jax.Array, progress: jax.Array) -> jax.Array:
        return initial * jnp.power(rate, progress)


class InverseTimeDecay(_StepDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: How often the decay is applied; must be positive.
        decay_rate: The decay rate.
        staircase: Whether ``step / decay_steps`` is floored.
        name: The schedule's name.

    Raises:
        ValueError: If ``decay_steps <= 0``.

    >>> float(InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2))
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
    ) -> None:
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def _decay(self, initial: jax.Array, rate: jax.Array, progress: jax.Array) -> jax.Array:
        return initial / (cast(1, rate.dtype) + rate * progress)


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate per interval of steps.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[i]``
    while ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after
    the last boundary.

    Args:
        boundaries: Strictly increasing step numbers.
        values: One more value than there are boundaries.
        name: The schedule's name.

    Raises:
        ValueError: If ``len(values) != len(boundaries) + 1``.

    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.25])
    >>> [float(schedule(s)) for s in (10, 11, 21)]
    [1.0, 0.5, 0.25]
    """

    def __init__(
        self,
        boundaries: Sequence[Any],
        values: Sequence[Any],
        name: str = "PiecewiseConstant",
    ) -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}. Give one value for each "
                "interval: before the first boundary, between boundaries, after the last."
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> jax.Array:
        step = jnp.asarray(step)
        bounds = [jnp.asarray(b).astype(step.dtype) for b in self.boundaries]
        values = [jnp.asarray(v) for v in self.values]
        dtype = values[0].dtype
        result = jnp.asarray(0, dtype=dtype)
        result = result + (step <= bounds[0]).astype(dtype) * values[0]
        result = result + (step > bounds[-1]).astype(dtype) * values[-1]
        for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1], strict=True):
            in_range = ((step > low) & (step <= high)).astype(dtype)
            result = result + in_range * value
        return result

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decay from ``initial_learning_rate`` to ``end_learning_rate`` along a power curve.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``;
    with ``cycle=True`` the decay restarts with ``decay_steps`` multiplied by
    ``ceil(step / decay_steps)``.

    Args:
        initial_learning_rate: The learning rate at step 0.
        decay_steps: Steps to reach ``end_learning_rate``; must be positive.
        end_learning_rate: The final learning rate.
        power: The power of the polynomial.
        cycle: Whether to restart after ``decay_steps``.
        name: The schedule's name.

    Raises:
        ValueError: If ``decay_steps <= 0``.

    >>> float(PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)(1))
    0.75
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        check_positive_steps(decay_steps, "decay_steps")

    def __call__(self, step: Any) -> jax.Array:
        initial = as_float_array(self.initial_learning_rate)
        dtype = initial.dtype
        end = cast(self.end_learning_rate, dtype)
        power = cast(self.power, dtype)
        step = cast(step, dtype)
        decay_steps = cast(self.decay_steps, dtype)
        if self.cycle:
            multiplier = jnp.where(step == 0, 1.0, jnp.ceil(step / self.decay_steps))
            decay_steps = decay_steps * multiplier
        else:
            step = jnp.minimum(step, decay_steps)
        p = step / decay_steps
        return (initial - end) * jnp.power(1 - p, power) + end

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }
