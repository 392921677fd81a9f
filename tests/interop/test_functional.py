"""The same Functional models in real Keras 3 and in heft: layer order, paths, outputs."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np

import heft


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


def _shared_called_out_of_graph_order(lib):
    a, b = lib.Input((3,), name="a"), lib.Input((3,), name="b")
    shared = lib.layers.Dense(2, name="shared")
    on_b = shared(b)  # the first call, though the graph reaches it after `pre`
    on_a = shared(lib.layers.Dense(3, name="pre")(a))
    return lib.Model([a, b], lib.layers.Add(name="add")([on_a, on_b]), name="m")


def _inbound(config):
    # through JSON: Keras keeps tuples where heft has lists
    return json.loads(json.dumps({e["name"]: e["inbound_nodes"] for e in config["layers"]}))


def test_functional_config_numbers_a_shared_layers_calls_in_call_order():
    keras.backend.clear_session()
    k_model, h_model = (
        _shared_called_out_of_graph_order(keras),
        _shared_called_out_of_graph_order(heft),
    )
    assert _inbound(h_model.get_config()) == _inbound(k_model.get_config())
    h_model.set_weights(k_model.get_weights())
    x = [np.arange(6, dtype="float32").reshape(2, 3), np.ones((2, 3), "float32")]
    expected = np.asarray(k_model.predict(x, verbose=0))
    from_heft = keras.Model.from_config(h_model.get_config())
    from_heft.set_weights(k_model.get_weights())
    rebuilt = heft.Model.from_config(k_model.get_config())
    rebuilt.set_weights(k_model.get_weights())
    for model in (h_model, rebuilt):
        np.testing.assert_allclose(np.asarray(model.predict(x, verbose=0)), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(from_heft.predict(x, verbose=0)), expected, rtol=1e-6)
