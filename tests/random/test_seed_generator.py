"""Tests for heft.random.SeedGenerator and the global generator."""

import random

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft.random import SeedGenerator, global_seed_generator
from heft.random._seed_generator import make_default_seed, reset_global_seed_generator


def test_seed_generator_state_variable():
    gen = SeedGenerator(42)
    state = gen.state
    assert isinstance(state, heft.Variable)
    assert state.shape == (2,)
    assert state.dtype == "uint32"
    assert state.trainable is False
    np.testing.assert_array_equal(state.numpy(), [42, 0])


def test_seed_generator_path_and_names():
    assert SeedGenerator(1).state.path == "seed_generator/seed_generator_state"
    assert SeedGenerator(1).name == "seed_generator_1"
    named = SeedGenerator(1, name="noise")
    assert named.state.path == "noise/seed_generator_state"


def test_seed_generator_path_no_layer_prefix_in_init_but_prefixed_in_build():
    class Noisy(heft.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.early = SeedGenerator(3, name="early")

        def build(self, input_shape):
            self.late = SeedGenerator(3, name="late")

        def call(self, x):
            return x

    layer = Noisy(name="noisy")
    layer.build((None, 2))
    assert [v.path for v in layer.variables] == [
        "early/seed_generator_state",
        "noisy/late/seed_generator_state",
    ]


def test_seed_generator_next_returns_state_and_advances_counter():
    gen = SeedGenerator(42)
    first = gen.next()
    second = gen.next()
    assert first.dtype == jnp.uint32
    assert first.shape == (2,)
    np.testing.assert_array_equal(np.asarray(first), [42, 0])
    np.testing.assert_array_equal(np.asarray(second), [42, 1])
    np.testing.assert_array_equal(gen.state.numpy(), [42, 2])


def test_seed_generator_key_usable_with_jax_random():
    gen = SeedGenerator(5)
    a = jax.random.uniform(gen.next(), (3,))
    b = jax.random.uniform(gen.next(), (3,))
    again = jax.random.uniform(SeedGenerator(5).next(), (3,))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(again))
    assert not np.array_equal(np.asarray(a), np.asarray(b))


def test_seed_generator_in_stateless_scope_records_advance():
    gen = SeedGenerator(9)
    with heft.StatelessScope([(gen.state, np.array([9, 5], "uint32"))]) as scope:
        key = gen.next()
    np.testing.assert_array_equal(np.asarray(key), [9, 5])
    np.testing.assert_array_equal(np.asarray(scope.get_current_value(gen.state)), [9, 6])
    np.testing.assert_array_equal(gen.state.numpy(), [9, 0])


def test_seed_generator_default_seed_is_random_int():
    random.seed(0)
    a = SeedGenerator()
    random.seed(0)
    b = SeedGenerator()
    seed = int(a.state.numpy()[0])
    assert 1 <= seed <= 1e9
    assert seed == int(b.state.numpy()[0])
    assert 1 <= make_default_seed() <= 1e9


@pytest.mark.parametrize("seed", [1.5, "3", True, [1]])
def test_seed_generator_non_int_seed_raises(seed):
    with pytest.raises(ValueError, match=r"Argument `seed` must be an integer\. Received: seed="):
        SeedGenerator(seed)


def test_seed_generator_unknown_kwargs_raise():
    with pytest.raises(ValueError, match=r"Unrecognized keyword arguments passed to SeedGenerator"):
        SeedGenerator(1, backend="jax")


def test_seed_generator_config_round_trip():
    gen = SeedGenerator(7, name="g")
    assert gen.get_config() == {"seed": 7, "name": "g"}
    clone = SeedGenerator.from_config(gen.get_config())
    np.testing.assert_array_equal(clone.state.numpy(), [7, 0])
    assert clone.name == "g"


def test_seed_generator_repr():
    assert repr(SeedGenerator(4, name="g")) == "<SeedGenerator name=g, seed=4>"


def test_seed_generator_tracked_by_layers_in_lists():
    class Multi(heft.layers.Layer):
        def __init__(self):
            super().__init__()
            self.gens = [SeedGenerator(1, name="a"), SeedGenerator(2, name="b")]

        def call(self, x):
            return x

    layer = Multi()
    assert [v.path for v in layer.non_trainable_variables] == [
        "a/seed_generator_state",
        "b/seed_generator_state",
    ]
    assert layer.weights == []


def test_global_seed_generator_is_one_object():
    reset_global_seed_generator()
    try:
        gen = global_seed_generator()
        assert global_seed_generator() is gen
        assert gen.name == "global_seed_generator"
        assert gen.state.path == "global_seed_generator/seed_generator_state"
    finally:
        reset_global_seed_generator()
