"""``RandomColorJitter``: random brightness, contrast, saturation and hue, in that order."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer
from ._image_color import RandomBrightness, RandomContrast
from ._image_hsv import RandomHue, RandomSaturation


class RandomColorJitter(BaseImagePreprocessingLayer):
    """Applies the colour augmentations whose factor is given, in training.

    Each step is the matching layer (``RandomBrightness``, ``RandomContrast``,
    ``RandomSaturation``, ``RandomHue``) with this layer's ``value_range``; all
    draws come from this layer's generator, as in Keras.

    Args:
        value_range: The range of the pixels.
        brightness_factor: ``RandomBrightness``'s factor, or ``None`` to skip it.
        contrast_factor: ``RandomContrast``'s factor, or ``None``.
        saturation_factor: ``RandomSaturation``'s factor, or ``None``.
        hue_factor: ``RandomHue``'s factor, or ``None``.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomColorJitter(brightness_factor=0.2, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = True

    def __init__(
        self,
        value_range: Any = (0, 255),
        brightness_factor: Any = None,
        contrast_factor: Any = None,
        saturation_factor: Any = None,
        hue_factor: Any = None,
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.brightness_factor = brightness_factor
        self.contrast_factor = contrast_factor
        self.saturation_factor = saturation_factor
        self.hue_factor = hue_factor
        self.seed = seed
        self.generator = SeedGenerator(seed)
        # The steps share this layer's data format (Keras leaves them at the default,
        # so there channels-first input fails).
        common = {"value_range": value_range, "seed": seed, "data_format": self.data_format}
        self.random_brightness = (
            None if brightness_factor is None else RandomBrightness(brightness_factor, **common)
        )
        self.random_contrast = (
            None if contrast_factor is None else RandomContrast(contrast_factor, **common)
        )
        self.random_saturation = (
            None if saturation_factor is None else RandomSaturation(saturation_factor, **common)
        )
        self.random_hue = None if hue_factor is None else RandomHue(hue_factor, **common)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        for step in (self.random_brightness, self.random_contrast, self.random_saturation,
                     self.random_hue):  # fmt: skip
            if step is None:
                continue
            drawn = step.get_random_transformation(images, seed=self.generator)
            if step is self.random_contrast:
                drawn["contrast_factor"] = drawn["contrast_factor"].astype(self.compute_dtype)
            images = step.transform_images(images, drawn)
        return images.astype(self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor,
                "seed": self.seed,
            }
        )
        return config
