"""The same Functional models in real Keras 3 and in heft: layer order, paths, outputs."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import heft  # noqa: E402


def _build(lib):
    i1 = lib.Input((3,), name="i1")
    i2 = lib.Input((2,), name="i2")
    shared = lib.layers.Dense(5, name="shared")
    p = lib.layers.Dense(5, name="p")(i1)
    q = lib.layers.Dense(5, name="q")(i2)
    out = lib.layers.Activation("relu", name="act")(shared(p))
    return lib.Model([i1, i2], [out, lib.layers.Dense(2, name="head")(q)], name="two")


def test_functional_layer_order_paths_and_outputs_match_keras():
    keras.backend.clear_session()
    k_model, h_model = _build(keras), _build(heft)
    assert [layer.name for layer in h_model.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in h_model.weights] == [w.path for w in k_model.weights]
    assert h_model.count_params() == k_model.count_params()
    h_model.set_weights(k_model.get_weights())
    x = [np.random.default_rng(0).normal(size=(4, 3)), np.random.default_rng(1).normal(size=(4, 2))]
    for k_out, h_out in zip(
        k_model.predict(x, verbose=0), h_model.predict(x, verbose=0), strict=True
    ):
        np.testing.assert_allclose(h_out, k_out, rtol=1e-5, atol=1e-6)


def test_functional_configs_load_in_both_libraries():
    keras.backend.clear_session()
    k_model, h_model = _build(keras), _build(heft)
    from_keras = heft.Model.from_config(k_model.get_config())
    assert [layer.name for layer in from_keras.layers] == [layer.name for layer in k_model.layers]
    assert [w.path for w in from_keras.weights] == [w.path for w in k_model.weights]
    from_heft = keras.Model.from_config(h_model.get_config())
    assert [layer.name for layer in from_heft.layers] == [layer.name for layer in h_model.layers]
    assert [tuple(w.shape) for w in from_heft.weights] == [w.shape for w in h_model.weights]
