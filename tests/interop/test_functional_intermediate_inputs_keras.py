"""A Functional model whose inputs are layer outputs: heft clones the graph as Keras 3 does."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


def _build(lib):
    """A full model and the model from its intermediate tensors (one cut, one real Input)."""
    a = lib.Input((4,), name="a")
    b = lib.Input((2,), name="b")
    h = lib.layers.Dense(3, name="d1")(a)
    merged = lib.layers.Concatenate(name="cat")([h, b])
    out = lib.layers.Dense(2, name="head")(lib.layers.Dense(5, name="d2")(merged))
    full = lib.Model([a, b], out, name="full")
    part = lib.Model([h, b], out, name="part")
    return full, part


def _names(model):
    return [layer.name for layer in model.layers]


def test_model_from_intermediate_tensors_matches_keras():
    keras.backend.clear_session()
    heft.backend.clear_session()
    (k_full, k_part), (h_full, h_part) = _build(keras), _build(heft)
    # The cut becomes an InputLayer named after the tensor; the layers past it are shared.
    assert [type(layer).__name__ for layer in h_part.layers] == [
        type(layer).__name__ for layer in k_part.layers
    ]
    assert _names(h_part)[1:] == _names(k_part)[1:] == ["b", "cat", "d2", "head"]
    assert _names(h_part)[0].endswith("CLONE") and _names(k_part)[0].endswith("CLONE")
    assert [w.path for w in h_part.weights] == [w.path for w in k_part.weights]
    assert [t.shape for t in h_part.inputs] == [tuple(t.shape) for t in k_part.inputs]
    assert h_part.layers[-1] is h_full.layers[-1]  # the same layer object, the same weights

    h_full.set_weights(k_full.get_weights())
    rng = np.random.default_rng(0)
    hx, bx = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=(5, 2)).astype("float32")
    np.testing.assert_allclose(
        h_part.predict([hx, bx], verbose=0), k_part.predict([hx, bx], verbose=0), atol=1e-6
    )
    # The original model still runs from its own inputs.
    ax = rng.normal(size=(5, 4)).astype("float32")
    np.testing.assert_allclose(
        h_full.predict([ax, bx], verbose=0), k_full.predict([ax, bx], verbose=0), atol=1e-6
    )


@pytest.mark.parametrize("direction", ["heft_to_keras", "keras_to_heft"])
def test_model_from_intermediate_tensors_moves_through_keras_files(tmp_path, direction):
    keras.backend.clear_session()
    heft.backend.clear_session()
    src, dst = (heft, keras) if direction == "heft_to_keras" else (keras, heft)
    _, model = _build(src)
    path = str(tmp_path / "part.keras")
    model.save(path)
    loaded = dst.saving.load_model(path)
    assert _names(loaded) == _names(model)
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(3, 3)).astype("float32"), rng.normal(size=(3, 2)).astype("float32")]
    np.testing.assert_allclose(
        np.asarray(loaded.predict(x, verbose=0)), np.asarray(model.predict(x, verbose=0)), atol=1e-6
    )
