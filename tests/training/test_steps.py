"""The step layer: overridable train/test/predict steps, the loss and metric pieces, the state."""

import gc
import weakref

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import heft
from heft import callbacks, layers, metrics, ops, optimizers
from heft.training import TestState, TrainState
from heft.training._dispatch import PLAN_LIMIT


def _data(n=32, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype("float32")
    y = (x @ rng.normal(size=(features, 1))).astype("float32")
    return x, y


def _dense(units=1, features=4, cls=heft.Sequential):
    model = cls([layers.Input((features,)), layers.Dense(units, kernel_initializer="ones")])
    return model


class _CountingSteps(heft.Sequential):
    """Keras's train_step, plus a log of its own and a count of traces."""

    traces = 0

    def train_step(self, state, data):
        type(self).traces += 1
        logs, state = super().train_step(state, data)
        return {**logs, "doubled_loss": 2.0 * logs["loss"]}, state


def test_steps_fit_uses_an_overridden_train_step_jitted_with_its_logs():
    x, y = _data()
    model = _CountingSteps([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    seen = []
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs))],
    )
    assert _CountingSteps.traces <= 3  # traced, not run eagerly per batch
    assert history.history["doubled_loss"] == pytest.approx(
        [2.0 * v for v in history.history["loss"]], rel=1e-6
    )
    assert all("doubled_loss" in logs for logs in seen)
    assert int(model.optimizer.iterations.numpy()) == 12


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_steps_overridden_logs_come_from_the_last_step_of_each_dispatch(steps_per_execution):
    class LastBatchMean(heft.Sequential):
        def train_step(self, state, data):
            _, state = super().train_step(state, data)
            x, _ = data
            return {"x_mean": ops.mean(x)}, state

    x, y = _data(n=32)
    model = LastBatchMean([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", steps_per_execution=steps_per_execution)
    history = model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert history.history["x_mean"] == [pytest.approx(float(x[24:].mean()), rel=1e-6)]


def test_steps_compute_loss_override_is_used_by_fit_and_evaluate():
    class Doubled(heft.Sequential):
        def compute_loss(self, x, y, y_pred, sample_weight=None, training=True):
            return 2.0 * ops.mean((y_pred - y) ** 2)

    x, y = _data()
    model = Doubled([layers.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mae")  # the override wins
    pred = x @ np.ones((4, 1), "float32")
    expected = 2.0 * np.mean((pred - y) ** 2)
    assert model.evaluate(x, y, batch_size=32, verbose=0) == pytest.approx(expected, rel=1e-5)
    history = model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_steps_compute_loss_override_without_training_argument():
    class OldStyle(heft.Sequential):
        def compute_loss(self, x, y, y_pred, sample_weight=None):
            return ops.sum(y_pred * 0.0) + 3.0

    x, y = _data()
    model = OldStyle([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(x, y, verbose=0) == pytest.approx(3.0)


def test_steps_compute_loss_with_own_tracker_and_metrics_property():
    # Keras's documented pattern: the override updates a metric of its own, which
    # `metrics` lists instead of the compiled ones.
    class Tracked(heft.Sequential):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.loss_tracker = metrics.Mean(name="custom")

        def compute_loss(self, x, y, y_pred, sample_weight=None, training=True):
            loss = ops.mean((y_pred - y) ** 2)
            self.loss_tracker.update_state(loss)
            return loss

        @property
        def metrics(self):
            return [self.loss_tracker]

    x, y = _data()
    model = Tracked([layers.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    pred = x @ np.ones((4, 1), "float32")
    batch_losses = [np.mean((pred[i : i + 16] - y[i : i + 16]) ** 2) for i in (0, 16)]
    assert list(history.history) == ["custom"]
    assert history.history["custom"] == [pytest.approx(np.mean(batch_losses), rel=1e-5)]
    assert float(model.loss_tracker.result()) == pytest.approx(np.mean(batch_losses), rel=1e-5)


def test_steps_compute_metrics_override_adds_a_log():
    class WithExtra(heft.Sequential):
        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            logs = super().compute_metrics(x, y, y_pred, sample_weight)
            return {**logs, "max_prediction": ops.max(y_pred)}

    x, y = _data()
    model = WithExtra([layers.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(0.0), loss="mse", metrics=["mae"])
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "mae", "max_prediction"]
    assert logs["max_prediction"] == pytest.approx(float((x @ np.ones((4, 1))).max()), rel=1e-5)


def test_steps_test_and_predict_step_overrides_are_used():
    class Custom(heft.Sequential):
        def test_step(self, state, data):
            trainable, non_trainable, metric_values = state
            assert isinstance(state, TestState)
            x, y = data
            y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
            return {"gap": ops.mean(y_pred - y)}, (trainable, non_trainable, metric_values)

        def predict_step(self, state, data):
            outputs, non_trainable = super().predict_step(state, data)
            return outputs + 100.0, non_trainable

    x, y = _data()
    model = Custom([layers.Input((4,)), layers.Dense(1, kernel_initializer="ones")])
    model.compile(optimizer="sgd", loss="mse")
    pred = x @ np.ones((4, 1), "float32")
    logs = model.evaluate(x, y, batch_size=32, verbose=0, return_dict=True)
    assert logs == {"gap": pytest.approx(float(np.mean(pred - y)), rel=1e-5)}
    np.testing.assert_allclose(model.predict(x, verbose=0), pred + 100.0, rtol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x), pred + 100.0, rtol=1e-6)


def test_steps_train_on_batch_goes_through_train_step():
    x, y = _data(n=8)
    model = _CountingSteps([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["doubled_loss"] == pytest.approx(2.0 * logs["loss"], rel=1e-6)


def test_steps_train_step_receives_a_named_state_and_may_return_a_tuple():
    received = []

    class Plain(heft.Sequential):
        def train_step(self, state, data):
            received.append(type(state))
            logs, state = super().train_step(state, data)
            return logs, tuple(tuple(part) for part in state)

    x, y = _data()
    model = Plain([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert received and all(t is TrainState for t in received)
    assert int(model.optimizer.iterations.numpy()) == 8


def test_steps_a_train_step_returning_a_bad_state_is_refused():
    class Broken(heft.Sequential):
        def train_step(self, state, data):
            logs, state = super().train_step(state, data)
            return logs, state[:3]

    x, y = _data()
    model = Broken([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"`train_step` must return `\(logs, state\)`.*4 parts"):
        model.fit(x, y, batch_size=8, verbose=0)


def test_steps_loss_scale_factor_scales_the_loss_and_unscales_the_gradients():
    # Keras: the loss is multiplied by the factor, the gradients divided by it, so
    # SGD(0.1) on an all-ones Dense moves the kernel as without the factor.
    x = np.ones((1, 2), "float32")
    y = np.zeros((1, 1), "float32")
    for factor in (None, 8.0):
        model = heft.Sequential(
            [layers.Input((2,)), layers.Dense(1, kernel_initializer="ones", use_bias=False)]
        )
        model.compile(optimizer=optimizers.SGD(0.1, loss_scale_factor=factor), loss="mse")
        history = model.fit(x, y, batch_size=1, epochs=1, verbose=0)
        np.testing.assert_allclose(model.get_weights()[0], np.full((2, 1), 0.6), rtol=1e-6)
        assert history.history["loss"] == [pytest.approx(4.0)]  # logs show the unscaled loss


def test_steps_compute_loss_and_updates_scales_only_when_training():
    model = heft.Sequential(
        [layers.Input((2,)), layers.Dense(1, kernel_initializer="ones", use_bias=False)]
    )
    model.compile(optimizer=optimizers.SGD(0.1, loss_scale_factor=8.0), loss="mse")
    x = np.ones((1, 2), "float32")
    y = np.zeros((1, 1), "float32")
    model.train_on_batch(x, y)  # builds everything
    state = model._train_state()
    args = (state.trainable_variables, state.non_trainable_variables)
    scaled, (unscaled, *_rest) = model.compute_loss_and_updates(
        *args,
        state.metrics_variables,
        x,
        y,
        None,
        training=True,
        optimizer_variables=state.optimizer_variables,
    )
    plain, _ = model.compute_loss_and_updates(
        *args, state.metrics_variables, x, y, None, training=False
    )
    assert float(scaled) == pytest.approx(8.0 * float(unscaled))
    assert float(plain) == pytest.approx(float(unscaled))


def test_steps_stateless_compute_loss_adds_weight_penalties_from_the_given_values():
    model = heft.Sequential(
        [
            layers.Input((2,)),
            layers.Dense(1, kernel_initializer="ones", kernel_regularizer="l2", use_bias=False),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.evaluate(np.ones((1, 2)), np.zeros((1, 1)), verbose=0)
    metric_values = [v.value for v in model.metrics_variables]
    kernel = jnp.full((2, 1), 3.0)
    loss, (_, _, new_metrics) = model.stateless_compute_loss(
        [kernel], [], metric_values, x=None, y=jnp.zeros((1, 1)), y_pred=jnp.ones((1, 1))
    )
    assert float(loss) == pytest.approx(1.0 + 0.01 * 18.0)
    assert len(new_metrics) == len(metric_values)
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((2, 1)))  # unchanged


def test_steps_metrics_are_keras_ordered_with_one_compile_metrics():
    inp = heft.Input((3,))
    model = heft.Model(inp, [layers.Dense(1, name="a")(inp), layers.Dense(1, name="b")(inp)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    assert model.metrics_names == ["loss", "compile_metrics"]
    model.evaluate(np.ones((4, 3)), [np.zeros((4, 1)), np.ones((4, 1))], verbose=0)
    assert model.metrics_names == ["loss", "compile_metrics", "a_loss", "b_loss"]
    assert [v.path for v in model.metrics_variables] == [
        "loss/total",
        "loss/count",
        "mean_absolute_error/total",
        "mean_absolute_error/count",
        "mean_absolute_error/total",
        "mean_absolute_error/count",
        "compile_loss/a_loss/total",
        "compile_loss/a_loss/count",
        "compile_loss/b_loss/total",
        "compile_loss/b_loss/count",
    ]
    assert set(model.get_metrics_result()) == {"loss", "a_mae", "b_mae", "a_loss", "b_loss"}


def test_steps_uncompiled_model_has_no_training_metrics():
    model = _dense()
    assert model.metrics == []
    assert model.metrics_names == []


# ---------------------------------------------------------------------- seeding


def _seeded_fit(seed):
    heft.utils.set_random_seed(seed)
    x, y = _data(n=64)
    model = heft.Sequential(
        [
            layers.Input((4,)),
            layers.Dense(8, activation="relu"),
            layers.Dropout(0.3),
            layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    return model.get_weights()


def test_steps_set_random_seed_makes_fit_repeatable_bit_for_bit():
    first, second, other = _seeded_fit(11), _seeded_fit(11), _seeded_fit(12)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)
    assert any(not np.array_equal(a, b) for a, b in zip(first, other, strict=True))


def test_steps_set_random_seed_rejects_non_ints():
    with pytest.raises(ValueError, match=r"Expected `seed` argument to be an integer.*1\.5"):
        heft.utils.set_random_seed(1.5)


# ---------------------------------------------------------------------- compiled plans


def test_steps_plans_are_bounded_and_keyed_by_the_variables_themselves():
    x, y = _data()
    model = heft.Sequential(
        [layers.Input((4,)), layers.Dense(4, name="a"), layers.Dense(1, name="b")]
    )
    model.compile(optimizer="sgd", loss="mse")
    for i in range(PLAN_LIMIT + 4):
        model.layers[i % 2].trainable = bool(i % 3)
        model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(model._plans) <= PLAN_LIMIT


def test_steps_compiled_plans_are_freed_with_the_model():
    x, y = _data()
    model = _dense()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, verbose=0)
    model.predict(x, verbose=0)
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_steps_freezing_a_layer_recompiles_for_the_new_trainable_set():
    x, y = _data()
    model = heft.Sequential(
        [layers.Input((4,)), layers.Dense(4, name="a"), layers.Dense(1, name="b")]
    )
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    frozen = [w.copy() for w in model.layers[0].get_weights()]
    model.layers[0].trainable = False
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for a, b in zip(frozen, model.layers[0].get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_steps_jit_traces_do_not_leak_tracers_into_variables():
    x, y = _data()
    model = _CountingSteps([layers.Input((4,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, verbose=0)
    assert all(isinstance(v.value, jax.Array) for v in model.variables)
    assert all(isinstance(v.value, jax.Array) for v in model.metrics_variables)
