import jax.numpy as jnp
import numpy as np
import pytest

from heft.initializers import Initializer, RandomUniform
from heft.initializers._initializer import jax_dtype, standardize_shape


class _Scaled(Initializer):
    def __init__(self, factor=1.0):
        self.factor = factor

    def __call__(self, shape, dtype=None):
        return jnp.full(shape, self.factor, dtype=dtype)

    def get_config(self):
        return {"factor": self.factor}


def test_initializer_base_call_raises_not_implemented():
    with pytest.raises(NotImplementedError, match="must implement `__call__"):
        Initializer()((2,))


def test_initializer_base_get_config_is_empty():
    assert Initializer().get_config() == {}


def test_initializer_from_config_passes_kwargs():
    init = _Scaled.from_config({"factor": 3.0})
    assert init.factor == 3.0
    assert init((2,)).tolist() == [3.0, 3.0]


def test_initializer_clone_is_new_object_with_same_config():
    init = _Scaled(2.5)
    copy = init.clone()
    assert copy is not init and copy.get_config() == {"factor": 2.5}


def test_initializer_clone_of_seeded_random_initializer_gives_same_values():
    init = RandomUniform(seed=4)
    np.testing.assert_array_equal(init((3, 3)), init.clone()((3, 3)))


def test_standardize_shape_accepts_int_and_numpy_dims():
    assert standardize_shape(3) == (3,)
    assert standardize_shape([np.int64(2), 4]) == (2, 4)
    assert standardize_shape(()) == ()


def test_standardize_shape_rejects_non_iterable():
    with pytest.raises(ValueError, match=r"Invalid shape 2\.5 for an initializer"):
        standardize_shape(2.5)


@pytest.mark.parametrize("shape", [(2, None), (2, -1), (2, 1.5), (True,)])
def test_standardize_shape_rejects_bad_dimensions(shape):
    with pytest.raises(ValueError, match="is not a non-negative int"):
        standardize_shape(shape)


def test_jax_dtype_defaults_to_floatx_and_folds_64_bit():
    assert jax_dtype(None) == jnp.float32
    assert jax_dtype("int64") == jnp.int32
    assert jax_dtype("bfloat16") == jnp.bfloat16
