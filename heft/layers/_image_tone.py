"""Tone augmentation layers: grayscale, inversion, posterization, solarization, auto-contrast.

The random ones are active only with ``training=True`` and draw, for the same
``seed``, the same numbers as Keras 3 on JAX. ``value_range`` is the range of
the input pixels.
"""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .. import random
from ..ops import image as image_ops
from ..ops._core import saturate_cast
from ..random._seed_generator import SeedGenerator
from ._image_base import BaseImagePreprocessingLayer


def _images(data: Any) -> Any:
    return data["images"] if isinstance(data, dict) else data


def _batch_size(data: Any) -> int:
    shape = tuple(_images(data).shape)
    if len(shape) not in (3, 4):
        raise ValueError(
            f"Expected the input image to be rank 3 or 4. Received: inputs.shape={shape}"
        )
    return 1 if len(shape) == 3 else shape[0]


def _value_range(value_range: Any) -> list:
    if not isinstance(value_range, tuple | list) or len(value_range) != 2:
        raise ValueError(
            "The `value_range` argument should be a list of two numbers. "
            f"Received: value_range={value_range}"
        )
    return sorted(value_range)


def _back_to(results: Any, dtype: Any) -> Any:
    """``results`` in ``dtype``: rounded and clipped for integer dtypes."""
    if results.dtype == dtype:
        return results
    if jnp.issubdtype(dtype, jnp.integer):
        results = jnp.round(results)
    return saturate_cast(results, dtype)


class RandomGrayscale(BaseImagePreprocessingLayer):
    """Turns each image to grayscale (kept with 3 channels) with probability ``factor``.

    As in Keras, the draw happens on every call, also with ``training=False``
    (which leaves the images unchanged).

    Args:
        factor: The probability, in ``[0, 1]``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> out = RandomGrayscale(1.0, seed=1)(np.random.rand(1, 2, 2, 3))
    >>> bool(np.allclose(out[..., 0], out[..., 2]))
    True
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    def __init__(
        self,
        factor: float = 0.5,
        data_format: str | None = None,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        if factor < 0 or factor > 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor}")
        self.factor = factor  # type: ignore[assignment]  # a probability here, not a range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        draws = random.uniform(
            (_batch_size(data),), 0, 1, seed=self.generator if seed is None else seed
        )
        return (draws < self.factor)[:, None, None, None]  # type: ignore[operator]

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        gray = image_ops.rgb_to_grayscale(images, data_format=self.data_format)
        return jnp.where(transformation, gray, images)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor})
        return config


class RandomInvert(BaseImagePreprocessingLayer):
    """Replaces images by ``value_range[1] - images`` with a random probability in training.

    Args:
        factor: A number ``f`` or a pair in ``[0, 1]``: each image is inverted with a
            probability drawn in ``[0, f]`` (or in the pair's range).
        value_range: The range of the pixels.
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomInvert((1.0, 1.0), value_range=(0, 1))(np.zeros((1, 1, 1, 1))).tolist()
    [[[[1.0]]]]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (0, 1)

    def __init__(
        self,
        factor: Any = 1.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self._set_factor(factor)
        self.value_range = value_range
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        seed = seed or self.generator
        batch = _batch_size(data)
        probability = random.uniform((batch,), self.factor[0], self.factor[1], seed=seed)
        threshold = random.uniform((batch,), 0, 1, seed=seed)
        return {"apply_inversion": threshold < probability}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        apply = transformation["apply_inversion"][:, None, None, None]
        return jnp.where(apply, self.value_range[1] - images, images)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


class RandomPosterization(BaseImagePreprocessingLayer):
    """Keeps only the top ``b`` bits of each 8-bit channel, ``b`` drawn per image in training.

    Args:
        factor: A number ``f`` or a pair in ``[1, 8]``: ``b`` is drawn as an integer in
            ``[1, f)`` (or the pair's half-open range); a single value when both ends agree.
        value_range: The range of the pixels (mapped to ``[0, 255]`` for the bit operation).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomPosterization((1, 1))(np.full((1, 1, 1, 1), 200.0)).tolist()
    [[[[128.0]]]]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = False
    _FACTOR_BOUNDS = (1, 8)
    _MAX_FACTOR = 8

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

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        batch = _batch_size(data)
        seed = self.generator if seed is None else seed
        if self.factor[0] != self.factor[1]:
            bits = random.randint(
                (batch,), self.factor[0], self.factor[1], seed=seed, dtype="uint8"
            )
        else:
            bits = jnp.ones((batch,), dtype="uint8") * self.factor[0]
        return {"shift_factor": self._MAX_FACTOR - bits}

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        shift = jnp.reshape(transformation["shift_factor"], (-1, 1, 1, 1))
        dtype = self.compute_dtype
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=dtype)
        images = jnp.asarray(images).astype("uint8")
        images = jnp.left_shift(jnp.right_shift(images, shift), shift).astype(dtype)
        return self._transform_value_range(images, (0, 255), self.value_range, dtype=dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return config


class Solarization(BaseImagePreprocessingLayer):
    """Adds a random amount to each image, then inverts pixels above a random threshold.

    In ``[0, 255]`` units: ``x + a`` (clipped) is kept below the threshold ``t`` and
    replaced by ``255 - (x + a)`` above it. As in Keras, ``a`` is drawn in
    ``[lo, hi * 255]`` for ``addition_factor=(lo, hi)``, and ``t`` likewise.

    Args:
        addition_factor: A number ``f`` (meaning ``(0, f)``) or a pair in ``[0, 1]``.
        threshold_factor: A number ``f`` (meaning ``(0, f)``) or a pair in ``[0, 1]``.
        value_range: The range of the pixels.
        seed: Seed of the layer's generator.
        **kwargs: Base layer arguments (``data_format``...).

    >>> import numpy as np
    >>> Solarization()(np.full((1, 1, 1, 1), 55.0)).tolist()
    [[[[200.0]]]]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = False
    _MESSAGE = (
        "The `addition_factor` and `threshold_factor` arguments should be a number (or a "
        "list of two numbers) in the range [0, 1]. "
    )

    def __init__(
        self,
        addition_factor: Any = 0.0,
        threshold_factor: Any = 0.0,
        value_range: Any = (0, 255),
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.addition_factor = self._range(addition_factor, "addition_factor")
        self.threshold_factor = self._range(threshold_factor, "threshold_factor")
        self.value_range = _value_range(value_range)

    def _range(self, factor: Any, name: str) -> tuple:
        def check(value: float) -> None:
            if value > 1.0 or value < 0:
                raise ValueError(self._MESSAGE + f"Received: input_number={value}")

        if isinstance(factor, tuple | list):
            if len(factor) != 2:
                raise ValueError(self._MESSAGE + f"Received: {name}={factor}")
            check(factor[0])
            check(factor[1])
            lower, upper = sorted(factor)
            return (lower, upper)
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            check(factor)
            return (0, factor)
        raise ValueError(self._MESSAGE + f"Received: {name}={factor}")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images(data).shape)
        factor_shape = (shape[0], 1, 1, 1) if len(shape) == 4 else (1, 1, 1)
        seed = self.generator if seed is None else seed
        dtype = self.compute_dtype
        low, high = self.addition_factor
        additions = random.uniform(factor_shape, low, high * 255, dtype=dtype, seed=seed)
        low, high = self.threshold_factor
        thresholds = random.uniform(factor_shape, low, high * 255, dtype=dtype, seed=seed)
        return {"additions": additions, "thresholds": thresholds}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        dtype = self.compute_dtype
        shifted = self._transform_value_range(images, self.value_range, (0, 255), dtype=dtype)
        results = jnp.clip(shifted + transformation["additions"], 0, 255)
        results = jnp.where(results < transformation["thresholds"], results, 255 - results)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=dtype)
        return _back_to(results, images.dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "value_range": self.value_range,
                "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor,
                "seed": self.seed,
            }
        )
        return config


