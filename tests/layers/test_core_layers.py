"""Tests for Activation, Identity, Dropout, Flatten, InputLayer/Input and InputSpec."""

import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import layers
from heft.layers import InputSpec
from heft.layers._input_spec import assert_input_compatibility


# ============================================================================ Activation
def test_activation_by_name():
    layer = layers.Activation("relu")
    out = layer(np.array([[-1.0, 0.5]], "float32"))
    np.testing.assert_array_equal(np.asarray(out), [[0.0, 0.5]])


def test_activation_by_callable():
    layer = layers.Activation(lambda x: x * 3)
    np.testing.assert_array_equal(np.asarray(layer(np.ones((1, 2), "float32"))), [[3.0, 3.0]])


def test_activation_is_built_and_locked_at_init():
    layer = layers.Activation("tanh")
    assert layer.built
    assert layer.weights == []
    with pytest.raises(ValueError, match=r"already built"):
        layer.add_weight(shape=(1,))


def test_activation_config_round_trip():
    layer = layers.Activation("sigmoid", name="act")
    config = layer.get_config()
    assert config["activation"] == "sigmoid"
    assert config["name"] == "act"
    clone = layers.Activation.from_config(config)
    np.testing.assert_allclose(np.asarray(clone(np.zeros((1, 1), "float32"))), [[0.5]], rtol=1e-6)


def test_activation_unknown_name_raises():
    with pytest.raises(ValueError, match=r"unknown_fn"):
        layers.Activation("unknown_fn")


def test_activation_compute_output_shape():
    assert layers.Activation("relu").compute_output_shape((None, 3)) == (None, 3)


# ============================================================================ Identity
def test_identity_returns_input():
    layer = layers.Identity()
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    assert layer.built
    assert layer.weights == []
    assert layer.name == "identity"


def test_identity_is_built_and_locked_at_init():
    layer = layers.Identity()
    with pytest.raises(ValueError, match=r"already built"):
        layer.add_weight(shape=(1,))
    assert layer.weights == []


def test_identity_symbolic_shape():
    out = layers.Identity()(heft.Input((4, 2)))
    assert out.shape == (None, 4, 2)


# ============================================================================ Dropout
def test_dropout_inference_is_identity():
    layer = layers.Dropout(0.5, seed=1)
    x = np.ones((4, 4), "float32")
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)


def test_dropout_training_zeroes_and_rescales():
    layer = layers.Dropout(0.25, seed=3)
    x = np.ones((64, 64), "float32")
    out = np.asarray(layer(x, training=True))
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75], rtol=1e-6)
    kept = (out != 0).mean()
    assert 0.7 < kept < 0.8


def test_dropout_seed_advances_each_training_call():
    layer = layers.Dropout(0.5, seed=11)
    x = np.ones((8, 8), "float32")
    a = np.asarray(layer(x, training=True))
    b = np.asarray(layer(x, training=True))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [11, 2])


def test_dropout_same_seed_same_mask():
    x = np.ones((8, 8), "float32")
    a = np.asarray(layers.Dropout(0.5, seed=5)(x, training=True))
    b = np.asarray(layers.Dropout(0.5, seed=5)(x, training=True))
    np.testing.assert_array_equal(a, b)


def test_dropout_seed_generator_in_variables_not_weights():
    layer = layers.Dropout(0.5, seed=2)
    assert layer.weights == []
    assert [v.path for v in layer.variables] == ["seed_generator/seed_generator_state"]
    assert [v.path for v in layer.non_trainable_variables] == [
        "seed_generator/seed_generator_state"
    ]
    assert layer.trainable_variables == []
    assert layer.variables[0].dtype == "uint32"


def test_dropout_is_built_and_locked_at_init():
    layer = layers.Dropout(0.5, seed=1)
    assert layer.built
    with pytest.raises(ValueError, match=r"already built"):
        layer.add_weight(shape=(1,))
    assert len(layer.variables) == 1


def test_dropout_rate_zero_has_no_seed_generator():
    layer = layers.Dropout(0.0)
    assert layer.variables == []
    x = np.ones((2, 2), "float32")
    np.testing.assert_array_equal(np.asarray(layer(x, training=True)), x)


