"""clone_model, Model.to_json and model_from_json: architecture, fresh weights, errors."""

import json

import numpy as np
import pytest

import heft
from heft import layers


def _graph_model():
    """Two inputs, a shared layer, a nested model and ops on symbolic tensors."""
    a = heft.Input((3,), name="a")
    b = heft.Input((3,), name="b")
    shared = layers.Dense(4, name="shared")
    x1, x2 = shared(a), shared(b)
    nested = heft.Sequential(
        [heft.Input((4,), name="nest_in"), layers.Dense(2, name="nd")], name="nest"
    )
    y = heft.ops.concatenate([nested(x1), x2 * 2], axis=-1)
    return heft.Model([a, b], layers.Dense(3, name="head")(y), name="graph")


def _sequential():
    return heft.Sequential(
        [
            heft.Input((3,), name="inp"),
            layers.Dense(4, activation="relu", name="d1"),
            layers.Dropout(0.2, name="drop"),
            layers.Dense(2, name="d2"),
        ],
        name="seq",
    )


def _plain(config):
    return json.loads(json.dumps(config))


def _canonical(config):
    """A Functional config with each node named by what it computes, nodes sorted per layer.

    Two configs of the same graph whose shared layers list their calls in a
    different order (so node indices differ) give the same canonical form.
    """
    config = _plain(config)
    by_name = {entry["name"]: entry for entry in config["layers"]}

    def node(name, index):
        entry = by_name[name]
        if not entry["inbound_nodes"]:
            return name
        return f"{name}({json.dumps(resolve(entry['inbound_nodes'][index]))})"

    def resolve(x):
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            name, index, tensor = x["config"]["keras_history"]
            return f"{node(name, index)}[{tensor}]"
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        if isinstance(x, list):
            return [resolve(v) for v in x]
        return x

    def refs(x):
        if isinstance(x, list) and len(x) == 3 and isinstance(x[0], str):
            return f"{node(x[0], x[1])}[{x[2]}]"
        if isinstance(x, dict):
            return {k: refs(v) for k, v in x.items()}
        return [refs(v) for v in x]

    layers_out = []
    for entry in config["layers"]:
        nodes = sorted(json.dumps(resolve(n)) for n in entry["inbound_nodes"])
        layers_out.append({**entry, "inbound_nodes": nodes})
    return {
        **config,
        "layers": layers_out,
        "input_layers": refs(config["input_layers"]),
        "output_layers": refs(config["output_layers"]),
    }


def _inputs():
    rng = np.random.default_rng(0)
    return [rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")]


def test_clone_model_sequential_same_architecture_fresh_weights():
    model = _sequential()
    clone = heft.models.clone_model(model)
    assert type(clone) is heft.Sequential and clone.name == "seq"
    assert _plain(clone.get_config()) == _plain(model.get_config())
    assert [w.path for w in clone.weights] == [w.path for w in model.weights]
    assert all(c is not o for c, o in zip(clone.layers, model.layers, strict=True))
    assert not np.allclose(clone.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())
    x = _inputs()[0]
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(x)), np.asarray(model(x)))


def test_clone_model_sequential_input_tensors_replace_the_input():
    model = _sequential()
    tensor = heft.Input((3,), name="new_input")
    clone = heft.models.clone_model(model, input_tensors=[tensor])
    assert clone.inputs[0] is tensor
    # As Keras: the new input layer keeps the original input's name.
    assert clone.get_config()["layers"][0]["config"]["name"] == "inp"
    assert [layer.name for layer in clone.layers] == ["d1", "drop", "d2"]


def test_clone_model_sequential_keeps_build_state_and_trainable():
    unbuilt = heft.Sequential([layers.Dense(2, name="q")])
    assert not heft.models.clone_model(unbuilt).built
    built = heft.Sequential([layers.Dense(2, name="q")])
    built.build((None, 5))
    clone = heft.models.clone_model(built)
    assert clone.built and clone.input_shape == (None, 5)
    frozen = _sequential()
    frozen.trainable = False
    frozen_clone = heft.models.clone_model(frozen)
    assert not frozen_clone.trainable and frozen_clone.trainable_weights == []


