"""Functional models with ops on symbolic tensors: configs move between Keras 3 and heft."""

import json

import keras
import numpy as np

import heft


def _build(lib):
    inp = lib.Input((6,), name="x")
    h = lib.layers.Dense(4, name="d")(inp)
    y = lib.ops.concatenate([h * 2.0 - 1.0, lib.ops.relu(h), -h], axis=-1)
    y = y[:, 1:10]
    y = lib.ops.mean(y, axis=-1, keepdims=True) + lib.ops.max(h, axis=1, keepdims=True)
    y = lib.ops.reshape(lib.ops.tile(y, (1, 4)), (-1, 2, 2))
    return lib.Model(inp, y)


def _x():
    return np.random.default_rng(0).normal(size=(3, 6)).astype("float32")


def test_operations_keras_outputs_and_config_match():
    # Op names come from per-process counters: start Keras's afresh, as heft's are per test.
    keras.backend.clear_session()
    k_model, h_model = _build(keras), _build(heft)
    h_model.set_weights(k_model.get_weights())
    np.testing.assert_allclose(
        np.asarray(h_model(_x())), np.asarray(k_model(_x())), rtol=1e-6, atol=1e-6
    )
    k_config = json.loads(json.dumps(k_model.get_config()))
    h_config = json.loads(json.dumps(h_model.get_config()))
    k_ops = k_config["layers"][2:]
    h_ops = h_config["layers"][2:]
    assert [(e["module"], e["class_name"]) for e in h_ops] == [
        (e["module"], e["class_name"]) for e in k_ops
    ]
    # heft writes the arguments given; Keras also writes the op's other defaults.
    for h, k in zip(h_ops, k_ops, strict=True):
        assert h["config"] == {key: k["config"][key] for key in h["config"]}
    k_nodes = [e["inbound_nodes"] for e in k_config["layers"]]
    h_nodes = [e["inbound_nodes"] for e in h_config["layers"]]
    assert h_nodes == k_nodes


def test_operations_keras_configs_load_both_ways():
    k_model = _build(keras)
    h_from_k = heft.Model.from_config(json.loads(json.dumps(k_model.get_config())))
    h_from_k.set_weights(k_model.get_weights())
    np.testing.assert_allclose(
        np.asarray(h_from_k(_x())), np.asarray(k_model(_x())), rtol=1e-6, atol=1e-6
    )
    h_model = _build(heft)
    k_from_h = keras.Model.from_config(json.loads(json.dumps(h_model.get_config())))
    k_from_h.set_weights(h_model.get_weights())
    np.testing.assert_allclose(
        np.asarray(k_from_h(_x())), np.asarray(h_model(_x())), rtol=1e-6, atol=1e-6
    )
