"""Initializers' random draws: ``heft.random``'s values, bit for bit, on the host path or not."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import random as hr
from heft._platform import _host_sampling
from heft._platform._switches import HOST_SAMPLING
from heft.initializers import _sampling


@pytest.fixture(autouse=True)
def _host_sampling_on():
    """The host path as by default, whatever the environment says; tests turn it off."""
    with HOST_SAMPLING.forced(True):
        yield


SHAPES = [(784, 64), (300, 257)]  # one partial chunk; one spanning two chunks


def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _key(seed):
    return jnp.array([seed, 0], dtype=jnp.uint32)


def test_uniform_float16_host_path_is_bit_identical():
    ours = _sampling.uniform((50, 3), -2.0, 1.0, "float16", 9)
    theirs = jax.random.uniform(_key(9), (50, 3), "float16", -2.0, 1.0)
    assert _bits_equal(ours, theirs)


@pytest.mark.parametrize("shape", SHAPES)
def test_normal_host_path_is_bit_identical(shape):
    ours = _sampling.normal(shape, 0.5, 2.0, "float32", 3)
    theirs = jax.random.normal(_key(3), shape, "float32") * 2.0 + 0.5
    assert _bits_equal(ours, theirs)


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_truncated_normal_host_path_is_bit_identical(dtype):
    ours = _sampling.truncated_normal((784, 64), 0.0, 0.1, dtype, 4)
    theirs = jax.random.truncated_normal(_key(4), -2.0, 2.0, (784, 64), dtype) * 0.1 + 0.0
    assert _bits_equal(ours, theirs)


def test_large_draw_falls_back_to_jax(monkeypatch):
    monkeypatch.setattr(_host_sampling, "HOST_LIMIT", 10)
    calls = []
    monkeypatch.setattr(_host_sampling, "_random_bits", lambda *a: calls.append(a))
    out = _sampling.uniform((4, 5), 0.0, 1.0, "float32", 1)
    assert calls == []
    assert _bits_equal(out, jax.random.uniform(_key(1), (4, 5)))


def test_traced_key_falls_back_to_jax():
    key = _key(2)
    out = jax.jit(lambda k: _sampling.normal((3,), 0.0, 1.0, "float32", k))(key)
    assert _bits_equal(out, jax.random.normal(key, (3,)))


def test_typed_key_falls_back_to_jax():
    key = jax.random.key(5)
    out = _sampling.uniform((784, 64), 0.0, 1.0, "float32", key)
    assert _bits_equal(out, jax.random.uniform(key, (784, 64)))


def test_array_parameters_fall_back_to_jax():
    out = _sampling.normal((4,), jnp.zeros(4), 1.0, "float32", 6)
    assert _bits_equal(out, jax.random.normal(_key(6), (4,)) * 1.0 + jnp.zeros(4))


def test_seed_generator_key_uses_host_path():
    gen = hr.SeedGenerator(8)
    first = _sampling.uniform((10,), 0.0, 1.0, "float32", gen)
    second = _sampling.uniform((10,), 0.0, 1.0, "float32", gen)
    assert _bits_equal(first, jax.random.uniform(jnp.array([8, 0], jnp.uint32), (10,)))
    assert _bits_equal(second, jax.random.uniform(jnp.array([8, 1], jnp.uint32), (10,)))


def test_empty_shape_gives_empty_array():
    out = _sampling.normal((0, 3), 0.0, 1.0, "float32", 1)
    assert out.shape == (0, 3) and out.dtype == jnp.float32


def test_scalar_shape():
    out = _sampling.uniform((), 0.0, 1.0, "float32", 1)
    assert out.shape == ()
    assert _bits_equal(out, jax.random.uniform(_key(1), ()))


def test_integer_dtype_rejected():
    with pytest.raises(ValueError, match="requires a floating point `dtype`"):
        _sampling.uniform((2,), 0.0, 1.0, "int32", 1)


def test_non_partitionable_threefry_falls_back_to_jax():
    jax.config.update("jax_threefry_partitionable", False)
    try:
        ours = _sampling.uniform((784, 64), -0.1, 0.1, "float32", 3)
        theirs = jax.random.uniform(_key(3), (784, 64), "float32", -0.1, 0.1)
    finally:
        jax.config.update("jax_threefry_partitionable", True)
    assert _bits_equal(ours, theirs)
    assert not _bits_equal(ours, _sampling.uniform((784, 64), -0.1, 0.1, "float32", 3))


DRAWS = {
    "normal": (lambda shape, dtype, seed: _sampling.normal(shape, 0.5, 2.0, dtype, seed)),
    "truncated_normal": (
        lambda shape, dtype, seed: _sampling.truncated_normal(shape, -0.1, 0.3, dtype, seed)
    ),
    "uniform": (lambda shape, dtype, seed: _sampling.uniform(shape, -0.3, 0.7, dtype, seed)),
}
PLAIN = {
    "normal": (lambda shape, dtype, seed: hr.normal(shape, 0.5, 2.0, dtype, seed)),
    "truncated_normal": (
        lambda shape, dtype, seed: hr.truncated_normal(shape, -0.1, 0.3, dtype, seed)
    ),
    "uniform": (lambda shape, dtype, seed: hr.uniform(shape, -0.3, 0.7, dtype, seed)),
}


@pytest.mark.parametrize("draw", sorted(DRAWS))
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
@pytest.mark.parametrize("shape", [(), (7, 5), (300, 257)])
def test_the_host_path_gives_the_plain_path_values_bit_for_bit(monkeypatch, draw, dtype, shape):
    used = []
    real = _host_sampling._random_bits
    monkeypatch.setattr(_host_sampling, "_random_bits", lambda *a: used.append(1) or real(*a))
    ours = DRAWS[draw](shape, dtype, 11)
    assert used == ([1] if jax.default_backend() == "cpu" else [])  # the host path ran
    with HOST_SAMPLING.forced(False):
        plain = DRAWS[draw](shape, dtype, 11)
    assert len(used) <= 1  # the plain path did not touch it
    assert _bits_equal(ours, plain)
    assert _bits_equal(ours, PLAIN[draw](shape, dtype, 11))
