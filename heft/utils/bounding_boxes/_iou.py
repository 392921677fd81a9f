"""Overlap measures of bounding boxes: pairwise IoU and complete IoU (CIoU)."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ... import _config
from ._converters import convert_format


def _area(boxes: jax.Array) -> jax.Array:
    y1, x1, y2, x2 = jnp.split(boxes[..., :4], 4, axis=-1)
    return jnp.squeeze((y2 - y1) * (x2 - x1), axis=-1)


def _intersection(boxes1: jax.Array, boxes2: jax.Array) -> jax.Array:
    y1a, x1a, y2a, x2a = jnp.split(boxes1[..., :4], 4, axis=-1)
    y1b, x1b, y2b, x2b = jnp.split(boxes2[..., :4], 4, axis=-1)
    perm = (1, 0) if boxes2.ndim == 2 else (0, 2, 1)
    height = jnp.minimum(y2a, jnp.transpose(y2b, perm)) - jnp.maximum(y1a, jnp.transpose(y1b, perm))
    width = jnp.minimum(x2a, jnp.transpose(x2b, perm)) - jnp.maximum(x1a, jnp.transpose(x1b, perm))
    zero = jnp.asarray(0, height.dtype)
    return jnp.maximum(zero, height) * jnp.maximum(zero, width)


def compute_iou(
    boxes1: Any,
    boxes2: Any,
    bounding_box_format: str,
    use_masking: bool = False,
    mask_val: float = -1,
    image_shape: Any = None,
) -> jax.Array:
    """Pairwise intersection over union of two sets of boxes.

    Args:
        boxes1: ``(N, 4)`` or ``(batch, N, 4)`` boxes.
        boxes2: ``(M, 4)`` or ``(batch, M, 4)`` boxes.
        bounding_box_format: Their format (``"xyxy"``, ``"yxyx"``, ...).
        use_masking: Whether boxes with all-negative coordinates (padding) get ``mask_val``.
        mask_val: The value of masked pairs.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        ``(N, M)`` (or ``(batch, N, M)``) IoU values.

    Raises:
        ValueError: On a rank other than 2 or 3, or a relative format without ``image_shape``.

    >>> iou = compute_iou([[0.0, 0.0, 2.0, 2.0]], [[1.0, 0.0, 3.0, 2.0]], "xyxy")
    >>> print(f"{float(iou[0, 0]):.4f}")
    0.3333
    """
    rank1, rank2 = len(jnp.shape(boxes1)), len(jnp.shape(boxes2))
    for name, rank in (("boxes1", rank1), ("boxes2", rank2)):
        if rank not in (2, 3):
            raise ValueError(
                f"compute_iou() expects {name} to be batched, or to be unbatched. Received "
                f"len(boxes1.shape)={rank1}, len(boxes2.shape)={rank2}. Expected either "
                f"len({name}.shape)=2 AND or len({name}.shape)=3."
            )
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided. Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "yxyx", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "yxyx", height, width)
    intersection = _intersection(boxes1, boxes2)
    area1 = jnp.expand_dims(_area(boxes1), -1)
    area2 = _area(boxes2)
    area2 = jnp.expand_dims(area2, 1 if area2.ndim == 2 else 0)
    iou = intersection / (area1 + area2 - intersection + _config.epsilon())
    if not use_masking:
        return iou
    perm = (1, 0) if rank1 == 2 else (0, 2, 1)
    mask1 = jnp.max(boxes1, axis=-1, keepdims=True) < 0.0
    mask2 = jnp.max(boxes2, axis=-1, keepdims=True) < 0.0
    background = jnp.logical_or(mask1, jnp.transpose(mask2, perm))
    return jnp.where(background, jnp.asarray(mask_val, iou.dtype) * jnp.ones_like(iou), iou)


def compute_ciou(
    boxes1: Any, boxes2: Any, bounding_box_format: str, image_shape: Any = None
) -> jax.Array:
    """Complete IoU of matching boxes: IoU minus centre-distance and aspect-ratio penalties.

    Args:
        boxes1: Boxes, ``(..., 4)``.
        boxes2: Boxes matched one to one with ``boxes1``.
        bounding_box_format: Their (absolute) format.
        image_shape: Unused for absolute formats.

    Returns:
        One CIoU per pair, shape ``boxes1.shape[:-1]``.

    Raises:
        ValueError: For a relative format.

    >>> float(compute_ciou([[0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 2.0, 2.0]], "xyxy")[0]) > 0.99
    True
    """
    if "rel" in bounding_box_format:
        raise ValueError(
            "When using relative bounding box formats (e.g. `rel_yxyx`) the `image_shape` "
            f"argument must be provided. Received `image_shape`: {image_shape}"
        )
    height, width = (None, None) if image_shape is None else tuple(image_shape)[:2]
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    eps = _config.epsilon()
    x1a, y1a, x2a, y2a = jnp.split(boxes1[..., :4], 4, axis=-1)
    x1b, y1b, x2b, y2b = jnp.split(boxes2[..., :4], 4, axis=-1)
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = jnp.maximum(jnp.minimum(x2a, x2b) - jnp.maximum(x1a, x1b), 0) * jnp.maximum(
        jnp.minimum(y2a, y2b) - jnp.maximum(y1a, y1b), 0
    )
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = jnp.squeeze(inter / (union + eps), axis=-1)
    hull_w = jnp.maximum(x2a, x2b) - jnp.minimum(x1a, x1b)
    hull_h = jnp.maximum(y2a, y2b) - jnp.minimum(y1a, y1b)
    diagonal = jnp.squeeze(hull_w**2 + hull_h**2 + eps, axis=-1)
    centres = jnp.squeeze(
        ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2,
        axis=-1,
    )
    v = jnp.squeeze(4 / math.pi**2 * (jnp.arctan(w2 / h2) - jnp.arctan(w1 / h1)) ** 2, axis=-1)
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
