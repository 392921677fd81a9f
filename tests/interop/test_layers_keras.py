"""Layers built in real Keras 3 and in heft: weights, configs and outputs compared."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

# (class name, constructor kwargs, input shape)
CASES = [
    ("BatchNormalization", {}, (4, 6)),
    ("BatchNormalization", {"axis": 1, "momentum": 0.9, "center": False}, (4, 3, 5)),
    ("BatchNormalization", {"scale": False, "epsilon": 1e-5}, (3, 4, 4, 2)),
    ("LayerNormalization", {}, (4, 6)),
    ("LayerNormalization", {"axis": [1, 2], "center": False}, (2, 3, 4)),
    ("GroupNormalization", {"groups": 2}, (2, 5, 6)),
    ("GroupNormalization", {"groups": -1, "axis": 1}, (2, 4, 5)),
    ("UnitNormalization", {}, (3, 5)),
    ("UnitNormalization", {"axis": [1, 2]}, (2, 3, 4)),
    ("Conv1D", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
    (
        "Conv1D",
        {"filters": 4, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
        (2, 9, 3),
    ),
    (
        "Conv1D",
        {
            "filters": 4,
            "kernel_size": 2,
            "strides": 2,
            "padding": "same",
            "data_format": "channels_first",
            "use_bias": False,
        },
        (2, 3, 9),
    ),
    ("Conv2D", {"filters": 6, "kernel_size": 3, "activation": "relu"}, (2, 7, 8, 4)),
    (
        "Conv2D",
        {"filters": 6, "kernel_size": (3, 2), "strides": (2, 1), "padding": "same", "groups": 2},
        (2, 7, 8, 4),
    ),
    (
        "Conv2D",
        {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "data_format": "channels_first"},
        (2, 3, 9, 9),
    ),
    ("MaxPooling1D", {}, (2, 9, 3)),
    ("MaxPooling1D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 9, 3)),
    ("MaxPooling2D", {}, (2, 7, 8, 3)),
    ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("MaxPooling2D", {"padding": "same", "data_format": "channels_first"}, (2, 3, 6, 8)),
    ("AveragePooling1D", {"pool_size": 3}, (2, 9, 3)),
    ("AveragePooling1D", {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 9, 3)),
    ("AveragePooling2D", {"pool_size": 2}, (2, 7, 8, 3)),
    ("AveragePooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
    ("GlobalAveragePooling1D", {}, (2, 9, 3)),
    ("GlobalAveragePooling2D", {"keepdims": True}, (2, 5, 6, 3)),
    ("GlobalMaxPooling1D", {"data_format": "channels_first"}, (2, 3, 9)),
    ("GlobalMaxPooling2D", {}, (2, 5, 6, 3)),
    ("Reshape", {"target_shape": (2, -1)}, (2, 3, 4)),
    ("Permute", {"dims": (2, 1)}, (2, 3, 4)),
    ("RepeatVector", {"n": 3}, (2, 4)),
    ("ZeroPadding1D", {}, (2, 3, 4)),
    ("ZeroPadding1D", {"padding": (0, 2), "data_format": "channels_first"}, (2, 3, 4)),
    ("ZeroPadding2D", {"padding": ((1, 2), 3)}, (2, 3, 4, 2)),
    ("Cropping1D", {}, (2, 5, 4)),
    ("Cropping2D", {"cropping": (1, (2, 0)), "data_format": "channels_first"}, (2, 2, 5, 6)),
    ("UpSampling1D", {"size": 3}, (2, 3, 4)),
    ("UpSampling2D", {}, (2, 3, 4, 2)),
    ("UpSampling2D", {"size": (2, 3), "interpolation": "bilinear"}, (2, 3, 4, 2)),
]

A = np.random.default_rng(7).normal(size=(2, 3, 4)).astype("float32")
B = np.random.default_rng(8).normal(size=(2, 3, 4)).astype("float32")
C = np.random.default_rng(9).normal(size=(2, 4, 5)).astype("float32")

MERGE_CASES = [
    ("Add", {}, [A, B, A]),
    ("Add", {}, [A, B[:, :1]]),
    ("Subtract", {}, [A, B]),
    ("Multiply", {}, [A, B]),
    ("Average", {}, [A, B, B]),
    ("Maximum", {}, [A, B]),
    ("Minimum", {}, [A, B]),
    ("Concatenate", {"axis": 1}, [A, B]),
    ("Concatenate", {}, [A, B[:, :, :2]]),
    ("Dot", {"axes": (2, 1)}, [A, C]),
    ("Dot", {"axes": 2, "normalize": True}, [A, B]),
    ("Dot", {"axes": 1}, [A[:, 0], B[:, 0]]),
    ("Dot", {"axes": (1, 1)}, [A[:, 0], C]),
    ("Dot", {"axes": (-1, 1)}, [A, C[:, :, 0]]),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


def _ids_merge(case):
    return f"{case[0]}-{len(case[2])}-{case[1]}"


def _strip(config):
    out = dict(config)
    out.pop("name", None)
    return out


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(0.5, 1.5, size=tuple(w.shape)).astype(w.dtype) for w in layer.weights]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES, ids=[_ids(c) for c in CASES])
def test_layer_matches_keras(cls, kwargs, shape):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    k_layer.build(shape)
    h_layer.build(shape)
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [w.name for w in h_layer.weights] == [w.name for w in k_layer.weights]
    assert [tuple(w.shape) for w in h_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.trainable for w in h_layer.weights] == [w.trainable for w in k_layer.weights]
    assert [w.autocast for w in h_layer.weights] == [w._autocast for w in k_layer.weights]
    assert h_layer.count_params() == k_layer.count_params()
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    weights = _random_weights(k_layer, 1)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    for training in (False, True):
        k_out = np.asarray(k_layer(x, training=training))
        h_out = np.asarray(h_layer(x, training=training))
        assert h_out.shape == k_out.shape
        np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    assert tuple(h_layer.compute_output_shape((None, *shape[1:]))) == tuple(
        k_layer.compute_output_shape((None, *shape[1:]))
    )


@pytest.mark.parametrize("momentum", [0.99, 0.5])
def test_batch_normalization_moving_statistics_match_keras_after_stateless_training_call(momentum):
    keras.backend.clear_session()
    shape = (8, 5, 3)
    x = np.random.default_rng(2).normal(size=shape).astype("float32") * 2 + 1
    k_layer = keras.layers.BatchNormalization(momentum=momentum)
    h_layer = heft.layers.BatchNormalization(momentum=momentum)
    k_layer.build(shape)
    h_layer.build(shape)
    weights = _random_weights(k_layer, 3)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    k_out, k_new = k_layer.stateless_call(
        [v.value for v in k_layer.trainable_variables],
        [v.value for v in k_layer.non_trainable_variables],
        x,
        training=True,
    )
    h_out, h_new = h_layer.stateless_call(
        [v.value for v in h_layer.trainable_variables],
        [v.value for v in h_layer.non_trainable_variables],
        x,
        training=True,
    )
    np.testing.assert_allclose(np.asarray(h_out), np.asarray(k_out), rtol=1e-5, atol=1e-6)
    assert len(h_new) == len(k_new) == 2
    for h_value, k_value in zip(h_new, k_new, strict=True):
        np.testing.assert_allclose(np.asarray(h_value), np.asarray(k_value), rtol=1e-5)


def test_batch_normalization_moving_statistics_match_keras_after_plain_training_call():
    keras.backend.clear_session()
    x = np.random.default_rng(4).normal(size=(6, 4)).astype("float32") * 3
    k_layer = keras.layers.BatchNormalization()
    h_layer = heft.layers.BatchNormalization()
    k_layer(x, training=True)
    h_layer(x, training=True)
    for h_w, k_w in zip(h_layer.weights, k_layer.weights, strict=True):
        np.testing.assert_allclose(h_w.numpy(), np.asarray(k_w.numpy()), rtol=1e-5)


def test_frozen_batch_normalization_matches_keras_in_training_mode():
    keras.backend.clear_session()
    x = np.random.default_rng(5).normal(size=(6, 4)).astype("float32") * 3
    k_layer = keras.layers.BatchNormalization()
    h_layer = heft.layers.BatchNormalization()
    k_layer.build(x.shape)
    h_layer.build(x.shape)
    weights = _random_weights(k_layer, 6)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    k_layer.trainable = False
    h_layer.trainable = False
    assert [w.path for w in h_layer.non_trainable_weights] == [
        w.path for w in k_layer.non_trainable_weights
    ]
    np.testing.assert_allclose(
        np.asarray(h_layer(x, training=True)), np.asarray(k_layer(x, training=True)), rtol=1e-5
    )
    for h_w, k_w in zip(h_layer.weights, k_layer.weights, strict=True):
        np.testing.assert_array_equal(h_w.numpy(), np.asarray(k_w.numpy()))


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES[:9], ids=[_ids(c) for c in CASES[:9]])
def test_keras_config_builds_equivalent_heft_layer(cls, kwargs, shape):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls).from_config(k_layer.get_config())
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())


@pytest.mark.parametrize(
    ("cls", "kwargs", "inputs"), MERGE_CASES, ids=[_ids_merge(c) for c in MERGE_CASES]
)
def test_merging_layer_matches_keras(cls, kwargs, inputs):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_out = np.asarray(k_layer(inputs))
    h_out = np.asarray(h_layer(inputs))
    assert h_out.shape == k_out.shape
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    shapes = [(None, *x.shape[1:]) for x in inputs]
    assert tuple(h_layer.compute_output_shape(shapes)) == tuple(
        k_layer.compute_output_shape(shapes)
    )
    assert h_layer.count_params() == k_layer.count_params() == 0
