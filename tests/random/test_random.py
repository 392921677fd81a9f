import random as pyrandom

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import random as hr
from heft._variable import Variable

# One shape throughout: jax.random compiles a sampler per shape.
SHAPE = (784, 64)


def test_draw_seed_int_gives_raw_key():
    key = hr.draw_seed(42)
    assert key.dtype == jnp.uint32
    assert key.tolist() == [42, 0]


def test_draw_seed_accepts_max_uint32():
    assert hr.draw_seed(2**32 - 1).tolist() == [2**32 - 1, 0]


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_draw_seed_out_of_range_int_raises_overflow(seed):
    with pytest.raises(OverflowError, match=f"Python integer {seed} out of bounds for uint32"):
        hr.draw_seed(seed)


def test_draw_seed_array_used_as_is():
    key = jnp.array([7, 3], dtype=jnp.uint32)
    assert hr.draw_seed(key) is key


def test_draw_seed_numpy_key_converted():
    assert hr.draw_seed(np.array([5, 2], dtype=np.uint32)).tolist() == [5, 2]


def test_draw_seed_variable_gives_its_value():
    var = Variable(np.array([9, 1], dtype=np.uint32), dtype="uint32")
    assert hr.draw_seed(var).tolist() == [9, 1]


def test_draw_seed_seed_generator_advances():
    gen = hr.SeedGenerator(5)
    assert hr.draw_seed(gen).tolist() == [5, 0]
    assert hr.draw_seed(gen).tolist() == [5, 1]


def test_draw_seed_none_uses_global_generator():
    first = hr.draw_seed(None)
    second = hr.draw_seed(None)
    assert first.shape == (2,)
    assert first.tolist() != second.tolist()


def test_draw_seed_none_inside_jit_raises():
    @jax.jit
    def f(x):
        return hr.normal((2,)) + x

    with pytest.raises(ValueError, match="cannot be used while tracing a JAX function"):
        f(1.0)


def test_draw_seed_invalid_type_raises():
    with pytest.raises(
        ValueError, match="must be either an integer or an instance of `SeedGenerator`"
    ):
        hr.draw_seed("abc")


def test_normal_int_seed_is_reproducible_and_matches_jax():
    a = hr.normal(SHAPE, seed=7)
    b = hr.normal(SHAPE, seed=7)
    expected = jax.random.normal(jnp.array([7, 0], dtype=jnp.uint32), SHAPE)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, expected)


def test_normal_mean_and_stddev_applied():
    base = hr.normal(SHAPE, seed=3)
    scaled = hr.normal(SHAPE, mean=2.0, stddev=0.5, seed=3)
    np.testing.assert_allclose(scaled, base * 0.5 + 2.0, rtol=1e-6)
    assert scaled.dtype == jnp.float32


def test_normal_seed_generator_gives_new_values_each_call():
    gen = hr.SeedGenerator(11)
    assert not np.array_equal(hr.normal(SHAPE, seed=gen), hr.normal(SHAPE, seed=gen))


def test_normal_accepts_int_shape_and_dtype():
    out = hr.normal(4, dtype="float16", seed=1)
    assert out.shape == (4,) and out.dtype == jnp.float16


def test_normal_rejects_int_dtype():
    with pytest.raises(
        ValueError, match=r"`heft\.random\.normal` requires a floating point `dtype`"
    ):
        hr.normal((2,), dtype="int32", seed=1)


def test_uniform_bounds_and_dtype():
    out = hr.uniform(SHAPE, minval=-3.0, maxval=-1.0, seed=2)
    assert float(out.min()) >= -3.0 and float(out.max()) < -1.0
    assert abs(float(out.mean()) + 2.0) < 0.05


def test_uniform_accepts_variable_bounds():
    lo = Variable(1.0)
    out = hr.uniform(SHAPE, minval=lo, maxval=2.0, seed=2)
    assert float(out.min()) >= 1.0


def test_uniform_rejects_int_dtype():
    with pytest.raises(
        ValueError, match=r"`heft\.random\.uniform` requires a floating point `dtype`"
    ):
        hr.uniform((2,), dtype="int32")


