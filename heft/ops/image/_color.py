"""Colour-space ops of ``heft.ops.image``: grayscale, RGB to HSV and back."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from .._dispatch import symbolic_op
from ._common import as_array, check_float, check_image_rank, data_format_of, float_dtype_for

# Luma weights of ITU-R BT.601, the weights Keras and TensorFlow use.
_GRAY_WEIGHTS = (0.2989, 0.5870, 0.1140)


@symbolic_op
def rgb_to_grayscale(images: Any, data_format: str | None = None) -> jax.Array:
    """Convert RGB images to one-channel grayscale (a weighted sum of R, G and B).

    Args:
        images: One image (rank 3) or a batch (rank 4) with 3 channels, or with
            1 channel (returned unchanged).
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The images with a channel axis of size 1, in the input dtype.

    Raises:
        ValueError: If the rank is not 3 or 4 or the channel axis is not 1 or 3.

    >>> import numpy as np
    >>> rgb_to_grayscale(np.ones((2, 2, 3), "float32")).shape
    (2, 2, 1)
    """
    images = as_array(images)
    axis = -1 if data_format_of(data_format) == "channels_last" else -3
    check_image_rank(images)
    if images.shape[axis] not in (1, 3):
        raise ValueError(
            "Invalid channel size: expected 3 (RGB) or 1 (Grayscale). "
            f"Received input with shape: images.shape={images.shape}"
        )
    if images.shape[axis] == 1:
        return images
    dtype = images.dtype
    floats = images.astype(float_dtype_for(dtype))
    weights = jnp.asarray(_GRAY_WEIGHTS, dtype=floats.dtype)
    gray = jnp.tensordot(floats, weights, axes=(axis, -1))
    return jnp.expand_dims(gray, axis=axis).astype(dtype)


def _split_channels(images: jax.Array, axis: int) -> list[jax.Array]:
    return [jnp.squeeze(p, axis) for p in jnp.split(images, 3, axis)]


@symbolic_op
def rgb_to_hsv(images: Any, data_format: str | None = None) -> jax.Array:
    """Convert float RGB images in ``[0, 1]`` to HSV (hue, saturation, value in ``[0, 1]``).

    Args:
        images: One image (rank 3) or a batch (rank 4) of float RGB images.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The HSV images, same shape and dtype.

    Raises:
        ValueError: If the rank is not 3 or 4, or the dtype is not a float.

    >>> rgb_to_hsv([[[1.0, 0.0, 0.0]]]).tolist()
    [[[0.0, 1.0, 1.0]]]
    """
    images = as_array(images)
    axis = -1 if data_format_of(data_format) == "channels_last" else -3
    check_image_rank(images)
    check_float(images)
    eps = jnp.finfo(images.dtype).eps
    images = jnp.where(jnp.abs(images) < eps, 0.0, images)
    r, g, b = _split_channels(images, axis)
    value = jnp.maximum(jnp.maximum(r, g), b)
    spread = value - jnp.minimum(jnp.minimum(r, g), b)
    saturation = jnp.where(value > 0, spread / jnp.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * jnp.where(spread > 0, spread, 1.0))
    hue = jnp.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = jnp.where(value == r, norm * (g - b), hue)
    hue = jnp.where(spread > 0, hue, 0.0) + (hue < 0.0).astype(hue.dtype)
    return jnp.stack([hue, saturation, value], axis=axis)


@symbolic_op
def hsv_to_rgb(images: Any, data_format: str | None = None) -> jax.Array:
    """Convert float HSV images (all channels in ``[0, 1]``) to RGB.

    Args:
        images: One image (rank 3) or a batch (rank 4) of float HSV images.
        data_format: ``"channels_last"`` or ``"channels_first"``; ``None`` means
            ``heft.config.image_data_format()``.

    Returns:
        The RGB images, same shape and dtype.

    Raises:
        ValueError: If the rank is not 3 or 4, or the dtype is not a float.

    >>> hsv_to_rgb([[[0.0, 1.0, 1.0]]]).tolist()
    [[[1.0, 0.0, 0.0]]]
    """
    images = as_array(images)
    axis = -1 if data_format_of(data_format) == "channels_last" else -3
    check_image_rank(images)
    check_float(images)
    hue, saturation, value = _split_channels(images, axis)
    sector = jnp.mod(hue, 1.0) * 6.0
    dr = jnp.clip(jnp.abs(sector - 3.0) - 1.0, 0.0, 1.0)
    dg = jnp.clip(2.0 - jnp.abs(sector - 2.0), 0.0, 1.0)
    db = jnp.clip(2.0 - jnp.abs(sector - 4.0), 0.0, 1.0)
    grey = 1.0 - saturation
    planes = [value * (grey + saturation * d) for d in (dr, dg, db)]
    return jnp.stack(planes, axis=axis)
