import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft._variable import Variable
from heft.initializers import Constant, Identity, Ones, Zeros


def test_zeros_values_shape_and_default_dtype():
    out = Zeros()((2, 3))
    assert isinstance(out, jax.Array)
    assert out.dtype == jnp.float32
    np.testing.assert_array_equal(out, np.zeros((2, 3)))


def test_zeros_and_ones_follow_dtype():
    assert Zeros()((2,), dtype="int32").dtype == jnp.int32
    assert Ones()((2,), dtype="bfloat16").dtype == jnp.bfloat16
    assert Ones()((2, 2), dtype="float16").tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_ones_bool_dtype():
    assert Ones()((2,), dtype="bool").tolist() == [True, True]


def test_constant_scalar_fills_shape():
    assert Constant(2.5)((3,)).tolist() == [2.5, 2.5, 2.5]


def test_constant_default_value_is_zero():
    assert Constant()((2,)).tolist() == [0.0, 0.0]


def test_constant_casts_to_int_dtype():
    assert Constant(2.7)((2,), dtype="int32").tolist() == [2, 2]


def test_constant_array_value_broadcasts():
    out = Constant(np.array([1.0, 2.0]))((2, 2))
    assert out.tolist() == [[1.0, 2.0], [1.0, 2.0]]
    assert out.dtype == jnp.float32


def test_constant_accepts_jax_array_and_variable():
    assert Constant(jnp.array([3.0, 4.0]))((2,)).tolist() == [3.0, 4.0]
    var = Variable(np.array([5.0, 6.0], dtype=np.float32))
    assert Constant(var)((2,)).tolist() == [5.0, 6.0]


def test_constant_incompatible_array_raises():
    with pytest.raises(
        TypeError, match=r"shape \(2,\) cannot be broadcast to the requested shape \(3,\)"
    ):
        Constant(np.array([1.0, 2.0]))((3,))


def test_constant_value_not_mutated():
    value = np.array([1.0, 2.0])
    Constant(value)((2, 2), dtype="int32")
    assert value.dtype == np.float64 and value.tolist() == [1.0, 2.0]


def test_constant_config_scalar():
    assert Constant(3).get_config() == {"value": 3}
    assert Constant(np.float32(2.5)).get_config() == {"value": 2.5}


def test_constant_config_numpy_array_round_trip():
    init = Constant(np.array([1.0, 2.0]))
    config = init.get_config()
    assert config == {
        "value": {"class_name": "__numpy__", "config": {"value": [1.0, 2.0], "dtype": "float64"}}
    }
    restored = Constant.from_config(config)
    assert isinstance(restored.value, np.ndarray)
    assert restored((2,)).tolist() == [1.0, 2.0]


def test_constant_config_jax_array_round_trip():
    config = Constant(jnp.array([1.0, 2.0])).get_config()
    assert config["value"]["class_name"] == "__tensor__"
    assert config["value"]["config"] == {"value": [1.0, 2.0], "dtype": "float32"}
    restored = Constant.from_config(config)
    assert isinstance(restored.value, jax.Array)


def test_constant_from_empty_config_uses_default():
    assert Constant.from_config({}).value == 0.0


def test_identity_gain_and_rectangular():
    out = Identity(gain=3.0)((2, 3))
    assert out.tolist() == [[3.0, 0.0, 0.0], [0.0, 3.0, 0.0]]


def test_identity_dtype():
    assert Identity()((2, 2), dtype="float16").dtype == jnp.float16


def test_identity_rejects_non_2d():
    with pytest.raises(
        ValueError, match=r"only be used for 2D matrices. Received: shape=\(2, 2, 2\) of rank 3"
    ):
        Identity()((2, 2, 2))


def test_identity_config_keeps_gain():
    assert Identity(gain=2.0).get_config() == {"gain": 2.0}
    assert Identity.from_config({"gain": 2.0})((1, 1)).tolist() == [[2.0]]
    assert Identity.from_config({}).gain == 1.0
