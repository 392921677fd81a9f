"""Aliases, merge functions, noise layers and the other added layers against real Keras 3."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


@pytest.fixture(autouse=True)
def _fresh_keras_names():
    keras.backend.clear_session()


ALIASES = [
    ("MaxPool1D", "MaxPooling1D"),
    ("MaxPool2D", "MaxPooling2D"),
    ("MaxPool3D", "MaxPooling3D"),
    ("AvgPool1D", "AveragePooling1D"),
    ("AvgPool2D", "AveragePooling2D"),
    ("AvgPool3D", "AveragePooling3D"),
    ("GlobalMaxPool1D", "GlobalMaxPooling1D"),
    ("GlobalMaxPool2D", "GlobalMaxPooling2D"),
    ("GlobalMaxPool3D", "GlobalMaxPooling3D"),
    ("GlobalAvgPool1D", "GlobalAveragePooling1D"),
    ("GlobalAvgPool2D", "GlobalAveragePooling2D"),
    ("GlobalAvgPool3D", "GlobalAveragePooling3D"),
]


@pytest.mark.parametrize(("alias", "name"), ALIASES)
def test_pooling_aliases_are_the_same_classes_as_in_keras(alias, name):
    assert getattr(keras.layers, alias) is getattr(keras.layers, name)
    assert getattr(heft.layers, alias) is getattr(heft.layers, name)


A = np.random.default_rng(1).normal(size=(2, 3, 4)).astype("float32")
B = np.random.default_rng(2).normal(size=(2, 3, 4)).astype("float32")
C = np.random.default_rng(3).normal(size=(2, 4, 5)).astype("float32")

MERGE_FUNCTIONS = [
    ("add", [A, B, A], {}),
    ("subtract", [A, B], {}),
    ("multiply", [A, B], {}),
    ("average", [A, B], {}),
    ("maximum", [A, B], {}),
    ("minimum", [A, B], {}),
    ("concatenate", [A, B], {"axis": 1}),
    ("concatenate", [A, B], {}),
    ("dot", [A, C], {"axes": (2, 1)}),
    ("dot", [A, B], {"axes": 2, "normalize": True}),
]


@pytest.mark.parametrize(("fn", "inputs", "kwargs"), MERGE_FUNCTIONS)
def test_merge_functions_match_keras_eagerly_and_symbolically(fn, inputs, kwargs):
    k_out = np.asarray(getattr(keras.layers, fn)(inputs, **kwargs))
    h_out = np.asarray(getattr(heft.layers, fn)(inputs, **kwargs))
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    h_inputs = [heft.Input(x.shape[1:]) for x in inputs]
    out = getattr(heft.layers, fn)(h_inputs, name=f"merged_{fn}", **kwargs)
    model = heft.Model(h_inputs, out)
    assert model.layers[-1].name == f"merged_{fn}"
    np.testing.assert_allclose(np.asarray(model(inputs)), k_out, rtol=1e-5, atol=1e-6)


X3 = np.random.default_rng(4).normal(size=(3, 5, 4)).astype("float32")
X4 = np.random.default_rng(5).normal(size=(2, 3, 4, 5)).astype("float32")
X5 = np.random.default_rng(6).normal(size=(2, 3, 2, 4, 5)).astype("float32")

NOISE = [
    ("ActivityRegularization", {"l1": 0.1, "l2": 0.01}, X3),
    ("AlphaDropout", {"rate": 0.3, "seed": 3}, X3),
    ("AlphaDropout", {"rate": 0.5, "noise_shape": (None, 1, 4), "seed": 1}, X3),
    ("GaussianDropout", {"rate": 0.4, "seed": 2}, X3),
    ("GaussianNoise", {"stddev": 0.5, "seed": 5}, X3),
    ("GaussianNoise", {"stddev": 0.0}, X3),
    ("SpatialDropout1D", {"rate": 0.5, "seed": 4}, X3),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 4}, X4),
    ("SpatialDropout2D", {"rate": 0.5, "seed": 4, "data_format": "channels_first"}, X4),
    ("SpatialDropout3D", {"rate": 0.4, "seed": 8}, X5),
    ("SpatialDropout3D", {"rate": 0.4, "seed": 8, "data_format": "channels_first"}, X5),
]


@pytest.mark.parametrize(("cls", "kwargs", "x"), NOISE, ids=[f"{c[0]}-{c[1]}" for c in NOISE])
def test_noise_layers_match_keras_in_training_and_inference(cls, kwargs, x):
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_config, h_config = k_layer.get_config(), h_layer.get_config()
    k_config.pop("name"), h_config.pop("name")
    assert h_config == k_config
    np.testing.assert_array_equal(np.asarray(h_layer(x)), x)
    for _ in range(2):  # the generator advances between calls, as in Keras
        k_out = np.asarray(k_layer(x, training=True))
        h_out = np.asarray(h_layer(x, training=True))
        np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)
    assert [float(v) for v in h_layer.losses] == pytest.approx([float(v) for v in k_layer.losses])
    clone = type(h_layer).from_config(h_layer.get_config())
    assert clone.get_config() == h_layer.get_config()
    k_clone = type(k_layer).from_config(h_layer.get_config())
    assert k_clone.get_config() == {**h_layer.get_config(), "name": k_clone.name}


def test_noise_layers_change_training_outputs_only_in_training():
    layer = heft.layers.GaussianDropout(0.5, seed=1)
    out = np.asarray(layer(X3, training=True))
    assert not np.allclose(out, X3)
    model = heft.Sequential([heft.Input((5, 4)), layer])
    np.testing.assert_array_equal(np.asarray(model.predict(X3, verbose=0)), X3)


@pytest.mark.parametrize("cls", ["AlphaDropout", "GaussianDropout"])
def test_bad_rate_raises_the_same_error_type_as_keras(cls):
    with pytest.raises(ValueError, match="rate"):
        getattr(keras.layers, cls)(1.5)
    with pytest.raises(ValueError, match="rate"):
        getattr(heft.layers, cls)(1.5)


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=tuple(w.shape)).astype("float32") for w in layer.weights]


def _assert_same_layout(h_layer, k_layer):
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [tuple(w.shape) for w in h_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.trainable for w in h_layer.weights] == [w.trainable for w in k_layer.weights]


def _same_config(h_layer, k_layer):
    h_config, k_config = h_layer.get_config(), k_layer.get_config()
    h_config.pop("name"), k_config.pop("name")
    assert h_config == k_config


SINGLE = [
    ("RMSNormalization", {}, (2, 3, 5)),
    ("RMSNormalization", {"axis": [1, 2], "epsilon": 1e-3}, (2, 3, 5)),
    ("AdaptiveAveragePooling1D", {"output_size": 4}, (2, 10, 3)),
    ("AdaptiveAveragePooling1D", {"output_size": 3, "data_format": "channels_first"}, (2, 3, 7)),
    ("AdaptiveAveragePooling2D", {"output_size": (3, 2)}, (2, 7, 5, 3)),
    ("AdaptiveAveragePooling2D", {"output_size": 4, "data_format": "channels_first"}, (2, 3, 5, 9)),
    ("AdaptiveAveragePooling3D", {"output_size": (2, 3, 4)}, (1, 5, 6, 7, 2)),
    ("AdaptiveMaxPooling1D", {"output_size": 5}, (2, 3, 3)),
    ("AdaptiveMaxPooling2D", {"output_size": (3, 4)}, (2, 7, 5, 3)),
    ("AdaptiveMaxPooling2D", {"output_size": 2, "data_format": "channels_first"}, (2, 3, 5, 9)),
    ("AdaptiveMaxPooling3D", {"output_size": 3, "data_format": "channels_first"}, (1, 2, 5, 6, 7)),
]


@pytest.mark.parametrize(("cls", "kwargs", "shape"), SINGLE, ids=[f"{c[0]}-{c[1]}" for c in SINGLE])
def test_single_input_layers_match_keras(cls, kwargs, shape):
    x = np.random.default_rng(0).normal(size=shape).astype("float32")
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    _same_config(h_layer, k_layer)
    k_layer.build(shape)
    h_layer.build(shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 1)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    np.testing.assert_allclose(np.asarray(h_layer(x)), np.asarray(k_layer(x)), rtol=1e-5, atol=1e-6)
    _same_config(h_layer, k_layer)
    symbolic = (None, *shape[1:])
    assert tuple(h_layer.compute_output_shape(symbolic)) == tuple(
        k_layer.compute_output_shape(symbolic)
    )
    clone = type(h_layer).from_config(k_layer.get_config())
    _same_config(clone, k_layer)


@pytest.mark.parametrize("op", ["adaptive_average_pool", "adaptive_max_pool"])
@pytest.mark.parametrize(
    ("shape", "size", "data_format"),
    [
        ((2, 7, 3), 3, "channels_last"),
        ((2, 2, 3), 5, "channels_last"),
        ((2, 3, 5, 7), (2, 9), "channels_first"),
        ((1, 4, 5, 6, 2), (3, 2, 4), "channels_last"),
    ],
)
def test_adaptive_pool_ops_match_keras(op, shape, size, data_format):
    x = np.random.default_rng(1).normal(size=shape).astype("float32")
    k_out = np.asarray(getattr(keras.ops, op)(x, size, data_format=data_format))
    h_out = np.asarray(getattr(heft.ops, op)(x, size, data_format=data_format))
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("cls", "size"), [("AdaptiveMaxPooling1D", (2, 3)), ("AdaptiveAveragePooling2D", (1, 2, 3))]
)
def test_adaptive_pooling_bad_size_raises_like_keras(cls, size):
    with pytest.raises(Exception) as k_err:
        getattr(keras.layers, cls)(size)
    with pytest.raises(type(k_err.value)):
        getattr(heft.layers, cls)(size)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"tie_weights": False, "logit_soft_cap": 2.0},
        {"mask_zero": True, "reverse_dtype": "float32"},
    ],
)
def test_reversible_embedding_matches_keras(kwargs):
    tokens = np.array([[1, 4, 0], [7, 2, 3]], dtype="int32")
    k_layer = keras.layers.ReversibleEmbedding(9, 4, **kwargs)
    h_layer = heft.layers.ReversibleEmbedding(9, 4, **kwargs)
    k_layer.build(tokens.shape)
    h_layer.build(tokens.shape)
    _assert_same_layout(h_layer, k_layer)
    _same_config(h_layer, k_layer)
    weights = _random_weights(k_layer, 2)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    k_vec, h_vec = k_layer(tokens), h_layer(tokens)
    np.testing.assert_allclose(np.asarray(h_vec), np.asarray(k_vec), rtol=1e-6)
    k_logits = np.asarray(k_layer(k_vec, reverse=True))
    h_logits = np.asarray(h_layer(h_vec, reverse=True))
    np.testing.assert_allclose(h_logits, k_logits, rtol=1e-5, atol=1e-6)
    assert tuple(h_layer.compute_output_shape((None, 3, 4), reverse=True)) == (None, 3, 9)
    if kwargs.get("mask_zero"):
        inputs = heft.Input((3,), dtype="int32")
        outputs = heft.layers.GlobalAveragePooling1D()(h_layer(inputs))
        k_inputs = keras.Input((3,), dtype="int32")
        k_outputs = keras.layers.GlobalAveragePooling1D()(k_layer(k_inputs))
        np.testing.assert_allclose(
            np.asarray(heft.Model(inputs, outputs)(tokens)),
            np.asarray(keras.Model(k_inputs, k_outputs)(tokens)),
            rtol=1e-5,
        )


GQA_CASES = [
    ({"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, {"masks": True}),
    (
        {
            "head_dim": 2,
            "num_query_heads": 4,
            "num_key_value_heads": 1,
            "use_gate": True,
            "use_bias": False,
        },
        {"use_causal_mask": True},
    ),
    (
        {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2, "sliding_window": 2},
        {"use_causal_mask": True},
    ),
    (
        {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 1},
        {"return_attention_scores": True, "use_causal_mask": True},
    ),
]


@pytest.mark.parametrize(("kwargs", "call_kwargs"), GQA_CASES)
def test_group_query_attention_matches_keras(kwargs, call_kwargs):
    call_kwargs = dict(call_kwargs)
    rng = np.random.default_rng(3)
    query = rng.normal(size=(2, 4, 5)).astype("float32")
    value = rng.normal(size=(2, 4, 5)).astype("float32")
    k_layer = keras.layers.GroupQueryAttention(**kwargs)
    h_layer = heft.layers.GroupQueryAttention(**kwargs)
    _same_config(h_layer, k_layer)
    k_layer.build(query.shape, value.shape)
    h_layer.build(query.shape, value.shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 4)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    if call_kwargs.pop("masks", False):
        call_kwargs["query_mask"] = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
        call_kwargs["value_mask"] = np.array([[1, 0, 1, 1], [1, 1, 1, 0]], bool)
        call_kwargs["attention_mask"] = rng.uniform(size=(2, 4, 4)) > 0.3
    k_out = k_layer(query, value, **call_kwargs)
    h_out = h_layer(query, value, **call_kwargs)
    if call_kwargs.get("return_attention_scores"):
        np.testing.assert_allclose(np.asarray(h_out[1]), np.asarray(k_out[1]), atol=1e-6)
        k_out, h_out = k_out[0], h_out[0]
    np.testing.assert_allclose(np.asarray(h_out), np.asarray(k_out), rtol=1e-5, atol=1e-5)


def test_group_query_attention_rejects_indivisible_heads_like_keras():
    with pytest.raises(ValueError, match="divisible"):
        keras.layers.GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="divisible"):
        heft.layers.GroupQueryAttention(2, 3, 2)


@pytest.mark.parametrize(
    ("make", "shape"),
    [
        (lambda m: m.layers.Dense(3), (4, 5)),
        (lambda m: m.layers.Conv2D(2, 3), (2, 5, 5, 3)),
        (lambda m: m.layers.Embedding(6, 3), (2, 4)),
    ],
)
def test_spectral_normalization_matches_keras_in_training_and_inference(make, shape):
    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, size=shape) if len(shape) == 2 and shape[1] == 4 else None
    if x is None:
        x = rng.normal(size=shape).astype("float32")
    k_layer = keras.layers.SpectralNormalization(make(keras), power_iterations=2)
    h_layer = heft.layers.SpectralNormalization(make(heft), power_iterations=2)
    k_layer.build(shape)
    h_layer.build(shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 6)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    np.testing.assert_allclose(np.asarray(h_layer(x)), np.asarray(k_layer(x)), rtol=1e-5)
    for _ in range(2):
        k_out = np.asarray(k_layer(x, training=True))
        h_out = np.asarray(h_layer(x, training=True))
        np.testing.assert_allclose(h_out, k_out, rtol=1e-4, atol=1e-5)
    for h_w, k_w in zip(h_layer.weights, k_layer.weights, strict=True):
        np.testing.assert_allclose(h_w.numpy(), np.asarray(k_w.numpy()), rtol=1e-4, atol=1e-6)
    h_config, k_config = h_layer.get_config(), k_layer.get_config()
    assert h_config["power_iterations"] == k_config["power_iterations"] == 2
    assert h_config["layer"]["class_name"] == k_config["layer"]["class_name"]
    clone = heft.layers.SpectralNormalization.from_config(k_config)
    assert clone.layer.get_config() == h_layer.layer.get_config() | {"name": clone.layer.name}


def test_wrapper_rejects_non_layers_and_round_trips_its_config():
    with pytest.raises(ValueError):
        keras.layers.Wrapper("dense")
    with pytest.raises(ValueError, match="Wrapper"):
        heft.layers.Wrapper("dense")

    class Twice(heft.layers.Wrapper):
        def call(self, inputs):
            return 2 * self.layer(inputs)

    layer = Twice(heft.layers.Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(np.asarray(layer(np.ones((1, 3), "float32"))), [[6.0, 6.0]])
    clone = Twice.from_config(layer.get_config())
    assert clone.layer.get_config() == layer.layer.get_config()


def test_added_layers_weights_load_in_keras(tmp_path):
    rng = np.random.default_rng(9)
    x = rng.normal(size=(2, 4, 6)).astype("float32")

    def build(m):
        inputs = m.Input((4, 6))
        h = m.layers.RMSNormalization()(inputs)
        h = m.layers.GroupQueryAttention(2, 4, 2)(h, h)
        h = m.layers.SpectralNormalization(m.layers.Dense(3))(h)
        h = m.layers.AdaptiveAveragePooling1D(2)(h)
        return m.Model(inputs, h)

    h_model, k_model = build(heft), build(keras)
    h_model.set_weights(_random_weights(h_model, 10))
    path = str(tmp_path / "added.weights.h5")
    h_model.save_weights(path)
    k_model.load_weights(path)
    np.testing.assert_allclose(np.asarray(k_model(x)), np.asarray(h_model(x)), rtol=1e-5, atol=1e-6)


def test_group_query_attention_config_round_trips_through_keras_serialization():
    layer = heft.layers.GroupQueryAttention(2, 4, 2)
    config = heft.layers.serialize(layer)
    k_config = keras.layers.serialize(keras.layers.GroupQueryAttention(2, 4, 2))
    assert config["class_name"] == k_config["class_name"]
    assert heft.layers.deserialize(k_config).get_config()["num_query_heads"] == 4
    assert type(heft.layers.deserialize(config)) is type(layer)


CONV_LSTM = [
    (
        "ConvLSTM1D",
        {"filters": 2, "kernel_size": 3, "padding": "same", "return_sequences": True},
        (2, 3, 5, 2),
        {},
    ),
    (
        "ConvLSTM2D",
        {
            "filters": 2,
            "kernel_size": (2, 3),
            "strides": 2,
            "data_format": "channels_first",
            "return_state": True,
            "go_backwards": True,
        },
        (2, 2, 2, 5, 6),
        {},
    ),
    (
        "ConvLSTM3D",
        {"filters": 2, "kernel_size": 2, "dropout": 0.3, "recurrent_dropout": 0.2, "seed": 1},
        (1, 2, 3, 3, 3, 2),
        {"training": True},
    ),
]


@pytest.mark.parametrize(
    ("cls", "kwargs", "shape", "call"), CONV_LSTM, ids=[f"{c[0]}-{c[1]}" for c in CONV_LSTM]
)
def test_conv_lstm_matches_keras(cls, kwargs, shape, call):
    x = np.random.default_rng(11).normal(size=shape).astype("float32")
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    _same_config(h_layer, k_layer)
    k_layer.build(shape)
    h_layer.build(shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 12)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    k_out = k_layer(x, **call)
    h_out = h_layer(x, **call)
    k_flat = k_out if isinstance(k_out, list | tuple) else [k_out]
    h_flat = h_out if isinstance(h_out, list | tuple) else [h_out]
    assert len(h_flat) == len(k_flat)
    for h_value, k_value in zip(h_flat, k_flat, strict=True):
        np.testing.assert_allclose(np.asarray(h_value), np.asarray(k_value), rtol=1e-4, atol=1e-5)
    symbolic = (None, *shape[1:])
    k_shape = k_layer.compute_output_shape(symbolic)
    h_shape = h_layer.compute_output_shape(symbolic)
    assert str(h_shape) == str(k_shape)
    clone = type(h_layer).from_config(k_layer.get_config())
    _same_config(clone, k_layer)


def test_stateful_conv_lstm_carries_states_like_keras(tmp_path):
    x = np.random.default_rng(13).normal(size=(2, 2, 5, 2)).astype("float32")

    def build(m):
        inputs = m.Input(batch_shape=(2, 2, 5, 2))
        outputs = m.layers.ConvLSTM1D(3, 2, stateful=True)(inputs)
        return m.Model(inputs, outputs)

    h_model, k_model = build(heft), build(keras)
    h_model.set_weights(_random_weights(h_model, 14))
    path = str(tmp_path / "conv_lstm.weights.h5")
    h_model.save_weights(path)
    k_model.load_weights(path)
    for _ in range(2):  # the second call starts from the first call's final states
        np.testing.assert_allclose(
            np.asarray(h_model(x)), np.asarray(k_model(x)), rtol=1e-4, atol=1e-5
        )
    h_model.layers[-1].reset_state()
    k_model.layers[-1].reset_state()
    np.testing.assert_allclose(np.asarray(h_model(x)), np.asarray(k_model(x)), rtol=1e-4, atol=1e-5)


def test_conv_lstm_trains_with_fit():
    x = np.random.default_rng(15).normal(size=(8, 3, 5, 2)).astype("float32")
    y = np.random.default_rng(16).normal(size=(8, 4, 2)).astype("float32")
    model = heft.Sequential([heft.Input((3, 5, 2)), heft.layers.ConvLSTM1D(2, 2)])
    model.compile(optimizer="adam", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    model.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights(), strict=True))


def _flax_module():
    import flax.linen as nn

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x, training=False):
            x = nn.Dense(3)(x)
            x = nn.BatchNorm(use_running_average=not training, momentum=0.5)(x)
            return nn.Dropout(0.5, deterministic=not training)(x)

    return Block()


def test_flax_layer_matches_keras_weights_and_outputs():
    x = np.random.default_rng(20).normal(size=(4, 5)).astype("float32")
    module = _flax_module()
    k_layer = keras.layers.FlaxLayer(module, seed=3)
    h_layer = heft.layers.FlaxLayer(module, seed=3)
    k_layer.build(x.shape)
    h_layer.build(x.shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 21)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    np.testing.assert_allclose(np.asarray(h_layer(x)), np.asarray(k_layer(x)), rtol=1e-5)
    k_train = np.asarray(k_layer(x, training=True))
    h_train = np.asarray(h_layer(x, training=True))
    np.testing.assert_allclose(h_train, k_train, rtol=1e-5, atol=1e-6)
    for h_w, k_w in zip(h_layer.weights, k_layer.weights, strict=True):  # batch stats updated
        np.testing.assert_allclose(h_w.numpy(), np.asarray(k_w.numpy()), rtol=1e-5, atol=1e-6)


def test_flax_module_trained_in_heft_matches_flax_and_round_trips_weight_files(tmp_path):
    import flax.linen as nn
    import jax

    module = nn.Dense(2)
    x = np.random.default_rng(22).normal(size=(8, 3)).astype("float32")
    y = np.random.default_rng(23).normal(size=(8, 2)).astype("float32")
    variables = module.init(jax.random.PRNGKey(0), x)
    layer = heft.layers.FlaxLayer(module, variables=variables)
    model = heft.Sequential([heft.Input((3,)), layer])
    model.compile(optimizer=heft.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    def loss(params):
        return ((module.apply(params, x) - y) ** 2).mean()

    params = variables
    for _ in range(2):
        grads = jax.grad(loss)(params)
        params = jax.tree_util.tree_map(lambda p, g: p - 0.1 * g, params, grads)
    expected = jax.tree_util.tree_leaves(params)
    trained = [np.asarray(v.value) for v in jax.tree_util.tree_leaves(layer.params)]
    for got, want in zip(trained, expected, strict=True):
        np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(model(x)), np.asarray(module.apply(params, x)), rtol=1e-5, atol=1e-6
    )
    path = str(tmp_path / "flax.weights.h5")
    model.save_weights(path)
    fresh = heft.Sequential([heft.Input((3,)), heft.layers.FlaxLayer(module, variables=variables)])
    fresh.load_weights(path)
    np.testing.assert_allclose(np.asarray(fresh(x)), np.asarray(model(x)), rtol=1e-6)
    k_model = keras.Sequential(
        [keras.Input((3,)), keras.layers.FlaxLayer(module, variables=variables)]
    )
    k_model.load_weights(path)
    np.testing.assert_allclose(np.asarray(k_model(x)), np.asarray(model(x)), rtol=1e-5)


def test_jax_layer_with_state_and_rng_matches_keras():
    import jax

    def init_fn(rng, inputs):
        w = jax.random.normal(rng, (inputs.shape[-1], 2))
        return {"w": w}, {"count": np.zeros((), "float32")}

    def call_fn(params, state, rng, inputs, training):
        out = inputs @ params["w"]
        if training:
            out = out * jax.random.bernoulli(rng, 0.5, out.shape)
        return out, {"count": state["count"] + 1.0}

    x = np.random.default_rng(24).normal(size=(3, 4)).astype("float32")
    k_layer = keras.layers.JaxLayer(call_fn, init_fn, seed=5)
    h_layer = heft.layers.JaxLayer(call_fn, init_fn, seed=5)
    k_layer.build(x.shape)
    h_layer.build(x.shape)
    _assert_same_layout(h_layer, k_layer)
    weights = _random_weights(k_layer, 25)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    for training in (False, True, True):
        np.testing.assert_allclose(
            np.asarray(h_layer(x, training=training)),
            np.asarray(k_layer(x, training=training)),
            rtol=1e-5,
        )
    assert float(h_layer.state["count"].numpy()) == float(k_layer.state["count"].numpy())
    k_config, h_config = k_layer.get_config(), h_layer.get_config()
    k_config.pop("name"), h_config.pop("name")
    assert h_config == k_config


def test_jax_layer_rejects_unknown_arguments_like_keras():
    def call_fn(inputs, weights):
        return inputs

    with pytest.raises(ValueError, match="Unsupported argument"):
        keras.layers.JaxLayer(call_fn)
    with pytest.raises(ValueError, match="Unsupported argument"):
        heft.layers.JaxLayer(call_fn)
    with pytest.raises(ValueError, match="cannot all be `None`"):
        heft.layers.JaxLayer(lambda params, inputs: inputs)
