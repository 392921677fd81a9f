"""``heft.utils.bounding_boxes`` against ``keras.utils.bounding_boxes`` (JAX backend)."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import inspect

import keras
import numpy as np
import pytest

import heft

KB, HB = keras.utils.bounding_boxes, heft.utils.bounding_boxes
RNG = np.random.default_rng(0)
XY = RNG.uniform(0, 20, (2, 5, 2)).astype("float32")
BOXES = np.concatenate([XY, XY + RNG.uniform(1, 10, (2, 5, 2)).astype("float32")], -1)
OTHER = BOXES[:, ::-1] + np.float32(1.5)
FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
           "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh")  # fmt: skip
B1 = np.ones(2, "float32")


def _same(got, expected):
    if isinstance(expected, dict):
        assert sorted(got) == sorted(expected)
        for key in expected:
            _same(got[key], expected[key])
        return
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-4)


def test_convert_format_matches_keras():
    # Every format as source and as target (each pair goes through "xyxy").
    for i, source in enumerate(FORMATS):
        for target in (FORMATS[(i + 1) % len(FORMATS)], FORMATS[(i + 4) % len(FORMATS)]):
            expected = KB.convert_format(BOXES, source, target, height=30, width=40)
            _same(HB.convert_format(BOXES, source, target, height=30, width=40), expected)


CASES = [
    ("clip_to_image_size", ({"boxes": BOXES - 5, "labels": np.arange(10).reshape(2, 5)},),
     {"height": 12, "width": 15}),
    ("clip_to_image_size", ({"boxes": BOXES / 20},), {"bounding_box_format": "rel_xyxy"}),
    ("crop", (BOXES, 2, 3, 10, 12), {}),
    ("pad", (BOXES, 2, 3), {}),
    ("affine_transform", (BOXES, B1 * 20, B1 * 0.1, B1 * -0.2, B1 * 1.2, B1 * 5, B1 * -8, 30, 40),
     {}),
    ("affine_transform", (BOXES, B1 * -30, B1 * 0, B1 * 0, B1, B1 * 0, B1 * 0, 30, 40),
     {"center_x": 0.3, "center_y": 0.6}),
    ("encode_box_to_deltas", (BOXES[0], OTHER[0], "xyxy", "xyxy"), {}),
    ("encode_box_to_deltas", (BOXES[0] / 40, OTHER[0], "rel_xyxy", "xywh"),
     {"encoding_format": "center_xywh", "variance": [0.1, 0.1, 0.2, 0.2],
      "image_shape": (40, 40, 3)}),
    ("decode_deltas_to_boxes", (BOXES[0], OTHER[0] / 50, "xyxy", "yxyx"),
     {"variance": [0.1, 0.1, 0.2, 0.2]}),
    ("decode_deltas_to_boxes", ({"p3": BOXES[0]}, {"p3": OTHER[0] / 50}, "xyxy", "xyxy"),
     {"encoded_format": "center_xywh"}),
    ("compute_iou", (BOXES[0], OTHER[0], "xyxy"), {}),
    ("compute_iou", (BOXES, OTHER, "yxyx"), {}),
    ("compute_iou", (np.concatenate([BOXES[0], -np.ones((1, 4), "f4")]), OTHER[0], "xywh"),
     {"use_masking": True, "mask_val": -2}),
    ("compute_iou", (BOXES[0] / 40, OTHER[0] / 40, "rel_xyxy"), {"image_shape": (40, 40, 3)}),
    ("compute_ciou", (BOXES, OTHER, "xyxy"), {}),
    ("compute_ciou", (BOXES[0], OTHER[0], "center_xywh"), {}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_bounding_box_function_matches_keras(case):
    name, args, kwargs = case
    copy = [dict(a) if isinstance(a, dict) else a for a in args]
    expected = getattr(KB, name)(*copy, **kwargs)
    _same(getattr(HB, name)(*args, **kwargs), expected)


def test_bounding_boxes_namespace_matches_keras():
    names = sorted(n for n in dir(KB) if not n.startswith("_"))
    assert [n for n in names if not hasattr(HB, n)] == []
    for name in names:
        k = inspect.signature(getattr(KB, name)).parameters.values()
        h = inspect.signature(getattr(HB, name)).parameters.values()
        assert [(p.name, p.default) for p in h] == [(p.name, p.default) for p in k], name


@pytest.mark.parametrize(
    "call",
    [
        lambda m: m.convert_format(BOXES[..., :3], "xyxy", "xywh"),
        lambda m: m.convert_format(BOXES, "xyxy", "rel_xyxy"),
        lambda m: m.convert_format(BOXES, "xyxy", "polar"),
        lambda m: m.clip_to_image_size({"boxes": BOXES}),
        lambda m: m.compute_iou(BOXES[0, 0], OTHER[0], "xyxy"),
        lambda m: m.encode_box_to_deltas(BOXES, OTHER, "xyxy", "xyxy", variance=[1.0]),
        lambda m: m.decode_deltas_to_boxes(BOXES, OTHER, "xyxy", "xyxy", encoded_format="xyxy"),
    ],
)
def test_bounding_box_errors_match_keras(call):
    with pytest.raises(ValueError) as keras_error:
        call(KB)
    with pytest.raises(ValueError):
        call(HB)
    assert keras_error.type is ValueError
