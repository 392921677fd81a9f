"""Colour augmentation layers on hue, saturation, colourfulness and sharpness.

Active only with ``training=True`` (each draws on every call, as in Keras); for
the same ``seed`` they draw the same numbers as Keras 3 on JAX. ``value_range``
is the range of the input pixels.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import _config, random
from ..ops import image as image_ops
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer
from ._image_tone import _batch_size, _value_range


class _FactorLayer(BaseImagePreprocessingLayer):
    """A colour layer with ``factor``, ``value_range`` and ``seed`` in its config."""

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = _value_range(value_range)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _draw(self, data: Any, seed: Any, shape_tail: tuple = ()) -> Any:
        shape = (_batch_size(data), *shape_tail)
        return random.uniform(
            shape, self.factor[0], self.factor[1], seed=self.generator if seed is None else seed
        )

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


class RandomColorDegeneration(_FactorLayer):
    """Blends each image with its grayscale version by a random factor in training.

    Args:
        factor: A number ``f`` or a pair: the blend weight is drawn in ``[-f, f]``
            (factor bounds ``[-1, 1]``, as in Keras); 1 gives grayscale.
        value_range: The range of the pixels; results are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomColorDegeneration(0.5, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        return {"factor": self._draw(data, seed, (1, 1, 1))}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        factor = transformation["factor"].astype(self.compute_dtype)
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        images = images + factor * (gray - images)
        return jnp.clip(images, self.value_range[0], self.value_range[1]).astype(self.compute_dtype)

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) not in (3, 4):
            raise ValueError(
                "Invalid images rank: expected rank 3 (single image) or rank 4 (batch of "
                f"images). Received: input_shape={input_shape}"
            )
        channels = input_shape[-1 if self.data_format == "channels_last" else -3]
        if channels is not None and channels != 3:
            raise ValueError(
                f"Input images must have 3 channels, but received images with {channels} channels."
            )
        return input_shape


class RandomSaturation(_FactorLayer):
    """Scales each image's saturation by a random factor in training.

    A draw ``u`` becomes the multiplier ``u / (1 - u + epsilon)``: 0 gives grayscale,
    0.5 leaves the image as it was, values near 1 saturate fully.

    Args:
        factor: A number ``f`` or a pair: ``u`` is drawn in ``[-f, f]`` (factor bounds
            ``[-1, 1]``, as in Keras) or in the pair's range.
        value_range: The range the new saturation is clipped to.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomSaturation((0.5, 0.5))(np.ones((1, 2, 2, 3), "float32")).shape
    (1, 2, 2, 3)
    """

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        u = self._draw(data, seed)
        return {"factor": u / (1 - u + _config.epsilon())}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        factor = transformation["factor"].astype(self.compute_dtype)[:, None, None]
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        axis = -1 if self.data_format == "channels_last" else 1
        h, s, v = (jnp.take(hsv, i, axis=axis) for i in range(3))
        s = jnp.clip(s * factor, self.value_range[0], self.value_range[1])
        return image_ops.hsv_to_rgb(jnp.stack([h, s, v], axis=axis), data_format=self.data_format)


class RandomHue(_FactorLayer):
    """Rotates each image's hue by a random amount in training.

    The shift is ``+-u / 2`` of a full turn with ``u`` drawn in the factor's range
    and the sign drawn first.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``.
        value_range: The range of the pixels.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomHue(0.5, value_range=(0, 1), seed=1)(np.ones((1, 2, 2, 3), "float32")).shape
    (1, 2, 2, 3)
    """

    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(factor, (0, 1), data_format, seed, **kwargs)
        self.value_range = value_range

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        seed = self.generator if seed is None else seed
        batch = _batch_size(data)
        sign = random.uniform((batch,), seed=seed)
        sign = jnp.where(sign > 0.5, -jnp.ones_like(sign), jnp.ones_like(sign))
        amount = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        return {"factor": sign * amount * 0.5}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        images = self._transform_value_range(images, self.value_range, (0, 1))
        shift = transformation["factor"].astype(images.dtype)[:, None, None]
        hsv = image_ops.rgb_to_hsv(images, data_format=self.data_format)
        axis = -1 if self.data_format == "channels_last" else 1
        h, s, v = (jnp.take(hsv, i, axis=axis) for i in range(3))
        h = h + shift
        h = jnp.where(h > 1.0, h - 1.0, h)
        h = jnp.where(h < 0.0, h + 1.0, h)
        rgb = image_ops.hsv_to_rgb(jnp.stack([h, s, v], axis=axis), data_format=self.data_format)
        rgb = self._transform_value_range(jnp.clip(rgb, 0, 1), (0, 1), self.value_range)
        return jnp.asarray(rgb).astype(self.compute_dtype)


class RandomSharpness(_FactorLayer):
    """Blends each image with a smoothed copy by a random factor in training.

    With the drawn ``u``, the result is ``image + (1 - 2u) * (smooth - image)``:
    ``u = 0.5`` leaves the image as it was, smaller values blur, larger sharpen.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``.
        value_range: The range of the pixels; results are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomSharpness(0.5, seed=1)(np.ones((1, 4, 4, 3))).shape
    (1, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        return {"factor": self._draw(data, seed)}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        dtype = self.compute_dtype
        images = jnp.asarray(images).astype(dtype)
        if not training:
            return images
        if self.data_format == "channels_first":
            images = jnp.swapaxes(images, -3, -1)
        strength = jnp.reshape((transformation["factor"] * 2).astype(dtype), (-1, 1, 1, 1))
        a, b = 1.0 / 13.0, 5.0 / 13.0
        kernel = jnp.asarray([[a, a, a], [a, b, a], [a, a, a]], dtype=dtype)
        channels = images.shape[-1]
        kernel = jnp.tile(kernel[:, :, None, None], (1, 1, 1, channels))
        smooth = jax.lax.conv_general_dilated(
            images, kernel, (1, 1), "SAME", dimension_numbers=("NHWC", "HWIO", "NHWC"),
            feature_group_count=channels,
        ).astype(dtype)  # fmt: skip
        images = images + (1.0 - strength) * (smooth - images)
        images = jnp.clip(images, self.value_range[0], self.value_range[1])
        if self.data_format == "channels_first":
            images = jnp.swapaxes(images, -3, -1)
        return images
