"""Tests for heft.Sequential: construction, add/pop, build, weights, config and summary."""

import numpy as np
import pytest

import heft
from heft import layers


def _paths(vs):
    return [v.path for v in vs]


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


# ============================================================================ construction
def test_sequential_from_list_with_input_is_built_at_once():
    model = heft.Sequential([heft.Input((4,)), layers.Dense(3), layers.Dense(2)])
    assert model.built
    assert _paths(model.weights) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
        "sequential/dense_1/kernel",
        "sequential/dense_1/bias",
    ]
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.input_shape == (None, 4)
    assert model.output_shape == (None, 2)


def test_sequential_first_layer_input_shape_builds_at_once():
    model = heft.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    assert model.built
    assert _paths(model.weights) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
        "sequential/dense_1/kernel",
        "sequential/dense_1/bias",
    ]
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    assert model.input_shape == (None, 4)


def test_sequential_first_layer_input_dim_builds_at_once():
    model = heft.Sequential([layers.Dense(3, input_dim=5)])
    assert model.built
    assert model.layers[0].kernel.shape == (5, 3)


def test_sequential_seed_model():
    model = heft.Sequential(
        [
            layers.Dense(64, input_shape=(784,), activation="relu"),
            layers.Dense(10, activation="softmax"),
        ]
    )
    first = model.layers[0]
    assert [w.shape for w in first.weights] == [(784, 64), (64,)]
    assert model.count_params() == 784 * 64 + 64 + 64 * 10 + 10
    out = np.asarray(model(_x((2, 784))))
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 1.0], rtol=1e-5)


def test_sequential_without_input_is_unbuilt_until_called():
    model = heft.Sequential([layers.Dense(3), layers.Dense(2)])
    assert not model.built
    assert model.weights == []
    assert model.get_weights() == []
    out = model(_x((5, 4)))
    assert out.shape == (5, 2)
    assert model.built
    assert _paths(model.weights) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
        "sequential/dense_1/kernel",
        "sequential/dense_1/bias",
    ]


def test_sequential_build_with_input_shape():
    model = heft.Sequential([layers.Dense(3)])
    model.build((None, 6))
    assert model.built
    assert model.layers[0].kernel.shape == (6, 3)
    assert model.input_shape == (None, 6)


def test_sequential_build_without_any_shape_raises():
    model = heft.Sequential([layers.Dense(3)], name="seq")
    with pytest.raises(ValueError, match=r"must provide an `input_shape` argument to build.*'seq'"):
        model.build()


def test_sequential_build_with_conflicting_shape_raises():
    model = heft.Sequential([heft.Input((4,)), layers.Dense(3)], name="seq")
    with pytest.raises(
        ValueError, match=r"'seq' was declared with input shape \(None, 4\).*\(None, 5\)"
    ):
        model.build((None, 5))


def test_sequential_output_matches_layer_by_layer():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    x = _x((6, 3))
    k0, b0, k1, b1 = model.get_weights()
    expected = np.maximum(x @ k0 + b0, 0) @ k1 + b1
    np.testing.assert_allclose(np.asarray(model(x)), expected, rtol=1e-5, atol=1e-6)


def test_sequential_layer_failing_to_build_names_model_and_layer():
    model = heft.Sequential([heft.Input((3,)), layers.Flatten(), layers.Dense(2, name="d")])
    assert model.built
    with pytest.raises(
        ValueError, match=r"Sequential model 'sequential_1' could not build layer 'd2'"
    ):
        heft.Sequential([heft.Input(()), layers.Dense(2, name="d2")])


def test_sequential_layers_must_be_a_list():
    with pytest.raises(TypeError, match=r"`layers` must be a list of layers.*Dense"):
        heft.Sequential(layers.Dense(2))


# ============================================================================ add / pop
def test_sequential_add():
    model = heft.Sequential()
    model.add(heft.Input((2,)))
    assert not model.built
    model.add(layers.Dense(3))
    assert model.built
    model.add(layers.Dense(1))
    assert _paths(model.weights) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
        "sequential/dense_1/kernel",
        "sequential/dense_1/bias",
    ]
    assert model.output_shape == (None, 1)


def test_sequential_add_without_input_stays_unbuilt():
    model = heft.Sequential()
    model.add(layers.Dense(3))
    model.add(layers.Dense(1))
    assert not model.built
    assert model(_x((2, 5))).shape == (2, 1)


