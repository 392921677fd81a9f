"""``Resizing`` and ``CenterCrop``: deterministic image-size layers (the same in training and inference)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..ops import image as image_ops
from ..utils.bounding_boxes import clip_to_image_size, convert_format
from ._image_base import BaseImagePreprocessingLayer
from ._image_boxes import clip_boxes_to_window, image_size


def _set_hw(layer: BaseImagePreprocessingLayer, input_shape: Any, height: int, width: int) -> Any:
    shape = list(input_shape)
    h_axis, w_axis = layer._spatial_axes()
    shape[h_axis], shape[w_axis] = height, width
    return tuple(shape)


class Resizing(BaseImagePreprocessingLayer):
    """Resizes images to ``height`` x ``width`` (``heft.ops.image.resize``).

    Integer images keep their dtype (rounded and clipped); segmentation masks in
    dict inputs are resized with nearest-neighbour interpolation.

    Args:
        height: Output height.
        width: Output width.
        interpolation: ``"bilinear"``, ``"nearest"``, ``"bicubic"``, ``"lanczos3"`` or
            ``"lanczos5"``.
        crop_to_aspect_ratio: Crop the centred window with the output's aspect ratio first.
        pad_to_aspect_ratio: Pad with ``fill_value`` to the output's aspect ratio first.
        fill_mode: Only ``"constant"``.
        fill_value: The padding value.
        antialias: Whether to low-pass filter when downsampling.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> Resizing(2, 3)(np.ones((1, 4, 4, 3), "float32")).shape
    (1, 2, 3, 3)
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        height: int,
        width: int,
        interpolation: str = "bilinear",
        crop_to_aspect_ratio: bool = False,
        pad_to_aspect_ratio: bool = False,
        fill_mode: str = "constant",
        fill_value: float = 0.0,
        antialias: bool = False,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = bool(antialias)

    def _transform_images(self, images: Any, transformation: Any, interpolation: str) -> Any:
        return image_ops.resize(
            images, (self.height, self.width), interpolation=interpolation,
            antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
            pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
            fill_value=self.fill_value, data_format=self.data_format,
        )  # fmt: skip

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        return self._transform_images(images, transformation, self.interpolation)

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self._transform_images(segmentation_masks, transformation, "nearest")

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        """The input's ``(height, width)`` (nothing is random here)."""
        shape = (data["images"] if isinstance(data, dict) else data).shape
        return image_size(shape, self.data_format)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes scaled (and shifted for ``crop_``/``pad_to_aspect_ratio``) with the images.

        The boxes are clipped to the output; labels of boxes left without area
        become ``-1``, and boxes that were all ``-1`` or all ``0`` (padding) come out
        as zeros.
        """
        in_h, in_w = transformation
        given = jnp.asarray(bounding_boxes["boxes"])
        padding = jnp.all(given == -1, axis=-1) | jnp.all(given == 0, axis=-1)
        boxes = convert_format(bounding_boxes, self._box_format(), "xyxy", in_h, in_w)
        boxes["boxes"] = self._resize_xyxy(boxes["boxes"], in_h, in_w)
        boxes = clip_to_image_size(boxes, self.height, self.width)
        boxes["boxes"] = jnp.where(
            padding[..., None], jnp.zeros((4,), boxes["boxes"].dtype), boxes["boxes"]
        )
        return convert_format(boxes, "xyxy", self._box_format(), self.height, self.width)

    def _resize_xyxy(self, boxes: Any, in_h: Any, in_w: Any) -> Any:
        in_h = jnp.asarray(in_h).astype(boxes.dtype)
        in_w = jnp.asarray(in_w).astype(boxes.dtype)
        if self.pad_to_aspect_ratio:
            ratio = jnp.minimum(self.height / in_h, self.width / in_w).astype(boxes.dtype)
            scale_x = scale_y = ratio
            shift_x = -((self.width - in_w * ratio) // 2)
            shift_y = -((self.height - in_h * ratio) // 2)
        elif self.crop_to_aspect_ratio:
            source, target = in_w / in_h, self.width / self.height
            new_w = jnp.where(source > target, self.height * source, self.width)
            new_h = jnp.where(source > target, self.height, self.width / source)
            scale_x, scale_y = new_w / in_w, new_h / in_h
            shift_x, shift_y = (new_w - self.width) // 2, (new_h - self.height) // 2
        else:
            scale_x = (self.width / in_w).astype(boxes.dtype)
            scale_y = (self.height / in_h).astype(boxes.dtype)
            shift_x = shift_y = 0.0
        return jnp.stack(
            [boxes[..., 0] * scale_x - shift_x, boxes[..., 1] * scale_y - shift_y,
             boxes[..., 2] * scale_x - shift_x, boxes[..., 3] * scale_y - shift_y], axis=-1,
        )  # fmt: skip

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _set_hw(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "height": self.height,
                "width": self.width,
                "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
                "antialias": self.antialias,
                "data_format": self.data_format,
            }
        )
        return config


class CenterCrop(BaseImagePreprocessingLayer):
    """Crops the central ``height`` x ``width`` window of images.

    An image smaller than the window is instead cropped to the window's aspect
    ratio and resized up to it (bilinear), so the output always has the target size.

    Args:
        height: Output height.
        width: Output width.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> CenterCrop(2, 2)(np.arange(16.0).reshape(4, 4, 1))[..., 0].tolist()
    [[5.0, 6.0], [9.0, 10.0]]
    """

    _USE_BASE_FACTOR = False

    def __init__(self, height: int, width: int, data_format: str | None = None, **kwargs: Any):
        super().__init__(data_format=data_format, **kwargs)
        self.height = height
        self.width = width

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        images = jnp.asarray(images).astype(self.compute_dtype)
        h_axis, w_axis = self._spatial_axes()
        h_diff = images.shape[h_axis] - self.height
        w_diff = images.shape[w_axis] - self.width
        if h_diff >= 0 and w_diff >= 0:
            index = [slice(None)] * images.ndim
            index[h_axis] = slice(h_diff // 2, h_diff // 2 + self.height)
            index[w_axis] = slice(w_diff // 2, w_diff // 2 + self.width)
            return images[tuple(index)]
        return image_ops.resize(
            images, (self.height, self.width), crop_to_aspect_ratio=True,
            data_format=self.data_format,
        )  # fmt: skip

    def transform_segmentation_masks(
        self, segmentation_masks: Any, transformation: Any = None, training: bool = True
    ) -> Any:
        return self.transform_images(segmentation_masks, transformation, training=training)

    def get_random_transformation(self, data: Any, training: bool = True, seed: Any = None):
        """The input's shape (nothing is random here)."""
        return {"input_shape": tuple((data["images"] if isinstance(data, dict) else data).shape)}

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        """Boxes in the frame of the centred window, clipped to it (and rescaled when resized).

        Labels of boxes left without area become ``-1``.
        """
        in_h, in_w = image_size(transformation["input_shape"], self.data_format)
        boxes = convert_format(bounding_boxes, self._box_format(), "xyxy", in_h, in_w)
        if in_h >= self.height and in_w >= self.width:
            top, left = int((in_h - self.height) / 2), int((in_w - self.width) / 2)
            boxes["boxes"] = clip_boxes_to_window(
                boxes["boxes"], top, left, top + self.height, left + self.width
            )
        else:
            crop_h = max(min(in_h, int(float(in_w * self.height) / self.width)), 1)
            crop_w = max(min(in_w, int(float(in_h * self.width) / self.height)), 1)
            top, left = int(float(in_h - crop_h) / 2), int(float(in_w - crop_w) / 2)
            boxes["boxes"] = clip_boxes_to_window(
                boxes["boxes"], top, left, top + crop_h, left + crop_w
            )
            boxes = convert_format(boxes, "xyxy", "rel_xyxy", crop_h, crop_w)
            boxes = convert_format(boxes, "rel_xyxy", "xyxy", self.height, self.width)
        boxes = clip_to_image_size(boxes, self.height, self.width, "xyxy")
        return convert_format(boxes, "xyxy", self._box_format(), self.height, self.width)

    def compute_output_shape(self, input_shape: Any) -> Any:
        input_shape = list(input_shape)
        if len(input_shape) not in (3, 4) or isinstance(input_shape[0], list | tuple):
            raise ValueError(
                "`input_shape` must be a non-nested tuple or list of rank-1 with size 3 "
                f"(unbatched) or 4 (batched). Received: input_shape={input_shape}"
            )
        return _set_hw(self, input_shape, self.height, self.width)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"height": self.height, "width": self.width, "data_format": self.data_format})
        return config
