import jax.numpy as jnp
import pytest

from heft import _registry, losses
from heft.losses import (
    BinaryCrossentropy,
    Huber,
    Loss,
    LossFunctionWrapper,
    MeanSquaredError,
    deserialize,
    get,
    serialize,
)
from heft.losses._get import ALL_OBJECTS_DICT


class PlainLoss(Loss):
    def call(self, y_true, y_pred):
        return jnp.abs(y_true - y_pred)


def plain_fn(y_true, y_pred):
    return jnp.abs(y_true - y_pred)


def test_get_none_instances_functions_and_classes():
    assert get(None) is None
    loss = Huber()
    assert get(loss) is loss
    assert get(plain_fn) is plain_fn
    assert isinstance(get(Huber), Huber)


def test_get_function_names_and_aliases():
    assert get("mse") is losses.mean_squared_error
    assert get("MSE") is losses.mean_squared_error
    assert get("mean_squared_error") is losses.mean_squared_error
    assert get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    assert get("bce") is losses.binary_crossentropy
    assert get("kld") is losses.kl_divergence
    assert get("msle") is losses.mean_squared_logarithmic_error
    assert get("mape") is losses.mean_absolute_percentage_error


def test_get_class_names_give_fresh_instances():
    a, b = get("CategoricalCrossentropy"), get("CategoricalCrossentropy")
    assert isinstance(a, losses.CategoricalCrossentropy) and a is not b
    assert a.name == "categorical_crossentropy"


def test_get_dict_config():
    loss = get({"class_name": "BinaryCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, BinaryCrossentropy) and loss.from_logits is True


def test_get_unknown_or_uncallable_errors_list_names():
    with pytest.raises(
        ValueError, match=r"Could not interpret loss identifier: 'msee'. Did you mean 'mse'"
    ):
        get("msee")
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 3\. Pass a `Loss`"):
        get(3)


def test_all_objects_dict_has_keras_names():
    for name in (
        "Loss",
        "LossFunctionWrapper",
        "Huber",
        "huber",
        "CTC",
        "ctc",
        "Dice",
        "tversky",
        "MAE",
    ):
        assert name in ALL_OBJECTS_DICT
    assert "huber_loss" not in ALL_OBJECTS_DICT  # not a Keras name either


def test_serialize_builtin_class_and_function():
    assert serialize(None) is None
    assert serialize(Huber(delta=2.0)) == {
        "module": "keras.losses",
        "class_name": "Huber",
        "config": {"name": "huber_loss", "reduction": "sum_over_batch_size"},
        "registered_name": None,
    }
    assert serialize(losses.mse) == {
        "module": "builtins",
        "class_name": "function",
        "config": "mean_squared_error",
        "registered_name": "function",
    }


def test_serialize_base_wrapper_and_custom_classes():
    assert serialize(Loss(name="l"))["module"] == "keras"
    wrapped = serialize(LossFunctionWrapper(losses.huber, name="w", delta=0.5))
    assert wrapped["module"] == "keras.src.losses.losses"
    assert wrapped["registered_name"] == "LossFunctionWrapper"
    assert wrapped["config"]["delta"] == 0.5
    custom = serialize(PlainLoss(name="p"))
    assert custom["module"] == __name__ and custom["registered_name"] == "PlainLoss"


def test_serialize_errors():
    with pytest.raises(ValueError, match=r"Cannot serialize a lambda loss function"):
        serialize(lambda t, p: t)
    with pytest.raises(TypeError, match=r"it is not a function and has no `get_config\(\)`"):
        serialize(object())


def test_deserialize_names_dicts_and_functions():
    assert deserialize("mse") is losses.mean_squared_error
    assert isinstance(deserialize("MeanSquaredError"), MeanSquaredError)
    again = deserialize(serialize(BinaryCrossentropy(from_logits=True, axis=0, name="b")))
    assert (again.from_logits, again.axis, again.name) == (True, 0, "b")
    assert deserialize(serialize(losses.huber)) is losses.huber


def test_deserialize_wrapper_round_trip_with_custom_function():
    config = serialize(LossFunctionWrapper(plain_fn, name="w"))
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 'plain_fn'"):
        deserialize(config)
    again = deserialize(config, custom_objects={"plain_fn": plain_fn})
    assert again.fn is plain_fn and again.name == "w"


def test_deserialize_custom_and_registered_classes():
    config = serialize(PlainLoss(name="p", reduction="sum"))
    with pytest.raises(ValueError, match=r"'PlainLoss' is not a known loss"):
        deserialize(config)
    again = deserialize(config, custom_objects={"PlainLoss": PlainLoss})
    assert isinstance(again, PlainLoss) and again.reduction == "sum"

    @_registry.register_keras_serializable(package="losses_get_test")
    class Registered(PlainLoss):
        pass

    config = serialize(Registered(name="r"))
    assert config["registered_name"] == "losses_get_test>Registered"
    assert isinstance(deserialize(config), Registered)


def test_deserialize_errors():
    with pytest.raises(
        ValueError, match=r"Expected a name or a dict with keys 'class_name' and 'config'"
    ):
        deserialize({"config": {}})
    with pytest.raises(ValueError, match=r"Expected a name or a dict"):
        deserialize(3)
    with pytest.raises(ValueError, match=r"A function config names its function in 'config'"):
        deserialize({"class_name": "function", "config": None})
    with pytest.raises(ValueError, match=r"names 'not_callable', which is not callable"):
        deserialize(
            {"class_name": "function", "config": "not_callable"},
            custom_objects={"not_callable": 3},
        )
    with pytest.raises(ValueError, match=r"Could not interpret loss identifier: 'nope'"):
        deserialize("nope")
