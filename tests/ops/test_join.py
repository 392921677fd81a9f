import numpy as np
import pytest

import heft
from heft import ops

A = np.arange(6, dtype=np.float32).reshape(2, 3)
B = -np.arange(6, dtype=np.float32).reshape(2, 3)


def test_concatenate_and_stack_match_numpy():
    np.testing.assert_array_equal(ops.concatenate([A, B], axis=1), np.concatenate([A, B], axis=1))
    np.testing.assert_array_equal(ops.concatenate((A, B), axis=-2), np.concatenate([A, B], axis=0))
    np.testing.assert_array_equal(ops.stack([A, B], axis=1), np.stack([A, B], axis=1))
    np.testing.assert_array_equal(ops.stack(np.stack([A, B])), np.stack([A, B]))


def test_concatenate_mixes_variables_and_arrays():
    out = ops.concatenate([heft.Variable(A), B, [[9.0, 9.0, 9.0]]])
    assert out.shape == (5, 3)
    np.testing.assert_array_equal(out[:2], A)


def test_concatenate_axis_none_raises():
    with pytest.raises(ValueError, match="`axis` cannot be None for `concatenate`"):
        ops.concatenate([A, B], axis=None)


def test_hstack_vstack_dstack_append():
    np.testing.assert_array_equal(ops.hstack([A, B]), np.hstack([A, B]))
    np.testing.assert_array_equal(ops.vstack([A, B]), np.vstack([A, B]))
    np.testing.assert_array_equal(ops.dstack([A, B]), np.dstack([A, B]))
    np.testing.assert_array_equal(ops.append(A, B), np.append(A, B))
    np.testing.assert_array_equal(ops.append(A, B, axis=1), np.append(A, B, axis=1))


def test_splits_match_numpy():
    x = np.arange(24).reshape(4, 6)
    for got, want in zip(ops.split(x, [1, 4], axis=1), np.split(x, [1, 4], axis=1), strict=True):
        np.testing.assert_array_equal(got, want)
    assert [t.shape for t in ops.split(x, 2)] == [(2, 6), (2, 6)]
    assert [t.shape for t in ops.array_split(x, 4, axis=1)] == [(4, 2), (4, 2), (4, 1), (4, 1)]
    assert [t.shape for t in ops.hsplit(x, 3)] == [(4, 2)] * 3
    assert [t.shape for t in ops.vsplit(x, [1])] == [(1, 6), (3, 6)]
    assert [t.shape for t in ops.dsplit(x.reshape(2, 2, 6), 3)] == [(2, 2, 2)] * 3


@pytest.mark.parametrize(
    ("sections", "axis", "error", "match"),
    [
        (2.0, 0, TypeError, "`indices_or_sections` must be of type `int`"),
        (0, 0, ValueError, "`indices_or_sections` must be a positive integer"),
        (2, 0.5, TypeError, "Argument `axis` must be of type `int`"),
    ],
)
def test_array_split_invalid_arguments_raise(sections, axis, error, match):
    with pytest.raises(error, match=match):
        ops.array_split(np.arange(4), sections, axis=axis)
