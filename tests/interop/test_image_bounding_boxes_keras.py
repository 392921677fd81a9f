"""Bounding boxes in dict inputs of the image layers against Keras 3 on JAX: same seeds, boxes."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
X = (RNG.random((2, 10, 12, 3)) * 255).astype("float32")
XC = np.ascontiguousarray(np.transpose(X, (0, 3, 1, 2)))
# xyxy boxes in a 10 x 12 image: some cross the border, one is padding (zeros, -1s).
BOXES = np.array(
    [[[1, 2, 6, 7], [3, 1, 11.5, 9], [0, 0, 0, 0]],
     [[2, 3, 9, 8], [0.5, 5, 6, 9.5], [-1, -1, -1, -1]]], "float32",
)  # fmt: skip
LABELS = np.array([[1, 2, -1], [3, 4, -1]], "int32")
FORMATS = ["xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw",
           "rel_xyxy", "rel_yxyx", "rel_xywh", "rel_center_xywh"]  # fmt: skip
CF = {"data_format": "channels_first"}

# (layer, args, kwargs): the layers that move boxes, and some that leave them.
CASES = [
    ("RandomFlip", (), {"seed": 3}),
    ("RandomFlip", ("horizontal",), {"seed": 3}),
    ("RandomFlip", ("vertical",), {"seed": 4, **CF}),
    ("RandomRotation", (0.2,), {"seed": 3}),
    ("RandomRotation", (0.2,), {"seed": 3, **CF}),
    ("RandomZoom", (0.3,), {"seed": 3}),
    ("RandomZoom", ((-0.3, 0.2), (0.1, 0.4)), {"seed": 3, **CF}),
    ("RandomTranslation", (0.2, 0.3), {"seed": 3}),
    ("RandomTranslation", (0.2, 0.3), {"seed": 3, **CF}),
    ("RandomCrop", (6, 7), {"seed": 3}),
    ("RandomCrop", (12, 14), {"seed": 3, **CF}),
    ("RandomShear", (0.3, 0.4), {"seed": 3}),
    ("RandomShear", (0.3, 0.4), {"seed": 3, **CF}),
    ("RandomPerspective", (), {"seed": 3}),
    ("RandomPerspective", (0.8, 0.3), {"seed": 5, **CF}),
    ("Resizing", (5, 6), {}),
    ("Resizing", (6, 6), {"crop_to_aspect_ratio": True}),
    ("Resizing", (6, 6), {"pad_to_aspect_ratio": True, **CF}),
    ("CenterCrop", (6, 7), {}),
    ("CenterCrop", (12, 8), {**CF}),
    ("MaxNumBoundingBoxes", (2,), {}),
    ("MaxNumBoundingBoxes", (5,), {"fill_value": -3}),
]


def _data(fmt, batched, channels_first=False):
    boxes = keras.utils.bounding_boxes.convert_format(
        BOXES.copy(), "xyxy", fmt, height=10, width=12
    )
    boxes = np.asarray(boxes)
    images = XC if channels_first else X
    if batched:
        return {"images": images.copy(), "labels": np.eye(2, dtype="float32"),
                "bounding_boxes": {"boxes": boxes, "labels": LABELS.copy()}}  # fmt: skip
    return {"images": images[0].copy(),
            "bounding_boxes": {"boxes": boxes[0], "labels": LABELS[0].copy()}}  # fmt: skip


def _boxes_of(out):
    return {key: np.asarray(out[key]) for key in ("boxes", "labels")}


def _run(layer, data, training, full):
    """The layer's output boxes: through a whole call, or its box transform alone.

    The box transform alone draws the same transformation as a call but skips
    warping the images, which keeps the test fast.
    """
    if full:
        out = layer(data, training=training)
        return _boxes_of(out["bounding_boxes"]), np.asarray(out["images"]), sorted(out)
    transformation = layer.get_random_transformation(data, training=training)
    boxes = {"boxes": keras.ops.convert_to_tensor(data["bounding_boxes"]["boxes"], "float32"),
             "labels": keras.ops.convert_to_tensor(data["bounding_boxes"]["labels"])}  # fmt: skip
    if isinstance(layer, keras.layers.Layer):
        single = layer.transform_single_bounding_box
    else:
        boxes = {key: np.asarray(value) for key, value in boxes.items()}
        single = layer._single_bounding_boxes
    if data["images"].ndim == 4:
        out = layer.transform_bounding_boxes(boxes, transformation, training=training)
    else:
        out = single(boxes, transformation, training=training)
    return _boxes_of(out), None, sorted(out)


def _compare(name, args, kwargs, fmt, batched, training=True, calls=1, full=False):
    k_layer = getattr(keras.layers, name)(*args, bounding_box_format=fmt, **kwargs)
    h_layer = getattr(heft.layers, name)(*args, bounding_box_format=fmt, **kwargs)
    channels_first = kwargs.get("data_format") == "channels_first"
    moved = False
    for _ in range(calls):
        want, want_images, want_keys = _run(k_layer, _data(fmt, batched, channels_first),
                                            training, full)  # fmt: skip
        have, have_images, have_keys = _run(h_layer, _data(fmt, batched, channels_first),
                                            training, full)  # fmt: skip
        assert have_keys == want_keys
        for key in ("boxes", "labels"):
            assert have[key].shape == want[key].shape, (key, have[key].shape, want[key].shape)
            np.testing.assert_allclose(have[key], want[key], rtol=1e-5, atol=1e-4, err_msg=key)
        if full:
            np.testing.assert_allclose(have_images, want_images, rtol=1e-5, atol=1e-3)
        expected_boxes = data_boxes(fmt) if batched else data_boxes(fmt)[0]
        moved |= have["boxes"].shape != expected_boxes.shape
        moved = moved or not np.allclose(have["boxes"], expected_boxes)
    h_config, k_config = h_layer.get_config(), k_layer.get_config()
    h_config.pop("name"), k_config.pop("name")
    assert h_config == k_config
    return moved


def data_boxes(fmt):
    return np.asarray(
        keras.utils.bounding_boxes.convert_format(BOXES.copy(), "xyxy", fmt, height=10, width=12)
    )


# Colour and tone layers: the boxes come back as they were given.
PASS_THROUGH = [
    ("RandomContrast", (0.5,)), ("RandomBrightness", (0.3,)), ("RandomColorJitter", ()),
    ("RandomColorDegeneration", (0.3,)), ("RandomSaturation", (0.3,)), ("RandomHue", (0.3,)),
    ("RandomSharpness", (0.3,)), ("RandomGaussianBlur", ()), ("RandomGrayscale", ()),
    ("RandomInvert", ()), ("RandomPosterization", (4,)), ("Solarization", ()),
    ("AutoContrast", ()),
]  # fmt: skip


def test_colour_and_tone_layers_pass_boxes_through_like_keras():
    boxes = {"boxes": BOXES, "labels": LABELS}
    for name, args in PASS_THROUGH:
        k_layer, h_layer = getattr(keras.layers, name)(*args), getattr(heft.layers, name)(*args)
        k_out = k_layer.transform_bounding_boxes(dict(boxes), transformation=None)
        h_out = h_layer.transform_bounding_boxes(dict(boxes), transformation=None)
        assert k_out["boxes"] is BOXES and h_out["boxes"] is BOXES, name
        assert k_out["labels"] is LABELS and h_out["labels"] is LABELS, name


def _formats(index):
    """Two formats per case, shifting from case to case so that together they cover all nine."""
    return FORMATS[(2 * index) % len(FORMATS)], FORMATS[(2 * index + 1) % len(FORMATS)]


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")
@pytest.mark.parametrize("index", range(len(CASES)), ids=lambda i: f"{CASES[i][0]}-{i}")
def test_layer_boxes_match_keras(index):
    name, args, kwargs = CASES[index]
    first, second = _formats(index)
    _compare(name, args, kwargs, first, batched=True)
    _compare(name, args, kwargs, second, batched=True)
    _compare(name, args, kwargs, second, batched=False)


@pytest.mark.parametrize(
    "name, args, kwargs",
    [("RandomFlip", (), {"seed": 3}), ("RandomCrop", (6, 7), {"seed": 3}),
     ("Resizing", (5, 6), {"pad_to_aspect_ratio": True}), ("MaxNumBoundingBoxes", (2,), {}),
     ("RandomContrast", (0.5,), {"seed": 3})],
)  # fmt: skip
def test_dict_inputs_with_boxes_match_keras_through_a_whole_call(name, args, kwargs):
    _compare(name, args, kwargs, "xyxy", batched=True, full=True)
    _compare(name, args, kwargs, "rel_yxyx", batched=False, full=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_translation_boxes_match_keras_in_every_format(fmt):
    _compare("RandomTranslation", (0.2, 0.3), {"seed": 1}, fmt, batched=True)


@pytest.mark.parametrize(
    "name, args", [("RandomFlip", ()), ("RandomRotation", (0.2,)), ("RandomZoom", (0.3,)),
                   ("RandomShear", (0.3, 0.4)), ("RandomCrop", (6, 7))],
)  # fmt: skip
def test_random_layers_move_boxes_call_after_call_and_not_at_inference(name, args):
    assert _compare(name, args, {"seed": 2}, "xyxy", batched=True, calls=2)
    _compare(name, args, {"seed": 2}, "center_xywh", batched=True, training=False)
    _compare(name, args, {"seed": 2}, "xyxy", batched=False, training=False)


def test_mixup_joins_each_images_boxes_with_its_partners():
    # Keras 3.15 joins the labels along the batch axis (and fails on one image);
    # heft joins them along the box axis, next to their boxes.
    transformation = {"permutation_order": np.array([1, 0]), "mix_weight": np.array([0.3, 0.6])}
    boxes = {"boxes": BOXES, "labels": LABELS}
    k_layer = keras.layers.MixUp(bounding_box_format="xyxy")
    h_layer = heft.layers.MixUp(bounding_box_format="xyxy")
    k_boxes = k_layer.transform_bounding_boxes(dict(boxes), transformation)
    h_boxes = h_layer.transform_bounding_boxes(dict(boxes), transformation)
    np.testing.assert_allclose(np.asarray(h_boxes["boxes"]), np.asarray(k_boxes["boxes"]))
    k_labels = np.asarray(k_boxes["labels"])
    np.testing.assert_array_equal(
        np.asarray(h_boxes["labels"]), np.concatenate(np.split(k_labels, 2, axis=0), axis=1)
    )
    assert h_layer.transform_bounding_boxes(dict(boxes), transformation, training=False) == boxes
    single = h_layer._single_bounding_boxes(
        {"boxes": BOXES[0], "labels": LABELS[0]}, {"permutation_order": np.array([0])}, True
    )
    assert single["boxes"].shape == (6, 4)
    assert single["labels"].tolist() == [1, 2, -1, 1, 2, -1]


@pytest.mark.parametrize("name", ["CutMix", "RandomElasticTransform"])
def test_layers_without_box_support_refuse_boxes_like_keras(name):
    boxes = {"boxes": BOXES, "labels": LABELS}
    with pytest.raises(NotImplementedError):
        getattr(keras.layers, name)(seed=1).transform_bounding_boxes(boxes, None)
    with pytest.raises(NotImplementedError, match="does not transform bounding boxes"):
        getattr(heft.layers, name)(seed=1).transform_bounding_boxes(boxes, None)


def test_max_num_bounding_boxes_config_and_output_shape_match_keras():
    k_layer = keras.layers.MaxNumBoundingBoxes(4, fill_value=-2, name="m")
    h_layer = heft.layers.MaxNumBoundingBoxes(4, fill_value=-2, name="m")
    assert h_layer.get_config() == k_layer.get_config()
    rebuilt = heft.layers.MaxNumBoundingBoxes.from_config(k_layer.get_config())
    assert rebuilt.max_number == 4 and rebuilt.fill_value == -1  # fill_value is not saved

    def shapes():
        return {"images": (2, 8, 8, 3), "bounding_boxes": {"boxes": (2, 9, 4), "labels": (2, 9)}}

    assert h_layer.compute_output_shape(shapes()) == k_layer.compute_output_shape(shapes())
    bad = shapes()
    bad["bounding_boxes"]["scores"] = (2, 9)
    with pytest.raises(KeyError):
        k_layer.compute_output_shape(bad)
    with pytest.raises(KeyError, match="scores"):
        h_layer.compute_output_shape(bad)
    np.testing.assert_array_equal(np.asarray(h_layer(X)), np.asarray(k_layer(X)))
    for layer in (k_layer, h_layer):
        with pytest.raises(ValueError, match="bounding box format"):
            layer(_data("xyxy", True))
