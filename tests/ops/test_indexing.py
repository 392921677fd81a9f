import numpy as np
import pytest

from heft import ops

X = np.arange(12, dtype=np.float32).reshape(3, 4)


def test_take_and_take_along_axis_match_numpy():
    np.testing.assert_array_equal(ops.take(X, [2, 0], axis=1), np.take(X, [2, 0], axis=1))
    np.testing.assert_array_equal(ops.take(X, [[0, 5]]), np.take(X, [[0, 5]]))
    idx = np.argsort(-X, axis=1)
    np.testing.assert_array_equal(
        ops.take_along_axis(X, idx, axis=1), np.take_along_axis(X, idx, axis=1)
    )


def test_triangles_and_diagonals_match_numpy():
    np.testing.assert_array_equal(ops.tril(X, k=1), np.tril(X, k=1))
    np.testing.assert_array_equal(ops.triu(X, k=-1), np.triu(X, k=-1))
    np.testing.assert_array_equal(ops.diag(X, k=1), np.diag(X, k=1))
    np.testing.assert_array_equal(ops.diag([1, 2], k=-1), np.diag([1, 2], k=-1))
    np.testing.assert_array_equal(ops.diagflat([[1, 2]], k=1), np.diagflat([[1, 2]], k=1))
    cube = np.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.diagonal(cube, 1, 1, 2), np.diagonal(cube, 1, 1, 2))
    np.testing.assert_array_equal(
        ops.trace(cube, axis1=1, axis2=2), np.trace(cube, axis1=1, axis2=2)
    )


def test_diagonal_same_axes_raises():
    with pytest.raises(ValueError, match="`axis1` and `axis2` cannot be the same"):
        ops.diagonal(X, axis1=0, axis2=-2)


def test_unravel_index_nonzero_isin():
    rows, cols = ops.unravel_index(np.array([1, 7]), (3, 4))
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 3]
    assert [a.tolist() for a in ops.nonzero(X > 9)] == [[2, 2], [2, 3]]
    assert ops.isin([1, 5, 7], [7, 1]).tolist() == [True, False, True]
    assert ops.isin([1, 5], [1], invert=True).tolist() == [False, True]


def test_searchsorted_and_digitize():
    assert ops.searchsorted([1.0, 2.0, 2.0, 3.0], [2.0, 2.5], side="right").tolist() == [3, 3]
    assert ops.digitize([0.1, 1.0, 5.0], [1.0, 2.0]).tolist() == [0, 1, 2]


def test_searchsorted_requires_1d_sequence():
    with pytest.raises(ValueError, match="only supports 1-D sorted sequences"):
        ops.searchsorted(np.zeros((2, 2)), [1.0])


def test_bincount_1d_2d_and_weights():
    assert ops.bincount([0, 1, 1, 4], minlength=6).tolist() == [1, 2, 0, 0, 1, 0]
    weights = np.array([0.5, 1.0, 2.0], np.float32)
    assert ops.bincount([0, 2, 2], weights=weights).tolist() == [0.5, 0.0, 3.0]
    out = ops.bincount(np.array([[0, 1], [1, 1]]), minlength=3)
    assert out.tolist() == [[1, 1, 0], [0, 2, 0]]


def test_bincount_sparse_raises():
    with pytest.raises(ValueError, match="`sparse=True` is not supported"):
        ops.bincount([0, 1], sparse=True)


def test_segment_reductions():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    ids = np.array([0, 0, 2])
    assert ops.segment_sum(data, ids, num_segments=3).tolist() == [[4, 6], [0, 0], [5, 6]]
    assert ops.segment_max(data, ids, num_segments=3, sorted=True)[0].tolist() == [3, 4]
    assert ops.segment_min(data, ids, num_segments=3)[2].tolist() == [5, 6]
    assert ops.segment_prod(data, ids, num_segments=3)[0].tolist() == [3, 8]


@pytest.mark.parametrize(
    ("data", "ids", "num", "match"),
    [
        (np.ones((2, 2)), np.zeros((2, 1), np.int32), 2, "`segment_ids` must be a 1-D tensor"),
        (np.ones((3,)), np.zeros((2,), np.int32), 2, "must have the same leading dimension"),
        (np.ones((2,)), np.zeros((2,), np.int32), None, "`num_segments` must be set"),
    ],
)
def test_segment_sum_invalid_arguments_raise(data, ids, num, match):
    with pytest.raises(ValueError, match=match):
        ops.segment_sum(data, ids, num_segments=num)
