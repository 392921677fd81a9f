import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax.numpy as jnp
import keras
import numpy as np
import pytest

import heft.random as hr
from heft import initializers

RANDOM_NAMES = [
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "GlorotUniform",
    "GlorotNormal",
    "HeNormal",
    "HeUniform",
    "LecunNormal",
    "LecunUniform",
]


def _same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _pair(name, **kwargs):
    return getattr(keras.initializers, name)(**kwargs), getattr(initializers, name)(**kwargs)


@pytest.mark.parametrize(
    ("shape", "dtype"),
    [((784, 64), "float32"), ((3, 3, 8, 16), "float32"), ((784, 64), "bfloat16")],
)
@pytest.mark.parametrize("name", RANDOM_NAMES)
def test_seeded_initializer_values_are_bit_identical(name, shape, dtype):
    k_init, h_init = _pair(name, seed=1337)
    assert _same_bits(h_init(shape, dtype=dtype), k_init(shape, dtype=dtype))


@pytest.mark.parametrize("shape", [(5, 7), (2, 10, 6)])
def test_seeded_orthogonal_is_bit_identical(shape):
    k_init, h_init = _pair("Orthogonal", gain=1.5, seed=3)
    assert _same_bits(h_init(shape), k_init(shape))


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_seeded_variance_scaling_is_bit_identical(mode, distribution):
    k_init, h_init = _pair(
        "VarianceScaling", scale=0.7, mode=mode, distribution=distribution, seed=5
    )
    assert _same_bits(h_init((784, 64)), k_init((784, 64)))


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("RandomNormal", {"mean": 0.3, "stddev": 2.0}),
        ("TruncatedNormal", {"mean": -1.0, "stddev": 0.01}),
        ("RandomUniform", {"minval": -3.0, "maxval": 7.5}),
    ],
)
def test_seeded_initializer_parameters_are_bit_identical(name, kwargs):
    k_init, h_init = _pair(name, seed=9, **kwargs)
    assert _same_bits(h_init((784, 64)), k_init((784, 64)))


def test_seed_generator_sequences_are_bit_identical():
    k_init = keras.initializers.GlorotUniform(seed=keras.random.SeedGenerator(21))
    h_init = initializers.GlorotUniform(seed=hr.SeedGenerator(21))
    for _ in range(2):
        assert _same_bits(h_init((784, 64)), k_init((784, 64)))


@pytest.mark.parametrize("name", ["RandomNormal", "GlorotUniform", "HeNormal", "LecunUniform"])
def test_unseeded_initializer_statistics_match(name):
    k_values = np.asarray(getattr(keras.initializers, name)()((784, 64)))
    h_values = np.asarray(getattr(initializers, name)()((784, 64)))
    assert not np.array_equal(k_values, h_values)
    assert abs(h_values.mean() - k_values.mean()) < 0.1 * k_values.std()
    assert abs(h_values.std() / k_values.std() - 1.0) < 0.03


def _configs():
    return [
        ("Zeros", {}),
        ("Ones", {}),
        ("Constant", {"value": 3.5}),
        ("RandomNormal", {}),
        ("RandomNormal", {"mean": 1.0, "stddev": 2.0, "seed": 4}),
        ("RandomUniform", {"minval": -1.0, "maxval": 1.0, "seed": 2}),
        ("TruncatedNormal", {"seed": 7}),
        ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "normal", "seed": 1}),
        ("VarianceScaling", {"input_axes": [0], "output_axes": [1]}),
        ("GlorotUniform", {"seed": 1}),
        ("GlorotNormal", {}),
        ("HeNormal", {"seed": 3}),
        ("HeUniform", {"input_axes": [0, 1], "output_axes": [2]}),
        ("LecunNormal", {}),
        ("LecunUniform", {"seed": 0}),
        ("Orthogonal", {"gain": 2.0, "seed": 1}),
    ]


@pytest.mark.parametrize(("name", "kwargs"), _configs())
def test_serialize_and_get_config_are_identical(name, kwargs):
    k_init, h_init = _pair(name, **kwargs)
    assert h_init.get_config() == k_init.get_config()
    assert initializers.serialize(h_init) == keras.initializers.serialize(k_init)


@pytest.mark.parametrize(("name", "kwargs"), _configs())
def test_configs_load_across_libraries(name, kwargs):
    k_init, h_init = _pair(name, **kwargs)
    from_keras = initializers.deserialize(keras.initializers.serialize(k_init))
    to_keras = keras.initializers.deserialize(initializers.serialize(h_init))
    assert type(from_keras).__name__ == name and from_keras.get_config() == k_init.get_config()
    assert type(to_keras).__name__ == name and to_keras.get_config() == h_init.get_config()


