import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

A = np.array([[0.5, -1.5, 2.25], [4.0, 0.75, -3.0]], np.float32)
B = np.array([[2.0, 0.5, -1.0], [1.5, 3.0, 0.25]], np.float32)
INT1 = np.array([12, 7, -9], np.int32)
INT2 = np.array([8, 3, 4], np.int32)

BINARY = [
    ("add", np.add, A, B),
    ("subtract", np.subtract, A, B),
    ("multiply", np.multiply, A, B),
    ("divide", np.divide, A, B),
    ("true_divide", np.divide, A, B),
    ("floor_divide", np.floor_divide, A, B),
    ("power", np.power, np.abs(A), B),
    ("mod", np.mod, A, B),
    ("fmod", np.fmod, A, B),
    ("maximum", np.maximum, A, B),
    ("minimum", np.minimum, A, B),
    ("fmax", np.fmax, A, B),
    ("fmin", np.fmin, A, B),
    ("arctan2", np.arctan2, A, B),
    ("hypot", np.hypot, A, B),
    ("logaddexp", np.logaddexp, A, B),
    ("logaddexp2", np.logaddexp2, A, B),
    ("heaviside", np.heaviside, A, B),
    ("nextafter", np.nextafter, A, B),
    ("gcd", np.gcd, INT1, INT2),
    ("lcm", np.lcm, INT1, INT2),
    ("equal", np.equal, A, A[::-1]),
    ("not_equal", np.not_equal, A, B),
    ("greater", np.greater, A, B),
    ("greater_equal", np.greater_equal, A, B),
    ("less", np.less, A, B),
    ("less_equal", np.less_equal, A, B),
    ("logical_and", np.logical_and, A > 0, B > 0),
    ("logical_or", np.logical_or, A > 0, B > 0),
    ("logical_xor", np.logical_xor, A > 0, B > 0),
    ("bitwise_and", np.bitwise_and, INT1, INT2),
    ("bitwise_or", np.bitwise_or, INT1, INT2),
    ("bitwise_xor", np.bitwise_xor, INT1, INT2),
    ("bitwise_left_shift", np.left_shift, INT1, INT2),
    ("left_shift", np.left_shift, INT1, INT2),
    ("bitwise_right_shift", np.right_shift, INT1, INT2),
    ("right_shift", np.right_shift, INT1, INT2),
]


@pytest.mark.parametrize(("name", "reference", "x1", "x2"), BINARY, ids=[b[0] for b in BINARY])
def test_binary_matches_numpy(name, reference, x1, x2):
    out = getattr(ops, name)(x1, x2)
    expected = reference(x1, x2)
    assert out.shape == expected.shape
    np.testing.assert_allclose(np.asarray(out), expected, rtol=2e-6)


def test_binary_broadcasts_and_promotes_like_keras():
    assert ops.add(np.array([1, 2], np.int32), 0.5).dtype == jnp.float32
    assert ops.add(np.array([1, 2], np.int32), 2).dtype == jnp.int32
    assert ops.multiply(jnp.ones(2, jnp.float16), 2.0).dtype == jnp.float16
    assert ops.divide(np.array([1, 3], np.int32), 2).tolist() == [0.5, 1.5]
    assert ops.add(np.ones((2, 1), np.float32), np.ones(3, np.float32)).shape == (2, 3)


def test_float_binary_ops_compute_in_float32_for_python_floats():
    assert ops.arctan2(jnp.ones(2, jnp.float16), 1.0).dtype == jnp.float32
    assert (
        ops.logaddexp(np.array([1, 2], np.int32), np.array([0, 0], np.int32)).dtype == jnp.float32
    )


def test_divide_no_nan_gives_zero_and_finite_gradients():
    out = ops.divide_no_nan([1.0, -2.0, 0.0], [2.0, 0.0, 0.0])
    assert out.tolist() == [0.5, 0.0, 0.0]
    import jax

    grad = jax.grad(lambda d: ops.sum(ops.divide_no_nan(jnp.array([1.0, 1.0]), d)))(
        jnp.array([2.0, 0.0])
    )
    assert np.isfinite(np.asarray(grad)).all()


def test_ldexp_scales_by_powers_of_two_and_rejects_float_exponent():
    assert ops.ldexp([1.0, 3.0], np.array([3, -1], np.int32)).tolist() == [8.0, 1.5]
    with pytest.raises(TypeError, match="ldexp exponent must be an integer type"):
        ops.ldexp([1.0], [2.0])


def test_isclose_and_allclose_tolerances():
    assert ops.isclose([1.0, 1.001], [1.0, 1.0], rtol=1e-2).tolist() == [True, True]
    assert ops.isclose([np.nan], [np.nan], equal_nan=True).tolist() == [True]
    assert not bool(ops.allclose([1.0, 2.0], [1.0, 2.1]))


def test_where_selects_and_finds_indices():
    out = ops.where(np.array([True, False, True]), np.array([1, 2, 3]), np.array([-1, -2, -3]))
    assert out.tolist() == [1, -2, 3]
    (idx,) = ops.where(np.array([0, 3, 0, 5]))
    assert idx.tolist() == [1, 3]


def test_where_with_only_one_branch_raises():
    with pytest.raises(ValueError, match="`x1` and `x2` must either both be None or both be given"):
        ops.where([True], [1.0])


def test_select_first_matching_condition_wins():
    x = np.arange(5)
    out = ops.select([x < 2, x > 3], [x, x**2], default=-1)
    assert out.tolist() == [0, 1, -1, -1, 16]


def test_select_rejects_non_lists_and_empty_lists():
    with pytest.raises(ValueError, match="must be lists or tuples"):
        ops.select(np.array([True]), [1])
    with pytest.raises(ValueError, match="must not be empty"):
        ops.select([], [])
