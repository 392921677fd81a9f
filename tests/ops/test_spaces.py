import jax.numpy as jnp
import numpy as np
import pytest

from heft import ops


def test_spaces_match_numpy():
    np.testing.assert_allclose(
        ops.linspace(0.0, 1.0, 5, endpoint=False), np.linspace(0, 1, 5, endpoint=False)
    )
    values, step = ops.linspace(0.0, 2.0, 3, retstep=True)
    assert values.tolist() == [0.0, 1.0, 2.0] and float(step) == 1.0
    np.testing.assert_allclose(
        ops.linspace([0.0, 1.0], [1.0, 2.0], 3, axis=1), np.linspace([0, 1], [1, 2], 3, axis=1)
    )
    np.testing.assert_allclose(ops.logspace(0.0, 3.0, 4, base=2.0), np.logspace(0, 3, 4, base=2.0))
    np.testing.assert_allclose(ops.geomspace(1.0, 1000.0, 4), [1.0, 10.0, 100.0, 1000.0], rtol=1e-5)


def test_meshgrid_indexing_modes_and_error():
    gx, gy = ops.meshgrid(np.arange(3), np.arange(2))
    assert gx.shape == (2, 3) and gy.shape == (2, 3)
    gi, _ = ops.meshgrid(np.arange(3), np.arange(2), indexing="ij")
    assert gi.shape == (3, 2)
    with pytest.raises(ValueError, match="Valid values for `indexing` are 'xy' and 'ij'"):
        ops.meshgrid(np.arange(2), indexing="yx")


@pytest.mark.parametrize("name", ["bartlett", "blackman", "hamming", "hanning"])
def test_windows_match_numpy_in_floatx(name):
    out = getattr(ops, name)(7)
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, getattr(np, name)(7), atol=1e-6)


def test_kaiser_matches_numpy():
    np.testing.assert_allclose(ops.kaiser(6, 2.5), np.kaiser(6, 2.5), rtol=1e-5)
