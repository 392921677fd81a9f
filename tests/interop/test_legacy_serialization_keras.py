"""``heft.legacy.saving`` / ``heft.utils.legacy`` beside Keras 3's Keras-2-style serialization."""

import json

import keras
import numpy as np
import pytest

import heft

LIBS = [keras, heft]


def _fresh(lib):
    if lib is keras:
        keras.backend.clear_session()
    else:
        heft._naming.reset_names()


def _objects(lib):
    return {
        "dense": lib.layers.Dense(3, activation="relu", name="d"),
        "conv": lib.layers.Conv1D(2, 3, kernel_regularizer=lib.regularizers.L2(0.1), name="c"),
        "initializer": lib.initializers.GlorotUniform(seed=1),
        "normal": lib.initializers.RandomNormal(stddev=0.5, seed=2),
        "adam": lib.optimizers.Adam(learning_rate=0.01),
        "sgd": lib.optimizers.SGD(momentum=0.9, nesterov=True),
        "loss": lib.losses.MeanSquaredError(),
        "crossentropy": lib.losses.CategoricalCrossentropy(from_logits=True),
        "regularizer": lib.regularizers.L1L2(l1=0.01, l2=0.02),
        "activation": lib.activations.relu,
        "activation_fn": lib.activations.gelu,
        "none": None,
    }


