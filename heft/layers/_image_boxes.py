"""Bounding boxes in dict inputs of the image preprocessing layers.

A dict input's ``"bounding_boxes"`` entry is ``{"boxes": ..., "labels": ...}``:
``boxes`` of shape ``(num_boxes, 4)`` (one image) or ``(batch, num_boxes, 4)``,
``labels`` of shape ``(num_boxes,)`` / ``(batch, num_boxes)`` (a trailing class
axis is allowed). The layers receive them densified: float32 boxes and array labels.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def _rank(value: Any) -> int:
    return len(np.shape(value))


def validate_bounding_boxes(bounding_boxes: Any) -> None:
    """Raise ``ValueError`` unless ``bounding_boxes`` is a dict of boxes and labels that fit."""
    if (
        not isinstance(bounding_boxes, dict)
        or "boxes" not in bounding_boxes
        or "labels" not in bounding_boxes
    ):
        raise ValueError(
            "The 'bounding_boxes' entry must be a dict with the keys 'boxes' and 'labels', "
            f"e.g. {{'boxes': boxes, 'labels': labels}}. Received: {bounding_boxes!r}"
        )
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    if isinstance(boxes, list):
        if not isinstance(labels, list):
            raise ValueError(
                "When bounding_boxes['boxes'] is a list, bounding_boxes['labels'] must be a "
                f"list too. Received: bounding_boxes['labels']={labels!r}"
            )
        if len(boxes) != len(labels):
            raise ValueError(
                "bounding_boxes['boxes'] and bounding_boxes['labels'] must be lists of the same "
                f"length. Received: len(boxes)={len(boxes)}, len(labels)={len(labels)}"
            )
        return
    boxes_rank, labels_rank = _rank(boxes), _rank(labels)
    if boxes_rank not in (2, 3):
        raise ValueError(
            "bounding_boxes['boxes'] must have rank 2 (num_boxes, 4) or 3 "
            f"(batch_size, num_boxes, 4). Received: shape={np.shape(boxes)}"
        )
    if labels_rank not in (boxes_rank - 1, boxes_rank):
        raise ValueError(
            f"bounding_boxes['boxes'] has shape {np.shape(boxes)}, so bounding_boxes['labels'] "
            f"must have rank {boxes_rank - 1} or {boxes_rank}. Received: "
            f"shape={np.shape(labels)}"
        )


def _pad_ragged(boxes: list, labels: list, batched: bool) -> tuple[Any, Any]:
    """Pad per-image lists of boxes/labels to the longest with zero boxes and ``-1`` labels."""
    if not batched:
        return boxes, labels
    longest = max((len(b) for b in boxes), default=0)
    padded_boxes = [list(b) + [[0.0] * 4] * (longest - len(b)) for b in boxes]
    padded_labels = [list(lab) + [-1] * (longest - len(lab)) for lab in labels]
    return padded_boxes, padded_labels


def densify_bounding_boxes(bounding_boxes: Any, is_batched: bool) -> dict:
    """A new dict with float32 ``boxes`` and array ``labels`` (other entries kept as given).

    Python lists of a batch may be ragged (a different number of boxes per image):
    they are padded to the longest with ``[0, 0, 0, 0]`` boxes labelled ``-1``.
    """
    validate_bounding_boxes(bounding_boxes)
    boxes, labels = bounding_boxes["boxes"], bounding_boxes["labels"]
    out = dict(bounding_boxes)
    if isinstance(boxes, list):
        boxes, labels = _pad_ragged(boxes, labels, is_batched)
        out["boxes"] = jnp.asarray(boxes, dtype="float32")
        out["labels"] = jnp.asarray(labels, dtype="int32")
        return out
    out["boxes"] = jnp.asarray(boxes).astype("float32")
    out["labels"] = jnp.asarray(labels)
    return out


def image_size(shape: Any, data_format: str) -> tuple[int, int]:
    """``(height, width)`` of an image (or batch) shape."""
    if data_format == "channels_first":
        return shape[-2], shape[-1]
    return shape[-3], shape[-2]


def projective_xy(x: Any, y: Any, transform: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Where the 8-coefficient projective rows ``transform`` (batch, 8) send ``(x, y)``."""
    a0, a1, a2, b0, b1, b2, c0, c1 = jnp.split(transform, 8, axis=-1)
    k = c0 * x + c1 * y + 1
    return (a0 * x + a1 * y + a2) / k, (b0 * x + b1 * y + b2) / k


def clip_boxes_to_window(boxes: jax.Array, top: Any, left: Any, bottom: Any, right: Any) -> Any:
    """``xyxy`` boxes clipped to a window and moved into its frame (window's corner at 0)."""
    x1, y1, x2, y2 = jnp.split(boxes, 4, axis=-1)
    return jnp.concatenate(
        [jnp.clip(x1, left, right) - left, jnp.clip(y1, top, bottom) - top,
         jnp.clip(x2, left, right) - left, jnp.clip(y2, top, bottom) - top], axis=-1,
    )  # fmt: skip