def test_clone_model_compiled_model_comes_back_compiled_with_new_optimizer():
    model = _sequential()
    model.compile(optimizer=heft.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])
    clone = heft.models.clone_model(model)
    assert clone.compiled and clone.optimizer is not model.optimizer
    assert type(clone.optimizer) is heft.optimizers.Adam
    assert float(clone.optimizer.learning_rate) == pytest.approx(0.01)
    assert not heft.models.clone_model(_sequential()).__dict__.get("compiled", False)


def test_clone_model_functional_same_graph_fresh_weights_same_outputs():
    model = _graph_model()
    clone = heft.models.clone_model(model)
    assert type(clone) is heft.models.Functional and clone.name == "graph"
    assert _canonical(clone.get_config()) == _canonical(model.get_config())
    assert [layer.name for layer in clone.layers] == ["a", "b", "shared", "nest", "head"]
    assert [op.name for op in clone.operations] == [op.name for op in model.operations]
    assert [(w.path, w.shape) for w in clone.weights] == [(w.path, w.shape) for w in model.weights]
    for old, new in zip(model.weights, clone.weights, strict=True):
        assert not np.allclose(old.numpy(), new.numpy()) or not old.numpy().any()
    assert not np.allclose(np.asarray(clone(_inputs())), np.asarray(model(_inputs())))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(np.asarray(clone(_inputs())), np.asarray(model(_inputs())))


def test_clone_model_functional_shared_layer_gets_one_clone():
    model = _graph_model()
    clone = heft.models.clone_model(model)
    shared = clone.get_layer("shared")
    assert shared is not model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert len(clone.get_config()["layers"][2]["inbound_nodes"]) == 2


def test_clone_model_functional_calls_nodes_deepest_first_as_keras():
    calls = []

    def call_function(layer, *args, **kwargs):
        first = args[0]
        source = first[0] if isinstance(first, list) else first
        calls.append((layer.name, source._keras_history[0].name))
        return layer(*args, **kwargs)

    heft.models.clone_model(_graph_model(), call_function=call_function)
    # Keras runs calls by depth; at equal depth in the order its depth walk met them.
    assert calls == [
        ("shared", "b"),
        ("shared", "a"),
        ("nest", "shared"),
        ("multiply", "shared"),
        ("concatenate", "nest"),
        ("head", "concatenate"),
    ]


def test_clone_model_clone_function_receives_each_layer_once_and_is_used():
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        config = layer.get_config()
        if layer.name == "head":
            config["activation"] = "tanh"
        return layer.__class__.from_config(config)

    clone = heft.models.clone_model(_graph_model(), clone_function=clone_function)
    # Ops (`x * 2`, `concatenate`) are copied by heft, not passed to clone_function.
    assert seen == ["shared", "nest", "head"]
    assert clone.get_layer("head").get_config()["activation"] == "tanh"
    assert [op.name for op in clone.operations][-3:] == ["multiply", "concatenate", "head"]


def test_clone_model_call_function_can_insert_layers_and_reuse_layers():
    model = _sequential_as_functional()

    def call_function(layer, *args, **kwargs):
        out = layer(*args, **kwargs)
        if isinstance(layer, layers.Dense):
            out = layers.Dropout(0.5)(out)
        return out

    clone = heft.models.clone_model(model, clone_function=lambda x: x, call_function=call_function)
    assert [type(layer).__name__ for layer in clone.layers] == [
        "InputLayer",
        "Dense",
        "Dropout",
        "Dense",
        "Dropout",
    ]
    assert clone.layers[1] is model.layers[1]
    np.testing.assert_array_equal(np.asarray(clone(_inputs()[0])), np.asarray(model(_inputs()[0])))


def _sequential_as_functional():
    x = heft.Input((3,), name="x")
    return heft.Model(x, layers.Dense(2, name="d2")(layers.Dense(4, name="d1")(x)))


def test_clone_model_recursive_clones_nested_models_with_clone_model():
    seen = []

    def clone_function(layer):
        seen.append(layer.name)
        return layer.__class__.from_config(layer.get_config())

    heft.models.clone_model(_graph_model(), clone_function=clone_function)
    assert "nest" in seen and "nd" not in seen
    seen.clear()
    clone = heft.models.clone_model(_graph_model(), clone_function=clone_function, recursive=True)
    assert seen == ["shared", "nd", "head"]
    nested = clone.get_layer("nest")
    assert type(nested) is heft.Sequential and nested.layers[0].name == "nd"


