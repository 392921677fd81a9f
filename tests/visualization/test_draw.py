"""draw_bounding_boxes and draw_segmentation_masks: pixels painted, pixels kept, errors."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

import heft
from heft.visualization import draw_bounding_boxes, draw_segmentation_masks

RED = np.array([255, 0, 0], "uint8")


def _boxes(*rows, labels=None):
    boxes = np.array([rows], "float32")
    labels = np.zeros((1, len(rows)), "int32") if labels is None else np.array([labels])
    return {"boxes": boxes, "labels": labels}


def _outline(height, width, x1, y1, x2, y2, half):
    ys, xs = np.mgrid[:height, :width]
    outer = (xs >= x1 - half) & (xs <= x2 + half) & (ys >= y1 - half) & (ys <= y2 + half)
    inner = (xs > x1 + half) & (xs < x2 - half) & (ys > y1 + half) & (ys < y2 - half)
    return outer & ~inner


@pytest.mark.parametrize("thickness, half", [(1, 0), (2, 1), (3, 1), (4, 2)])
def test_draw_bounding_boxes_outline_pixels(thickness, half):
    images = np.full((1, 20, 24, 3), 7, "uint8")
    out = draw_bounding_boxes(
        images, _boxes([4, 5, 15, 12]), "xyxy", color=(255, 0, 0), line_thickness=thickness
    )
    expected = _outline(20, 24, 4, 5, 15, 12, half)
    assert out.shape == images.shape and out.dtype == np.uint8
    assert (out[0][expected] == RED).all()
    assert (out[0][~expected] == 7).all()
    assert (images == 7).all()  # the input is not changed


def test_draw_bounding_boxes_formats_agree():
    images = np.zeros((1, 16, 20, 3), "uint8")
    xyxy = draw_bounding_boxes(images, _boxes([2, 3, 12, 9]), "xyxy")
    yxyx = draw_bounding_boxes(images, _boxes([3, 2, 9, 12]), "yxyx")
    xywh = draw_bounding_boxes(images, _boxes([2, 3, 10, 6]), "xywh")
    rel = draw_bounding_boxes(images, _boxes([2 / 20, 3 / 16, 12 / 20, 9 / 16]), "rel_xyxy")
    assert xyxy.any()
    for other in (yxyx, xywh, rel):
        np.testing.assert_array_equal(other, xyxy)


def test_draw_bounding_boxes_clips_skips_and_fills():
    images = np.zeros((1, 10, 10, 1), "uint8")
    out = draw_bounding_boxes(
        images, _boxes([-5, -5, 4, 4], [1, 1, 8, 8], labels=[0, -1]), "xyxy", line_thickness=1
    )
    expected = _outline(10, 10, -5, -5, 4, 4, 0)
    assert (out[0, ..., 0][expected] == 128).all() and (out[0, ..., 0][~expected] == 0).all()
    filled = draw_bounding_boxes(images, _boxes([2, 3, 5, 7]), "xyxy", line_thickness=-1)
    assert (filled[0, 3:8, 2:6] == 128).all() and filled.sum() == 128 * 20


def test_draw_bounding_boxes_value_scaling_and_channels_first():
    unit = np.full((1, 8, 8, 3), 0.5, "float32")
    assert (draw_bounding_boxes(unit, _boxes([0, 0, 0, 0], labels=[-1]), "xyxy") == 127).all()
    big = np.full((1, 8, 8, 3), 300.0, "float32")
    assert (draw_bounding_boxes(big, _boxes([0, 0, 0, 0], labels=[-1]), "xyxy") == 255).all()
    images = np.random.default_rng(0).integers(0, 255, (2, 9, 11, 3)).astype("uint8")
    boxes = {"boxes": np.array([[[1, 2, 8, 6]], [[0, 0, 5, 5]]]), "labels": np.zeros((2, 1))}
    last = draw_bounding_boxes(images, boxes, "xyxy", data_format="channels_last")
    first = draw_bounding_boxes(
        images.transpose(0, 3, 1, 2), boxes, "xyxy", data_format="channels_first"
    )
    assert first.shape == (2, 3, 9, 11)
    np.testing.assert_array_equal(first.transpose(0, 2, 3, 1), last)


def test_draw_bounding_boxes_labels_in_box_colour_near_the_box():
    images = np.zeros((1, 80, 120, 3), "uint8")
    boxes = _boxes([10, 50, 100, 75])
    plain = draw_bounding_boxes(images, boxes, "xyxy", color=(255, 0, 0))
    labelled = draw_bounding_boxes(
        images, boxes, "xyxy", class_mapping={0: "CAT"}, color=(255, 0, 0)
    )
    text = (labelled != plain).any(axis=-1)
    assert text.sum() > 20  # something was written
    assert (labelled[text] == RED).all()  # in the box colour, without anti-aliasing
    rows, cols = np.nonzero(text[0])
    # capitals stand on the baseline 8 pixels above the box, from its left edge
    assert rows.max() == 50 - 8 - 1 and cols.min() >= 10
    assert 15 <= rows.max() - rows.min() + 1 <= 30  # about as tall as OpenCV's at scale 1
    scored = draw_bounding_boxes(
        images,
        {**boxes, "confidences": np.array([[0.9]])},
        "xyxy",
        class_mapping={0: "CAT"},
        color=(255, 0, 0),
    )
    assert ((scored != plain).any(axis=-1) & ~text).sum() > 20  # " | 0.90" follows
    # a class not in the mapping gets no label
    other = draw_bounding_boxes(images, boxes, "xyxy", class_mapping={1: "dog"}, color=(255, 0, 0))
    np.testing.assert_array_equal(other, plain)


def test_draw_bounding_boxes_errors():
    images = np.zeros((1, 8, 8, 3), "uint8")
    with pytest.raises(ValueError, match="batched 4D"):
        draw_bounding_boxes(images[0], _boxes([0, 0, 1, 1]), "xyxy")
    with pytest.raises(TypeError, match="should be a dict"):
        draw_bounding_boxes(images, [[0, 0, 1, 1]], "xyxy")
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        draw_bounding_boxes(images, {"boxes": np.zeros((1, 1, 4))}, "xyxy")
    with pytest.raises(ValueError, match="data_format"):
        draw_bounding_boxes(images, _boxes([0, 0, 1, 1]), "xyxy", data_format="nhwc")
    with pytest.raises(ValueError, match="num_boxes, 4"):
        draw_bounding_boxes(images, {"boxes": np.zeros((1, 4)), "labels": np.zeros(1)}, "xyxy")
    with pytest.raises(ValueError, match="batch of the images"):
        draw_bounding_boxes(
            images, {"boxes": np.zeros((2, 1, 4)), "labels": np.zeros((2, 1))}, "xyxy"
        )


def test_draw_bounding_boxes_without_pillow(monkeypatch):
    real_import = builtins.__import__

    def no_pil(name, *args, **kwargs):
        if name == "PIL" or name.startswith("PIL."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pil)
    images = np.zeros((1, 8, 8, 3), "uint8")
    assert draw_bounding_boxes(images, _boxes([1, 1, 5, 5]), "xyxy").any()
    with pytest.raises(ImportError, match="pip install pillow"):
        draw_bounding_boxes(images, _boxes([1, 1, 5, 5]), "xyxy", class_mapping={0: "a"})


def test_draw_segmentation_masks_blend_values():
    rng = np.random.default_rng(1)
    images = rng.uniform(0, 255, (2, 4, 5, 3)).astype("float32")
    masks = rng.integers(-1, 3, (2, 4, 5, 1))
    colors = {0: (10, 20, 30), 1: (200, 100, 0), 2: (0, 0, 255)}
    out = draw_segmentation_masks(images, masks, 3, colors, alpha=0.25)
    painted = images.copy()
    for k, c in colors.items():
        painted[masks[..., 0] == k] = c
    expected = np.where(masks != -1, images * 0.75 + painted * 0.25, images).astype("uint8")
    np.testing.assert_array_equal(out, expected)
    raw = draw_segmentation_masks(images, masks[..., 0], 3, colors, blend=False)
    assert raw.dtype == np.float32
    np.testing.assert_array_equal(raw, painted)


def test_draw_segmentation_masks_channels_first_returns_channels_last():
    images = np.random.default_rng(2).uniform(0, 255, (1, 3, 4, 5)).astype("float32")
    masks = np.ones((1, 1, 4, 5), "int32")
    out = draw_segmentation_masks(images, masks, 2, data_format="channels_first")
    last = draw_segmentation_masks(images.transpose(0, 2, 3, 1), masks.transpose(0, 2, 3, 1), 2)
    assert out.shape == (1, 4, 5, 3)
    np.testing.assert_array_equal(out, last)


def test_draw_segmentation_masks_errors():
    images = np.zeros((1, 2, 2, 3))
    with pytest.raises(ValueError, match="batched 4D"):
        draw_segmentation_masks(images[0], np.zeros((1, 2, 2, 1), "int32"))
    with pytest.raises(TypeError, match="integer dtype"):
        draw_segmentation_masks(images, np.zeros((1, 2, 2, 1), "float32"))
    with pytest.raises(ValueError, match="matching the images"):
        draw_segmentation_masks(images, np.zeros((1, 3, 2, 1), "int32"))
    with pytest.raises(KeyError, match="lacks \\[1\\]"):
        draw_segmentation_masks(images, np.ones((1, 2, 2, 1), "int32"), 2, {0: (1, 2, 3)})


def test_visualization_is_exported():
    assert heft.visualization.draw_bounding_boxes is draw_bounding_boxes
