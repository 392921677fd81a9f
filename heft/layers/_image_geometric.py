"""Random geometric augmentation layers: flips, rotations, zooms, translations, crops.

Each is active only with ``training=True`` (a plain call, or inside ``fit``) and
the identity at inference (``predict``, ``training=False``), as in Keras. A
layer's randomness comes from its ``SeedGenerator``: with the same ``seed`` it
draws the same numbers as Keras 3 on JAX, call after call.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .. import random
from ..ops import image as image_ops
from ..random._seed_generator import SeedGenerator, make_default_seed
from ..utils import bounding_boxes as box_utils
from ..utils.bounding_boxes import clip_to_image_size, convert_format
from ._image_base import BaseImagePreprocessingLayer
from ._image_boxes import clip_boxes_to_window, image_size, projective_xy

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


def _images_of(data: Any) -> Any:
    return data["images"] if isinstance(data, dict) else data


def _check_fill(fill_mode: str, interpolation: str) -> None:
    if fill_mode not in _FILL_MODES:
        raise NotImplementedError(
            f"Unknown `fill_mode` {fill_mode}. Expected of one {_FILL_MODES}."
        )
    if interpolation not in _INTERPOLATIONS:
        raise NotImplementedError(
            f"Unknown `interpolation` {interpolation}. Expected of one {_INTERPOLATIONS}."
        )


def _batched_call(fn: Any, images: Any) -> Any:
    """Apply ``fn`` to a batch, adding and removing a batch axis for a single image."""
    if images.ndim == 3:
        return fn(images[None])[0]
    return fn(images)


class RandomFlip(BaseImagePreprocessingLayer):
    """Flips each image horizontally and/or vertically with probability 1/2 in training.

    Args:
        mode: ``"horizontal"``, ``"vertical"`` or ``"horizontal_and_vertical"``
            (one draw per image decides both flips).
        seed: Seed of the layer's generator.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomFlip(seed=1)(np.ones((2, 4, 4, 3)), training=False).shape
    (2, 4, 4, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        mode: str = "horizontal_and_vertical",
        seed: int | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.mode = mode

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images_of(data).shape)
        flips_shape = (1, 1, 1) if len(shape) == 3 else (shape[0], 1, 1, 1)
        draws = random.uniform(flips_shape, seed=self.generator if seed is None else seed)
        return {"flips": draws <= 0.5, "input_shape": shape}

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images).astype(self.compute_dtype)
        if not training or transformation is None:
            return images
        flips = transformation["flips"]
        h_axis, w_axis = self._spatial_axes()

        def flip(batch: Any) -> Any:
            if self.mode in ("horizontal", "horizontal_and_vertical"):
                batch = jnp.where(flips, jnp.flip(batch, axis=w_axis), batch)
            if self.mode in ("vertical", "horizontal_and_vertical"):
                batch = jnp.where(flips, jnp.flip(batch, axis=h_axis), batch)
            return batch

        return _batched_call(flip, images)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Mirror the boxes of flipped images (in relative coordinates), then clip them.

        Labels of boxes left without area become ``-1``.
        """
        if not training or transformation is None:
            return bounding_boxes
        flips = jnp.squeeze(transformation["flips"], -1)
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(bounding_boxes, self._box_format(), "rel_xyxy", height, width)
        b = boxes["boxes"]
        x1, y1, x2, y2 = jnp.split(b, 4, axis=-1)
        if self.mode in ("horizontal", "horizontal_and_vertical"):
            b = jnp.where(flips, jnp.concatenate([1 - x2, y1, 1 - x1, y2], axis=-1), b)
            x1, y1, x2, y2 = jnp.split(b, 4, axis=-1)
        if self.mode in ("vertical", "horizontal_and_vertical"):
            b = jnp.where(flips, jnp.concatenate([x1, 1 - y2, x2, 1 - y1], axis=-1), b)
        boxes["boxes"] = b
        # Like Keras, the relative boxes are clipped with the pixel size as bounds.
        boxes = clip_to_image_size(boxes, height, width, "xyxy")
        return convert_format(boxes, "rel_xyxy", self._box_format(), height, width)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"seed": self.seed, "mode": self.mode, "data_format": self.data_format})
        return config


class RandomRotation(BaseImagePreprocessingLayer):
    """Rotates each image by a random angle about its centre in training.

    Args:
        factor: Fraction of a full turn: a number ``f`` draws angles in
            ``[-f * 360, f * 360]`` degrees, a pair ``(lo, hi)`` in ``[lo * 360, hi * 360]``.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Seed of the layer's generator.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomRotation(0.1, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    def __init__(
        self,
        factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(factor=factor, data_format=data_format, **kwargs)
        self.seed = seed
        self.generator = SeedGenerator(seed)
        self.fill_mode = fill_mode
        self.interpolation = interpolation
        self.fill_value = fill_value
        _check_fill(fill_mode, interpolation)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images_of(data).shape)
        batch = shape[0] if len(shape) == 4 else 1
        h_axis, w_axis = self._spatial_axes()
        height, width = shape[h_axis], shape[w_axis]
        angle = random.uniform(
            (batch,), self.factor[0] * 360.0, self.factor[1] * 360.0,
            seed=self.generator if seed is None else seed,
        )  # fmt: skip
        zeros, ones = jnp.zeros([batch]), jnp.ones([batch])
        matrix = self._compute_affine_matrix(
            0.5, 0.5, angle, zeros, zeros, ones, zeros, zeros, height, width
        )
        if len(shape) == 3:
            matrix = matrix[0]
        return {"angle": angle, "rotation_matrix": matrix, "image_height": height,
                "image_width": width, "batch_size": batch}  # fmt: skip

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        return image_ops.affine_transform(
            images, transformation["rotation_matrix"], interpolation=interpolation,
            fill_mode=self.fill_mode, fill_value=self.fill_value, data_format=self.data_format,
        )  # fmt: skip

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """The boxes enclosing the rotated boxes, clipped (labels ``-1`` when nothing is left).

        As in Keras 3, the given boxes are read as ``"xyxy"`` whatever the layer's
        ``bounding_box_format``; the result is in ``bounding_box_format``.
        """
        if not training or transformation is None:
            return bounding_boxes
        height, width = transformation["image_height"], transformation["image_width"]
        batch = transformation["batch_size"]
        zeros, ones = jnp.zeros([batch]), jnp.ones([batch])
        boxes = dict(bounding_boxes)
        boxes["boxes"] = box_utils.affine_transform(
            boxes["boxes"], transformation["angle"], zeros, zeros, ones, zeros, zeros,
            height, width,
        )  # fmt: skip
        boxes = clip_to_image_size(boxes, height, width, "xyxy")
        return convert_format(boxes, "xyxy", self._box_format(), height, width)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "factor": self.factor,
                "data_format": self.data_format,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "interpolation": self.interpolation,
                "seed": self.seed,
            }
        )
        return config


