import jax.numpy as jnp
import numpy as np
import pytest

from heft import _registry
from heft.losses import (
    LossFunctionWrapper,
    huber,
    mean_squared_error,
    sparse_categorical_crossentropy,
)
from heft.losses._wrapper import serialize_function, serialize_value


def scaled_error(y_true, y_pred, scale=1.0):
    return scale * jnp.mean(jnp.abs(y_true - y_pred), axis=-1)


def test_wrapper_passes_kwargs_and_reduces():
    loss = LossFunctionWrapper(scaled_error, scale=3.0)
    assert loss.name == "loss_function_wrapper"
    out = loss(np.zeros((2, 2)), np.array([[1.0, 1.0], [2.0, 0.0]]))
    assert float(out) == pytest.approx(3.0 * (1.0 + 1.0) / 2)


def test_wrapper_squeezes_trailing_unit_axis_before_fn():
    seen = {}

    def record(y_true, y_pred):
        seen["shapes"] = (y_true.shape, y_pred.shape)
        return jnp.abs(y_true - y_pred)

    LossFunctionWrapper(record)(np.zeros((4,)), np.zeros((4, 1)))
    assert seen["shapes"] == ((4, 1), (4, 1))
    LossFunctionWrapper(record)(np.zeros((4, 3, 1)), np.zeros((4, 3)))
    assert seen["shapes"] == ((4, 3), (4, 3))


def test_wrapper_matches_structures_leafwise():
    def total(y_true, y_pred):
        return sum(jnp.sum(jnp.abs(y_true[k] - y_pred[k]), axis=-1) for k in y_true)

    loss = LossFunctionWrapper(total, reduction="sum")
    y_true = {"a": np.zeros((2,)), "b": np.zeros((2, 2))}
    y_pred = {"a": np.ones((2, 1)), "b": np.ones((2, 2))}
    assert float(loss(y_true, y_pred)) == pytest.approx(2.0 + 4.0)


def test_wrapper_structure_mismatch_error():
    loss = LossFunctionWrapper(scaled_error)
    with pytest.raises(ValueError, match=r"`y_true` and `y_pred` must have the same structure"):
        loss({"a": np.zeros((2, 2))}, {"b": np.zeros((2, 2))})


def test_wrapper_uses_masked_form_of_sparse_crossentropy():
    loss = LossFunctionWrapper(sparse_categorical_crossentropy, ignore_class=0)
    probs = np.array([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]], "float32")
    out = loss(np.array([0, 1, 1]), probs)
    # The ignored entry is left out of the mean: two valid entries.
    assert float(out) == pytest.approx((-np.log(0.75) - np.log(0.1)) / 2, rel=1e-6)


def test_wrapper_subclass_overriding_call_skips_masked_form():
    class Doubled(LossFunctionWrapper):
        def call(self, y_true, y_pred):
            return 2.0 * super().call(y_true, y_pred)

    loss = Doubled(sparse_categorical_crossentropy, ignore_class=0)
    probs = np.array([[0.5, 0.5], [0.25, 0.75]], "float32")
    assert float(loss(np.array([0, 1]), probs)) == pytest.approx(-np.log(0.75), rel=1e-6)


def test_wrapper_get_config_and_from_config_round_trip():
    loss = LossFunctionWrapper(huber, name="h", reduction="sum", delta=2.0)
    config = loss.get_config()
    assert config == {
        "name": "h",
        "reduction": "sum",
        "fn": {
            "module": "builtins",
            "class_name": "function",
            "config": "huber",
            "registered_name": "function",
        },
        "delta": 2.0,
    }
    again = LossFunctionWrapper.from_config(config)
    assert again.fn is huber and again._fn_kwargs == {"delta": 2.0} and again.name == "h"


def test_wrapper_from_config_finds_registered_functions():
    _registry.register_keras_serializable(package="losses_test")(scaled_error)
    config = LossFunctionWrapper(scaled_error, scale=2.0).get_config()
    assert config["fn"]["config"] == "losses_test>scaled_error"
    assert LossFunctionWrapper.from_config(config).fn is scaled_error


def test_wrapper_repr_names_fn_and_kwargs():
    text = repr(LossFunctionWrapper(mean_squared_error, a=1))
    assert text.startswith("<LossFunctionWrapper(<function mean_squared_error")
    assert text.endswith("kwargs={'a': 1})>")


def test_serialize_function_rejects_lambdas():
    with pytest.raises(ValueError, match=r"Cannot serialize a lambda loss function"):
        serialize_function(lambda t, p: t)


def test_serialize_value_plain_nested_and_objects():
    assert serialize_value({"a": (1, [2.0, np.float32(0.5)]), "b": None}) == {
        "a": (1, [2.0, 0.5]),
        "b": None,
    }
    assert serialize_value(huber)["config"] == "huber"
    with pytest.raises(
        TypeError, match=r"Cannot serialize the loss argument <object object .* of type object"
    ):
        serialize_value(object())
