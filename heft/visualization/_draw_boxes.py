"""``draw_bounding_boxes``: box outlines (numpy) and class labels (Pillow) on a batch of images."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._config import image_data_format
from ..utils.bounding_boxes import convert_format


def _pillow(what: str) -> tuple[Any, Any, Any]:
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(
            f"`{what}` draws class labels with Pillow, which is not installed. Install it with "
            "`pip install pillow`, or leave `class_mapping` out to draw the boxes alone."
        ) from None
    return Image, ImageDraw, ImageFont


def _check_data_format(data_format: str) -> None:
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            "`data_format` must be 'channels_last' or 'channels_first'. "
            f"Received: data_format={data_format!r}"
        )


def _to_uint8(images: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] (max <= 1) are scaled by 255; others are clipped to [0, 255]."""
    if images.dtype.kind == "f" and images.size > 0:
        if images.max() <= 1.0:
            images = np.clip(images, 0, 1) * 255
        else:
            images = np.clip(images, 0, 255)
    return images.astype("uint8")


def _channel_color(color: Sequence[Any], channels: int) -> np.ndarray:
    """The colour as one value per channel: missing channels are 0, extra entries dropped."""
    values = [float(c) for c in color][:channels]
    values += [0.0] * (channels - len(values))
    return np.asarray(values).astype("uint8")


def _outline_mask(
    height: int, width: int, x1: int, y1: int, x2: int, y2: int, thickness: int
) -> np.ndarray:
    """Pixels of the outline of the box with corners (x1, y1), (x2, y2)."""
    xa, xb = sorted((x1, x2))
    ya, yb = sorted((y1, y2))
    ys = np.arange(height)[:, None]
    xs = np.arange(width)[None, :]
    if thickness < 0:
        return (xs >= xa) & (xs <= xb) & (ys >= ya) & (ys <= yb)
    half = max(thickness, 1) // 2
    outer = (xs >= xa - half) & (xs <= xb + half) & (ys >= ya - half) & (ys <= yb + half)
    inner = (xs > xa + half) & (xs < xb - half) & (ys > ya + half) & (ys < yb - half)
    return outer & ~inner


def _text_location(x: int, y: int, font_scale: float, thickness: int) -> tuple[int, int]:
    """Where a label's baseline starts: above the box when there is room, else inside it."""
    font_height = int(font_scale * 12)
    if y - 8 - 2 * font_height > 0:
        return x, y - 8
    return x + 3, y + 2 * font_height + thickness + 3


def _text_mask(
    height: int, width: int, text: str, origin: tuple[int, int], font_scale: float, thickness: int
) -> np.ndarray:
    """Pixels covered by ``text`` written with its baseline starting at ``origin``."""
    Image, ImageDraw, ImageFont = _pillow("draw_bounding_boxes")
    canvas = Image.new("L", (width, height), 0)
    draw = ImageDraw.Draw(canvas)
    draw.fontmode = "1"  # no anti-aliasing: a pixel is either label or image
    # OpenCV's simplex font at scale 1 has capitals about 22 pixels tall; a Pillow font of
    # size 30 has about the same.
    try:
        font = ImageFont.load_default(size=max(1, round(30 * font_scale)))
    except TypeError:  # Pillow before 10.1 has one fixed-size bitmap font
        font = ImageFont.load_default()
    stroke = max(thickness, 1) - 1
    if isinstance(font, ImageFont.FreeTypeFont):
        draw.text(origin, text, fill=255, font=font, anchor="ls", stroke_width=stroke)
    else:  # a bitmap font (Pillow without FreeType) has no baseline anchor
        top = draw.textbbox((0, 0), text, font=font)[3]
        draw.text((origin[0], origin[1] - top), text, fill=255, font=font, stroke_width=stroke)
    return np.asarray(canvas) > 0


