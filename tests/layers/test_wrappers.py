"""Tests for Bidirectional and TimeDistributed."""

import numpy as np
import pytest

import heft
from heft import layers

X = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")


def _bidirectional(merge_mode="concat", **kwargs):
    layer = layers.Bidirectional(layers.LSTM(2, **kwargs), merge_mode=merge_mode)
    layer.build(X.shape)
    return layer


def _directions(layer):
    """The forward and (time-aligned) backward outputs, from stand-alone copies."""
    forward = layers.LSTM(2, return_sequences=layer.return_sequences)
    backward = layers.LSTM(2, return_sequences=layer.return_sequences, go_backwards=True)
    forward.build(X.shape)
    backward.build(X.shape)
    weights = layer.get_weights()
    forward.set_weights(weights[:3])
    backward.set_weights(weights[3:])
    y, y_rev = np.asarray(forward(X)), np.asarray(backward(X))
    if layer.return_sequences:
        y_rev = y_rev[:, ::-1]
    return y, y_rev


# ----------------------------------------------------------------------------- Bidirectional
def test_bidirectional_weight_paths_forward_first():
    layer = _bidirectional()
    paths = [w.path for w in layer.weights]
    assert paths[:3] == [
        "bidirectional/forward_lstm/lstm_cell/kernel",
        "bidirectional/forward_lstm/lstm_cell/recurrent_kernel",
        "bidirectional/forward_lstm/lstm_cell/bias",
    ]
    assert paths[3] == "bidirectional/backward_lstm/lstm_cell/kernel"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert layer.count_params() == 2 * (3 * 8 + 2 * 8 + 8)


@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize(
    ("merge_mode", "merge"),
    [
        ("concat", lambda a, b: np.concatenate([a, b], -1)),
        ("sum", lambda a, b: a + b),
        ("mul", lambda a, b: a * b),
        ("ave", lambda a, b: (a + b) / 2),
    ],
)
def test_bidirectional_merges_forward_and_backward_outputs(merge_mode, merge, return_sequences):
    layer = _bidirectional(merge_mode, return_sequences=return_sequences)
    y, y_rev = _directions(layer)
    out = np.asarray(layer(X))
    np.testing.assert_allclose(out, merge(y, y_rev), rtol=1e-5, atol=1e-6)
    expected_shape = tuple(layer.compute_output_shape((None, 4, 3)))
    assert expected_shape == (None, *out.shape[1:])


def test_bidirectional_without_merge_returns_both_and_their_states():
    layer = _bidirectional(None, return_sequences=True, return_state=True)
    outputs = layer(X)
    assert len(outputs) == 6
    y, y_rev = _directions(layer)
    np.testing.assert_allclose(np.asarray(outputs[0]), y, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(outputs[1]), y_rev, rtol=1e-5)
    # Forward states (h, c), then backward states.
    np.testing.assert_allclose(np.asarray(outputs[2]), y[:, -1], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(outputs[4]), y_rev[:, 0], rtol=1e-5)
    shapes = layer.compute_output_shape((None, 4, 3))
    assert [tuple(s) for s in shapes] == [(None, 4, 2)] * 2 + [(None, 2)] * 4


def test_bidirectional_with_a_mask_ignores_padding_in_both_directions():
    layer = _bidirectional()
    mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], bool)
    out = np.asarray(layer(X, mask=mask))
    np.testing.assert_allclose(out[:1], np.asarray(layer(X[:1, :2])), rtol=1e-5, atol=1e-6)
    assert layer.compute_mask(X, mask) is None
    sequences = _bidirectional(return_sequences=True)
    assert sequences.compute_mask(X, mask) is mask
    masked = np.asarray(sequences(X, mask=mask))
    np.testing.assert_array_equal(masked[0, 2:], np.zeros((2, 4)))  # zero_output_for_mask


def test_bidirectional_initial_state_is_split_between_directions():
    layer = _bidirectional(return_state=True)
    states = [np.full((2, 2), v, "float32") for v in (0.1, 0.2, 0.3, 0.4)]
    out = layer(X, initial_state=states)
    forward = layers.LSTM(2, return_state=True)
    forward.build(X.shape)
    forward.set_weights(layer.get_weights()[:3])
    expected = forward(X, initial_state=states[:2])
    np.testing.assert_allclose(np.asarray(out[1]), np.asarray(expected[1]), rtol=1e-5)


def test_bidirectional_uses_the_given_backward_layer():
    layer = layers.Bidirectional(
        layers.GRU(2), backward_layer=layers.SimpleRNN(3, go_backwards=True, name="back")
    )
    assert layer(X).shape == (2, 5)
    assert layer.backward_layer.name == "back"
    assert layer.weights[-1].path == "bidirectional/back/simple_rnn_cell/bias"


