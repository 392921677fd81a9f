import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft.metrics import Mean, Metric, Sum


class _Total(Metric):
    def __init__(self, name="total_metric", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.calls = self.add_variable(shape=(), initializer="ones", name="calls")

    def update_state(self, values):
        self.total.assign_add(jnp.sum(jnp.asarray(values)))
        self.calls.assign_add(1.0)

    def result(self):
        return self.total.value


class _Pair(Metric):
    """A metric made of two sub-metrics, as a user would compose them."""

    def __init__(self):
        super().__init__(name="pair")
        self.first = Mean(name="first")
        self.second = Sum(name="second")

    def update_state(self, values):
        self.first.update_state(values)
        self.second.update_state(values)

    def result(self):
        return self.first.result() + self.second.result()


class _NoSuper(Metric):
    def __init__(self):
        self.total = None

    def update_state(self, values):
        pass

    def result(self):
        return 0.0


def test_metric_add_variable_creates_non_trainable_variable_under_metric_name():
    m = _Total()
    v = m.total
    assert isinstance(v, heft.Variable)
    assert v.path == "total_metric/total"
    assert not v.trainable
    assert v.aggregation == "sum"
    assert v.synchronization == "on_read"
    assert v.dtype == "float32"
    assert [x.path for x in m.variables] == ["total_metric/total", "total_metric/calls"]


def test_metric_name_with_slash_becomes_angle_bracket_in_paths():
    m = _Total(name="a/b")
    assert m.name == "a/b"
    assert m.total.path == "a>b/total"


def test_metric_variables_under_an_enclosing_name_scope():
    with heft.name_scope("outer"):
        m = _Total()
    assert m.total.path == "outer/total_metric/total"


def test_metric_automatic_names_are_unique_snake_case():
    class CountThings(Metric):
        def result(self):
            return 0.0

    assert [CountThings().name for _ in range(3)] == [
        "count_things",
        "count_things_1",
        "count_things_2",
    ]


def test_metric_dtype_defaults_to_floatx_and_accepts_policy():
    assert _Total().dtype == "float32"
    assert _Total(dtype="float16").dtype == "float16"
    assert _Total(dtype="mixed_bfloat16").dtype == "bfloat16"
    assert _Total(dtype=heft.DTypePolicy("float16")).get_config()["dtype"] == "float16"


def test_metric_call_updates_then_returns_result():
    m = _Total()
    assert float(m([1.0, 2.0])) == 3.0
    assert float(m([4.0])) == 7.0
    assert float(m.calls.numpy()) == 3.0


def test_metric_default_reset_state_zeros_every_variable():
    m = _Total()
    m([1.0, 2.0])
    m.reset_state()
    assert [float(v.numpy()) for v in m.variables] == [0.0, 0.0]


def test_metric_tracks_sub_metric_variables_after_its_own():
    m = _Pair()
    assert [v.path for v in m.variables] == ["first/total", "first/count", "second/total"]
    m.update_state([1.0, 3.0])
    assert float(m.result()) == 2.0 + 4.0


def test_metric_tracks_metrics_in_list_attributes_added_later():
    m = _Pair()
    m.extra = []
    m.extra.append(Sum(name="third"))
    assert [v.path for v in m.variables][-1] == "third/total"


def test_metric_stateless_update_state_returns_new_values_and_leaves_state():
    m = _Total()
    m([1.0])
    new = m.stateless_update_state([jnp.asarray(10.0), jnp.asarray(0.0)], [1.0, 2.0])
    assert [float(x) for x in new] == [13.0, 1.0]
    assert float(m.total.numpy()) == 1.0 and float(m.calls.numpy()) == 2.0


def test_metric_stateless_result_reads_given_values():
    m = _Total()
    assert float(m.stateless_result([5.0, 0.0])) == 5.0
    assert float(m.result()) == 0.0


def test_metric_stateless_reset_state_returns_zeros_and_leaves_state():
    m = _Total()
    m([4.0])
    zeros = m.stateless_reset_state()
    assert [float(x) for x in zeros] == [0.0, 0.0]
    assert float(m.total.numpy()) == 4.0


def test_metric_stateless_api_under_jit_traces_once():
    m = Mean()
    traces = []

    @jax.jit
    def step(state, values, weight):
        traces.append(1)
        state = m.stateless_update_state(state, values, sample_weight=weight)
        return state, m.stateless_result(state)

    state = m.stateless_reset_state()
    state, result = step(state, jnp.asarray([1.0, 2.0, 3.0]), jnp.asarray([1.0, 1.0, 0.0]))
    assert float(result) == 1.5
    state, result = step(state, jnp.asarray([5.0, 5.0, 5.0]), jnp.asarray([1.0, 0.0, 0.0]))
    assert float(result) == pytest.approx((3.0 + 5.0) / 3.0)
    assert len(traces) == 1
    assert float(m.result()) == 0.0  # the stateful variables were never touched
    assert all(not isinstance(v.value, jax.core.Tracer) for v in m.variables)


def test_metric_stateful_update_inside_jit_raises():
    m = Mean()

    @jax.jit
    def bad(values):
        m.update_state(values)
        return m.result()

    with pytest.raises(RuntimeError, match="stateless"):
        bad(jnp.ones(3))
    assert float(m.count.numpy()) == 0.0


def test_metric_stateless_wrong_number_of_values_raises():
    m = Mean()
    with pytest.raises(ValueError, match=r"1:1 to Mean\(\)\.variables \(2 variables"):
        m.stateless_update_state([0.0], [1.0])
    with pytest.raises(ValueError, match="Received a list of length 3"):
        m.stateless_result([0.0, 0.0, 0.0])


def test_metric_without_super_init_raises_on_use():
    m = _NoSuper()
    with pytest.raises(RuntimeError, match=r"must call `super\(\).__init__"):
        m([1.0])
    with pytest.raises(RuntimeError, match=r"before `Metric\.__init__` ran"):
        m.add_variable((), "zeros", name="x")
    assert m.variables == []


def test_metric_base_update_state_and_result_raise_not_implemented():
    m = Metric(name="bare")
    with pytest.raises(NotImplementedError, match="does not implement `update_state`"):
        m.update_state(1.0)
    with pytest.raises(NotImplementedError, match="does not implement `result`"):
        m.result()


def test_metric_add_weight_is_an_alias_of_add_variable():
    m = Metric(name="bare")
    v = m.add_weight(shape=(2,), initializer="ones", name="w")
    assert v.path == "bare/w" and v.numpy().tolist() == [1.0, 1.0]
    assert len(m.variables) == 1 and m.variables[0] is v


def test_metric_config_round_trip_and_repr():
    m = _Total(name="t", dtype="float16")
    assert m.get_config() == {"name": "t", "dtype": "float16"}
    clone = _Total.from_config(m.get_config())
    assert clone.name == "t" and clone.dtype == "float16"
    assert repr(m) == "<_Total name=t>" == str(m)


def test_metric_held_by_a_layer_is_tracked_as_metric():
    class Holder(heft.layers.Layer):
        def __init__(self):
            super().__init__()
            self.tracker = Mean(name="tracker")

        def call(self, x):
            return x

    layer = Holder()
    assert layer.metrics == [layer.tracker]
    assert [v.path for v in layer.metrics_variables] == ["tracker/total", "tracker/count"]
    assert layer.weights == []


def test_metric_variables_assigned_numpy_keep_dtype():
    m = Mean(dtype="float16")
    m.update_state(np.array([1.0, 2.0], dtype="float64"))
    assert m.total.dtype == "float16"
    assert m.result().dtype == jnp.float16
