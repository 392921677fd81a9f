import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

X = np.array([[0.5, -1.5, 2.25, 1.0], [4.0, 0.75, -3.0, 0.0]], np.float32)
P = np.array([[0.1, 0.6, 0.3], [0.25, 0.25, 0.5]], np.float32)
Y = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], np.float32)
EPS = 1e-7


def test_one_hot_dtype_axis_and_out_of_range():
    out = ops.one_hot([0, 2, 5], 3)
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, [[1, 0, 0], [0, 0, 1], [0, 0, 0]])
    assert ops.one_hot([1, 0], 3, axis=0, dtype="int32").tolist() == [[0, 1], [1, 0], [0, 0]]


def test_one_hot_sparse_raises():
    with pytest.raises(ValueError, match="`sparse=True` is not supported"):
        ops.one_hot([0], 2, sparse=True)


def test_multi_hot_1d_2d_and_num_tokens_alias():
    assert ops.multi_hot([0, 2, 2], 4).tolist() == [1.0, 0.0, 1.0, 0.0]
    assert ops.multi_hot(np.array([[0, 1], [3, 3]]), num_tokens=4).tolist() == [
        [1, 1, 0, 0],
        [0, 0, 0, 1],
    ]


def test_multi_hot_invalid_arguments_raise():
    with pytest.raises(ValueError, match="`num_classes` must be specified"):
        ops.multi_hot([0, 1])
    with pytest.raises(TypeError, match="Unexpected keyword arguments for `multi_hot`"):
        ops.multi_hot([0, 1], 2, depth=3)


def test_binary_crossentropy_probabilities_and_logits():
    target = np.array([1.0, 0.0, 1.0], np.float32)
    prob = np.array([0.9, 0.2, 0.0], np.float32)
    clipped = np.clip(prob, EPS, 1 - EPS).astype(np.float64)
    expected = -(target * np.log(clipped) + (1 - target) * np.log(1 - clipped))
    np.testing.assert_allclose(ops.binary_crossentropy(target, prob), expected, rtol=1e-5)
    logits = np.array([2.0, -1.0, 0.5], np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    expected = -(target * np.log(p) + (1 - target) * np.log(1 - p))
    np.testing.assert_allclose(
        ops.binary_crossentropy(target, logits, from_logits=True), expected, rtol=1e-6
    )


def test_binary_crossentropy_shape_mismatch_raises():
    with pytest.raises(ValueError, match="`target` and `output` must have the same shape"):
        ops.binary_crossentropy([1.0, 0.0], [0.5])


def test_categorical_crossentropy_renormalizes_and_handles_logits():
    unnormalized = 2 * P
    expected = -np.sum(Y * np.log(P.astype(np.float64)), axis=-1)
    np.testing.assert_allclose(ops.categorical_crossentropy(Y, unnormalized), expected, rtol=1e-6)
    logits = np.log(P)
    np.testing.assert_allclose(
        ops.categorical_crossentropy(Y, logits, from_logits=True), expected, rtol=1e-5
    )
    np.testing.assert_allclose(ops.categorical_crossentropy(Y.T, P.T, axis=0), expected, rtol=1e-6)


def test_categorical_crossentropy_invalid_shapes_raise():
    with pytest.raises(ValueError, match="must have the same shape"):
        ops.categorical_crossentropy(Y, P[:, :2])
    with pytest.raises(ValueError, match="must be at least rank 1"):
        ops.categorical_crossentropy(1.0, 0.5)


def test_sparse_categorical_crossentropy_matches_dense_form():
    labels = np.array([1, 0], np.int32)
    dense = ops.categorical_crossentropy(Y, P)
    np.testing.assert_allclose(ops.sparse_categorical_crossentropy(labels, P), dense, rtol=1e-6)
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels[:, None], P), dense, rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.sparse_categorical_crossentropy(labels.astype(np.float32), np.log(P), from_logits=True),
        dense,
        rtol=1e-5,
    )


def test_sparse_categorical_crossentropy_invalid_shapes_raise():
    with pytest.raises(ValueError, match="`output` must be at least rank 1"):
        ops.sparse_categorical_crossentropy(1, 0.5)
    with pytest.raises(ValueError, match="same shape up to the last dimension"):
        ops.sparse_categorical_crossentropy([0, 1, 2], P)


def test_psnr_value_and_shape_check():
    a = np.array([0.0, 0.5, 1.0], np.float32)
    b = np.array([0.0, 0.4, 1.0], np.float32)
    expected = 20 * np.log10(1.0) - 10 * np.log10(np.mean((a - b) ** 2))
    assert float(ops.psnr(a, b, 1.0)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match="must match for PSNR calculation"):
        ops.psnr(a, b[:2], 1.0)
