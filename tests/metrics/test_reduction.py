import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from heft import _registry
from heft.metrics import Mean, MeanMetricWrapper, Sum, binary_accuracy, mean_squared_error
from heft.metrics._reduction import samplewise_values, serialize_function


def test_sum_adds_all_values_and_accumulates():
    m = Sum()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 16.0
    m.update_state([[1.0, 2.0], [3.0, 4.0]])
    assert float(m.result()) == 26.0
    assert [v.path for v in m.variables] == ["sum/total"]


def test_sum_with_sample_weight():
    m = Sum()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 4.0
    m.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[2.0, 0.5])
    assert float(m.result()) == 4.0 + 2 * 3.0 + 0.5 * 7.0


def test_sum_reset_state():
    m = Sum()
    m.update_state([1.0, 2.0])
    m.reset_state()
    assert float(m.result()) == 0.0


def test_mean_unweighted_counts_samples():
    m = Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    assert float(m.count.numpy()) == 4.0
    m.update_state(2.0)  # a scalar counts as one sample
    assert float(m.result()) == pytest.approx(18.0 / 5.0)


def test_mean_averages_each_sample_first():
    m = Mean()
    m.update_state([[1.0, 3.0], [5.0, 9.0]])  # per-sample means 2 and 7
    assert float(m.result()) == 4.5
    assert float(m.count.numpy()) == 2.0


def test_mean_weighted_by_sample():
    m = Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    m.update_state([10.0], sample_weight=[2.0])
    assert float(m.result()) == pytest.approx((4.0 + 20.0) / 4.0)


def test_mean_weights_of_shape_n_by_1_match_vector_weights():
    values = np.array([1.0, 2.0, 3.0], "float32")
    a, b = Mean(), Mean()
    a.update_state(values, sample_weight=[0.5, 1.0, 2.0])
    b.update_state(values, sample_weight=[[0.5], [1.0], [2.0]])
    assert float(a.result()) == float(b.result()) == pytest.approx(8.5 / 3.5)
    assert float(b.count.numpy()) == 3.5


def test_mean_elementwise_weights_reduce_to_sample_weights():
    m = Mean()
    m.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[[1.0, 0.0], [1.0, 1.0]])
    # values*weights averaged per sample: [0.5, 6.0]; weights averaged per sample: [0.5, 1.0]
    assert float(m.total.numpy()) == 6.5
    assert float(m.count.numpy()) == 1.5


def test_mean_scalar_weight_counts_the_batch_once():
    m = Mean()
    m.update_state([2.0, 4.0], sample_weight=3.0)
    assert float(m.total.numpy()) == 9.0
    assert float(m.count.numpy()) == 3.0
    assert float(m.result()) == 3.0


def test_mean_of_nothing_is_zero_and_reset_clears():
    m = Mean()
    assert float(m.result()) == 0.0
    m.update_state([1.0, 2.0], sample_weight=[0.0, 0.0])
    assert float(m.result()) == 0.0
    m.update_state([4.0])
    m.reset_state()
    assert [float(v.numpy()) for v in m.variables] == [0.0, 0.0]


def test_mean_dtype_sets_variable_and_result_dtype():
    m = Mean(dtype="float16")
    m.update_state([1.0, 2.0])
    assert [v.dtype for v in m.variables] == ["float16", "float16"]
    assert m.result().dtype == jnp.float16


def test_mean_stateless_under_jit():
    m = Mean()
    step = jax.jit(lambda s, x, w: m.stateless_update_state(s, x, sample_weight=w))
    state = m.stateless_reset_state()
    state = step(state, jnp.asarray([1.0, 2.0]), jnp.asarray([1.0, 3.0]))
    state = step(state, jnp.asarray([3.0, 4.0]), jnp.asarray([0.0, 1.0]))
    assert [float(x) for x in state] == [11.0, 5.0]
    assert float(jax.jit(m.stateless_result)(state)) == pytest.approx(2.2)


