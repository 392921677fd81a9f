"""``VarianceScaling`` and its named forms (Glorot, He, LeCun), plus ``compute_fans``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import jax

from . import _sampling
from ._initializer import standardize_shape
from ._random_initializers import RandomInitializer, _serialize_seed

_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")
# Standard deviation of a unit normal truncated to [-2, 2].
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """The number of input and output units of a weight of ``shape``.

    Args:
        shape: The weight's shape. A kernel's last axis holds its outputs and
            the one before its inputs; leading axes are a receptive field.
        input_axes: If given with ``output_axes``, the axes whose product is fan-in.
        output_axes: If given with ``input_axes``, the axes whose product is fan-out.

    Returns:
        ``(fan_in, fan_out)``.

    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        fan_in = math.prod(shape[axis] for axis in input_axes)
        fan_out = math.prod(shape[axis] for axis in output_axes)
        return int(fan_in), int(fan_out)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Initializer whose spread adapts to the weight's fan-in and/or fan-out.

    With ``n`` the fan chosen by ``mode`` (``fan_avg`` averages both), values
    have variance ``scale / n``: a normal truncated at two standard deviations
    (``"truncated_normal"``, alias ``"normal"``), a plain normal
    (``"untruncated_normal"``), or uniform on ``[-limit, limit]`` with
    ``limit = sqrt(3 * scale / n)`` (``"uniform"``).

    Args:
        scale: A positive scaling factor.
        mode: ``"fan_in"``, ``"fan_out"`` or ``"fan_avg"``.
        distribution: ``"truncated_normal"``, ``"untruncated_normal"`` or ``"uniform"``.
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    Raises:
        ValueError: If ``scale`` is not positive, or ``mode`` or
            ``distribution`` is not one of the names above.

    >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform", seed=0)
    >>> float(abs(init((50, 4))).max()) <= (3 * 2.0 / 50) ** 0.5
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        if scale <= 0.0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale}. "
                "It multiplies the variance; use e.g. 1.0 (Glorot, LeCun) or 2.0 (He)."
            )
        if mode not in _MODES:
            raise ValueError(f"Invalid `mode` argument: {mode}. Please use one of {set(_MODES)}.")
        name = distribution.lower() if isinstance(distribution, str) else distribution
        if name == "normal":
            name = "truncated_normal"
        if name not in _DISTRIBUTIONS:
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. Please use one of "
                f"{set(_DISTRIBUTIONS)}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = name
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed=seed)

    def __call__(self, shape: Any, dtype: Any = None) -> jax.Array:
        """Return values of ``shape`` and float ``dtype`` with variance ``scale / n``."""
        shape = standardize_shape(shape)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        scale = self.scale / max(1.0, fan[self.mode])
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(scale) / _TRUNCATED_STDDEV
            return _sampling.truncated_normal(shape, 0.0, stddev, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _sampling.normal(shape, 0.0, math.sqrt(scale), dtype, self.seed)
        limit = math.sqrt(3.0 * scale)
        return _sampling.uniform(shape, -limit, limit, dtype, self.seed)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling with fixed scale, mode and distribution; only the seed and axes vary."""

    _scale = 1.0
    _mode = "fan_in"
    _distribution = "truncated_normal"

    def __init__(
        self,
        seed: Any = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ) -> None:
        super().__init__(
            scale=self._scale,
            mode=self._mode,
            distribution=self._distribution,
            seed=seed,
            input_axes=input_axes,
            output_axes=output_axes,
        )

    def get_config(self) -> dict[str, Any]:
        return {
            "seed": _serialize_seed(self._init_seed),
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class GlorotUniform(_NamedVarianceScaling):
    """Glorot (Xavier) uniform: uniform on ``±sqrt(6 / (fan_in + fan_out))``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> GlorotUniform(seed=1)((784, 64)).shape
    (784, 64)
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> GlorotNormal(seed=1)((4, 4)).shape
    (4, 4)
    """

    _scale, _mode, _distribution = 1.0, "fan_avg", "truncated_normal"


class HeNormal(_NamedVarianceScaling):
    """He normal: truncated normal with stddev ``sqrt(2 / fan_in)``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> HeNormal(seed=1)((4, 4)).shape
    (4, 4)
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "truncated_normal"


class HeUniform(_NamedVarianceScaling):
    """He uniform: uniform on ``±sqrt(6 / fan_in)``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> HeUniform(seed=1)((4, 4)).shape
    (4, 4)
    """

    _scale, _mode, _distribution = 2.0, "fan_in", "uniform"


class LecunNormal(_NamedVarianceScaling):
    """LeCun normal: truncated normal with stddev ``sqrt(1 / fan_in)``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> LecunNormal(seed=1)((4, 4)).shape
    (4, 4)
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedVarianceScaling):
    """LeCun uniform: uniform on ``±sqrt(3 / fan_in)``.

    Args:
        seed: An int, a ``SeedGenerator`` or ``None`` (see ``RandomInitializer``).
        input_axes: Axes whose product is fan-in (used with ``output_axes``).
        output_axes: Axes whose product is fan-out (used with ``input_axes``).

    >>> LecunUniform(seed=1)((4, 4)).shape
    (4, 4)
    """

    _scale, _mode, _distribution = 1.0, "fan_in", "uniform"
