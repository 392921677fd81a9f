import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import random as hr
from heft.initializers import _sampling

SHAPES = [(784, 64), (300, 257)]  # one partial chunk; one spanning two chunks


def _bits_equal(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _key(seed):
    return jnp.array([seed, 0], dtype=jnp.uint32)


def test_random_bits_match_jax_threefry():
    key = np.array([123, 456], dtype=np.uint32)
    ours = _sampling._random_bits(key, 1000, 32)
    theirs = jax.random.bits(jnp.asarray(key), (1000,), dtype=jnp.uint32)
    np.testing.assert_array_equal(ours, np.asarray(theirs))


@pytest.mark.parametrize(
    ("shape", "dtype"), [((784, 64), "float32"), ((300, 257), "float32"), ((784, 64), "bfloat16")]
)
def test_uniform_host_path_is_bit_identical(shape, dtype):
    ours = _sampling.uniform(shape, -0.3, 0.7, dtype, 5)
    theirs = jax.random.uniform(_key(5), shape, dtype, -0.3, 0.7)
    assert _bits_equal(ours, theirs)


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


def test_fma_emulation_matches_fused_rounding():
    a = np.array([1.0000001, 0.3, 0.7], dtype=np.float32)
    b, c = np.float32(0.1), np.float32(-0.05)
    exact = a.astype(np.float64) * np.float64(b) + np.float64(c)
    np.testing.assert_array_equal(_sampling._fma_float32(a, b, c), exact.astype(np.float32))


def test_fma_emulation_breaks_float64_ties_correctly():
    # a * b = 2**-24 - 2**-70, so the exact sum lies just below the float32 midpoint
    # 1 + 2**-23 + 2**-24; float64 rounds it onto the midpoint, and a plain cast would
    # then round up to the even neighbour 1 + 2**-22.
    a = np.array([1.0 + 2.0**-23], dtype=np.float32)
    b = np.float32(2.0**-24 * (1.0 - 2.0**-23))
    c = np.float32(1.0 + 2.0**-23)
    naive = (a.astype(np.float64) * np.float64(b) + np.float64(c)).astype(np.float32)
    assert naive[0] == np.float32(1.0 + 2.0**-22)
    assert _sampling._fma_float32(a, b, c)[0] == np.float32(1.0 + 2.0**-23)


def test_large_draw_falls_back_to_jax(monkeypatch):
    monkeypatch.setattr(_sampling, "_HOST_LIMIT", 10)
    calls = []
    monkeypatch.setattr(_sampling, "_random_bits", lambda *a: calls.append(a))
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
