"""serialize_keras_object / deserialize_keras_object and nested objects in configs, against Keras 3."""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft


def _objects(lib):
    return {
        "dense": lib.layers.Dense(
            3, activation="relu", kernel_regularizer=lib.regularizers.L2(0.1)
        ),
        "initializer": lib.initializers.RandomNormal(stddev=0.2, seed=1),
        "optimizer": lib.optimizers.Adam(0.01),
        "loss": lib.losses.MeanSquaredError(),
        "metric": lib.metrics.Mean(name="m"),
        "policy": lib.DTypePolicy("mixed_float16"),
        "array": np.arange(3, dtype="float32"),
        "scalar": np.float32(2.5),
        "containers": [1, (2, 3), {"b": b"x", "s": slice(1, None, 2), "e": Ellipsis}],
        "activation": lib.activations.relu,
        "loss_function": lib.losses.mean_squared_error,
        "sequential": lib.Sequential([lib.Input((2,)), lib.layers.Dense(1, name="d")], name="s"),
        "schedule": lib.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9),
        "constraint": lib.constraints.MaxNorm(2.0),
    }


def _json(config):
    return json.loads(json.dumps(config))


KERAS_OBJECTS = _objects(keras)
HEFT_OBJECTS = _objects(heft)


@pytest.mark.parametrize("key", sorted(KERAS_OBJECTS))
def test_serialize_keras_object_gives_keras_dicts(key):
    theirs = _json(keras.saving.serialize_keras_object(KERAS_OBJECTS[key]))
    ours = _json(heft.saving.serialize_keras_object(HEFT_OBJECTS[key]))
    assert ours == theirs
    assert heft.utils.serialize_keras_object is heft.saving.serialize_keras_object


@pytest.mark.parametrize("key", ["dense", "initializer", "optimizer", "schedule", "constraint"])
def test_configs_cross_deserialize(key):
    """A config written by either library rebuilds the same object in the other."""
    from_keras = heft.saving.deserialize_keras_object(
        _json(keras.saving.serialize_keras_object(KERAS_OBJECTS[key]))
    )
    from_heft = keras.saving.deserialize_keras_object(
        _json(heft.utils.serialize_keras_object(HEFT_OBJECTS[key]))
    )
    assert type(from_keras).__name__ == type(KERAS_OBJECTS[key]).__name__
    assert _json(from_keras.get_config()) == _json(KERAS_OBJECTS[key].get_config())
    assert _json(from_heft.get_config()) == _json(HEFT_OBJECTS[key].get_config())


def test_deserialize_plain_values_and_specials():
    config = _json(keras.saving.serialize_keras_object(KERAS_OBJECTS["containers"]))
    assert heft.saving.deserialize_keras_object(config) == keras.saving.deserialize_keras_object(
        config
    )
    array = heft.saving.deserialize_keras_object(
        _json(keras.saving.serialize_keras_object(np.eye(2, dtype="int32")))
    )
    assert array.dtype == np.int32 and np.array_equal(array, np.eye(2))
    relu = _json(keras.saving.serialize_keras_object(keras.activations.relu))
    assert heft.saving.deserialize_keras_object(relu) is heft.activations.relu


def test_lambda_is_refused_in_safe_mode():
    with pytest.warns(UserWarning, match="lambda"):
        config = heft.saving.serialize_keras_object(lambda x: x + 1)
    with pytest.raises(ValueError, match="lambda"):
        heft.saving.deserialize_keras_object(config)
    assert heft.saving.deserialize_keras_object(config, safe_mode=False)(1) == 2


def test_unknown_class_is_a_type_error_in_both():
    config = {"module": None, "class_name": "Nope", "config": {}, "registered_name": "Nope"}
    with pytest.raises(TypeError, match="Nope"):
        keras.saving.deserialize_keras_object(config)
    with pytest.raises(TypeError, match="register_keras_serializable"):
        heft.saving.deserialize_keras_object(config)


def test_registration_names_and_custom_objects():
    configs = []
    for lib in (keras, heft):

        @lib.saving.register_keras_serializable(package="ser_test", name="triple")
        def triple(x):
            return 3 * x

        assert lib.utils.get_registered_name(triple) == "ser_test>triple"
        assert lib.utils.get_registered_object("ser_test>triple") is triple
        assert lib.saving.get_custom_objects()["ser_test>triple"] is triple
        assert lib.utils.get_custom_objects() is lib.saving.get_custom_objects()
        config = _json(lib.saving.serialize_keras_object(triple))
        configs.append(config)
        assert lib.saving.deserialize_keras_object(config) is triple
        with lib.utils.custom_object_scope({"my_fn": triple}):
            assert lib.utils.get_registered_object("my_fn") is triple
        assert lib.utils.get_registered_object("my_fn") is None
        assert lib.utils.CustomObjectScope is lib.utils.custom_object_scope
        del lib.saving.get_custom_objects()["ser_test>triple"]
    assert configs[0] == configs[1]
    assert configs[1]["config"] == "ser_test>triple"


