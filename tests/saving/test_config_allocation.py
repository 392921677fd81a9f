"""Safe-mode deserialization estimates a config's variables before building (saving/_allocation.py)."""

import json
import random
import time

import numpy as np
import pytest

import heft
from heft import layers
from heft._variable import Variable
from heft.saving import _allocation


def _dense_stack():
    return heft.Sequential(
        [layers.Input((784,)), layers.Dense(64, activation="relu"), layers.Dense(10)]
    )


def _conv2d():
    return heft.Sequential(
        [layers.Input((12, 12, 3)), layers.Conv2D(8, 3), layers.Flatten(), layers.Dense(4)]
    )


def _lstm():
    return heft.Sequential([layers.Input((5, 4)), layers.LSTM(6), layers.Dense(1)])


def _embedding():
    return heft.Sequential(
        [
            layers.Input((7,), dtype="int32"),
            layers.Embedding(100, 8),
            layers.GlobalAveragePooling1D(),
            layers.Dense(2),
        ]
    )


def _batch_norm():
    return heft.Sequential(
        [
            layers.Input((6,)),
            layers.BatchNormalization(),
            layers.Dropout(0.5, seed=3),
            layers.Dense(2),
        ]
    )


def _nested_functional():
    inner_in = layers.Input((4,), name="inner_in")
    inner = heft.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    head = heft.Sequential([layers.Input((3,)), layers.Dense(2, name="head_dense")], name="head")
    x = layers.Input((4,), name="outer_in")
    y = head(inner(x))
    z = layers.Dense(5, name="side", dtype="float16")(x)
    return heft.Model(x, [y, z], name="outer")


