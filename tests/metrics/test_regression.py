import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import metrics

Y_TRUE = [[0.0, 1.0], [0.0, 0.0]]
Y_PRED = [[1.0, 1.0], [0.0, 0.0]]


def test_mean_squared_error_function_per_sample():
    assert metrics.mean_squared_error(
        [[1.0, 2.0], [0.0, 0.0]], [[0.0, 0.0], [3.0, 1.0]]
    ).tolist() == [2.5, 5.0]
    # A (batch, 1) target against (batch,) predictions is squeezed, not broadcast.
    assert metrics.mean_squared_error([[1.0], [2.0]], [0.0, 0.0]).tolist() == [1.0, 4.0]


def test_mean_absolute_error_function_per_sample():
    assert metrics.mean_absolute_error([[1.0, 2.0]], [[0.0, 5.0]]).tolist() == [2.0]


def test_mean_absolute_percentage_error_function_guards_zero_targets():
    assert metrics.mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 4.0]]).tolist() == [25.0]
    assert metrics.mean_absolute_percentage_error([[0.0]], [[1e-7]]).tolist() == pytest.approx(
        [100.0]
    )


def test_mean_squared_logarithmic_error_function_floors_at_epsilon():
    expected = (math.log(2.0) - math.log(1.0 + 1e-7)) ** 2
    assert metrics.mean_squared_logarithmic_error([[-3.0]], [[1.0]]).tolist() == pytest.approx(
        [expected]
    )


def test_mean_squared_error_metric_hand_values_and_weights():
    m = metrics.MeanSquaredError()
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == 0.25
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 0.0])
    assert float(m.result()) == pytest.approx((0.5 + 0.5) / 3.0)
    assert [v.path for v in m.variables] == ["mean_squared_error/total", "mean_squared_error/count"]


def test_mean_absolute_error_metric_weights_and_reset():
    m = metrics.MeanAbsoluteError()
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 0.0])
    assert float(m.result()) == 0.5
    m.reset_state()
    assert float(m.result()) == 0.0


def test_percentage_and_logarithmic_metrics_average_per_sample_values():
    mape = metrics.MeanAbsolutePercentageError()
    mape.update_state([[2.0, 4.0], [1.0, 1.0]], [[1.0, 4.0], [1.0, 1.0]])
    assert float(mape.result()) == 12.5
    msle = metrics.MeanSquaredLogarithmicError()
    msle.update_state([[0.0], [1.0]], [[1.0], [1.0]])
    assert float(msle.result()) == pytest.approx(math.log(2.0) ** 2 / 2, rel=1e-5)


def test_root_mean_squared_error_over_elements():
    m = metrics.RootMeanSquaredError()
    m.update_state(Y_TRUE, Y_PRED)
    assert float(m.result()) == 0.5
    m.reset_state()
    m.update_state(Y_TRUE, Y_PRED, sample_weight=[1.0, 0.0])
    assert float(m.result()) == pytest.approx(math.sqrt(0.5))


def test_root_mean_squared_error_elementwise_weights_and_accumulation():
    m = metrics.RootMeanSquaredError()
    m.update_state([[0.0, 0.0]], [[2.0, 4.0]], sample_weight=[[1.0, 0.0]])
    # Per sample: mean(err^2 * w) = 2, mean(w) = 0.5.
    assert float(m.result()) == pytest.approx(2.0)
    m.update_state([1.0], [4.0])
    assert float(m.result()) == pytest.approx(math.sqrt((2.0 + 9.0) / 1.5))


@pytest.mark.parametrize(
    "cls",
    [
        metrics.MeanSquaredError,
        metrics.MeanAbsoluteError,
        metrics.MeanAbsolutePercentageError,
        metrics.MeanSquaredLogarithmicError,
        metrics.RootMeanSquaredError,
    ],
)
def test_regression_metrics_config_round_trip_and_direction(cls):
    m = cls(name="custom", dtype="float16")
    assert m.get_config() == {"name": "custom", "dtype": "float16"}
    assert cls.from_config(m.get_config()).get_config() == m.get_config()
    assert m._direction == "down"


def test_root_mean_squared_error_stateless_under_jit():
    m = metrics.RootMeanSquaredError()

    @jax.jit
    def run(y_true, y_pred):
        state = m.stateless_update_state(m.stateless_reset_state(), y_true, y_pred)
        return m.stateless_result(state)

    assert float(run(jnp.zeros((2, 2)), jnp.asarray(np.full((2, 2), 3.0, "float32")))) == 3.0
