import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

A = np.array([[1.0, 2.0, -1.0], [0.5, 0.0, 3.0]], np.float32)
B = np.array([[2.0, 1.0], [0.0, -1.0], [1.5, 2.0]], np.float32)


def test_matmul_dot_einsum_tensordot_match_numpy():
    np.testing.assert_allclose(ops.matmul(A, B), A @ B)
    batch = np.stack([A, 2 * A])
    np.testing.assert_allclose(ops.matmul(batch, B), batch @ B)
    np.testing.assert_allclose(ops.dot(A, B), np.dot(A, B))
    np.testing.assert_allclose(ops.dot(A, 2.0), 2 * A)
    np.testing.assert_allclose(ops.einsum("ij,jk->ki", A, B), np.einsum("ij,jk->ki", A, B))
    np.testing.assert_allclose(
        ops.tensordot(A, B, axes=([1], [0])), np.tensordot(A, B, axes=([1], [0]))
    )


def test_int8_products_accumulate_in_int32():
    a = np.full((2, 64), 100, np.int8)
    out = ops.matmul(a, a.T)
    assert out.dtype == jnp.int32 and int(out[0, 0]) == 640000
    assert ops.einsum("ij,kj->ik", a, a).dtype == jnp.int32


def test_inner_outer_vdot_kron_cross():
    v, w = np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, -1.0])
    assert float(ops.inner(v, w)) == float(np.inner(v, w))
    np.testing.assert_allclose(ops.outer(v, w), np.outer(v, w))
    assert float(ops.vdot(A, A)) == pytest.approx(float(np.vdot(A, A)))
    np.testing.assert_allclose(ops.kron(A, B), np.kron(A, B))
    np.testing.assert_allclose(ops.cross(v, w), np.cross(v, w))
    np.testing.assert_allclose(ops.cross(A.T, A.T, axis=0), np.cross(A.T, A.T, axis=0))


def test_cdist_is_pairwise_euclidean_distance():
    x = np.array([[0.0, 0.0], [1.0, 1.0]], np.float32)
    y = np.array([[3.0, 4.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    expected = np.sqrt(((x[:, None] - y[None]) ** 2).sum(-1))
    np.testing.assert_allclose(ops.cdist(x, y), expected, rtol=1e-6)
    assert ops.cdist(np.stack([x, x]), np.stack([y, y])).shape == (2, 2, 3)


def test_cdist_invalid_shapes_raise():
    with pytest.raises(ValueError, match="inputs must have rank >= 2"):
        ops.cdist(np.zeros(3), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="last dimension of the inputs to `cdist` must match"):
        ops.cdist(np.zeros((2, 3)), np.zeros((2, 2)))


def test_correlate_corrcoef_vander_match_numpy():
    a, v = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.5, 1.0])
    for mode in ["valid", "same", "full"]:
        np.testing.assert_allclose(ops.correlate(a, v, mode=mode), np.correlate(a, v, mode=mode))
    np.testing.assert_allclose(ops.corrcoef(A), np.corrcoef(A), rtol=1e-6)
    np.testing.assert_array_equal(
        ops.vander([1, 2, 3], 3, increasing=True), np.vander([1, 2, 3], 3, increasing=True)
    )


@pytest.mark.parametrize(
    ("x", "kwargs", "error", "match"),
    [
        (np.ones((2, 2)), {}, ValueError, "must be 1-dimensional"),
        ([1, 2], {"N": 2.0}, TypeError, "`N` must be of type `int`"),
        ([1, 2], {"N": -1}, ValueError, "`N` must be non-negative"),
        ([1, 2], {"increasing": 1}, TypeError, "`increasing` must be of type `bool`"),
    ],
)
def test_vander_invalid_arguments_raise(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        ops.vander(x, **kwargs)
