"""Attention, EinsumDense, activation, Rescaling and Lambda layers against real Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft
from heft import _masking, _naming

RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 3, 4)).astype("float32")
V = RNG.normal(size=(2, 5, 6)).astype("float32")
K = RNG.normal(size=(2, 5, 4)).astype("float32")
Q_MASK = np.array([[1, 1, 0], [1, 0, 1]], bool)
V_MASK = np.array([[1, 1, 1, 0, 0], [1, 0, 1, 1, 1]], bool)


def _strip(config):
    out = dict(config)
    out.pop("name", None)
    return out


def _random_weights(layer, seed):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1.0, 1.0, size=tuple(w.shape)).astype(w.dtype) for w in layer.weights]


def _close(h_out, k_out):
    if isinstance(k_out, tuple | list):
        assert len(h_out) == len(k_out)
        for h, k in zip(h_out, k_out, strict=True):
            _close(h, k)
        return
    h_out, k_out = np.asarray(h_out), np.asarray(k_out)
    assert h_out.shape == k_out.shape
    np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)


def _pair(cls, build_args, **kwargs):
    """The same layer in Keras and heft, built alike, Keras's random weights copied to heft."""
    keras.backend.clear_session()
    _naming.reset_names()
    k_layer = getattr(keras.layers, cls)(**kwargs)
    h_layer = getattr(heft.layers, cls)(**kwargs)
    k_layer.build(*build_args)
    h_layer.build(*build_args)
    assert [w.path for w in h_layer.weights] == [w.path for w in k_layer.weights]
    assert [tuple(w.shape) for w in h_layer.weights] == [tuple(w.shape) for w in k_layer.weights]
    assert [w.trainable for w in h_layer.weights] == [w.trainable for w in k_layer.weights]
    assert h_layer.count_params() == k_layer.count_params()
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    assert h_layer.get_build_config() == k_layer.get_build_config()
    weights = _random_weights(k_layer, 1)
    k_layer.set_weights(weights)
    h_layer.set_weights(weights)
    return k_layer, h_layer


# ---------------------------------------------------------------------- EinsumDense

EINSUM_CASES = [
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (2, 3)),
    ({"equation": "abc,cde->abde", "output_shape": (None, 2, 4), "bias_axes": "de"}, (2, 3, 5)),
    ({"equation": "abc,cd->abd", "output_shape": (3, 4), "bias_axes": "bd"}, (2, 3, 5)),
    ({"equation": "...b,bc->...c", "output_shape": 4, "activation": "relu"}, (2, 3, 5)),
    ({"equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"}, (2, 3, 5, 6)),
    ({"equation": "abcd,cde->abe", "output_shape": (None, 3), "bias_axes": "e"}, (2, 4, 2, 5)),
]


@pytest.mark.parametrize(
    ("kwargs", "shape"), EINSUM_CASES, ids=[c[0]["equation"] for c in EINSUM_CASES]
)
def test_einsum_dense_matches_keras(kwargs, shape):
    k_layer, h_layer = _pair("EinsumDense", (shape,), **kwargs)
    assert h_layer.weights[0].path == "einsum_dense/kernel"
    x = np.random.default_rng(2).normal(size=shape).astype("float32")
    _close(h_layer(x), k_layer(x))
    symbolic = (None, *shape[1:])
    assert h_layer.compute_output_shape(symbolic) == k_layer.compute_output_shape(symbolic)


def test_einsum_dense_keras_config_loads_in_heft():
    keras.backend.clear_session()
    k_layer = keras.layers.EinsumDense(
        "abc,cd->abd", (None, 4), bias_axes="d", kernel_regularizer="l2", activation="tanh"
    )
    config = json.loads(json.dumps(k_layer.get_config()))
    h_layer = heft.layers.EinsumDense.from_config(config)
    back = keras.layers.EinsumDense.from_config(json.loads(json.dumps(h_layer.get_config())))
    assert _strip(back.get_config()) == _strip(k_layer.get_config())
    assert h_layer.partial_output_shape == (None, 4)


# ---------------------------------------------------------------------- Attention layers

ATTENTION_CASES = [
    ("Attention", {}),
    ("Attention", {"use_scale": True}),
    ("Attention", {"score_mode": "concat"}),
    ("Attention", {"use_scale": True, "score_mode": "concat"}),
    ("AdditiveAttention", {}),
    ("AdditiveAttention", {"use_scale": False}),
]


def _ids(cases):
    return [f"{c[0]}-{'-'.join(f'{k}={v}' for k, v in c[1].items())}" for c in cases]


