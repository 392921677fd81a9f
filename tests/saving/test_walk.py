"""Tests for the object-graph walk that every weight format uses."""

import numpy as np
import pytest

import heft
from heft import layers
from heft.saving._walk import snake_case, vars_group, walk


class Block(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.inner = layers.Dense(3)
        self.scale = self.add_weight(shape=(3,), initializer="ones", name="scale")

    def call(self, x):
        return self.inner(x) * self.scale


def _paths(model):
    return {path: len(entry.variables) for path, entry in walk(model).items()}


def test_walk_sequential_visits_layers_first_and_names_by_class():
    model = heft.Sequential(
        [layers.Dense(4, input_shape=(3,)), layers.Dropout(0.1), layers.Dense(2)]
    )
    assert _paths(model) == {
        "": 0,
        "layers/dense": 2,
        "layers/dropout": 0,
        "layers/dense_1": 2,
    }
    entry = walk(model)["layers/dense"]
    assert entry.obj is model.layers[0]
    assert [v.path for v in entry.variables] == ["sequential/dense/kernel", "sequential/dense/bias"]


def test_walk_subclassed_sorts_attributes_private_last_and_first_visit_wins():
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.zdict = {"b": layers.Dense(3), "a": layers.Dense(3)}
            self.blocks = [Block(), layers.Dense(3), [layers.Dense(3), (layers.Dense(3),)]]
            self._priv = layers.Dense(3)
            self.tup = (layers.Dropout(0.1), Block())
            self.enc = layers.Dense(3)
            self.alias = self.enc
            self.w = self.add_weight(shape=(2,), name="own")

        @property
        def head(self):
            return self._priv

        def call(self, x):
            return x

    model = Sub()
    assert list(_paths(model)) == [
        "",
        "alias",
        "blocks/block",
        "blocks/block/inner",
        "blocks/dense",
        "blocks/container/dense",
        "blocks/container/container/dense",
        "head",
        # `layers` (Model.layers) comes before `tup` and `zdict`: those layers land here.
        "layers/dense",
        "layers/dense_1",
        "layers/dropout",
        "layers/block_1",
        "layers/block_1/inner",
    ]
    assert walk(model)["alias"].obj is model.enc
    assert walk(model)["head"].obj is model._priv
    assert [v.path for v in walk(model)[""].variables] == ["sub/own"]


def test_walk_container_counter_advances_for_visited_items():
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(2)
            self.items = [self.first, layers.Dense(2), layers.Dense(2)]

        def call(self, x):
            return x

    paths = list(_paths(Sub()))
    assert paths == ["", "first", "items/dense_1", "items/dense_2"]


def test_walk_uses_tracking_lists_not_current_trainable_flags():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2)])
    dense = model.layers[0]
    dense.kernel.trainable = False
    assert [v.name for v in walk(model)["layers/dense"].variables] == ["kernel", "bias"]
    assert [v.name for v in dense.weights] == ["kernel", "bias"]


def test_walk_skips_seed_generator_state():
    model = heft.Sequential([layers.Input((3,)), layers.Dropout(0.5, seed=1)])
    assert model.layers[0].variables  # the seed state is a variable...
    assert walk(model)["layers/dropout"].variables == []  # ...that is not saved


def test_walk_includes_optimizer_variables_in_order():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2)])

    class StandIn:
        name = "adam"

        def __init__(self):
            self.variables = [heft.Variable(0, name="iteration"), heft.Variable(0.1, name="lr")]

    model.optimizer = StandIn()
    entries = walk(model)
    assert list(entries) == ["", "layers/dense", "optimizer"]
    assert [v.name for v in entries["optimizer"].variables] == ["iteration", "lr"]


def test_walk_ignores_optimizer_without_variables():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2)])
    model.optimizer = "adam"
    assert list(walk(model)) == ["", "layers/dense"]


def test_walk_skips_methods_and_base_attributes():
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)
            self.note = "text"

        def helper(self):
            raise AssertionError("methods are never called by the walk")

        def call(self, x):
            return x

    assert list(_paths(Sub())) == ["", "dense"]


def test_walk_property_raising_attribute_error_counts_as_absent():
    class Sub(heft.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        @property
        def missing(self):
            raise AttributeError("not there")

        def call(self, x):
            return x

    assert list(_paths(Sub())) == ["", "dense"]


def test_walk_property_raising_other_error_propagates_with_a_note():
    class Sub(heft.Model):
        @property
        def broken(self):
            raise RuntimeError("boom")

        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match=r"boom") as info:
        walk(Sub())
    assert "Raised by attribute 'broken'" in "".join(info.value.__notes__)


def test_walk_rejects_non_layers():
    with pytest.raises(TypeError, match=r"Weights can only be saved from or loaded into a heft"):
        walk(object())


def test_walk_does_not_consume_automatic_layer_names():
    walk(heft.Sequential([layers.Input((3,)), layers.Dense(2)]))
    assert layers.Layer().name == "layer"


def test_walk_handles_cyclic_containers():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(2)])
    loop = []
    loop.append(loop)
    loop.append(layers.Dense(2))
    object.__setattr__(model, "extra", loop)  # untracked: the tracker does not take cycles
    assert list(_paths(model)) == ["", "layers/dense", "extra/dense"]


@pytest.mark.parametrize(
    ("class_name", "expected"),
    [
        ("Dense", "dense"),
        ("Conv2D", "conv2d"),
        ("BatchNormalization", "batch_normalization"),
        ("LSTMCell", "lstm_cell"),
        ("MultiHeadAttention", "multi_head_attention"),
        ("ABcDe", "a_bc_de"),
        ("Dense2Layer", "dense2_layer"),
    ],
)
def test_snake_case_matches_keras_rule(class_name, expected):
    assert snake_case(class_name) == expected


def test_vars_group_root_and_nested():
    assert vars_group("") == "vars"
    assert vars_group("layers/dense") == "layers/dense/vars"


def test_walk_of_built_model_lists_every_weight_once():
    model = heft.Sequential([layers.Input((3,)), layers.Dense(4), layers.Dense(2)])
    model(np.ones((1, 3), "float32"))
    found = [v for entry in walk(model).values() for v in entry.variables]
    assert [v.path for v in found] == [v.path for v in model.weights]