class AutoContrast(BaseImagePreprocessingLayer):
    """Stretches each channel of each image to the full ``value_range`` (deterministic).

    Applied in training and inference alike. A constant channel is left as it was.
    The per-channel minimum and maximum are taken over axes 1 and 2, as Keras does
    (the spatial axes of channels-last batches).

    Args:
        value_range: The range of the pixels.
        **kwargs: Base layer arguments (``data_format``...).

    >>> import numpy as np
    >>> AutoContrast(value_range=(0, 1))(np.array([[[[0.25]], [[0.5]]]])).tolist()
    [[[[0.0]], [[1.0]]]]
    """

    # Colours and tones change; the boxes stay where they are.
    transform_bounding_boxes = BaseImagePreprocessingLayer._keep_bounding_boxes

    _USE_BASE_FACTOR = False

    def __init__(self, value_range: Any = (0, 255), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.value_range = _value_range(value_range)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        original = images
        dtype = self.compute_dtype
        images = self._transform_value_range(images, self.value_range, (0, 255), dtype=dtype)
        images = jnp.asarray(images).astype(dtype)
        low = jnp.min(images, axis=(1, 2), keepdims=True)
        high = jnp.max(images, axis=(1, 2), keepdims=True)
        scale = 255.0 / (high - low)
        results = jnp.clip(images * scale + (-low * scale), 0.0, 255.0)
        results = self._transform_value_range(results, (0, 255), self.value_range, dtype=dtype)
        results = jnp.where(jnp.isnan(results), original, results)
        return _back_to(results, images.dtype)

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"value_range": self.value_range})
        return config