@pytest.mark.parametrize(("cls", "kwargs"), ATTENTION_CASES, ids=_ids(ATTENTION_CASES))
def test_attention_matches_keras(cls, kwargs):
    value = V[..., :4]
    k_layer, h_layer = _pair(cls, ([Q.shape, value.shape],), **kwargs)
    masks = [Q_MASK, V_MASK]
    _close(h_layer([Q, value]), k_layer([Q, value]))
    _close(h_layer([Q, value, K]), k_layer([Q, value, K]))
    _close(
        h_layer([Q, value], mask=masks, return_attention_scores=True),
        k_layer([Q, value], mask=masks, return_attention_scores=True),
    )
    _close(
        h_layer([Q, value], use_causal_mask=True, return_attention_scores=True),
        k_layer([Q, value], use_causal_mask=True, return_attention_scores=True),
    )
    _close(
        h_layer([Q, value], mask=[None, V_MASK], use_causal_mask=True),
        k_layer([Q, value], mask=[None, V_MASK], use_causal_mask=True),
    )
    np.testing.assert_array_equal(
        np.asarray(h_layer.compute_mask([Q, value], masks)),
        np.asarray(k_layer.compute_mask([Q, value], masks)),
    )
    shapes = [(None, 3, 4), (None, 5, 4)]
    assert tuple(h_layer.compute_output_shape(shapes)) == tuple(
        k_layer.compute_output_shape(shapes)
    )


def test_attention_dropout_in_training_matches_keras_with_same_seed():
    value = V[..., :4]
    k_layer, h_layer = _pair("Attention", ([Q.shape, value.shape],), dropout=0.5, seed=3)
    k_out = k_layer([Q, value], training=True, return_attention_scores=True)
    h_out = h_layer([Q, value], training=True, return_attention_scores=True)
    _close(h_out, k_out)
    assert np.any(np.asarray(h_out[1]) == 0.0)
    _close(h_layer([Q, value], training=False), k_layer([Q, value], training=False))


# ---------------------------------------------------------------------- MultiHeadAttention

MHA_CASES = [
    ({"num_heads": 2, "key_dim": 3}, (Q.shape, V.shape)),
    ({"num_heads": 2, "key_dim": 3, "value_dim": 3, "use_bias": False}, (Q.shape, V.shape)),
    ({"num_heads": 3, "key_dim": 2, "output_shape": 7}, (Q.shape, V.shape, K.shape)),
    ({"num_heads": 2, "key_dim": 2, "output_shape": (2, 3), "use_gate": True}, (Q.shape, V.shape)),
    ({"num_heads": 2, "key_dim": 3, "sliding_window": 2}, (Q.shape, V.shape)),
]


def _mha_ids():
    return ["-".join(f"{k}={v}" for k, v in c[0].items()) for c in MHA_CASES]


@pytest.mark.parametrize(("kwargs", "shapes"), MHA_CASES, ids=_mha_ids())
def test_multi_head_attention_matches_keras(kwargs, shapes):
    k_layer, h_layer = _pair("MultiHeadAttention", shapes, **kwargs)
    key = [K] if len(shapes) == 3 else []
    for call_kwargs in (
        {},
        {"return_attention_scores": True},
        {"use_causal_mask": True},
        {"use_causal_mask": True, "return_attention_scores": True},
        {"value_mask": V_MASK},
        {"value_mask": V_MASK, "return_attention_scores": True},
        {"value_mask": V_MASK, "use_causal_mask": True},
        {"attention_mask": np.tril(np.ones((2, 3, 5), bool), 1)},
        {"key_mask": V_MASK, "attention_mask": np.ones((2, 3, 5), "int32")},
    ):
        _close(h_layer(Q, V, *key, **call_kwargs), k_layer(Q, V, *key, **call_kwargs))
    q_shape, v_shape = (None, 3, 4), (None, 5, 6)
    assert h_layer.compute_output_shape(q_shape, v_shape) == k_layer.compute_output_shape(
        q_shape, v_shape
    )


def test_multi_head_attention_weight_paths_and_order_match_keras():
    _, h_layer = _pair("MultiHeadAttention", (Q.shape, V.shape), num_heads=2, key_dim=3)
    assert [w.path for w in h_layer.weights] == [
        "multi_head_attention/query/kernel",
        "multi_head_attention/query/bias",
        "multi_head_attention/key/kernel",
        "multi_head_attention/key/bias",
        "multi_head_attention/value/kernel",
        "multi_head_attention/value/bias",
        "multi_head_attention/attention_output/kernel",
        "multi_head_attention/attention_output/bias",
    ]
    assert tuple(h_layer.weights[0].shape) == (4, 2, 3)
    assert tuple(h_layer.weights[6].shape) == (2, 3, 4)
    assert h_layer.get_config()["attention_axes"] == (1,)


