import numpy as np
import pytest

from heft import _registry, activations


@pytest.mark.parametrize("name", sorted(activations.ALL_OBJECTS_DICT))
def test_get_by_name_and_round_trip(name):
    fn = activations.get(name)
    assert fn is activations.ALL_OBJECTS_DICT[name]
    config = activations.serialize(fn)
    assert isinstance(config, str)
    assert activations.deserialize(config) is fn
    assert activations.get(config) is fn


def test_serialize_uses_canonical_names_for_aliases():
    assert activations.serialize(activations.relu) == "relu"
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(activations.hard_swish) == "hard_silu"


def test_get_none_callable_and_dict():
    assert activations.get(None) is activations.linear
    custom = lambda x: x * 3  # noqa: E731
    assert activations.get(custom) is custom
    config = {
        "module": "keras.activations",
        "class_name": "function",
        "config": "relu",
        "registered_name": None,
    }
    assert activations.get(config) is activations.relu
    assert activations.deserialize(config) is activations.relu


def test_deserialize_aliases_and_custom_objects():
    assert activations.deserialize("swish") is activations.silu

    def triple(x):
        return x * 3

    assert activations.deserialize("triple", custom_objects={"triple": triple}) is triple
    config = {
        "module": "builtins",
        "class_name": "function",
        "config": "triple",
        "registered_name": "function",
    }
    assert activations.deserialize(config, custom_objects={"triple": triple}) is triple


def test_registered_function_round_trips_through_dict_form():
    @_registry.register_keras_serializable(package="lookup_test")
    def scaled_tanh(x):
        return 2 * activations.tanh(x)

    config = activations.serialize(scaled_tanh)
    assert config == {
        "module": "builtins",
        "class_name": "function",
        "config": "lookup_test>scaled_tanh",
        "registered_name": "function",
    }
    assert activations.deserialize(config) is scaled_tanh
    assert activations.get(config) is scaled_tanh
    assert activations.get("lookup_test>scaled_tanh") is scaled_tanh


def test_unregistered_function_serializes_to_its_name():
    def my_act(x):
        return x

    config = activations.serialize(my_act)
    assert config["config"] == "my_act" and config["class_name"] == "function"


def test_callable_object_with_get_config_round_trips():
    @_registry.register_keras_serializable(package="lookup_test")
    class Scaled:
        def __init__(self, factor=2.0):
            self.factor = factor

        def __call__(self, x):
            return x * self.factor

        def get_config(self):
            return {"factor": self.factor}

    config = activations.serialize(Scaled(3.0))
    assert config["class_name"] == "Scaled" and config["config"] == {"factor": 3.0}
    restored = activations.deserialize(config)
    assert isinstance(restored, Scaled) and restored.factor == 3.0
    np.testing.assert_allclose(activations.get(config)(np.ones(2)), [3.0, 3.0])


def test_serialize_lambda_raises():
    with pytest.raises(ValueError, match="Cannot serialize a lambda activation"):
        activations.serialize(lambda x: x)


def test_serialize_object_without_config_raises():
    class Opaque:
        def __call__(self, x):
            return x

    with pytest.raises(ValueError, match="cannot be serialized"):
        activations.serialize(Opaque())


@pytest.mark.parametrize("identifier", ["nope", 5, {"a": 1}, "my>unknown"])
def test_get_unknown_identifier_raises(identifier):
    with pytest.raises(ValueError, match="Could not interpret activation function identifier"):
        activations.get(identifier)


def test_deserialize_unknown_name_raises_with_hint():
    with pytest.raises(
        ValueError,
        match=r"Could not interpret activation function identifier: 'nope'\. Use the name of a builtin activation \(one of celu, .*relu",
    ):
        activations.deserialize("nope")


def test_deserialize_unknown_function_dict_raises_type_error():
    config = {
        "module": "builtins",
        "class_name": "function",
        "config": "missing_fn",
        "registered_name": "function",
    }
    with pytest.raises(TypeError, match="Could not locate function 'missing_fn'"):
        activations.deserialize(config)


def test_deserialize_malformed_config_raises():
    with pytest.raises(
        ValueError, match="Expected a name or a dict with keys 'class_name' and 'config'"
    ):
        activations.deserialize(3)
