import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import _config
from heft._variable import Variable
from heft.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm

W = np.array([[3.0, 0.1], [4.0, 0.0]], dtype=np.float32)  # column norms 5 and 0.1
EPS = 1e-7


def test_constraint_base_is_identity():
    w = jnp.asarray(W)
    assert Constraint()(w) is w
    assert Constraint().get_config() == {}
    assert isinstance(Constraint.from_config({}), Constraint)


def test_non_neg_zeroes_negatives_keeps_positives():
    out = NonNeg()(jnp.array([-2.0, 0.0, 3.5]))
    assert out.tolist() == [0.0, 0.0, 3.5]


def test_max_norm_rescales_only_large_columns():
    out = np.asarray(MaxNorm(max_value=2.0)(W))
    np.testing.assert_allclose(out[:, 0], W[:, 0] * 2.0 / (EPS + 5.0), rtol=1e-6)
    np.testing.assert_allclose(out[:, 1], W[:, 1] * 0.1 / (EPS + 0.1), rtol=1e-6)


def test_max_norm_axis_1():
    out = np.asarray(MaxNorm(max_value=1.0, axis=1)(W))
    norms = np.linalg.norm(W, axis=1, keepdims=True)
    np.testing.assert_allclose(out, W * np.minimum(norms, 1.0) / (EPS + norms), rtol=1e-6)


def test_unit_norm_formula():
    out = np.asarray(UnitNorm()(W))
    np.testing.assert_allclose(out, W / (EPS + np.linalg.norm(W, axis=0, keepdims=True)), rtol=1e-6)


def test_min_max_norm_formula_with_rate():
    out = np.asarray(MinMaxNorm(min_value=1.0, max_value=2.0, rate=0.5)(W))
    norms = np.linalg.norm(W, axis=0, keepdims=True)
    desired = 0.5 * np.clip(norms, 1.0, 2.0) + 0.5 * norms
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-6)


def test_min_max_norm_zero_weights_stay_zero():
    assert np.asarray(MinMaxNorm(1.0, 2.0)(jnp.zeros((2, 2)))).tolist() == [[0.0, 0.0], [0.0, 0.0]]


def test_constraints_use_configured_epsilon():
    old = _config.epsilon()
    _config.set_epsilon(0.5)
    try:
        out = np.asarray(UnitNorm()(np.array([[3.0], [4.0]], dtype=np.float32)))
    finally:
        _config.set_epsilon(old)
    np.testing.assert_allclose(out[:, 0], [3.0 / 5.5, 4.0 / 5.5], rtol=1e-6)


def test_constraints_accept_variables_and_work_under_jit():
    var = Variable(W)
    np.testing.assert_allclose(UnitNorm()(var), UnitNorm()(W))
    out = jax.jit(lambda w: MaxNorm(1.0)(w))(jnp.asarray(W))
    np.testing.assert_allclose(out, MaxNorm(1.0)(W))


def test_constraints_keep_float_dtype():
    for c in (NonNeg(), MaxNorm(), UnitNorm(), MinMaxNorm()):
        assert c(jnp.asarray(W, dtype="bfloat16")).dtype == jnp.bfloat16


@pytest.mark.parametrize(
    ("constraint", "config"),
    [
        (MaxNorm(), {"max_value": 2, "axis": 0}),
        (MaxNorm(3.0, axis=[0, 1]), {"max_value": 3.0, "axis": [0, 1]}),
        (UnitNorm(axis=1), {"axis": 1}),
        (MinMaxNorm(), {"min_value": 0.0, "max_value": 1.0, "rate": 1.0, "axis": 0}),
        (NonNeg(), {}),
    ],
)
def test_get_config_and_from_config(constraint, config):
    assert constraint.get_config() == config
    assert type(constraint).from_config(config).get_config() == config