def test_dropout_noise_shape_broadcasts_mask():
    layer = layers.Dropout(0.5, noise_shape=(1, 6), seed=4)
    out = np.asarray(layer(np.ones((5, 6), "float32"), training=True))
    for row in out[1:]:
        np.testing.assert_array_equal(row, out[0])


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", True])
def test_dropout_bad_rate_raises(rate):
    with pytest.raises(ValueError, match=r"argument `rate`.*between 0 and 1.*Received: rate="):
        layers.Dropout(rate)


def test_dropout_config_round_trip():
    layer = layers.Dropout(0.3, noise_shape=(None, 1), seed=9, name="drop")
    config = layer.get_config()
    assert config["rate"] == 0.3
    assert config["seed"] == 9
    assert tuple(config["noise_shape"]) == (None, 1)
    assert config["name"] == "drop"
    clone = layers.Dropout.from_config(config)
    assert clone.get_config() == config


def test_dropout_training_inherited_from_outer_call():
    class Wrapper(layers.Layer):
        def __init__(self):
            super().__init__()
            self.drop = layers.Dropout(0.5, seed=1)

        def call(self, x, training=None):
            return self.drop(x)

    out = np.asarray(Wrapper()(np.ones((16, 16), "float32"), training=True))
    assert (out == 0).any()


# ============================================================================ Flatten
def test_flatten_keeps_batch_axis():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    out = np.asarray(layers.Flatten()(x))
    np.testing.assert_array_equal(out, x.reshape(2, 12))


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    out = np.asarray(layers.Flatten(data_format="channels_first")(x))
    np.testing.assert_array_equal(out, np.moveaxis(x, 1, -1).reshape(2, 12))


def test_flatten_is_built_on_first_call():
    layer = layers.Flatten()
    assert not layer.built
    layer(np.ones((2, 3, 4), "float32"))
    assert layer.built
    assert layer.get_build_config() == {"input_shape": (2, 3, 4)}


def test_flatten_rank_two_unchanged():
    x = np.ones((3, 5), "float32")
    assert layers.Flatten()(x).shape == (3, 5)


def test_flatten_output_shapes():
    layer = layers.Flatten()
    assert layer.compute_output_shape((None, 3, 4)) == (None, 12)
    assert layer.compute_output_shape((None, None, 4)) == (None, None)
    assert layer(heft.Input((2, 3, 4))).shape == (None, 24)


def test_flatten_bad_data_format_raises():
    with pytest.raises(ValueError, match=r"`data_format`.*Received: data_format=nchw"):
        layers.Flatten(data_format="nchw")


def test_flatten_config():
    config = layers.Flatten(name="f").get_config()
    assert config["data_format"] == "channels_last"
    assert layers.Flatten.from_config(config).name == "f"


# ============================================================================ Input / InputLayer
def test_input_returns_symbolic_tensor():
    x = heft.Input((784,))
    assert isinstance(x, heft.KerasTensor)
    assert x.shape == (None, 784)
    assert x.dtype == "float32"


def test_input_int_shape_batch_size_dtype_name():
    x = heft.Input(3, batch_size=8, dtype="int32", name="ids")
    assert x.shape == (8, 3)
    assert x.dtype == "int32"
    layer = x._keras_history[0]
    assert isinstance(layer, layers.InputLayer)
    assert layer.name == "ids"


def test_input_batch_shape():
    assert heft.Input(batch_shape=(4, 2, 2)).shape == (4, 2, 2)


def test_input_layer_properties():
    layer = layers.InputLayer(shape=(3,))
    assert layer.batch_shape == (None, 3)
    assert layer.dtype == "float32"
    assert layer.built
    assert layer.weights == []
    assert layer.name == "input_layer"
    assert layer.output.shape == (None, 3)


def test_input_layer_accepts_legacy_input_shape():
    assert layers.InputLayer(input_shape=(5,)).batch_shape == (None, 5)
    assert layers.InputLayer(batch_input_shape=(2, 5)).batch_shape == (2, 5)