def test_clone_model_recursive_functional_passes_call_function():
    inner_in = heft.Input((3,), name="inner_in")
    inner = heft.Model(inner_in, layers.Dense(2, name="inner_d")(inner_in), name="inner")
    x = heft.Input((3,), name="x")
    model = heft.Model(x, inner(x), name="outer")
    called = []

    def call_function(layer, *args, **kwargs):
        called.append(layer.name)
        return layer(*args, **kwargs)

    clone = heft.models.clone_model(model, call_function=call_function, recursive=True)
    assert called == ["inner_d", "inner"]
    assert type(clone.get_layer("inner")) is heft.models.Functional


def test_clone_model_dict_inputs_and_outputs_keep_their_structure():
    inputs = {"p": heft.Input((3,), name="p"), "q": heft.Input((3,), name="q")}
    total = layers.Add(name="add")([inputs["p"], inputs["q"]])
    model = heft.Model(inputs, {"out": layers.Dense(2, name="out")(total)})
    clone = heft.models.clone_model(model)
    assert sorted(clone.input) == ["p", "q"] and list(clone.output) == ["out"]
    given = {"q": heft.Input((3,), name="Q"), "p": heft.Input((3,), name="P")}
    assert heft.models.clone_model(model, input_tensors=given).input["p"] is given["p"]


def test_clone_model_masks_survive():
    tokens = heft.Input((5,), dtype="int32", name="tokens")
    embedded = layers.Embedding(10, 4, mask_zero=True, name="emb")(tokens)
    model = heft.Model(tokens, layers.GlobalAveragePooling1D(name="pool")(embedded))
    clone = heft.models.clone_model(model)
    clone.set_weights(model.get_weights())
    x = np.array([[1, 2, 0, 0, 0], [3, 4, 5, 6, 0]], "int32")
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(model(x)), rtol=1e-6)
    unmasked = np.asarray(model.get_layer("emb").embeddings.numpy()[x].mean(axis=1))
    assert not np.allclose(np.asarray(clone(x)), unmasked)


class _Subclassed(heft.Model):
    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_clone_model_subclassed_model_through_its_config():
    model = _Subclassed(units=5, name="sub")
    model(np.ones((1, 3), "float32"))
    clone = heft.models.clone_model(model)
    assert type(clone) is _Subclassed and clone.units == 5 and clone.name == "sub"
    assert clone.built and [w.shape for w in clone.weights] == [(3, 5), (5,)]
    assert not np.allclose(clone.weights[0].numpy(), model.weights[0].numpy())


def test_clone_model_plain_layer_through_its_config():
    layer = layers.Dense(3, activation="relu", name="dd")
    clone = heft.models.clone_model(layer)
    assert clone is not layer and clone.get_config() == layer.get_config()


class _NeedsLayer(heft.Model):
    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.inner = layer

    def call(self, x):
        return self.inner(x)


def test_clone_model_subclassed_without_config_raises():
    with pytest.raises(NotImplementedError, match=r"arguments \['layer'\].*override `get_config"):
        heft.models.clone_model(_NeedsLayer(layers.Dense(2), name="needs"))


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"foo": 1}, ValueError, r"Unexpected keyword argument\(s\): \('foo',\)"),
        (
            {"call_function": lambda layer, *a, **k: layer(*a, **k)},
            ValueError,
            "`call_function` argument is not supported with Sequential",
        ),
        ({"clone_function": 5}, TypeError, "`clone_function` must be a callable.*clone_function=5"),
        ({"input_tensors": [1]}, ValueError, "must be a KerasTensor.*input_tensors=1"),
        ({"clone_function": lambda layer: 3}, ValueError, "for layer 'd1'.*returned 3"),
    ],
)
def test_clone_model_sequential_bad_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        heft.models.clone_model(_sequential(), **kwargs)


