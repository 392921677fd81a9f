"""Lambda: calls, masks, output shapes, configs with lambdas and named functions, safe mode."""

import base64
import copy
import functools
import json
import marshal

import numpy as np
import pytest

import heft
from heft.layers import Lambda
from heft.layers._lambda import load_lambda, serialize_function


@pytest.fixture
def unsafe():
    with heft.saving.SafeModeScope(False):
        yield


def _json(config):
    return json.loads(json.dumps(config))


def test_lambda_applies_function_with_arguments():
    layer = Lambda(lambda x, k, b=0.0: x * k + b, arguments={"k": 2.0, "b": 1.0})
    out = layer(np.ones((2, 3), "float32"))
    np.testing.assert_allclose(np.asarray(out), 3.0)
    assert layer.weights == []
    assert not layer.supports_masking


def test_lambda_passes_mask_and_training_when_the_function_asks():
    seen = {}

    def fn(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x

    layer = Lambda(fn)
    mask = np.array([True, False])
    # Without a `mask` argument of its own the layer cannot pass the mask on, as in Keras.
    with pytest.warns(UserWarning, match="does not support masking"):
        layer(np.ones((2, 3), "float32"), mask=mask, training=True)
    assert seen["mask"] is mask
    assert seen["training"] is True


def test_lambda_mask_argument_sets_output_mask():
    fixed = Lambda(lambda x: x, mask=np.array([True, False]))
    assert fixed.supports_masking
    np.testing.assert_array_equal(fixed.compute_mask(None, None), [True, False])
    computed = Lambda(lambda x: x, mask=lambda inputs, mask: inputs[..., 0] > 0)
    mask = computed.compute_mask(np.array([[1.0], [-1.0]]), None)
    np.testing.assert_array_equal(np.asarray(mask), [True, False])
    assert Lambda(lambda x: x).compute_mask(np.ones(2), None) is None


def test_lambda_output_shape_inferred_given_or_computed():
    inputs = heft.Input((3, 4))
    assert Lambda(lambda x: x[:, 0])(inputs).shape == (None, 4)
    assert Lambda(lambda x: x, output_shape=(3, 4)).compute_output_shape((None, 3, 4)) == (
        None,
        3,
        4,
    )
    assert Lambda(lambda x: x, output_shape=[12])(inputs).shape == (None, 12)
    by_function = Lambda(lambda x: x, output_shape=lambda s: (s[0], 7))
    assert by_function.compute_output_shape((None, 3, 4)) == (None, 7)
    assert Lambda(lambda x: x[:, 0]).compute_output_shape((5, 3, 4)) == (5, 4)
    two = Lambda(lambda xs: [xs[0], xs[1]], output_shape=[(3, 4), (2,)])
    assert two.compute_output_shape([(None, 3, 4), (None, 2)]) == [(None, 3, 4), (None, 2)]
    outs = two([inputs, heft.Input((2,))])
    assert [o.shape for o in outs] == [(None, 3, 4), (None, 2)]


def test_lambda_output_shape_inference_failure_asks_for_output_shape():
    layer = Lambda(lambda x: x.reshape((7, 5)))
    with pytest.raises(NotImplementedError, match="Pass the `output_shape` argument"):
        layer.compute_output_shape((None, 3))


def test_lambda_rejects_non_callable_function_and_bad_arguments():
    with pytest.raises(TypeError, match="must be callable"):
        Lambda(3)
    with pytest.raises(TypeError, match="must be a dict"):
        Lambda(lambda x: x, arguments=[1])


def test_lambda_config_holds_lambda_bytecode():
    offset = 4

    def make():
        return lambda x, p=2: x**p + offset

    layer = Lambda(make(), output_shape=(3,), mask=[True], arguments={"p": 3})
    config = layer.get_config()
    fn = config["function"]
    assert fn["class_name"] == "__lambda__"
    assert fn["config"]["defaults"] == (2,)
    assert fn["config"]["closure"] == (4,)
    code = marshal.loads(base64.decodebytes(fn["config"]["code"].encode("ascii")))
    assert code.co_name == "<lambda>"
    assert config["output_shape"] == (3,)
    assert config["mask"] == [True]
    assert config["arguments"] == {"p": 3}
    assert config["name"] == "lambda"


def test_lambda_config_names_a_named_function():
    def local_fn(x):
        return x

    config = Lambda(local_fn, output_shape=lambda s: s).get_config()
    assert config["function"] == {
        "module": "builtins",
        "class_name": "function",
        "config": "local_fn",
        "registered_name": "function",
    }
    assert config["output_shape"]["class_name"] == "__lambda__"
    assert "mask" not in config
    relu = Lambda(heft.activations.relu).get_config()["function"]
    assert relu["config"] == "relu"


def test_lambda_config_serializes_array_arguments():
    layer = Lambda(lambda x, w: x * w, arguments={"w": np.array([1.0, 2.0], "float32")})
    config = _json(layer.get_config())
    assert config["arguments"]["w"]["class_name"] == "__numpy__"
    with heft.saving.SafeModeScope(False):
        clone = Lambda.from_config(config)
    assert isinstance(clone.arguments["w"], np.ndarray)
    np.testing.assert_allclose(np.asarray(clone(np.ones((1, 2), "float32"))), [[1.0, 2.0]])


def test_lambda_from_config_refuses_bytecode_in_safe_mode():
    config = _json(Lambda(lambda x: x + 1).get_config())
    assert heft.saving.in_safe_mode()
    before = copy.deepcopy(config)
    with pytest.raises(ValueError, match=r"arbitrary code execution.*safe_mode=False"):
        Lambda.from_config(config)
    assert config == before
    with heft.saving.SafeModeScope(False), pytest.raises(ValueError, match="`function`"):
        Lambda.from_config(config, safe_mode=True)


@pytest.mark.parametrize("field", ["output_shape", "mask"])
def test_lambda_from_config_refuses_any_serialized_lambda(field):
    kwargs = {field: lambda *a: a[0]}
    config = _json(Lambda(heft.activations.relu, **kwargs).get_config())
    with pytest.raises(ValueError, match=f"`{field}` is a Python lambda"):
        Lambda.from_config(config)


def test_lambda_from_config_loads_bytecode_when_unsafe_is_allowed(unsafe):
    scale = 3.0
    layer = Lambda(
        lambda x, p=2.0: x**p * scale,
        output_shape=lambda s: s,
        mask=lambda x, m: x > 0,
    )
    config = _json(layer.get_config())
    clone = Lambda.from_config(config)
    x = np.array([[1.0, -2.0]], "float32")
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(layer(x)))
    assert clone.compute_output_shape((None, 2)) == (None, 2)
    np.testing.assert_array_equal(np.asarray(clone.compute_mask(x, None)), [[True, False]])
    again = clone.get_config()["function"]["config"]
    assert (again["defaults"], again["closure"]) == ((2.0,), (3.0,))


