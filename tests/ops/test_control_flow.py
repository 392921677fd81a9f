import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import ops


def test_cond_and_switch_pick_branches():
    assert float(ops.cond(jnp.array(False), lambda: 1.0, lambda: 2.0)) == 2.0
    assert int(ops.switch(0, [lambda a: a + 1, lambda a: a * 10], 3)) == 4
    assert int(ops.switch(5, [lambda a: a + 1, lambda a: a * 10], 3)) == 30


def test_scan_accumulates_carry_and_outputs():
    carry, ys = ops.scan(lambda c, x: (c + x, c * 2), 0.0, jnp.array([1.0, 2.0, 3.0]))
    assert float(carry) == 6.0
    np.testing.assert_array_equal(ys, [0.0, 2.0, 6.0])
    carry, _ = ops.scan(lambda c, _: (c + 1, None), 0, None, length=4, unroll=True)
    assert int(carry) == 4


@pytest.mark.parametrize("unroll", [0, -1, 1.5])
def test_scan_invalid_unroll_raises(unroll):
    with pytest.raises(ValueError, match="`unroll` must be a positive integer or a boolean"):
        ops.scan(lambda c, x: (c, x), 0.0, jnp.ones(2), unroll=unroll)


def test_associative_scan_and_map():
    np.testing.assert_array_equal(ops.associative_scan(jnp.add, [1, 2, 3, 4]), [1, 3, 6, 10])
    rev = ops.associative_scan(jnp.add, jnp.array([1, 2, 3]), reverse=True)
    np.testing.assert_array_equal(rev, [6, 5, 3])
    np.testing.assert_array_equal(ops.map(lambda r: r.sum(), jnp.ones((3, 2))), [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(
        ops.vectorized_map(lambda r: r * 2, jnp.ones((2, 2))), 2 * np.ones((2, 2))
    )


def test_fori_and_while_loops():
    assert int(ops.fori_loop(0, 5, lambda i, v: v + i, 0)) == 10
    assert int(ops.while_loop(lambda i: i < 10, lambda i: i + 3, 0)) == 12
    a, b = ops.while_loop(lambda a, b: a < 5, lambda a, b: (a + 1, b * 2), (0, 1))
    assert (int(a), int(b)) == (5, 32)
    (a,) = ops.while_loop(lambda a: a < 100, lambda a: (a + 1,), [0], maximum_iterations=7)
    assert int(a) == 7


def test_vectorize_broadcasts_and_checks_callable():
    out = ops.vectorize(lambda a, b: a * b)(jnp.array([1, 2, 3]), 2)
    np.testing.assert_array_equal(out, [2, 4, 6])
    with pytest.raises(ValueError, match="`pyfunc` to be a callable"):
        ops.vectorize(3)


def test_custom_gradient_uses_given_gradient_and_unwraps_variables():
    @ops.custom_gradient
    def double_with_unit_grad(x):
        return x * 2.0, lambda g: g

    assert float(jax.grad(double_with_unit_grad)(3.0)) == 1.0
    v = heft.Variable(np.array([1.0, 2.0], np.float32))
    np.testing.assert_array_equal(double_with_unit_grad(v), [2.0, 4.0])


def test_jvp_returns_output_and_tangent():
    out, tangent = ops.jvp(lambda x: x**3, (jnp.array(2.0),), (jnp.array(1.0),))
    assert (float(out), float(tangent)) == (8.0, 12.0)


def test_control_flow_unwraps_variables_inside_pytrees():
    state = {"w": heft.Variable(np.array([1.0, 2.0], np.float32)), "n": 0}
    out = ops.fori_loop(0, 3, lambda i, s: {"w": s["w"] * 2, "n": s["n"] + 1}, state)
    np.testing.assert_array_equal(out["w"], [8.0, 16.0])
    carry, _ = ops.scan(lambda c, x: (c + x, None), state["w"], jnp.ones((2, 2)))
    np.testing.assert_array_equal(carry, [3.0, 4.0])
