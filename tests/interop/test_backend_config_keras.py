"""heft.backend, heft.config switches and top-level names side by side with Keras 3."""

import itertools
import os
import traceback

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft

OWN_TOP_LEVEL = [
    "FloatDTypePolicy",
    "Function",
    "Initializer",
    "Loss",
    "Optimizer",
    "Regularizer",
    "RematScope",
    "remat",
    "device",
    "version",
    "backend",
    "tree",
]
OWN_CONFIG = [
    "backend",
    "set_backend",
    "enable_flash_attention",
    "disable_flash_attention",
    "is_flash_attention_enabled",
    "enable_traceback_filtering",
    "disable_traceback_filtering",
    "is_traceback_filtering_enabled",
    "enable_interactive_logging",
    "disable_interactive_logging",
    "is_interactive_logging_enabled",
    "is_nnx_enabled",
]


def _public(module):
    return sorted(n for n in dir(module) if not n.startswith("_"))


@pytest.mark.parametrize("name", ["backend", "tree"])
def test_every_keras_name_exists(name):
    missing = set(_public(getattr(keras, name))) - set(_public(getattr(heft, name)))
    assert not missing


def test_own_top_level_and_config_names_exist():
    for name in OWN_TOP_LEVEL:
        assert hasattr(keras, name) and hasattr(heft, name), name
    for name in OWN_CONFIG:
        assert hasattr(keras.config, name) and hasattr(heft.config, name), name


DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint32", "uint64"]
DTYPES += ["bfloat16", "float16", "float32", "float64", "complex64", int, float, bool, None]


def test_result_type_matches_keras():
    for a, b in itertools.product(DTYPES, DTYPES):
        assert heft.backend.result_type(a, b) == keras.backend.result_type(a, b), (a, b)
    assert heft.backend.result_type() == keras.backend.result_type() == "float32"
    assert heft.backend.result_type("int8", "int16", float) == keras.backend.result_type(
        "int8", "int16", float
    )
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.backend.result_type("float8_e4m3fn", "float32")


@pytest.mark.parametrize("dtype", ["bfloat16", "float64", "int8", "uint16", "bool", int, float])
def test_dtype_predicates(dtype):
    assert heft.backend.is_float_dtype(dtype) == keras.backend.is_float_dtype(dtype)
    assert heft.backend.is_int_dtype(dtype) == keras.backend.is_int_dtype(dtype)
    assert heft.backend.standardize_dtype(dtype) == keras.backend.standardize_dtype(dtype)


def test_backend_settings_and_uid():
    for lib in (keras, heft):
        assert lib.backend.backend() == lib.config.backend() == "jax"
        assert lib.backend.floatx() == "float32" and lib.backend.epsilon() == 1e-7
        lib.backend.set_epsilon(1e-5)
        assert lib.backend.epsilon() == 1e-5
        lib.backend.set_epsilon(1e-7)
        assert lib.backend.image_data_format() == "channels_last"
        lib.backend.clear_session()
        assert (lib.backend.get_uid("blk"), lib.backend.get_uid("blk")) == (1, 2)
        lib.layers.Dense(1)
        assert lib.backend.get_uid("dense") == 2
        assert lib.backend.is_keras_tensor(lib.Input((1,)))
        lib.backend.clear_session()


def test_set_backend_refuses_other_backends():
    heft.config.set_backend("jax")
    with pytest.raises(ValueError, match="JAX only"):
        heft.config.set_backend("torch")


def test_switches_match_keras_defaults_and_toggles():
    for lib in (keras, heft):
        assert lib.config.is_flash_attention_enabled() is None
        lib.config.disable_flash_attention()
        assert lib.config.is_flash_attention_enabled() is False
        lib.config.enable_flash_attention()
        assert lib.config.is_flash_attention_enabled() is None
        lib.config.disable_flash_attention()
        assert lib.config.is_traceback_filtering_enabled()
        lib.config.disable_traceback_filtering()
        assert not lib.config.is_traceback_filtering_enabled()
        lib.config.enable_traceback_filtering()
        assert lib.config.is_nnx_enabled() is False
        lib.backend.clear_session()
        assert lib.config.is_flash_attention_enabled() is None


class _Fails(heft.layers.Layer):
    def call(self, x):
        raise RuntimeError("user error")


def _frames(error):
    return [f.filename for f in traceback.extract_tb(error.__traceback__)]


def test_traceback_filtering_drops_heft_frames():
    heft_dir = os.path.dirname(heft.__file__)
    with pytest.raises(RuntimeError) as filtered:
        _Fails()(np.ones((1, 2)))
    files = _frames(filtered.value)
    assert __file__ in files
    assert sum(f.startswith(heft_dir) for f in files) == 1  # the filtering wrapper itself
    heft.config.disable_traceback_filtering()
    try:
        with pytest.raises(RuntimeError) as full:
            _Fails()(np.ones((1, 2)))
        assert jax.config.jax_traceback_filtering == "off"
    finally:
        heft.config.enable_traceback_filtering()
    assert sum(f.startswith(heft_dir) for f in _frames(full.value)) > 2
    assert jax.config.jax_traceback_filtering == "auto"