def test_sequential_add_after_call_extends_model():
    model = heft.Sequential([layers.Dense(3)])
    model(_x((2, 4)))
    model.add(layers.Dense(7))
    assert model(_x((2, 4))).shape == (2, 7)
    assert _paths(model.weights)[-2:] == ["sequential/dense_1/kernel", "sequential/dense_1/bias"]


def test_sequential_add_duplicate_name_raises():
    model = heft.Sequential([layers.Dense(1, name="a")])
    with pytest.raises(ValueError, match=r"unique names\. Name 'a' is already the name of a layer"):
        model.add(layers.Dense(1, name="a"))
    assert [layer.name for layer in model.layers] == ["a"]


def test_sequential_duplicate_names_in_list_raise():
    with pytest.raises(ValueError, match=r"Name 'a' is already the name"):
        heft.Sequential([layers.Dense(1, name="a"), layers.Dense(1, name="a")])


def test_sequential_add_non_layer_raises():
    model = heft.Sequential()
    with pytest.raises(ValueError, match=r"Only instances of `heft.layers.Layer`.*Received: x"):
        model.add("x")
    assert model.layers == []


def test_sequential_add_second_input_raises():
    model = heft.Sequential([heft.Input((4,)), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"already been configured to use input shape \(None, 4\)"):
        model.add(heft.Input((4,)))


def test_sequential_input_after_layers_raises():
    with pytest.raises(ValueError, match=r"Input can only be the first element"):
        heft.Sequential([layers.Dense(1), heft.Input((3,))])


def test_sequential_add_symbolic_output_of_layer_raises():
    y = layers.Dense(2)(heft.Input((3,)))
    with pytest.raises(ValueError, match=r"Only an input tensor from `heft.Input\(\)`"):
        heft.Sequential().add(y)


def test_sequential_pop():
    model = heft.Sequential([heft.Input((4,)), layers.Dense(3), layers.Dense(2)])
    popped = model.pop()
    assert popped.name == "dense_1"
    assert [layer.name for layer in model.layers] == ["dense"]
    assert model.built
    assert model.output_shape == (None, 3)
    assert _paths(model.weights) == ["sequential/dense/kernel", "sequential/dense/bias"]


def test_sequential_pop_last_layer_leaves_unbuilt_model():
    model = heft.Sequential([heft.Input((2,)), layers.Dense(2)])
    model.pop()
    assert model.layers == []
    assert model.weights == []
    assert not model.built


def test_sequential_pop_empty_raises():
    with pytest.raises(IndexError, match=r"no layers in Sequential model 'sequential' to pop"):
        heft.Sequential().pop()


# ============================================================================ weights and nesting
def test_sequential_nested_paths():
    inner = heft.Sequential([layers.Dense(3), layers.Dense(2)], name="inner")
    outer = heft.Sequential([heft.Input((4,)), inner, layers.Dense(1)], name="outer")
    assert _paths(outer.weights) == [
        "outer/inner/dense/kernel",
        "outer/inner/dense/bias",
        "outer/inner/dense_1/kernel",
        "outer/inner/dense_1/bias",
        "outer/dense_2/kernel",
        "outer/dense_2/bias",
    ]


def test_sequential_dropout_seed_state_in_variables():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dropout(0.5, seed=1)])
    assert _paths(model.weights) == ["sequential/dense/kernel", "sequential/dense/bias"]
    assert _paths(model.variables) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
        "seed_generator/seed_generator_state",
    ]
    assert _paths(model.non_trainable_variables) == ["seed_generator/seed_generator_state"]


def test_sequential_trainable_false():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dense(1)], trainable=False)
    assert model.trainable_weights == []
    assert len(model.non_trainable_weights) == 4
    # As in Keras, the constructor flag does not recurse into the layers.
    assert [layer.trainable for layer in model.layers] == [True, True]
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_sequential_freeze_one_layer():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dense(1)])
    model.layers[0].trainable = False
    assert _paths(model.trainable_weights) == [
        "sequential/dense_1/kernel",
        "sequential/dense_1/bias",
    ]
    assert _paths(model.non_trainable_weights) == [
        "sequential/dense/kernel",
        "sequential/dense/bias",
    ]
    assert _paths(model.weights)[:2] == ["sequential/dense/kernel", "sequential/dense/bias"]