def test_bidirectional_weights_argument_is_set_at_build():
    source = _bidirectional()
    weights = [w + 1.0 for w in source.get_weights()]
    layer = layers.Bidirectional(layers.LSTM(2), weights=weights)
    layer.build(X.shape)
    for got, want in zip(layer.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(got, want)


def test_bidirectional_stateful_states_and_reset():
    layer = layers.Bidirectional(layers.SimpleRNN(2, stateful=True))
    layer(X)
    assert len(layer.states) == 2
    assert any(np.any(v.numpy()) for v in layer.states)
    layer.reset_states()
    assert not any(np.any(v.numpy()) for v in layer.states)


def test_bidirectional_config_round_trip_keeps_both_layers():
    layer = layers.Bidirectional(
        layers.LSTM(2, return_sequences=True),
        merge_mode="sum",
        backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True, name="b"),
    )
    clone = layers.Bidirectional.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.backward_layer.name == "b" and clone.merge_mode == "sum"


def test_bidirectional_in_a_functional_model():
    inputs = heft.Input((4, 3))
    outputs = layers.Bidirectional(layers.GRU(2, return_sequences=True))(inputs)
    model = heft.Model(inputs, outputs)
    assert model(X).shape == (2, 4, 4)
    assert model.output_shape == (None, 4, 4)


def test_bidirectional_rejects_invalid_arguments():
    with pytest.raises(ValueError, match="initialize `Bidirectional` layer with a"):
        layers.Bidirectional("lstm")
    with pytest.raises(ValueError, match="`backward_layer` need to be a"):
        layers.Bidirectional(layers.LSTM(2), backward_layer="lstm")
    with pytest.raises(ValueError, match=r"Invalid merge mode. Received: 'max' .*'lstm_1'"):
        layers.Bidirectional(layers.LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="different `go_backwards` value"):
        layers.Bidirectional(layers.LSTM(2), backward_layer=layers.LSTM(2))
    with pytest.raises(ValueError, match='same value for attribute "return_sequences"'):
        layers.Bidirectional(
            layers.LSTM(2), backward_layer=layers.LSTM(2, go_backwards=True, return_sequences=True)
        )


def test_bidirectional_reset_state_of_a_stateless_layer_raises():
    with pytest.raises(AttributeError, match="'bidirectional' must be stateful"):
        layers.Bidirectional(layers.LSTM(2)).reset_state()


# ----------------------------------------------------------------------------- TimeDistributed
def test_time_distributed_dense_applies_the_same_weights_at_every_step():
    layer = layers.TimeDistributed(layers.Dense(5))
    out = np.asarray(layer(X))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, X @ kernel + bias, rtol=1e-5, atol=1e-6)
    assert [w.path for w in layer.weights] == [
        "time_distributed/dense/kernel",
        "time_distributed/dense/bias",
    ]
    assert layer.compute_output_shape((None, 4, 3)) == (None, 4, 5)


def test_time_distributed_runs_other_layers_step_by_step():
    inner = layers.BatchNormalization()
    layer = layers.TimeDistributed(inner)
    out = np.asarray(layer(X, training=True))
    # Batch statistics are taken per step, as Keras does.
    per_step = (X - X.mean(0)) / np.sqrt(X.var(0) + inner.epsilon)
    np.testing.assert_allclose(out, per_step, rtol=1e-4, atol=1e-4)


def test_time_distributed_passes_the_step_mask_to_the_layer():
    class CountMask(layers.Layer):
        def call(self, inputs, mask=None):
            return inputs * mask[:, None].astype(inputs.dtype)

    mask = np.array([[1, 0, 1, 1], [0, 0, 1, 1]], bool)
    out = np.asarray(layers.TimeDistributed(CountMask())(X, mask=mask))
    np.testing.assert_array_equal(out, X * mask[:, :, None])


def test_time_distributed_config_round_trip_and_model_use():
    layer = layers.TimeDistributed(layers.Dense(2, activation="relu"))
    clone = layers.TimeDistributed.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    model = heft.Sequential([heft.Input((4, 3)), layer])
    assert model(X).shape == (2, 4, 2)


def test_time_distributed_rejects_invalid_arguments():
    with pytest.raises(ValueError, match="initialize `TimeDistributed` layer with a"):
        layers.TimeDistributed(3)
    layer = layers.TimeDistributed(layers.Dense(2), name="td")
    with pytest.raises(ValueError, match=r"'td' should be passed an `input_shape` with at least 3"):
        layer(X[:, 0])
    with pytest.raises(ValueError, match="must be at least 2D"):
        layer(X, mask=np.ones((2,), bool))
    with pytest.raises(ValueError, match=r"has a shape \(2, 3\) that is incompatible"):
        layer(X, mask=np.ones((2, 3), bool))
