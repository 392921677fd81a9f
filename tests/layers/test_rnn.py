"""Tests for RNN, StackedRNNCells, SimpleRNN, LSTM and GRU (cells and layers)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers

X = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
RECURRENT = ["SimpleRNN", "LSTM", "GRU"]


def _layer(cls, **kwargs):
    return getattr(layers, cls)(3, **kwargs)


def _copy_weights(source, target):
    if not source.built:
        source.build(X.shape)
    target.build(X.shape)
    target.set_weights(source.get_weights())
    return target


# ----------------------------------------------------------------------------- weights
@pytest.mark.parametrize(
    ("cls", "kwargs", "shapes"),
    [
        ("SimpleRNN", {}, [(4, 3), (3, 3), (3,)]),
        ("LSTM", {}, [(4, 12), (3, 12), (12,)]),
        ("GRU", {}, [(4, 9), (3, 9), (2, 9)]),
        ("GRU", {"reset_after": False}, [(4, 9), (3, 9), (9,)]),
        ("LSTM", {"use_bias": False}, [(4, 12), (3, 12)]),
    ],
)
def test_recurrent_layer_weight_names_shapes_and_paths(cls, kwargs, shapes):
    layer = _layer(cls, **kwargs)
    layer(X)
    cell = {"SimpleRNN": "simple_rnn_cell", "LSTM": "lstm_cell", "GRU": "gru_cell"}[cls]
    names = ["kernel", "recurrent_kernel", "bias"][: len(shapes)]
    prefix = {"SimpleRNN": "simple_rnn", "LSTM": "lstm", "GRU": "gru"}[cls]
    assert [w.path for w in layer.weights] == [f"{prefix}/{cell}/{n}" for n in names]
    assert [tuple(w.shape) for w in layer.weights] == shapes
    assert all(w.trainable for w in layer.weights)
    assert layer.cell.name == cell
    assert layer.units == 3


def test_lstm_unit_forget_bias_sets_the_forget_gate_bias_to_one():
    layer = layers.LSTM(2, bias_initializer="zeros")
    layer.build(X.shape)
    np.testing.assert_array_equal(layer.cell.bias.numpy(), [0, 0, 1, 1, 0, 0, 0, 0])
    plain = layers.LSTM(2, unit_forget_bias=False)
    plain.build(X.shape)
    np.testing.assert_array_equal(plain.cell.bias.numpy(), np.zeros(8))


def test_rnn_weights_live_in_the_cell_and_seed_generator_in_variables():
    layer = layers.LSTM(2, dropout=0.5)
    layer.build(X.shape)
    assert len(layer.weights) == 3
    assert len(layer.variables) == 4
    assert layer.variables[-1].path.endswith("seed_generator_state")


# ----------------------------------------------------------------------------- shapes
@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_output_and_state_shapes(cls):
    layer = _layer(cls, return_sequences=True, return_state=True)
    outputs = layer(X)
    n_states = 2 if cls == "LSTM" else 1
    assert [tuple(o.shape) for o in outputs] == [(3, 5, 3)] + [(3, 3)] * n_states
    expected = layer.compute_output_shape((None, 5, 4))
    assert expected == ((None, 5, 3), *[(None, 3)] * n_states)
    symbolic = layer(heft.Input((5, 4)))
    assert [tuple(o.shape) for o in symbolic] == [(None, 5, 3)] + [(None, 3)] * n_states
    assert _layer(cls).compute_output_shape((None, 5, 4)) == (None, 3)


@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_last_output_is_last_sequence_step_and_state(cls):
    seq_layer = _layer(cls, return_sequences=True, return_state=True)
    outputs = seq_layer(X)
    last = _copy_weights(seq_layer, _layer(cls))(X)
    np.testing.assert_allclose(
        np.asarray(last), np.asarray(outputs[0][:, -1]), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(np.asarray(last), np.asarray(outputs[1]), rtol=1e-5, atol=1e-6)


def test_lstm_matches_a_numpy_step_loop():
    layer = layers.LSTM(3, return_sequences=True)
    out = np.asarray(layer(X))
    kernel, recurrent, bias = layer.get_weights()

    def sigmoid(v):
        return 1 / (1 + np.exp(-v))

    h = c = np.zeros((3, 3), "float32")
    for t in range(5):
        z = X[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
        h = sigmoid(o) * np.tanh(c)
        np.testing.assert_allclose(out[:, t], h, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- masks, direction
@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_masked_steps_keep_the_previous_state(cls):
    layer = _layer(cls, return_sequences=True)
    mask = np.array([[1, 1, 1, 0, 0]] * 3, dtype=bool)
    out = np.asarray(layer(X, mask=mask))
    short = np.asarray(layer(X[:, :3]))
    np.testing.assert_allclose(out[:, :3], short, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[:, 3], short[:, 2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[:, 4], short[:, 2], rtol=1e-5, atol=1e-6)
    # Pre-padding: the masked first steps leave the zero state untouched.
    pre = np.asarray(layer(X, mask=mask[:, ::-1].copy()))
    np.testing.assert_allclose(pre[:, -1], np.asarray(layer(X[:, 2:]))[:, -1], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_zero_output_for_mask_zeroes_masked_outputs(cls):
    layer = _layer(cls, return_sequences=True, zero_output_for_mask=True)
    mask = np.array([[1, 1, 0, 0, 1], [1, 0, 1, 1, 1], [0, 0, 0, 0, 0]], dtype=bool)
    out = np.asarray(layer(X, mask=mask))
    assert np.all(out[~mask] == 0)
    assert np.all(out[mask] != 0)
    last = _copy_weights(layer, _layer(cls, zero_output_for_mask=True))
    np.testing.assert_array_equal(np.asarray(last(X, mask=mask))[2], np.zeros(3))


@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_go_backwards_equals_the_reversed_sequence(cls):
    forward = _layer(cls, return_sequences=True)
    expected = np.asarray(forward(X[:, ::-1].copy()))
    backward = _copy_weights(forward, _layer(cls, return_sequences=True, go_backwards=True))
    np.testing.assert_allclose(np.asarray(backward(X)), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", RECURRENT)
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_unroll_matches_the_scanned_loop(cls, go_backwards):
    kwargs = {"return_sequences": True, "return_state": True, "go_backwards": go_backwards}
    scanned = _layer(cls, **kwargs)
    unrolled = _copy_weights(scanned, _layer(cls, unroll=True, **kwargs))
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [0, 1, 1, 1, 1]], dtype=bool)
    for call_mask in (None, mask):
        for a, b in zip(scanned(X, mask=call_mask), unrolled(X, mask=call_mask), strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)


def test_recurrent_compute_mask_follows_return_sequences_and_state():
    mask = np.ones((3, 5), bool)
    assert layers.LSTM(2).compute_mask(X, mask) is None
    assert layers.LSTM(2, return_sequences=True).compute_mask(X, mask) is mask
    assert layers.GRU(2, return_state=True).compute_mask(X, [mask]) == [None, None]
    assert layers.LSTM(2, return_state=True).compute_mask(X, mask) == [None, None, None]


# ----------------------------------------------------------------------------- gradients
def _grads(layer, x, mask, initial_state):
    trainable = [v.value for v in layer.trainable_variables]
    fixed = [v.value for v in layer.non_trainable_variables]

    def loss(weights, x, states):
        outputs, _ = layer.stateless_call(
            weights, fixed, x, mask=mask, initial_state=states, training=True
        )
        return sum(jnp.sum(jnp.sin(o)) for o in outputs)

    return jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(trainable, x, initial_state)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_lstm_sequence_kernel_gradients_match_autodiff(
    monkeypatch, go_backwards, return_sequences, use_mask
):
    kwargs = {
        "return_sequences": return_sequences,
        "return_state": True,
        "go_backwards": go_backwards,
    }
    layer = layers.LSTM(3, **kwargs)
    layer.build(X.shape)
    mask = np.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 1], [1, 1, 1, 1, 1]], bool) if use_mask else None
    states = [np.full((3, 3), 0.3, "float32"), np.full((3, 3), -0.2, "float32")]
    got = jax.tree_util.tree_leaves(_grads(layer, X, mask, states))
    # Without its kernel, the cell's step runs in lax.scan under jax's autodiff.
    monkeypatch.setattr(layers.LSTMCell, "_sequence_kernel", lambda self, training: None)
    want = jax.tree_util.tree_leaves(_grads(layer, X, mask, states))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-6)


@pytest.mark.parametrize("cls", ["GRU", "SimpleRNN"])
def test_recurrent_step_loop_gradients_match_the_unrolled_loop(cls):
    fused = _layer(cls, return_sequences=True)
    reference = _copy_weights(fused, _layer(cls, return_sequences=True, unroll=True))
    got = jax.tree_util.tree_leaves(_grads(fused, X, None, None))
    want = jax.tree_util.tree_leaves(_grads(reference, X, None, None))
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(np.asarray(g), np.asarray(w), rtol=2e-5, atol=2e-6)


def test_lstm_with_other_activations_uses_the_step_loop_and_matches_numpy():
    layer = layers.LSTM(2, activation="relu", recurrent_activation="hard_sigmoid")
    assert layer.cell._sequence_kernel(False) is None
    out = np.asarray(layer(X))
    kernel, recurrent, bias = layer.get_weights()
    h = c = np.zeros((3, 2), "float32")
    for t in range(5):
        z = X[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (np.clip(v / 6 + 0.5, 0, 1) for v in np.split(z, 4, axis=-1))
        g = np.maximum(np.split(z, 4, axis=-1)[2], 0)
        c = f * c + i * g
        h = o * np.maximum(c, 0)
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)


# ----------------------------------------------------------------------------- dropout
@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_dropout_applies_only_in_training(cls):
    plain = _layer(cls)
    dropped = _copy_weights(plain, _layer(cls, dropout=0.5, recurrent_dropout=0.5, seed=1))
    np.testing.assert_allclose(np.asarray(dropped(X)), np.asarray(plain(X)), rtol=1e-5, atol=1e-6)
    assert not np.allclose(np.asarray(dropped(X, training=True)), np.asarray(plain(X)))
    assert dropped.cell.__dict__.get("_dropout_mask") is None  # masks do not outlive a call


def test_recurrent_dropout_masks_are_drawn_through_the_seed_generator():
    layer = layers.GRU(3, dropout=0.4, seed=3)
    first = np.asarray(layer(X, training=True))
    second = np.asarray(layer(X, training=True))
    assert not np.allclose(first, second)
    state = layer.cell.seed_generator.state.numpy()
    assert state.tolist() == [3, 2]
    layer(X)  # inference advances the generator as Keras does, without using the mask
    assert layer.cell.seed_generator.state.numpy().tolist() == [3, 3]


def test_recurrent_layer_trains_under_jit_with_dropout():
    # Seeded weights and dropout: the same run every time (dropout noise made 3 epochs flaky).
    lstm = layers.LSTM(
        4,
        dropout=0.2,
        recurrent_dropout=0.2,
        seed=7,
        kernel_initializer=heft.initializers.GlorotUniform(seed=1),
        recurrent_initializer=heft.initializers.Orthogonal(seed=2),
    )
    dense = layers.Dense(1, kernel_initializer=heft.initializers.GlorotUniform(seed=3))
    model = heft.Sequential([heft.Input((5, 4)), lstm, dense])
    model.compile(optimizer=heft.optimizers.Adam(learning_rate=0.05), loss="mse")
    y = np.ones((3, 1), "float32")
    history = model.fit(X, y, epochs=20, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


# ----------------------------------------------------------------------------- states
@pytest.mark.parametrize("cls", RECURRENT)
def test_recurrent_initial_state_is_used(cls):
    layer = _layer(cls, return_state=True)
    n_states = 2 if cls == "LSTM" else 1
    zero = layer(X)
    given = layer(X, initial_state=[np.zeros((3, 3), "float32")] * n_states)
    np.testing.assert_allclose(np.asarray(given[0]), np.asarray(zero[0]), rtol=1e-5, atol=1e-6)
    other = layer(X, initial_state=[np.ones((3, 3), "float32")] * n_states)
    assert not np.allclose(np.asarray(other[0]), np.asarray(zero[0]))


def test_recurrent_initial_state_with_the_wrong_count_raises():
    layer = layers.LSTM(3, name="encoder")
    with pytest.raises(ValueError, match=r"'encoder' expects 2 initial state tensor\(s\).*1"):
        layer(X, initial_state=[np.zeros((3, 3), "float32")])


@pytest.mark.parametrize("cls", RECURRENT)
def test_stateful_layer_carries_states_between_calls_and_resets(cls):
    layer = _layer(cls, stateful=True)
    layer.build(X.shape)
    assert [v.path.split("/")[-1] for v in layer.states] == ["rnn_state"] * len(layer.states)
    assert len(layer.weights) == 3  # the states are not weights
    first = np.asarray(layer(X))
    second = np.asarray(layer(X))
    assert not np.allclose(first, second)
    carried = [v.numpy() for v in layer.states]
    fresh = _copy_weights(layer, _layer(cls, return_state=True))
    expected = fresh(X, initial_state=[np.asarray(s) for s in carried])
    np.testing.assert_allclose(np.asarray(layer(X)), np.asarray(expected[0]), rtol=1e-5, atol=1e-6)
    layer.reset_states()
    assert all(not np.any(v.numpy()) for v in layer.states)
    np.testing.assert_allclose(np.asarray(layer(X)), first, rtol=1e-5, atol=1e-6)


def test_stateful_layer_needs_a_static_batch_size():
    layer = layers.SimpleRNN(2, stateful=True, name="s")
    with pytest.raises(ValueError, match=r"layer 's'.*batch size must be static"):
        layer(heft.Input((5, 4)))


def test_stateful_layer_rejects_another_batch_size():
    layer = layers.GRU(2, stateful=True)
    layer(X)
    with pytest.raises(ValueError, match="Expected batch size: 3\n- Received batch size: 2"):
        layer(X[:2])


# ----------------------------------------------------------------------------- generic RNN
class MinimalCell(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent = self.add_weight(shape=(self.units, self.units), name="recurrent")

    def call(self, inputs, states):
        output = jnp.tanh(inputs @ self.kernel.value + states[0] @ self.recurrent.value)
        return output, [output]


def test_rnn_runs_a_custom_cell_with_masks():
    layer = layers.RNN(MinimalCell(3), return_sequences=True)
    mask = np.array([[1, 1, 0, 1, 1]] * 3, bool)
    out = np.asarray(layer(X, mask=mask))
    assert out.shape == (3, 5, 3)
    np.testing.assert_array_equal(out[:, 2], out[:, 1])
    assert [w.path for w in layer.weights] == [
        "rnn/minimal_cell/kernel",
        "rnn/minimal_cell/recurrent",
    ]
    assert layer.compute_output_shape((None, 5, 4)) == (None, 5, 3)


def test_rnn_over_builtin_cell_equals_the_layer():
    layer = layers.LSTM(3)
    generic = _copy_weights(layer, layers.RNN(layers.LSTMCell(3)))
    np.testing.assert_allclose(np.asarray(generic(X)), np.asarray(layer(X)), rtol=1e-5, atol=1e-6)


def test_stacked_cells_run_one_after_the_other():
    stacked = layers.RNN([layers.SimpleRNNCell(3), layers.LSTMCell(2)], return_state=True)
    out = stacked(X)
    assert [tuple(o.shape) for o in jax.tree_util.tree_leaves(out)] == [
        (3, 2),
        (3, 3),
        (3, 2),
        (3, 2),
    ]
    lower = layers.SimpleRNN(3, return_sequences=True)
    upper = layers.LSTM(2)
    upper(lower(X))
    weights = stacked.get_weights()
    lower.set_weights(weights[:3])
    upper.set_weights(weights[3:])
    np.testing.assert_allclose(
        np.asarray(out[0]), np.asarray(upper(lower(X))), rtol=1e-5, atol=1e-6
    )


def test_rnn_rejects_cells_without_call_or_state_size():
    class NoState:
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError, match="should have a `call` method"):
        layers.RNN(object())
    with pytest.raises(ValueError, match="`state_size` attribute"):
        layers.RNN(NoState())
    cell = NoState()
    cell.state_size = "big"
    with pytest.raises(ValueError, match=r"state_size must be an integer.*'big'"):
        layers.RNN(cell)
    with pytest.raises(ValueError, match="All cells must have a `call` method"):
        layers.StackedRNNCells([object()])


def test_rnn_rejects_a_cell_output_size_that_is_not_an_int():
    cell = MinimalCell(3)
    cell.output_size = (3,)
    with pytest.raises(ValueError, match="output_size must be an integer"):
        layers.RNN(cell, name="r").compute_output_shape((None, 5, 4))


def test_rnn_rejects_inputs_without_a_time_axis():
    with pytest.raises(ValueError, match=r"Layer 'seq' \(RNN\) expects inputs of shape"):
        layers.RNN(MinimalCell(3), name="seq")(X[:, 0])
    with pytest.raises(ValueError, match=r'layer "lstm" is incompatible.*expected ndim=3'):
        layers.LSTM(3)(X[:, 0])


@pytest.mark.parametrize(
    "cls", ["SimpleRNN", "LSTM", "GRU", "SimpleRNNCell", "LSTMCell", "GRUCell"]
)
@pytest.mark.parametrize("units", [0, -2, 2.5, "3", True])
def test_recurrent_layers_reject_invalid_units(cls, units):
    with pytest.raises(ValueError, match=rf"{cls} layer 'r': .*`units`.*got {units!r}"):
        getattr(layers, cls)(units, name="r")


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_recurrent_layers_reject_invalid_use_cudnn(cls):
    with pytest.raises(ValueError, match=rf"{cls} layer: .*`use_cudnn`.*'yes'"):
        getattr(layers, cls)(2, use_cudnn="yes")


# ----------------------------------------------------------------------------- configs, jit
@pytest.mark.parametrize(
    "make",
    [
        lambda: layers.SimpleRNN(3, activation="relu", go_backwards=True),
        lambda: layers.LSTM(3, return_sequences=True, dropout=0.1, seed=4, unroll=True),
        lambda: layers.GRU(3, reset_after=False, stateful=True, recurrent_regularizer="l2"),
        lambda: layers.RNN(layers.GRUCell(2), return_state=True),
        lambda: layers.RNN([layers.SimpleRNNCell(2), layers.LSTMCell(3)]),
    ],
)
def test_recurrent_config_round_trip(make):
    layer = make()
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    layer.build(X.shape)
    clone.build(X.shape)
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_recurrent_layer_mixed_precision_outputs_the_compute_dtype():
    layer = layers.LSTM(3, dtype="mixed_bfloat16", return_state=True)
    outputs = layer(X)
    assert all(o.dtype == jnp.bfloat16 for o in outputs)
    assert layer.cell.kernel.dtype == "float32"


def test_recurrent_layer_in_a_model_trains():
    model = heft.Sequential([heft.Input((5, 4)), layers.GRU(4), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    y = np.arange(3, dtype="float32")[:, None]
    history = model.fit(X, y, epochs=5, batch_size=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
