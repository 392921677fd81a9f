"""Image preprocessing layers against Keras 3 (JAX): outputs, seeded draws, configs, variables."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
X = (RNG.random((3, 6, 7, 3)) * 255).astype("float32")
XC = np.ascontiguousarray(np.transpose(X, (0, 3, 1, 2)))
CF = {"data_format": "channels_first"}

# (layer, args, kwargs, input): the same seed gives Keras's draws, call after call.
CASES = [
    ("Resizing", (4, 5), {}, X),
    ("Resizing", (4, 5), {"interpolation": "bicubic", "antialias": True}, X[0]),
    ("Resizing", (4, 4), {"crop_to_aspect_ratio": True}, X),
    ("Resizing", (4, 4), {"pad_to_aspect_ratio": True}, X),
    ("Resizing", (4, 5), {}, X.astype("uint8")),
    ("Resizing", (4, 5), CF, XC),
    ("CenterCrop", (4, 5), {}, X),
    ("CenterCrop", (12, 5), {}, X),
    ("CenterCrop", (4, 6), {}, X[0].astype("uint8")),
    ("RandomFlip", (), {"seed": 3}, X),
    ("RandomFlip", ("horizontal",), {"seed": 3}, X),
    ("RandomFlip", ("vertical",), {"seed": 3, **CF}, XC),
    ("RandomRotation", (0.2,), {"seed": 3}, X),
    ("RandomRotation", ((-0.1, 0.3),), {"seed": 3, "fill_mode": "constant", "fill_value": 1.0,
                                        "interpolation": "nearest"}, X),
    ("RandomRotation", (0.2,), {"seed": 3, **CF}, XC),
    ("RandomZoom", (0.3,), {"seed": 3}, X),
    ("RandomZoom", ((-0.3, 0.2), (0.1, 0.4)), {"seed": 3, "fill_mode": "wrap"}, X),
    ("RandomZoom", (0.3,), {"seed": 3, "fill_mode": "nearest", **CF}, XC),
    ("RandomTranslation", (0.2, 0.3), {"seed": 3}, X),
    ("RandomTranslation", ((-0.2, 0.1), 0.3), {"seed": 3, "fill_mode": "constant"}, X[0]),
    ("RandomTranslation", (0.2, 0.3), {"seed": 3, **CF}, XC),
    ("RandomCrop", (4, 5), {"seed": 3}, X),
    ("RandomCrop", (4, 5), {"seed": 3}, X[0]),
    ("RandomCrop", (8, 12), {"seed": 3}, X),
    ("RandomCrop", (4, 5), {"seed": 3, **CF}, XC),
    ("RandomContrast", (0.5,), {"seed": 3}, X),
    ("RandomContrast", ((0.2, 0.7),), {"seed": 3, "value_range": (0, 1)}, X[0] / 255),
    ("RandomContrast", (0.5,), {"seed": 3, **CF}, XC),
    ("RandomBrightness", (0.5,), {"seed": 3}, X),
    ("RandomBrightness", ((-0.2, 0.7),), {"seed": 3, "value_range": (1, 0)}, X[0] / 255),
    ("RandomGrayscale", (), {"seed": 3}, X),
    ("RandomGrayscale", (0.7,), {"seed": 3, **CF}, XC),
    ("RandomInvert", (), {"seed": 3}, X),
    ("RandomInvert", ((0.3, 0.9),), {"seed": 3, "value_range": (0, 1)}, X / 255),
    ("RandomPosterization", (4,), {"seed": 3}, X),
    ("RandomPosterization", ((2, 2),), {"seed": 3, "value_range": (0, 1)}, X / 255),
    ("Solarization", (), {"seed": 3}, X),
    ("Solarization", (0.3, 0.8), {"seed": 3}, X),
    ("Solarization", ((0.1, 0.2), 0.5), {"seed": 3, "value_range": (0, 1)}, X[0] / 255),
    ("AutoContrast", (), {}, X),
    ("AutoContrast", (), {}, X[0].astype("uint8")),
    ("RandomColorDegeneration", (0.5,), {"seed": 3}, X),
    ("RandomColorDegeneration", ((0.2, 0.9),), {"seed": 3, **CF}, XC),
    ("RandomSaturation", (0.5,), {"seed": 3}, X / 255),
    ("RandomSaturation", ((0.2, 0.9),), {"seed": 3, "value_range": (0, 1), **CF}, XC / 255),
    ("RandomHue", (0.5,), {"seed": 3}, X),
    ("RandomHue", ((0.2, 0.9),), {"seed": 3, "value_range": (0, 1), **CF}, XC / 255),
    ("RandomSharpness", (0.5,), {"seed": 3}, X),
    ("RandomSharpness", ((0.2, 0.9),), {"seed": 3, **CF}, XC),
    ("CutMix", (), {"seed": 3}, X),
    ("CutMix", ((0.2, 0.6),), {"seed": 3, **CF}, XC),
    ("RandomGaussianBlur", (), {"seed": 3}, X),
    ("RandomGaussianBlur", (0.7, (3, 5), (0.2, 0.9)), {"seed": 3, **CF}, XC),
    ("RandomColorJitter", (), {"seed": 3, "brightness_factor": 0.2, "contrast_factor": 0.5,
                               "saturation_factor": 0.4, "hue_factor": 0.3}, X),
    ("RandomColorJitter", ((0, 1),), {"seed": 3, "contrast_factor": (0.1, 0.6),
                                      "hue_factor": 0.3}, X / 255),
    ("RandomShear", (0.3, 0.2), {"seed": 3}, X),
    ("RandomShear", ((0.1, 0.4),), {"seed": 3, "fill_mode": "constant", **CF}, XC),
    ("RandomPerspective", (), {"seed": 3}, X),
    ("RandomPerspective", (0.7, 0.5), {"seed": 3, "interpolation": "nearest", **CF}, XC),
    ("RandomElasticTransform", (), {"seed": 3}, X[:2, :, :, :1]),
    ("RandomElasticTransform", (0.7, (0.2, 0.6)), {"seed": 3, "fill_mode": "constant", **CF},
     XC),
]  # fmt: skip


def _id(case):
    name, args, kwargs, x = case
    return f"{name}-{args}-{sorted(kwargs.items())}-{x.shape}-{x.dtype}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_image_layer_matches_keras(case):
    _check_against_keras(case, training=True)


def test_image_layers_at_inference_match_keras():
    seen = set()
    for case in CASES:
        if case[0] not in seen:
            seen.add(case[0])
            _check_against_keras(case, training=False)


def _check_against_keras(case, training):
    name, args, kwargs, x = case
    k_layer = getattr(keras.layers, name)(*args, **kwargs)
    h_layer = getattr(heft.layers, name)(*args, **kwargs)
    for _ in range(2):  # the second call checks that both generators advanced alike
        expected = np.asarray(k_layer(x, training=training))
        got = np.asarray(h_layer(x, training=training))
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-3)
    h_config, k_config = h_layer.get_config(), k_layer.get_config()
    h_config.pop("name"), k_config.pop("name")
    assert h_config == k_config

    # Auto-numbered generator names depend on what ran before; compare the rest.
    def strip(path):
        return path.split("/")[-1]

    assert [strip(v.path) for v in h_layer.variables] == [strip(v.path) for v in k_layer.variables]


def test_image_layers_in_a_keras_model_load_in_heft():
    k_model = keras.Sequential(
        [
            keras.Input((8, 10, 3)),
            keras.layers.RandomFlip(seed=1),
            keras.layers.RandomRotation(0.2, seed=2),
            keras.layers.Resizing(4, 4),
            keras.layers.CenterCrop(3, 3),
        ]
    )
    h_model = heft.Sequential.from_config(k_model.get_config())
    np.testing.assert_allclose(
        np.asarray(h_model.predict(X, verbose=0)), k_model.predict(X, verbose=0), atol=1e-4
    )
    assert len(keras.Sequential.from_config(h_model.get_config()).layers) == 4


def test_image_layer_dict_input_matches_keras():
    masks = (X[..., :1] > 128).astype("int32")
    data = {"images": X, "labels": np.eye(3, dtype="float32"), "segmentation_masks": masks}
    expected = keras.layers.RandomFlip(seed=4)(dict(data), training=True)
    got = heft.layers.RandomFlip(seed=4)(dict(data), training=True)
    assert sorted(got) == sorted(expected)
    for key in expected:
        np.testing.assert_allclose(np.asarray(got[key]), np.asarray(expected[key]))


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype")
@pytest.mark.parametrize("name", ["MixUp", "CutMix"])
def test_batch_mixing_layers_mix_images_and_labels_as_keras(name):
    data = {"images": X, "labels": np.eye(3, dtype="float32")}
    expected = getattr(keras.layers, name)(seed=2)(dict(data))
    got = getattr(heft.layers, name)(seed=2)(dict(data))
    np.testing.assert_allclose(np.asarray(got["labels"]), expected["labels"], atol=1e-5)
    np.testing.assert_allclose(np.asarray(got["images"]), expected["images"], atol=1e-3)
    k_layer, h_layer = getattr(keras.layers, name)(seed=2), getattr(heft.layers, name)(seed=2)
    np.testing.assert_allclose(
        np.asarray(h_layer(XC[:, :2], training=False)), k_layer(XC[:, :2], training=False)
    )