@pytest.mark.parametrize("return_scores", [False, True])
def test_multi_head_attention_query_mask_carried_by_query_matches_keras(return_scores):
    k_layer, h_layer = _pair("MultiHeadAttention", (Q.shape, V.shape), num_heads=2, key_dim=3)
    k_query = jnp.asarray(Q)
    k_query._keras_mask = jnp.asarray(Q_MASK)
    k_out = k_layer(k_query, V, value_mask=V_MASK, return_attention_scores=return_scores)
    h_explicit = h_layer(
        Q, V, query_mask=Q_MASK, value_mask=V_MASK, return_attention_scores=return_scores
    )
    h_query = jnp.asarray(Q)
    _masking.set_mask(h_query, jnp.asarray(Q_MASK))
    h_carried = h_layer(h_query, V, value_mask=V_MASK, return_attention_scores=return_scores)
    _close(h_explicit, k_out)
    _close(h_carried, k_out)
    out = h_carried[0] if return_scores else h_carried
    np.testing.assert_array_equal(np.asarray(_masking.get_mask(out)), Q_MASK)


def test_multi_head_attention_multiple_attention_axes_match_keras():
    x = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    k_layer, h_layer = _pair(
        "MultiHeadAttention", (x.shape, x.shape), num_heads=2, key_dim=2, attention_axes=(1, 2)
    )
    _close(h_layer(x, x), k_layer(x, x))
    _close(h_layer(x, x, return_attention_scores=True), k_layer(x, x, return_attention_scores=True))
    k_layer, h_layer = _pair(
        "MultiHeadAttention", (x.shape, x.shape), num_heads=2, key_dim=2, attention_axes=-2
    )
    _close(h_layer(x, x, return_attention_scores=True), k_layer(x, x, return_attention_scores=True))


def test_multi_head_attention_dropout_in_training_matches_keras_with_same_seed():
    k_layer, h_layer = _pair(
        "MultiHeadAttention", (Q.shape, V.shape), num_heads=2, key_dim=3, dropout=0.5, seed=4
    )
    k_out = k_layer(Q, V, training=True, return_attention_scores=True)
    h_out = h_layer(Q, V, training=True, return_attention_scores=True)
    _close(h_out, k_out)
    _close(h_layer(Q, V, training=True), k_layer(Q, V, training=True))
    _close(h_layer(Q, V), k_layer(Q, V))


def test_multi_head_attention_regularizers_give_keras_losses():
    k_layer, h_layer = _pair(
        "MultiHeadAttention",
        (Q.shape, V.shape),
        num_heads=2,
        key_dim=3,
        kernel_regularizer="l2",
        activity_regularizer="l2",
    )
    k_layer(Q, V)
    h_layer(Q, V)
    assert len(h_layer.losses) == len(k_layer.losses) == 8
    np.testing.assert_allclose(
        sorted(float(x) for x in h_layer.losses),
        sorted(float(x) for x in k_layer.losses),
        rtol=1e-5,
    )


def test_multi_head_attention_keras_config_loads_in_heft_and_back():
    keras.backend.clear_session()
    k_layer = keras.layers.MultiHeadAttention(
        4, 2, value_dim=3, dropout=0.1, output_shape=(6,), attention_axes=[1], seed=2
    )
    config = json.loads(json.dumps(k_layer.get_config()))
    h_layer = heft.layers.MultiHeadAttention.from_config(config)
    assert _strip(h_layer.get_config()) == _strip(
        keras.layers.MultiHeadAttention.from_config(config).get_config()
    )
    back = keras.layers.MultiHeadAttention.from_config(json.loads(json.dumps(h_layer.get_config())))
    assert _strip(back.get_config()) == _strip(k_layer.get_config())


def _functional(lib):
    q_in = lib.Input((3, 4))
    v_in = lib.Input((5, 6))
    x = lib.layers.MultiHeadAttention(2, 3, name="mha")(q_in, v_in, use_causal_mask=True)
    x = lib.layers.Attention(use_scale=True)([x, lib.layers.Dense(4)(v_in)])
    x = lib.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d")(x)
    x = lib.layers.PReLU(shared_axes=[1])(x)
    return lib.Model([q_in, v_in], x)


