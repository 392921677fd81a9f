"""RandomErasing, Equalization, CLAHE, AugMix and RandAugment against Keras 3 (JAX).

Same seed -> same output, call after call. AugMix also picks its chains with
Python's global ``random`` (in Keras and heft alike), so both are given the same
Python seed before each call.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import random

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)
X = (RNG.random((3, 8, 10, 3)) * 255).astype("float32")
XC = np.ascontiguousarray(np.transpose(X, (0, 3, 1, 2)))
CF = {"data_format": "channels_first"}
CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"

# The first case of each layer runs by default; the variants (each compiling a new
# program in both libraries) run with `-m slow`.
CASES = [
    ("RandomErasing", {"seed": 3}, X),
    ("Equalization", {}, X),
    (CLAHE, {}, X),
    ("RandAugment", {"seed": 3}, X),
    ("AugMix", {"seed": 3}, X),
]  # fmt: skip
VARIANTS = [
    ("AugMix", {"seed": 4, "all_ops": False, "chain_depth": 4, "num_chains": 2,
                "value_range": (0, 1)}, X / 255),
    ("RandomErasing", {"factor": (0.3, 0.9), "scale": 0.5, "fill_value": 7.0, "seed": 3,
                       "value_range": (0, 1)}, X[0] / 255),
    ("RandomErasing", {"seed": 4, **CF}, XC),
    ("Equalization", {"bins": 64, "value_range": (1, 0)}, X / 255),
    ("Equalization", {**CF}, XC[..., :5]),
    ("Equalization", {}, X[0].astype("uint8")),
    (CLAHE, {"tile_grid_size": (3, 4), "clip_limit": 2.0}, X),
    (CLAHE, {"tile_grid_size": (2, 2), "clip_limit": 0, "value_range": (0, 1)}, X[0] / 255),
    (CLAHE, {"tile_grid_size": (4, 3), **CF}, XC),
    (CLAHE, {"tile_grid_size": (4, 3)}, X.astype("uint8")),
    ("RandAugment", {"seed": 5, "num_ops": 3, "factor": 0.8, "value_range": (0, 1), **CF},
     XC / 255),
    ("AugMix", {"seed": 4, **CF}, XC),
    ("RandomErasing", {"seed": 3, "dtype": "float16"}, X),
    ("Equalization", {"dtype": "bfloat16"}, X),
    (CLAHE, {"dtype": "float16"}, X),
    ("RandAugment", {"seed": 3, "dtype": "float16"}, X[0]),
    ("AugMix", {"seed": 3, "dtype": "float16"}, X[0]),
]  # fmt: skip


def _id(case):
    name, kwargs, x = case
    return f"{name}-{sorted(kwargs.items())}-{x.shape}-{x.dtype}"


PARAMS = [pytest.param(c, id=_id(c)) for c in CASES] + [
    pytest.param(c, id=_id(c), marks=pytest.mark.slow) for c in VARIANTS
]


def _pair(name, kwargs):
    return getattr(keras.layers, name)(**kwargs), getattr(heft.layers, name)(**kwargs)


def _same(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    if got.dtype.itemsize == 2:  # half precision: a few ulps, from where XLA fuses and rounds
        got, expected, tolerance = got.astype("float32"), expected.astype("float32"), 1e-2
    else:
        tolerance = 1e-5
    np.testing.assert_allclose(got, expected, rtol=tolerance, atol=1e-3)


@pytest.mark.parametrize("case", PARAMS)
def test_layer_matches_keras_call_after_call(case):
    name, kwargs, x = case
    k_layer, h_layer = _pair(name, kwargs)
    for call in range(2):  # the second call checks that both generators advanced alike
        random.seed(call)
        expected = k_layer(x, training=True)
        random.seed(call)
        _same(h_layer(x, training=True), expected)
    h_config, k_config = h_layer.get_config(), k_layer.get_config()
    assert h_config.pop("name") and k_config.pop("name")
    assert h_config == k_config

    def strip(path):  # auto-numbered generator names depend on what ran before
        return path.split("/")[-1]

    assert [strip(v.path) for v in h_layer.variables] == [strip(v.path) for v in k_layer.variables]
    assert len(h_layer.variables) == len(k_layer.variables)


def test_random_layers_at_inference_match_keras():
    for name in ("RandomErasing", "Equalization", "RandAugment", "AugMix"):
        k_layer, h_layer = _pair(name, {})
        for x in (X, X[0].astype("uint8")):
            _same(h_layer(x, training=False), k_layer(x, training=False))


def test_dict_inputs_match_keras():
    masks = (X > 128).astype("float32")  # X's shape: the compiled programs are reused
    data = {"images": X, "labels": np.eye(3, dtype="float32"), "segmentation_masks": masks}
    for name, kwargs in [("RandomErasing", {"seed": 2}), ("RandAugment", {"seed": 2}),
                         ("AugMix", {"seed": 3})]:  # fmt: skip
        k_layer, h_layer = _pair(name, kwargs)
        random.seed(5)
        expected = k_layer(dict(data))
        random.seed(5)
        got = h_layer(dict(data))
        assert sorted(got) == sorted(expected)
        for key in expected:
            _same(got[key], expected[key])


def test_keras_model_config_loads_in_heft_and_back():
    k_model = keras.Sequential(
        [
            keras.Input((8, 10, 3)),
            keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
            keras.layers.RandomErasing(seed=1),
            keras.layers.RandAugment(seed=2),
            keras.layers.AugMix(seed=3, all_ops=False),
        ]
    )
    h_model = heft.Sequential.from_config(k_model.get_config())
    _same(h_model.predict(X, verbose=0), k_model.predict(X, verbose=0))
    assert len(keras.Sequential.from_config(h_model.get_config()).layers) == 4
    # Keras cannot put Equalization in a functional model (its output spec is its input,
    # a cycle); heft can, and reads Keras's layer config.
    config = keras.layers.Equalization(bins=128).get_config()
    h_model = heft.Sequential(
        [heft.Input((8, 10, 3)), heft.layers.Equalization.from_config(config)]
    )
    _same(h_model(X, training=True), keras.layers.Equalization(bins=128)(X))


def test_bad_arguments_raise_what_keras_raises():
    for mod in (keras.layers, heft.layers):
        with pytest.raises(ValueError, match="`scale` argument"):
            mod.RandomErasing(scale=(0.5, 2.0, 3.0))
        with pytest.raises(ValueError, match="`factor` argument"):
            mod.RandomErasing(factor=1.5)
        with pytest.raises(ValueError, match="`factor` argument"):
            mod.AugMix(factor=2.0)
        with pytest.raises(ValueError, match="`factor` argument"):
            mod.RandAugment(factor=-0.5)
        with pytest.raises(ValueError, match="fill_value"):
            mod.RandomErasing(fill_value="noise", seed=1)(X)
        with pytest.raises(ValueError, match="rank 3 or 4"):
            mod.RandomErasing(seed=1)(X[0, 0])
        with pytest.raises(NotImplementedError):
            mod.ContrastLimitedAdaptiveHistogramEqualization()({"images": X, "labels": X[:, 0]})
    # Keras 3.15 fails here on a message attribute it lacks (AttributeError); heft
    # raises the ValueError that message was meant for.
    with pytest.raises(AttributeError):
        keras.layers.Equalization(value_range=5)
    with pytest.raises(ValueError, match="value_range"):
        heft.layers.Equalization(value_range=5)


@pytest.mark.slow
def test_keras_archives_load_in_both_directions(tmp_path):
    def build(lib):
        return lib.Sequential(
            [
                lib.Input((8, 10, 3)),
                lib.layers.RandomErasing(seed=1),
                lib.layers.RandAugment(seed=2),
                lib.layers.AugMix(seed=3),
                lib.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
                lib.layers.Flatten(),
                lib.layers.Dense(2),
            ]
        )

    k_model, h_model = build(keras), build(heft)
    k_model.save(tmp_path / "k.keras")
    h_model.save(tmp_path / "h.keras")
    loaded_h = heft.saving.load_model(tmp_path / "k.keras")
    loaded_k = keras.saving.load_model(tmp_path / "h.keras")
    assert len(loaded_h.variables) == len(k_model.variables) == 23
    _same(loaded_h.predict(X, verbose=0), k_model.predict(X, verbose=0))
    _same(loaded_k.predict(X, verbose=0), h_model.predict(X, verbose=0))


@pytest.mark.parametrize(("name", "seed"), [("RandAugment", 0), ("RandAugment", 1), ("AugMix", 0)])
def test_policies_move_bounding_boxes_as_keras_does(name, seed):
    # RandAugment's draws for seeds 0 and 1 pick geometric layers that move the boxes;
    # AugMix leaves boxes as they are, as in Keras.
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2, 16, 16, 3)).astype("float32")
    boxes = {
        "boxes": np.array([[[2, 3, 10, 12], [1, 1, 5, 5]], [[4, 4, 14, 15], [0, 0, 3, 3]]], "f4"),
        "labels": np.array([[1, 2], [3, 0]], "float32"),
    }
    outs = []
    for lib in (keras, heft):
        random.seed(seed)  # AugMix picks its chains with Python's random, as Keras
        layer = getattr(lib.layers, name)(seed=seed, bounding_box_format="xyxy")
        outs.append(layer({"images": images, "bounding_boxes": dict(boxes)}, training=True))
    k_boxes, h_boxes = (o["bounding_boxes"] for o in outs)
    np.testing.assert_allclose(h_boxes["boxes"], k_boxes["boxes"], atol=1e-3)
    np.testing.assert_array_equal(h_boxes["labels"], k_boxes["labels"])
    moved = not np.allclose(k_boxes["boxes"], boxes["boxes"])
    assert moved == (name == "RandAugment")
