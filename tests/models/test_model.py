"""Tests for subclassed heft.Model: paths, layers, get_layer, weights and summary."""

import numpy as np
import pytest

import heft
from heft import layers


def _paths(vs):
    return [v.path for v in vs]


class MLP(heft.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(4, activation="relu")
        self.drop = layers.Dropout(0.5, seed=1)
        self.out = layers.Dense(2)

    def call(self, x, training=False):
        return self.out(self.drop(self.hidden(x), training=training))


class WithOwn(heft.Model):
    def __init__(self):
        super().__init__(name="own")
        self.dense = layers.Dense(2)
        self.scale = self.add_weight(shape=(), initializer="ones", name="scale")
        self.frozen = self.add_weight(shape=(2,), initializer="zeros", trainable=False, name="f")

    def call(self, x):
        return self.dense(x) * self.scale + self.frozen


def test_model_subclass_paths():
    model = MLP(name="m")
    model(np.ones((1, 3), "float32"))
    assert _paths(model.weights) == [
        "m/dense/kernel",
        "m/dense/bias",
        "m/dense_1/kernel",
        "m/dense_1/bias",
    ]
    assert _paths(model.variables) == [
        "m/dense/kernel",
        "m/dense/bias",
        "seed_generator/seed_generator_state",
        "m/dense_1/kernel",
        "m/dense_1/bias",
    ]


def test_model_automatic_name():
    assert MLP().name == "mlp"
    assert MLP().name == "mlp_1"


def test_model_unbuilt_until_called():
    model = MLP()
    assert not model.built
    assert model.weights == []
    assert [v.path for v in model.variables] == ["seed_generator/seed_generator_state"]


def test_model_own_weights_before_sublayers():
    model = WithOwn()
    model(np.ones((1, 3), "float32"))
    assert _paths(model.weights) == ["own/scale", "own/f", "own/dense/kernel", "own/dense/bias"]
    assert _paths(model.trainable_weights) == ["own/scale", "own/dense/kernel", "own/dense/bias"]
    assert _paths(model.non_trainable_weights) == ["own/f"]
    assert model.count_params() == 1 + 2 + 3 * 2 + 2


def test_model_nested_model_paths():
    class Outer(heft.Model):
        def __init__(self):
            super().__init__(name="outer")
            self.body = MLP(name="body")
            self.head = layers.Dense(1, name="head")

        def call(self, x):
            return self.head(self.body(x))

    model = Outer()
    model(np.ones((1, 3), "float32"))
    assert _paths(model.weights) == [
        "outer/body/dense/kernel",
        "outer/body/dense/bias",
        "outer/body/dense_1/kernel",
        "outer/body/dense_1/bias",
        "outer/head/kernel",
        "outer/head/bias",
    ]


def test_model_layers_in_assignment_order():
    model = MLP()
    assert [layer.name for layer in model.layers] == ["dense", "dropout", "dense_1"]


def test_model_layers_from_lists():
    class Stack(heft.Model):
        def __init__(self):
            super().__init__()
            self.blocks = [layers.Dense(2, name=f"b{i}") for i in range(3)]

        def call(self, x):
            for block in self.blocks:
                x = block(x)
            return x

    model = Stack()
    model(np.ones((1, 2), "float32"))
    assert [layer.name for layer in model.layers] == ["b0", "b1", "b2"]
    assert _paths(model.weights)[::2] == ["stack/b0/kernel", "stack/b1/kernel", "stack/b2/kernel"]


def test_model_get_layer():
    model = MLP()
    assert model.get_layer("dropout") is model.drop
    assert model.get_layer(index=2) is model.out
    assert model.get_layer(index=-1) is model.out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, r"Provide exactly one of `name` or `index`"),
        ({"name": "dense", "index": 0}, r"Provide exactly one of `name` or `index`"),
        ({"index": 3}, r"index 3 but model 'mlp' only has 3 layers"),
        ({"name": "nope"}, r"No such layer: nope\. Existing layers are: \['dense', 'dropout'"),
    ],
)
def test_model_get_layer_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP().get_layer(**kwargs)


