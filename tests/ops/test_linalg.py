import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

S = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.0], [0.5, 0.0, 2.0]], np.float32)
R = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.0]], np.float32)


@pytest.mark.parametrize(
    ("ord_", "axis"),
    [(None, None), (1, 1), (2, 0), (np.inf, 1), ("fro", None), ("nuc", None), (3, -1)],
)
def test_norm_matches_numpy(ord_, axis):
    np.testing.assert_allclose(
        ops.norm(R, ord=ord_, axis=axis), np.linalg.norm(R, ord=ord_, axis=axis), rtol=1e-5
    )


def test_norm_of_ints_is_float_and_keepdims():
    assert ops.norm(np.array([3, 4], np.int32)).dtype == jnp.float32
    assert ops.norm(R, axis=[0, 1], keepdims=True).shape == (1, 1)


def test_inverse_determinants_and_solves():
    np.testing.assert_allclose(ops.inv(S), np.linalg.inv(S), rtol=1e-5, atol=1e-6)
    assert float(ops.det(S)) == pytest.approx(float(np.linalg.det(S)), rel=1e-5)
    sign, logdet = ops.slogdet(S)
    assert float(sign) == 1.0 and float(logdet) == pytest.approx(np.log(np.linalg.det(S)), rel=1e-5)
    assert float(ops.logdet(S)) == pytest.approx(np.log(np.linalg.det(S)), rel=1e-5)
    b = np.array([1.0, 2.0, 3.0], np.float32)
    np.testing.assert_allclose(ops.solve(S, b), np.linalg.solve(S, b), rtol=1e-5)
    lower = np.tril(S)
    np.testing.assert_allclose(
        ops.solve_triangular(lower, b, lower=True), np.linalg.solve(lower, b), rtol=1e-5
    )
    np.testing.assert_allclose(
        ops.lstsq(R, b), np.linalg.lstsq(R, b, rcond=None)[0], rtol=1e-4, atol=1e-5
    )


def test_cholesky_lower_upper_and_inverse():
    low = ops.cholesky(S)
    np.testing.assert_allclose(low @ low.T, S, rtol=1e-5, atol=1e-6)
    up = ops.cholesky(S, upper=True)
    np.testing.assert_allclose(up.T @ up, S, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.cholesky_inverse(low), np.linalg.inv(S), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        ops.cholesky_inverse(up, upper=True), np.linalg.inv(S), rtol=1e-4, atol=1e-6
    )


def test_cholesky_of_indefinite_matrix_raises_eagerly_only():
    bad = np.array([[1.0, 2.0], [2.0, 1.0]], np.float32)
    with pytest.raises(ValueError, match="Cholesky decomposition failed"):
        ops.cholesky(bad)
    assert np.isnan(np.asarray(jax.jit(ops.cholesky)(bad))).any()


def test_decompositions_reconstruct_input():
    q, r = ops.qr(R)
    np.testing.assert_allclose(q @ r, R, rtol=1e-5, atol=1e-6)
    q, r = ops.qr(R, mode="complete")
    assert q.shape == (3, 3)
    u, s, vh = ops.svd(R, full_matrices=False)
    np.testing.assert_allclose((u * s) @ vh, R, rtol=1e-5, atol=1e-6)
    w, v = ops.eigh(S)
    np.testing.assert_allclose(v @ np.diag(w) @ v.T, S, rtol=1e-5, atol=1e-5)
    w, v = ops.eig(S)
    np.testing.assert_allclose(np.sort(np.real(w)), np.sort(np.linalg.eigvals(S).real), rtol=1e-5)
    lu, piv = ops.lu_factor(np.stack([S, 2 * S]))
    assert lu.shape == (2, 3, 3) and piv.shape == (2, 3)


def test_qr_invalid_mode_raises():
    with pytest.raises(ValueError, match="Unsupported `mode` for qr: 'r'"):
        ops.qr(R, mode="r")


def test_pinv_and_matrix_rank():
    np.testing.assert_allclose(ops.pinv(R), np.linalg.pinv(R), rtol=1e-4, atol=1e-6)
    rank = ops.matrix_rank(np.array([[1.0, 2.0], [2.0, 4.0]], np.float32))
    assert rank.dtype == jnp.int32 and int(rank) == 1
    with pytest.raises(ValueError, match="Expected an input of rank >= 2"):
        ops.pinv(np.ones(3))
    with pytest.raises(ValueError, match="Expected an input of rank >= 2"):
        ops.matrix_rank(np.ones(3))
