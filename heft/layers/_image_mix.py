"""Augmentations that mix images of a batch (``MixUp``, ``CutMix``) and ``RandomGaussianBlur``.

Active only with ``training=True``; with the same ``seed`` they draw the same
numbers as Keras 3 on JAX. Labels in dict inputs are mixed with the images.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import random
from ..ops import image as image_ops
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer
from ._image_tone import _batch_size


class MixUp(BaseImagePreprocessingLayer):
    """Blends each image (and its label) with another image of the batch.

    The weight of the image itself is drawn from ``Beta(alpha, alpha)``; the
    partner comes from a random permutation of the batch.

    Args:
        alpha: The Beta distribution's parameter.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> MixUp(seed=1)(np.ones((4, 2, 2, 3))).shape
    (4, 2, 2, 3)
    """

    def __init__(
        self, alpha: float = 0.2, data_format: str | None = None, seed: int | None = None, **kwargs
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.alpha = alpha
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        batch = _batch_size(data)
        seed = self.generator if seed is None else seed
        order = random.shuffle(jnp.arange(0, batch, dtype="int32"), seed=seed)
        weight = random.beta((batch,), self.alpha, self.alpha, seed=seed)
        return {"mix_weight": weight, "permutation_order": order}

    def _mix(self, x: Any, transformation: Any, weight_shape: list) -> Any:
        weight = jnp.reshape(transformation["mix_weight"], weight_shape)
        return weight * x + (1.0 - weight) * jnp.take(x, transformation["permutation_order"], 0)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        return self._mix(images, transformation, [-1, 1, 1, 1]).astype(self.compute_dtype)

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return self._mix(labels, transformation, [-1, 1]) if training else labels

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Each image keeps its boxes and gains its partner's: ``(batch, 2 * num_boxes, 4)``.

        The labels are joined the same way, ``(batch, 2 * num_boxes)``, so that they
        stay aligned with the boxes (Keras 3.15 joins the labels along the batch
        axis instead, which leaves them unaligned). The result holds ``"boxes"``
        and ``"labels"`` only.
        """
        if not training:
            return bounding_boxes
        order = transformation["permutation_order"]
        boxes, labels = jnp.asarray(bounding_boxes["boxes"]), jnp.asarray(bounding_boxes["labels"])
        return {
            "boxes": jnp.concatenate([boxes, jnp.take(boxes, order, axis=0)], axis=1),
            "labels": jnp.concatenate([labels, jnp.take(labels, order, axis=0)], axis=1),
        }

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        # Keras takes the partner masks from the flattened array; heft takes them
        # along the batch axis, as for the images.
        return (
            self._mix(segmentation_masks, transformation, [-1, 1, 1, 1])
            if training
            else (segmentation_masks)
        )

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"alpha": self.alpha, "seed": self.seed})
        return config


