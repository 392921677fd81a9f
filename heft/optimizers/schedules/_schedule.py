"""The ``LearningRateSchedule`` base class and schedule (de)serialization."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jax
import jax.numpy as jnp

from ... import _registry
from ..._typing import DTypeLike


class LearningRateSchedule:
    """Base class of learning-rate schedules: callables ``step -> learning rate``.

    A schedule passed as an optimizer's ``learning_rate`` is called with the
    optimizer's iteration counter (an int32 array, traced inside ``jax.jit``)
    before each update. Subclasses implement ``__call__`` with ``jax.numpy``
    operations and ``get_config`` for serialization.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial):
    ...         self.initial = initial
    ...     def __call__(self, step):
    ...         return self.initial * 0.5 ** (jnp.asarray(step, "float32") // 10)
    ...     def get_config(self):
    ...         return {"initial": self.initial}
    >>> float(Halving(1.0)(25))
    0.25
    """

    def __call__(self, step: Any) -> jax.Array:
        """Return the learning rate at ``step``.

        Raises:
            NotImplementedError: Always, in the base class.
        """
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`__call__(self, step)` to return the learning rate at `step`."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a JSON-serializable dict.

        Raises:
            NotImplementedError: Always, in the base class.
        """
        raise NotImplementedError(
            f"Learning rate schedule '{type(self).__name__}' must override "
            "`get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from the output of ``get_config``."""
        return cls(**config)


def as_float_array(value: Any) -> jax.Array:
    """``value`` as an array the way Keras converts a schedule's initial rate."""
    return jnp.asarray(value)


def cast(value: Any, dtype: DTypeLike) -> jax.Array:
    """``value`` as an array of ``dtype``."""
    return jnp.asarray(value).astype(dtype)


def check_positive_steps(value: Any, name: str) -> None:
    """Raise if a decay-steps argument is not strictly positive.

    Raises:
        ValueError: If ``value <= 0``.
    """
    if value <= 0:
        raise ValueError(
            f"Argument `{name}` must be > 0. Received: {name}={value}. "
            "Pass the number of optimizer steps over which to decay, such as 1000."
        )


def _builtin_schedules() -> dict[str, Any]:
    from ._cosine import CosineDecay, CosineDecayRestarts
    from ._decay import (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
    )

    classes = (
        LearningRateSchedule,
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
    return {cls.__name__: cls for cls in classes}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """The Keras dict form of a schedule.

    Args:
        learning_rate_schedule: A ``LearningRateSchedule`` instance.

    Returns:
        ``{"module", "class_name", "config", "registered_name"}``.

    >>> from heft.optimizers.schedules import ExponentialDecay
    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    return _registry.serialize_object(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None = None
) -> LearningRateSchedule:
    """Rebuild a schedule from the dict ``serialize`` returns.

    Args:
        config: A dict with ``class_name`` and ``config``.
        custom_objects: Extra schedule classes by name.

    Returns:
        A ``LearningRateSchedule``.

    Raises:
        ValueError: If the class is unknown or the dict is malformed.

    >>> deserialize({"class_name": "InverseTimeDecay",
    ...              "config": {"initial_learning_rate": 0.1, "decay_steps": 1,
    ...                         "decay_rate": 0.5}}).decay_rate
    0.5
    """
    return _registry.deserialize_object(config, _builtin_schedules(), custom_objects, "decay")
