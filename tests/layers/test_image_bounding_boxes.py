"""Bounding boxes in dict inputs of image layers: validation, padding, what stays unchanged."""

import numpy as np
import pytest

from heft import layers

X = np.zeros((2, 8, 10, 3), "float32")
BOXES = np.array([[[1, 1, 4, 5], [2, 2, 9, 7]], [[0, 0, 10, 8], [3, 3, 4, 4]]], "float32")
LABELS = np.array([[1, 2], [3, 4]], "int32")


def _data(**boxes):
    return {"images": X, "bounding_boxes": boxes or {"boxes": BOXES, "labels": LABELS}}


def test_horizontal_flip_mirrors_the_boxes_of_flipped_images_only():
    images = np.random.default_rng(0).random((6, 8, 10, 3)).astype("float32")
    boxes = np.repeat(BOXES[:1], 6, axis=0)
    data = {"images": images, "bounding_boxes": {"boxes": boxes, "labels": LABELS[:1].repeat(6, 0)}}
    out = layers.RandomFlip("horizontal", seed=1, bounding_box_format="xyxy")(data)
    assert data["bounding_boxes"]["boxes"] is boxes  # the caller's dict is left as it was
    flipped = np.asarray(out["images"])[:, 0, 0, 0] == images[:, 0, -1, 0]
    assert 0 < flipped.sum() < 6
    mirrored = np.stack([10 - boxes[..., 2], boxes[..., 1], 10 - boxes[..., 0], boxes[..., 3]], -1)
    expected = np.where(flipped[:, None, None], mirrored, boxes)
    np.testing.assert_allclose(np.asarray(out["bounding_boxes"]["boxes"]), expected, atol=1e-5)


def test_boxes_pushed_out_of_the_image_get_label_minus_one():
    out = layers.RandomTranslation((0.9, 0.9), 0.0, seed=1, bounding_box_format="xyxy")(_data())
    # Every box moves 0.9 * 8 = 7.2 rows down; only the one reaching row 7.2 keeps an area.
    assert np.asarray(out["bounding_boxes"]["labels"]).tolist() == [[-1, -1], [3, -1]]
    np.testing.assert_allclose(
        np.asarray(out["bounding_boxes"]["boxes"])[1, 0], [0, 7.2, 10, 8], rtol=1e-6
    )


def test_colour_layers_return_the_boxes_unchanged():
    out = layers.RandomContrast(0.5, seed=1, bounding_box_format="center_xywh")(_data())
    np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["boxes"]), BOXES)


def test_ragged_python_lists_are_padded_with_zero_boxes_labelled_minus_one():
    boxes = [[[1.0, 1.0, 4.0, 5.0]], [[2.0, 2.0, 3.0, 3.0], [4.0, 4.0, 6.0, 6.0]]]
    out = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")(
        _data(boxes=boxes, labels=[[7], [8, 9]])
    )
    assert np.asarray(out["bounding_boxes"]["labels"]).tolist() == [[7, -1, -1], [8, 9, -1]]
    np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["boxes"])[0, 1], [0, 0, 0, 0])
    np.testing.assert_array_equal(np.asarray(out["bounding_boxes"]["boxes"])[0, 2], [-1] * 4)


def test_max_num_bounding_boxes_truncates_and_keeps_one_image_unbatched():
    layer = layers.MaxNumBoundingBoxes(1, bounding_box_format="xyxy")
    out = layer({"images": X[0], "bounding_boxes": {"boxes": BOXES[0], "labels": LABELS[0]}})
    assert out["bounding_boxes"]["boxes"].shape == (1, 4)
    assert out["bounding_boxes"]["labels"].tolist() == [1]
    assert out["images"] is not None and out["images"].shape == X[0].shape


@pytest.mark.parametrize(
    "boxes, match",
    [({"boxes": BOXES}, "keys 'boxes' and 'labels'"),
     ({"boxes": BOXES[None], "labels": LABELS}, "rank 2"),
     ({"boxes": BOXES, "labels": LABELS[0, 0]}, "rank 1 or 2|rank 2 or 3"),
     ({"boxes": [[1.0, 2.0, 3.0, 4.0]], "labels": np.array([1])}, "must be a\\s+list too"),
     ({"boxes": [[1.0, 2.0, 3.0, 4.0]], "labels": [1, 2]}, "same length")],
)  # fmt: skip
def test_bad_bounding_boxes_are_refused_with_what_was_expected(boxes, match):
    with pytest.raises(ValueError, match=match):
        layers.RandomFlip(bounding_box_format="xyxy")(_data(**boxes))


def test_layers_that_cannot_move_boxes_say_so():
    with pytest.raises(NotImplementedError, match="without a 'bounding_boxes' key"):
        layers.RandomElasticTransform(seed=1, bounding_box_format="xyxy")(_data())