def _jsonable(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("namespace", ["legacy.saving", "utils.legacy"])
def test_legacy_serialize_keras_matches(namespace):
    def module(lib):
        for part in namespace.split("."):
            lib = getattr(lib, part)
        return lib

    results = {}
    for lib in LIBS:
        _fresh(lib)
        objects = _objects(lib)
        results[lib] = {
            k: _jsonable(module(lib).serialize_keras_object(v)) for k, v in objects.items()
        }
    assert results[heft] == results[keras]
    assert results[heft]["dense"]["class_name"] == "Dense"
    assert "module" not in results[heft]["dense"]


def _registered(lib, package):
    @lib.saving.register_keras_serializable(package=package)
    class Gate(lib.layers.Layer):
        def __init__(self, fn=None, init=None, **kwargs):
            super().__init__(**kwargs)
            self.fn = fn
            self.init = init

        def get_config(self):
            return {**super().get_config(), "fn": self.fn, "init": self.init}

        @classmethod
        def from_config(cls, config):
            return cls(**config)

    return Gate


def test_legacy_serialize_keras_registered_and_nested_objects():
    results = {}
    for lib in LIBS:
        gate = _registered(lib, "legacy_test")(
            fn=lib.activations.tanh, init=lib.initializers.Ones(), name="g"
        )
        results[lib] = _jsonable(lib.legacy.saving.serialize_keras_object(gate))
    assert results[heft] == results[keras]
    assert results[heft]["class_name"] == "legacy_test>Gate"
    assert results[heft]["config"]["fn"] == "tanh"
    assert results[heft]["config"]["init"] == {
        "class_name": "Ones",
        "config": {},
        "__passive_serialization__": True,
    }


def test_legacy_deserialize_keras_registered_and_nested_objects():
    for lib in LIBS:
        cls = _registered(lib, "legacy_back")
        gate = cls(fn=lib.activations.tanh, init=lib.initializers.Ones(), name="g")
        config = _jsonable(lib.legacy.saving.serialize_keras_object(gate))
        before = json.dumps(config)
        module_objects = {**vars(lib.activations), **vars(lib.initializers)}
        back = lib.legacy.saving.deserialize_keras_object(config, module_objects=module_objects)
        assert type(back) is cls
        assert back.name == "g"
        assert back.fn is lib.activations.tanh
        assert type(back.init) is lib.initializers.Ones
        if lib is heft:
            assert json.dumps(config) == before  # the caller's config is left as it was


def _module_objects(lib):
    objects = {}
    for namespace in ("layers", "initializers", "optimizers", "losses", "regularizers"):
        objects.update(vars(getattr(lib, namespace)))
    objects.update(vars(lib.activations))
    return objects


@pytest.mark.parametrize(("source", "target"), [(keras, heft), (heft, keras)], ids=["k2h", "h2k"])
def test_legacy_round_trip_keras_between_libraries(source, target):
    made = _objects(source)
    for key, obj in made.items():
        config = _jsonable(source.legacy.saving.serialize_keras_object(obj))
        # A copy: Keras writes the functions it revives into the config it is given.
        # Keras finds a bare name only in `custom_objects` (see the last test).
        where = "custom_objects" if isinstance(config, str) else "module_objects"
        revived = target.legacy.saving.deserialize_keras_object(
            _jsonable(config), **{where: _module_objects(target)}
        )
        if obj is None:
            assert revived is None
            continue
        if isinstance(config, str):
            assert revived is getattr(target.activations, config), key
            continue
        assert type(revived).__name__ == type(obj).__name__, key
        again = _jsonable(target.legacy.saving.serialize_keras_object(revived))
        assert again == config, key


def test_legacy_deserialize_keras_dense_weights_work():
    for lib in LIBS:
        config = {"class_name": "Dense", "config": {"units": 2, "name": "out", "use_bias": False}}
        layer = lib.utils.legacy.deserialize_keras_object(config, module_objects=vars(lib.layers))
        out = layer(np.ones((1, 3), "float32"))
        assert tuple(out.shape) == (1, 2)
        assert layer.name == "out"


def test_legacy_deserialize_keras_custom_objects_and_scope():
    def double(x):
        return 2 * x

    for lib in LIBS:
        legacy = lib.legacy.saving
        config = {"class_name": "Dense", "config": {"units": 2, "activation": "double"}}
        # A string naming a function in `custom_objects` becomes that function.
        layer = legacy.deserialize_keras_object(
            config, module_objects=vars(lib.layers), custom_objects={"double": double}
        )
        assert layer.units == 2
        assert legacy.deserialize_keras_object("double", custom_objects={"double": double}) is (
            double
        )
        # A class named by a string is instantiated without arguments.
        ones = legacy.deserialize_keras_object("Ones", custom_objects=vars(lib.initializers))
        assert type(ones) is lib.initializers.Ones
        with lib.utils.custom_object_scope({"MyDense": lib.layers.Dense}):
            scoped = legacy.deserialize_keras_object(
                {"class_name": "MyDense", "config": {"units": 4}}
            )
        assert scoped.units == 4
        assert legacy.deserialize_keras_object(double) is double
        assert legacy.deserialize_keras_object(None) is None


def test_legacy_keras_errors():
    for lib in LIBS:
        legacy = lib.legacy.saving
        with pytest.raises(ValueError, match="doesn't implement `get_config"):
            legacy.serialize_keras_object(object())
        with pytest.raises(ValueError, match="Improper config format"):
            legacy.deserialize_keras_object({"class_name": "Dense"})
        # Builtin classes are not known without `module_objects`.
        with pytest.raises(ValueError, match="Unknown object: 'Dense'"):
            legacy.deserialize_keras_object({"class_name": "Dense", "config": {"units": 2}})
        with pytest.raises(ValueError, match="Unknown layer: 'Nope'"):
            legacy.deserialize_keras_object(
                {"class_name": "Nope", "config": {}}, printable_module_name="layer"
            )
        with pytest.raises(ValueError, match="Could not interpret serialized object: 3"):
            legacy.deserialize_keras_object(3)


def test_legacy_keras_name_lookup_without_module_objects():
    # Keras 3.15 fails here with an AttributeError from its own module (it reads a
    # registry attribute that no longer exists); heft looks the name up in the
    # registered objects and `module_objects` and reports an unknown name clearly.
    with pytest.raises(AttributeError):
        keras.legacy.saving.deserialize_keras_object(
            "relu", module_objects={"relu": keras.activations.relu}
        )
    relu = heft.legacy.saving.deserialize_keras_object(
        "relu", module_objects={"relu": heft.activations.relu}
    )
    assert relu is heft.activations.relu
    with pytest.raises(ValueError, match="Unknown activation: 'nope'"):
        heft.legacy.saving.deserialize_keras_object("nope", printable_module_name="activation")