def test_remat_and_remat_scope_keep_values_and_gradients():
    def f(x):
        return jnp.sum(jnp.tanh(x) ** 2)

    x = jnp.arange(3.0)
    np.testing.assert_allclose(jax.grad(heft.remat(f))(x), jax.grad(keras.remat(f))(x))
    for mode, kwargs in [
        ("full", {}),
        ("activations", {}),
        ("larger_than", {"output_size_threshold": 2}),
        ("list_of_layers", {"layer_names": ["d1"]}),
    ]:
        with heft.RematScope(mode=mode, **kwargs):
            dense = heft.layers.Dense(4, activation="tanh", name="d1")
        plain = heft.layers.Dense(4, activation="tanh", name="d2")
        plain.build((None, 3))
        dense.build((None, 3))
        dense.set_weights(plain.get_weights())
        data = jnp.linspace(-1.0, 1.0, 6).reshape(2, 3)

        def loss(x, layer):
            return jnp.sum(layer(x) ** 2)

        grad = jax.jit(jax.grad(lambda x, layer=dense: loss(x, layer)))(data)
        expected = jax.grad(lambda x, layer=plain: loss(x, layer))(data)
        np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
        if mode != "activations":
            text = str(jax.make_jaxpr(jax.grad(lambda x, layer=dense: loss(x, layer)))(data))
            assert "remat" in text or "checkpoint" in text
        assert dense._remat_mode.mode == mode and plain._remat_mode is None
    for lib in (keras, heft):
        with pytest.raises(ValueError, match="Invalid mode"):
            lib.RematScope(mode="sometimes")


def test_device_scope():
    with heft.device("cpu:0") as placed:
        x = heft.ops.ones((2,))
    assert placed == jax.devices("cpu")[0]
    assert next(iter(x.devices())) == placed
    for bad in ("tpu:7", "cpu:99", 3):
        with pytest.raises(ValueError, match="device"):
            with heft.device(bad):
                pass


def test_base_classes_are_heft_bases():
    assert issubclass(heft.layers.Dense, heft.Layer)
    assert isinstance(heft.initializers.Ones(), heft.Initializer)
    assert isinstance(heft.losses.MeanSquaredError(), heft.Loss)
    assert isinstance(heft.optimizers.SGD(), heft.Optimizer)
    assert isinstance(heft.regularizers.L2(), heft.Regularizer)
    assert heft.FloatDTypePolicy("float16").compute_dtype == "float16"
    assert heft.version() == heft.__version__


def _function(lib):
    a = lib.KerasTensor((None, 2, 3))
    b = lib.KerasTensor((None, 2, 3))
    dense = lib.layers.Dense(4, name="fd")
    x = lib.ops.sigmoid(a + b)
    outputs = {"dense": dense(x), "sum": lib.ops.sum(x, axis=-1)}
    return lib.Function(inputs=[a, b], outputs=outputs, name="fn"), dense


def test_function_runs_the_graph_as_keras():
    keras_fn, keras_dense = _function(keras)
    heft_fn, heft_dense = _function(heft)
    heft_dense.set_weights(keras_dense.get_weights())
    data = [RNG_DATA[:12].reshape(2, 2, 3), RNG_DATA[12:].reshape(2, 2, 3)]
    ours, theirs = heft_fn(data), keras_fn(data)
    assert sorted(ours) == sorted(theirs)
    for key in theirs:
        np.testing.assert_allclose(np.asarray(ours[key]), np.asarray(theirs[key]), rtol=1e-6)
    assert len(heft_fn.operations) == len(keras_fn.operations) == 4
    assert heft_fn.operations[2] is heft_dense
    assert heft_fn.compute_output_shape([(5, 2, 3), (5, 2, 3)]) == keras_fn.compute_output_shape(
        [(5, 2, 3), (5, 2, 3)]
    )
    for lib, fn in ((keras, keras_fn), (heft, heft_fn)):
        with pytest.raises(ValueError, match="incompatible inputs"):
            fn([np.ones((2, 2, 4)), np.ones((2, 2, 4))])
        with pytest.raises(ValueError, match="input structure"):
            fn(np.ones((2, 2, 3)))
        with pytest.raises(ValueError, match="cannot be empty"):
            lib.Function([], [])
    # Keras fails with an AttributeError here; heft names the problem.
    loose = heft.KerasTensor((None, 3))
    with pytest.raises(ValueError, match="not connected"):
        heft.Function([heft.KerasTensor((None, 3))], loose * 2)


RNG_DATA = np.random.default_rng(1).normal(size=(24,)).astype("float32")
