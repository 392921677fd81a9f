import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import ops


def test_arange_infers_int32_and_floatx():
    assert ops.arange(5).dtype == jnp.int32
    assert ops.arange(1, 7, 2).tolist() == [1, 3, 5]
    out = ops.arange(0.0, 1.0, 0.25)
    assert out.dtype == jnp.float32 and out.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert ops.arange(3, dtype="float32").tolist() == [0.0, 1.0, 2.0]
    assert ops.arange(np.array(4, np.int32)).tolist() == [0, 1, 2, 3]


def test_array_and_default_float_constructors():
    assert ops.array([[1, 2]], dtype="float32").dtype == jnp.float32
    for fn in (ops.zeros, ops.ones, ops.empty):
        out = fn((2, 3))
        assert out.shape == (2, 3) and out.dtype == jnp.float32
    assert ops.zeros(3).tolist() == [0.0, 0.0, 0.0]
    assert ops.ones((2,), dtype="int32").tolist() == [1, 1]


def test_full_uses_floatx_and_full_like_keeps_dtype():
    out = ops.full((2,), 7)
    assert out.dtype == jnp.float32 and out.tolist() == [7.0, 7.0]
    assert ops.full((2,), 7, dtype="int32").dtype == jnp.int32
    assert ops.full_like(np.array([1, 2], np.int32), 5).tolist() == [5, 5]
    assert ops.full_like(np.array([1, 2], np.int32), 5, dtype="float32").dtype == jnp.float32


def test_like_constructors_follow_input():
    x = np.array([[1, 2, 3]], np.int32)
    assert ops.zeros_like(x).tolist() == [[0, 0, 0]]
    assert ops.ones_like(x, dtype="float32").tolist() == [[1.0, 1.0, 1.0]]
    assert ops.empty_like(x).shape == (1, 3)
    v = heft.Variable(np.ones((2,), np.float32))
    assert ops.zeros_like(v).tolist() == [0.0, 0.0]


def test_eye_identity_tri_match_numpy():
    np.testing.assert_array_equal(ops.eye(3, 4, k=1), np.eye(3, 4, k=1))
    assert ops.eye(2).dtype == jnp.float32
    np.testing.assert_array_equal(ops.identity(3), np.identity(3))
    np.testing.assert_array_equal(ops.tri(3, 2, k=-1), np.tri(3, 2, k=-1))


def test_eye_rejects_float_sizes():
    with pytest.raises(TypeError, match="Argument `N` must be an integer"):
        ops.eye(2.0)
    with pytest.raises(TypeError, match="Argument `M` must be an integer"):
        ops.eye(2, 3.0)