def test_weight_files_load_both_ways_with_keras_paths(tmp_path):
    keras.backend.clear_session()
    k_model = _functional(keras)
    h_model = _functional(heft)
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    k_model.set_weights(_random_weights(k_model, 5))
    k_model.save_weights(tmp_path / "k.weights.h5")
    h_model.load_weights(tmp_path / "k.weights.h5")
    _close(h_model.predict([Q, V], verbose=0), k_model.predict([Q, V], verbose=0))
    h_model.save_weights(tmp_path / "h.weights.h5")

    def keys(path):
        names = []
        with h5py.File(path, "r") as f:
            f.visit(names.append)
        return sorted(names)

    assert keys(tmp_path / "h.weights.h5") == keys(tmp_path / "k.weights.h5")
    assert "layers/multi_head_attention/query_dense/vars/0" in keys(tmp_path / "h.weights.h5")
    k_model.set_weights(_random_weights(k_model, 6))
    k_model.load_weights(tmp_path / "h.weights.h5")
    _close(h_model.predict([Q, V], verbose=0), k_model.predict([Q, V], verbose=0))


# ---------------------------------------------------------------------- activation layers

X = RNG.normal(size=(2, 3, 4)).astype("float32") * 3

ACTIVATION_CASES = [
    ("ReLU", {}),
    ("ReLU", {"max_value": 2.0}),
    ("ReLU", {"negative_slope": 0.1, "threshold": 0.5}),
    ("ReLU", {"max_value": 6.0, "negative_slope": 0.2}),
    ("LeakyReLU", {}),
    ("LeakyReLU", {"negative_slope": 0.05}),
    ("ELU", {}),
    ("Softmax", {}),
    ("Softmax", {"axis": 1}),
    ("Softmax", {"axis": (1, 2)}),
    ("Softmax", {"axis": [-1]}),
    ("PReLU", {}),
    ("PReLU", {"shared_axes": [1]}),
    ("PReLU", {"shared_axes": 2, "alpha_initializer": "ones", "alpha_regularizer": "l2"}),
]


@pytest.mark.parametrize(("cls", "kwargs"), ACTIVATION_CASES, ids=_ids(ACTIVATION_CASES))
def test_activation_layer_matches_keras(cls, kwargs):
    k_layer, h_layer = _pair(cls, (X.shape,), **kwargs)
    _close(h_layer(X), k_layer(X))
    assert h_layer.built and k_layer.built
    assert h_layer.compute_output_shape((None, 3, 4)) == k_layer.compute_output_shape((None, 3, 4))
    config = json.loads(json.dumps(k_layer.get_config()))
    rebuilt = type(h_layer).from_config(config).get_config()
    assert _strip(json.loads(json.dumps(rebuilt))) == _strip(config)


def test_elu_alpha_matches_keras_and_round_trips():
    keras.backend.clear_session()
    k_layer = keras.layers.ELU(alpha=0.5)
    h_layer = heft.layers.ELU(alpha=0.5)
    _close(h_layer(X), k_layer(X))
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    assert h_layer.get_config()["alpha"] == 0.5
    assert keras.layers.ELU.from_config(h_layer.get_config()).alpha == 0.5


@pytest.mark.parametrize("mask_dtype", ["bool", "float32"])
def test_softmax_mask_matches_keras(mask_dtype):
    keras.backend.clear_session()
    mask = np.array([[1, 1, 0, 0], [0, 0, 0, 0], [1, 0, 1, 1]], mask_dtype)[None]
    for axis in (-1, (1, 2)):
        _close(
            heft.layers.Softmax(axis=axis)(X, mask=mask),
            keras.layers.Softmax(axis=axis)(X, mask=mask),
        )


def test_prelu_weights_paths_match_keras():
    _, h_layer = _pair("PReLU", (X.shape,), shared_axes=[1, 2])
    assert [w.path for w in h_layer.weights] == ["p_re_lu/alpha"]
    assert tuple(h_layer.alpha.shape) == (1, 1)


# ---------------------------------------------------------------------- Rescaling

RESCALING_CASES = [
    {"scale": 1 / 255},
    {"scale": 2.0, "offset": -1.0},
    {"scale": np.array([0.5, 2.0, 1.0, 3.0], "float32"), "offset": np.float32(0.25)},
    {"scale": [0.5, 2.0, 1.0, 3.0], "offset": [1.0, 0.0, 0.0, 2.0]},
]