def _factor_range(factor: Any, name: str, message: str, open_low: bool) -> tuple[float, float]:
    """``(lower, upper)`` of a height/width factor, each in ``[-1, 1]`` (``(-1, 1]`` if open_low)."""

    def check(value: float) -> None:
        if value > 1.0 or (value <= -1.0 if open_low else value < -1.0):
            raise ValueError(message + f"Received: input_number={value}")

    if isinstance(factor, tuple | list):
        if len(factor) != 2:
            raise ValueError(message + f"Received: {name}={factor}")
        check(factor[0])
        check(factor[1])
        lower, upper = sorted(factor)
        return lower, upper
    if isinstance(factor, int | float) and not isinstance(factor, bool):
        check(factor)
        return -abs(factor), abs(factor)
    raise ValueError(message + f"Received: {name}={factor}")


class _AffineAugmentation(BaseImagePreprocessingLayer):
    """Shared by RandomZoom and RandomTranslation: one affine warp per image."""

    _USE_BASE_FACTOR = False
    height_factor: Any
    width_factor: Any
    fill_mode: str
    fill_value: float
    seed: int | None

    def _warp(self, images: Any, matrix: Any, interpolation: str) -> Any:
        def run(batch: Any) -> Any:
            return image_ops.affine_transform(
                batch, matrix, interpolation=interpolation, fill_mode=self.fill_mode,
                fill_value=self.fill_value, data_format=self.data_format,
            )  # fmt: skip

        return _batched_call(run, images)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "height_factor": self.height_factor,
                "width_factor": self.width_factor,
                "fill_mode": self.fill_mode,
                "interpolation": self.interpolation,
                "seed": self.seed,
                "fill_value": self.fill_value,
                "data_format": self.data_format,
            }
        )
        return config


