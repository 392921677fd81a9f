"""Attention, AdditiveAttention and MultiHeadAttention: shapes, masks, dropout, weights, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import _masking
from heft.layers import AdditiveAttention, Attention, MultiHeadAttention

RNG = np.random.default_rng(0)
Q = RNG.normal(size=(2, 3, 4)).astype("float32")
V = RNG.normal(size=(2, 5, 4)).astype("float32")
V6 = RNG.normal(size=(2, 5, 6)).astype("float32")
Q_MASK = np.array([[True, True, False], [True, False, True]])
V_MASK = np.array([[True, True, True, False, False], [True, False, True, True, True]])


# ---------------------------------------------------------------------- Attention


def test_attention_is_softmax_of_dot_scores():
    out, scores = Attention()([Q, V], return_attention_scores=True)
    logits = Q @ V.transpose(0, 2, 1)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(scores), weights, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out), weights @ V, rtol=1e-5, atol=1e-6)


def test_attention_weights_by_options():
    scaled = Attention(use_scale=True)
    scaled([Q, V])
    assert [w.path for w in scaled.weights] == ["attention/scale"]
    concat = Attention(use_scale=True, score_mode="concat")
    concat([Q, V])
    assert [w.name for w in concat.weights] == ["scale", "concat_score_weight"]
    plain = Attention()
    plain([Q, V])
    assert plain.weights == []


def test_attention_key_defaults_to_value():
    layer = Attention()
    assert layer([Q, V6, V]).shape == (2, 3, 6)
    np.testing.assert_allclose(np.asarray(layer([Q, V, V])), np.asarray(layer([Q, V])))


def test_attention_masks_values_and_queries():
    out, scores = Attention()([Q, V], mask=[Q_MASK, V_MASK], return_attention_scores=True)
    scores = np.asarray(scores)
    assert np.all(scores[~np.broadcast_to(V_MASK[:, None, :], scores.shape)] == 0.0)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-6)
    assert np.all(np.asarray(out)[~Q_MASK] == 0.0)
    assert np.any(np.asarray(out)[Q_MASK] != 0.0)


def test_attention_causal_mask_hides_the_future():
    _, scores = Attention()([Q, Q], use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.asarray(scores)[0], k=1) == 0.0)
    _, both = Attention()(
        [Q, Q], mask=[None, Q_MASK], use_causal_mask=True, return_attention_scores=True
    )
    assert float(np.asarray(both)[1, 2, 1]) == 0.0


def test_attention_compute_mask_is_the_query_mask():
    layer = Attention()
    np.testing.assert_array_equal(np.asarray(layer.compute_mask([Q, V], [Q_MASK, V_MASK])), Q_MASK)
    assert layer.compute_mask([Q, V], None) is None
    assert layer.compute_mask([Q, V], [None, V_MASK]) is None
    assert layer.supports_masking


def test_attention_dropout_only_in_training_and_seeded():
    layer = Attention(dropout=0.5, seed=1)
    _, inference = layer([Q, V], return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(inference).sum(-1), 1.0, rtol=1e-6)
    _, training = layer([Q, V], training=True, return_attention_scores=True)
    assert np.any(np.asarray(training) == 0.0)
    _, again = Attention(dropout=0.5, seed=1)([Q, V], training=True, return_attention_scores=True)
    np.testing.assert_array_equal(np.asarray(again), np.asarray(training))


def test_attention_symbolic_outputs():
    q, v, k = heft.Input((3, 4)), heft.Input((5, 6)), heft.Input((5, 4))
    out, scores = Attention()([q, v, k], return_attention_scores=True)
    assert out.shape == (None, 3, 6)
    assert scores.shape == (None, 3, 5)
    assert Attention().compute_output_shape([(None, 3, 4), (None, 5, 6)]) == (None, 3, 6)


def test_additive_attention_scores_and_scale_weight():
    layer = AdditiveAttention()
    out, scores = layer([Q, V], return_attention_scores=True)
    assert [w.path for w in layer.weights] == ["additive_attention/scale"]
    scale = layer.scale.numpy()
    logits = (scale * np.tanh(Q[:, :, None, :] + V[:, None, :, :])).sum(-1)
    weights = np.exp(logits - logits.max(-1, keepdims=True))
    weights /= weights.sum(-1, keepdims=True)
    np.testing.assert_allclose(np.asarray(scores), weights, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(out), weights @ V, rtol=1e-5, atol=1e-6)
    unscaled = AdditiveAttention(use_scale=False)
    unscaled([Q, V])
    assert unscaled.weights == []


def test_attention_configs_round_trip():
    layer = Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=3)
    config = layer.get_config()
    assert {k: config[k] for k in ("use_scale", "score_mode", "dropout", "seed")} == {
        "use_scale": True,
        "score_mode": "concat",
        "dropout": 0.1,
        "seed": 3,
    }
    assert Attention.from_config(config).get_config() == config
    additive = AdditiveAttention(use_scale=False).get_config()
    assert "score_mode" not in additive
    assert AdditiveAttention.from_config(additive).get_config() == additive


def test_attention_argument_errors():
    with pytest.raises(ValueError, match="score_mode='sum'"):
        Attention(score_mode="sum")
    with pytest.raises(ValueError, match=r"dropout=1\.5"):
        AdditiveAttention(dropout=1.5)


@pytest.mark.parametrize(
    ("inputs", "mask", "match"),
    [
        (Q, None, "must be called on a list of inputs"),
        ([Q], None, "Received length: 1"),
        ([Q, V], Q_MASK, "mask must be a list"),
        ([Q, V], [Q_MASK], "mask list of length 2 or 3"),
        ([Q, V6], None, r"last dimension of the query and of the value.*\(2, 5, 6\)"),
        ([Q, V6, V[:, :4]], None, "same number of time steps"),
    ],
)
def test_attention_call_errors_name_the_layer(inputs, mask, match):
    layer = Attention(name="att")
    with pytest.raises(ValueError, match=match) as info:
        layer(inputs, mask=mask)
    assert "'att'" in str(info.value)


def test_attention_call_after_build_checks_dims():
    layer = Attention()
    layer([Q, V])
    with pytest.raises(ValueError, match="last dimension of the query and of the key"):
        layer([Q, V, V6])


# ---------------------------------------------------------------------- MultiHeadAttention


def test_mha_weights_shapes_paths_and_output():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5)
    out = layer(Q, V6)
    assert out.shape == (2, 3, 4)
    assert [(w.path, tuple(w.shape)) for w in layer.weights] == [
        ("multi_head_attention/query/kernel", (4, 2, 3)),
        ("multi_head_attention/query/bias", (2, 3)),
        ("multi_head_attention/key/kernel", (6, 2, 3)),
        ("multi_head_attention/key/bias", (2, 3)),
        ("multi_head_attention/value/kernel", (6, 2, 5)),
        ("multi_head_attention/value/bias", (2, 5)),
        ("multi_head_attention/attention_output/kernel", (2, 5, 4)),
        ("multi_head_attention/attention_output/bias", (4,)),
    ]
    assert layer.query_dense is layer._query_dense
    assert layer.output_dense.name == "attention_output"
    assert (layer.num_heads, layer.key_dim, layer.value_dim) == (2, 3, 5)


def test_mha_output_shape_bias_and_gate_options():
    layer = MultiHeadAttention(2, 3, output_shape=(2, 7), use_bias=False)
    assert layer(Q, V).shape == (2, 3, 2, 7)
    assert [w.name for w in layer.weights] == ["kernel"] * 4
    assert layer.compute_output_shape((None, 3, 4), (None, 5, 4)) == (None, 3, 2, 7)
    gated = MultiHeadAttention(2, 3, use_gate=True)
    gated(Q, V)
    assert [w.path.split("/")[1] for w in gated.weights][::2] == [
        "query",
        "key",
        "gate",
        "value",
        "attention_output",
    ]


def test_mha_matches_a_hand_computation():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    out, scores = layer(Q, V, return_attention_scores=True)
    qk, qb, kk, kb, vk, vb, ok, ob = (w.numpy() for w in layer.weights)
    q = np.einsum("btd,dnh->btnh", Q, qk) + qb
    k = np.einsum("bsd,dnh->bsnh", V, kk) + kb
    v = np.einsum("bsd,dnh->bsnh", V, vk) + vb
    logits = np.einsum("btnh,bsnh->bnts", q, k) / np.sqrt(3.0)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    expected = np.einsum("bnts,bsnh->btnh", probs, v)
    expected = np.einsum("btnh,nhd->btd", expected, ok) + ob
    np.testing.assert_allclose(np.asarray(scores), probs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(layer(Q, V)), expected, rtol=1e-5, atol=1e-5)


def test_mha_value_and_key_masks_and_attention_mask():
    layer = MultiHeadAttention(2, 3)
    _, scores = layer(Q, V, value_mask=V_MASK, return_attention_scores=True)
    hidden = ~np.broadcast_to(V_MASK[:, None, None, :], scores.shape)
    assert np.all(np.asarray(scores)[hidden] == 0.0)
    _, by_key = layer(Q, V, V, key_mask=V_MASK, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(by_key), np.asarray(scores))
    explicit = np.broadcast_to(V_MASK[:, None, :], (2, 3, 5))
    _, by_attention = layer(Q, V, attention_mask=explicit, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(by_attention), np.asarray(scores))
    np.testing.assert_allclose(
        np.asarray(layer(Q, V, value_mask=V_MASK)),
        np.asarray(layer(Q, V, attention_mask=explicit.astype("int32"))),
        rtol=1e-6,
    )


def test_mha_causal_and_sliding_window_masks():
    layer = MultiHeadAttention(2, 3)
    _, scores = layer(Q, Q, use_causal_mask=True, return_attention_scores=True)
    assert np.all(np.triu(np.asarray(scores)[0, 0], k=1) == 0.0)
    np.testing.assert_allclose(
        np.asarray(layer(Q, Q, use_causal_mask=True)),
        np.asarray(layer(Q, Q, attention_mask=np.tril(np.ones((2, 3, 3), bool)))),
        rtol=1e-5,
        atol=1e-6,
    )
    window = MultiHeadAttention(2, 3, sliding_window=1)
    _, scores = window(Q, Q, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores)[0, 0], np.eye(3), atol=1e-6)


def test_mha_masks_carried_by_inputs_are_used_and_left_in_place():
    layer = MultiHeadAttention(2, 3)
    value = jnp.asarray(V)
    _masking.set_mask(value, jnp.asarray(V_MASK))
    query = jnp.asarray(Q)
    _masking.set_mask(query, jnp.asarray(Q_MASK))
    out, scores = layer(query, value, return_attention_scores=True)
    _, expected = layer(Q, V, query_mask=Q_MASK, value_mask=V_MASK, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores), np.asarray(expected))
    np.testing.assert_array_equal(np.asarray(_masking.get_mask(out)), Q_MASK)
    np.testing.assert_array_equal(np.asarray(_masking.get_mask(value)), V_MASK)
    np.testing.assert_array_equal(np.asarray(_masking.get_mask(query)), Q_MASK)


def test_mha_dropout_in_training_only():
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=7)
    inference = layer(Q, V)
    np.testing.assert_allclose(np.asarray(layer(Q, V)), np.asarray(inference))
    training = layer(Q, V, training=True)
    assert not np.allclose(np.asarray(training), np.asarray(inference))
    _, scores = layer(Q, V, training=True, return_attention_scores=True)
    np.testing.assert_allclose(np.asarray(scores).sum(-1), 1.0, rtol=1e-5)


def test_mha_stateless_call_under_jit_with_dropout_and_gradients():
    layer = MultiHeadAttention(2, 3, dropout=0.5, seed=7)
    layer.build(Q.shape, V.shape)
    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    @jax.jit
    def loss(params, state):
        out, new_state = layer.stateless_call(params, state, Q, V, training=True)
        return jnp.sum(out**2), new_state

    (value, new_state), grads = jax.value_and_grad(loss, has_aux=True)(trainable, non_trainable)
    assert np.isfinite(float(value))
    assert len(grads) == 8 and all(np.all(np.isfinite(np.asarray(g))) for g in grads)
    assert not np.array_equal(np.asarray(new_state[0]), np.asarray(non_trainable[0]))


def test_mha_multiple_attention_axes():
    x = RNG.normal(size=(2, 3, 4, 5)).astype("float32")
    layer = MultiHeadAttention(2, 2, attention_axes=(1, 2))
    out, scores = layer(x, x, return_attention_scores=True)
    assert out.shape == x.shape
    assert scores.shape == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(np.asarray(scores).sum(axis=(-2, -1)), 1.0, rtol=1e-5)
    assert layer.attention_axes == (1, 2)
    single = MultiHeadAttention(2, 2, attention_axes=-2)
    _, scores = single(x, x, return_attention_scores=True)
    assert scores.shape == (2, 3, 2, 4, 4)


def test_mha_build_records_shapes_and_rebuilds_from_config():
    layer = MultiHeadAttention(2, 3)
    layer.build((None, 3, 4), (None, 5, 6))
    assert layer.get_build_config() == {
        "shapes_dict": {"query_shape": (None, 3, 4), "value_shape": (None, 5, 6)}
    }
    assert layer.get_config()["attention_axes"] == (1,)
    clone = MultiHeadAttention.from_config(layer.get_config())
    clone.build_from_config(layer.get_build_config())
    assert clone.weights[0].path == "multi_head_attention/query/kernel"
    assert [tuple(w.shape) for w in clone.weights] == [tuple(w.shape) for w in layer.weights]


def test_mha_called_with_keywords_builds_from_them():
    layer = MultiHeadAttention(2, 3)
    out = layer(query=Q, value=V6, key=V)
    assert out.shape == (2, 3, 4)
    assert tuple(layer.key_dense.kernel.shape) == (4, 2, 3)
    assert tuple(layer.value_dense.kernel.shape) == (6, 2, 3)
    with pytest.raises(ValueError, match="at least `query` and `value`"):
        MultiHeadAttention(2, 3)(query=Q)


def test_mha_in_a_functional_model_saves_keras_paths(tmp_path):
    q_in, v_in = heft.Input((3, 4)), heft.Input((5, 6))
    out, scores = MultiHeadAttention(2, 3)(q_in, v_in, return_attention_scores=True)
    assert out.shape == (None, 3, 4)
    assert scores.shape == (None, 2, 3, 5)
    model = heft.Model([q_in, v_in], out)
    expected = model.predict([Q, V6], verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    q_in2, v_in2 = heft.Input((3, 4)), heft.Input((5, 6))
    other = heft.Model([q_in2, v_in2], MultiHeadAttention(2, 3)(q_in2, v_in2))
    other.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_allclose(other.predict([Q, V6], verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_mha_config_round_trip():
    layer = MultiHeadAttention(
        4, 2, value_dim=3, dropout=0.1, output_shape=6, attention_axes=1, seed=2
    )
    config = layer.get_config()
    assert config["output_shape"] == (6,)
    assert config["attention_axes"] == (1,)
    assert MultiHeadAttention.from_config(config).get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"num_heads": 0}, "num_heads=0"),
        ({"key_dim": 2.5}, r"key_dim=2\.5"),
        ({"value_dim": -1}, "value_dim=-1"),
        ({"sliding_window": 0}, "sliding_window=0"),
        ({"dropout": 2}, "dropout=2"),
        ({"output_shape": "abc"}, "output_shape"),
        ({"attention_axes": "1"}, "must be an int, list, or tuple"),
        ({"attention_axes": [1.5]}, "must hold ints"),
        ({"flash_attention": True, "dropout": 0.1}, "Dropout is not supported"),
    ],
)
def test_mha_argument_errors_name_the_layer(kwargs, match):
    arguments = {"num_heads": 2, "key_dim": 3, "name": "mha"} | kwargs
    with pytest.raises(ValueError, match=match) as info:
        MultiHeadAttention(**arguments)
    assert "'mha'" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "shapes", "match"),
    [
        ({}, ((2, 3, 4), (2, 5, 6), (2, 4, 6)), "except the last one"),
        ({}, ((2, 4), (2, 6)), "at least 3"),
        ({}, ((2, 3, 4), (2, 5, 2, 6)), "same rank"),
        ({}, ((2, 3, None), (2, 5, 6)), "last dimension of `query`"),
        ({"attention_axes": 2}, ((2, 3, 4), (2, 5, 6)), r"Invalid `attention_axes`.*\(2,\)"),
        ({"attention_axes": 0}, ((2, 3, 4), (2, 5, 6)), "neither the batch axis"),
        ({"attention_axes": (1, -2)}, ((2, 3, 4), (2, 5, 6)), "distinct"),
    ],
)
def test_mha_build_errors_leave_it_unbuilt(kwargs, shapes, match):
    layer = MultiHeadAttention(2, 3, name="mha", **kwargs)
    with pytest.raises(ValueError, match=match) as info:
        layer.build(*shapes)
    assert "'mha'" in str(info.value)
    assert not layer.built
    assert layer.weights == []


def test_mha_call_checks_the_built_sizes():
    layer = MultiHeadAttention(2, 3, name="mha")
    layer(Q, V)
    with pytest.raises(ValueError, match=r"built for `value` with last dimension 4.*\(2, 5, 6\)"):
        layer(Q, V6)
    with pytest.raises(ValueError, match="built for `query`"):
        layer(V6, V)
    with pytest.raises(ValueError, match="except the last one"):
        layer(Q, V, V[:, :2])
    with pytest.raises(ValueError, match="except the last one"):
        layer.compute_output_shape((None, 3, 4), (None, 5, 4), (None, 2, 4))


def test_mha_flash_attention_cannot_return_scores():
    layer = MultiHeadAttention(2, 3, flash_attention=True, name="mha")
    with pytest.raises(ValueError, match="Returning attention scores is not supported"):
        layer(Q, V, return_attention_scores=True)
