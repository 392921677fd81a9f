"""Bounding-box conversions between formats, clipping, cropping, padding and affine maps."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from ... import _config

SUPPORTED_FORMATS = (
    "xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
    "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh",
)  # fmt: skip


def _split(boxes: jax.Array) -> list[jax.Array]:
    return jnp.split(boxes, 4, axis=-1)


def _join(*parts: jax.Array) -> jax.Array:
    return jnp.concatenate(parts, axis=-1)


def _to_xyxy(boxes: jax.Array, source: str, height: Any, width: Any) -> jax.Array:
    a, b, c, d = _split(boxes)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return _join(b, a, d, c)
    if source == "xywh":
        return _join(a, b, a + c, b + d)
    if source == "center_xywh":
        return _join(a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    if source == "center_yxhw":
        return _join(b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)
    if source == "rel_xyxy":
        return _join(a * width, b * height, c * width, d * height)
    if source == "rel_yxyx":
        return _join(b * width, a * height, d * width, c * height)
    if source == "rel_xywh":
        return _join(a * width, b * height, (a + c) * width, (b + d) * height)
    # rel_center_xywh
    return _join((a - c / 2.0) * width, (b - d / 2.0) * height,
                 (a + c / 2.0) * width, (b + d / 2.0) * height)  # fmt: skip


def _from_xyxy(boxes: jax.Array, target: str, height: Any, width: Any) -> jax.Array:
    x1, y1, x2, y2 = _split(boxes)
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return _join(y1, x1, y2, x2)
    if target == "xywh":
        return _join(x1, y1, x2 - x1, y2 - y1)
    cx, cy = x1 + (x2 - x1) / 2.0, y1 + (y2 - y1) / 2.0
    if target == "center_xywh":
        return _join(cx, cy, x2 - x1, y2 - y1)
    if target == "center_yxhw":
        return _join(cy, cx, y2 - y1, x2 - x1)
    if target == "rel_xyxy":
        return _join(x1 / width, y1 / height, x2 / width, y2 / height)
    if target == "rel_yxyx":
        return _join(y1 / height, x1 / width, y2 / height, x2 / width)
    if target == "rel_xywh":
        return _join(x1 / width, y1 / height, (x2 - x1) / width, (y2 - y1) / height)
    # rel_center_xywh
    return _join(cx / width, cy / height, (x2 - x1) / width, (y2 - y1) / height)


def convert_format(
    boxes: Any,
    source: str,
    target: str,
    height: Any = None,
    width: Any = None,
    dtype: Any = "float32",
) -> Any:
    """Convert boxes from the ``source`` format to the ``target`` format.

    Formats: ``"xyxy"``, ``"yxyx"``, ``"xywh"``, ``"center_xywh"``, ``"center_yxhw"``
    and the relative (fractions of the image) ``"rel_xyxy"``, ``"rel_yxyx"``,
    ``"rel_xywh"``, ``"rel_center_xywh"``.

    Args:
        boxes: An array whose last axis has 4 coordinates, or a dict with a
            ``"boxes"`` entry (a new dict is returned, the given one is left as it was).
        source: The format of ``boxes``.
        target: The format of the result.
        height: Image height; needed when either format is relative.
        width: Image width; needed when either format is relative.
        dtype: The dtype of the result.

    Returns:
        The converted boxes (or a dict with them).

    Raises:
        ValueError: On an unknown format, a last axis other than 4, or a relative
            format without ``height`` and ``width``.

    >>> convert_format([[10.0, 20.0, 30.0, 60.0]], "xyxy", "center_xywh").tolist()
    [[20.0, 40.0, 20.0, 40.0]]
    """
    if isinstance(boxes, dict):
        out = dict(boxes)
        out["boxes"] = convert_format(boxes["boxes"], source, target, height, width, dtype)
        return out
    boxes = jnp.asarray(boxes)
    if boxes.shape[-1] != 4:
        raise ValueError(
            "`boxes` must be a tensor with the last dimension of 4. "
            f"Received: boxes.shape={boxes.shape}"
        )
    source, target = source.lower(), target.lower()
    if source not in SUPPORTED_FORMATS or target not in SUPPORTED_FORMATS:
        raise ValueError(
            f"Invalid source or target format. Supported formats: {SUPPORTED_FORMATS}. "
            f"Received: source={source!r}, target={target!r}"
        )
    if (source.startswith("rel_") or target.startswith("rel_")) and (
        width is None or height is None
    ):
        raise ValueError(
            "convert_format() must receive `height` and `width` transforming between "
            f"relative and absolute formats. Received source={source!r}, target={target!r}, "
            f"but height={height} and width={width}."
        )
    boxes = boxes.astype(dtype)
    if source == target:
        return boxes
    if width is not None:
        width = jnp.asarray(width).astype(dtype)
    if height is not None:
        height = jnp.asarray(height).astype(dtype)
    if source.startswith("rel_") and target.startswith("rel_"):
        source, target = source[4:], target[4:]
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _area(boxes: jax.Array) -> jax.Array:
    x1, y1, x2, y2 = _split(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(
    bounding_boxes: dict,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> dict:
    """Clip boxes to the image, marking the labels of boxes left with no area as ``-1``.

    Args:
        bounding_boxes: A dict with ``"boxes"`` (and optionally ``"labels"``).
        height: Image height (required for ``"xyxy"``).
        width: Image width (required for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` or ``"rel_xyxy"``.

    Returns:
        A new dict with the clipped boxes and updated labels.

    Raises:
        NotImplementedError: For other formats.
        ValueError: For ``"xyxy"`` without ``height`` and ``width``.

    >>> out = clip_to_image_size({"boxes": [[-5.0, 2.0, 50.0, 8.0]], "labels": [3]}, 10, 20)
    >>> out["boxes"].tolist(), out["labels"].tolist()
    ([[0.0, 2.0, 20.0, 8.0]], [3])
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError(
            f"clip_to_image_size() supports 'xyxy' and 'rel_xyxy' boxes. Received: "
            f"bounding_box_format={bounding_box_format!r}; convert them first with "
            "`convert_format`."
        )
    if bounding_box_format == "xyxy" and (height is None or width is None):
        raise ValueError("`height` and `width` must be set if `format='xyxy'`.")
    boxes = jnp.asarray(bounding_boxes["boxes"])
    labels = bounding_boxes.get("labels", None)
    if bounding_box_format == "xyxy":
        w, h = jnp.asarray(width).astype(boxes.dtype), jnp.asarray(height).astype(boxes.dtype)
    else:
        w = h = jnp.asarray(1.0, dtype=boxes.dtype)
    x1, y1, x2, y2 = _split(boxes)
    boxes = _join(jnp.clip(x1, 0, w), jnp.clip(y1, 0, h), jnp.clip(x2, 0, w), jnp.clip(y2, 0, h))
    result = dict(bounding_boxes)
    result["boxes"] = boxes
    if labels is not None:
        result["labels"] = jnp.where(jnp.squeeze(_area(boxes), -1) > 0, jnp.asarray(labels), -1)
    return result


def _only_xyxy(bounding_box_format: str, fn: str) -> None:
    if bounding_box_format != "xyxy":
        raise NotImplementedError(
            f"{fn}() supports only 'xyxy' boxes. Received: bounding_box_format="
            f"{bounding_box_format!r}; convert them first with `convert_format`."
        )


def _inverse_affine(center_x, center_y, angle, translate_x, translate_y, scale,
                    shear_x, shear_y, height, width):  # fmt: skip
    """Per-box-batch 3x3 matrices mapping original points to transformed ones."""
    batch = angle.shape[0]
    dtype = angle.dtype
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    rot = -angle * (1.0 / 180.0 * math.pi)
    tx, ty = -translate_x * (width - 1), -translate_y * (height - 1)
    sx, sy = -shear_x * (1.0 / 180.0 * math.pi), -shear_y * (1.0 / 180.0 * math.pi)
    cos_sy, tan_sx = jnp.cos(sy), jnp.tan(sx)
    a = jnp.cos(rot - sy) / cos_sy
    b = a * tan_sx + jnp.sin(rot)
    c = -jnp.sin(rot - sy) / cos_sy
    d = jnp.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    a2 = cx - a0 * (cx + tx) - a1 * (cy + ty)
    b2 = cy - b0 * (cx + tx) - b1 * (cy + ty)
    zeros, ones = jnp.zeros([batch], dtype), jnp.ones([batch], dtype)
    matrix = jnp.stack([a0, a1, a2, b0, b1, b2, zeros, zeros, ones], axis=-1)
    return jnp.reshape(matrix, [batch, 3, 3])


def affine_transform(
    boxes: Any,
    angle: Any,
    translate_x: Any,
    translate_y: Any,
    scale: Any,
    shear_x: Any,
    shear_y: Any,
    height: Any,
    width: Any,
    center_x: Any = None,
    center_y: Any = None,
    bounding_box_format: str = "xyxy",
) -> jax.Array:
    """The axis-aligned boxes enclosing batched ``"xyxy"`` boxes after an affine map.

    The map matches the image warp of ``RandomRotation``/``RandomShear``...:
    rotation ``angle`` and shears in degrees about ``(center_x, center_y)`` (fractions
    of the image, 0.5 by default), scaling, and translations in fractions of the size.

    Args:
        boxes: ``(batch, num_boxes, 4)`` boxes in ``"xyxy"``.
        angle: ``(batch,)`` rotation angles.
        translate_x: ``(batch,)`` horizontal shifts.
        translate_y: ``(batch,)`` vertical shifts.
        scale: ``(batch,)`` scale factors.
        shear_x: ``(batch,)`` horizontal shear angles.
        shear_y: ``(batch,)`` vertical shear angles.
        height: Image height.
        width: Image width.
        center_x: Horizontal centre, a fraction of the width.
        center_y: Vertical centre, a fraction of the height.
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        ``(batch, num_boxes, 4)`` transformed boxes.

    Raises:
        NotImplementedError: If the format is not ``"xyxy"``.

    >>> import numpy as np
    >>> z = np.zeros(1, "float32")
    >>> affine_transform(np.array([[[1.0, 1.0, 3.0, 3.0]]]), z, z, z, z + 1, z, z, 5, 5).tolist()
    [[[1.0, 1.0, 3.0, 3.0]]]
    """
    _only_xyxy(bounding_box_format, "affine_transform")
    boxes = jnp.asarray(boxes)
    angle = jnp.asarray(angle)
    batch, n = boxes.shape[0], boxes.shape[1]
    matrix = _inverse_affine(
        0.5 if center_x is None else center_x, 0.5 if center_y is None else center_y,
        angle, jnp.asarray(translate_x), jnp.asarray(translate_y), jnp.asarray(scale),
        jnp.asarray(shear_x), jnp.asarray(shear_y), height, width,
    )  # fmt: skip
    boxes = boxes.astype(matrix.dtype)
    corners = jnp.stack([boxes[..., i] for i in (0, 1, 2, 1, 2, 3, 0, 3)], axis=-1).reshape(
        batch, n, 4, 2
    )
    corners = jnp.concatenate([corners, jnp.ones([batch, n, 4, 1], corners.dtype)], axis=-1)
    moved = jnp.einsum("bnxy,byz->bnxz", corners, jnp.transpose(matrix[:, :2, :], [0, 2, 1]))
    return jnp.concatenate([jnp.min(moved, axis=2), jnp.max(moved, axis=2)], axis=-1)


def crop(
    boxes: Any, top: Any, left: Any, height: Any, width: Any, bounding_box_format: str = "xyxy"
) -> jax.Array:
    """Boxes in the frame of a crop at ``(top, left)`` of size ``height`` x ``width``, clipped.

    Args:
        boxes: ``"xyxy"`` boxes.
        top: The crop's top row.
        left: The crop's left column.
        height: The crop's height.
        width: The crop's width.
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        The shifted and clipped boxes.

    Raises:
        NotImplementedError: If the format is not ``"xyxy"``.

    >>> crop([[2.0, 2.0, 9.0, 9.0]], 1, 1, 5, 5).tolist()
    [[1.0, 1.0, 5.0, 5.0]]
    """
    _only_xyxy(bounding_box_format, "crop")
    x1, y1, x2, y2 = _split(jnp.asarray(boxes))
    return _join(jnp.clip(x1 - left, 0, width), jnp.clip(y1 - top, 0, height),
                 jnp.clip(x2 - left, 0, width), jnp.clip(y2 - top, 0, height))  # fmt: skip


def pad(
    boxes: Any,
    top: Any,
    left: Any,
    height: Any = None,
    width: Any = None,
    bounding_box_format: str = "xyxy",
) -> jax.Array:
    """Boxes shifted by padding of ``top`` rows and ``left`` columns (``height``/``width`` unused).

    Args:
        boxes: ``"xyxy"`` boxes.
        top: Rows added above the image.
        left: Columns added on the left.
        height: Unused (kept for Keras's signature).
        width: Unused (kept for Keras's signature).
        bounding_box_format: Must be ``"xyxy"``.

    Returns:
        The shifted boxes.

    Raises:
        NotImplementedError: If the format is not ``"xyxy"``.

    >>> pad([[2.0, 2.0, 4.0, 4.0]], 1, 3).tolist()
    [[5.0, 3.0, 7.0, 5.0]]
    """
    _only_xyxy(bounding_box_format, "pad")
    x1, y1, x2, y2 = _split(jnp.asarray(boxes))
    return _join(x1 + left, y1 + top, x2 + left, y2 + top)


def _check_variance(variance: Any) -> Any:
    if variance is None:
        return None
    variance = jnp.asarray(variance, dtype="float32")
    if variance.shape[-1] != 4:
        raise ValueError(f"`variance` must be length 4, got {variance}")
    return variance


def _image_hw(image_shape: Any) -> tuple[Any, Any]:
    if image_shape is None:
        return None, None
    height, width, _ = image_shape
    return height, width


def encode_box_to_deltas(
    anchors: Any,
    boxes: Any,
    anchor_format: str,
    box_format: str,
    encoding_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> jax.Array:
    """Encode ``boxes`` as offsets from ``anchors`` (centre shift / size, log size ratio).

    Args:
        anchors: Anchor boxes in ``anchor_format``.
        boxes: Boxes in ``box_format``, broadcastable against ``anchors``.
        anchor_format: The format of ``anchors``.
        box_format: The format of ``boxes``.
        encoding_format: ``"center_yxhw"`` or ``"center_xywh"``.
        variance: Optional 4 numbers dividing the deltas.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        The deltas, shaped like ``boxes``.

    Raises:
        ValueError: On a bad ``variance`` or ``encoding_format``.

    >>> encode_box_to_deltas([[0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 2.0, 2.0]], "xyxy", "xyxy").tolist()
    [[0.0, 0.0, 0.0, 0.0]]
    """
    variance = _check_variance(variance)
    if encoding_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            "`encoding_format` should be one of 'center_xywh' or 'center_yxhw', got "
            f"{encoding_format}"
        )
    height, width = _image_hw(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    anchor_size = jnp.maximum(anchors[..., 2:], _config.epsilon())
    box_size = jnp.maximum(boxes[..., 2:], _config.epsilon())
    deltas = jnp.concatenate(
        [(boxes[..., :2] - anchors[..., :2]) / anchor_size, jnp.log(box_size / anchor_size)],
        axis=-1,
    )
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(
    anchors: Any,
    boxes_delta: Any,
    anchor_format: str,
    box_format: str,
    encoded_format: str = "center_yxhw",
    variance: Any = None,
    image_shape: Any = None,
) -> Any:
    """Invert ``encode_box_to_deltas``: boxes in ``box_format`` from anchors and deltas.

    Args:
        anchors: Anchor boxes in ``anchor_format``, or a dict of them per level.
        boxes_delta: The deltas (a dict with the same keys when ``anchors`` is one).
        anchor_format: The format of ``anchors``.
        box_format: The format of the result.
        encoded_format: ``"center_yxhw"`` or ``"center_xywh"``.
        variance: Optional 4 numbers the deltas were divided by.
        image_shape: ``(height, width, channels)``, needed for relative formats.

    Returns:
        The boxes (a dict per level for dict inputs).

    Raises:
        ValueError: On a bad ``variance`` or ``encoded_format``.

    >>> decode_deltas_to_boxes([[0.0, 0.0, 2.0, 2.0]], [[0.0, 0.0, 0.0, 0.0]], "xyxy", "xyxy").tolist()
    [[0.0, 0.0, 2.0, 2.0]]
    """
    variance = _check_variance(variance)
    if encoded_format not in ("center_xywh", "center_yxhw"):
        raise ValueError(
            "`encoded_format` should be 'center_xywh' or 'center_yxhw', but got "
            f"'{encoded_format}'."
        )
    height, width = _image_hw(image_shape)

    def decode(anchor: Any, delta: Any) -> jax.Array:
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = jnp.asarray(delta)
        if variance is not None:
            delta = delta * variance
        box = jnp.concatenate(
            [delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
             jnp.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1,
        )  # fmt: skip
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)
