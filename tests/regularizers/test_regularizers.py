import math
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft._variable import Variable
from heft.regularizers import L1, L1L2, L2, OrthogonalRegularizer, Regularizer
from heft.regularizers._regularizers import validate_float_arg

X = np.array([[1.0, -2.0], [3.0, -4.0]], dtype=np.float32)


def test_regularizer_base_call_returns_zero():
    assert Regularizer()(X) == 0.0


def test_regularizer_base_get_config_raises():
    with pytest.raises(NotImplementedError, match=r"does not implement get_config\(\)"):
        Regularizer().get_config()


def test_regularizer_from_config_passes_kwargs():
    assert L2.from_config({"l2": 0.5}).l2 == 0.5


def test_l1_formula_and_default():
    assert L1().l1 == 0.01
    assert float(L1(0.5)(X)) == pytest.approx(0.5 * 10.0)


def test_l2_formula_and_default():
    assert L2().l2 == 0.01
    assert float(L2(0.5)(X)) == pytest.approx(0.5 * 30.0)


def test_l1l2_formula_and_defaults():
    reg = L1L2()
    assert (reg.l1, reg.l2) == (0.0, 0.0)
    assert float(reg(X)) == 0.0
    assert float(L1L2(l1=0.1, l2=0.2)(X)) == pytest.approx(0.1 * 10.0 + 0.2 * 30.0)
    assert float(L1L2(l1=0.1)(X)) == pytest.approx(1.0)


def test_none_factors_take_defaults():
    assert L1(None).l1 == 0.01
    assert L2(None).l2 == 0.01
    assert (L1L2(None, None).l1, L1L2(None, None).l2) == (0.0, 0.0)


@pytest.mark.parametrize("reg", [L1(0.1), L2(0.1), L1L2(0.1, 0.1), OrthogonalRegularizer(0.1)])
@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_regularizer_result_has_input_dtype(reg, dtype):
    out = reg(jnp.asarray(X, dtype=dtype))
    assert out.shape == () and out.dtype == jnp.dtype(dtype)


def test_regularizers_accept_variables():
    var = Variable(X)
    assert float(L2(1.0)(var)) == pytest.approx(30.0)
    assert float(L1(1.0)(var)) == pytest.approx(10.0)


def test_regularizers_work_under_jit():
    out = jax.jit(lambda x: L1L2(0.1, 0.2)(x))(jnp.asarray(X))
    assert float(out) == pytest.approx(7.0)


def test_zero_weights_give_zero_penalty():
    zeros = jnp.zeros((3, 3))
    for reg in (L1(), L2(), L1L2(0.1, 0.1)):
        assert float(reg(zeros)) == 0.0


def test_orthogonal_regularizer_zero_for_orthogonal_rows():
    assert float(OrthogonalRegularizer(1.0)(jnp.eye(3))) == 0.0


def test_orthogonal_regularizer_rows_formula():
    w = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]], dtype=np.float32)
    unit = w / np.linalg.norm(w, axis=1, keepdims=True)
    product = unit @ unit.T
    off = np.abs(product - np.diag(np.diag(product))).sum()
    expected = 0.3 * 0.5 * off / 3.0
    assert float(OrthogonalRegularizer(0.3, "rows")(w)) == pytest.approx(expected, rel=1e-6)


def test_orthogonal_regularizer_columns_formula():
    w = np.array([[1.0, 1.0], [0.0, 1.0], [0.0, 0.0]], dtype=np.float32)
    unit = w / np.linalg.norm(w, axis=0, keepdims=True)
    product = unit.T @ unit
    expected = 0.2 * 0.5 * 2 * product[0, 1] / 1.0
    assert float(OrthogonalRegularizer(0.2, "columns")(w)) == pytest.approx(expected, rel=1e-6)


def test_orthogonal_regularizer_zero_row_does_not_give_nan():
    w = np.array([[0.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    assert float(OrthogonalRegularizer(1.0)(w)) == 0.0


def test_orthogonal_regularizer_rejects_bad_mode():
    with pytest.raises(
        ValueError, match=r'Expected one of \{"rows", "columns"\}\. Received: mode=diag'
    ):
        OrthogonalRegularizer(mode="diag")


def test_orthogonal_regularizer_rejects_rank_other_than_two():
    with pytest.raises(ValueError, match=r"must have rank 2. Received: inputs.shape=\(2, 2, 2\)"):
        OrthogonalRegularizer()(jnp.ones((2, 2, 2)))


@pytest.mark.parametrize("value", [-1, -0.5, math.inf, math.nan, "0.1", None, [0.1]])
def test_validate_float_arg_rejects(value):
    expected = f"Invalid value for argument l2: expected a non-negative float. Received: l2={value}"
    with pytest.raises(ValueError, match=re.escape(expected)):
        validate_float_arg(value, name="l2")


@pytest.mark.parametrize("value", [0, 0.0, 1, 2.5, np.float32(0.5), np.float64(0.5)])
def test_validate_float_arg_accepts(value):
    out = validate_float_arg(value, name="l1")
    assert type(out) is float and out == float(value)


@pytest.mark.parametrize(
    ("factory", "name"),
    [
        (lambda: L1(-1), "l1"),
        (lambda: L2(-1), "l2"),
        (lambda: L1L2(l1=-1), "l1"),
        (lambda: L1L2(l2=math.nan), "l2"),
        (lambda: OrthogonalRegularizer(factor=-0.1), "factor"),
    ],
)
def test_constructors_validate_factors(factory, name):
    with pytest.raises(ValueError, match=f"Invalid value for argument {name}"):
        factory()


def test_get_config_values():
    assert L1(0.3).get_config() == {"l1": float(np.float32(0.3))}
    assert L2(0.3).get_config() == {"l2": 0.3}
    assert L1L2(0.1, 0.2).get_config() == {"l1": 0.1, "l2": 0.2}
    assert OrthogonalRegularizer(0.5, "columns").get_config() == {"factor": 0.5, "mode": "columns"}
    assert OrthogonalRegularizer(0.1).get_config()["factor"] == float(np.float32(0.1))
