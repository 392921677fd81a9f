"""Tests for Conv1DTranspose, Conv2DTranspose and Conv3DTranspose."""

import jax
import numpy as np
import pytest

import heft
from heft import layers
from heft.ops._conv import transpose_output_length, transpose_padding


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def _numpy_conv1d_transpose_valid(x, kernel, stride):
    """Scatter each input step times the kernel into the output (the definition)."""
    k, filters, _ = kernel.shape
    out = np.zeros((x.shape[0], (x.shape[1] - 1) * stride + max(k, stride), filters), "float32")
    for t in range(x.shape[1]):
        out[:, t * stride : t * stride + k] += np.einsum("bc,kfc->bkf", x[:, t], kernel)
    return out


def test_conv1d_transpose_is_the_scatter_of_the_kernel():
    layer = layers.Conv1DTranspose(4, 3, strides=2, use_bias=False)
    x = _x((2, 5, 3))
    out = np.asarray(layer(x))
    assert layer.kernel.shape == (3, 4, 3)
    assert out.shape == (2, 11, 4)
    expected = _numpy_conv1d_transpose_valid(x, layer.get_weights()[0], 2)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_conv1d_transpose_stride_above_kernel_pads_with_zeros():
    layer = layers.Conv1DTranspose(1, 2, strides=3, use_bias=False, kernel_initializer="ones")
    out = np.asarray(layer(np.ones((1, 2, 1), "float32")))[0, :, 0]
    np.testing.assert_array_equal(out, [1, 1, 0, 1, 1, 0])


def test_conv2d_transpose_is_the_gradient_of_conv2d():
    """A strided transposed convolution maps back like the input-gradient of the convolution."""
    conv = layers.Conv2D(3, 3, strides=2, padding="same", use_bias=False)
    x = _x((1, 6, 6, 2))
    conv(x)
    kernel = conv.get_weights()[0]  # (3, 3, 2, 3): (in=2, out=3)
    up = layers.Conv2DTranspose(2, 3, strides=2, padding="same", use_bias=False)
    y = _x((1, 3, 3, 3), seed=1)
    up.build(y.shape)
    up.set_weights([kernel])  # (3, 3, filters=2, in=3)
    _, vjp = jax.vjp(lambda v: conv.stateless_call([kernel], [], v)[0], x)
    np.testing.assert_allclose(np.asarray(up(y)), np.asarray(vjp(y)[0]), rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_output_shapes_and_padding_rules():
    assert transpose_output_length(4, 3, 2, "valid", None) == 9
    assert transpose_output_length(4, 2, 3, "valid", None) == 12
    assert transpose_output_length(4, 3, 2, "same", None) == 8
    assert transpose_output_length(4, 4, 2, "same", 1) == 7
    assert transpose_output_length(None, 3, 2, "same", None) is None
    assert transpose_padding(3, 2, "valid", None) == (2, 2)
    assert transpose_padding(3, 2, "same", None) == (2, 1)
    layer = layers.Conv2DTranspose(5, (3, 2), strides=(2, 3), output_padding=(1, 2))
    assert layer.compute_output_shape((None, 4, 4, 3)) == (None, 10, 13, 5)
    first = layers.Conv2DTranspose(5, 3, padding="same", data_format="channels_first")
    assert first.compute_output_shape((2, 3, 4, None)) == (2, 5, 4, None)


def test_conv2d_transpose_channels_first_equals_channels_last_transposed():
    x = _x((2, 4, 5, 3))
    last = layers.Conv2DTranspose(2, 3, strides=2)
    first = layers.Conv2DTranspose(2, 3, strides=2, data_format="channels_first")
    out_last = last(x)
    first.build((2, 3, 4, 5))
    first.set_weights(last.get_weights())
    out_first = first(np.transpose(x, (0, 3, 1, 2)))
    np.testing.assert_allclose(
        np.transpose(np.asarray(out_first), (0, 2, 3, 1)), np.asarray(out_last), rtol=1e-5
    )


def test_conv3d_transpose_shapes_config_and_argument_order():
    layer = layers.Conv3DTranspose(2, 2, (2, 1, 2), "valid", None, (1, 0, 0))
    assert layer.output_padding == (1, 0, 0)
    out = layer(_x((1, 2, 3, 4, 3)))
    assert out.shape == (1, 5, 4, 8, 2)
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.kernel.shape == (2, 2, 2, 2, 3)
    config = layer.get_config()
    assert config["output_padding"] == (1, 0, 0) and config["strides"] == (2, 1, 2)
    assert layers.Conv3DTranspose.from_config(config).get_config() == config


def test_conv_transpose_trains_in_a_model():
    model = heft.Sequential(
        [heft.Input((3, 3, 2)), layers.Conv2DTranspose(1, 2, strides=2, activation="relu")]
    )
    model.compile(optimizer="sgd", loss="mse")
    before = model.get_weights()[0].copy()
    model.fit(_x((4, 3, 3, 2)), _x((4, 6, 6, 1)), epochs=1, verbose=0)
    assert model.output_shape == (None, 6, 6, 1)
    assert not np.allclose(model.get_weights()[0], before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"filters": 0, "kernel_size": 3}, "strictly positive"),
        ({"filters": 2.5, "kernel_size": 3}, "strictly positive"),
        ({"filters": 2, "kernel_size": 0}, "Use positive values"),
        ({"filters": 2, "kernel_size": 3, "strides": (1, 0)}, "Use positive values"),
        ({"filters": 2, "kernel_size": 3, "padding": "causal"}, "padding` argument must be one"),
        ({"filters": 2, "kernel_size": 3, "data_format": "NHWC"}, "data_format` argument"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 2}, "At axis 0"),
        ({"filters": 2, "kernel_size": 3, "output_padding": -1}, "non-negative"),
        ({"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2}, "not supported in"),
    ],
)
def test_conv2d_transpose_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.Conv2DTranspose(**kwargs)


def test_conv_transpose_rejects_bad_inputs():
    with pytest.raises(ValueError, match=r"Conv2DTranspose layer .* rank 4.*\(2, 5, 3\)"):
        layers.Conv2DTranspose(2, 3).build((2, 5, 3))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layers.Conv1DTranspose(2, 3).compute_output_shape((2, 5, 5, 3))
    with pytest.raises(ValueError, match="channel dimension"):
        layers.Conv1DTranspose(2, 3).build((None, 5, None))
    with pytest.raises(ValueError, match="output size would be zero"):
        layers.Conv1DTranspose(2, 2, strides=2, padding="same", output_padding=0).build((1, 1, 3))
    with pytest.raises(ValueError, match="axis -1 of input"):
        layer = layers.Conv1DTranspose(2, 3)
        layer.build((1, 5, 3))
        layer(_x((1, 5, 4)))
    with pytest.raises(AttributeError, match="is not built"):
        _ = layers.Conv2DTranspose(2, 3).kernel
