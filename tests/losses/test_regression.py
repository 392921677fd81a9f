import math

import jax
import jax.numpy as jnp
import numpy as np

from heft.losses import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

RNG = np.random.default_rng(7)
Y_TRUE = RNG.normal(size=(5, 4)).astype("float32")
Y_PRED = RNG.normal(size=(5, 4)).astype("float32")


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=1e-5, atol=1e-6)


def test_mean_squared_error_closed_form():
    _close(mean_squared_error(Y_TRUE, Y_PRED), ((Y_TRUE - Y_PRED) ** 2).mean(-1))
    _close(MeanSquaredError()(Y_TRUE, Y_PRED), ((Y_TRUE - Y_PRED) ** 2).mean())


def test_mean_absolute_error_closed_form():
    _close(mean_absolute_error(Y_TRUE, Y_PRED), np.abs(Y_TRUE - Y_PRED).mean(-1))
    _close(
        MeanAbsoluteError(reduction="sum")(Y_TRUE, Y_PRED), np.abs(Y_TRUE - Y_PRED).mean(-1).sum()
    )


def test_mean_absolute_percentage_error_closed_form_and_zero_targets():
    expected = 100 * np.abs((Y_TRUE - Y_PRED) / np.abs(Y_TRUE)).mean(-1)
    _close(mean_absolute_percentage_error(Y_TRUE, Y_PRED), expected)
    # A zero target divides by epsilon instead of 0.
    _close(mean_absolute_percentage_error([[0.0]], [[1e-7]]), [100.0])
    _close(MeanAbsolutePercentageError()(Y_TRUE, Y_PRED), expected.mean())


def test_mean_squared_logarithmic_error_closed_form_floors_negatives():
    t, p = np.abs(Y_TRUE), np.abs(Y_PRED)
    expected = ((np.log1p(p) - np.log1p(t)) ** 2).mean(-1)
    _close(mean_squared_logarithmic_error(t, p), expected)
    # Negative values are floored at epsilon (so log(1 + y) ~ 0).
    _close(mean_squared_logarithmic_error([[-5.0]], [[math.e - 1.0]]), [1.0])
    _close(MeanSquaredLogarithmicError()(t, p), expected.mean())


def test_cosine_similarity_closed_form_and_axis():
    def reference(a, b, axis):
        a = a / np.linalg.norm(a, axis=axis, keepdims=True)
        b = b / np.linalg.norm(b, axis=axis, keepdims=True)
        return -(a * b).sum(axis)

    _close(cosine_similarity(Y_TRUE, Y_PRED), reference(Y_TRUE, Y_PRED, -1))
    _close(cosine_similarity(Y_TRUE, Y_PRED, axis=0), reference(Y_TRUE, Y_PRED, 0))
    _close(cosine_similarity([[0.0, 0.0]], [[1.0, 2.0]]), [0.0])
    _close(CosineSimilarity(axis=0, reduction=None)(Y_TRUE, Y_PRED), reference(Y_TRUE, Y_PRED, 0))


def test_huber_closed_form_both_regimes():
    for delta in (1.0, 0.3):
        err = Y_PRED - Y_TRUE
        quad = 0.5 * err**2
        lin = delta * np.abs(err) - 0.5 * delta**2
        expected = np.where(np.abs(err) <= delta, quad, lin).mean(-1)
        _close(huber(Y_TRUE, Y_PRED, delta=delta), expected)
        _close(Huber(delta=delta)(Y_TRUE, Y_PRED), expected.mean())


def test_log_cosh_closed_form_and_no_overflow():
    _close(log_cosh(Y_TRUE, Y_PRED), np.log(np.cosh(Y_PRED - Y_TRUE)).mean(-1))
    # cosh(200) overflows float32; log-cosh stays ~ |x| - log 2.
    _close(log_cosh([[0.0]], [[200.0]]), [200.0 - math.log(2.0)])
    _close(LogCosh()(Y_TRUE, Y_PRED), np.log(np.cosh(Y_PRED - Y_TRUE)).mean())


def test_regression_functions_accept_rank_mismatch_and_keep_dtype():
    _close(mean_squared_error(np.zeros(3), np.ones((3, 1))), [1.0, 1.0, 1.0])
    out = mean_squared_error(jnp.zeros((2, 3), jnp.bfloat16), jnp.ones((2, 3), jnp.bfloat16))
    assert out.dtype == jnp.bfloat16


def test_regression_class_configs_have_keras_defaults():
    assert MeanSquaredError().get_config() == {
        "name": "mean_squared_error",
        "reduction": "sum_over_batch_size",
    }
    assert MeanAbsoluteError().name == "mean_absolute_error"
    assert MeanAbsolutePercentageError().name == "mean_absolute_percentage_error"
    assert MeanSquaredLogarithmicError().name == "mean_squared_logarithmic_error"
    assert LogCosh().name == "log_cosh"
    # As in Keras 3, delta and axis are not part of the config.
    assert Huber(delta=2.0).get_config() == {
        "name": "huber_loss",
        "reduction": "sum_over_batch_size",
    }
    assert CosineSimilarity(axis=0).get_config() == {
        "name": "cosine_similarity",
        "reduction": "sum_over_batch_size",
    }


def test_regression_losses_jit_and_grad():
    loss = Huber(delta=0.5)
    grad = jax.jit(jax.grad(lambda p: loss(Y_TRUE, p)))(Y_PRED)
    err = Y_PRED - Y_TRUE
    expected = np.where(np.abs(err) <= 0.5, err, 0.5 * np.sign(err)) / err.size
    _close(grad, expected)
    grad = jax.grad(lambda p: MeanSquaredError()(Y_TRUE, p))(Y_PRED)
    _close(grad, 2 * err / err.size)
