"""Functional models: graph order, weights, calls, training, errors."""

import numpy as np
import pytest

import heft
from heft import layers


def _chain():
    inp = heft.Input((3,), name="x")
    a = layers.Dense(4, name="A")
    b = layers.Dense(4, name="B")
    out = layers.Dense(2, name="C")(a(b(inp)))
    return heft.Model(inp, out, name="func")


def test_functional_model_call_builds_functional_with_graph_order():
    model = _chain()
    assert isinstance(model, heft.models.Functional)
    assert [layer.name for layer in model.layers] == ["x", "B", "A", "C"]
    assert [w.path for w in model.weights] == [
        "B/kernel",
        "B/bias",
        "A/kernel",
        "A/bias",
        "C/kernel",
        "C/bias",
    ]
    assert model.built and model.count_params() == 16 + 20 + 10


def test_functional_call_matches_layer_by_layer_computation():
    model = _chain()
    x = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    expected = x
    for name in ("B", "A", "C"):
        kernel, bias = model.get_layer(name).get_weights()
        expected = expected @ kernel + bias
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-6)


def test_functional_several_inputs_and_outputs_with_shared_layer():
    i1, i2 = heft.Input((3,), name="i1"), heft.Input((2,), name="i2")
    shared = layers.Dense(5, name="shared")
    p = layers.Dense(5, name="p")(i1)
    q = layers.Dense(5, name="q")(i2)
    out = layers.Activation("relu", name="act")(shared(p))
    model = heft.Model([i1, i2], [out, shared(q)])
    assert [layer.name for layer in model.layers].count("shared") == 1
    y1, y2 = model([np.ones((2, 3)), np.ones((2, 2))])
    assert y1.shape == (2, 5) and y2.shape == (2, 5)


def test_functional_nested_in_sequential_keeps_paths():
    inner = _chain()
    outer = heft.Sequential([heft.Input((3,)), inner, layers.Dense(1)])
    assert [w.path for w in outer.weights][-2:] == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
    ]
    assert outer(np.ones((2, 3))).shape == (2, 1)


def test_functional_trains_and_predicts():
    model = _chain()
    model.compile(optimizer="sgd", loss="mse")
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 2)).astype("float32")
    history = model.fit(x, y, epochs=3, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 2)


def test_functional_rejects_non_symbolic_inputs():
    with pytest.raises(ValueError, match="must be symbolic tensors"):
        heft.Model(np.ones((2, 3)), heft.Input((3,)))


def test_functional_rejects_outputs_not_connected_to_inputs():
    a, b = heft.Input((3,), name="a"), heft.Input((3,), name="b")
    out = layers.Dense(2)(b)
    with pytest.raises(ValueError, match="not among the model's inputs"):
        heft.Model(a, out)


def test_functional_rejects_wrong_number_of_inputs_at_call():
    i1, i2 = heft.Input((3,)), heft.Input((3,))
    model = heft.Model([i1, i2], layers.Dense(1)(i1))
    with pytest.raises(ValueError, match="expects 2 inputs"):
        model([np.ones((1, 3))] * 3)


def test_functional_config_round_trip_rebuilds_the_same_graph():
    i1, i2 = heft.Input((3,), name="i1"), heft.Input((2,), name="i2")
    shared = layers.Dense(5, name="shared")
    a = shared(layers.Dense(5, name="p")(i1))
    b = shared(layers.Dense(5, name="q")(i2))
    model = heft.Model([i1, i2], [a, b], name="two")
    config = model.get_config()
    shared_entry = next(e for e in config["layers"] if e["name"] == "shared")
    assert len(shared_entry["inbound_nodes"]) == 2
    clone = heft.Model.from_config(config)
    assert isinstance(clone, heft.models.Functional)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    clone.set_weights(model.get_weights())
    x = [np.ones((2, 3), "float32"), np.ones((2, 2), "float32")]
    for got, want in zip(clone(x), model(x), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6)


def test_functional_from_config_reports_dangling_references():
    config = _chain().get_config()
    config["layers"] = [e for e in config["layers"] if e["name"] != "A"]
    with pytest.raises(ValueError, match="refer to layers or calls"):
        heft.Model.from_config(config)


def test_functional_one_element_output_list_comes_back_unwrapped():
    inputs = heft.Input((3,))
    dense = layers.Dense(2)
    model = heft.Model(inputs, [dense(inputs)])
    x = np.ones((4, 3), "float32")
    out = model(x)
    assert not isinstance(out, list | tuple) and out.shape == (4, 2)
    predicted = model.predict(x, verbose=0)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (4, 2)
    assert isinstance(model.output, list) and model.output[0] is model.outputs[0]
    assert model.input is inputs
    model.compile(optimizer="sgd", loss=["mse"])
    history = model.fit(x, np.zeros((4, 2), "float32"), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    two = heft.Model(inputs, [dense(inputs), layers.Dense(1)(inputs)])
    assert isinstance(two(x), list) and len(two(x)) == 2
