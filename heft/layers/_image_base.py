"""``BaseImagePreprocessingLayer``: the call protocol shared by the image preprocessing layers.

A layer draws one random transformation per call (``get_random_transformation``)
and applies it to the images, and, when the input is a dict, to its ``labels``,
``bounding_boxes`` (``{"boxes": ..., "labels": ...}`` in the layer's
``bounding_box_format``) and ``segmentation_masks``, as Keras 3's image layers
do. Inputs are numpy or JAX arrays, one image (rank 3) or a batch (rank 4); the
layers run eagerly on numpy batches (a data pipeline) and inside a model under
``jax.jit``.
"""

from __future__ import annotations

import math
from typing import Any

import jax.numpy as jnp

from ._conv import standardize_data_format
from ._image_boxes import densify_bounding_boxes
from ._layer import Layer


class BaseImagePreprocessingLayer(Layer):
    """Base of the image preprocessing and augmentation layers.

    Subclasses implement ``get_random_transformation(data, training, seed)`` and
    ``transform_images`` (or ``_transform_images``), and may override
    ``transform_labels``, ``transform_bounding_boxes`` and ``transform_segmentation_masks``.

    Args:
        factor: The strength of the augmentation, a number or a ``(lower, upper)``
            pair within the layer's bounds (only layers that take a factor).
        bounding_box_format: The format of ``"bounding_boxes"`` in dict inputs.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.
        **kwargs: Base layer arguments.
    """

    _USE_BASE_FACTOR = True
    _FACTOR_BOUNDS: tuple[float, float] = (-1, 1)
    #: The interpolation ``transform_images`` passes to ``_transform_images``.
    interpolation: str = "bilinear"

    def __init__(
        self,
        factor: Any = None,
        bounding_box_format: str | None = None,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bounding_box_format = bounding_box_format
        self.data_format = standardize_data_format(data_format)
        if self._USE_BASE_FACTOR:
            self._set_factor(factor or 0.0)
        elif factor is not None:
            raise ValueError(
                f"Layer {self.__class__.__name__} does not take a `factor` argument. "
                f"Received: factor={factor}"
            )

    def _set_factor(self, factor: Any) -> None:
        low, high = self._FACTOR_BOUNDS
        message = (
            "The `factor` argument should be a number (or a list of two numbers) in the range "
            f"[{low}, {high}]. Received: factor={factor}"
        )
        if isinstance(factor, tuple | list):
            if len(factor) != 2 or factor[0] > high or factor[1] < low:
                raise ValueError(message)
            lower, upper = sorted(factor)
        elif isinstance(factor, int | float) and not isinstance(factor, bool):
            if factor < low or factor > high:
                raise ValueError(message)
            factor = abs(factor)
            lower, upper = max(-factor, low), factor
        else:
            raise ValueError(message)
        self.factor = lower, upper

    # -- the protocol -------------------------------------------------------------------

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None) -> Any:
        """The random parameters of one call (``None`` when there are none)."""
        return None

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} must implement `transform_images` or `_transform_images`."
        )

    def transform_images(self, images: Any, transformation: Any, training: bool = True) -> Any:
        images = jnp.asarray(images).astype(self.compute_dtype)
        if training:
            images = self._transform_images(images, transformation, self.interpolation)
        return images

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        return labels

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Apply ``transformation`` to batched boxes ``{"boxes": (batch, n, 4), "labels": ...}``.

        Layers that move pixels override this; colour and tone layers return the
        boxes unchanged. This base raises ``NotImplementedError``, as Keras's does.
        """
        raise NotImplementedError(
            f"{type(self).__name__} does not transform bounding boxes (neither does Keras's). "
            "Pass the images (and labels or segmentation masks) without a 'bounding_boxes' key."
        )

    def _box_format(self) -> str:
        """``bounding_box_format``, which a layer transforming boxes cannot do without."""
        if not self.bounding_box_format:
            raise ValueError(
                f"{type(self).__name__} needs a `bounding_box_format` to transform bounding "
                "boxes. Pass one to the layer, e.g. `bounding_box_format='xyxy'`."
            )
        return self.bounding_box_format

    def _keep_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """``transform_bounding_boxes`` of the layers that leave boxes where they are."""
        return bounding_boxes

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any, training: bool = True
    ) -> Any:
        if training:
            segmentation_masks = self._transform_images(
                segmentation_masks, transformation, "nearest"
            )
        return segmentation_masks

    def _single(self, fn: Any, x: Any, transformation: Any, training: bool) -> Any:
        out = fn(jnp.expand_dims(jnp.asarray(x), 0), transformation, training=training)
        return jnp.squeeze(out, 0)

    def _single_bounding_boxes(self, bounding_boxes: dict, transformation: Any, training: bool):
        """Transform one image's boxes: add a batch axis of 1, transform, take the axis away."""
        keys = ("boxes", "labels")
        batch = {k: jnp.expand_dims(v, 0) if k in keys else v for k, v in bounding_boxes.items()}
        out = dict(self.transform_bounding_boxes(batch, transformation, training=training))
        for key in keys:
            if key in out:
                out[key] = jnp.squeeze(jnp.asarray(out[key]), 0)
        return out

    def _is_batched(self, images: Any) -> bool:
        rank = len(images.shape)
        if rank not in (3, 4):
            raise ValueError(
                "Expected image tensor to have rank 3 (single image) or 4 (batch of images). "
                f"Received: data.shape={tuple(images.shape)}"
            )
        return rank == 4

    def call(self, data: Any, training: bool = True) -> Any:
        if isinstance(data, dict) and "images" not in data:
            raise ValueError(
                f"A dict input to {type(self).__name__} must have an 'images' key. Received "
                f"keys: {sorted(data)}"
            )
        transformation = self.get_random_transformation(data, training=training)
        if not isinstance(data, dict):
            images = jnp.asarray(data)
            if self._is_batched(images):
                return self.transform_images(images, transformation, training=training)
            return self._single(self.transform_images, images, transformation, training)
        out = dict(data)  # the caller's dict is left as it was
        batched = self._is_batched(jnp.asarray(data["images"]))
        steps = [("images", self.transform_images), ("labels", self.transform_labels),
                 ("segmentation_masks", self.transform_segmentation_masks)]  # fmt: skip
        if "bounding_boxes" in data:
            if not self.bounding_box_format:
                raise ValueError(
                    "You passed an input with a 'bounding_boxes' key, but you didn't specify a "
                    "bounding box format. Pass a `bounding_box_format` argument to your "
                    f"{type(self).__name__} layer, e.g. `bounding_box_format='xyxy'`."
                )
            boxes = densify_bounding_boxes(data["bounding_boxes"], is_batched=batched)
            if batched:
                boxes = self.transform_bounding_boxes(boxes, transformation, training=training)
            else:
                boxes = self._single_bounding_boxes(boxes, transformation, training)
            out["bounding_boxes"] = boxes
        for key, fn in steps:
            if key not in data:
                continue
            value = jnp.asarray(data[key])
            if batched:
                out[key] = fn(value, transformation, training=training)
            else:
                out[key] = self._single(fn, value, transformation, training)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["data_format"] = self.data_format
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config

    # -- helpers shared by the layers ---------------------------------------------------

    def _spatial_axes(self) -> tuple[int, int]:
        return (-3, -2) if self.data_format == "channels_last" else (-2, -1)

    def _transform_value_range(
        self, images: Any, original_range: Any, target_range: Any, dtype: str = "float32"
    ) -> Any:
        """Map ``images`` linearly from ``original_range`` to ``target_range``."""
        if original_range[0] == target_range[0] and original_range[1] == target_range[1]:
            return images
        images = jnp.asarray(images).astype(dtype)
        lo, hi = (jnp.asarray(v).astype(dtype) for v in original_range)
        new_lo, new_hi = (jnp.asarray(v).astype(dtype) for v in target_range)
        return (images - lo) / (hi - lo) * (new_hi - new_lo) + new_lo

    def _compute_affine_matrix(
        self,
        center_x: Any,
        center_y: Any,
        angle: Any,
        translate_x: Any,
        translate_y: Any,
        scale: Any,
        shear_x: Any,
        shear_y: Any,
        height: Any,
        width: Any,
    ) -> Any:
        """Per-image ``affine_transform`` rows: rotation and shear (degrees) about a centre."""
        to_radians = jnp.asarray(math.pi / 180.0, dtype="float32")
        angle = angle * to_radians
        shear_x = jnp.tan(shear_x * to_radians)
        shear_y = jnp.tan(shear_y * to_radians)
        dtype = angle.dtype
        cx = center_x * (jnp.asarray(width).astype(dtype) - 1)
        cy = center_y * (jnp.asarray(height).astype(dtype) - 1)
        cos, sin = jnp.cos(angle), jnp.sin(angle)
        a0 = scale * (cos + shear_x * sin)
        a1 = scale * (-sin + shear_x * cos)
        a2 = translate_x + cx - cx * a0 - cy * a1
        b0 = scale * (shear_y * cos + sin)
        b1 = scale * (shear_y * -sin + cos)
        b2 = translate_y + cy - cx * b0 - cy * b1
        columns = [c[:, None] for c in (a0, a1, a2, b0, b1, b2)]
        return jnp.concatenate([*columns, jnp.zeros((angle.shape[0], 2))], axis=1)
