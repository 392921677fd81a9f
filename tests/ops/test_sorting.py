import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

X = np.array([[3.0, 1.0, 2.0, 5.0], [0.5, 4.0, -1.0, 4.0]], np.float32)


def test_sort_and_argsort_match_numpy():
    np.testing.assert_array_equal(ops.sort(X), np.sort(X))
    np.testing.assert_array_equal(ops.sort(X, axis=0), np.sort(X, axis=0))
    np.testing.assert_array_equal(ops.argsort(X), np.argsort(X, kind="stable"))
    assert ops.argsort(np.float32(2.0)).tolist() == [0]


def test_argpartition_places_kth_element():
    idx = ops.argpartition(X, 1, axis=1)
    part = np.take_along_axis(X, np.asarray(idx), axis=1)
    np.testing.assert_array_equal(part[:, 1], np.sort(X, axis=1)[:, 1])
    flat = ops.argpartition(X, 2, axis=None)
    assert X.ravel()[int(flat[2])] == np.sort(X.ravel())[2]


def test_argpartition_non_int_kth_raises():
    with pytest.raises(ValueError, match="`kth` must be an integer"):
        ops.argpartition(X, 1.0)


def test_top_k_values_and_indices():
    values, indices = ops.top_k(X, 2)
    np.testing.assert_array_equal(values, [[5.0, 3.0], [4.0, 4.0]])
    assert indices.dtype == jnp.int32 and indices.tolist() == [[3, 0], [1, 3]]


def test_in_top_k_ties_and_nan():
    preds = np.array([[0.1, 0.5, 0.5], [0.9, np.nan, 0.0]], np.float32)
    assert ops.in_top_k([2, 1], preds, 1).tolist() == [True, False]
    assert ops.in_top_k([0, 2], preds, 1).tolist() == [False, False]
    assert ops.in_top_k([0, 2], preds, 3).tolist() == [True, True]


def test_unique_with_extras_and_fixed_size():
    values, index, inverse, counts = ops.unique(
        [3, 1, 3, 2], return_index=True, return_inverse=True, return_counts=True
    )
    assert values.tolist() == [1, 2, 3]
    assert index.tolist() == [1, 3, 0]
    assert inverse.ravel().tolist() == [2, 0, 2, 1]
    assert counts.tolist() == [1, 1, 2]
    assert ops.unique([2, 2], size=3, fill_value=0).tolist() == [2, 0, 0]
