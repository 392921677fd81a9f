import inspect

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special

import heft
from heft import activations, ops

X = np.array([[-3.5, -1.0, -0.25, 0.0], [0.3, 1.0, 2.5, 7.0]], np.float32)
X64 = X.astype(np.float64)
KERAS_NAMES = [
    "celu",
    "elu",
    "exponential",
    "gelu",
    "glu",
    "hard_shrink",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "linear",
    "log_sigmoid",
    "log_softmax",
    "mish",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_shrink",
    "softmax",
    "softplus",
    "softsign",
    "sparse_plus",
    "sparse_sigmoid",
    "sparsemax",
    "squareplus",
    "swish",
    "tanh",
    "tanh_shrink",
    "threshold",
]


def test_activations_export_the_keras_names():
    public = {
        n
        for n in dir(activations)
        if not n.startswith("_") and inspect.isfunction(getattr(activations, n))
    }
    assert public == set(KERAS_NAMES) | {"get", "serialize", "deserialize"}


def test_aliases_are_the_same_functions():
    assert activations.swish is activations.silu
    assert activations.hard_swish is activations.hard_silu


@pytest.mark.parametrize("name", [n for n in KERAS_NAMES if n not in ("threshold",)])
def test_activation_accepts_variables_and_lists(name):
    fn = getattr(activations, name)
    expected = np.asarray(fn(X))
    np.testing.assert_allclose(np.asarray(fn(heft.Variable(X))), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(fn(X.tolist())), expected, rtol=1e-6)


@pytest.mark.parametrize(
    "name",
    [
        "elu",
        "selu",
        "softplus",
        "softsign",
        "sigmoid",
        "tanh",
        "hard_sigmoid",
        "relu6",
        "silu",
        "hard_silu",
        "log_sigmoid",
        "celu",
        "glu",
        "softmax",
        "log_softmax",
        "sparse_plus",
        "sparse_sigmoid",
        "squareplus",
        "tanh_shrink",
        "hard_tanh",
        "soft_shrink",
        "hard_shrink",
        "leaky_relu",
        "sparsemax",
    ],
)
def test_activation_equals_the_op_of_the_same_name(name):
    np.testing.assert_array_equal(getattr(activations, name)(X), getattr(ops, name)(X))


def test_gelu_is_exact_by_default_unlike_ops():
    exact = 0.5 * X64 * (1 + scipy.special.erf(X64 / np.sqrt(2)))
    np.testing.assert_allclose(activations.gelu(X), exact, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(activations.gelu(X, approximate=True), ops.gelu(X), rtol=1e-6)
    assert not np.allclose(
        np.asarray(activations.gelu(X)), np.asarray(ops.gelu(X)), rtol=0, atol=1e-6
    )


def test_linear_exponential_mish():
    assert activations.linear(X) is X
    np.testing.assert_array_equal(activations.linear(heft.Variable(X)), X)
    np.testing.assert_allclose(activations.exponential(X), np.exp(X64), rtol=1e-6)
    np.testing.assert_allclose(
        activations.mish(X), X64 * np.tanh(np.log1p(np.exp(X64))), rtol=1e-6, atol=1e-7
    )


def test_threshold_and_shrinks_use_their_arguments():
    np.testing.assert_array_equal(activations.threshold(X, 0.5, -9.0), np.where(X > 0.5, X, -9.0))
    np.testing.assert_allclose(
        activations.soft_shrink(X, threshold=1.0),
        np.where(X > 1, X - 1, np.where(X < -1, X + 1, 0)),
    )
    np.testing.assert_array_equal(
        activations.hard_shrink(X, threshold=2.0), np.where(np.abs(X) > 2, X, 0)
    )


def test_softmax_sums_to_one_along_axis():
    np.testing.assert_allclose(
        np.asarray(activations.softmax(X, axis=0)).sum(axis=0), np.ones(4), rtol=1e-6
    )
    np.testing.assert_allclose(
        np.exp(np.asarray(activations.log_softmax(X))).sum(axis=-1), [1, 1], rtol=1e-6
    )


def _relu_reference(x, negative_slope=0.0, max_value=None, threshold=0.0):
    out = np.where(x > threshold, x, negative_slope * (x - threshold))
    if max_value is not None:
        out = np.minimum(out, max_value)
    return out


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"negative_slope": 0.1},
        {"max_value": 6.0},
        {"max_value": 2.0},
        {"threshold": 0.5},
        {"threshold": 0.5, "max_value": 2.0},
        {"negative_slope": 0.5, "max_value": 2.0},
        {"negative_slope": 0.5, "threshold": -1.5},
        {"negative_slope": 0.2, "max_value": 6, "threshold": 1.0},
    ],
)
def test_relu_variants_match_reference(kwargs):
    np.testing.assert_allclose(
        activations.relu(X, **kwargs), _relu_reference(X64, **kwargs), rtol=1e-6, atol=1e-7
    )


def test_relu_keeps_dtype():
    assert activations.relu(jnp.ones(3, jnp.bfloat16), max_value=2.0).dtype == jnp.bfloat16
    assert activations.relu(np.array([-1, 3], np.int32), threshold=1).tolist() == [0, 3]
