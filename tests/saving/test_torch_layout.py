"""Tests for the PyTorch <-> Keras tensor layout conversions: shapes, values, and exact inverses."""

import numpy as np
import pytest

from heft.saving import _torch_layout as tl

RNG = np.random.default_rng(0)


def _rand(*shape):
    return RNG.normal(size=shape).astype("float32")


@pytest.mark.parametrize(
    ("torch_shape", "keras_shape"),
    [((5, 3, 2), (2, 3, 5)), ((5, 3, 2, 4), (2, 4, 3, 5)), ((5, 3, 2, 4, 6), (2, 4, 6, 3, 5))],
)
def test_conv_kernels_move_channels_last_and_back(torch_shape, keras_shape):
    weight = _rand(*torch_shape)
    kernel = tl.conv_to_keras(weight)
    assert kernel.shape == keras_shape
    assert (
        kernel[(1,) * (len(keras_shape) - 2) + (2, 4)]
        == weight[(4, 2) + (1,) * (len(keras_shape) - 2)]
    )
    np.testing.assert_array_equal(tl.conv_to_torch(kernel), weight)


def test_depthwise_kernel_splits_channels_and_multiplier():
    weight = _rand(6, 1, 3, 3)  # 3 channels, multiplier 2: output channel c * 2 + j
    kernel = tl.depthwise_to_keras(weight, 3)
    assert kernel.shape == (3, 3, 3, 2)
    np.testing.assert_array_equal(kernel[:, :, 1, 1], weight[3, 0])
    np.testing.assert_array_equal(tl.depthwise_to_torch(kernel), weight)
    with pytest.raises(ValueError, match="does not split into 4 channel"):
        tl.depthwise_to_keras(weight, 4)


def test_gru_gates_swap_and_biases_stack():
    weight = _rand(9, 4)
    kernel = tl.gru_kernel_to_keras(weight)
    np.testing.assert_array_equal(
        kernel[:, :3], weight[3:6].T
    )  # Keras's z is PyTorch's second gate
    np.testing.assert_array_equal(tl.gru_kernel_to_torch(kernel), weight)
    b_ih, b_hh = _rand(9), _rand(9)
    bias = tl.gru_bias_to_keras(b_ih, b_hh)
    assert bias.shape == (2, 9)
    for got, want in zip(tl.gru_bias_to_torch(bias), (b_ih, b_hh), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="3 gates"):
        tl.gru_gates(_rand(8))


def test_lstm_biases_sum_and_split_into_an_equivalent_pair():
    b_ih, b_hh = _rand(8), _rand(8)
    bias = tl.lstm_bias_to_keras(b_ih, b_hh)
    back = tl.lstm_bias_to_torch(bias)
    np.testing.assert_array_equal(back[0] + back[1], b_ih + b_hh)


def test_attention_projections_split_into_heads_and_back():
    packed = _rand(3 * 8, 8)
    query = tl.projection_to_keras(tl.split_rows(packed, 0, 3), 2)
    assert query.shape == (8, 2, 4)
    np.testing.assert_array_equal(query[:, 1, :], packed[4:8].T)
    np.testing.assert_array_equal(tl.projection_to_torch(query), packed[:8])
    out = _rand(8, 8)
    kernel = tl.output_projection_to_keras(out, 2)
    assert kernel.shape == (2, 4, 8)
    np.testing.assert_array_equal(tl.output_projection_to_torch(kernel), out)
    assert tl.head_bias_to_keras(_rand(8), 2).shape == (2, 4)
    with pytest.raises(ValueError, match="does not split into 3 heads"):
        tl.projection_to_keras(_rand(8, 8), 3)
