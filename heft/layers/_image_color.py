"""Random colour augmentation layers: contrast and brightness.

Active only with ``training=True``; with the same ``seed`` they draw the same
numbers as Keras 3 on JAX. ``value_range`` is the range of the input pixels
(``(0, 255)`` or ``(0, 1)``...); results are clipped to it.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import random
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer


def _per_image_shape(data: Any) -> tuple[int, ...]:
    images = data["images"] if isinstance(data, dict) else data
    shape = tuple(images.shape)
    if len(shape) == 3:
        return (1, 1, 1)
    if len(shape) == 4:
        return (shape[0], 1, 1, 1)
    raise ValueError(f"Expected the input image to be rank 3 or 4. Received inputs.shape={shape}")


class RandomContrast(BaseImagePreprocessingLayer):
    """Scales each image's deviation from its per-channel mean by a random factor in training.

    Args:
        factor: A number ``f`` or a pair ``(lo, hi)`` in ``[0, 1]``: the contrast
            factor is drawn in ``[1 - lo, 1 + hi]`` (``[1 - f, 1 + f]``).
        value_range: The range of the pixels; outputs are clipped to it.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments (``data_format``...).

    >>> import numpy as np
    >>> RandomContrast(0.5, seed=1)(np.full((1, 2, 2, 3), 9.0)).tolist()[0][0][0]
    [9.0, 9.0, 9.0]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        shape = _per_image_shape(data)
        if not training:
            return {"contrast_factor": jnp.zeros(shape)}
        factor = random.uniform(
            shape, 1.0 - self.factor[0], 1.0 + self.factor[1],
            dtype=self.compute_dtype, seed=self.generator if seed is None else seed,
        )  # fmt: skip
        return {"contrast_factor": factor}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        h_axis, w_axis = self._spatial_axes()
        mean = jnp.mean(jnp.mean(images, axis=h_axis, keepdims=True), axis=w_axis, keepdims=True)
        out = (images - mean) * transformation["contrast_factor"] + mean
        return jnp.clip(out, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


class RandomBrightness(BaseImagePreprocessingLayer):
    """Adds a random offset to each image in training, clipped to ``value_range``.

    Args:
        factor: A number ``f`` or a pair ``(lo, hi)`` in ``[-1, 1]``: the offset is
            drawn in ``[lo, hi]`` (``[-f, f]``) times the width of ``value_range``.
        value_range: The range of the pixels, a pair of numbers.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments (``data_format``...).

    >>> import numpy as np
    >>> RandomBrightness((0.5, 0.5), value_range=(0, 1))(np.zeros((1, 1, 1, 1))).tolist()
    [[[[0.5]]]]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    def __init__(
        self, factor: Any, value_range: Any = (0, 255), seed: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(factor=factor, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        if not isinstance(value_range, tuple | list) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers. "
                f"Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        shape = _per_image_shape(data)
        if not training:
            return {"rgb_delta": jnp.zeros(shape)}
        delta = random.uniform(
            shape, self.factor[0], self.factor[1], seed=self.generator if seed is None else seed
        )
        return {"rgb_delta": delta * (self.value_range[1] - self.value_range[0])}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = images + transformation["rgb_delta"].astype(images.dtype)
        return jnp.clip(images, self.value_range[0], self.value_range[1])

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config
