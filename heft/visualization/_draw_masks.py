"""``draw_segmentation_masks``: class colours blended over a batch of images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from .._config import image_data_format
from ._draw_boxes import _check_data_format


def _color_palette(num_classes: int) -> list[Sequence[int]]:
    """One colour per class: ``(i * (2**25 - 1, 2**15 - 1, 2**21 - 1)) % 255``."""
    factors = np.array([2**25 - 1, 2**15 - 1, 2**21 - 1])
    return [((i * factors) % 255).tolist() for i in range(num_classes)]


def draw_segmentation_masks(
    images: Any,
    segmentation_masks: Any,
    num_classes: int | None = None,
    color_mapping: Mapping[int, Sequence[int]] | None = None,
    alpha: float = 0.8,
    blend: bool = True,
    ignore_index: int = -1,
    data_format: str | None = None,
) -> np.ndarray:
    """Paint each class of a batch of segmentation masks in its colour over the images.

    Class ``k`` (for ``0 <= k < num_classes``) is painted in colour ``k``; other
    values, the ``ignore_index`` included, are not painted. With ``blend``, the
    result is ``images * (1 - alpha) + painted * alpha`` in float32 where the mask
    is not ``ignore_index`` and ``images`` elsewhere, cast to ``uint8``; without it,
    the painted images in float32. As in Keras, the result is channels-last whatever
    ``data_format`` is, and when ``num_classes`` is ``None`` it is the largest mask
    value, so that value itself is not painted.

    Args:
        images: A batch of images, rank 4.
        segmentation_masks: Integer class ids, ``(batch, height, width, 1)`` or
            ``(batch, height, width)`` (``(batch, 1, height, width)`` for channels-first).
        num_classes: The number of classes; defaults to the largest mask value.
        color_mapping: Class id to RGB colour, with an entry for every id in
            ``range(num_classes)``; defaults to a fixed palette.
        alpha: The opacity of the colours when blending.
        blend: Whether to blend the colours with the images.
        ignore_index: A mask value whose pixels keep the image's values when blending.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``heft.config.image_data_format()``.

    Returns:
        A numpy array ``(batch, height, width, channels)``: ``uint8`` with ``blend``,
        float32 without.

    Raises:
        ValueError: If ``images`` is not rank 4, the masks' shape does not match the
            images, or ``data_format`` is unknown.
        TypeError: If the masks are not of an integer dtype.
        KeyError: If ``color_mapping`` lacks a class id below ``num_classes``.

    >>> images = np.zeros((1, 1, 2, 3), "float32")
    >>> masks = np.array([[[[0], [1]]]])
    >>> draw_segmentation_masks(images, masks, num_classes=2, alpha=0.5)[0, 0]
    array([[ 0,  0,  0],
           [ 0, 63, 15]], dtype=uint8)
    """
    data_format = data_format or image_data_format()
    _check_data_format(data_format)
    images = np.asarray(images)
    masks = np.asarray(segmentation_masks)
    if images.ndim != 4:
        raise ValueError(
            "`images` must be batched 4D tensor. Received: "
            f"images.shape={images.shape}; add a batch axis, e.g. `images[None]`."
        )
    if data_format == "channels_first":
        if masks.ndim != 4:
            raise ValueError(
                "With data_format='channels_first', `segmentation_masks` must be "
                f"(batch, 1, height, width). Received: segmentation_masks.shape={masks.shape}"
            )
        images = images.transpose(0, 2, 3, 1)
        masks = masks.transpose(0, 2, 3, 1)
    if masks.ndim == 3:
        masks = masks[..., None]
    if masks.ndim != 4 or masks.shape[-1] != 1 or masks.shape[:3] != images.shape[:3]:
        raise ValueError(
            "`segmentation_masks` must be (batch, height, width, 1) or (batch, height, width) "
            f"matching the images {images.shape[:3]}. Received: "
            f"segmentation_masks.shape={np.shape(segmentation_masks)}"
        )
    if masks.dtype.kind not in "iu":
        raise TypeError(
            "`segmentation_masks` must be in integer dtype. "
            f"Received: segmentation_masks.dtype={masks.dtype}; cast them, "
            "e.g. `masks.astype('int32')`."
        )
    if num_classes is None:
        num_classes = int(masks.max())
    colors: list[Sequence[int]]
    if color_mapping is None:
        colors = _color_palette(num_classes)
    else:
        missing = [i for i in range(num_classes) if i not in color_mapping]
        if missing:
            raise KeyError(
                f"`color_mapping` needs a colour for every class id in range({num_classes}); "
                f"it lacks {missing}."
            )
        colors = [color_mapping[i] for i in range(num_classes)]

    images = images.astype("float32")
    class_ids = masks[..., 0]
    painted = images.copy()
    for k, color in enumerate(colors):
        painted[class_ids == k] = np.asarray(color, dtype="float32")
    if not blend:
        return painted
    valid = jnp.asarray(class_ids != ignore_index)[..., None]
    base = jnp.asarray(images)
    mixed = base * (1 - alpha) + jnp.asarray(painted) * alpha
    out: jax.Array = jnp.where(valid, mixed, base).astype("uint8")
    return np.asarray(out)
