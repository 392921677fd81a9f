import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from heft import ops

X = np.array([[0.5, -1.5, 2.25], [-0.0, 0.75, -3.0]], np.float32)
POS = np.abs(X) + 0.5
UNIT = np.array([[0.5, -0.5, 0.25], [0.1, 0.0, -0.9]], np.float32)

UNARY = [
    ("abs", np.abs, X),
    ("absolute", np.abs, X),
    ("negative", np.negative, X),
    ("square", np.square, X),
    ("sign", np.sign, X),
    ("reciprocal", np.reciprocal, POS),
    ("cbrt", np.cbrt, X),
    ("sqrt", np.sqrt, POS),
    ("rsqrt", lambda a: 1 / np.sqrt(a), POS),
    ("exp", np.exp, X),
    ("exp2", np.exp2, X),
    ("expm1", np.expm1, X),
    ("log", np.log, POS),
    ("log1p", np.log1p, POS),
    ("log2", np.log2, POS),
    ("log10", np.log10, POS),
    ("sin", np.sin, X),
    ("cos", np.cos, X),
    ("tan", np.tan, X),
    ("arcsin", np.arcsin, UNIT),
    ("arccos", np.arccos, UNIT),
    ("arctan", np.arctan, X),
    ("sinh", np.sinh, X),
    ("cosh", np.cosh, X),
    ("tanh", np.tanh, X),
    ("arcsinh", np.arcsinh, X),
    ("arccosh", np.arccosh, POS + 1),
    ("arctanh", np.arctanh, UNIT),
    ("sinc", np.sinc, X),
    ("deg2rad", np.deg2rad, X),
    ("rad2deg", np.rad2deg, X),
    ("erf", scipy.special.erf, X),
    ("erfc", scipy.special.erfc, X),
    ("erfinv", scipy.special.erfinv, UNIT),
    ("floor", np.floor, X),
    ("ceil", np.ceil, X),
    ("trunc", np.trunc, X),
    ("i0", np.i0, X),
    ("copy", np.copy, X),
    ("signbit", np.signbit, X),
    ("isfinite", np.isfinite, X),
]


@pytest.mark.parametrize(("name", "reference", "x"), UNARY, ids=[u[0] for u in UNARY])
def test_unary_matches_numpy(name, reference, x):
    out = getattr(ops, name)(x)
    expected = reference(x.astype(np.float64)) if x.dtype != bool else reference(x)
    np.testing.assert_allclose(np.asarray(out, np.float64), expected, rtol=2e-6, atol=1e-6)
    assert out.shape == x.shape


@pytest.mark.parametrize(
    "name", ["exp", "sqrt", "log", "sin", "tanh", "floor", "ceil", "erf", "rsqrt"]
)
def test_unary_float_ops_give_float32_for_ints_and_bools(name):
    assert getattr(ops, name)(np.array([1, 4], np.int32)).dtype == jnp.float32
    assert getattr(ops, name)(np.array([True, False])).dtype == jnp.float32


@pytest.mark.parametrize("name", ["exp", "sin", "floor", "sqrt"])
def test_unary_float_ops_keep_half_precision(name):
    assert getattr(ops, name)(jnp.ones(2, jnp.float16)).dtype == jnp.float16
    assert getattr(ops, name)(jnp.ones(2, jnp.bfloat16)).dtype == jnp.bfloat16


@pytest.mark.parametrize("name", ["abs", "negative", "square", "sign", "trunc"])
def test_unary_int_preserving_ops_keep_int32(name):
    out = getattr(ops, name)(np.array([-3, 2], np.int32))
    assert out.dtype == jnp.int32


def test_predicates_on_special_values():
    x = np.array([np.nan, np.inf, -np.inf, 1.0], np.float32)
    assert ops.isnan(x).tolist() == [True, False, False, False]
    assert ops.isinf(x).tolist() == [False, True, True, False]
    assert ops.isneginf(x).tolist() == [False, False, True, False]
    assert ops.isposinf(x).tolist() == [False, True, False, False]
    assert ops.isreal(np.array([1 + 0j, 1j], np.complex64)).tolist() == [True, False]


def test_logical_and_bitwise_not():
    assert ops.logical_not([True, False]).tolist() == [False, True]
    assert ops.bitwise_invert(np.array([0, 5], np.int32)).tolist() == [-1, -6]
    assert ops.bitwise_not(np.array([True, False])).tolist() == [False, True]


def test_complex_parts():
    z = np.array([3 + 4j, -1j], np.complex64)
    np.testing.assert_allclose(ops.real(z), [3.0, 0.0])
    np.testing.assert_allclose(ops.imag(z), [4.0, -1.0])
    np.testing.assert_allclose(ops.conj(z), np.conj(z))
    np.testing.assert_allclose(ops.conjugate(z), np.conj(z))
    np.testing.assert_allclose(ops.angle(z), np.angle(z), rtol=1e-6)


def test_fabs_gives_float_and_rejects_complex():
    assert ops.fabs(np.array([-2, 3], np.int32)).tolist() == [2.0, 3.0]
    with pytest.raises(TypeError, match="fabs does not support complex inputs"):
        ops.fabs(np.array([1j], np.complex64))


def test_round_half_to_even_and_decimals():
    assert ops.round([0.5, 1.5, 2.5, -0.5]).tolist() == [0.0, 2.0, 2.0, -0.0]
    np.testing.assert_allclose(ops.round([1.234, 5.678], decimals=2), [1.23, 5.68], rtol=1e-6)
    out = ops.round(np.array([1234, 1250, -1751], np.int32), decimals=-2)
    assert out.dtype == jnp.int32
    assert out.tolist() == [1200, 1200, -1800]


def test_clip_values_and_bool_input():
    np.testing.assert_array_equal(ops.clip(X, -1.0, 1.0), np.clip(X, -1.0, 1.0))
    out = ops.clip(np.array([True, False]), 0, 1)
    assert out.dtype == jnp.int32 and out.tolist() == [1, 0]


def test_nan_to_num_replaces_nan_and_infinities():
    out = ops.nan_to_num([np.nan, np.inf, -np.inf], nan=1.0, posinf=2.0, neginf=-2.0)
    assert out.tolist() == [1.0, 2.0, -2.0]
    assert float(ops.nan_to_num([np.inf])[0]) == float(np.finfo(np.float32).max)