def test_sequential_set_weights_and_get_weights():
    model = heft.Sequential([heft.Input((2,)), layers.Dense(2), layers.Dense(1)])
    values = [np.full(v.shape, i + 1.0, "float32") for i, v in enumerate(model.weights)]
    model.set_weights(values)
    for got, want in zip(model.get_weights(), values, strict=True):
        np.testing.assert_array_equal(got, want)
    # layer-level views see the same variables
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], values[2])


def test_sequential_get_layer():
    model = heft.Sequential(
        [heft.Input((2,)), layers.Dense(2, name="a"), layers.Dense(1, name="b")]
    )
    assert model.get_layer("b").name == "b"
    assert model.get_layer(index=0).name == "a"


def test_sequential_stateless_call_under_jit():
    import jax

    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dropout(0.5, seed=2)])
    tv = [v.value for v in model.trainable_variables]
    ntv = [v.value for v in model.non_trainable_variables]
    x = np.ones((4, 3), "float32")
    out, new_ntv = jax.jit(lambda t, n: model.stateless_call(t, n, x, training=True))(tv, ntv)
    assert out.shape == (4, 2)
    np.testing.assert_array_equal(np.asarray(new_ntv[0]), [2, 1])
    np.testing.assert_array_equal(model.non_trainable_variables[0].numpy(), [2, 0])


# ============================================================================ config
def test_sequential_get_config():
    model = heft.Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)], name="seq")
    config = model.get_config()
    assert config["name"] == "seq"
    assert config["trainable"] is True
    assert config["build_input_shape"] == [None, 4]
    assert [layer["class_name"] for layer in config["layers"]] == ["InputLayer", "Dense", "Dense"]
    assert config["layers"][1]["config"]["units"] == 3
    assert config["layers"][1]["build_config"] == {"input_shape": [None, 4]}


def test_sequential_from_config_round_trip():
    model = heft.Sequential([heft.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    clone = heft.Sequential.from_config(model.get_config())
    assert clone.built
    assert clone.name == model.name
    assert [layer.name for layer in clone.layers] == ["dense", "dense_1"]
    assert [v.shape for v in clone.weights] == [v.shape for v in model.weights]
    clone.set_weights(model.get_weights())
    x = _x((3, 4))
    np.testing.assert_allclose(np.asarray(clone(x)), np.asarray(model(x)), rtol=1e-6)


def test_sequential_from_config_unbuilt():
    model = heft.Sequential([layers.Dense(3), layers.Dense(2)])
    clone = heft.Sequential.from_config(model.get_config())
    assert not clone.built
    assert len(clone.layers) == 2


# ============================================================================ summary
def _summary(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return "\n".join(lines)


def test_sequential_summary_rows_and_totals():
    model = heft.Sequential(
        [
            heft.Input((784,)),
            layers.Dense(64, activation="relu"),
            layers.Dropout(0.2),
            layers.Dense(10, trainable=False),
        ]
    )
    text = _summary(model)
    assert 'Model: "sequential"' in text
    assert "dense (Dense)" in text
    assert "dropout (Dropout)" in text
    assert "dense_1 (Dense)" in text
    assert "(None, 64)" in text
    assert "(None, 10)" in text
    assert "50,240" in text
    assert "650" in text
    assert "Total params: 50,890 (198.79 KB)" in text
    assert "Trainable params: 50,240 (196.25 KB)" in text
    assert "Non-trainable params: 650 (2.54 KB)" in text
    assert "input_layer" not in text


def test_sequential_summary_rows_in_layer_order():
    model = heft.Sequential(
        [heft.Input((3,)), layers.Dense(2, name="zz"), layers.Dense(1, name="aa")]
    )
    text = _summary(model)
    assert text.index("zz (Dense)") < text.index("aa (Dense)")


def test_sequential_summary_show_trainable():
    model = heft.Sequential([heft.Input((3,)), layers.Dense(2), layers.Dense(1, trainable=False)])
    text = _summary(model, show_trainable=True)
    assert "Trainable" in text
    rows = [line for line in text.splitlines() if "(Dense)" in line]
    assert rows[0].rstrip(" │").endswith("Y")
    assert rows[1].rstrip(" │").endswith("N")


def test_sequential_summary_unbuilt():
    model = heft.Sequential([layers.Dense(3)])
    text = _summary(model)
    assert "0 (unbuilt)" in text
    assert "Total params: 0" in text


def test_sequential_summary_prints_to_stdout(capsys):
    heft.Sequential([heft.Input((2,)), layers.Dense(2)]).summary()
    out = capsys.readouterr().out
    assert "Total params: 6" in out
    assert "dense (Dense)" in out
