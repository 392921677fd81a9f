"""Aliases, merge functions, noise layers and the other added layers against real Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

ALIASES = [
    ("MaxPool1D", "MaxPooling1D"),
    ("MaxPool2D", "MaxPooling2D"),
    ("MaxPool3D", "MaxPooling3D"),
    ("AvgPool1D", "AveragePooling1D"),
    ("AvgPool2D", "AveragePooling2D"),
    ("AvgPool3D", "AveragePooling3D"),
    ("GlobalMaxPool1D", "GlobalMaxPooling1D"),
    ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
    ("GlobalMaxPool3D", "GlobalMaxPooling3D"),
    ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
    ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
    ("GlobalAvgPool3D", "GlobalAveragePooling3D"),
]


@pytest.mark.parametrize(("alias", "name"), ALIASES)
def test_pooling_aliases_are_the_same_classes_as_in_keras(alias, name):
    assert getattr(keras.layers, alias) is getattr(keras.layers, name)
    assert getattr(heft.layers, alias) is getattr(heft.layers, name)


A = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
B = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
C = np.random.default_rng(3).normal(size=(2, 4, 5)).astype("float32")

MERGE_FUNCTIONS = [
    ("add", [A, B, A], {}),
    ("subtract", [A, B], {}),
    ("multiply", [A, B], {}),
    ("average", [A, B], {}),
    ("maximum", [A, B], {}),
    ("minimum", [A, B], {}),
    ("concatenate", [A, B], {"axis": 1}),
    ("concatenate", [A, B], {}),
    ("dot", [A, C], {"axes": (2, 1)}),
    ("dot", [A, B], {"axes": 2, "normalize": True}),
]


@pytest.mark.parametrize(("fn", "inputs", "kwargs"), MERGE_FUNCTIONS)
def test_merge_functions_match_keras_eagerly_and_symbolically(fn, inputs, kwargs):
    k_out = np.asarray(getattr(keras.layers, fn)(inputs, **kwargs))
    h_out = np.asarray(getattr(heft.layers, fn)(inputs, **kwargs))
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    h_inputs = [heft.Input(x.shape[1:]) for x in inputs]
    out = getattr(heft.layers, fn)(h_inputs, name=f"merged_{fn}", **kwargs)
    model = heft.Model(h_inputs, out)
    assert model.layers[-1].name == f"merged_{fn}"
    np.testing.assert_allclose(np.asarray(model(inputs)), k_out, rtol=1e-5, atol=1e-6)


X3 = np.random.default_rng(4).normal(size=(3, 5, 4)).astype("float32")
X4 = np.random.default_rng(5).normal(size=(2, 3, 4, 5)).astype("float32")
X5 = np.random.default_rng(6).normal(size=(2, 3, 2, 4, 5)).astype("float32")

NOISE = [
    ("ActivityRegularization", {"l1": 0.1, "l2": 0.01}, X3),
    ("AlphaDropout", {"rate": 0.3, "seed": 3}, X3),
    ("AlphaDropout", {"rate": 0.5, "noise_shape": (None, 1, 4), "seed": 1}, X3),
    ("GaussianDropout", {"rate": 0.4, "seed": 2}, X3),
    ("GaussianNoise", {"stddev": 0.5, "seed": 5}, X3),
    ("GaussianNoise", {"stddev": 0.0}, X3),
    ("SpatialDropout1D", {"rate": 0.5, "seed": 4}, X3),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 4}, X4),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 4, "data_format": "channels_first"}, X4),
    ("SpatialDropout3D", {"rate": 0.4, "seed": 8}, X5),
    ("SpatialDropout3D", {"rate": 0.4, "seed": 8, "data_format": "channels_first"}, X5),
]


@pytest.mark.parametrize(("cls", "kwargs", "x"), NOISE, ids=[f"{c[0]}-{c[1]}" for c in NOISE])
def test_noise_layers_match_keras_in_training_and_inference(cls, kwargs, x):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_config, h_config = k_layer.get_config(), h_layer.get_config()
    k_config.pop("name"), h_config.pop("name")
    assert h_config == k_config
    np.testing.assert_array_equal(np.asarray(h_layer(x)), x)
    for _ in range(2):  # the generator advances between calls, as in Keras
        k_out = np.asarray(k_layer(x, training=True))
        h_out = np.asarray(h_layer(x, training=True))
        np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    assert [float(v) for v in h_layer.losses] == pytest.approx([float(v) for v in k_layer.losses])
    clone = type(h_layer).from_config(h_layer.get_config())
    assert clone.get_config() == h_layer.get_config()
    k_clone = type(k_layer).from_config(h_layer.get_config())
    assert k_clone.get_config() == {**h_layer.get_config(), "name": k_clone.name}


def test_noise_layers_change_training_outputs_only_in_training():
    layer = heft.layers.GaussianDropout(0.5, seed=1)
    out = np.asarray(layer(X3, training=True))
    assert not np.allclose(out, X3)
    model = heft.Sequential([heft.Input((5, 4)), layer])
    np.testing.assert_array_equal(np.asarray(model.predict(X3, verbose=0)), X3)


@pytest.mark.parametrize("cls", ["AlphaDropout", "GaussianDropout"])
def test_bad_rate_raises_the_same_error_type_as_keras(cls):
    with pytest.raises(ValueError, match="rate"):
        getattr(keras.layers, cls)(1.5)
    with pytest.raises(ValueError, match="rate"):
        getattr(heft.layers, cls)(1.5)