# ---------------------------------------------------------------- nested objects in get_config


def _block_class(lib):
    """A custom layer whose get_config returns a layer and an initializer, in Keras's idiom."""

    class Block(lib.layers.Layer):
        def __init__(self, inner=None, init="zeros", **kwargs):
            super().__init__(**kwargs)
            self.inner = inner if inner is not None else lib.layers.Dense(3)
            self.init = lib.initializers.get(init)

        def build(self, input_shape):
            if not self.inner.built:
                self.inner.build(input_shape)
            self.scale = self.add_weight(shape=(3,), initializer=self.init, name="scale")

        def call(self, x):
            return self.inner(x) * self.scale

        def get_config(self):
            config = super().get_config()
            config.update(inner=self.inner, init=self.init)
            return config

        @classmethod
        def from_config(cls, config):
            config["inner"] = lib.saving.deserialize_keras_object(config["inner"])
            config["init"] = lib.saving.deserialize_keras_object(config["init"])
            return cls(**config)

    return lib.saving.register_keras_serializable(package="nested_test")(Block)


def _block_model(lib, block):
    x = lib.Input((4,), name="x")
    y = block(lib.layers.Dense(3, name="dd"), lib.initializers.Ones(), name="block")(x)
    return lib.Model(x, y, name="m")


def _drop_build_configs(value):
    if isinstance(value, dict):
        return {k: _drop_build_configs(v) for k, v in value.items() if k != "build_config"}
    if isinstance(value, list):
        return [_drop_build_configs(v) for v in value]
    return value


def test_from_config_with_nested_objects_matches_keras(tmp_path):
    """Regression: Model.from_config and load_model with a custom layer returning objects."""
    keras_block, heft_block = _block_class(keras), _block_class(heft)
    keras_model, heft_model = _block_model(keras, keras_block), _block_model(heft, heft_block)
    heft_model.set_weights(keras_model.get_weights())
    keras_config, heft_config = _json(keras_model.get_config()), _json(heft_model.get_config())
    assert _drop_build_configs(heft_config) == _drop_build_configs(keras_config)
    # The nested objects arrive in from_config as config dicts, as in Keras.
    inner = heft_config["layers"][1]["config"]["inner"]
    assert inner["class_name"] == "Dense" and inner["module"] == "keras.layers"

    rebuilt = heft.Model.from_config(heft_model.get_config())
    assert isinstance(rebuilt.layers[1].inner, heft.layers.Dense)
    assert rebuilt.layers[1].inner is not heft_model.layers[1].inner
    assert isinstance(rebuilt.layers[1].init, heft.initializers.Ones)
    keras_rebuilt = keras.Model.from_config(keras_model.get_config())
    assert [w.path for w in rebuilt.weights] == [w.path for w in keras_rebuilt.weights]
    assert [w.path for w in heft_model.weights] == [w.path for w in keras_model.weights]

    data = np.random.default_rng(0).normal(size=(2, 4)).astype("float32")
    expected = keras_model.predict(data, verbose=0)
    heft_model.save(tmp_path / "heft.keras")
    keras_model.save(tmp_path / "keras.keras")
    for loaded in (
        heft.saving.load_model(tmp_path / "heft.keras"),
        heft.saving.load_model(tmp_path / "keras.keras"),
        keras.saving.load_model(tmp_path / "heft.keras"),
    ):
        assert isinstance(loaded.layers[1].init, (heft.initializers.Ones, keras.initializers.Ones))
        np.testing.assert_allclose(np.asarray(loaded.predict(data, verbose=0)), expected, rtol=1e-6)


def test_unregistered_custom_layer_is_named_as_keras_names_it():
    for lib in (keras, heft):

        class Plain(lib.layers.Layer):
            def call(self, x):
                return x

        config = _json(lib.saving.serialize_keras_object(Plain(name="p")))
        assert config["class_name"] == "Plain"
        assert config["registered_name"] == "Plain"
        assert config["module"] == __name__
        restored = lib.saving.deserialize_keras_object(config, custom_objects={"Plain": Plain})
        assert isinstance(restored, Plain) and restored.name == "p"
