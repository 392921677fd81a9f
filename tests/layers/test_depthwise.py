"""Tests for DepthwiseConv1D/2D and SeparableConv1D/2D."""

import numpy as np
import pytest

import heft
from heft import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy_depthwise1d(x, kernel):
    k, channels, mult = kernel.shape
    steps = x.shape[1] - k + 1
    out = np.zeros((x.shape[0], steps, channels * mult), "float32")
    for t in range(steps):
        # (b, k, c) x (k, c, m) -> (b, c, m), flattened as channel c * mult + m
        out[:, t] = np.einsum("bkc,kcm->bcm", x[:, t : t + k], kernel).reshape(x.shape[0], -1)
    return out


def test_depthwise_conv1d_filters_each_channel_apart():
    layer = layers.DepthwiseConv1D(3, depth_multiplier=2)
    x = _x((2, 7, 3))
    out = np.asarray(layer(x))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (3, 3, 2)
    assert layer.bias.shape == (6,)
    assert layer.count_params() == 3 * 3 * 2 + 6
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, _numpy_depthwise1d(x, kernel) + bias, rtol=1e-5, atol=1e-5)


def test_depthwise_conv2d_shapes_channels_first_and_config():
    layer = layers.DepthwiseConv2D((2, 3), strides=2, padding="same", data_format="channels_first")
    out = layer(_x((2, 3, 7, 8)))
    assert out.shape == (2, 3, 4, 4)
    assert layer.kernel.shape == (2, 3, 3, 1)
    assert layer.compute_output_shape((None, 3, 7, None)) == (None, 3, 4, None)
    config = layer.get_config()
    assert config["kernel_size"] == (2, 3) and config["depth_multiplier"] == 1
    assert "depthwise_initializer" in config and "kernel_initializer" not in config
    assert layers.DepthwiseConv2D.from_config(config).get_config() == config


def test_depthwise_conv2d_channels_first_equals_channels_last_transposed():
    x = _x((2, 6, 5, 3))
    last = layers.DepthwiseConv2D(3, depth_multiplier=2, dilation_rate=2, padding="same")
    first = layers.DepthwiseConv2D(
        3, depth_multiplier=2, dilation_rate=2, padding="same", data_format="channels_first"
    )
    out_last = last(x)
    first.build((2, 3, 6, 5))
    first.set_weights(last.get_weights())
    out_first = first(np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_allclose(
        np.transpose(np.asarray(out_first), (0, 2, 3, 1)), np.asarray(out_last), rtol=1e-5
    )


def test_separable_conv_equals_depthwise_then_pointwise():
    x = _x((2, 6, 6, 3))
    sep = layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu")
    out = np.asarray(sep(x))
    assert [w.name for w in sep.weights] == ["depthwise_kernel", "pointwise_kernel", "bias"]
    assert [tuple(w.shape) for w in sep.weights] == [(3, 3, 3, 2), (1, 1, 6, 4), (4,)]
    depthwise, pointwise, bias = sep.get_weights()
    dw = layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    dw.build(x.shape)
    dw.set_weights([depthwise])
    mid = np.asarray(dw(x))
    expected = np.maximum(np.einsum("bhwc,cf->bhwf", mid, pointwise[0, 0]) + bias, 0)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_separable_conv1d_shapes_and_config_round_trip():
    layer = layers.SeparableConv1D(5, 3, strides=2, padding="same", use_bias=False)
    out = layer(_x((2, 9, 3)))
    assert out.shape == (2, 5, 5)
    assert [w.name for w in layer.weights] == ["depthwise_kernel", "pointwise_kernel"]
    assert layer.compute_output_shape((None, None, 3)) == (None, None, 5)
    config = layer.get_config()
    assert config["filters"] == 5 and config["pointwise_regularizer"] is None
    assert layers.SeparableConv1D.from_config(config).get_config() == config


def test_separable_conv2d_trains_in_a_model():
    model = heft.Sequential(
        [heft.Input((5, 5, 2)), layers.SeparableConv2D(2, 3), layers.GlobalAveragePooling2D()]
    )
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(_x((4, 5, 5, 2)), _x((4, 2)), epochs=1, verbose=0)
    after = model.get_weights()
    assert all(not np.allclose(a, b) for a, b in zip(after, before, strict=True))


@pytest.mark.parametrize(
    ("cls", "kwargs", "match"),
    [
        (layers.DepthwiseConv2D, {"kernel_size": 3, "depth_multiplier": 0}, "depth_multiplier"),
        (layers.DepthwiseConv2D, {"kernel_size": 0}, "Use positive values"),
        (layers.DepthwiseConv1D, {"kernel_size": 3, "padding": "causal"}, "must be one of"),
        (layers.DepthwiseConv2D, {"kernel_size": 3, "data_format": "NHWC"}, "data_format`"),
        (layers.SeparableConv2D, {"filters": 0, "kernel_size": 3}, "`filters`"),
        (layers.SeparableConv2D, {"filters": 2, "kernel_size": 3, "strides": 0}, "strides"),
        (layers.SeparableConv1D, {"filters": 2, "kernel_size": 3, "depth_multiplier": -1}, "depth"),
    ],
)
def test_depthwise_layers_reject_bad_arguments(cls, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cls(**kwargs)


def test_depthwise_layers_reject_bad_inputs():
    with pytest.raises(ValueError, match=r"DepthwiseConv2D layer .* rank 4.*\(2, 5, 3\)"):
        layers.DepthwiseConv2D(3).build((2, 5, 3))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layers.SeparableConv1D(2, 3).compute_output_shape((2, 5, 5, 3))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.SeparableConv2D(2, 3).build((None, 5, 5, None))
    with pytest.raises(ValueError, match="negative or zero"):
        layers.DepthwiseConv1D(5)(_x((1, 3, 2)))
    with pytest.raises(ValueError, match="axis -1 of input"):
        layer = layers.DepthwiseConv1D(3)
        layer.build((1, 5, 3))
        layer(_x((1, 5, 4)))
    with pytest.raises(AttributeError, match="is not built"):
        _ = layers.DepthwiseConv2D(3).kernel
