import random as pyrandom

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft.initializers import Orthogonal, RandomNormal, RandomUniform, TruncatedNormal
from heft.random import SeedGenerator

SHAPE = (200, 100)


@pytest.mark.parametrize("cls", [RandomNormal, RandomUniform, TruncatedNormal, Orthogonal])
def test_random_initializer_unseeded_object_repeats_its_values(cls):
    init = cls()
    assert isinstance(init.seed, int)
    np.testing.assert_array_equal(init((6, 4)), init((6, 4)))


@pytest.mark.parametrize("cls", [RandomNormal, RandomUniform, TruncatedNormal, Orthogonal])
def test_random_initializer_unseeded_copy_from_config_differs(cls):
    init = cls()
    copy = cls.from_config(init.get_config())
    assert copy.get_config()["seed"] is None
    assert not np.array_equal(init((6, 4)), copy((6, 4)))


@pytest.mark.parametrize("cls", [RandomNormal, RandomUniform, TruncatedNormal, Orthogonal])
def test_random_initializer_int_seed_is_reproducible_across_objects(cls):
    np.testing.assert_array_equal(cls(seed=3)((6, 4)), cls(seed=3)((6, 4)))
    assert not np.array_equal(cls(seed=3)((6, 4)), cls(seed=4)((6, 4)))


def test_random_initializer_int_seed_matches_jax_random():
    key = jnp.array([3, 0], dtype=jnp.uint32)
    expected = jax.random.normal(key, (6, 4)) * 0.05 + 0.0
    np.testing.assert_array_equal(RandomNormal(seed=3)((6, 4)), expected)


def test_random_initializer_seed_generator_gives_new_values_each_call():
    init = RandomUniform(seed=SeedGenerator(1))
    assert not np.array_equal(init((5,)), init((5,)))


def test_random_initializer_python_seed_makes_unseeded_deterministic():
    pyrandom.seed(7)
    a = RandomNormal()((4,))
    pyrandom.seed(7)
    b = RandomNormal()((4,))
    np.testing.assert_array_equal(a, b)


def test_random_initializer_config_keeps_original_seed():
    assert RandomNormal().get_config() == {"seed": None, "mean": 0.0, "stddev": 0.05}
    assert RandomUniform(seed=5).get_config() == {"seed": 5, "minval": -0.05, "maxval": 0.05}
    assert TruncatedNormal(1.0, 2.0, seed=2).get_config() == {"seed": 2, "mean": 1.0, "stddev": 2.0}
    assert Orthogonal(gain=2.0, seed=1).get_config() == {"seed": 1, "gain": 2.0}


def test_random_initializer_numpy_int_seed_stored_as_int():
    init = RandomNormal(seed=np.int64(4))
    assert type(init.seed) is int and init.get_config()["seed"] == 4


def test_random_initializer_seed_generator_config_round_trip():
    init = RandomNormal(seed=SeedGenerator(9))
    seed_config = init.get_config()["seed"]
    assert seed_config["class_name"] == "SeedGenerator"
    assert seed_config["module"] == "keras.random"
    assert seed_config["config"]["seed"] == 9
    restored = RandomNormal.from_config(init.get_config())
    assert isinstance(restored.seed, SeedGenerator)
    first = np.asarray(restored((4,)))
    np.testing.assert_array_equal(first, RandomNormal(seed=SeedGenerator(9))((4,)))


def test_random_initializer_rejects_bad_seed_dict():
    with pytest.raises(ValueError, match="A dict `seed` must be a serialized SeedGenerator"):
        RandomNormal(seed={"class_name": "Foo", "config": {}})


@pytest.mark.parametrize("seed", [1.5, "3", [1, 2]])
def test_random_initializer_rejects_bad_seed_type(seed):
    with pytest.raises(ValueError, match="`seed` argument should be an instance of"):
        RandomNormal(seed=seed)


def test_random_initializer_out_of_range_seed_raises_on_call():
    with pytest.raises(OverflowError, match="out of bounds for uint32"):
        RandomNormal(seed=-1)((2,))


def test_random_normal_statistics():
    values = np.asarray(RandomNormal(mean=1.0, stddev=2.0, seed=1)(SHAPE))
    assert abs(values.mean() - 1.0) < 0.05
    assert abs(values.std() - 2.0) < 0.05


def test_random_uniform_range_and_statistics():
    values = np.asarray(RandomUniform(minval=-1.0, maxval=3.0, seed=1)(SHAPE))
    assert values.min() >= -1.0 and values.max() < 3.0
    assert abs(values.mean() - 1.0) < 0.05


def test_truncated_normal_bounds_and_statistics():
    values = np.asarray(TruncatedNormal(mean=0.0, stddev=1.0, seed=1)(SHAPE))
    assert np.abs(values).max() < 2.0
    assert abs(values.std() - 0.87962566) < 0.02


def test_random_initializers_follow_dtype():
    assert RandomNormal(seed=1)((3,), dtype="bfloat16").dtype == jnp.bfloat16
    assert RandomUniform(seed=1)((3,), dtype="float16").dtype == jnp.float16


def test_random_initializer_rejects_int_dtype():
    with pytest.raises(ValueError, match="requires a floating point `dtype`"):
        RandomNormal(seed=1)((3,), dtype="int32")


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (2, 3, 5)])
def test_orthogonal_is_orthogonal_times_gain(shape):
    values = np.asarray(Orthogonal(gain=2.0, seed=1)(shape), dtype=np.float64)
    flat = values.reshape(-1, shape[-1])
    if flat.shape[0] < flat.shape[1]:
        gram = flat @ flat.T
    else:
        gram = flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-5)
    assert values.shape == shape


def test_orthogonal_rejects_rank_below_two():
    with pytest.raises(
        ValueError, match=r"at least two-dimensional. Received: shape=\(3,\) of rank 1"
    ):
        Orthogonal(seed=1)((3,))
