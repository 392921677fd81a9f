import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from heft import ops

X = np.array([[0.5, -1.5, 2.25], [4.0, 0.75, -3.0]], np.float32)
N = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 5.0]], np.float32)

REDUCTIONS = [
    ("sum", np.sum),
    ("mean", np.mean),
    ("var", np.var),
    ("std", np.std),
    ("max", np.max),
    ("min", np.min),
    ("amax", np.amax),
    ("amin", np.amin),
    ("prod", np.prod),
    ("ptp", np.ptp),
    ("median", np.median),
    ("argmax", np.argmax),
    ("argmin", np.argmin),
    ("logsumexp", scipy.special.logsumexp),
]


@pytest.mark.parametrize(("name", "reference"), REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
@pytest.mark.parametrize("axis", [None, 1])
def test_reduction_matches_numpy(name, reference, axis):
    out = getattr(ops, name)(X, axis=axis)
    np.testing.assert_allclose(
        np.asarray(out), reference(X.astype(np.float64), axis=axis), rtol=1e-6
    )


@pytest.mark.parametrize("name", ["sum", "max", "logsumexp"])
def test_reduction_keepdims_and_axis_list(name):
    out = getattr(ops, name)(X, axis=[0, 1], keepdims=True)
    assert out.shape == (1, 1)


NAN_REDUCTIONS = [
    "nansum",
    "nanmean",
    "nanmax",
    "nanmin",
    "nanprod",
    "nanvar",
    "nanstd",
    "nanmedian",
    "nanargmax",
    "nanargmin",
]


@pytest.mark.parametrize("name", NAN_REDUCTIONS)
def test_nan_reductions_ignore_nan(name):
    out = getattr(ops, name)(N, axis=1)
    np.testing.assert_allclose(np.asarray(out), getattr(np, name)(N, axis=1), rtol=1e-6)


def test_all_and_any():
    b = np.array([[True, False], [True, True]])
    assert ops.all(b, axis=1).tolist() == [False, True]
    assert ops.any(b, axis=0).tolist() == [True, True]
    assert bool(ops.any(b)) and not bool(ops.all(b))


def test_sum_of_bools_counts_and_max_initial():
    assert int(ops.sum(np.array([True, True, False]))) == 2
    assert float(ops.max(np.array([-5.0, -3.0], np.float32), initial=0.0)) == 0.0
    assert float(ops.min(np.array([5.0, 3.0], np.float32), initial=1.0)) == 1.0


def test_prod_cumsum_cumprod_with_dtype():
    assert ops.prod(np.array([2, 3], np.int32), dtype="float32").dtype == jnp.float32
    np.testing.assert_array_equal(ops.cumsum(X, axis=1), np.cumsum(X, axis=1))
    np.testing.assert_array_equal(ops.cumsum(X), np.cumsum(X))
    np.testing.assert_allclose(ops.cumprod(X, axis=0), np.cumprod(X, axis=0))
    np.testing.assert_array_equal(ops.nancumsum(N, axis=1), np.nancumsum(N, axis=1))
    np.testing.assert_array_equal(ops.nancumprod(N, axis=1), np.nancumprod(N, axis=1))


def test_count_nonzero_is_int32():
    out = ops.count_nonzero(np.array([[0, 1, 2], [0, 0, 3]]), axis=1)
    assert out.dtype == jnp.int32 and out.tolist() == [2, 1]


def test_trapezoid_with_points_and_spacing():
    y = np.array([1.0, 2.0, 4.0], np.float32)
    assert float(ops.trapezoid(y, dx=2.0)) == float(np.trapezoid(y, dx=2.0))
    assert float(ops.trapezoid(y, x=[0.0, 1.0, 3.0])) == float(np.trapezoid(y, x=[0.0, 1.0, 3.0]))
