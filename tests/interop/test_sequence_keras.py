"""Text and sequence layers in real Keras 3 and in heft: weights, configs, outputs, masks."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

X = np.random.default_rng(0).normal(size=(3, 5, 4)).astype("float32")
# Post-padded, pre-padded and unpadded rows, plus a fully masked one in some tests.
MASK = np.array(
    [[1, 1, 1, 0, 0], [0, 0, 1, 1, 1], [1, 1, 1, 1, 1]],
    dtype=bool,
)

RNN_CASES = [
    ("SimpleRNN", {"units": 3}),
    ("SimpleRNN", {"units": 3, "return_sequences": True, "activation": "relu"}),
    ("SimpleRNN", {"units": 2, "return_state": True, "go_backwards": True, "use_bias": False}),
    ("LSTM", {"units": 3}),
    ("LSTM", {"units": 3, "return_sequences": True, "return_state": True}),
    ("LSTM", {"units": 2, "go_backwards": True, "return_sequences": True}),
    ("LSTM", {"units": 3, "unroll": True, "return_sequences": True, "unit_forget_bias": False}),
    ("LSTM", {"units": 2, "use_bias": False, "recurrent_activation": "hard_sigmoid"}),
    ("LSTM", {"units": 3, "implementation": 1, "return_sequences": True}),
    ("GRU", {"units": 3}),
    ("GRU", {"units": 3, "return_sequences": True, "return_state": True}),
    ("GRU", {"units": 2, "reset_after": False, "return_sequences": True}),
    ("GRU", {"units": 3, "go_backwards": True, "unroll": True}),
    ("GRU", {"units": 2, "use_bias": False, "implementation": 1}),
    ("GRU", {"units": 2, "reset_after": False, "implementation": 1, "go_backwards": True}),
]


def _ids(case):
    return f"{case[0]}-{'-'.join(f'{k}={v}' for k, v in case[1].items())}"


def _strip(config):
    """The config without its name, as JSON gives it back (tuples become lists)."""
    out = json.loads(json.dumps(config))
    out.pop("name", None)
    return out


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-0.8, 0.8, size=tuple(w.shape)).astype(w.dtype) for w in layer.weights]


def _as_list(out):
    return [np.asarray(o) for o in out] if isinstance(out, list | tuple) else [np.asarray(out)]


def _assert_close(h_out, k_out):
    h_list, k_list = _as_list(h_out), _as_list(k_out)
    assert len(h_list) == len(k_list)
    for h, k in zip(h_list, k_list, strict=True):
        assert h.shape == k.shape
        np.testing.assert_allclose(h, k, rtol=1e-5, atol=1e-6)


def _pair(cls, kwargs, shape=X.shape):
    keras.backend.clear_session()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_layer.build(shape)
    h_layer.build(shape)
    weights = _random_weights(k_layer, 1)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    return k_layer, h_layer


def _assert_same_weights(h_layer, k_layer):
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [tuple(w.shape) for w in h_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.trainable for w in h_layer.weights] == [w.trainable for w in k_layer.weights]
    assert h_layer.count_params() == k_layer.count_params()


@pytest.mark.parametrize(("cls", "kwargs"), RNN_CASES, ids=[_ids(c) for c in RNN_CASES])
def test_recurrent_layer_matches_keras(cls, kwargs):
    k_layer, h_layer = _pair(cls, kwargs)
    _assert_same_weights(h_layer, k_layer)
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    for training in (False, True):
        _assert_close(h_layer(X, training=training), k_layer(X, training=training))
    _assert_close(h_layer(X, mask=MASK), k_layer(X, mask=MASK))
    expected = k_layer.compute_output_shape((None, 5, 4))
    assert h_layer.compute_output_shape((None, 5, 4)) == expected


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_recurrent_masks_and_initial_state_match_keras(cls, go_backwards):
    kwargs = {"units": 3, "return_sequences": True, "return_state": True}
    k_layer, h_layer = _pair(cls, {**kwargs, "go_backwards": go_backwards})
    n_states = 2 if cls == "LSTM" else 1
    rng = np.random.default_rng(3)
    states = [rng.normal(size=(3, 3)).astype("float32") for _ in range(n_states)]
    mask = MASK.copy()
    mask[1] = False  # a row with every step masked keeps its initial state
    k_out = k_layer(X, initial_state=states, mask=mask)
    h_out = h_layer(X, initial_state=states, mask=mask)
    _assert_close(h_out, k_out)
    np.testing.assert_allclose(np.asarray(h_out[1])[1], states[0][1], rtol=1e-6)


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_dropout_in_training_is_bit_identical_to_keras(cls):
    kwargs = {"units": 3, "dropout": 0.3, "recurrent_dropout": 0.4, "seed": 5}
    k_layer, h_layer = _pair(cls, {**kwargs, "return_sequences": True})
    for _ in range(2):  # the second call draws new masks from the advanced generator
        k_out = np.asarray(k_layer(X, training=True))
        h_out = np.asarray(h_layer(X, training=True))
        np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(
        np.asarray(h_layer.cell.seed_generator.state.value),
        np.asarray(k_layer.cell.seed_generator.state.value),
    )
    # In inference the masks are unused, but the generator advances as in Keras.
    _assert_close(h_layer(X), k_layer(X))
    np.testing.assert_array_equal(
        np.asarray(h_layer.cell.seed_generator.state.value),
        np.asarray(k_layer.cell.seed_generator.state.value),
    )


def test_lstm_input_dropout_only_matches_keras_in_training():
    k_layer, h_layer = _pair("LSTM", {"units": 3, "dropout": 0.5, "seed": 2})
    _assert_close(h_layer(X, training=True), k_layer(X, training=True))


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_stateful_recurrent_layer_carries_states_like_keras(cls):
    k_layer, h_layer = _pair(cls, {"units": 3, "stateful": True})
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [v.path for v in h_layer.states] == [v.path for v in k_layer.states]
    for _ in range(2):
        _assert_close(h_layer(X), k_layer(X))
    for h_state, k_state in zip(h_layer.states, k_layer.states, strict=True):
        np.testing.assert_allclose(h_state.numpy(), np.asarray(k_state.numpy()), rtol=1e-5)
    h_layer.reset_states()
    k_layer.reset_states()
    _assert_close(h_layer(X), k_layer(X))


@pytest.mark.parametrize("cls", ["SimpleRNN", "LSTM", "GRU"])
def test_recurrent_configs_load_in_both_libraries(cls):
    keras.backend.clear_session()
    kwargs = {"units": 3, "return_sequences": True, "dropout": 0.25, "kernel_regularizer": "l2"}
    k_layer = getattr(keras.layers, cls)(**kwargs)
    from_keras = getattr(heft.layers, cls).from_config(k_layer.get_config())
    assert from_keras.get_config() == k_layer.get_config()
    from_heft = getattr(keras.layers, cls).from_config(from_keras.get_config())
    assert from_heft.get_config() == k_layer.get_config()


@pytest.mark.parametrize("cls", ["SimpleRNNCell", "LSTMCell", "GRUCell"])
def test_generic_rnn_over_builtin_cell_matches_keras(cls):
    keras.backend.clear_session()
    kwargs = {"return_sequences": True, "return_state": True}
    k_layer = keras.layers.RNN(getattr(keras.layers, cls)(3), **kwargs)
    h_layer = heft.layers.RNN(getattr(heft.layers, cls)(3), **kwargs)
    k_layer.build(X.shape)
    h_layer.build(X.shape)
    _assert_same_weights(h_layer, k_layer)
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    weights = _random_weights(k_layer, 4)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    _assert_close(h_layer(X, mask=MASK), k_layer(X, mask=MASK))
    states = [np.zeros((3, 3), "float32")] * (2 if cls == "LSTMCell" else 1)
    _assert_close(h_layer.cell(X[:, 0], states), k_layer.cell(X[:, 0], states))


def test_stacked_cells_match_keras():
    keras.backend.clear_session()
    k_layer = keras.layers.RNN([keras.layers.LSTMCell(3), keras.layers.GRUCell(2)])
    h_layer = heft.layers.RNN([heft.layers.LSTMCell(3), heft.layers.GRUCell(2)])
    k_layer.build(X.shape)
    h_layer.build(X.shape)
    _assert_same_weights(h_layer, k_layer)
    weights = _random_weights(k_layer, 6)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    _assert_close(h_layer(X, mask=MASK), k_layer(X, mask=MASK))


# ----------------------------------------------------------------------------- Embedding
def test_embedding_matches_keras_with_mask_zero():
    keras.backend.clear_session()
    k_layer = keras.layers.Embedding(10, 4, mask_zero=True)
    h_layer = heft.layers.Embedding(10, 4, mask_zero=True)
    ids = np.array([[1, 2, 0, 0], [9, 3, 4, 0]], dtype="int64")
    k_out, h_out = k_layer(ids), h_layer(ids)
    _assert_same_weights(h_layer, k_layer)
    h_layer.set_weights(k_layer.get_weights())
    _assert_close(h_layer(ids), k_layer(ids))
    _assert_close(h_layer(ids.astype("float32")), k_layer(ids.astype("float32")))
    assert h_out.dtype == k_out.dtype
    np.testing.assert_array_equal(
        np.asarray(h_layer.compute_mask(ids)), np.asarray(k_layer.compute_mask(ids))
    )
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    assert heft.layers.Embedding.from_config(k_layer.get_config()).get_config() == (
        k_layer.get_config()
    )
    assert h_layer.compute_output_shape((None, 4)) == k_layer.compute_output_shape((None, 4))


def test_masking_matches_keras():
    keras.backend.clear_session()
    x = X.copy()
    x[0, 3:] = 0.5
    x[2, 1] = 0.5
    k_layer, h_layer = keras.layers.Masking(0.5), heft.layers.Masking(0.5)
    _assert_close(h_layer(x), k_layer(x))
    np.testing.assert_array_equal(
        np.asarray(h_layer.compute_mask(x)), np.asarray(k_layer.compute_mask(x))
    )
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    assert h_layer.built and k_layer.built


# ----------------------------------------------------------------------------- wrappers
BIDIRECTIONAL_CASES = [
    ("LSTM", {"units": 3}, "concat"),
    ("LSTM", {"units": 3, "return_sequences": True}, "sum"),
    ("GRU", {"units": 2, "return_sequences": True, "return_state": True}, "mul"),
    ("SimpleRNN", {"units": 2}, "ave"),
    ("LSTM", {"units": 2, "return_sequences": True, "return_state": True}, None),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "merge_mode"),
    BIDIRECTIONAL_CASES,
    ids=[f"{c[0]}-{c[2]}-{'-'.join(c[1])}" for c in BIDIRECTIONAL_CASES],
)
def test_bidirectional_matches_keras(cls, kwargs, merge_mode):
    keras.backend.clear_session()
    k_layer = keras.layers.Bidirectional(getattr(keras.layers, cls)(**kwargs), merge_mode)
    h_layer = heft.layers.Bidirectional(getattr(heft.layers, cls)(**kwargs), merge_mode)
    k_layer.build(X.shape)
    h_layer.build(X.shape)
    _assert_same_weights(h_layer, k_layer)
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    weights = _random_weights(k_layer, 2)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    _assert_close(h_layer(X), k_layer(X))
    _assert_close(h_layer(X, mask=MASK), k_layer(X, mask=MASK))
    k_shape = k_layer.compute_output_shape((None, 5, 4))
    h_shape = h_layer.compute_output_shape((None, 5, 4))
    assert _as_shapes(h_shape) == _as_shapes(k_shape)


def _as_shapes(shape):
    if shape and isinstance(shape[0], list | tuple):
        return [tuple(s) for s in shape]
    return [tuple(shape)]


def test_bidirectional_with_backward_layer_and_initial_state_matches_keras():
    keras.backend.clear_session()

    def make(lib):
        return lib.layers.Bidirectional(
            lib.layers.LSTM(3, return_sequences=True),
            backward_layer=lib.layers.LSTM(
                3, activation="relu", go_backwards=True, return_sequences=True
            ),
        )

    k_layer, h_layer = make(keras), make(heft)
    k_layer.build(X.shape)
    h_layer.build(X.shape)
    _assert_same_weights(h_layer, k_layer)
    weights = _random_weights(k_layer, 8)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    states = [np.full((3, 3), 0.1 * i, "float32") for i in range(1, 5)]
    _assert_close(h_layer(X, initial_state=states), k_layer(X, initial_state=states))
    from_keras = heft.layers.Bidirectional.from_config(k_layer.get_config())
    assert _strip(from_keras.get_config()) == _strip(k_layer.get_config())


def test_time_distributed_matches_keras():
    keras.backend.clear_session()
    for make in (
        lambda lib: lib.layers.TimeDistributed(lib.layers.Dense(2)),
        lambda lib: lib.layers.TimeDistributed(lib.layers.LayerNormalization()),
    ):
        k_layer, h_layer = make(keras), make(heft)
        k_layer.build(X.shape)
        h_layer.build(X.shape)
        _assert_same_weights(h_layer, k_layer)
        weights = _random_weights(k_layer, 9)
        k_layer.set_weights(weights)
        h_layer.set_weights(weights)
        _assert_close(h_layer(X), k_layer(X))
        assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
        assert h_layer.compute_output_shape((None, 5, 4)) == k_layer.compute_output_shape(
            (None, 5, 4)
        )


# ----------------------------------------------------------------------------- models
def _text_model(lib, mask_zero=True):
    return lib.Sequential(
        [
            lib.Input((6,), dtype="int32"),
            lib.layers.Embedding(20, 4, mask_zero=mask_zero),
            lib.layers.Bidirectional(lib.layers.LSTM(3, return_sequences=True)),
            lib.layers.GRU(2),
            lib.layers.Dense(1, activation="sigmoid"),
        ]
    )


IDS = np.array([[3, 5, 7, 0, 0, 0], [1, 2, 3, 4, 5, 6], [0, 0, 9, 8, 0, 0]], dtype="int32")


def test_embedding_mask_flows_through_a_sequential_model_as_in_keras():
    keras.backend.clear_session()
    k_model, h_model = _text_model(keras), _text_model(heft)
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    assert h_model.count_params() == k_model.count_params()
    h_model.set_weights(k_model.get_weights())
    k_out = k_model.predict(IDS, verbose=0)
    np.testing.assert_allclose(h_model.predict(IDS, verbose=0), k_out, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(h_model(IDS)), k_out, rtol=1e-5, atol=1e-6)
    # The mask changes the result: without it, the padding steps count.
    unmasked = _text_model(heft, mask_zero=False)
    unmasked.set_weights(k_model.get_weights())
    assert not np.allclose(np.asarray(unmasked(IDS)), k_out, rtol=1e-4)


def test_embedding_mask_flows_through_a_functional_model_as_in_keras():
    keras.backend.clear_session()

    def build(lib):
        ids = lib.Input((6,), dtype="int32")
        x = lib.layers.Embedding(20, 4, mask_zero=True)(ids)
        seq, h, c = lib.layers.LSTM(3, return_sequences=True, return_state=True)(x)
        last = lib.layers.SimpleRNN(2, go_backwards=True)(seq)
        return lib.Model(ids, lib.layers.Concatenate()([last, h, c]))

    k_model, h_model = build(keras), build(heft)
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    h_model.set_weights(k_model.get_weights())
    np.testing.assert_allclose(
        np.asarray(h_model(IDS)), np.asarray(k_model(IDS)), rtol=1e-5, atol=1e-6
    )


def test_explicit_mask_inside_a_functional_model_matches_keras():
    keras.backend.clear_session()

    def build(lib):
        ids = lib.Input((6,), dtype="int32")
        mask = lib.Input((6,), dtype="bool")
        x = lib.layers.Embedding(20, 4)(ids)
        return lib.Model([ids, mask], lib.layers.LSTM(3)(x, mask=mask))

    k_model, h_model = build(keras), build(heft)
    h_model.set_weights(k_model.get_weights())
    inputs = [IDS, IDS != 0]
    np.testing.assert_allclose(
        np.asarray(h_model(inputs)), np.asarray(k_model(inputs)), rtol=1e-5, atol=1e-6
    )


def test_text_model_trains_like_keras_for_one_epoch():
    keras.backend.clear_session()
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 20, size=(32, 6)).astype("int32")
    y = rng.integers(0, 2, size=(32, 1)).astype("float32")
    k_model, h_model = _text_model(keras), _text_model(heft)
    h_model.set_weights(k_model.get_weights())
    for model in (k_model, h_model):
        model.compile(optimizer="adam", loss="binary_crossentropy")
        model.fit(ids, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for h_w, k_w in zip(h_model.get_weights(), k_model.get_weights(), strict=True):
        np.testing.assert_allclose(h_w, k_w, rtol=1e-4, atol=1e-5)


def test_text_model_archives_load_both_ways(tmp_path):
    keras.backend.clear_session()
    k_model = _text_model(keras)
    k_model.save(tmp_path / "keras.keras")
    from_keras = heft.models.load_model(tmp_path / "keras.keras")
    expected = np.asarray(k_model(IDS))
    np.testing.assert_allclose(np.asarray(from_keras(IDS)), expected, rtol=1e-6, atol=1e-7)
    from_keras.save(tmp_path / "heft.keras")
    back = keras.saving.load_model(tmp_path / "heft.keras")
    np.testing.assert_allclose(np.asarray(back(IDS)), expected, rtol=1e-6, atol=1e-7)
    bidirectional = next(layer for layer in back.layers if "bidirectional" in layer.name)
    assert bidirectional.backward_layer.go_backwards