class CutMix(BaseImagePreprocessingLayer):
    """Pastes a random rectangle from another image of the batch into each image.

    Labels are mixed in proportion to the pasted area. Single images (rank 3)
    are returned as they are.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: the Beta parameter of the
            area draw is drawn in that range.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> CutMix(seed=1)(np.ones((4, 4, 4, 3))).shape
    (4, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self, factor: Any = 1.0, seed: int | None = None, data_format: str | None = None, **kwargs
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def _bounds(self, batch: int, length: int, ratio: Any, seed: Any) -> tuple[Any, Any]:
        dtype = self.compute_dtype
        crop = (ratio * length).astype(dtype)
        start = random.uniform([batch], 0, 1, dtype=dtype, seed=seed) * (length - crop)
        return start, start + crop

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple((data["images"] if isinstance(data, dict) else data).shape)
        if len(shape) == 3:
            return None
        batch = shape[0]
        h_axis, w_axis = self._spatial_axes()
        height, width = shape[h_axis], shape[w_axis]
        seed = seed or self.generator
        dtype = self.compute_dtype
        alpha = random.uniform((), self.factor[0], self.factor[1], dtype=dtype, seed=seed) + 1e-06
        weight = random.beta((batch,), alpha, alpha, seed=seed, dtype=dtype)
        ratio = jnp.sqrt(1.0 - weight)
        x0, x1 = self._bounds(batch, width, ratio, seed)
        y0, y1 = self._bounds(batch, height, ratio, seed)
        gy, gx = jnp.meshgrid(
            jnp.arange(height, dtype=dtype), jnp.arange(width, dtype=dtype), indexing="ij"
        )
        expand: tuple[Any, ...] = (None, slice(None), slice(None), None)
        if self.data_format == "channels_first":
            expand = (None, None, slice(None), slice(None))
        gx, gy = gx[expand], gy[expand]
        x0, x1, y0, y1 = (v[:, None, None, None] for v in (x0, x1, y0, y1))
        masks = (gx >= x0) & (gx < x1) & (gy >= y0) & (gy < y1)
        channel_axis = -1 if self.data_format == "channels_last" else -3
        masks = jnp.repeat(masks, shape[channel_axis], axis=channel_axis)
        mix_weight = 1.0 - (x1 - x0) * (y1 - y0) / (width * height)
        order = random.shuffle(jnp.arange(0, batch, dtype="int32"), seed=seed)
        return {"permutation_order": order, "batch_masks": masks, "mix_weight": mix_weight}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if training and transformation is not None:
            partners = jnp.take(images, transformation["permutation_order"], axis=0)
            images = jnp.where(transformation["batch_masks"], partners, images)
        return images

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        if training and transformation is not None:
            weight = jnp.reshape(transformation["mix_weight"], [-1, 1])
            partners = jnp.take(labels, transformation["permutation_order"], axis=0)
            labels = weight * labels + (1.0 - weight) * partners
        return labels

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "seed": self.seed})
        return config


class RandomGaussianBlur(BaseImagePreprocessingLayer):
    """Blurs each image with a Gaussian of random width, with a random probability.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: each image is blurred with a
            probability drawn in ``[0, f]`` (or the pair's range).
        kernel_size: An odd kernel size, or a pair ``(x, y)`` of odd sizes.
        sigma: A number or a pair in ``[0, 1]``: the standard deviations (along x
            and y) are drawn in its range.
        value_range: The range of the pixels; results are clipped to it.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomGaussianBlur(seed=1)(np.ones((2, 5, 5, 3))).shape
    (2, 5, 5, 3)
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        kernel_size: Any = 3,
        sigma: Any = 1.0,
        value_range: Any = (0, 255),
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.kernel_size = self._kernel_size(kernel_size, "kernel_size")
        self.sigma = self._sigma(sigma, "sigma")
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    @staticmethod
    def _kernel_size(size: Any, name: str) -> tuple[Any, Any]:
        message = f"{name} must be an odd number. Received: {name}={size}"
        if isinstance(size, tuple | list):
            if len(size) != 2:
                raise ValueError(
                    f"The `{name}` argument should be a number (or a list of two numbers) "
                    f"Received: {name}={size}"
                )
            if size[0] % 2 == 0 or size[1] % 2 == 0:
                raise ValueError(message)
            return size[0], size[1]
        if isinstance(size, int | float) and not isinstance(size, bool):
            if size % 2 == 0:
                raise ValueError(message)
            return size, size
        raise ValueError(message)

    def _sigma(self, sigma: Any, name: str) -> tuple[Any, Any]:
        low, high = self._FACTOR_BOUNDS
        message = (
            f"The `{name}` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={sigma}"
        )
        if isinstance(sigma, tuple | list):
            if len(sigma) != 2 or sigma[0] > high or sigma[1] < low:
                raise ValueError(message)
            lower, upper = sorted(sigma)
            return lower, upper
        if isinstance(sigma, int | float) and not isinstance(sigma, bool):
            if sigma < low or sigma > high:
                raise ValueError(message)
            return max(-abs(sigma), low), abs(sigma)
        raise ValueError(message)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        batch = _batch_size(data)
        seed = seed or self.generator
        probability = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = random.uniform((batch,), 0.0, 1.0, seed=seed)
        blur = (
            random.uniform((2,), self.sigma[0], self.sigma[1], seed=seed, dtype=self.compute_dtype)
            + 1e-06
        )
        return {"should_apply_blur": threshold < probability, "blur_factor": blur}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        blurred = image_ops.gaussian_blur(
            images, kernel_size=self.kernel_size, sigma=transformation["blur_factor"],
            data_format=self.data_format,
        )  # fmt: skip
        apply = transformation["should_apply_blur"][:, None, None, None]
        images = jnp.clip(jnp.where(apply, blurred, images), *self.value_range)
        return images.astype(self.compute_dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"factor": self.factor, "kernel_size": self.kernel_size, "sigma": self.sigma,
             "value_range": self.value_range, "seed": self.seed}
        )  # fmt: skip
        return config
