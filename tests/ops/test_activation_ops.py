import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

from heft import ops

X = np.array([[-3.5, -1.0, -0.25, 0.0], [0.3, 1.0, 2.5, 7.0]], np.float32)
X64 = X.astype(np.float64)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * (np.exp(x) - 1))


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "sigmoid": _sigmoid,
    "sparse_sigmoid": lambda x: np.clip((x + 1) / 2, 0, 1),
    "log_sigmoid": lambda x: np.log(_sigmoid(x)),
    "hard_sigmoid": lambda x: np.clip(x + 3, 0, 6) / 6,
    "softplus": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "sparse_plus": lambda x: np.where(x <= -1, 0, np.where(x >= 1, x, (x + 1) ** 2 / 4)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "hard_silu": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_swish": lambda x: x * np.clip(x + 3, 0, 6) / 6,
    "hard_tanh": lambda x: np.clip(x, -1, 1),
    "selu": _selu,
    "tanh_shrink": lambda x: x - np.tanh(x),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "celu": lambda x: np.maximum(x, 0) + np.minimum(0, np.exp(x) - 1),
    "gelu": lambda x: 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3))),
    "squareplus": lambda x: (x + np.sqrt(x**2 + 4)) / 2,
    "soft_shrink": lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0)),
    "hard_shrink": lambda x: np.where(np.abs(x) > 0.5, x, 0),
    "softmax": _softmax,
    "log_softmax": lambda x: np.log(_softmax(x)),
}


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_activation_op_matches_reference(name):
    out = getattr(ops, name)(X)
    assert out.dtype == jnp.float32 and out.shape == X.shape
    np.testing.assert_allclose(out, REFERENCES[name](X64), rtol=2e-6, atol=1e-6)


def test_parameterized_activation_ops():
    np.testing.assert_allclose(ops.leaky_relu(X, negative_slope=0.5), np.where(X > 0, X, 0.5 * X))
    np.testing.assert_allclose(
        ops.elu(X, alpha=2.0), np.where(X > 0, X, 2 * np.expm1(X64)), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.celu(X, alpha=2.0), np.maximum(X, 0) + np.minimum(0, 2 * np.expm1(X64 / 2)), rtol=1e-6
    )
    np.testing.assert_allclose(
        ops.gelu(X, approximate=False),
        0.5 * X64 * (1 + scipy.special.erf(X64 / np.sqrt(2))),
        rtol=1e-6,
        atol=1e-7,
    )
    np.testing.assert_allclose(ops.squareplus(X, b=1.0), (X64 + np.sqrt(X64**2 + 1)) / 2, rtol=1e-6)
    np.testing.assert_allclose(
        ops.soft_shrink(X, threshold=1.0), np.where(X > 1, X - 1, np.where(X < -1, X + 1, 0))
    )
    np.testing.assert_array_equal(ops.hard_shrink(X, threshold=1.0), np.where(np.abs(X) > 1, X, 0))
    np.testing.assert_array_equal(ops.threshold(X, 0.5, 9.0), np.where(X > 0.5, X, 9.0))


def test_softmax_over_axes_tuple_and_list():
    cube = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    out = ops.softmax(cube, axis=(1, 2))
    np.testing.assert_allclose(np.asarray(out).sum(axis=(1, 2)), [1.0, 1.0], rtol=1e-6)
    e = np.exp(cube - cube.max(axis=(1, 2), keepdims=True))
    np.testing.assert_allclose(out, e / e.sum(axis=(1, 2), keepdims=True), rtol=1e-6)
    np.testing.assert_allclose(
        ops.log_softmax(cube, axis=[1, 2]), np.log(np.asarray(out)), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(ops.softmax(cube, axis=0), _softmax(cube, axis=0), rtol=1e-6)


def test_glu_gates_second_half():
    x = np.array([[1.0, 2.0, 0.0, -1.0]], np.float32)
    np.testing.assert_allclose(ops.glu(x), [[1.0 * 0.5, 2.0 * _sigmoid(-1.0)]], rtol=1e-6)
    np.testing.assert_allclose(ops.glu(x.T, axis=0), [[0.5], [2.0 * _sigmoid(-1.0)]], rtol=1e-6)


def _sparsemax_reference(z):
    z_sorted = np.sort(z)[::-1]
    cumulative = np.cumsum(z_sorted)
    k = np.arange(1, len(z) + 1)
    support = k[1 + k * z_sorted > cumulative].max()
    tau = (cumulative[support - 1] - 1) / support
    return np.maximum(z - tau, 0)


def test_sparsemax_is_a_projection_onto_the_simplex():
    out = np.asarray(ops.sparsemax(X))
    np.testing.assert_allclose(out.sum(axis=-1), [1.0, 1.0], rtol=1e-6)
    for row, z in zip(out, X64, strict=True):
        np.testing.assert_allclose(row, _sparsemax_reference(z), rtol=1e-5, atol=1e-6)
    by_column = np.asarray(ops.sparsemax(X.T, axis=0))
    np.testing.assert_allclose(by_column, out.T, rtol=1e-6)


def test_relu_keeps_int_dtype():
    out = ops.relu(np.array([-2, 3], np.int32))
    assert out.dtype == jnp.int32 and out.tolist() == [0, 3]