def test_input_layer_shape_and_batch_shape_together_raise():
    with pytest.raises(ValueError, match=r"both `shape` and `batch_shape`"):
        layers.InputLayer(shape=(3,), batch_shape=(None, 3))


def test_input_layer_without_shape_raises():
    with pytest.raises(ValueError, match=r"must pass a `shape` argument"):
        heft.Input()


def test_input_layer_sparse_raises():
    with pytest.raises(ValueError, match=r"`sparse=True` is not supported"):
        heft.Input((3,), sparse=True)


def test_input_layer_non_symbolic_tensor_raises():
    with pytest.raises(ValueError, match=r"`input_tensor` must be a symbolic KerasTensor"):
        layers.InputLayer(input_tensor=np.zeros((1, 3)))


def test_input_layer_wraps_existing_tensor():
    x = heft.Input((3,), dtype="int32")
    layer = layers.InputLayer(input_tensor=x)
    assert layer.batch_shape == (None, 3)
    assert layer.dtype == "int32"


def test_input_layer_config_round_trip():
    layer = layers.InputLayer(shape=(3, 2), dtype="float16", name="inp")
    config = layer.get_config()
    assert config == {
        "batch_shape": [None, 3, 2],
        "dtype": "float16",
        "sparse": False,
        "ragged": False,
        "name": "inp",
        "optional": False,
    }
    clone = layers.InputLayer.from_config(config)
    assert clone.batch_shape == (None, 3, 2)
    assert clone.dtype == "float16"


# ============================================================================ InputSpec
def test_input_spec_attributes_and_config():
    spec = InputSpec(min_ndim=2, axes={-1: 8})
    assert spec.min_ndim == 2
    assert spec.axes == {-1: 8}
    assert spec.get_config()["min_ndim"] == 2
    assert repr(spec) == "InputSpec(min_ndim=2, axes={-1: 8})"


def test_input_spec_shape_sets_ndim():
    spec = InputSpec(shape=(None, 3))
    assert spec.ndim == 2
    assert spec.shape == (None, 3)


def test_input_spec_none_accepts_anything():
    assert_input_compatibility(None, np.zeros((1, 2, 3)), "x")


@pytest.mark.parametrize(
    ("spec", "shape", "message"),
    [
        (InputSpec(ndim=2), (2, 3, 4), r"expected ndim=2, found ndim=3"),
        (InputSpec(max_ndim=2), (2, 3, 4), r"expected max_ndim=2, found ndim=3"),
        (InputSpec(min_ndim=3), (2, 3), r"expected min_ndim=3, found ndim=2"),
        (InputSpec(axes={-1: 4}), (2, 3), r"axis -1 of input shape to have value 4"),
        (InputSpec(axes={1: 2}), (2, 3), r"axis 1 of input shape to have value 2"),
        (InputSpec(shape=(None, 5)), (2, 3), r"expected shape=\(None, 5\), found shape=\(2, 3\)"),
    ],
)
def test_input_spec_violations_raise(spec, shape, message):
    with pytest.raises(ValueError, match=rf'Input 0 of layer "lyr".*{message}'):
        assert_input_compatibility(spec, np.zeros(shape), "lyr")


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        (InputSpec(ndim=2), (2, 3)),
        (InputSpec(max_ndim=3), (2, 3)),
        (InputSpec(min_ndim=2), (2, 3, 4)),
        (InputSpec(axes={-1: 3}), (5, 3)),
        (InputSpec(shape=(None, 3)), (7, 3)),
    ],
)
def test_input_spec_compatible_inputs_pass(spec, shape):
    assert_input_compatibility(spec, np.zeros(shape), "lyr")


def test_input_spec_checked_on_layer_call():
    class NeedsRank3(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = InputSpec(ndim=3)

        def call(self, x):
            return x

    layer = NeedsRank3(name="r3")
    assert layer(jnp.ones((1, 2, 3))).shape == (1, 2, 3)
    with pytest.raises(ValueError, match=r'layer "r3".*expected ndim=3, found ndim=2'):
        layer(jnp.ones((2, 3)))
