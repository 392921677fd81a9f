"""Convolution, pooling and 3D reshaping layers built in real Keras 3 and in heft, compared."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import keras
import numpy as np
import pytest

import heft

# (class name, constructor kwargs, input shape)
CASES = [
    ("Conv3D", {"filters": 3, "kernel_size": 2}, (2, 4, 5, 6, 2)),
    (
        "Conv3D",
        {
            "filters": 6,
            "kernel_size": (2, 3, 1),
            "strides": (1, 2, 2),
            "padding": "same",
            "groups": 3,
            "data_format": "channels_first",
        },
        (2, 3, 4, 5, 6),
    ),
    ("Conv3D", {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 2, 1)}, (1, 3, 5, 4, 2)),
    # valid Conv2D with >= 8 input channels runs padded and cropped on CPU
    ("Conv2D", {"filters": 5, "kernel_size": 3, "activation": "relu"}, (2, 9, 8, 8)),
    ("Conv2D", {"filters": 5, "kernel_size": (3, 2), "strides": (2, 3)}, (2, 9, 10, 8)),
    ("Conv2D", {"filters": 5, "kernel_size": (2, 3), "use_bias": False}, (2, 9, 10, 8)),
    ("Conv2D", {"filters": 5, "kernel_size": 2, "dilation_rate": (2, 1)}, (2, 9, 7, 8)),
    ("Conv2D", {"filters": 5, "kernel_size": 3, "data_format": "channels_first"}, (2, 8, 7, 6)),
    ("Conv1DTranspose", {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 4)),
    (
        "Conv1DTranspose",
        {
            "filters": 3,
            "kernel_size": 4,
            "strides": 3,
            "padding": "same",
            "output_padding": 1,
            "data_format": "channels_first",
        },
        (2, 4, 5),
    ),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same", "activation": "relu"},
        (2, 4, 5, 2),
    ),
    (
        "Conv2DTranspose",
        {"filters": 3, "kernel_size": (2, 3), "dilation_rate": 2, "use_bias": False},
        (2, 4, 5, 2),
    ),
    (
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": 3, "output_padding": (2, 0)},
        (1, 3, 4, 3),
    ),
    (
        "Conv2DTranspose",
        {"filters": 2, "kernel_size": 4, "strides": 2, "padding": "same", "output_padding": 1},
        (1, 3, 4, 3),
    ),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 2, "strides": (2, 1, 2), "output_padding": (1, 0, 0)},
        (1, 3, 3, 4, 2),
    ),
    (
        "Conv3DTranspose",
        {"filters": 2, "kernel_size": 3, "padding": "same", "data_format": "channels_first"},
        (1, 2, 3, 3, 4),
    ),
    ("DepthwiseConv1D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 7, 3)),
    (
        "DepthwiseConv1D",
        {"kernel_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
        (2, 3, 7),
    ),
    (
        "DepthwiseConv2D",
        {"kernel_size": 3, "depth_multiplier": 2, "dilation_rate": 2},
        (2, 7, 8, 3),
    ),
    (
        "DepthwiseConv2D",
        {
            "kernel_size": (2, 3),
            "strides": 2,
            "padding": "same",
            "use_bias": False,
            "data_format": "channels_first",
        },
        (2, 3, 7, 8),
    ),
    ("SeparableConv1D", {"filters": 4, "kernel_size": 3, "depth_multiplier": 2}, (2, 7, 3)),
    (
        "SeparableConv1D",
        {
            "filters": 4,
            "kernel_size": 3,
            "strides": 2,
            "padding": "same",
            "data_format": "channels_first",
            "activation": "tanh",
        },
        (2, 3, 7),
    ),
    ("SeparableConv2D", {"filters": 4, "kernel_size": 3}, (2, 7, 8, 3)),
    (
        "SeparableConv2D",
        {
            "filters": 4,
            "kernel_size": 3,
            "depth_multiplier": 3,
            "dilation_rate": 2,
            "padding": "same",
            "use_bias": False,
            "data_format": "channels_first",
        },
        (2, 3, 7, 8),
    ),
    ("MaxPooling3D", {}, (2, 4, 5, 6, 3)),
    (
        "MaxPooling3D",
        {"pool_size": 3, "strides": 2, "padding": "same", "data_format": "channels_first"},
        (2, 3, 5, 6, 7),
    ),
    ("AveragePooling3D", {"pool_size": 2}, (2, 4, 5, 6, 3)),
    (
        "AveragePooling3D",
        {"pool_size": (2, 3, 2), "strides": 1, "padding": "same"},
        (2, 4, 5, 6, 3),
    ),
    ("GlobalAveragePooling3D", {}, (2, 3, 4, 5, 2)),
    (
        "GlobalAveragePooling3D",
        {"keepdims": True, "data_format": "channels_first"},
        (2, 3, 4, 5, 2),
    ),
    ("GlobalMaxPooling3D", {}, (2, 3, 4, 5, 2)),
    ("GlobalMaxPooling3D", {"keepdims": True}, (2, 3, 4, 5, 2)),
    ("ZeroPadding3D", {}, (2, 2, 3, 4, 2)),
    (
        "ZeroPadding3D",
        {"padding": ((1, 0), 2, (0, 3)), "data_format": "channels_first"},
        (2, 2, 3, 4, 2),
    ),
    ("Cropping3D", {}, (2, 3, 4, 5, 2)),
    ("Cropping3D", {"cropping": (1, (0, 2), 0), "data_format": "channels_first"}, (2, 2, 3, 4, 5)),
    ("UpSampling3D", {}, (2, 2, 3, 4, 2)),
    ("UpSampling3D", {"size": (1, 2, 3), "data_format": "channels_first"}, (2, 2, 3, 4, 2)),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


def _strip(config):
    out = dict(config)
    out.pop("name", None)
    return out


def _normal_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=tuple(w.shape)).astype(w.dtype) for w in layer.weights]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), CASES, ids=[_ids(c) for c in CASES])
def test_layer_matches_keras(cls, kwargs, shape):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_layer.build(shape)
    h_layer.build(shape)
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [tuple(w.shape) for w in h_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.trainable for w in h_layer.weights] == [w.trainable for w in k_layer.weights]
    assert h_layer.count_params() == k_layer.count_params()
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    weights = _normal_weights(k_layer, 1)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    k_out = np.asarray(k_layer(x))
    h_out = np.asarray(h_layer(x))
    assert h_out.shape == k_out.shape
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-5)
    assert tuple(h_layer.compute_output_shape((None, *shape[1:]))) == tuple(
        k_layer.compute_output_shape((None, *shape[1:]))
    )


def test_config_from_keras_builds_the_same_layer_in_heft():
    keras.backend.clear_session()
    k_layer = keras.layers.Conv2DTranspose(4, 3, strides=2, padding="same", output_padding=1)
    h_layer = heft.layers.Conv2DTranspose.from_config(k_layer.get_config())
    assert h_layer.get_config() == k_layer.get_config()
    k_layer = keras.layers.SeparableConv2D(4, 3, depth_multiplier=2)
    h_layer = heft.layers.SeparableConv2D.from_config(k_layer.get_config())
    assert h_layer.get_config() == k_layer.get_config()


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape"),
    [
        (
            "Conv2DTranspose",
            {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
            (2, 4, 5, 2),
        ),
        ("DepthwiseConv2D", {"kernel_size": 3, "depth_multiplier": 2}, (2, 6, 5, 2)),
        ("SeparableConv2D", {"filters": 3, "kernel_size": 3}, (2, 6, 5, 2)),
        ("Conv3D", {"filters": 2, "kernel_size": 2, "strides": 2}, (1, 4, 4, 4, 2)),
        ("Conv2D", {"filters": 4, "kernel_size": 3}, (2, 7, 8, 8)),
        ("MaxPooling2D", {"pool_size": 3, "strides": 2, "padding": "same"}, (2, 7, 8, 3)),
        ("MaxPooling2D", {}, (2, 6, 8, 3)),
    ],
)
def test_gradients_match_keras(cls, kwargs, shape):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_layer.build(shape)
    h_layer.build(shape)
    weights = _normal_weights(k_layer, 2)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    x = np.random.default_rng(3).normal(size=shape).astype("float32")
    x = np.round(x * 2) / 2  # ties in the max-pooling windows: the gradient picks the same one

    def k_loss(tv, xv):
        out, _ = k_layer.stateless_call(tv, [], xv)
        return (out * out).sum()

    def h_loss(tv, xv):
        out, _ = h_layer.stateless_call(tv, [], xv)
        return (out * out).sum()

    k_grads = jax.grad(k_loss, argnums=(0, 1))([np.asarray(w) for w in weights], x)
    h_grads = jax.grad(h_loss, argnums=(0, 1))([np.asarray(w) for w in weights], x)
    h_leaves, k_leaves = jax.tree_util.tree_leaves(h_grads), jax.tree_util.tree_leaves(k_grads)
    assert len(h_leaves) == len(k_leaves) == len(weights) + 1
    for h_g, k_g in zip(h_leaves, k_leaves, strict=True):
        np.testing.assert_allclose(np.asarray(h_g), np.asarray(k_g), rtol=1e-5, atol=1e-4)


def test_cnn_weights_from_keras_give_keras_predictions():
    keras.backend.clear_session()

    def build(lib):
        return lib.Sequential(
            [
                lib.Input((10, 10, 2)),
                lib.layers.Conv2D(4, 3, activation="relu"),
                lib.layers.SeparableConv2D(4, 3, padding="same"),
                lib.layers.Conv2DTranspose(3, 2, strides=2),
                lib.layers.MaxPooling2D(),
                lib.layers.Flatten(),
                lib.layers.Dense(3, activation="softmax"),
            ]
        )

    k_model, h_model = build(keras), build(heft)
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    h_model.set_weights(k_model.get_weights())
    x = np.random.default_rng(4).normal(size=(3, 10, 10, 2)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(h_model(x)),
        np.asarray(k_model(x)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_weights_file_round_trip_with_keras(tmp_path):
    keras.backend.clear_session()

    def build(lib):
        return lib.Sequential(
            [
                lib.Input((6, 6, 3)),
                lib.layers.Conv2DTranspose(4, 3, strides=2),
                lib.layers.DepthwiseConv2D(3, depth_multiplier=2),
                lib.layers.SeparableConv2D(3, 3),
                lib.layers.GlobalMaxPooling2D(),
            ]
        )

    k_model, h_model = build(keras), build(heft)
    k_model.save_weights(tmp_path / "k.weights.h5")
    h_model.load_weights(tmp_path / "k.weights.h5")
    x = np.random.default_rng(5).normal(size=(2, 6, 6, 3)).astype("float32")
    np.testing.assert_allclose(np.asarray(h_model(x)), np.asarray(k_model(x)), rtol=1e-5, atol=1e-6)
    h_model.save_weights(tmp_path / "h.weights.h5")
    k_again = build(keras)
    k_again.load_weights(tmp_path / "h.weights.h5")
    for k_w, h_w in zip(k_again.get_weights(), h_model.get_weights(), strict=True):
        np.testing.assert_array_equal(np.asarray(k_w), np.asarray(h_w))
