import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import heft
from heft import ops


def test_convert_to_tensor_python_scalars_use_32_bit_dtypes():
    assert ops.convert_to_tensor(1.5).dtype == jnp.float32
    assert ops.convert_to_tensor(3).dtype == jnp.int32
    assert ops.convert_to_tensor(True).dtype == jnp.bool_
    assert ops.convert_to_tensor([1, 2]).dtype == jnp.int32


def test_convert_to_tensor_float64_numpy_becomes_float32():
    out = ops.convert_to_tensor(np.array([0.1, 0.2], np.float64))
    assert out.dtype == jnp.float32
    np.testing.assert_allclose(out, [0.1, 0.2], rtol=1e-7)


def test_convert_to_tensor_unwraps_variables_and_casts():
    v = heft.Variable(np.array([1.5, 2.5], np.float32))
    out = ops.convert_to_tensor(v)
    assert isinstance(out, jax.Array)
    np.testing.assert_array_equal(out, [1.5, 2.5])
    assert ops.convert_to_tensor(v, dtype="int32").tolist() == [1, 2]
    nested = ops.convert_to_tensor([v, v])
    assert nested.shape == (2, 2)


def test_convert_to_tensor_returns_same_array_when_dtype_matches():
    x = jnp.ones(3)
    assert ops.convert_to_tensor(x) is x
    assert ops.convert_to_tensor(x, dtype="float32") is x


def test_convert_to_tensor_bfloat16_from_list():
    out = ops.convert_to_tensor([1.0, 2.0], dtype="bfloat16")
    assert out.dtype == jnp.bfloat16


def test_convert_to_tensor_int64_request_gives_int32_without_warning():
    out = ops.convert_to_tensor([1, 2], dtype="int64")
    assert out.dtype == jnp.int32


def test_convert_to_tensor_ragged_raises():
    with pytest.raises(ValueError, match="ragged=True` is not supported"):
        ops.convert_to_tensor([1.0], ragged=True)


def test_convert_to_numpy_keeps_bfloat16():
    out = ops.convert_to_numpy(jnp.ones(2, jnp.bfloat16))
    assert isinstance(out, np.ndarray) and out.dtype == ml_dtypes.bfloat16
    v = heft.Variable(np.array([1.0, 2.0], np.float32))
    np.testing.assert_array_equal(ops.convert_to_numpy(v), [1.0, 2.0])


def test_is_tensor_only_for_jax_arrays():
    assert ops.is_tensor(jnp.zeros(2))
    assert not ops.is_tensor(np.zeros(2))
    assert not ops.is_tensor(heft.Variable(np.zeros(2, np.float32)))


def test_cast_and_dtype():
    out = ops.cast([1.7, -2.2], "int32")
    assert out.tolist() == [1, -2]
    assert ops.dtype(out) == "int32"
    assert ops.dtype(heft.Variable(np.zeros(2, np.float32))) == "float32"
    assert ops.dtype(ops.cast(out, "bfloat16")) == "bfloat16"


def test_saturate_cast_clips_to_target_range():
    assert ops.saturate_cast([-5.0, 300.0, 12.7], "uint8").tolist() == [0, 255, 12]
    assert ops.saturate_cast([float("inf"), -1e10], "int32").tolist() == [2147483647, -2147483648]
    assert ops.saturate_cast([70000, -70000], "int16").tolist() == [32767, -32768]
    assert ops.saturate_cast([True, False], "float32").tolist() == [1.0, 0.0]


def test_shape_of_arrays_lists_and_variables():
    assert ops.shape(jnp.zeros((2, 3))) == (2, 3)
    assert ops.shape([[1, 2, 3]]) == (1, 3)
    assert ops.shape(heft.Variable(np.zeros((4,), np.float32))) == (4,)


def test_stop_gradient_blocks_gradient():
    grad = jax.grad(lambda x: jnp.sum(ops.stop_gradient(x) * x))(jnp.array([2.0, 3.0]))
    np.testing.assert_array_equal(grad, [2.0, 3.0])


def test_slice_and_slice_update():
    x = jnp.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(
        ops.slice(x, (1, 1), (2, -1)), np.arange(12).reshape(3, 4)[1:3, 1:]
    )
    updated = ops.slice_update(jnp.zeros((2, 3)), (1, 1), jnp.ones((1, 2)))
    np.testing.assert_array_equal(updated, [[0, 0, 0], [0, 1, 1]])


def test_scatter_sums_repeated_indices():
    out = ops.scatter([[0, 1], [0, 1], [1, 0]], [1.0, 2.0, 5.0], (2, 2))
    np.testing.assert_array_equal(out, [[0.0, 3.0], [5.0, 0.0]])


@pytest.mark.parametrize(
    ("reduction", "expected"),
    [
        (None, [9.0, 2.0, 8.0]),
        ("add", [10.0, 2.0, 11.0]),
        ("max", [9.0, 2.0, 8.0]),
        ("min", [1.0, 2.0, 3.0]),
        ("MUL", [9.0, 2.0, 24.0]),
    ],
)
def test_scatter_update_reductions(reduction, expected):
    out = ops.scatter_update([1.0, 2.0, 3.0], [[0], [2]], [9.0, 8.0], reduction=reduction)
    np.testing.assert_array_equal(out, expected)


def test_scatter_update_unknown_reduction_raises():
    with pytest.raises(ValueError, match="Invalid reduction: 'mean'"):
        ops.scatter_update([1.0], [[0]], [2.0], reduction="mean")


def test_unstack_and_get_item():
    rows = ops.unstack(jnp.arange(6).reshape(2, 3), axis=1)
    assert [r.tolist() for r in rows] == [[0, 3], [1, 4], [2, 5]]
    assert ops.get_item(jnp.arange(6).reshape(2, 3), [1, 2]).tolist() == 5


def test_core_ops_run_under_jit_with_variable_values():
    v = heft.Variable(np.array([1.0, -2.0], np.float32))

    @jax.jit
    def f(x):
        return ops.cast(ops.convert_to_tensor(x) * 2, "int32")

    np.testing.assert_array_equal(f(v.value), [2, -4])


def test_ops_read_variables_through_a_stateless_scope_under_jit():
    kernel = heft.Variable(np.ones((2, 2), np.float32))

    @jax.jit
    def apply(kernel_value, x):
        with heft.StatelessScope([(kernel, kernel_value)]):
            return ops.relu(ops.matmul(x, kernel))

    out = apply(jnp.array([[1.0, -2.0], [3.0, 4.0]]), jnp.eye(2))
    np.testing.assert_array_equal(out, [[1.0, 0.0], [3.0, 4.0]])
    np.testing.assert_array_equal(kernel.numpy(), np.ones((2, 2)))
