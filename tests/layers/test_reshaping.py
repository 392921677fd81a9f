"""Tests for the reshaping layers."""

import numpy as np
import pytest

import heft
from heft import layers


def _x(shape):
    return np.arange(int(np.prod(shape)), dtype="float32").reshape(shape)


def test_reshape_infers_minus_one_and_symbolic_none():
    layer = layers.Reshape((3, -1))
    assert layer(_x((2, 12))).shape == (2, 3, 4)
    assert layer.compute_output_shape((None, 12)) == (None, 3, 4)
    assert layer.compute_output_shape((None, None)) == (None, 3, None)
    assert layer.get_config()["target_shape"] == (3, -1)
    assert layers.Reshape.from_config(layer.get_config()).target_shape == (3, -1)


def test_reshape_rejects_bad_targets_and_sizes():
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((-1, -1))
    with pytest.raises(ValueError, match="at most one -1"):
        layers.Reshape((0, 2))
    with pytest.raises(ValueError, match="cannot reshape samples of shape"):
        layers.Reshape((5, -1))(_x((2, 12)))
    with pytest.raises(ValueError, match="same number of values"):
        layers.Reshape((5, 2)).compute_output_shape((None, 12))


def test_permute_swaps_axes_and_validates_dims():
    x = _x((2, 3, 4))
    out = np.asarray(layers.Permute((2, 1))(x))
    np.testing.assert_array_equal(out, x.transpose(0, 2, 1))
    with pytest.raises(ValueError, match="must be consecutive and start from 1"):
        layers.Permute((0, 1))
    with pytest.raises(ValueError, match="expected ndim=3"):
        layers.Permute((2, 1))(_x((2, 3, 4, 5)))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        layers.Permute((2, 1)).compute_output_shape((2, 3))


def test_repeat_vector_repeats_and_validates():
    x = _x((2, 3))
    out = np.asarray(layers.RepeatVector(4)(x))
    assert out.shape == (2, 4, 3)
    np.testing.assert_array_equal(out[:, 2], x)
    with pytest.raises(ValueError, match="positive int"):
        layers.RepeatVector(0)
    with pytest.raises(ValueError, match="expected ndim=2"):
        layers.RepeatVector(2)(_x((2, 3, 4)))


def test_zero_padding_values_shapes_and_config():
    out = np.asarray(layers.ZeroPadding1D((1, 2))(np.ones((1, 2, 1), "float32")))
    np.testing.assert_array_equal(out[0, :, 0], [0, 1, 1, 0, 0])
    layer = layers.ZeroPadding2D(((1, 0), 2))
    assert layer(_x((1, 3, 3, 2))).shape == (1, 4, 7, 2)
    assert layer.get_config()["padding"] == ((1, 0), (2, 2))
    assert layers.ZeroPadding2D(data_format="channels_first").compute_output_shape(
        (None, 2, 3, None)
    ) == (None, 2, 5, None)
    with pytest.raises(ValueError, match="non-negative integers"):
        layers.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="tuple of 2 tuples"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="data_format` argument"):
        layers.ZeroPadding2D(data_format="NHWC")


def test_cropping_values_and_errors():
    x = _x((1, 5, 2))
    np.testing.assert_array_equal(np.asarray(layers.Cropping1D((1, 2))(x)), x[:, 1:3])
    y = _x((1, 2, 5, 6))
    out = layers.Cropping2D(((1, 0), (2, 1)), data_format="channels_first")(y)
    np.testing.assert_array_equal(np.asarray(out), y[:, :, 1:, 2:5])
    assert layers.Cropping2D(1).get_config()["cropping"] == ((1, 1), (1, 1))
    with pytest.raises(ValueError, match="removes every value"):
        layers.Cropping1D((2, 3))(x)
    with pytest.raises(ValueError, match="expected ndim=4"):
        layers.Cropping2D(1)(x)


def test_upsampling_nearest_and_bilinear():
    x = _x((1, 2, 1))
    np.testing.assert_array_equal(np.asarray(layers.UpSampling1D(2)(x))[0, :, 0], [0, 0, 1, 1])
    y = _x((1, 2, 2, 1))
    out = np.asarray(layers.UpSampling2D((1, 2))(y))[0, :, :, 0]
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [2, 2, 3, 3]])
    smooth = layers.UpSampling2D(2, interpolation="bilinear")(y)
    assert smooth.shape == (1, 4, 4, 1)
    assert 0.0 <= float(np.asarray(smooth).min()) and float(np.asarray(smooth).max()) <= 3.0
    with pytest.raises(ValueError, match="`interpolation` argument should be one of"):
        layers.UpSampling2D(interpolation="area")
    with pytest.raises(ValueError, match="positive integers"):
        layers.UpSampling1D(0)
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        layers.UpSampling2D().compute_output_shape((None, 3, 3))


def test_reshaping_layers_in_functional_model():
    inputs = heft.Input((4, 4, 2))
    x = layers.ZeroPadding2D(1)(inputs)
    x = layers.Cropping2D(((1, 1), (0, 2)))(x)
    x = layers.UpSampling2D()(x)
    x = layers.Reshape((-1, 2))(x)
    x = layers.Permute((2, 1))(x)
    assert tuple(x.shape) == (None, 2, 64)
    model = heft.Model(inputs, x)
    assert model(_x((3, 4, 4, 2))).shape == (3, 2, 64)


def test_zero_padding_cropping_upsampling_3d_values_and_errors():
    x = np.arange(2 * 3 * 4 * 2, dtype="float32").reshape(1, 2, 3, 4, 2)
    padded = np.asarray(layers.ZeroPadding3D(((1, 0), 0, (0, 2)))(x))
    np.testing.assert_array_equal(padded, np.pad(x, ((0, 0), (1, 0), (0, 0), (0, 2), (0, 0))))
    assert layers.ZeroPadding3D().get_config()["padding"] == ((1, 1), (1, 1), (1, 1))
    cropped = layers.Cropping3D((0, (1, 1), (1, 0)), data_format="channels_first")(x)
    np.testing.assert_array_equal(np.asarray(cropped), x[:, :, :, 1:3, 1:])
    up = np.asarray(layers.UpSampling3D((1, 2, 3))(x))
    assert up.shape == (1, 2, 6, 12, 2)
    np.testing.assert_array_equal(up, x.repeat(2, axis=2).repeat(3, axis=3))
    assert layers.UpSampling3D(2).get_config()["size"] == (2, 2, 2)
    with pytest.raises(ValueError, match="tuple of 3 tuples"):
        layers.ZeroPadding3D((1, 2))
    with pytest.raises(ValueError, match="removes every value"):
        layers.Cropping3D(1)(x)
    with pytest.raises(ValueError, match="tuple of 3 positive integers"):
        layers.UpSampling3D((2, 2))
    with pytest.raises(ValueError, match="expects inputs of rank 5"):
        layers.UpSampling3D().compute_output_shape((None, 3, 3, 3))