def test_truncated_normal_stays_within_two_stddev():
    out = hr.truncated_normal(SHAPE, mean=1.0, stddev=0.5, seed=4)
    assert float(out.min()) > 0.0 and float(out.max()) < 2.0
    assert abs(float(out.mean()) - 1.0) < 0.02


def test_randint_range_dtype_and_values():
    out = hr.randint((3,), 0, 5, seed=1)
    assert out.dtype == jnp.int32
    assert out.tolist() == [4, 0, 3]


def test_randint_rejects_float_dtype():
    with pytest.raises(ValueError, match=r"`heft\.random\.randint` requires an integer `dtype`"):
        hr.randint((2,), 0, 5, dtype="float32", seed=1)


def test_dropout_zero_and_one_rates():
    x = jnp.arange(1.0, 5.0)
    np.testing.assert_array_equal(hr.dropout(x, 0.0), x)
    np.testing.assert_array_equal(hr.dropout(x, 1.0), jnp.zeros(4))


def test_dropout_scales_kept_values():
    x = jnp.ones(SHAPE)
    out = np.asarray(hr.dropout(x, 0.25, seed=3))
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / 0.75, rtol=1e-6)
    assert abs(kept.size / out.size - 0.75) < 0.02


def test_dropout_noise_shape_broadcasts_mask():
    x = jnp.ones((4, 6))
    out = np.asarray(hr.dropout(x, 0.5, noise_shape=(None, 1), seed=8))
    for row in out:
        assert len(set(row.tolist())) == 1


def test_dropout_accepts_variable_input():
    var = Variable(np.ones((3,), dtype=np.float32))
    assert hr.dropout(var, 0.0).tolist() == [1.0, 1.0, 1.0]


def test_dropout_rate_out_of_range_raises():
    with pytest.raises(
        ValueError, match=r"Invalid value for argument `rate`: expected a float in \[0, 1\]"
    ):
        hr.dropout(jnp.ones(3), 1.5)


def test_dropout_with_traced_seed_inside_jit():
    gen = hr.SeedGenerator(2)
    key = gen.next()
    out = jax.jit(lambda k: hr.dropout(jnp.ones(8), 0.5, seed=k))(key)
    assert set(np.asarray(out).tolist()) <= {0.0, 2.0}


def test_shuffle_permutes_each_line_along_axis():
    x = jnp.arange(12).reshape(4, 3)
    out = np.asarray(hr.shuffle(x, axis=0, seed=1))
    for col in range(3):
        assert sorted(out[:, col].tolist()) == np.asarray(x)[:, col].tolist()
    assert not np.array_equal(out, np.asarray(x))
    again = np.asarray(hr.shuffle(x, axis=0, seed=1))
    np.testing.assert_array_equal(out, again)


def test_categorical_shape_dtype_and_certain_class():
    logits = jnp.array([[0.0, 100.0, 0.0], [100.0, 0.0, 0.0]])
    out = hr.categorical(logits, 5, seed=0)
    assert out.shape == (2, 5) and out.dtype == jnp.int32
    assert out.tolist() == [[1] * 5, [0] * 5]


def test_categorical_rejects_non_2d_logits():
    with pytest.raises(ValueError, match="`logits` should be a 2-D tensor"):
        hr.categorical(jnp.zeros((3,)), 2, seed=0)


def test_gamma_binomial_beta_shapes_and_supports():
    # The same arguments as the interop test, so the compiled samplers are shared.
    g = hr.gamma((20,), 2.0, seed=42)
    b = hr.binomial((20,), 5.0, 0.3, seed=42)
    be = hr.beta((20,), 2.0, 3.0, seed=42)
    assert g.shape == b.shape == be.shape == (20,)
    assert float(g.min()) > 0
    assert set(np.asarray(b).tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}
    assert 0.0 <= float(be.min()) and float(be.max()) <= 1.0


def test_global_generator_follows_python_random_seed():
    from heft.random import _seed_generator

    _seed_generator.reset_global_seed_generator()
    pyrandom.seed(123)
    a = hr.normal(SHAPE)
    _seed_generator.reset_global_seed_generator()
    pyrandom.seed(123)
    b = hr.normal(SHAPE)
    np.testing.assert_array_equal(a, b)
