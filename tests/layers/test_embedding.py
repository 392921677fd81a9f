"""Tests for Embedding."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers

IDS = np.array([[1, 2, 0], [4, 0, 0]], dtype="int32")


def test_embedding_weight_shape_path_and_output():
    layer = layers.Embedding(10, 4)
    out = layer(IDS)
    assert out.shape == (2, 3, 4)
    assert out.dtype == jnp.float32
    assert [w.path for w in layer.weights] == ["embedding/embeddings"]
    assert layer.embeddings.shape == (10, 4)
    assert layer.weights[0].trainable
    assert layer.count_params() == 40


def test_embedding_looks_up_rows_and_casts_float_indices():
    table = np.arange(30, dtype="float32").reshape(10, 3)
    layer = layers.Embedding(10, 3, weights=[table])
    assert layer.built
    np.testing.assert_array_equal(np.asarray(layer(IDS)), table[IDS])
    np.testing.assert_array_equal(np.asarray(layer(IDS.astype("float32"))), table[IDS])
    np.testing.assert_array_equal(np.asarray(layer(IDS.astype("int64"))), table[IDS])


def test_embedding_weights_argument_accepts_a_bare_array():
    table = np.ones((5, 2), "float32")
    layer = layers.Embedding(5, 2, weights=table)
    np.testing.assert_array_equal(layer.get_weights()[0], table)


def test_embedding_mask_zero_makes_a_mask_of_nonzero_ids():
    layer = layers.Embedding(10, 2, mask_zero=True)
    assert layer.supports_masking
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(IDS)), IDS != 0)
    plain = layers.Embedding(10, 2)
    assert not plain.supports_masking
    assert plain.compute_mask(IDS) is None


def test_embedding_gradient_reaches_only_the_looked_up_rows():
    layer = layers.Embedding(6, 2)
    layer.build()
    value = layer.embeddings.value

    def loss(table):
        out, _ = layer.stateless_call([table], [], IDS)
        return jnp.sum(out)

    grad = np.asarray(jax.grad(loss)(value))
    counts = np.bincount(IDS.ravel(), minlength=6)
    np.testing.assert_array_equal(grad, np.repeat(counts[:, None], 2, axis=1).astype("float32"))


def test_embedding_symbolic_call_and_compute_output_shape():
    ids = heft.Input((7,), dtype="int32")
    out = layers.Embedding(10, 5)(ids)
    assert out.shape == (None, 7, 5)
    assert layers.Embedding(10, 5).compute_output_shape((None, 7)) == (None, 7, 5)


def test_embedding_config_round_trip():
    layer = layers.Embedding(
        12, 3, mask_zero=True, embeddings_regularizer="l2", embeddings_initializer="ones"
    )
    clone = layers.Embedding.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert clone.mask_zero and clone.input_dim == 12


def test_embedding_regularizer_adds_a_loss():
    layer = layers.Embedding(4, 2, embeddings_initializer="ones", embeddings_regularizer="l2")
    layer(IDS % 4)
    assert len(layer.losses) == 1
    assert float(layer.losses[0]) == pytest.approx(0.01 * 8)


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "10", None])
@pytest.mark.parametrize("argument", ["input_dim", "output_dim"])
def test_embedding_rejects_invalid_dims(argument, value):
    kwargs = {"input_dim": 10, "output_dim": 4, argument: value, "name": "words"}
    with pytest.raises(ValueError, match=rf"Embedding layer 'words': `{argument}` must be a posi"):
        layers.Embedding(**kwargs)


def test_embedding_rejects_lora_and_quantization():
    with pytest.raises(ValueError, match=r"LoRA .* not supported"):
        layers.Embedding(10, 4, lora_rank=2)


def test_embedding_input_length_is_deprecated():
    with pytest.warns(UserWarning, match="`input_length` is deprecated"):
        layer = layers.Embedding(10, 4, input_length=3)
    assert "input_length" not in layer.get_config()


def test_embedding_embeddings_before_build_raises():
    layer = layers.Embedding(10, 4, name="words")
    with pytest.raises(AttributeError, match="build the Embedding layer 'words'"):
        _ = layer.embeddings