@heft.saving.register_keras_serializable(package="test_config_allocation")
class TwoDense(heft.Model):
    """A subclassed model with a config: its sublayers are built on a first call."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.first = layers.Dense(units)
        self.second = layers.Dense(2)

    def call(self, x):
        return self.second(self.first(x))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def _subclassed():
    model = TwoDense(units=5)
    model(np.zeros((1, 4), "float32"))
    return model


MODELS = {
    "dense_stack": _dense_stack,
    "conv2d": _conv2d,
    "lstm": _lstm,
    "embedding": _embedding,
    "batch_norm": _batch_norm,
    "nested_functional": _nested_functional,
    "subclassed": _subclassed,
}


def _variables_bytes(model):
    return sum(v.numpy().nbytes for v in model.variables)


def _weights(model):
    return {v.path: v.numpy() for v in model.variables}


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_config_bytes_equals_the_bytes_of_the_built_models_variables(make):
    model = make()
    config = json.loads(model.to_json())
    assert _allocation.config_bytes(config) == _variables_bytes(model)
    rebuilt = heft.models.model_from_json(model.to_json())
    assert _variables_bytes(rebuilt) == _variables_bytes(model)


def test_config_bytes_of_a_huge_config_allocates_nothing():
    config = json.loads(_dense_stack().to_json())
    config["config"]["layers"][1]["config"]["units"] = 2**31
    start = time.perf_counter()
    total = _allocation.config_bytes(config)
    assert time.perf_counter() - start < 1.0
    assert total == (784 * 2**31 + 2**31 + 2**31 * 10 + 10) * 4


def test_config_bytes_rejects_a_config_that_is_not_a_serialized_model():
    with pytest.raises(ValueError, match=r"`config` must be a serialized model"):
        _allocation.config_bytes({"config": {}})


@pytest.mark.parametrize("make", MODELS.values(), ids=MODELS.keys())
def test_save_and_load_model_round_trip_unchanged(tmp_path, make):
    model = make()
    path = tmp_path / "m.keras"
    heft.saving.save_model(model, path)
    loaded = {}
    for safe in (True, False):
        heft._naming.reset_names()  # both loads start from the same automatic names
        loaded[safe] = heft.saving.load_model(path, safe_mode=safe)
    assert loaded[True].to_json() == loaded[False].to_json() == model.to_json()
    assert list(_weights(loaded[True])) == list(_weights(loaded[False]))
    before = [(v.path.rpartition("/")[2], v.numpy()) for v in model.variables]
    after = [(v.path.rpartition("/")[2], v.numpy()) for v in loaded[True].variables]
    assert [name for name, _ in after] == [name for name, _ in before]
    for (name, value), (_, loaded_value) in zip(before, after, strict=True):
        # An unseeded RNN cell's seed state is not saved (nor is it by Keras): it is new.
        if not (name == "seed_generator_state" and isinstance(model.layers[0], layers.LSTM)):
            np.testing.assert_array_equal(loaded_value, value)


def test_model_from_json_round_trip_keeps_names_and_config():
    model = _nested_functional()
    text = model.to_json()
    rebuilt = heft.models.model_from_json(text)
    assert rebuilt.to_json() == text
    assert [v.path for v in rebuilt.variables] == [v.path for v in model.variables]


def _count_initializations(monkeypatch):
    calls = []
    original = Variable._initialize

    def counting(self, initializer, nbytes):
        calls.append(self.path)
        return original(self, initializer, nbytes)

    monkeypatch.setattr(Variable, "_initialize", counting)
    return calls


def test_load_model_over_the_limit_is_refused_before_anything_is_built(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    heft.saving.save_model(_dense_stack(), path)
    saved = path.read_bytes()
    calls = _count_initializations(monkeypatch)
    with heft.saving.limits(allocation_bytes=100_000):
        with pytest.raises(
            ValueError,
            match=r"Refusing to build the model config of '.*m.keras': its 4 variables would "
            r"take 203,560 bytes \(198.8 KiB\), more than the limit of 100,000 bytes .*"
            r"Largest layers: 'sequential/dense' 200,960 bytes .* \(kernel \(784, 64\) float32, "
            r"bias \(64,\) float32\); 'sequential/dense_1' 2,600 bytes.*allocation_bytes=",
        ):
            heft.saving.load_model(path)
    assert calls == []
    assert path.read_bytes() == saved
    with heft.saving.limits(allocation_bytes=203_560):
        heft.saving.load_model(path)


def test_model_from_json_with_absurd_units_is_refused_quickly(monkeypatch):
    config = json.loads(_dense_stack().to_json())
    config["config"]["layers"][1]["config"]["units"] = 2**31
    calls = _count_initializations(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(
        ValueError,
        match=r"Refusing to build the JSON model config: its 4 variables would take "
        r"6,828,998,000,680 bytes \(6.2 TiB\), more than the limit of .*\(the default: .*"
        r"Largest layers: 'sequential/dense' .* \(kernel \(784, 2147483648\) float32",
    ):
        heft.models.model_from_json(json.dumps(config))
    assert time.perf_counter() - start < 1.0
    assert calls == []


def test_from_config_and_deserialize_are_checked_in_safe_mode(monkeypatch):
    sequential = _dense_stack()
    functional = _nested_functional()
    calls = _count_initializations(monkeypatch)
    cases = [
        (lambda: heft.Sequential.from_config(sequential.get_config()), "Sequential model"),
        (lambda: heft.Model.from_config(functional.get_config()), "Model model 'outer'"),
        (lambda: heft.models.Functional.from_config(functional.get_config()), "Functional"),
        (lambda: layers.deserialize(layers.serialize(functional)), "Functional layer 'outer'"),
    ]
    with heft.saving.limits(allocation_bytes=64):
        for build, what in cases:
            with pytest.raises(ValueError, match=rf"Refusing to build the config of {what}"):
                build()
    assert calls == []
    with heft.saving.limits(allocation_bytes=64), heft.saving.SafeModeScope(False):
        rebuilt = heft.Model.from_config(functional.get_config())
    assert _variables_bytes(rebuilt) == _variables_bytes(functional)


def test_load_model_unsafe_skips_the_limit(tmp_path):
    path = tmp_path / "m.keras"
    heft.saving.save_model(_dense_stack(), path)
    with heft.saving.limits(allocation_bytes=64):
        model = heft.saving.load_model(path, safe_mode=False)
    assert _variables_bytes(model) == 203_560


def test_estimate_runs_once_per_load_and_not_for_clone_model(monkeypatch):
    runs = []
    original = _allocation.estimate

    def counting(build):
        runs.append(1)
        return original(build)

    monkeypatch.setattr(_allocation, "estimate", counting)
    model = _nested_functional()
    heft.models.model_from_json(model.to_json())
    assert len(runs) == 1
    heft.models.clone_model(model)
    heft.models.clone_model(_dense_stack())
    assert len(runs) == 1


def test_safe_mode_load_gives_the_same_names_and_values_as_unsafe():
    text = json.dumps(layers.serialize(TwoDense(units=4)))
    results = []
    for safe in (True, False):
        heft._naming.reset_names()
        heft.utils.set_random_seed(7)
        state = random.getstate()
        with heft.saving.SafeModeScope(safe):
            model = layers.deserialize(json.loads(text))
        model(np.zeros((1, 3), "float32"))
        results.append(([layer.name for layer in model.layers], _weights(model), state))
    (names_safe, values_safe, _), (names_unsafe, values_unsafe, _) = results
    assert names_safe == names_unsafe == ["dense", "dense_1"]
    for key, value in values_unsafe.items():
        np.testing.assert_array_equal(values_safe[key], value)


class NumpyInBuild(layers.Layer):
    """A layer whose build reads its kernel as numpy: it cannot be built abstractly."""

    def __init__(self, units=2, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.kernel_norm = float(np.linalg.norm(np.asarray(self.kernel)))

    def call(self, x):
        return x @ self.kernel

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def test_a_layer_that_cannot_build_abstractly_still_loads_and_is_budgeted():
    model = heft.Sequential([layers.Input((8,)), NumpyInBuild(16, name="npy")])
    text = model.to_json()
    custom = {"NumpyInBuild": NumpyInBuild}
    with pytest.raises(_allocation.EstimateError, match=r"could not be built abstractly") as info:
        _allocation.config_bytes(json.loads(text), custom)
    assert info.value.partial_bytes == 8 * 16 * 4
    assert info.value.__cause__ is not None
    loaded = heft.models.model_from_json(text, custom_objects=custom)
    assert loaded.layers[0].kernel_norm > 0
    # Over the limit, the variables created so far already refuse it...
    with heft.saving.limits(allocation_bytes=100):
        with pytest.raises(ValueError, match=r"would take at least 512 bytes"):
            heft.models.model_from_json(text, custom_objects=custom)


def test_a_failed_abstract_build_under_the_limit_is_checked_variable_by_variable():
    model = heft.Sequential(
        [layers.Input((8,)), NumpyInBuild(16, name="npy"), layers.Dense(64, name="after")]
    )
    text = model.to_json()
    custom = {"NumpyInBuild": NumpyInBuild}
    # The abstract build stops at 'npy' (512 bytes); the real build is counted as it goes.
    with heft.saving.limits(allocation_bytes=1024):
        with pytest.raises(
            ValueError,
            match=r"Refusing to create variable 'sequential/after/kernel' of shape \(16, 64\).*"
            r"the variables created for it would take 4,608 bytes \(4.5 KiB\), more than the "
            r"limit of 1,024 bytes",
        ):
            heft.models.model_from_json(text, custom_objects=custom)
