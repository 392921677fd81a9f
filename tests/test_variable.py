"""Tests for heft.Variable: construction, assignment, conversion, operators and metadata."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import Variable


# ---------------------------------------------------------------------------- construction
def test_variable_from_initializer_name():
    v = Variable("ones", shape=(2, 3))
    assert v.shape == (2, 3)
    assert v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), np.ones((2, 3), "float32"))


def test_variable_from_initializer_object_and_dtype():
    v = Variable(heft.initializers.Constant(2.0), shape=(2,), dtype="float16")
    assert v.dtype == "float16"
    assert v.value.dtype == jnp.float16
    np.testing.assert_array_equal(v.numpy(), [2.0, 2.0])


def test_variable_from_callable_uses_floatx_by_default():
    calls = []

    def init(shape, dtype=None):
        calls.append((shape, dtype))
        return jnp.full(shape, 3.0, dtype=dtype)

    v = Variable(init, shape=(3,))
    assert calls == [((3,), "float32")]
    assert v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), [3.0, 3.0, 3.0])


def test_variable_from_callable_without_shape_raises():
    with pytest.raises(ValueError, match=r"the `shape` argument should be specified.*shape=None"):
        Variable(lambda shape, dtype=None: jnp.zeros(shape), shape=None)


@pytest.mark.parametrize(
    ("initial", "dtype"),
    [
        (3, "int32"),
        (3.0, "float32"),
        (True, "bool"),
        ([1, 2, 3], "int32"),
        ([1.0, 2.5], "float32"),
        (np.zeros((2,), np.float64), "float32"),
        (np.zeros((2,), np.int64), "int32"),
        (np.zeros((2,), np.float16), "float16"),
        (np.zeros((2,), np.uint8), "uint8"),
        (jnp.zeros((2,), jnp.bfloat16), "bfloat16"),
    ],
)
def test_variable_infers_dtype_from_array_like(initial, dtype):
    v = Variable(initial)
    assert v.dtype == dtype
    assert v.value.dtype == jnp.dtype(dtype)
    assert v.shape == np.shape(initial)


def test_variable_explicit_dtype_casts_array_value():
    v = Variable([1, 2], dtype="float32")
    assert v.dtype == "float32"
    np.testing.assert_array_equal(v.numpy(), np.array([1.0, 2.0], "float32"))


def test_variable_explicit_float64_with_x64_disabled_stores_float32():
    v = Variable(np.array([1.5]), dtype="float64")
    assert v.dtype == "float64"
    assert v.value.dtype == jnp.float32


def test_variable_array_with_matching_shape_argument():
    v = Variable(np.ones((2, 2)), shape=(2, 2))
    assert v.shape == (2, 2)


def test_variable_array_with_mismatched_shape_argument_raises():
    with pytest.raises(ValueError, match=r"has shape \(2, 2\), but `shape=\(3,\)` was given"):
        Variable(np.ones((2, 2)), shape=(3,), name="w")


def test_variable_from_another_variable_copies_value():
    a = Variable([1.0, 2.0])
    b = Variable(a)
    a.assign([5.0, 6.0])
    np.testing.assert_array_equal(b.numpy(), [1.0, 2.0])


def test_variable_automatic_names_count_up():
    assert Variable(1.0).name == "variable"
    assert Variable(1.0).name == "variable_1"
    assert Variable(1.0, name="w").name == "w"


@pytest.mark.parametrize("name", ["a/b", 3])
def test_variable_bad_name_raises(name):
    with pytest.raises(ValueError, match=r"cannot contain character `/`\. Received: name="):
        Variable(1.0, name=name)


def test_variable_path_without_scope_is_the_name():
    v = Variable(1.0, name="w")
    assert v.path == "w"


def test_variable_path_follows_name_scopes():
    with heft.name_scope("outer"), heft.name_scope("inner"):
        v = Variable(1.0, name="w")
    assert v.path == "outer/inner/w"
    assert v.name == "w"


def test_variable_name_and_path_are_read_only():
    v = Variable(1.0, name="w")
    with pytest.raises(AttributeError):
        v.name = "other"
    with pytest.raises(AttributeError):
        v.path = "other"


@pytest.mark.parametrize("aggregation", [None, "none", "mean", "sum", "only_first_replica"])
def test_variable_accepts_aggregations(aggregation):
    v = Variable(1.0, aggregation=aggregation)
    assert v.aggregation == (aggregation or "none")


def test_variable_bad_aggregation_raises():
    with pytest.raises(ValueError, match=r"argument `aggregation`.*Received: aggregation=max"):
        Variable(1.0, aggregation="max")


@pytest.mark.parametrize("synchronization", [None, "none", "on_read", "on_write", "auto"])
def test_variable_accepts_synchronizations(synchronization):
    v = Variable(1.0, synchronization=synchronization)
    assert v.synchronization == (synchronization or "none")


def test_variable_default_synchronization_is_auto():
    assert Variable(1.0).synchronization == "auto"


def test_variable_bad_synchronization_raises():
    with pytest.raises(
        ValueError, match=r"argument `synchronization`.*Received: synchronization=always"
    ):
        Variable(1.0, synchronization="always")


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((-1,), r"Negative dimensions are not allowed"),
        ((None, 2), r"must be fully-defined \(no `None` dimensions\)"),
        ((2.5,), r"invalid dimension '2\.5' of type 'float'"),
        (("a",), r"invalid dimension 'a' of type 'str'"),
    ],
)
def test_variable_bad_shape_raises(shape, message):
    with pytest.raises(ValueError, match=message):
        Variable("zeros", shape=shape)


def test_variable_int_shape_means_one_axis():
    assert Variable("zeros", shape=4).shape == (4,)


# ---------------------------------------------------------------------------- metadata
def test_variable_shape_ndim_size():
    v = Variable(np.zeros((2, 3, 4), "float32"))
    assert v.shape == (2, 3, 4)
    assert isinstance(v.shape, tuple)
    assert v.ndim == 3
    assert v.size == 24


def test_variable_trainable_is_settable_and_coerced_to_bool():
    v = Variable(1.0)
    assert v.trainable is True
    v.trainable = 0
    assert v.trainable is False
    assert Variable(1.0, trainable=False).trainable is False


def test_variable_autocast_flag():
    assert Variable(1.0).autocast is True
    assert Variable(1.0, autocast=False).autocast is False


def test_variable_regularizer_and_constraint_setters():
    v = Variable(np.ones((2,), "float32"))
    assert v.regularizer is None
    assert v.constraint is None
    reg = heft.regularizers.L2(0.5)
    con = heft.constraints.NonNeg()
    v.regularizer = reg
    v.constraint = con
    assert v.regularizer is reg
    assert v.constraint is con
    v.regularizer = None
    v.constraint = None
    assert v.regularizer is None
    assert v.constraint is None


def test_variable_regularizer_setter_rejects_non_callable():
    v = Variable(1.0)
    with pytest.raises(
        ValueError, match=r"attribute `regularizer`\. Expected a callable.*Received: regularizer=l2"
    ):
        v.regularizer = "l2"
    assert v.regularizer is None


def test_variable_constraint_setter_rejects_non_callable():
    v = Variable(1.0)
    with pytest.raises(
        ValueError, match=r"attribute `constraint`\. Expected a callable.*Received: constraint=3"
    ):
        v.constraint = 3
    assert v.constraint is None


def test_variable_overwrite_with_gradient_setter():
    v = Variable(1.0)
    assert v.overwrite_with_gradient is False
    v.overwrite_with_gradient = True
    assert v.overwrite_with_gradient is True


def test_variable_overwrite_with_gradient_rejects_non_bool():
    v = Variable(1.0)
    with pytest.raises(
        TypeError, match=r"`overwrite_with_gradient` must be a boolean. Received: 1"
    ):
        v.overwrite_with_gradient = 1
    assert v.overwrite_with_gradient is False


def test_variable_repr():
    v = Variable(np.array([1.0, 2.0, 3.0]), name="test_var")
    assert repr(v) == "<Variable path=test_var, shape=(3,), dtype=float32, value=[1. 2. 3.]>"


def test_variable_repr_of_large_variable_is_summarized():
    v = Variable(np.zeros((1000,), "float32"), name="big")
    text = repr(v)
    assert text.startswith("<Variable path=big, shape=(1000,), dtype=float32, value=[0. 0. 0.")
    assert "..." in text
    assert len(text) < 200


# ---------------------------------------------------------------------------- assignment
def test_variable_assign_sets_and_returns_value():
    v = Variable(np.zeros((2,), "float32"))
    out = v.assign([1.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert isinstance(out, jax.Array)
    np.testing.assert_array_equal(np.asarray(out), [1.0, 2.0])


def test_variable_assign_casts_float_to_int_by_truncation():
    v = Variable(np.zeros((2,), "int32"))
    v.assign(np.array([1.7, 2.2]))
    assert v.value.dtype == jnp.int32
    np.testing.assert_array_equal(v.numpy(), [1, 2])


def test_variable_assign_casts_float64_to_float32():
    v = Variable(np.zeros((2,), "float32"))
    v.assign(np.array([0.1, 0.2], dtype=np.float64))
    assert v.value.dtype == jnp.float32
    np.testing.assert_array_equal(v.numpy(), np.array([0.1, 0.2], dtype=np.float32))


def test_variable_assign_from_jax_array_and_variable():
    v = Variable(np.zeros((2,), "float32"))
    v.assign(jnp.array([3.0, 4.0]))
    np.testing.assert_array_equal(v.numpy(), [3.0, 4.0])
    other = Variable(np.array([5, 6], "int32"))
    v.assign(other)
    assert v.value.dtype == jnp.float32
    np.testing.assert_array_equal(v.numpy(), [5.0, 6.0])


def test_variable_assign_wrong_shape_raises_and_keeps_value():
    v = Variable(np.array([1.0, 2.0], "float32"), name="w")
    with pytest.raises(
        ValueError,
        match=r"variable\.shape=\(2,\), Received: value\.shape=\(3,\).*Pass a value of shape \(2,\)",
    ):
        v.assign([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_assign_scalar_to_vector_raises():
    v = Variable(np.zeros((2,), "float32"), name="w")
    with pytest.raises(ValueError, match=r"Received: value\.shape=\(\)"):
        v.assign(1.0)
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])


def test_variable_assign_non_numeric_raises_type_error():
    v = Variable(np.zeros((2,), "float32"), name="w")
    with pytest.raises(TypeError, match=r"variable 'w' of dtype float32.*Pass a numeric array"):
        v.assign(np.array(["a", "b"]))
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])


def test_variable_assign_add_and_sub_return_new_value():
    v = Variable(np.array([1.0, 2.0], "float32"))
    out = v.assign_add(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(np.asarray(out), [2.0, 3.0])
    np.testing.assert_array_equal(v.numpy(), [2.0, 3.0])
    out = v.assign_sub(np.array([0.5, 0.5]))
    np.testing.assert_array_equal(np.asarray(out), [1.5, 2.5])
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5])


def test_variable_assign_add_and_sub_accept_python_lists():
    v = Variable(np.array([1.0, 2.0], "float32"))
    np.testing.assert_array_equal(np.asarray(v.assign_add([1.0, 1.0])), [2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(v.assign_sub([2.0, 2.0])), [0.0, 1.0])
    np.testing.assert_array_equal(v.numpy(), [0.0, 1.0])


def test_variable_assign_add_casts_to_variable_dtype():
    v = Variable(np.array([1, 2], "int32"))
    v.assign_add(np.array([0.9, 0.9]))
    assert v.value.dtype == jnp.int32
    np.testing.assert_array_equal(v.numpy(), [1, 2])


def test_variable_assign_add_wrong_shape_raises():
    v = Variable(np.array([1.0, 2.0], "float32"))
    with pytest.raises(ValueError, match=r"Received: value\.shape=\(2, 2\)"):
        v.assign_add(np.ones((2, 2)))
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def _aligned(values):
    """A float32 copy of ``values`` on a 64-byte boundary: JAX's CPU backend would adopt it."""
    values = np.asarray(values, "float32")
    raw = np.empty(values.nbytes + 64, np.uint8)
    start = -raw.ctypes.data % 64
    out = raw[start : start + values.nbytes].view("float32").reshape(values.shape)
    out[...] = values
    return out


