"""Ops on symbolic tensors inside Functional models (``x * 2``, ``heft.ops.concatenate``)."""

import json

import numpy as np
import pytest

import heft
from heft import layers
from heft.ops._graph_op import GraphOp, keras_class_name, op_name_of_class


def _model():
    inp = heft.Input((4,), name="x")
    h = layers.Dense(3, name="d")(inp)
    y = heft.ops.concatenate([h * 2.0 + 1.0, heft.ops.relu(h)], axis=-1)
    head = y[:, :2]
    pooled = heft.ops.mean(head, axis=-1, keepdims=True)
    return heft.Model(inp, [head, pooled])


def _reference(model, x):
    kernel, bias = model.get_weights()
    h = x @ kernel + bias
    y = np.concatenate([h * 2.0 + 1.0, np.maximum(h, 0)], axis=-1)
    head = y[:, :2]
    return head, head.mean(-1, keepdims=True)


def test_operations_symbolic_arithmetic_builds_graph_nodes():
    model = _model()
    assert [layer.name for layer in model.layers] == ["x", "d"]
    assert [op.name for op in model.operations][2:] == [
        "multiply",
        "add",
        "relu",
        "concatenate",
        "get_item",
        "mean",
    ]
    assert [w.path for w in model.weights] == ["d/kernel", "d/bias"]


def test_operations_compute_the_ops_on_data():
    model = _model()
    x = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
    for got, want in zip(model(x), _reference(model, x), strict=True):
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-6, atol=1e-6)


def test_operations_shapes_are_inferred():
    inp = heft.Input((None, 8))
    out = heft.ops.reshape(inp[:, -1, :], (-1, 2, 4))
    assert out.shape == (None, 2, 4)
    assert heft.ops.shape(inp) == (None, None, 8)
    assert (inp > 0).dtype == "bool"


def test_operations_config_round_trip_keeps_outputs():
    model = _model()
    config = json.loads(json.dumps(model.get_config()))
    kinds = [(entry["module"], entry["class_name"]) for entry in config["layers"]]
    assert ("keras.src.ops.numpy", "Concatenate") in kinds
    assert ("keras.src.ops.nn", "Relu") in kinds
    concat = next(e for e in config["layers"] if e["class_name"] == "Concatenate")
    assert concat["config"] == {"name": "concatenate", "axis": -1}
    rebuilt = heft.Model.from_config(config)
    rebuilt.set_weights(model.get_weights())
    x = np.ones((2, 4), "float32")
    for a, b in zip(model(x), rebuilt(x), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def test_operations_train_in_fit():
    inp = heft.Input((4,))
    out = layers.Dense(1)(inp) * 0.5 + heft.ops.sum(inp, axis=-1, keepdims=True)
    model = heft.Model(inp, out)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(1).normal(size=(32, 4)).astype("float32")
    history = model.fit(x, x.sum(-1, keepdims=True), epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_operations_summary_lists_ops():
    lines = []
    _model().summary(print_fn=lines.append, line_length=150)
    text = "\n".join(lines)
    assert "concatenate (Concatenate)" in text
    assert "get_item (GetItem)" in text


def test_operations_names_map_to_keras_classes():
    assert keras_class_name("get_item") == "GetItem"
    assert keras_class_name("swish") == "Silu"
    assert op_name_of_class("LogSoftmax") == "log_softmax"
    assert op_name_of_class("HardSilu") == "hard_silu"


def test_operations_unknown_op_in_config_is_refused():
    with pytest.raises(ValueError, match="Unknown op 'no_such_op'"):
        GraphOp("no_such_op")


def test_operations_bad_arguments_name_the_op():
    with pytest.raises(TypeError, match="concatenate"):
        heft.ops.concatenate([heft.Input((2,))], axis=-1, not_an_argument=1)
