"""``Dropout``: randomly zeroes inputs in training, scaling the rest by ``1/(1-rate)``."""

from __future__ import annotations

from typing import Any

from .. import random
from ..random._seed_generator import SeedGenerator
from ._layer import Layer


class Dropout(Layer):
    """Sets a fraction ``rate`` of inputs to 0 in training; the identity in inference.

    The randomness comes from a ``SeedGenerator`` tracked by the layer, so the
    layer works inside ``stateless_call`` and ``jax.jit``.

    Args:
        rate: Fraction of inputs to drop, in ``[0, 1)``.
        noise_shape: Shape of the binary mask, broadcast over the input
            (``None`` entries take the input's size).
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import heft
    >>> Dropout(0.5)(heft.ops.ones((2, 2))).tolist()
    [[1.0, 1.0], [1.0, 1.0]]
    """

    def __init__(
        self, rate: float, noise_shape: Any = None, seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
            raise ValueError(
                "Invalid value received for argument `rate`. Expected a float value between "
                f"0 and 1. Received: rate={rate}"
            )
        self.rate = rate
        self.seed = seed
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        if rate > 0:
            self.seed_generator = SeedGenerator(seed)
        self.supports_masking = True
        self._build_at_init()

    def call(self, inputs: Any, training: bool | None = False) -> Any:
        if not training or self.rate == 0:
            return inputs
        return random.dropout(
            inputs, self.rate, noise_shape=self.noise_shape, seed=self.seed_generator
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return config