def test_clone_model_sequential_two_input_tensors_raise():
    with pytest.raises(ValueError, match=r"must contain a single tensor.*received 2"):
        heft.models.clone_model(_sequential(), input_tensors=[heft.Input((3,)), heft.Input((3,))])


def _two_outputs(layer, *args, **kwargs):
    return [layer(*args, **kwargs), layer(*args, **kwargs)]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"call_function": 5}, TypeError, "`call_function` must be a callable"),
        ({"clone_function": "dense"}, TypeError, "`clone_function` must be a callable"),
        ({"clone_function": lambda layer: 3}, TypeError, "for layer 'shared'.*returned 3"),
        (
            {"call_function": _two_outputs},
            ValueError,
            "'shared' gave 2 output.*original call gave 1",
        ),
        (
            {"input_tensors": [1, 2]},
            ValueError,
            "All entries in `input_tensors` must be KerasTensors",
        ),
        (
            {"input_tensors": (heft.Input((3,)), heft.Input((3,)))},
            ValueError,
            "same structure as model.input",
        ),
    ],
)
def test_clone_model_functional_bad_arguments_raise(kwargs, error, match):
    model = _graph_model()
    before = _plain(model.get_config())
    with pytest.raises(error, match=match):
        heft.models.clone_model(model, **kwargs)
    assert _plain(model.get_config()) == before


def test_clone_model_refuses_what_subclassed_models_do_not_support():
    model = _Subclassed(name="sub")
    with pytest.raises(ValueError, match="`clone_function` and `input_tensors` are only supported"):
        heft.models.clone_model(model, clone_function=lambda layer: layer)
    with pytest.raises(ValueError, match="`clone_function` and `input_tensors` are only supported"):
        heft.models.clone_model(model, input_tensors=[heft.Input((3,))])
    with pytest.raises(ValueError, match="`call_function` is only supported for Functional"):
        heft.models.clone_model(model, call_function=lambda layer, *a, **k: layer(*a, **k))


def test_clone_model_not_a_model_raises():
    with pytest.raises(TypeError, match=r"`model` must be a heft model.*model='abc'"):
        heft.models.clone_model("abc")


def test_to_json_and_model_from_json_round_trip():
    for model in (_sequential(), _graph_model()):
        text = model.to_json()
        assert json.loads(text)["class_name"] in ("Sequential", "Functional")
        rebuilt = heft.models.model_from_json(text)
        assert type(rebuilt) is type(model) and rebuilt.to_json() == text
        assert [w.shape for w in rebuilt.weights] == [w.shape for w in model.weights]
        rebuilt.set_weights(model.get_weights())
        x = _inputs() if len(model.inputs) == 2 else _inputs()[0]
        np.testing.assert_array_equal(np.asarray(rebuilt(x)), np.asarray(model(x)))
    assert _sequential().to_json(indent=2).startswith('{\n  "module"')


def test_model_from_json_compiles_when_the_json_holds_a_compile_config():
    model = _sequential()
    model.compile(optimizer="sgd", loss="mse")
    assert json.loads(model.to_json())["compile_config"]["loss"] == "mse"
    rebuilt = heft.models.model_from_json(model.to_json())
    assert rebuilt.compiled and type(rebuilt.optimizer) is heft.optimizers.SGD
    assert not heft.models.model_from_json(_sequential().to_json()).__dict__.get("compiled")


def test_model_from_json_subclassed_model_needs_custom_objects():
    model = _Subclassed(units=4, name="sub")
    model(np.ones((1, 3), "float32"))
    text = model.to_json()
    with pytest.raises(TypeError, match=r"Could not locate class '_Subclassed'.*custom_objects"):
        heft.models.model_from_json(text)
    rebuilt = heft.models.model_from_json(text, custom_objects={"_Subclassed": _Subclassed})
    assert rebuilt.units == 4 and [w.shape for w in rebuilt.weights] == [(3, 4), (4,)]


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (5, TypeError, "`json_string` must be the JSON text.*Received: 5"),
        ("{bad", ValueError, "`json_string` is not valid JSON"),
        ("[1]", ValueError, "does not describe a model.*Received: \\[1\\]"),
    ],
)
def test_model_from_json_bad_input_raises(value, error, match):
    with pytest.raises(error, match=match):
        heft.models.model_from_json(value)
