import jax.numpy as jnp
import numpy as np
import pytest

from heft import _config
from heft._variable import Variable
from heft.losses._utils import (
    canonicalize_axis,
    check_int_axis,
    divide_no_nan,
    l2_normalize,
    mean,
    squeeze_or_expand_to_same_rank,
    to_tensor,
)


def test_to_tensor_python_values_get_keras_dtypes():
    assert to_tensor(1.5).dtype == jnp.float32
    assert not to_tensor(1.5).weak_type
    assert to_tensor(3).dtype == jnp.int32
    assert to_tensor(True).dtype == jnp.bool_
    assert to_tensor([[1.0, 2.0]]).shape == (1, 2)


def test_to_tensor_casts_and_unwraps_variables():
    v = Variable(np.array([1.0, 2.0], "float32"))
    out = to_tensor(v, "bfloat16")
    assert out.dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(to_tensor(v)), [1.0, 2.0])


def test_mean_accumulates_low_precision_in_float32():
    x = jnp.full((4096,), 1.0, jnp.float16) * 30.0
    out = mean(x)
    assert out.dtype == jnp.float16
    assert float(out) == 30.0
    assert mean(jnp.array([1, 2], jnp.int32)).dtype == jnp.float32


def test_squeeze_or_expand_squeezes_trailing_unit_axis():
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4, 3, 1)), jnp.zeros((4, 3)))
    assert a.shape == (4, 3) and b.shape == (4, 3)
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4, 3)), jnp.zeros((4, 3, 1)))
    assert a.shape == (4, 3) and b.shape == (4, 3)


def test_squeeze_or_expand_expands_rank_one():
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4, 1)), jnp.zeros((4,)))
    assert a.shape == (4, 1) and b.shape == (4, 1)
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4, 1)), jnp.zeros((4,)), expand_rank_1=False)
    assert a.shape == (4,) and b.shape == (4,)
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4,)), jnp.zeros((4, 1)))
    assert a.shape == (4, 1) and b.shape == (4, 1)


def test_squeeze_or_expand_leaves_other_shapes():
    a, b = squeeze_or_expand_to_same_rank(jnp.zeros((4, 3)), jnp.zeros((4,)))
    assert a.shape == (4, 3) and b.shape == (4,)


def test_divide_no_nan_gives_zero_for_zero_divisor():
    out = divide_no_nan(jnp.array([1.0, 2.0]), jnp.array([0.0, 4.0]))
    np.testing.assert_array_equal(np.asarray(out), [0.0, 0.5])


def test_canonicalize_axis_and_out_of_range_error():
    assert canonicalize_axis(-1, 3) == 2
    assert canonicalize_axis(1, 3) == 1
    with pytest.raises(ValueError, match=r"`axis=3` is out of range for an input of rank 3"):
        canonicalize_axis(3, 3)


def test_check_int_axis_rejects_bools():
    check_int_axis(-1, "f")
    check_int_axis(np.int64(1), "f")
    with pytest.raises(
        ValueError, match=r"`axis` must be of type `int` in `f`. Received: axis=True"
    ):
        check_int_axis(True, "f")


def test_l2_normalize_unit_norm_and_zero_vectors():
    out = np.asarray(l2_normalize(jnp.array([[3.0, 4.0], [0.0, 0.0]])))
    np.testing.assert_allclose(out, [[0.6, 0.8], [0.0, 0.0]], rtol=1e-6)
    assert 1.0 / _config.epsilon() == pytest.approx(1e7)
