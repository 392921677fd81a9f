"""Histogram equalization layers: ``Equalization`` and ``ContrastLimitedAdaptiveHistogramEqualization``.

Both are deterministic and give Keras 3's outputs (to float32 rounding). The
histograms are counted with a scatter-add, so both layers run under ``jax.jit``
(inside a model) as well as eagerly on numpy batches.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp

from ._image_base import BaseImagePreprocessingLayer


def _histogram(indices: Any, bins: int, dtype: Any = "int32") -> Any:
    """Counts of ``indices`` (ints in ``[0, bins)``) along the last axis, per leading index."""
    flat = jnp.reshape(indices, (-1, indices.shape[-1]))
    rows = jnp.arange(flat.shape[0])[:, None]
    counts = jnp.zeros((flat.shape[0], bins), dtype=dtype).at[rows, flat].add(1)
    return jnp.reshape(counts, (*indices.shape[:-1], bins))


def _rescale(values: Any, source: Any, target: Any) -> Any:
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return values * scale + (target[0] - source[0] * scale)


def _equalize_channel(channel: Any, bins: int, value_range: tuple) -> Any:
    # Keras compares the (list) value range with a tuple, so it always rescales.
    channel = _rescale(channel, value_range, (0, 255))
    scaled = (channel.astype("float32") - jnp.float32(0)) * (bins - 1) / jnp.float32(255)
    indices = jnp.clip(scaled.astype("int32"), 0, bins - 1)
    hist = _histogram(jnp.reshape(indices, (1, -1)), bins)[0]
    cdf = jnp.cumsum(hist)
    cdf_min = cdf[jnp.argmax(cdf > 0)]
    denominator = cdf[-1] - cdf_min
    denominator = jnp.where(denominator == 0, jnp.ones_like(denominator), denominator)
    table = jnp.clip(jnp.round(((cdf - cdf_min) * 255) / denominator), 0, 255)
    lookup = jnp.clip((channel / 255.0) * (bins - 1), 0, bins - 1).astype("int32")
    equalized = jnp.where(jnp.count_nonzero(hist) <= 1, channel, jnp.take(table, lookup))
    return _rescale(equalized, (0, 255), value_range)


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _equalize(images: Any, bins: int, value_range: tuple, axis: int) -> Any:
    """Each channel (along ``axis``) equalized over the whole batch (compiled once per shape)."""
    channels = [
        _equalize_channel(jnp.take(images, i, axis=axis), bins, value_range)
        for i in range(images.shape[axis])
    ]
    return jnp.stack(channels, axis=axis)


@functools.partial(jax.jit, static_argnums=(1, 2))
def _clahe(images: Any, tile_grid_size: tuple, clip_limit: float) -> Any:
    """CLAHE of channels-last ``images`` in ``[0, 255]`` (compiled once per shape)."""
    batch, height, width, channels = images.shape
    grid_h, grid_w = tile_grid_size
    tile_h, tile_w = -(-height // grid_h), -(-width // grid_w)
    pad_h, pad_w = tile_h * grid_h - height, tile_w * grid_w - width
    if pad_h or pad_w:
        images = jnp.pad(images, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="symmetric")
    tiles = jnp.reshape(images, (batch, grid_h, tile_h, grid_w, tile_w, channels))
    tiles = jnp.transpose(tiles, (0, 1, 3, 5, 2, 4))
    tiles = jnp.reshape(tiles, (batch, grid_h, grid_w, channels, tile_h * tile_w))
    hists = _histogram(jnp.clip(tiles.astype("int32"), 0, 255), 256, "float32")
    area = tile_h * tile_w
    if clip_limit > 0:
        limit = jnp.asarray(clip_limit * area / 256.0, dtype=hists.dtype)
        clipped = jnp.clip(hists, 0, limit)
        hists = clipped + jnp.sum(hists - clipped, axis=-1, keepdims=True) / 256.0
    cdf = jnp.cumsum(hists, axis=-1)
    cdf_min = jnp.min(cdf, axis=-1, keepdims=True)
    denominator = jnp.asarray(area, cdf.dtype) - cdf_min
    denominator = jnp.where(denominator == 0, jnp.ones_like(denominator), denominator)
    mapping = jnp.clip((cdf - cdf_min) * 255.0 / denominator, 0, 255)
    # One ring of edge tiles around the grid, so border pixels blend with themselves.
    mapping = jnp.pad(mapping, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), mode="edge")

    def neighbours(length: int, tile: int, grid: int) -> tuple[Any, Any, Any]:
        position = (jnp.arange(length, dtype="float32") - tile / 2.0) / tile + 1.0
        low = jnp.floor(position)
        weight = position - low
        low_index = jnp.clip(low, 0, grid + 1).astype("int32")
        high_index = jnp.clip(low + 1.0, 0, grid + 1).astype("int32")
        return low_index, high_index, weight

    y0, y1, wy = neighbours(tile_h * grid_h, tile_h, grid_h)
    x0, x1, wx = neighbours(tile_w * grid_w, tile_w, grid_w)
    pixels = jnp.clip(images, 0, 255).astype("int32")
    b = jnp.arange(batch)[:, None, None, None]
    c = jnp.arange(channels)[None, None, None, :]
    y0, y1, wy = y0[None, :, None, None], y1[None, :, None, None], wy[None, :, None, None]
    x0, x1, wx = x0[None, None, :, None], x1[None, None, :, None], wx[None, None, :, None]
    top = mapping[b, y0, x0, c, pixels] * (1.0 - wx) + mapping[b, y0, x1, c, pixels] * wx
    bottom = mapping[b, y1, x0, c, pixels] * (1.0 - wx) + mapping[b, y1, x1, c, pixels] * wx
    result = top * (1.0 - wy) + bottom * wy
    return result[:, :height, :width, :]


class Equalization(BaseImagePreprocessingLayer):
    """Equalizes the histogram of each channel, in training.

    As in Keras, a channel's histogram is counted over the whole batch (not per
    image), with ``bins`` bins over ``[0, 255]`` after mapping ``value_range`` to
    it; a channel with a single occupied bin is left as it is. With
    ``training=False`` the input is returned unchanged (as Keras's code does,
    whatever its docstring says), so ``predict`` leaves images as they are.

    Args:
        value_range: The range of the pixels.
        bins: The number of histogram bins.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    Raises:
        ValueError: If ``value_range`` is not a pair (Keras 3.15 raises an
            ``AttributeError`` there, from a missing message attribute).

    >>> import numpy as np
    >>> Equalization()(np.array([[[[10.0]], [[20.0]], [[30.0]], [[40.0]]]])).ravel().tolist()
    [0.0, 85.0, 170.0, 255.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        bins: int = 256,
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.bins = bins
        if not isinstance(value_range, tuple | list) or len(value_range) != 2:
            raise ValueError(
                "The `value_range` argument should be a list of two numbers, the lowest and "
                f"highest pixel values. Received: value_range={value_range}"
            )
        self.value_range = sorted(value_range)

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        if not training:
            return images
        images = jnp.asarray(images).astype(self.compute_dtype)
        axis = -1 if self.data_format == "channels_last" else -3
        out = _equalize(images, self.bins, tuple(self.value_range), axis)
        return out.astype(self.compute_dtype)

    def transform_bounding_boxes(
        self, bounding_boxes: Any, transformation: Any, training: bool = True
    ) -> Any:
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks: Any, *args: Any, **kwargs: Any):
        return segmentation_masks

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update({"bins": self.bins, "value_range": self.value_range})
        return config