class RandomZoom(_AffineAugmentation):
    """Zooms each image in or out by a random factor about its centre in training.

    Args:
        height_factor: A number ``f`` or a pair ``(lo, hi)`` in ``(-1, 1]``: the
            vertical zoom is drawn in ``[1 + lo, 1 + hi]`` (positive values zoom out).
        width_factor: The same for the width; ``None`` keeps the aspect ratio
            (the height's zoom is used).
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Seed of the layer's generator.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomZoom(0.2, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _MESSAGE = (
        "The `height_factor` and `width_factor` arguments should be a number (or a list of "
        "two numbers) in the range (-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any = None,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_range(
            height_factor, "height_factor", self._MESSAGE, open_low=True
        )
        self.width_factor = width_factor
        if width_factor is not None:
            self.width_lower, self.width_upper = _factor_range(
                width_factor, "width_factor", self._MESSAGE, open_low=True
            )
        _check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images_of(data).shape)
        zoom_shape = (shape[0], 1) if len(shape) == 4 else (1, 1)
        seed = self.generator if seed is None else seed
        height_zoom = random.uniform(
            zoom_shape, 1.0 + self.height_lower, 1.0 + self.height_upper, seed=seed
        )
        width_zoom = height_zoom
        if self.width_factor is not None:
            width_zoom = random.uniform(
                zoom_shape, 1.0 + self.width_lower, 1.0 + self.width_upper, seed=seed
            )
        return {"height_zoom": height_zoom, "width_zoom": width_zoom, "input_shape": shape}

    def _zoom_matrix(self, zooms: Any, height: int, width: int) -> Any:
        n = zooms.shape[0]
        x_offset = (jnp.asarray(width, "float32") - 1.0) / 2.0 * (1.0 - zooms[:, 0:1])
        y_offset = (jnp.asarray(height, "float32") - 1.0) / 2.0 * (1.0 - zooms[:, 1:])
        zero = jnp.zeros((n, 1))
        return jnp.concatenate(
            [zooms[:, 0:1], zero, x_offset, zero, zooms[:, 1:], y_offset, jnp.zeros((n, 2))],
            axis=1,
        )

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes in the zoomed frame: clipped to the visible window, then rescaled.

        Labels of boxes left without area become ``-1``.
        """
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(bounding_boxes, self._box_format(), "xyxy", height, width)
        zooms = jnp.concatenate(
            [transformation["width_zoom"], transformation["height_zoom"]], axis=1
        ).astype("float32")
        matrix = self._zoom_matrix(zooms, height, width)
        left, top = projective_xy(0, 0, matrix)
        right, bottom = projective_xy(width, height, matrix)
        window = [top, left, bottom, right]
        if boxes["boxes"].ndim == 3:
            window = [jnp.expand_dims(v, -1) for v in window]
        boxes["boxes"] = clip_boxes_to_window(boxes["boxes"], *window)
        seen_h = jnp.expand_dims(bottom - top, -1)
        seen_w = jnp.expand_dims(right - left, -1)
        boxes = convert_format(boxes, "xyxy", "rel_xyxy", seen_h, seen_w)
        boxes = clip_to_image_size(boxes, seen_h, seen_w, "rel_xyxy")
        return convert_format(boxes, "rel_xyxy", self._box_format(), height, width)

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        zooms = jnp.concatenate(
            [transformation["width_zoom"], transformation["height_zoom"]], axis=1
        ).astype("float32")
        h_axis, w_axis = self._spatial_axes()
        matrix = self._zoom_matrix(zooms, images.shape[h_axis], images.shape[w_axis])
        return self._warp(images, matrix, interpolation)


