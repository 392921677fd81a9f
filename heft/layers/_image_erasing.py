"""``RandomErasing``: replaces a random rectangle of each image by a constant or by noise.

Active only with ``training=True``; with the same ``seed`` it draws the same
numbers as Keras 3 on JAX. Labels, bounding boxes and segmentation masks are
returned as they are.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import random
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer


class RandomErasing(BaseImagePreprocessingLayer):
    """Erases a random rectangle of each image with a random probability, in training.

    Per image, the rectangle's width and height are ``sqrt(s) * width`` and
    ``sqrt(t) * height`` of the image for ``s``, ``t`` drawn in ``scale``, placed
    uniformly inside the image. Its pixels become ``fill_value`` (or, with
    ``fill_value=None``, standard normal noise times ``value_range[1]``), clipped
    to ``value_range``.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: each image is erased with a
            probability drawn in ``[0, f]`` (or the pair's range).
        scale: A number or a pair in ``[0, 1]``: the range of the area fractions
            ``s`` and ``t`` above.
        fill_value: A number, three numbers (one per channel, in either data format;
            Keras 3.15 on JAX raises a ``TypeError`` there), or ``None`` for noise.
            Checked when the layer is called, as in Keras.
        value_range: The range of the pixels.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> out = RandomErasing((1.0, 1.0), scale=(0.25, 0.25), fill_value=0.0, seed=1)(
    ...     np.ones((1, 4, 4, 1)))
    >>> int((np.asarray(out) == 0).sum())
    4
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        scale: Any = (0.02, 0.33),
        fill_value: Any = None,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.scale = self._range_by_name(scale, "scale")
        self.fill_value = fill_value
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)
        h_axis, w_axis = self._spatial_axes()
        self.height_axis, self.width_axis = h_axis, w_axis
        self.channel_axis = -1 if self.data_format == "channels_last" else -3

    def _range_by_name(self, factor: Any, name: str) -> tuple[Any, Any]:
        low, high = self._FACTOR_BOUNDS
        message = (
            f"The `{name}` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, tuple | list):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(factor)
            return lower, upper
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            if factor < low or factor > high:
                raise ValueError(message)
            factor = abs(factor)
            return max(-factor, low), factor
        raise ValueError(message)

    def _bounds(self, batch: int, length: int, ratio: Any, seed: Any) -> tuple[Any, Any]:
        dtype = self.compute_dtype
        crop = (ratio * length).astype(dtype)
        start = random.uniform([batch], 0, 1, dtype=dtype, seed=seed) * (length - crop)
        return start, start + crop

    def _masks(self, shape: tuple, corners: tuple) -> Any:
        dtype = self.compute_dtype
        height, width = shape[self.height_axis], shape[self.width_axis]
        gy, gx = jnp.meshgrid(
            jnp.arange(height, dtype=dtype), jnp.arange(width, dtype=dtype), indexing="ij"
        )
        expand: tuple[Any, ...] = (None, slice(None), slice(None), None)
        if self.data_format == "channels_first":
            expand = (None, None, slice(None), slice(None))
        gx, gy = gx[expand], gy[expand]
        x0, x1, y0, y1 = (v[:, None, None, None] for v in corners)
        masks = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)
        return jnp.repeat(masks, shape[self.channel_axis], axis=self.channel_axis)

    def _fill(self, images: Any, shape: tuple, seed: Any) -> Any:
        dtype = self.compute_dtype
        fill_value = self.fill_value
        message = (
            "The `fill_value` argument should be a number (or a list of three numbers) "
            f"Received: fill_value={fill_value}"
        )
        if fill_value is None:
            fill = random.normal(shape, dtype=dtype, seed=seed) * self.value_range[1]
        elif isinstance(fill_value, tuple | list):
            if len(fill_value) != 3:
                raise ValueError(message)
            per_channel = jnp.asarray(fill_value, dtype=dtype)
            if self.data_format == "channels_first":
                per_channel = per_channel[:, None, None]
            fill = jnp.broadcast_to(per_channel, jnp.shape(images))
        elif isinstance(fill_value, int | float) and not isinstance(fill_value, bool):
            fill = jnp.ones(shape, dtype=dtype) * fill_value
        else:
            raise ValueError(message)
        return jnp.clip(fill, self.value_range[0], self.value_range[1])

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        shape = tuple(images.shape)
        if len(shape) not in (3, 4):
            raise ValueError(
                f"Expected the input image to be rank 3 or 4. Received inputs.shape={shape}"
            )
        batch = 1 if len(shape) == 3 else shape[0]
        seed = seed or self.generator
        areas = random.uniform(
            (batch, 2), self.scale[0], self.scale[1], dtype=self.compute_dtype, seed=seed
        )
        areas = jnp.sqrt(areas)
        x0, x1 = self._bounds(batch, shape[self.width_axis], areas[:, 0], seed)
        y0, y1 = self._bounds(batch, shape[self.height_axis], areas[:, 1], seed)
        masks = self._masks(shape, (x0, x1, y0, y1))
        probability = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        fill = self._fill(images, shape, seed)
        return {"apply_erasing": threshold < probability, "batch_masks": masks, "fill_value": fill}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        images = jnp.asarray(images)
        if training:
            images = images.astype(self.compute_dtype)
            erased = jnp.where(transformation["batch_masks"], transformation["fill_value"], images)
            apply = transformation["apply_erasing"][:, None, None, None]
            images = jnp.where(apply, erased, images)
        return images.astype(self.compute_dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"factor": self.factor, "scale": self.scale, "fill_value": self.fill_value,
             "value_range": self.value_range, "seed": self.seed}
        )  # fmt: skip
        return config
