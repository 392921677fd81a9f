"""Regularization layers active only in training: noise, alpha and spatial dropout.

Each layer is the identity when called with ``training`` false (the default);
its randomness comes from a ``SeedGenerator`` tracked by the layer, so it works
inside ``stateless_call`` and ``jax.jit`` and draws the same numbers as Keras
for the same seed.
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from .. import random, regularizers
from .._typing import Shape
from ..random._seed_generator import SeedGenerator
from ._conv import standardize_data_format
from ._dropout import Dropout
from ._input_spec import InputSpec
from ._layer import Layer

# The constants of the SELU activation, which alpha dropout keeps the statistics of.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _check_fraction(value: Any, argument: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError(
            f"Invalid value received for argument `{argument}`. Expected a float value "
            f"between 0 and 1. Received: {argument}={value}"
        )


class ActivityRegularization(Layer):
    """The identity, adding ``l1 * sum(|x|) + l2 * sum(x**2)`` of its inputs to ``losses``.

    As for any activity regularizer, the penalty is divided by the batch size.

    Args:
        l1: The L1 factor.
        l2: The L2 factor.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> layer = ActivityRegularization(l1=0.5)
    >>> _ = layer(heft.ops.ones((2, 2)))
    >>> [float(loss) for loss in layer.losses]
    [1.0]
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.supports_masking = True
        self.l1 = l1
        self.l2 = l2
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.pop("activity_regularizer", None)
        config.update({"l1": self.l1, "l2": self.l2})
        return config


class GaussianNoise(Layer):
    """Adds zero-mean normal noise of standard deviation ``stddev`` in training.

    Args:
        stddev: Standard deviation of the noise, in ``[0, 1]``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> GaussianNoise(0.1)(heft.ops.ones((1, 2))).tolist()
    [[1.0, 1.0]]
    """

    def __init__(self, stddev: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_fraction(stddev, "stddev")
        self.stddev = stddev
        self.seed = seed
        if stddev > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if not training or self.stddev == 0:
            return inputs
        noise = random.normal(
            jnp.shape(inputs),
            stddev=self.stddev,
            dtype=self.compute_dtype,
            seed=self.seed_generator,
        )
        return inputs + noise

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"stddev": self.stddev, "seed": self.seed})
        return config


class GaussianDropout(Layer):
    """Multiplies the inputs by normal noise of mean 1 in training.

    The noise's standard deviation is ``sqrt(rate / (1 - rate))``.

    Args:
        rate: Drop probability the noise stands for, in ``[0, 1]``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        _check_fraction(rate, "rate")
        self.rate = rate
        self.seed = seed
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        noise = random.normal(
            jnp.shape(inputs),
            mean=1.0,
            stddev=math.sqrt(self.rate / (1.0 - self.rate)),
            dtype=self.compute_dtype,
            seed=self.seed_generator,
        )
        return inputs * noise

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed})
        return config


class AlphaDropout(Layer):
    """Dropout for SELU networks: keeps the inputs' mean and variance in training.

    Dropped entries take SELU's negative saturation value, then an affine map
    restores the mean and variance the inputs had.

    Args:
        rate: Fraction of inputs to drop, in ``[0, 1]``.
        noise_shape: Shape of the drop mask (``None`` entries take the input's size).
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.
    """

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        _check_fraction(rate, "rate")
        self.rate = rate
        self.seed = seed
        self.noise_shape = noise_shape
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        shape = jnp.shape(inputs)
        if self.noise_shape is not None:
            shape = tuple(
                shape[i] if size is None else size for i, size in enumerate(self.noise_shape)
            )
        kept = random.uniform(shape, seed=self.seed_generator) >= self.rate
        kept = kept.astype(inputs.dtype)
        saturation = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * saturation**2)) ** -0.5
        b = -a * saturation * self.rate
        return a * (inputs * kept + saturation * (1 - kept)) + b

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one draw per sample and channel."""

    _rank = 3

    def __init__(
        self,
        rate: float,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
        data_format: str | None = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)
        self.data_format = standardize_data_format(data_format)
        self.input_spec = InputSpec(ndim=self._rank)

    def _mask_shape(self, shape: tuple) -> tuple:
        spatial = (1,) * (self._rank - 2)
        if self.data_format == "channels_first":
            return (shape[0], shape[1], *spatial)
        return (shape[0], *spatial, shape[-1])

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        return random.dropout(
            inputs,
            self.rate,
            noise_shape=self._mask_shape(jnp.shape(inputs)),
            seed=self.seed_generator,
        )

    def get_config(self) -> dict[str, Any]:
        config = {"rate": self.rate, "seed": self.seed, "name": self.name, "dtype": self.dtype}
        if self._rank > 3:
            config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of ``(batch, steps, channels)`` inputs in training.

    Args:
        rate: Fraction of channels to drop, in ``[0, 1]``.
        seed: Seed of the layer's generator.
        name: The layer's name.
        dtype: The layer's dtype.
    """

    def __init__(
        self, rate: float, seed: int | None = None, name: str | None = None, dtype: Any = None
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format="channels_last")


class SpatialDropout2D(_SpatialDropout):
    """Drops whole 2D feature maps of 4D inputs in training.

    Args:
        rate: Fraction of feature maps to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).
        seed: Seed of the layer's generator.
        name: The layer's name.
        dtype: The layer's dtype.
    """

    _rank = 4

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)


class SpatialDropout3D(_SpatialDropout):
    """Drops whole 3D feature maps of 5D inputs in training.

    Args:
        rate: Fraction of feature maps to drop, in ``[0, 1]``.
        data_format: ``"channels_last"`` or ``"channels_first"`` (default: the config's).
        seed: Seed of the layer's generator.
        name: The layer's name.
        dtype: The layer's dtype.
    """

    _rank = 5

    def __init__(
        self,
        rate: float,
        data_format: str | None = None,
        seed: int | None = None,
        name: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)