class RandomTranslation(_AffineAugmentation):
    """Shifts each image by a random offset in training.

    Args:
        height_factor: A number ``f`` or a pair ``(lo, hi)`` in ``[-1, 1]``: the
            vertical shift is drawn in ``[lo, hi]`` times the height.
        width_factor: The same for the horizontal shift.
        fill_mode: ``"reflect"``, ``"wrap"``, ``"constant"`` or ``"nearest"``.
        interpolation: ``"bilinear"`` or ``"nearest"``.
        seed: Seed of the layer's generator.
        fill_value: Value outside the image with ``fill_mode="constant"``.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomTranslation(0.2, 0.2, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 4, 4, 3)
    """

    _MESSAGE = (
        "The `factor` argument should be a number (or a list of two numbers) in the range "
        "[-1.0, 1.0]. "
    )

    def __init__(
        self,
        height_factor: Any,
        width_factor: Any,
        fill_mode: str = "reflect",
        interpolation: str = "bilinear",
        seed: int | None = None,
        fill_value: float = 0.0,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height_factor = height_factor
        self.height_lower, self.height_upper = _factor_range(
            height_factor, "height_factor", self._MESSAGE, open_low=False
        )
        self.width_factor = width_factor
        self.width_lower, self.width_upper = _factor_range(
            width_factor, "width_factor", self._MESSAGE, open_low=False
        )
        _check_fill(fill_mode, interpolation)
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.interpolation = interpolation
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        if not training:
            return None
        shape = tuple(_images_of(data).shape)
        batch = shape[0] if len(shape) == 4 else 1
        h_axis, w_axis = self._spatial_axes()
        seed = self.generator if seed is None else seed
        dy = random.uniform([batch, 1], self.height_lower, self.height_upper, seed=seed)
        dy = dy * shape[h_axis]
        dx = random.uniform([batch, 1], self.width_lower, self.width_upper, seed=seed)
        dx = dx * shape[w_axis]
        translations = jnp.concatenate([dx, dy], axis=1).astype("float32")
        return {"translations": translations, "input_shape": shape}

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        if transformation is None:
            return images
        matrix = self._translation_matrix(transformation["translations"])
        return self._warp(images, matrix, interpolation)

    @staticmethod
    def _translation_matrix(shift: Any) -> Any:
        n = shift.shape[0]
        one, zero = jnp.ones((n, 1)), jnp.zeros((n, 1))
        return jnp.concatenate(
            [one, zero, -shift[:, 0:1], zero, one, -shift[:, 1:], jnp.zeros((n, 2))], axis=1
        )

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes shifted with the images, then clipped (labels ``-1`` when nothing is left)."""
        if not training or transformation is None:
            return bounding_boxes
        height, width = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(bounding_boxes, self._box_format(), "xyxy", height, width)
        matrix = self._translation_matrix(transformation["translations"])
        dx, dy = projective_xy(0, 0, matrix)
        b = boxes["boxes"]
        dx, dy = dx.astype(b.dtype), dy.astype(b.dtype)
        if b.ndim == 3:
            dx, dy = jnp.expand_dims(dx, -1), jnp.expand_dims(dy, -1)
        x1, y1, x2, y2 = jnp.split(b, 4, axis=-1)
        boxes["boxes"] = jnp.concatenate([x1 - dx, y1 - dy, x2 - dx, y2 - dy], axis=-1)
        boxes = clip_to_image_size(boxes, height, width, "xyxy")
        return convert_format(boxes, "xyxy", self._box_format(), height, width)


class RandomCrop(BaseImagePreprocessingLayer):
    """Crops a random ``height`` x ``width`` window (the same for the whole batch) in training.

    An image not larger than the window on both sides is cropped to the
    window's aspect ratio at its centre and resized. As in Keras, at inference
    (``training=False``) the images are returned whole.

    Args:
        height: Height of the crop.
        width: Width of the crop.
        seed: Seed of the layer's generator (a random one is stored in the config
            when ``None``).
        data_format: ``"channels_last"`` or ``"channels_first"``.
        name: The layer's name.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> RandomCrop(2, 3, seed=1)(np.ones((2, 4, 4, 3))).shape
    (2, 2, 3, 3)
    """

    def __init__(
        self,
        height: int,
        width: int,
        seed: int | None = None,
        data_format: str | None = None,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.seed = seed if seed is not None else make_default_seed()
        self.generator = SeedGenerator(seed)
        self.supports_masking = False

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        seed = self.generator if seed is None else seed
        shape = tuple(_images_of(data).shape)
        h_axis, w_axis = self._spatial_axes()
        in_h, in_w = shape[h_axis], shape[w_axis]
        if training and in_h > self.height and in_w > self.width:
            top = random.uniform((), 0, float(in_h - self.height + 1), seed=seed).astype("int32")
            left = random.uniform((), 0, float(in_w - self.width + 1), seed=seed).astype("int32")
            return top, left
        crop_h = max(min(in_h, int(float(in_w * self.height) / self.width)), 1)
        crop_w = max(min(in_w, int(float(in_h * self.width) / self.height)), 1)
        return int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2)

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images)
        if not training:
            return images
        images = images.astype(self.compute_dtype)
        top, left = transformation
        h_axis, w_axis = self._spatial_axes()
        h_axis, w_axis = h_axis % images.ndim, w_axis % images.ndim
        size = list(images.shape)
        size[h_axis] = min(self.height, images.shape[h_axis])
        size[w_axis] = min(self.width, images.shape[w_axis])
        start: list[Any] = [0] * images.ndim
        start[h_axis], start[w_axis] = top, left
        if not isinstance(top, jax.Array):
            # Static offsets: a slice, which (like Keras's) stops at the image border.
            index = [slice(None)] * images.ndim
            index[h_axis] = slice(top, top + self.height)
            index[w_axis] = slice(left, left + self.width)
            images = images[tuple(index)]
        else:
            images = jax.lax.dynamic_slice(images, start, size)
        if images.shape[h_axis] != self.height or images.shape[w_axis] != self.width:
            images = image_ops.resize(
                images, (self.height, self.width), data_format=self.data_format
            ).astype(self.compute_dtype)
        return images

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes moved by the crop's offset, floored at 0, as Keras 3.15 computes them.

        Keras's arithmetic is kept exactly: the crop's top offset is taken from
        the x coordinates and its left offset from the y coordinates, boxes are not
        clipped at the far edges, and labels are unchanged. Relative formats are
        read and written with the crop's size. The result holds ``"boxes"`` and
        ``"labels"`` only.
        """
        if not training:
            return bounding_boxes
        top, left = transformation
        boxes = convert_format(
            bounding_boxes["boxes"], self._box_format(), "xyxy", self.height, self.width
        )
        top = jnp.asarray(top).astype(boxes.dtype)
        left = jnp.asarray(left).astype(boxes.dtype)
        boxes = jnp.stack(
            [jnp.maximum(boxes[..., 0] - top, 0), jnp.maximum(boxes[..., 1] - left, 0),
             jnp.maximum(boxes[..., 2] - top, 0), jnp.maximum(boxes[..., 3] - left, 0)], axis=-1,
        )  # fmt: skip
        boxes = convert_format(boxes, "xyxy", self._box_format(), self.height, self.width)
        return {"boxes": boxes, "labels": bounding_boxes["labels"]}

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation)

    def compute_output_shape(self, input_shape: Any, *args: Any, **kwargs: Any) -> Any:
        shape = list(input_shape)
        h_axis, w_axis = self._spatial_axes()
        shape[h_axis], shape[w_axis] = self.height, self.width
        return tuple(shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"height": self.height, "width": self.width, "seed": self.seed,
             "data_format": self.data_format}
        )  # fmt: skip
        return config
