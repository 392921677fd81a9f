"""``Model`` subclasses constructed the Functional way: ``CustomModel(inputs, outputs)``."""

import numpy as np
import pytest

import heft
from heft import layers
from heft.models import Functional
from heft.models._functional import functional_class


class CustomModel(heft.Model):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracker = heft.metrics.Mean(name="tracked")
        self.extra = layers.Dense(3, name="extra")

    def train_step(self, *args, **kwargs):
        return "overridden"

    def compute_loss(self, *args, **kwargs):
        return "own loss"


class Bare(heft.Model):
    def helper(self):
        return 7


class Sized(heft.Model):
    """Subclassed in the usual way, with positional arguments of its own."""

    def __init__(self, units, activation):
        super().__init__()
        self.dense = layers.Dense(units, activation=activation)

    def call(self, x):
        return self.dense(x)


class OwnGraph(heft.Model):
    """Makes its graph in ``__init__`` and hands the tensors to ``Model.__init__``."""

    def __init__(self, units=2, **kwargs):
        x = heft.Input((3,), name="x")
        super().__init__(x, layers.Dense(units, name="out")(x), **kwargs)
        self.units = units

    def helper(self):
        return self.units


def _graph():
    x = heft.Input((3,), name="x")
    return x, layers.Dense(2, name="head")(layers.Dense(4, name="hidden")(x))


def test_functional_subclass_is_an_instance_of_its_class_and_functional():
    model = CustomModel(*_graph(), name="custom")
    assert isinstance(model, CustomModel) and isinstance(model, Functional)
    assert type(model).__name__ == "CustomModel" and model.name == "custom"
    assert [layer.name for layer in model.layers] == ["x", "hidden", "head"]
    assert model(np.ones((2, 3), "float32")).shape == (2, 2)


def test_functional_subclass_overrides_are_the_instance_methods():
    model = CustomModel(*_graph())
    assert model.train_step.__func__ is CustomModel.train_step
    assert model.compute_loss.__func__ is CustomModel.compute_loss
    assert model.train_step() == "overridden" and model.compute_loss() == "own loss"
    assert Bare(*_graph()).helper() == 7


def test_functional_subclass_own_attributes_join_weights_and_metrics():
    model = CustomModel(*_graph())
    model.extra.build((None, 2))
    assert [w.path for w in model.weights] == [
        "hidden/kernel",
        "hidden/bias",
        "head/kernel",
        "head/bias",
        "extra/kernel",
        "extra/bias",
    ]
    assert [layer.name for layer in model.layers] == ["x", "hidden", "head"]
    assert [m.name for m in model.metrics] == ["tracked"]


@pytest.mark.parametrize(
    "make",
    [
        lambda x, y: Bare(inputs=x, outputs=y),
        lambda x, y: Bare(x, outputs=y),
        lambda x, y: Bare(x, y, name="named"),
    ],
    ids=["keywords", "outputs_keyword", "positional"],
)
def test_functional_subclass_keyword_forms(make):
    model = make(*_graph())
    assert isinstance(model, Bare) and isinstance(model, Functional)
    assert model.name in ("bare", "named")
    assert [w.path for w in model.weights][-1] == "head/bias"


def test_functional_subclass_leaves_the_class_unchanged_for_subclassed_use():
    Bare(*_graph())
    sized = Sized(4, "relu")
    assert Bare.__bases__ == (heft.Model,)
    assert not isinstance(sized, Functional) and type(sized) is Sized
    assert sized(np.ones((1, 3), "float32")).shape == (1, 4)


def test_functional_subclass_class_is_made_once_per_class():
    first, second = Bare(*_graph()), Bare(*_graph())
    assert type(first) is type(second) is functional_class(Bare)
    assert functional_class(heft.Model) is Functional
    assert functional_class(Functional) is Functional
    assert issubclass(functional_class(Bare), Bare)


def test_functional_subclass_init_passing_its_own_tensors():
    model = OwnGraph(units=5, name="own")
    assert isinstance(model, OwnGraph) and isinstance(model, Functional)
    assert model.helper() == 5 and model.name == "own"
    assert [w.path for w in model.weights] == ["out/kernel", "out/bias"]


def test_functional_subclass_summary_lists_the_graph():
    lines = []
    CustomModel(*_graph(), name="custom").summary(print_fn=lines.append)
    text = "".join(lines)
    assert 'Model: "custom"' in text
    assert "hidden (Dense)" in text and "head (Dense)" in text


def test_functional_subclass_config_round_trip_keeps_the_class():
    model = CustomModel(*_graph(), name="custom")
    rebuilt = CustomModel.from_config(model.get_config())
    assert isinstance(rebuilt, CustomModel) and isinstance(rebuilt, Functional)
    assert rebuilt.get_config() == model.get_config()
    assert [w.path for w in rebuilt.weights] == [w.path for w in model.weights]


def test_functional_subclass_from_config_with_own_init_passes_config_to_it():
    # An `__init__` of its own (not `*args, **kwargs`) gets the config as keywords, as in Keras.
    config = OwnGraph().get_config()
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to OwnGraph"):
        OwnGraph.from_config(config)


def test_functional_subclass_save_and_load_model(tmp_path):
    model = CustomModel(*_graph(), name="custom")
    path = tmp_path / "custom.keras"
    model.save(path)
    loaded = heft.models.load_model(path, custom_objects={"CustomModel": CustomModel})
    assert isinstance(loaded, CustomModel) and loaded.train_step() == "overridden"
    for got, want in zip(loaded.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_functional_subclass_registered_class_is_saved_under_its_name(tmp_path):
    @heft.saving.register_keras_serializable(package="subclass_tests")
    class Registered(heft.Model):
        def helper(self):
            return 8

    model = Registered(*_graph())
    config = heft.layers.serialize(model)
    assert (config["class_name"], config["registered_name"]) == (
        "Registered",
        "subclass_tests>Registered",
    )
    model.save(tmp_path / "registered.keras")
    loaded = heft.models.load_model(tmp_path / "registered.keras")
    assert type(loaded) is type(model) and loaded.helper() == 8


def test_functional_subclass_json_round_trip():
    model = Bare(*_graph())
    rebuilt = heft.models.model_from_json(model.to_json(), custom_objects={"Bare": Bare})
    assert isinstance(rebuilt, Bare) and isinstance(rebuilt, Functional)
    assert [w.path for w in rebuilt.weights] == [w.path for w in model.weights]


def test_functional_subclass_clone_model_keeps_the_class():
    model = CustomModel(*_graph())
    clone = heft.models.clone_model(model)
    assert type(clone) is type(model) and clone is not model
    assert clone.get_layer("head") is not model.get_layer("head")
    assert clone.train_step() == "overridden"


def test_model_single_positional_argument_raises():
    x, _ = _graph()
    with pytest.raises(TypeError, match=r"received 1 positional argument\(s\) \(KerasTensor\)"):
        heft.Model(x)
    with pytest.raises(TypeError, match="pass the other arguments by keyword"):
        Bare(x)


def test_functional_model_accepts_state_added_after_construction():
    model = heft.Model(*_graph())
    model.side = layers.Dense(2, name="side")
    assert [layer.name for layer in model.layers] == ["x", "hidden", "head"]
    model.side.build((None, 3))
    assert [w.path for w in model.weights][-2:] == ["side/kernel", "side/bias"]
