import warnings

import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

X = np.array([[0.5, -1.5, 2.25, 1.0], [4.0, 0.75, -3.0, 0.0]], np.float32)


def test_moments_match_numpy_and_keep_half_precision():
    mean, var = ops.moments(X, axes=[0])
    np.testing.assert_allclose(mean, X.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(var, X.var(axis=0), rtol=1e-6)
    mean, var = ops.moments(X, axes=1, keepdims=True)
    assert mean.shape == (2, 1) and var.shape == (2, 1)
    half_mean, half_var = ops.moments(jnp.full((8,), 1000.0, jnp.float16), axes=0)
    assert half_mean.dtype == jnp.float16 and float(half_mean) == 1000.0 and float(half_var) == 0.0


def test_moments_synchronized_raises():
    with pytest.raises(NotImplementedError, match="synchronized=True is not supported"):
        ops.moments(X, axes=0, synchronized=True)


def test_normalize_l2_l1_and_zero_vector():
    np.testing.assert_allclose(
        ops.normalize(X), X / np.linalg.norm(X, axis=-1, keepdims=True), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.normalize(X, axis=0, order=1), X / np.abs(X).sum(axis=0, keepdims=True), rtol=1e-6
    )
    assert ops.normalize(np.zeros(3, np.float32)).tolist() == [0.0, 0.0, 0.0]
    assert ops.normalize(np.float32(2.0)).shape == (1,)


@pytest.mark.parametrize("order", [0, 1.5, True])
def test_normalize_invalid_order_raises(order):
    with pytest.raises(ValueError, match="`order` must be an int >= 1"):
        ops.normalize(X, order=order)


def test_batch_normalization_matches_formula():
    mean, var = X.mean(axis=0), X.var(axis=0)
    offset, scale = np.arange(4, dtype=np.float32), np.full(4, 2.0, np.float32)
    out = ops.batch_normalization(X, mean, var, axis=-1, offset=offset, scale=scale, epsilon=1e-3)
    np.testing.assert_allclose(
        out, (X - mean) / np.sqrt(var + 1e-3) * scale + offset, rtol=1e-5, atol=1e-6
    )
    images = np.random.default_rng(0).normal(size=(2, 3, 2, 2)).astype(np.float32)
    m, v = images.mean(axis=(0, 2, 3)), images.var(axis=(0, 2, 3))
    out = ops.batch_normalization(images, m, v, axis=1)
    np.testing.assert_allclose(
        out, (images - m[:, None, None]) / np.sqrt(v[:, None, None] + 1e-3), rtol=1e-4, atol=1e-5
    )


def test_layer_normalization_matches_formula_and_keeps_dtype():
    gamma, beta = np.full(4, 2.0, np.float32), np.ones(4, np.float32)
    mean, var = X.mean(-1, keepdims=True), X.var(-1, keepdims=True)
    expected = (X - mean) / np.sqrt(var + 1e-7) * gamma + beta
    np.testing.assert_allclose(
        ops.layer_normalization(X, gamma, beta), expected, rtol=1e-5, atol=1e-6
    )
    cube = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)
    out = ops.layer_normalization(
        cube, np.ones((3, 4), np.float32), None, axis=[1, 2], epsilon=1e-3
    )
    m, v = cube.mean((1, 2), keepdims=True), cube.var((1, 2), keepdims=True)
    np.testing.assert_allclose(out, (cube - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-5)
    assert ops.layer_normalization(jnp.ones((2, 4), jnp.bfloat16)).dtype == jnp.bfloat16


def test_layer_normalization_rms_scaling_is_deprecated():
    with pytest.warns(DeprecationWarning, match="`rms_scaling=True` is deprecated"):
        out = ops.layer_normalization(X, rms_scaling=True, epsilon=0.0)
    np.testing.assert_allclose(out, X / np.sqrt(X.var(-1, keepdims=True)), rtol=1e-5)


def test_layer_normalization_unknown_kwarg_raises():
    with pytest.raises(TypeError, match="Unexpected keyword arguments for `layer_normalization`"):
        ops.layer_normalization(X, center=True)


def test_rms_normalization_matches_formula():
    scale = np.arange(1, 5, dtype=np.float32)
    expected = X / np.sqrt((X**2).mean(-1, keepdims=True) + 1e-7) * scale
    np.testing.assert_allclose(ops.rms_normalization(X, scale), expected, rtol=1e-5)
    assert ops.rms_normalization(jnp.ones((2, 4), jnp.float16), axis=(0, 1)).dtype == jnp.float16


def test_nn_ops_emit_no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.softmax(np.zeros((2, 1), np.float32))
        ops.layer_normalization(X)
