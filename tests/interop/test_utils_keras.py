"""heft.utils helpers side by side with keras.utils."""

import io
import logging
import os
import re
import sys

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft


@pytest.mark.parametrize(
    ("labels", "num_classes"),
    [([0, 2, 1], None), ([[1], [3]], None), (np.array([[0, 1], [2, 0]]), 4), ([3], 5)],
)
def test_to_categorical(labels, num_classes):
    ours = heft.utils.to_categorical(labels, num_classes)
    theirs = keras.utils.to_categorical(labels, num_classes)
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_array_equal(ours, theirs)


def test_to_categorical_jax_input_and_bad_label():
    ours = heft.utils.to_categorical(jnp.array([[1], [0]]), 3)
    theirs = keras.utils.to_categorical(jnp.array([[1], [0]]), 3)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
    with pytest.raises(ValueError, match="outside"):
        heft.utils.to_categorical([0, 3], 3)


@pytest.mark.parametrize("axis", [-1, 0])
@pytest.mark.parametrize("order", [1, 2])
def test_normalize(axis, order):
    x = np.array([[3.0, 4.0, 0.0], [0.0, 0.0, 0.0]])
    norm = np.linalg.norm(x, order, axis, keepdims=True)
    expected = x / np.where(norm == 0, 1, norm)
    np.testing.assert_allclose(heft.utils.normalize(x, axis, order), expected)
    if axis == -1:  # Keras 3.15 divides by the wrong axis' norms for axis=0
        np.testing.assert_allclose(
            heft.utils.normalize(x, axis, order), keras.utils.normalize(x, axis, order)
        )
    y = jnp.asarray(x[:1], dtype="float32")
    np.testing.assert_allclose(
        np.asarray(heft.utils.normalize(y, axis, order)),
        np.asarray(keras.utils.normalize(y, axis, order)),
        rtol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"maxlen": 2},
        {"maxlen": 4, "padding": "post", "truncating": "post", "value": -1},
        {"dtype": "float32", "value": 0.5},
    ],
)
def test_pad_sequences(kwargs):
    sequences = [[1, 2, 3], [4], [], [5, 6]]
    ours = heft.utils.pad_sequences(sequences, **kwargs)
    theirs = keras.utils.pad_sequences(sequences, **kwargs)
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)


def test_pad_sequences_items_and_errors():
    sequences = [np.ones((2, 3)), np.zeros((1, 3))]
    np.testing.assert_array_equal(
        heft.utils.pad_sequences(sequences, dtype="float32"),
        keras.utils.pad_sequences(sequences, dtype="float32"),
    )
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.utils.pad_sequences([[1]], padding="middle")
        with pytest.raises(ValueError):
            lib.utils.pad_sequences([1, 2])
        with pytest.raises(ValueError):
            lib.utils.pad_sequences([np.ones((2, 3)), np.ones((2, 4))])
        with pytest.raises(ValueError):
            lib.utils.pad_sequences([["a"]], value="x")


def _metric_values(text):
    return dict(re.findall(r"(\w+): ([-\d.e+]+)", text.splitlines()[-1]))


@pytest.mark.parametrize("stateful", [None, ["acc"]])
def test_progbar_averages_like_keras(monkeypatch, stateful):
    outputs = []
    for lib in (keras, heft):
        buffer = io.StringIO()
        monkeypatch.setattr(sys, "stdout", buffer)
        bar = lib.utils.Progbar(6, verbose=2, stateful_metrics=stateful)
        bar.update(2, [("loss", 1.0), ("acc", 0.5)])
        bar.add(2, [("loss", 4.0), ("acc", 0.25)])
        bar.update(5, [("loss", 2.0), ("acc", 1.0)], finalize=False)
        before_final = {k: bar._values[k] for k in ("loss", "acc")}
        bar.update(6, [("loss", 3.0)])
        monkeypatch.undo()
        outputs.append((_metric_values(buffer.getvalue()), before_final))
    assert outputs[0] == outputs[1]
    assert outputs[1][0] == {"loss": "3.0000", "acc": outputs[0][0]["acc"]}


def test_progbar_argument_errors():
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.utils.Progbar(3, stateful_metrics=["a"], stateless_metrics=["b"])


def test_config():
    for lib in (keras, heft):
        config = lib.utils.Config(learning_rate=0.1, name="x")
        config.epochs = 3
        config["batch"] = 8
        assert list(config) == ["batch", "epochs", "learning_rate", "name"]
        assert config.as_dict() == {"learning_rate": 0.1, "name": "x", "epochs": 3, "batch": 8}
        assert "epochs" in config and len(config) == 4 and config.get("nope", 1) == 1
        assert config.pop("name") == "x"
        config.freeze()
        assert config.frozen
        for change in (
            lambda c: setattr(c, "epochs", 4),
            lambda c: c.__setitem__("a", 1),
            lambda c: c.update(a=1),
            lambda c: c.__delitem__("batch"),
        ):
            with pytest.raises(ValueError, match="frozen"):
                change(config)
        config.unfreeze()
        config.epochs = 5
        assert config.to_json() == '{"learning_rate": 0.1, "epochs": 5, "batch": 8}'
        with pytest.raises(AttributeError, match="Did you mean 'epochs'"):
            _ = config.epoch