def draw_bounding_boxes(
    images: Any,
    bounding_boxes: Mapping[str, Any],
    bounding_box_format: str,
    class_mapping: Mapping[int, str] | None = None,
    color: Sequence[int] = (128, 128, 128),
    line_thickness: int = 2,
    text_thickness: int | None = 1,
    font_scale: float = 1.0,
    data_format: str | None = None,
) -> np.ndarray:
    """Draw bounding boxes, and optionally class labels and confidences, on a batch of images.

    The boxes are painted with numpy and the labels with Pillow (the ``images`` extra),
    so OpenCV is not needed; Pillow is imported only when a label is drawn. The
    outline of a box with corners ``(x1, y1)``, ``(x2, y2)`` (after truncation to
    integers) covers every pixel within ``line_thickness // 2`` of its edges, with
    square corners; a negative ``line_thickness`` fills the box. Labels are drawn
    without anti-aliasing in Pillow's default font, sized so that ``font_scale=1``
    gives capitals about 22 pixels tall, their baseline where Keras puts it. Pixels
    outside the outlines and labels keep their values.

    Float images whose maximum is at most 1 are scaled to [0, 255]; other float
    images are clipped to [0, 255]; then every image is cast to ``uint8``.

    Args:
        images: A batch of images, rank 4.
        bounding_boxes: A dict with ``"boxes"`` (``(batch, num_boxes, 4)``),
            ``"labels"`` (``(batch, num_boxes)``; boxes labelled -1 are skipped) and
            optionally ``"confidences"`` (``(batch, num_boxes)``), shown after the label.
        bounding_box_format: The format of the boxes, one of those of
            ``heft.utils.bounding_boxes.convert_format`` (relative ones included).
        class_mapping: Class id to label text; boxes whose class is not in it get no label.
        color: RGB colour of outlines and labels (extra channels are painted 0).
        line_thickness: Thickness of the outlines in pixels.
        text_thickness: Thickness of the label strokes; falsy means ``line_thickness``.
        font_scale: Size of the labels relative to the default size.
        data_format: ``"channels_last"`` or ``"channels_first"``; defaults to
            ``heft.config.image_data_format()``.

    Returns:
        A ``uint8`` numpy array of the same shape as ``images``; ``images`` is not changed.

    Raises:
        ValueError: If ``images`` is not rank 4, ``bounding_boxes`` lacks ``"boxes"``
            or ``"labels"``, their shapes do not fit the images, or ``data_format`` is
            unknown.
        TypeError: If ``bounding_boxes`` is not a dict.
        ImportError: If a label is to be drawn and Pillow is not installed.

    >>> images = np.zeros((1, 6, 6, 3), "uint8")
    >>> boxes = {"boxes": np.array([[[1, 1, 4, 4]]]), "labels": np.array([[0]])}
    >>> out = draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0), line_thickness=1)
    >>> out[0, :, :, 0]
    array([[  0,   0,   0,   0,   0,   0],
           [  0, 255, 255, 255, 255,   0],
           [  0, 255,   0,   0, 255,   0],
           [  0, 255,   0,   0, 255,   0],
           [  0, 255, 255, 255, 255,   0],
           [  0,   0,   0,   0,   0,   0]], dtype=uint8)
    """
    class_mapping = class_mapping or {}
    text_thickness = text_thickness or line_thickness
    data_format = data_format or image_data_format()
    _check_data_format(data_format)
    images = np.asarray(images)
    if images.dtype.kind not in "biuf":  # bfloat16 and the like
        images = images.astype("float32")
    if images.ndim != 4:
        raise ValueError(
            "`images` must be batched 4D tensor. Received: "
            f"images.shape={images.shape}; add a batch axis, e.g. `images[None]`."
        )
    if not isinstance(bounding_boxes, dict):
        raise TypeError(
            "`bounding_boxes` should be a dict with 'boxes' and 'labels'. "
            f"Received: bounding_boxes={bounding_boxes} of type {type(bounding_boxes)}"
        )
    if "boxes" not in bounding_boxes or "labels" not in bounding_boxes:
        raise ValueError(
            "`bounding_boxes` should be a dict containing 'boxes' and 'labels' keys. "
            f"Received keys: {sorted(bounding_boxes)}"
        )
    if data_format == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    batch, height, width, channels = images.shape
    converted = convert_format(bounding_boxes, bounding_box_format, "xyxy", height, width)
    boxes = np.asarray(converted["boxes"]).astype("int32")
    labels = np.asarray(bounding_boxes["labels"]).astype("int32")
    if boxes.ndim != 3 or labels.shape != boxes.shape[:2] or boxes.shape[0] != batch:
        raise ValueError(
            "`bounding_boxes['boxes']` must be (batch, num_boxes, 4) and "
            "`bounding_boxes['labels']` (batch, num_boxes), with the batch of the images "
            f"({batch}). Received: boxes.shape={boxes.shape}, labels.shape={labels.shape}"
        )
    confidences = bounding_boxes.get("confidences")
    if confidences is not None:
        confidences = np.asarray(confidences)

    result = _to_uint8(images)  # a new array: the caller's images stay as they were
    paint = _channel_color(color, channels)
    for i in range(batch):
        image = result[i]
        for j in range(boxes.shape[1]):
            c = int(labels[i, j])
            if c == -1:
                continue
            x1, y1, x2, y2 = (int(v) for v in boxes[i, j])
            image[_outline_mask(height, width, x1, y1, x2, y2, line_thickness)] = paint
            if c in class_mapping:
                text = str(class_mapping[c])
                if confidences is not None:
                    text = f"{text} | {confidences[i][j]:.2f}"
                origin = _text_location(x1, y1, font_scale, text_thickness)
                image[_text_mask(height, width, text, origin, font_scale, text_thickness)] = paint
    if data_format == "channels_first":
        result = result.transpose(0, 3, 1, 2)
    return result