@pytest.mark.parametrize("size", [2, 300_000])
def test_variable_assign_and_init_do_not_alias_callers_numpy_array(size):
    source = _aligned(np.arange(size))
    v = Variable(np.zeros((size,), "float32"))
    v.assign(source)
    w = Variable(source)
    source[0] = 99.0
    assert float(v.numpy()[0]) == 0.0 and float(w.numpy()[0]) == 0.0


@pytest.mark.parametrize("units", [3, 700])
def test_set_weights_does_not_alias_callers_numpy_arrays(units):
    layer = heft.layers.Dense(units)
    layer.build((None, units))
    kernel, bias = _aligned(np.ones((units, units))), _aligned(np.zeros(units))
    layer.set_weights([kernel, bias])
    kernel[0, 0], bias[0] = 7.0, 5.0
    after_kernel, after_bias = layer.get_weights()
    assert after_kernel[0, 0] == 1.0 and after_bias[0] == 0.0


def test_variable_assign_traced_value_outside_stateless_scope_raises():
    v = Variable(np.zeros((2,), "float32"), name="w")

    @jax.jit
    def f(x):
        v.assign(x)
        return x

    with pytest.raises(RuntimeError, match=r"Cannot assign a traced value to variable 'w'"):
        f(jnp.ones((2,)))
    np.testing.assert_array_equal(v.numpy(), [0.0, 0.0])


