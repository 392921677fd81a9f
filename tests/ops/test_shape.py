import numpy as np
import pytest

from heft import ops

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def test_reshape_with_inferred_dimension_and_int_shape():
    assert ops.reshape(X, (4, -1)).shape == (4, 6)
    assert ops.reshape(X, 24).shape == (24,)
    assert ops.reshape(X, [6, 4]).shape == (6, 4)


def test_reshape_invalid_shapes_raise():
    with pytest.raises(ValueError, match="at most one unknown dimension"):
        ops.reshape(X, (-1, -1))
    with pytest.raises(ValueError, match="must be non-negative, or -1"):
        ops.reshape(X, (-2, 12))


def test_transpose_expand_squeeze():
    assert ops.transpose(X).shape == (4, 3, 2)
    assert ops.transpose(X, [1, 0, 2]).shape == (3, 2, 4)
    assert ops.expand_dims(X, (0, -1)).shape == (1, 2, 3, 4, 1)
    assert ops.squeeze(np.zeros((1, 3, 1))).shape == (3,)
    assert ops.squeeze(np.zeros((1, 3, 1)), axis=[0]).shape == (3, 1)


def test_expand_dims_invalid_axis_raises():
    with pytest.raises(ValueError, match="`axis` argument to `expand_dims` should be an integer"):
        ops.expand_dims(X, None)


def test_broadcast_moveaxis_swapaxes_ravel():
    assert ops.broadcast_to(np.array([1, 2]), (3, 2)).tolist() == [[1, 2]] * 3
    assert ops.moveaxis(X, [0, 1], [-1, -2]).shape == (4, 3, 2)
    assert ops.swapaxes(X, 0, 2).shape == (4, 3, 2)
    np.testing.assert_array_equal(ops.ravel(X), X.ravel())


def test_moveaxis_mismatched_lengths_raise():
    with pytest.raises(ValueError, match="`source` and `destination` must have the same number"):
        ops.moveaxis(X, [0, 1], [2])


def test_flips_and_rolls_match_numpy():
    np.testing.assert_array_equal(ops.flip(X, axis=[0, 2]), np.flip(X, axis=(0, 2)))
    np.testing.assert_array_equal(ops.fliplr(X), np.fliplr(X))
    np.testing.assert_array_equal(ops.flipud(X), np.flipud(X))
    np.testing.assert_array_equal(ops.roll(X, 2, axis=2), np.roll(X, 2, axis=2))
    np.testing.assert_array_equal(ops.roll(X, 5), np.roll(X, 5))
    np.testing.assert_array_equal(ops.rot90(X, k=3, axes=(1, 2)), np.rot90(X, k=3, axes=(1, 2)))


def test_rot90_invalid_inputs_raise():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ops.rot90(np.arange(3))
    with pytest.raises(ValueError, match="Axes must be a tuple of two different dimensions"):
        ops.rot90(X, axes=(1, 1))


def test_tile_repeat_match_numpy():
    np.testing.assert_array_equal(ops.tile(X, (1, 2, 1)), np.tile(X, (1, 2, 1)))
    np.testing.assert_array_equal(ops.repeat(X, 2, axis=1), np.repeat(X, 2, axis=1))
    np.testing.assert_array_equal(ops.repeat(np.array([1, 2]), [1, 3]), [1, 2, 2, 2])


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect", "symmetric", "wrap"])
def test_pad_modes_match_numpy(mode):
    m = X[0]
    np.testing.assert_array_equal(
        ops.pad(m, [(1, 2), (2, 1)], mode=mode), np.pad(m, [(1, 2), (2, 1)], mode=mode)
    )


def test_pad_constant_values_and_errors():
    assert ops.pad(np.array([1, 2]), [(1, 1)], constant_values=9).tolist() == [9, 1, 2, 9]
    with pytest.raises(ValueError, match="one \\(before, after\\) pair per axis"):
        ops.pad(X, [(1, 1), (1, 1)])
    with pytest.raises(
        ValueError, match="`constant_values` can only be provided when `mode == 'constant'`"
    ):
        ops.pad(np.array([1, 2]), [(1, 1)], mode="edge", constant_values=0)


def test_ndim_size_diff():
    assert ops.ndim(X) == 3 and ops.size(X) == 24
    assert isinstance(ops.ndim(X), int) and isinstance(ops.size(X), int)
    np.testing.assert_array_equal(ops.diff(X, n=2, axis=2), np.diff(X, n=2, axis=2))
