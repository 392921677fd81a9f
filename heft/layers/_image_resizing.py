"""``Resizing`` and ``CenterCrop``: deterministic image-size layers (the same in training and inference)."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from ..ops import image as image_ops
from ._image_base import BaseImagePreprocessingLayer


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
