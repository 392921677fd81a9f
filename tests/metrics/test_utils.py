import jax
import jax.numpy as jnp
import numpy as np

from heft.metrics._utils import argmax_last, divide_no_nan, match_ranks


def test_match_ranks_squeezes_or_expands_trailing_unit_axis():
    a, b = match_ranks(jnp.zeros((4, 1)), jnp.zeros((4,)))
    assert a.shape == (4, 1) and b.shape == (4, 1)
    a, b = match_ranks(jnp.zeros((4, 1)), jnp.zeros((4,)), expand_rank_1=False)
    assert a.shape == (4,) and b.shape == (4,)
    a, b = match_ranks(jnp.zeros((4,)), jnp.zeros((4, 1)))
    assert a.shape == (4, 1) and b.shape == (4, 1)
    a, b = match_ranks(jnp.zeros((2, 3)), jnp.zeros((2, 3, 1)))
    assert a.shape == (2, 3) and b.shape == (2, 3)


def test_match_ranks_leaves_other_shapes_alone():
    a, b = match_ranks(jnp.zeros((4, 3)), jnp.zeros((4,)))
    assert a.shape == (4, 3) and b.shape == (4,)
    a, b = match_ranks(jnp.zeros((2, 3, 4)), jnp.zeros((2,)))
    assert a.shape == (2, 3, 4) and b.shape == (2,)


def test_divide_no_nan_gives_zero_for_zero_denominators():
    assert divide_no_nan([1.0, 2.0, 0.0], [2.0, 0.0, 0.0]).tolist() == [0.5, 0.0, 0.0]
    grad = jax.grad(lambda x: divide_no_nan(1.0, x))(0.0)
    assert np.isfinite(float(grad))


def test_argmax_last_handles_ints_and_traced_inputs():
    assert argmax_last(jnp.asarray([[1, 5, 2]])).tolist() == [1]
    assert jax.jit(argmax_last)(jnp.asarray([[-0.0, 0.0]])).tolist() == [1]
    assert argmax_last(jnp.asarray([[-0.0, 0.0]], dtype=jnp.bfloat16)).tolist() == [1]
