import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops

X = np.array([[0.5, -1.5, 2.25], [4.0, 0.75, -3.0]], np.float32)
N = np.array([[1.0, np.nan, 3.0], [np.nan, 2.0, 5.0]], np.float32)


def test_mean_of_ints_and_bools_is_float32():
    assert ops.mean(np.array([1, 2], np.int32)).dtype == jnp.float32
    assert float(ops.mean(np.array([True, False, True, True]))) == 0.75
    assert ops.var(np.array([1, 2], np.int32)).dtype == jnp.float32


def test_mean_and_var_of_float16_are_accumulated_in_float32():
    x = jnp.full((4096,), 60000.0, jnp.float16)
    out = ops.mean(x)
    assert out.dtype == jnp.float16 and float(out) == 60000.0
    assert ops.var(x).dtype == jnp.float16 and float(ops.var(x)) == 0.0


def test_average_weighted_and_int_input():
    w = np.array([1.0, 0.0, 3.0], np.float32)
    np.testing.assert_allclose(
        ops.average(X, axis=1, weights=w), np.average(X, axis=1, weights=w), rtol=1e-6
    )
    assert ops.average(np.array([1, 2], np.int32)).dtype == jnp.float32


def test_quantile_and_percentile_methods():
    for method in ["linear", "lower", "higher", "midpoint", "nearest"]:
        np.testing.assert_allclose(
            ops.quantile(X, [0.25, 0.5], axis=1, method=method),
            np.quantile(X, [0.25, 0.5], axis=1, method=method),
            rtol=1e-6,
        )
    np.testing.assert_allclose(ops.percentile(X, 30.0), np.percentile(X, 30.0), rtol=1e-6)
    np.testing.assert_allclose(ops.nanquantile(N, 0.5, axis=1), np.nanquantile(N, 0.5, axis=1))
    np.testing.assert_allclose(ops.nanpercentile(N, 50, axis=1), np.nanpercentile(N, 50, axis=1))


def test_histogram_counts_and_edges():
    counts, edges = ops.histogram(
        np.array([0.0, 0.1, 0.5, 1.0], np.float32), bins=2, range=(0.0, 1.0)
    )
    np.testing.assert_array_equal(counts, [2.0, 2.0])
    np.testing.assert_allclose(edges, [0.0, 0.5, 1.0])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"bins": 2.5}, TypeError, "`bins` must be of type `int`"),
        ({"bins": -1}, ValueError, "`bins` must be a non-negative integer"),
        ({"range": [0.0, 1.0]}, ValueError, "`range` must be a tuple of two elements"),
        ({"range": (1.0, 0.0)}, ValueError, "second element of `range`"),
    ],
)
def test_histogram_invalid_arguments_raise(kwargs, error, match):
    with pytest.raises(error, match=match):
        ops.histogram([0.0, 1.0], **kwargs)


def test_histogram_rejects_2d_input():
    with pytest.raises(ValueError, match="Input tensor must be 1-dimensional"):
        ops.histogram(np.zeros((2, 2), np.float32))