def test_samplewise_values_reduces_extra_axes_with_given_function():
    values, weights = samplewise_values(np.ones((2, 3, 4)), [[1.0], [2.0]], jnp.sum, "float32")
    assert values.tolist() == [12.0, 24.0]
    # The (2, 1) weights are broadcast over the 3 remaining values, then summed per sample.
    assert weights.tolist() == [3.0, 6.0]
    values, weights = samplewise_values(np.ones((2, 3)), None, jnp.mean, "float32")
    assert values.tolist() == [1.0, 1.0] and weights is None


def test_mean_metric_wrapper_averages_function_values_with_kwargs():
    m = MeanMetricWrapper(binary_accuracy, name="acc_at_03", threshold=0.3)
    m.update_state([[1], [0], [1]], [[0.4], [0.2], [0.1]])
    assert float(m.result()) == pytest.approx(2.0 / 3.0)
    m.update_state([[0]], [[0.9]], sample_weight=[3.0])
    assert float(m.result()) == pytest.approx(2.0 / 6.0)
    assert [v.path for v in m.variables] == ["acc_at_03/total", "acc_at_03/count"]


def test_mean_metric_wrapper_default_name_and_direction():
    m = MeanMetricWrapper(mean_squared_error)
    assert m.name == "mean_metric_wrapper"
    assert m._direction == "down"
    assert not hasattr(MeanMetricWrapper(binary_accuracy), "_direction")


def test_mean_metric_wrapper_config_round_trip_builtin_function():
    m = MeanMetricWrapper(binary_accuracy, name="w", threshold=0.3)
    config = m.get_config()
    assert config == {
        "name": "w",
        "dtype": "float32",
        "fn": {
            "module": "builtins",
            "class_name": "function",
            "config": "binary_accuracy",
            "registered_name": "function",
        },
        "threshold": 0.3,
    }
    clone = MeanMetricWrapper.from_config(config)
    assert clone._fn is binary_accuracy and dict(clone._fn_kwargs) == {"threshold": 0.3}
    assert clone.name == "w"


def test_mean_metric_wrapper_config_round_trip_registered_function():
    @_registry.register_keras_serializable(package="test_reduction")
    def half_error(y_true, y_pred):
        return jnp.abs(jnp.asarray(y_true) - jnp.asarray(y_pred)) / 2

    m = MeanMetricWrapper(half_error)
    assert m.get_config()["fn"]["config"] == "test_reduction>half_error"
    clone = MeanMetricWrapper.from_config(m.get_config())
    assert clone._fn is half_error


def test_mean_metric_wrapper_from_config_with_unknown_function_raises():
    config = MeanMetricWrapper(binary_accuracy).get_config()
    config["fn"] = dict(config["fn"], config="no_such_function")
    with pytest.raises(ValueError, match="Could not locate the metric function 'no_such_function'"):
        MeanMetricWrapper.from_config(config)


def test_mean_metric_wrapper_rejects_non_callable():
    with pytest.raises(TypeError, match="must be callable"):
        MeanMetricWrapper("binary_accuracy")


def test_mean_metric_wrapper_of_lambda_cannot_serialize():
    m = MeanMetricWrapper(lambda t, p: jnp.asarray(p))
    m.update_state([1.0], [2.0])
    assert float(m.result()) == 2.0
    with pytest.raises(ValueError, match="wrapping a lambda"):
        m.get_config()


def test_serialize_function_of_object_with_get_config_and_of_plain_object():
    class Scaled:
        def __init__(self, factor):
            self.factor = factor

        def __call__(self, y_true, y_pred):
            return self.factor * jnp.asarray(y_pred)

        def get_config(self):
            return {"factor": self.factor}

    form = serialize_function(Scaled(2.0))
    assert form["class_name"] == "Scaled" and form["config"] == {"factor": 2.0}
    with pytest.raises(ValueError, match="neither a named function nor an object"):
        serialize_function(functools.partial(binary_accuracy, threshold=0.2))