@pytest.mark.parametrize(
    "dtype", ["float32", np.int8, "int", int, float, complex, jnp.bfloat16, "bool", str, None]
)
def test_standardize_dtype(dtype):
    assert heft.utils.standardize_dtype(dtype) == keras.utils.standardize_dtype(dtype)


@pytest.mark.parametrize("dtype", ["double", "nope", "float"])
def test_standardize_dtype_refuses_what_keras_refuses(dtype):
    for lib in (keras, heft):
        with pytest.raises(ValueError, match="Invalid dtype"):
            lib.utils.standardize_dtype(dtype)


def _two_inputs(lib):
    a, b = lib.Input((2,), name="a"), lib.Input((2,), name="b")
    c = lib.Input((2,), name="c")
    x = lib.layers.Add(name="add")([a, b])
    y = lib.layers.Concatenate(name="cat")([x, a, c])
    return a, b, c, lib.layers.Dense(1, name="out")(y)


def test_get_source_inputs_and_is_keras_tensor():
    _ka, _kb, _kc, ky = _two_inputs(keras)
    ha, hb, hc, hy = _two_inputs(heft)
    theirs = [t.name for t in keras.utils.get_source_inputs(ky)]
    ours = heft.utils.get_source_inputs(hy)
    assert [t is s for t, s in zip(ours, [ha, hb, hc], strict=True)] == [True] * 3
    assert theirs == ["a", "b", "c"]
    assert heft.utils.get_source_inputs(ha) == [ha]
    for lib, tensor in ((keras, ky), (heft, hy)):
        assert lib.utils.is_keras_tensor(tensor)
        assert not lib.utils.is_keras_tensor(np.ones(2))


def test_clear_session_resets_names_and_policy():
    for lib in (keras, heft):
        lib.layers.Dense(2)
        lib.config.set_dtype_policy("mixed_float16")
        lib.config.disable_interactive_logging()
        lib.utils.clear_session()
        assert lib.layers.Dense(2).name == "dense"
        assert lib.config.dtype_policy().name == "float32"
        assert lib.config.is_interactive_logging_enabled()
        lib.utils.clear_session(free_memory=False)


def test_interactive_logging_switch(caplog, capsys):
    for lib in (keras, heft):
        lib.utils.disable_interactive_logging()
        assert not lib.utils.is_interactive_logging_enabled()
        assert not lib.config.is_interactive_logging_enabled()
        lib.utils.enable_interactive_logging()
        assert lib.config.is_interactive_logging_enabled()
    heft.config.disable_interactive_logging()
    try:
        with caplog.at_level(logging.INFO, logger="heft"):
            bar = heft.utils.Progbar(2, verbose=1)
            bar.update(2, [("loss", 0.5)])
            heft.callbacks.EarlyStopping(verbose=1, patience=0)
    finally:
        heft.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
    assert any("loss: 0.5000" in record.getMessage() for record in caplog.records)


def _all_nodes(graph):
    yield from graph.get_nodes()
    for sub in graph.get_subgraphs():
        yield from _all_nodes(sub)


def _dot_graph(dot):
    names = {}
    for node in _all_nodes(dot):
        found = re.search(r"<b>([\w]+)</b>", node.get("label") or "")
        if found:
            names[node.get_name()] = found.group(1)
    edges = sorted((names[e.get_source()], names[e.get_destination()]) for e in dot.get_edges())
    return sorted(names.values()), edges


def _nested_model(lib):
    inner = lib.Sequential([lib.Input((3,)), lib.layers.Dense(3, name="inner_d")], name="inner")
    x = lib.Input((3,), name="x")
    y = lib.layers.Dense(3, activation="relu", name="d1")(x)
    z = lib.layers.Add(name="add")([inner(y), y])
    return lib.Model(x, lib.layers.Dense(1, name="head")(z), name="outer")


@pytest.mark.parametrize("expand_nested", [False, True])
def test_model_to_dot_same_graph_as_keras(expand_nested):
    kwargs = {"expand_nested": expand_nested, "show_shapes": True, "show_trainable": True}
    theirs = keras.utils.model_to_dot(_nested_model(keras), **kwargs)
    ours = heft.utils.model_to_dot(_nested_model(heft), **kwargs)
    assert _dot_graph(ours) == _dot_graph(theirs)
    assert ours.get("rankdir") == theirs.get("rankdir") == "TB"
    label = next(n.get("label") for n in ours.get_nodes() if "d1" in (n.get("label") or ""))
    assert "Output shape: <b>(None, 3)</b>" in label and "Trainable" in label


def test_model_to_dot_sequential_and_plot_model(tmp_path):
    for lib in (keras, heft):
        model = lib.Sequential(
            [lib.Input((2,)), lib.layers.Dense(2, name="a"), lib.layers.Dense(1, name="b")]
        )
        assert _dot_graph(lib.utils.model_to_dot(model))[1] == [("a", "b")]
        with pytest.raises(ValueError):
            lib.utils.model_to_dot(lib.Sequential([lib.layers.Dense(1)]))
    heft.utils.plot_model(model, to_file=tmp_path / "m.dot", show_layer_names=True)
    text = (tmp_path / "m.dot").read_text()
    assert text.startswith("digraph") and "<b>a</b> (Dense)" in text
    with pytest.raises(ValueError, match="Unrecognized"):
        heft.utils.plot_model(model, to_file=tmp_path / "n.dot", bogus=1)
    assert not (tmp_path / "n.dot").exists()