def test_lambda_from_config_follows_enable_unsafe_deserialization():
    config = _json(Lambda(lambda x: x * 2).get_config())
    heft.config.enable_unsafe_deserialization()
    try:
        clone = Lambda.from_config(config)
    finally:
        heft.config.disable_unsafe_deserialization()
    np.testing.assert_allclose(np.asarray(clone(np.ones(2, "float32"))), 2.0)
    clone = Lambda.from_config(config, safe_mode=False)
    np.testing.assert_allclose(np.asarray(clone(np.ones(2, "float32"))), 2.0)


def test_loaded_lambda_resolves_keras_global(unsafe):
    source = "lambda x: keras.ops.sum(x, axis=-1)"
    fn = eval(source, {"keras": heft})
    config = _json(Lambda(fn).get_config())
    assert config["function"]["config"]["closure"] is None
    clone = Lambda.from_config(config)
    np.testing.assert_allclose(np.asarray(clone(np.ones((2, 3), "float32"))), [3.0, 3.0])


def test_lambda_named_functions_are_looked_up():
    @heft.saving.register_keras_serializable(package="lambda_test")
    def triple(x):
        return 3 * x

    config = _json(Lambda(triple).get_config())
    assert config["function"]["config"] == "lambda_test>triple"
    assert Lambda.from_config(config).function is triple
    assert Lambda.from_config(_json(Lambda(heft.activations.relu).get_config())).function is (
        heft.activations.relu
    )

    def local(x):
        return x

    local_config = _json(Lambda(local).get_config())
    with pytest.raises(TypeError, match="Could not locate function 'local'"):
        Lambda.from_config(local_config)
    assert Lambda.from_config(local_config, custom_objects={"local": local}).function is local
    old_style = {"pkg>local": local}
    assert Lambda.from_config(local_config, custom_objects=old_style).function is local
    with heft.saving.custom_object_scope({"local": local}):
        assert Lambda.from_config(local_config).function is local
    layer_config = _json(heft.layers.serialize(Lambda(local)))
    restored = heft.layers.deserialize(layer_config, custom_objects={"local": local})
    assert restored.function is local


def test_lambda_layer_round_trips_through_layers_serialize(unsafe):
    layer = Lambda(lambda x: x - 1.0, name="minus")
    restored = heft.layers.deserialize(_json(heft.layers.serialize(layer)))
    assert isinstance(restored, Lambda)
    assert restored.name == "minus"
    np.testing.assert_allclose(np.asarray(restored(np.ones(2, "float32"))), 0.0)


def test_serialize_function_rejects_unnamed_callables():
    with pytest.raises(ValueError, match="Cannot serialize"):
        serialize_function(functools.partial(max, 1))


def _lambda_config(code, defaults=None, closure=None):
    return {
        "class_name": "__lambda__",
        "config": {"code": code, "defaults": defaults, "closure": closure},
    }


def test_load_lambda_rejects_damaged_configs():
    good = serialize_function(lambda x: x)["config"]["code"]
    with pytest.raises(ValueError, match="Python version that wrote"):
        load_lambda(_lambda_config("bm90IGNvZGU=\n"), "test config")
    with pytest.raises(ValueError, match="base64 string"):
        load_lambda(_lambda_config(None), "test config")
    not_code = base64.encodebytes(marshal.dumps(42)).decode("ascii")
    with pytest.raises(ValueError, match="does not hold a code object"):
        load_lambda(_lambda_config(not_code), "test config")
    with pytest.raises(ValueError, match="closure"):
        load_lambda(_lambda_config(good, closure=[1]), "test config")
    assert load_lambda(_lambda_config(good), "test config")(5) == 5
