"""clone_model and to_json/model_from_json side by side with Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


def _sequential(lib):
    return lib.Sequential(
        [
            lib.Input((3,), name="inp"),
            lib.layers.Dense(4, activation="relu", name="d1"),
            lib.layers.Dropout(0.2, name="drop"),
            lib.layers.Dense(2, name="d2"),
        ],
        name="seq",
    )


def _graph(lib):
    """Two inputs, a shared layer, a nested model and ops on symbolic tensors."""
    a = lib.Input((3,), name="a")
    b = lib.Input((3,), name="b")
    shared = lib.layers.Dense(4, name="shared")
    x1, x2 = shared(a), shared(b)
    nested = lib.Sequential(
        [lib.Input((4,), name="nest_in"), lib.layers.Dense(2, name="nd")], name="nest"
    )
    y = lib.ops.concatenate([nested(x1), x2 * 2], axis=-1)
    return lib.Model([a, b], lib.layers.Dense(3, name="head")(y), name="graph")


def _converging(lib):
    """A shared layer whose two calls feed one concatenation (call order = graph order)."""
    a = lib.Input((3,), name="a")
    b = lib.Input((3,), name="b")
    shared = lib.layers.Dense(4, name="shared")
    joined = lib.layers.Concatenate(name="cat")([shared(a), shared(b)])
    return lib.Model([a, b], lib.layers.Dense(2, name="head")(joined * 2), name="conv")


def _plain(config):
    return json.loads(json.dumps(config))


def _without_build_configs(config):
    """heft's Functional config leaves out each layer's ``build_config``; Keras writes it."""
    config = _plain(config)
    for entry in config["layers"]:
        entry.pop("build_config", None)
    return config


def _inputs():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")]


def _same_outputs(k_model, h_model, x):
    h_model.set_weights(k_model.get_weights())
    np.testing.assert_allclose(np.asarray(h_model(x)), np.asarray(k_model(x)), rtol=1e-5, atol=1e-6)


def test_clone_sequential_matches_keras():
    keras.backend.clear_session()
    k_clone = keras.models.clone_model(_sequential(keras))
    h_clone = heft.models.clone_model(_sequential(heft))
    assert _plain(h_clone.get_config()) == _plain(k_clone.get_config())
    assert [w.path for w in h_clone.weights] == [w.path for w in k_clone.weights]
    _same_outputs(k_clone, h_clone, _inputs()[0])


def test_clone_functional_config_matches_keras():
    keras.backend.clear_session()
    k_clone = keras.models.clone_model(_converging(keras))
    h_clone = heft.models.clone_model(_converging(heft))
    assert _without_build_configs(h_clone.get_config()) == _without_build_configs(
        k_clone.get_config()
    )
    assert [w.path for w in h_clone.weights] == [w.path for w in k_clone.weights]
    _same_outputs(k_clone, h_clone, _inputs())


@pytest.mark.parametrize("recursive", [False, True])
def test_clone_functional_layers_calls_and_weights_match_keras(recursive):
    keras.backend.clear_session()
    calls = {}
    for lib in (keras, heft):
        seen = calls.setdefault(lib.__name__, [])

        def call_function(layer, *args, _seen=seen, **kwargs):
            first = args[0][0] if isinstance(args[0], list) else args[0]
            _seen.append((layer.name, first._keras_history[0].name))
            return layer(*args, **kwargs)

        clone = lib.models.clone_model(
            _graph(lib), call_function=call_function, recursive=recursive
        )
        calls[lib.__name__ + "_model"] = clone
    k_clone, h_clone = calls["keras_model"], calls["heft_model"]
    # Same calls in the same order (call_function does not reach into a nested Sequential).
    assert calls["heft"] == calls["keras"] and len(calls["heft"]) == 6
    assert [layer.name for layer in h_clone.layers] == [layer.name for layer in k_clone.layers]
    assert [op.name for op in h_clone.operations] == [op.name for op in k_clone.operations]
    assert [w.shape for w in h_clone.weights] == [tuple(w.shape) for w in k_clone.weights]
    if recursive:
        # (Keras's `Sequential.from_config` builds the nested layers outside the model's
        # name scope, so without `recursive` its paths lose the `nest/` prefix; heft's keep it.)
        assert [w.path for w in h_clone.weights] == [w.path for w in k_clone.weights]
    _same_outputs(k_clone, h_clone, _inputs())


def test_clone_functional_clone_function_sees_the_layers_keras_passes():
    keras.backend.clear_session()
    seen = {"keras": [], "heft": []}
    for lib in (keras, heft):

        def clone_function(layer, _seen=seen[lib.__name__]):
            _seen.append(layer.name)
            return layer.__class__.from_config(layer.get_config())

        lib.models.clone_model(_graph(lib), clone_function=clone_function)
    # Keras also passes the op nodes; heft copies those itself.
    assert seen["heft"] == [
        name for name in seen["keras"] if name not in ("multiply", "concatenate")
    ]


def test_model_from_json_reads_keras_to_json():
    keras.backend.clear_session()
    for build, x in ((_sequential, _inputs()[0]), (_graph, _inputs())):
        k_model = build(keras)
        h_model = heft.models.model_from_json(k_model.to_json())
        assert [layer.name for layer in h_model.layers] == [layer.name for layer in k_model.layers]
        assert [w.shape for w in h_model.weights] == [tuple(w.shape) for w in k_model.weights]
        _same_outputs(k_model, h_model, x)


def test_keras_model_from_json_reads_heft_to_json():
    keras.backend.clear_session()
    for build, x in ((_sequential, _inputs()[0]), (_graph, _inputs())):
        h_model = build(heft)
        k_model = keras.models.model_from_json(h_model.to_json())
        assert [layer.name for layer in k_model.layers] == [layer.name for layer in h_model.layers]
        k_model.set_weights(h_model.get_weights())
        np.testing.assert_allclose(
            np.asarray(k_model(x)), np.asarray(h_model(x)), rtol=1e-5, atol=1e-6
        )


def test_sequential_to_json_equals_keras_and_compile_config_travels():
    keras.backend.clear_session()
    k_model, h_model = _sequential(keras), _sequential(heft)
    for model in (k_model, h_model):
        model.compile(optimizer="sgd", loss="mse")
    assert json.loads(h_model.to_json()) == json.loads(k_model.to_json())
    k_read = keras.models.model_from_json(h_model.to_json())
    h_read = heft.models.model_from_json(k_model.to_json())
    assert k_read.compiled and type(k_read.optimizer).__name__ == "SGD"
    assert h_read.compiled and type(h_read.optimizer).__name__ == "SGD"


@pytest.mark.parametrize(
    ("build", "kwargs", "error", "match"),
    [
        (_sequential, {"foo": 1}, ValueError, r"Unexpected keyword argument\(s\)"),
        (
            _sequential,
            {"call_function": lambda layer, *a, **k: layer(*a, **k)},
            ValueError,
            "`call_function` argument is not supported with Sequential",
        ),
        (_sequential, {"clone_function": 5}, TypeError, "callable"),
        (_graph, {"call_function": 5}, TypeError, "callable"),
        (_sequential, {"input_tensors": [1]}, ValueError, "must be a KerasTensor"),
        (_graph, {"input_tensors": [1, 2]}, ValueError, "must be KerasTensors"),
        (_graph, {"input_tensors": "tuple"}, ValueError, "same structure as model.input"),
    ],
)
def test_clone_model_errors_match_keras(build, kwargs, error, match):
    keras.backend.clear_session()
    for lib in (keras, heft):
        given = dict(kwargs)
        if given.get("input_tensors") == "tuple":
            given["input_tensors"] = (lib.Input((3,)), lib.Input((3,)))
        with pytest.raises(error, match=match):
            lib.models.clone_model(build(lib), **given)


def _subclassed(lib):
    class Sub(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = lib.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    return Sub


def test_clone_model_subclassed_refusals_match_keras():
    keras.backend.clear_session()
    for lib in (keras, heft):
        cls = _subclassed(lib)
        model = cls()
        with pytest.raises(ValueError, match="`clone_function` and `input_tensors` are only"):
            lib.models.clone_model(model, input_tensors=[lib.Input((3,))])
        with pytest.raises(ValueError, match="`call_function` is only supported for Functional"):
            lib.models.clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))
        model(np.ones((1, 3), "float32"))
        clone = lib.models.clone_model(model)
        assert type(clone) is cls and [tuple(w.shape) for w in clone.weights] == [(3, 2), (2,)]