# ---------------------------------------------------------------------------- conversion
def test_variable_numpy_returns_ndarray():
    v = Variable(np.array([1.0, 2.0], "float32"))
    out = v.numpy()
    assert isinstance(out, np.ndarray)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [1.0, 2.0])


def test_variable_numpy_returns_writable_copy():
    v = Variable(np.array([1.0, 2.0], "float32"))
    out = v.numpy()
    out[0] = 10.0
    np.testing.assert_array_equal(out, [10.0, 2.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_numpy_of_bfloat16_is_ml_dtypes_bfloat16():
    v = Variable(np.ones((2,), "float32"), dtype="bfloat16")
    assert v.numpy().dtype == jnp.dtype("bfloat16")


def test_variable_array_protocol():
    v = Variable(np.array([1.0, 2.0], "float32"))
    np.testing.assert_array_equal(np.asarray(v), [1.0, 2.0])
    assert np.asarray(v, dtype="float64").dtype == np.float64
    assert np.array(v, copy=True).dtype == np.float32
    assert float(np.sum(v)) == 3.0


def test_variable_jax_array_protocol():
    v = Variable(np.array([1.0, 2.0], "float32"))
    assert v.__jax_array__() is v.value
    out = jnp.asarray(v)
    assert isinstance(out, jax.Array)
    np.testing.assert_array_equal(np.asarray(out), [1.0, 2.0])


def test_variable_accepted_by_heft_ops():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"))
    assert float(heft.ops.sum(v)) == 10.0
    np.testing.assert_array_equal(np.asarray(heft.ops.matmul(v, v)), [[7.0, 10.0], [15.0, 22.0]])
    np.testing.assert_array_equal(np.asarray(heft.ops.add(v, 1.0)), [[2.0, 3.0], [4.0, 5.0]])
    assert heft.ops.shape(v) == (2, 2)


def test_variable_getitem_len_iter():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"))
    np.testing.assert_array_equal(np.asarray(v[1]), [3.0, 4.0])
    assert float(v[0, 1]) == 2.0
    assert len(v) == 2
    rows = [np.asarray(r).tolist() for r in v]
    assert rows == [[1.0, 2.0], [3.0, 4.0]]


def test_variable_len_of_scalar_raises():
    with pytest.raises(TypeError, match=r"len\(\) of a scalar"):
        len(Variable(1.0))


def test_variable_iter_of_scalar_raises():
    with pytest.raises(TypeError, match=r"Iteration over a scalar"):
        iter(Variable(1.0))


def test_variable_int_and_float_of_scalars():
    assert int(Variable(3)) == 3
    assert float(Variable(2.5)) == 2.5
    assert [10, 20, 30][Variable(1)] == 20


@pytest.mark.parametrize("convert", [int, float])
def test_variable_int_and_float_of_non_scalar_raise(convert):
    v = Variable(np.zeros((2, 2), "float32"))
    with pytest.raises(TypeError, match=r"Only scalar arrays can be converted.*shape=\(2, 2\)"):
        convert(v)


def test_variable_bool_raises():
    v = Variable(1.0)
    with pytest.raises(TypeError, match=r"cannot be used as a boolean"):
        bool(v)
    with pytest.raises(TypeError, match=r"cannot be used as a boolean"):
        if v:
            pass


def test_variable_is_unhashable():
    v = Variable(1.0)
    with pytest.raises(TypeError, match=r"unhashable type: 'Variable'"):
        hash(v)
    with pytest.raises(TypeError, match=r"unhashable"):
        {v}  # noqa: B018


# ---------------------------------------------------------------------------- operators
def _pair():
    return Variable(np.array([1.0, 2.0, 4.0], "float32")), np.array([1.0, 2.0, 4.0], "float32")


@pytest.mark.parametrize(
    "op",
    [
        lambda a: a + 1,
        lambda a: 1 + a,
        lambda a: a - 1,
        lambda a: 1 - a,
        lambda a: a * 3,
        lambda a: 3 * a,
        lambda a: a / 2,
        lambda a: 2 / a,
        lambda a: a // 3,
        lambda a: 7 // a,
        lambda a: a % 3,
        lambda a: 7 % a,
        lambda a: a**2,
        lambda a: 2**a,
        lambda a: -a,
        lambda a: +a,
        lambda a: abs(-a),
        lambda a: a == 2,
        lambda a: a != 2,
        lambda a: a < 2,
        lambda a: a <= 2,
        lambda a: a > 2,
        lambda a: a >= 2,
    ],
)
def test_variable_operators_return_arrays(op):
    v, x = _pair()
    out = op(v)
    assert isinstance(out, jax.Array)
    assert not isinstance(out, Variable)
    np.testing.assert_allclose(np.asarray(out), op(x), rtol=1e-6)


def test_variable_operators_with_another_variable():
    a = Variable(np.array([1.0, 2.0], "float32"))
    b = Variable(np.array([3.0, 5.0], "float32"))
    np.testing.assert_array_equal(np.asarray(a + b), [4.0, 7.0])
    np.testing.assert_array_equal(np.asarray(b - a), [2.0, 3.0])
    np.testing.assert_array_equal(np.asarray(a == b), [False, False])


def test_variable_matmul_operators():
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"))
    m = np.array([[1.0, 0.0], [0.0, 2.0]], "float32")
    np.testing.assert_array_equal(np.asarray(v @ m), [[1.0, 4.0], [3.0, 8.0]])
    np.testing.assert_array_equal(np.asarray(m @ v), [[1.0, 2.0], [6.0, 8.0]])


def test_variable_logical_operators():
    a = Variable(np.array([True, True, False]))
    b = np.array([True, False, False])
    np.testing.assert_array_equal(np.asarray(a & b), [True, False, False])
    np.testing.assert_array_equal(np.asarray(a | b), [True, True, False])
    np.testing.assert_array_equal(np.asarray(a ^ b), [False, True, False])
    np.testing.assert_array_equal(np.asarray(~a), [False, False, True])


def test_variable_round():
    v = Variable(np.array([1.26, 2.71], "float32"))
    np.testing.assert_allclose(np.asarray(round(v, 1)), [1.3, 2.7], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(round(v)), [1.0, 3.0])


def test_variable_in_place_operator_rebinds_to_array():
    v = Variable(np.array([1.0], "float32"))
    original = v
    v += 1
    assert isinstance(v, jax.Array)
    np.testing.assert_array_equal(original.numpy(), [1.0])


def test_variable_operator_dtype_follows_jax_promotion():
    v = Variable(np.array([1, 2], "int32"))
    assert (v + 1).dtype == jnp.int32
    assert (v / 2).dtype == jnp.float32
    assert (v + np.float32(0.5)).dtype == jnp.float32


# ---------------------------------------------------------------------------- stateless scope
def test_variable_reads_mapped_value_in_stateless_scope():
    v = Variable(np.array([1.0, 2.0], "float32"))
    with heft.StatelessScope([(v, np.array([7.0, 8.0]))]):
        np.testing.assert_array_equal(np.asarray(v.value), [7.0, 8.0])
        np.testing.assert_array_equal(np.asarray(v + 0), [7.0, 8.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_assign_in_stateless_scope_is_recorded_not_applied():
    v = Variable(np.array([1.0, 2.0], "float32"))
    with heft.StatelessScope() as scope:
        v.assign_add(np.ones((2,), "float32"))
        np.testing.assert_array_equal(np.asarray(v.value), [2.0, 3.0])
        v.assign_add(np.ones((2,), "float32"))
    np.testing.assert_array_equal(np.asarray(scope.get_current_value(v)), [3.0, 4.0])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])


def test_variable_assign_in_stateless_scope_still_checks_shape():
    v = Variable(np.array([1.0, 2.0], "float32"))
    with heft.StatelessScope() as scope, pytest.raises(ValueError, match=r"must match"):
        v.assign([1.0])
    assert scope.get_current_value(v) is None


def test_variable_operators_accept_python_lists():
    v = Variable(np.array([1.0, 2.0], "float32"))
    np.testing.assert_array_equal(np.asarray(v + [1.0, 1.0]), [2.0, 3.0])  # noqa: RUF005
    np.testing.assert_array_equal(np.asarray([3.0, 3.0] - v), [2.0, 1.0])
    np.testing.assert_array_equal(np.asarray(v * [2.0, 3.0]), [2.0, 6.0])


# ---------------------------------------------------------------------- the one writer


def _sharding(index):
    import jax

    return jax.sharding.SingleDeviceSharding(jax.devices()[index])


def test_variable_every_value_change_keeps_its_layout():
    import heft
    from heft import layers

    layout = _sharding(3)
    v = heft.Variable(np.zeros((2, 2), "float32"), layout=layout, name="placed")
    assert v.value.sharding == layout
    v.assign(np.ones((2, 2)))
    assert v.value.sharding == layout
    v.assign(jax.device_put(np.full((2, 2), 2.0, "float32"), _sharding(0)))
    assert v.value.sharding == layout
    np.testing.assert_array_equal(v.numpy(), 2.0)
    # set_weights, the trainer's write-back and loading store through the same writer.
    dense = layers.Dense(2)
    dense.build((None, 2))
    dense.kernel._layout = layout  # as a distribution would lay it out
    dense.set_weights([np.ones((2, 2)), np.zeros(2)])
    assert dense.kernel.value.sharding == layout
    model = heft.Sequential([heft.Input((2,)), dense])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.ones((4, 2)), np.ones((4, 2)), verbose=0)
    assert dense.kernel.value.sharding == layout


def test_variable_writer_casts_to_the_variable_dtype():
    v = Variable(np.zeros(3, "float32"), name="w")
    v.assign(np.arange(3, dtype="int64"))
    assert v.value.dtype == jnp.float32
    v._write(jnp.ones(3, jnp.bfloat16))
    assert v.value.dtype == jnp.float32


def test_variable_provenance_follows_each_kind_of_change(tmp_path):
    import heft
    from heft import layers

    dense = layers.Dense(2, kernel_initializer="ones")
    model = heft.Sequential([heft.Input((2,)), dense])
    assert dense.kernel.provenance == "initializer Ones"
    dense.kernel.assign(np.zeros((2, 2)))
    assert dense.kernel.provenance == "assigned value"
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    model.load_weights(path)
    assert dense.kernel.provenance == f"file '{path}', entry 'layers/dense/vars/0'"
    model.set_weights([np.ones((2, 2)), np.zeros(2)])
    assert dense.kernel.provenance == "assigned value"


def test_variable_writer_refuses_tracers_outside_a_stateless_scope():
    v = Variable(np.zeros(2, "float32"), name="w")

    def write(x):
        v.assign(x)
        return x

    with pytest.raises(RuntimeError, match="Cannot assign a traced value to variable 'w'"):
        jax.jit(write)(jnp.ones(2))
    np.testing.assert_array_equal(v.numpy(), 0.0)


# ---------------------------------------------------------------------------- creation under jit
def test_variable_created_inside_jit_is_concrete():
    layer = heft.layers.Dense(3)
    out = jax.jit(layer)(jnp.ones((2, 4)))
    assert out.shape == (2, 3)
    assert not isinstance(layer.kernel.value, jax.core.Tracer)
    np.testing.assert_allclose(layer(jnp.ones((2, 4))), out, rtol=1e-6)


def test_variable_whose_initializer_reads_a_traced_seed_raises_runtime_error():
    gen = heft.random.SeedGenerator(1)
    init = heft.initializers.RandomNormal(seed=gen)

    @jax.jit
    def create(state):
        with heft._scope.StatelessScope(state_mapping=[(gen.state, state)]):
            Variable(init, shape=(3,), name="w")
        return state

    with pytest.raises(RuntimeError, match=r"Cannot create variable 'w': its initializer read"):
        create(gen.state.value)


def test_large_variable_initializes_with_the_same_values_as_before():
    # Above the host-sampling size, the initializer runs as one compiled program
    # (it used to run with constant folding); values are those of heft.random.
    shape = (2100, 2100)
    v = Variable(heft.initializers.RandomUniform(seed=3), shape=shape)
    expected = heft.random.uniform(shape, minval=-0.05, maxval=0.05, seed=3)
    np.testing.assert_array_equal(v.numpy(), np.asarray(expected))


def test_variable_from_an_array_created_inside_jit_is_concrete():
    @jax.jit
    def create(x):
        v = Variable(np.arange(3, dtype="float32"), name="w")
        created.append(v)
        return x

    created = []
    create(1.0)
    assert not isinstance(created[0].value, jax.core.Tracer)
    np.testing.assert_array_equal(created[0].numpy(), [0.0, 1.0, 2.0])