def test_model_trainable_toggle():
    model = MLP()
    model(np.ones((1, 3), "float32"))
    model.trainable = False
    assert model.trainable_weights == []
    assert len(model.non_trainable_variables) == 5
    assert model.hidden.trainable is False
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_model_get_set_weights():
    model = MLP()
    model(np.ones((1, 3), "float32"))
    values = [np.full(v.shape, i, "float32") for i, v in enumerate(model.weights)]
    model.set_weights(values)
    out = np.asarray(model(np.ones((1, 3), "float32")))
    hidden = np.maximum(np.ones((1, 3)) @ values[0] + values[1], 0)
    np.testing.assert_allclose(out, hidden @ values[2] + values[3], rtol=1e-6)


def test_model_training_flag_reaches_dropout():
    model = MLP()
    x = np.ones((16, 3), "float32")
    model(x)
    model.set_weights([np.ones(v.shape, "float32") for v in model.weights])
    a = np.asarray(model(x))
    b = np.asarray(model(x, training=True))
    assert np.allclose(a, a[0])
    assert not np.allclose(b, b[0])


def test_model_is_a_layer():
    assert isinstance(MLP(), heft.Layer)
    assert isinstance(heft.Sequential(), heft.Model)


# ============================================================================ summary
def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_model_summary_subclassed():
    model = WithOwn()
    model(np.ones((1, 3), "float32"))
    text = _summary(model)
    assert 'Model: "own"' in text
    assert "dense (Dense)" in text
    assert "Total params: 11 (44.00 B)" in text
    assert "Trainable params: 9 (36.00 B)" in text
    assert "Non-trainable params: 2 (8.00 B)" in text


def test_model_summary_unbuilt_subclassed():
    text = _summary(MLP())
    assert "dense (Dense)" in text
    assert "0 (unbuilt)" in text
    assert "Total params: 0" in text


def test_model_summary_frozen_model_counts_all_as_non_trainable():
    model = MLP()
    model(np.ones((1, 3), "float32"))
    model.trainable = False
    text = _summary(model)
    assert "Total params: 26" in text
    assert "Trainable params: 0 " in text
    assert "Non-trainable params: 26" in text


def test_model_summary_expand_nested():
    inner = heft.Sequential([layers.Dense(3, name="inner_dense")], name="inner")
    model = heft.Sequential([heft.Input((2,)), inner, layers.Dense(1, name="top")])
    flat = _summary(model)
    nested = _summary(model, expand_nested=True)
    assert "inner_dense" not in flat
    assert "inner (Sequential)" in flat
    assert "inner_dense (Dense)" in nested
    assert nested.index("inner (Sequential)") < nested.index("inner_dense") < nested.index("top")


def test_model_summary_layer_range():
    model = heft.Sequential(
        [
            heft.Input((2,)),
            layers.Dense(2, name="a"),
            layers.Dense(2, name="b"),
            layers.Dense(2, name="c"),
        ]
    )
    text = _summary(model, layer_range=["b", "c"])
    assert "a (Dense)" not in text
    assert "b (Dense)" in text
    assert "c (Dense)" in text
    assert "Total params: 18" in text


@pytest.mark.parametrize(
    ("layer_range", "message"),
    [
        (["a"], r"`layer_range` must be a list or tuple of two layer names"),
        ("ab", r"`layer_range` must be a list or tuple of two layer names"),
        (["a", "zz"], r"`layer_range` names 'zz', which is not a layer of the model"),
    ],
)
def test_model_summary_bad_layer_range_raises(layer_range, message):
    model = heft.Sequential([heft.Input((2,)), layers.Dense(2, name="a")])
    with pytest.raises(ValueError, match=message):
        model.summary(print_fn=lambda *_: None, layer_range=layer_range)


def test_model_summary_line_length():
    model = heft.Sequential([heft.Input((2,)), layers.Dense(2)])
    text = _summary(model, line_length=60)
    table_lines = [line for line in text.splitlines() if line.startswith(("┏", "│", "└"))]
    assert table_lines
    assert all(len(line) <= 60 for line in table_lines)