class ContrastLimitedAdaptiveHistogramEqualization(BaseImagePreprocessingLayer):
    """Equalizes each image's contrast tile by tile (CLAHE), in training and inference alike.

    The image (mapped from ``value_range`` to ``[0, 255]``) is cut into a
    ``tile_grid_size`` grid of tiles (symmetrically padded at the bottom and right
    when the size does not divide); each tile's 256-bin histogram is clipped at
    ``clip_limit`` times the mean bin count, the excess spread over all bins, and
    turned into a mapping; each pixel's value is the bilinear blend of the
    mappings of the four nearest tile centres. Results are mapped back to
    ``value_range`` and cast to the input's dtype. Dict inputs may carry only
    ``"images"``, as in Keras.

    Args:
        value_range: The range of the pixels.
        clip_limit: The histogram clip limit; ``0`` or less turns clipping off.
        tile_grid_size: ``(rows, columns)`` of the tile grid.
        data_format: ``"channels_last"`` or ``"channels_first"``.
        **kwargs: Base layer arguments.

    >>> import numpy as np
    >>> layer = ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(1, 1), clip_limit=0)
    >>> ramp = np.arange(16.0).reshape(1, 4, 4, 1) * 10  # 0, 10, ..., 150
    >>> layer(ramp).ravel().tolist()[:4]
    [0.0, 17.0, 34.0, 51.0]
    """

    _USE_BASE_FACTOR = False

    def __init__(
        self,
        value_range: Any = (0, 255),
        clip_limit: float = 4.0,
        tile_grid_size: Any = (8, 8),
        data_format: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size

    def transform_images(self, images: Any, transformation: Any = None, training: bool = True):
        images = jnp.asarray(images)
        single = images.ndim == 3
        if single:
            images = images[None]
        if self.data_format == "channels_first":
            images = jnp.transpose(images, (0, 2, 3, 1))
        dtype = images.dtype
        images = self._transform_value_range(images, self.value_range, (0, 255), "float32")
        images = _clahe(jnp.asarray(images), tuple(self.tile_grid_size), self.clip_limit)
        images = self._transform_value_range(images, (0, 255), self.value_range, "float32")
        images = jnp.asarray(images).astype(dtype)
        if self.data_format == "channels_first":
            images = jnp.transpose(images, (0, 3, 1, 2))
        return images[0] if single else images

    def transform_labels(self, labels: Any, transformation: Any, training: bool = True) -> Any:
        raise NotImplementedError(
            f"{type(self).__name__} transforms images only; pass the images alone, or a dict "
            "with only an 'images' key."
        )

    transform_segmentation_masks = transform_labels  # type: ignore[assignment]
    transform_bounding_boxes = transform_labels  # type: ignore[assignment]

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {"value_range": self.value_range, "clip_limit": self.clip_limit,
             "tile_grid_size": self.tile_grid_size, "data_format": self.data_format}
        )  # fmt: skip
        return config
