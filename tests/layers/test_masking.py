"""Tests for the Masking layer."""

import numpy as np

import heft
from heft import layers


def _padded():
    x = np.random.default_rng(0).normal(size=(2, 4, 3)).astype("float32")
    x[0, 2:] = -1.0
    x[1, 0] = -1.0
    x[1, 1, 0] = -1.0  # one feature equal to mask_value is not enough
    return x


def test_masking_zeroes_masked_steps_and_computes_the_mask():
    x = _padded()
    layer = layers.Masking(mask_value=-1.0)
    assert layer.built and layer.supports_masking
    out = np.asarray(layer(x))
    mask = np.asarray(layer.compute_mask(x))
    np.testing.assert_array_equal(mask, [[True, True, False, False], [False, True, True, True]])
    np.testing.assert_array_equal(out[~mask], np.zeros((3, 3), "float32"))
    np.testing.assert_array_equal(out[mask], x[mask])


def test_masking_makes_lstm_skip_padding_like_truncation():
    x = _padded()[:1]
    lstm = layers.LSTM(3)
    masked = lstm(x, mask=layers.Masking(-1.0).compute_mask(x))
    np.testing.assert_allclose(np.asarray(masked), np.asarray(lstm(x[:, :2])), rtol=1e-6)


def test_masking_mask_flows_to_the_next_layer_in_a_model():
    x = _padded()[:1]
    model = heft.Sequential([heft.Input((4, 3)), layers.Masking(-1.0), layers.LSTM(3)])
    out = np.asarray(model(x))
    np.testing.assert_allclose(out, np.asarray(model.layers[1](x[:, :2])), rtol=1e-6)


def test_masking_config_round_trip_and_output_shape():
    layer = layers.Masking(mask_value=2.0)
    assert layers.Masking.from_config(layer.get_config()).mask_value == 2.0
    assert layer.compute_output_shape((None, 5, 3)) == (None, 5, 3)