@pytest.mark.parametrize("value", [np.array([1.0, 2.0]), np.array([[1, 2]], dtype="int32")])
def test_constant_array_config_is_identical(value):
    k_init, h_init = _pair("Constant", value=value)
    assert initializers.serialize(h_init) == keras.initializers.serialize(k_init)
    restored = initializers.deserialize(keras.initializers.serialize(k_init))
    np.testing.assert_array_equal(restored((2, 2)), k_init((2, 2)))


def test_constant_jax_array_config_is_identical():
    k_init, h_init = _pair("Constant", value=jnp.array([1.0, 2.0]))
    assert h_init.get_config() == k_init.get_config()


def test_identity_config_keeps_gain_and_loads_in_keras():
    h_init = initializers.Identity(gain=2.0)
    assert keras.initializers.Identity(gain=2.0).get_config() == {}  # Keras drops the gain
    to_keras = keras.initializers.deserialize(initializers.serialize(h_init))
    np.testing.assert_array_equal(to_keras((2, 2)), h_init((2, 2)))
    from_keras = initializers.deserialize(
        keras.initializers.serialize(keras.initializers.Identity())
    )
    assert from_keras.gain == 1.0


def test_seed_generator_seed_serializes_like_keras():
    k_config = keras.initializers.serialize(
        keras.initializers.RandomNormal(seed=keras.random.SeedGenerator(3))
    )
    h_config = initializers.serialize(initializers.RandomNormal(seed=hr.SeedGenerator(3)))
    k_seed, h_seed = k_config["config"].pop("seed"), h_config["config"].pop("seed")
    assert h_config == k_config
    assert {k: v for k, v in h_seed.items() if k != "config"} == {
        k: v for k, v in k_seed.items() if k != "config"
    }
    assert h_seed["config"]["seed"] == k_seed["config"]["seed"] == 3
    restored = initializers.deserialize(
        keras.initializers.serialize(
            keras.initializers.RandomNormal(seed=keras.random.SeedGenerator(3))
        )
    )
    assert _same_bits(
        restored((784, 64)), initializers.RandomNormal(seed=hr.SeedGenerator(3))((784, 64))
    )


def test_get_accepts_every_keras_name():
    from keras.src.initializers import ALL_OBJECTS_DICT

    for name, cls in ALL_OBJECTS_DICT.items():
        if cls.__name__ == "STFT":
            continue
        if name in ("constant", "Constant"):
            assert type(initializers.get(name)).__name__ == "Constant"
            continue
        assert type(initializers.get(name)).__name__ == type(keras.initializers.get(name)).__name__


def test_unknown_name_errors_match_keras():
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: foo"):
        keras.initializers.get("foo")
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: foo"):
        initializers.get("foo")


@pytest.mark.parametrize(
    ("fn", "args"),
    [
        ("normal", ((784, 64),)),
        ("uniform", ((784, 64),)),
        ("truncated_normal", ((784, 64),)),
        ("randint", ((50,), 0, 10)),
        ("gamma", ((20,), 2.0)),
        ("binomial", ((20,), 5.0, 0.3)),
        ("beta", ((20,), 2.0, 3.0)),
    ],
)
def test_random_functions_are_bit_identical(fn, args):
    assert _same_bits(getattr(hr, fn)(*args, seed=42), getattr(keras.random, fn)(*args, seed=42))


def test_random_functions_on_arrays_are_bit_identical():
    x = np.arange(40, dtype="float32").reshape(8, 5)
    assert _same_bits(hr.shuffle(x, seed=3), keras.random.shuffle(x, seed=3))
    assert _same_bits(hr.dropout(x, 0.3, seed=3), keras.random.dropout(x, 0.3, seed=3))
    assert _same_bits(
        hr.dropout(x, 0.3, noise_shape=(None, 1), seed=3),
        keras.random.dropout(x, 0.3, noise_shape=(None, 1), seed=3),
    )
    logits = np.log(np.array([[0.2, 0.8], [0.5, 0.5]], dtype="float32"))
    assert _same_bits(
        hr.categorical(logits, 6, seed=3), keras.random.categorical(logits, 6, seed=3)
    )


def test_random_seed_generator_draws_are_bit_identical():
    k_gen, h_gen = keras.random.SeedGenerator(8), hr.SeedGenerator(8)
    for _ in range(2):
        assert _same_bits(
            hr.normal((784, 64), seed=h_gen), keras.random.normal((784, 64), seed=k_gen)
        )
