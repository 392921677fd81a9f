"""Tests for heft.layers.Dense."""

import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers


def _x(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype("float32")


def test_dense_weights_names_paths_shapes():
    layer = layers.Dense(4, name="d")
    layer.build((None, 3))
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert [w.path for w in layer.weights] == ["d/kernel", "d/bias"]
    assert layer.kernel.shape == (3, 4)
    assert layer.bias.shape == (4,)
    assert layer.count_params() == 16
    assert layer.built


def test_dense_output_is_matmul_plus_bias():
    layer = layers.Dense(3)
    x = _x((2, 5))
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)


def test_dense_acts_on_last_axis_of_higher_rank_input():
    layer = layers.Dense(2)
    x = _x((2, 3, 4))
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    assert out.shape == (2, 3, 2)
    np.testing.assert_allclose(out, x @ kernel + bias, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    ("activation", "fn"),
    [
        ("relu", lambda z: np.maximum(z, 0)),
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        (None, lambda z: z),
        (heft.activations.tanh, np.tanh),
    ],
)
def test_dense_activation(activation, fn):
    layer = layers.Dense(3, activation=activation)
    x = _x((4, 2))
    out = np.asarray(layer(x))
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(out, fn(x @ kernel + bias), rtol=1e-5, atol=1e-6)


def test_dense_without_bias():
    layer = layers.Dense(2, use_bias=False, kernel_initializer="ones")
    out = np.asarray(layer(np.ones((1, 3), "float32")))
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.bias is None
    assert layer.count_params() == 6
    np.testing.assert_array_equal(out, [[3.0, 3.0]])


def test_dense_initializers():
    layer = layers.Dense(
        2, kernel_initializer=heft.initializers.Constant(0.5), bias_initializer="ones"
    )
    layer.build((None, 2))
    np.testing.assert_array_equal(layer.kernel.numpy(), np.full((2, 2), 0.5))
    np.testing.assert_array_equal(layer.bias.numpy(), [1.0, 1.0])


def test_dense_default_initializers_glorot_uniform_and_zeros():
    layer = layers.Dense(50)
    layer.build((None, 30))
    limit = np.sqrt(6.0 / 80)
    kernel = layer.kernel.numpy()
    assert np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert not layer.bias.numpy().any()


def test_dense_seeded_initializer_is_reproducible():
    a = layers.Dense(3, kernel_initializer=heft.initializers.GlorotUniform(seed=3))
    b = layers.Dense(3, kernel_initializer=heft.initializers.GlorotUniform(seed=3))
    a.build((None, 4))
    b.build((None, 4))
    np.testing.assert_array_equal(a.kernel.numpy(), b.kernel.numpy())


def test_dense_regularizers_and_constraints_on_variables():
    layer = layers.Dense(
        2,
        kernel_regularizer="l2",
        bias_regularizer=heft.regularizers.L1(0.1),
        kernel_constraint="non_neg",
        bias_constraint=heft.constraints.MaxNorm(2.0),
    )
    layer.build((None, 3))
    assert isinstance(layer.kernel.regularizer, heft.regularizers.L2)
    assert isinstance(layer.bias.regularizer, heft.regularizers.L1)
    assert isinstance(layer.kernel.constraint, heft.constraints.NonNeg)
    assert isinstance(layer.bias.constraint, heft.constraints.MaxNorm)
    assert len(layer.losses) == 2


def test_dense_kernel_regularizer_value():
    layer = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=heft.regularizers.L2(0.5))
    layer.build((None, 3))
    assert [float(x) for x in layer.losses] == [pytest.approx(3.0)]


def test_dense_symbolic_call_builds_and_gives_shape():
    layer = layers.Dense(5)
    out = layer(heft.Input((3,)))
    assert out.shape == (None, 5)
    assert layer.built
    assert layer.kernel.shape == (3, 5)


def test_dense_compute_output_shape():
    assert layers.Dense(7).compute_output_shape((None, 3, 4)) == (None, 3, 7)


def test_dense_input_spec_checks_last_axis_after_build():
    layer = layers.Dense(2, name="d")
    layer(np.ones((1, 3), "float32"))
    with pytest.raises(ValueError, match=r'layer "d".*axis -1.*value 3.*\(1, 4\)'):
        layer(np.ones((1, 4), "float32"))


def test_dense_rejects_rank_one_input():
    with pytest.raises(ValueError, match=r'layer "d".*min_ndim=2, found ndim=1'):
        layers.Dense(2, name="d")(np.ones((3,), "float32"))


def test_dense_unknown_last_dimension_raises():
    layer = layers.Dense(2, name="d")
    with pytest.raises(ValueError, match=r"Dense layer 'd' must be known.*\(None, None\)"):
        layer.build((None, None))
    assert layer.weights == []
    assert not layer.built


@pytest.mark.parametrize("units", [0, -3, 2.5, True, "4"])
def test_dense_bad_units_raise(units):
    with pytest.raises(ValueError, match=r"invalid value for `units`.*Received: units="):
        layers.Dense(units)


def test_dense_lora_and_quantization_arguments_raise():
    with pytest.raises(ValueError, match=r"Dense layer 'd'.*not supported by heft"):
        layers.Dense(2, lora_rank=4, name="d")


def test_dense_unknown_activation_raises():
    with pytest.raises(ValueError, match=r"nope"):
        layers.Dense(2, activation="nope")


def test_dense_trainable_false():
    layer = layers.Dense(2, trainable=False)
    layer.build((None, 2))
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == ["kernel", "bias"]


def test_dense_mixed_precision():
    layer = layers.Dense(2, dtype="mixed_bfloat16")
    out = layer(np.ones((1, 3), "float32"))
    assert layer.kernel.dtype == "float32"
    assert out.dtype == jnp.bfloat16


def test_dense_float16_policy():
    layer = layers.Dense(2, dtype="float16")
    layer.build((None, 3))
    assert layer.kernel.dtype == "float16"
    assert layer(np.ones((1, 3), "float32")).dtype == jnp.float16


def test_dense_get_config():
    layer = layers.Dense(
        3,
        activation="relu",
        use_bias=False,
        kernel_initializer="ones",
        kernel_regularizer=heft.regularizers.L2(0.5),
        name="d",
    )
    config = layer.get_config()
    assert config["name"] == "d"
    assert config["units"] == 3
    assert config["activation"] == "relu"
    assert config["use_bias"] is False
    assert config["kernel_initializer"]["class_name"] == "Ones"
    assert config["bias_initializer"]["class_name"] == "Zeros"
    assert config["kernel_regularizer"]["class_name"] == "L2"
    assert config["kernel_regularizer"]["config"]["l2"] == pytest.approx(0.5)
    assert config["bias_regularizer"] is None
    assert config["kernel_constraint"] is None
    assert config["trainable"] is True
    assert config["dtype"]["config"]["name"] == "float32"


def test_dense_from_config_round_trip():
    layer = layers.Dense(
        3,
        activation="tanh",
        kernel_initializer=heft.initializers.RandomNormal(stddev=0.1, seed=2),
        bias_regularizer="l1",
        kernel_constraint="unit_norm",
        activity_regularizer="l2",
        name="d",
    )
    clone = layers.Dense.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    assert not clone.built


def test_dense_serialize_deserialize_with_build_config():
    layer = layers.Dense(3, name="d")
    layer.build((None, 4))
    config = layers.serialize(layer)
    assert config["class_name"] == "Dense"
    assert config["build_config"] == {"input_shape": [None, 4]}
    clone = layers.deserialize(config)
    assert clone.built
    assert clone.kernel.shape == (4, 3)
