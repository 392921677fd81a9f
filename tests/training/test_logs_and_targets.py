"""Logs handed to callbacks and History, and fit without targets, as Keras 3 behaves."""

import numpy as np
import pytest

import heft as keras

X = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
Y = np.random.default_rng(1).standard_normal((64, 1)).astype("float32")


def _model(cls=keras.Model):
    inputs = keras.Input((4,))
    return cls(inputs, keras.layers.Dense(1)(inputs))


def test_nested_metric_results_from_a_custom_train_step_are_flattened_into_the_logs():
    class Custom(keras.Model):
        def train_step(self, state, data):
            logs, state = super().train_step(state, data)
            return {"loss": logs["loss"], "compile_metrics": {"mae": logs["mae"]}}, state

    model = _model(Custom)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert all(isinstance(v, float) for v in history.history["mae"])


def test_evaluate_hands_batch_logs_to_a_callback_that_reads_them():
    seen = []

    class Reader(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(logs["loss"])

    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    model.evaluate(X, Y, batch_size=16, verbose=0, callbacks=[Reader()])
    assert len(seen) == 4 and all(np.isfinite(seen))


def test_fit_without_targets_trains_on_the_losses_the_model_adds():
    class Penalty(keras.layers.Layer):
        def call(self, x):
            self.add_loss(keras.ops.mean(keras.ops.square(x)))
            return x

    inputs = keras.Input((4,))
    model = keras.Model(inputs, Penalty()(keras.layers.Dense(3)(inputs)))
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    history = model.fit(X, epochs=3, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < losses[0]


def test_fit_without_targets_is_refused_when_compile_was_given_a_loss():
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="no targets `y`"):
        model.fit(X, epochs=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