@pytest.mark.parametrize("kwargs", RESCALING_CASES, ids=range(len(RESCALING_CASES)))
@pytest.mark.parametrize("x_dtype", ["uint8", "float32"])
def test_rescaling_matches_keras(kwargs, x_dtype):
    keras.backend.clear_session()
    x = np.random.default_rng(3).integers(0, 255, size=(2, 3, 4)).astype(x_dtype)
    k_layer = keras.layers.Rescaling(**kwargs)
    h_layer = heft.layers.Rescaling(**kwargs)
    k_out, h_out = k_layer(x), h_layer(x)
    assert str(h_out.dtype) == str(k_out.dtype) == "float32"
    _close(h_out, k_out)
    k_config = json.loads(json.dumps(k_layer.get_config()))
    h_config = json.loads(json.dumps(h_layer.get_config()))
    assert _strip(h_config) == _strip(k_config)
    _close(heft.layers.Rescaling.from_config(k_config)(x), k_out)
    _close(keras.layers.Rescaling.from_config(h_config)(x), h_out)


def test_rescaling_float16_dtype_matches_keras():
    keras.backend.clear_session()
    x = np.arange(6, dtype="uint8").reshape(2, 3)
    k_out = keras.layers.Rescaling(0.5, dtype="float16")(x)
    h_out = heft.layers.Rescaling(0.5, dtype="float16")(x)
    assert str(h_out.dtype) == str(k_out.dtype) == "float16"
    _close(h_out, k_out)


# ---------------------------------------------------------------------- Lambda


@pytest.fixture
def unsafe():
    with heft.saving.SafeModeScope(False):
        yield


def test_lambda_config_matches_keras_for_the_same_lambda():
    keras.backend.clear_session()
    offset = 2.0

    def fn(x, k=3):
        return x * k + offset

    square = lambda x, p=2.0: x**p + offset  # noqa: E731
    k_layer = keras.layers.Lambda(square, output_shape=(3, 4), arguments={"p": 3.0})
    h_layer = heft.layers.Lambda(square, output_shape=(3, 4), arguments={"p": 3.0})
    assert _strip(h_layer.get_config()) == _strip(k_layer.get_config())
    _close(h_layer(X), k_layer(X))
    k_named = keras.layers.Lambda(fn, mask=[True])
    h_named = heft.layers.Lambda(fn, mask=[True])
    assert _strip(h_named.get_config()) == _strip(k_named.get_config())


def test_keras_saved_lambda_loads_in_heft_with_unsafe_mode(unsafe):
    keras.backend.clear_session()
    scale = 0.5
    k_layer = keras.layers.Lambda(lambda x: x * scale - 1.0, output_shape=lambda s: s)
    config = json.loads(json.dumps(k_layer.get_config()))
    h_layer = heft.layers.Lambda.from_config(config)
    _close(h_layer(X), k_layer(X))
    assert h_layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)


def test_keras_saved_lambda_is_refused_by_heft_in_safe_mode():
    keras.backend.clear_session()
    config = keras.layers.Lambda(lambda x: x + 1).get_config()
    with pytest.raises(ValueError, match="arbitrary code execution"):
        heft.layers.Lambda.from_config(config)


def test_heft_saved_lambda_loads_in_keras_with_unsafe_mode():
    keras.backend.clear_session()
    h_layer = heft.layers.Lambda(lambda x, b: x - b, arguments={"b": np.float32(1.5)})
    text = json.dumps(h_layer.get_config())
    k_layer = keras.layers.Lambda.from_config(json.loads(text), safe_mode=False)
    _close(k_layer(X), h_layer(X))
    with pytest.raises(ValueError, match="arbitrary code execution"):
        keras.layers.Lambda.from_config(json.loads(text), safe_mode=True)


def test_lambda_with_registered_function_loads_both_ways():
    keras.backend.clear_session()

    def halve(x):
        return x / 2

    k_fn = keras.saving.register_keras_serializable(package="heft_test")(halve)
    heft.saving.register_keras_serializable(package="heft_test")(halve)
    k_config = json.loads(json.dumps(keras.layers.Lambda(k_fn).get_config()))
    h_layer = heft.layers.Lambda.from_config(k_config)
    assert h_layer.function is halve
    _close(h_layer(X), X / 2)
    k_layer = keras.layers.Lambda.from_config(json.loads(json.dumps(h_layer.get_config())))
    _close(k_layer(X), X / 2)
    relu_config = keras.layers.Lambda(keras.activations.relu).get_config()
    _close(heft.layers.Lambda.from_config(relu_config)(X), np.maximum(X, 0))
