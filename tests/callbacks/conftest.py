"""A small stand-in for a heft model, and a loop that drives callbacks as ``fit`` does."""

import numpy as np
import pytest

from heft.callbacks import CallbackList


class FakeOptimizer:
    """An optimizer with a settable float ``learning_rate`` stored as float32."""

    def __init__(self, learning_rate=0.01):
        self.learning_rate = learning_rate
        self.assigned = []

    @property
    def learning_rate(self):
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = float(np.float32(value))
        getattr(self, "assigned", []).append(self._learning_rate)


class FakeModel:
    """The attributes callbacks use: stop_training, optimizer, weights and files."""

    def __init__(self, learning_rate=0.01, metrics=()):
        self.stop_training = False
        self.optimizer = FakeOptimizer(learning_rate)
        self.weights = [np.zeros((2,), np.float32), np.zeros((), np.float32)]
        self.metrics = list(metrics)
        self.history = None
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w, copy=True) for w in weights]

    def _write(self, path, kind):
        with open(path, "wb") as file:
            np.save(file, self.weights[0])
        self.saved.append((kind, str(path)))

    def save_weights(self, path, overwrite=True):
        self._write(path, "weights")

    def save(self, path, overwrite=True):
        self._write(path, "model")


def load_marker(path):
    """The first weight stored by ``FakeModel`` in ``path``."""
    with open(path, "rb") as file:
        return np.load(file)


def simulate_fit(callbacks, model, epoch_logs, steps=4, batch_logs=None, chunk=1, verbose=0):
    """Drive ``callbacks`` through ``len(epoch_logs)`` epochs as a trainer would.

    Before epoch ``i`` ends the model's weights are set to ``i + 1`` so that
    tests can tell which epoch's weights were kept or saved. Returns the
    list of epochs that ran.
    """
    callback_list = CallbackList(
        callbacks,
        add_history=True,
        model=model,
        verbose=verbose,
        epochs=len(epoch_logs),
        steps=steps,
    )
    callback_list.on_train_begin()
    ran = []
    for epoch, logs in enumerate(epoch_logs):
        callback_list.on_epoch_begin(epoch)
        last = -1
        for batch in range(chunk - 1, steps + chunk - 1, chunk):
            batch = min(batch, steps - 1)
            callback_list.on_train_batch_begin(last + 1)
            step_logs = batch_logs(epoch, batch) if batch_logs else {"loss": logs.get("loss", 0.0)}
            model.weights = [np.full((2,), epoch + 1, np.float32), np.float32(epoch + 1)]
            callback_list.on_train_batch_end(batch, step_logs)
            last = batch
            if model.stop_training:
                break
        callback_list.on_epoch_end(epoch, logs)
        ran.append(epoch)
        if model.stop_training:
            break
    callback_list.on_train_end(epoch_logs[ran[-1]] if ran else None)
    return ran


@pytest.fixture
def model():
    return FakeModel()


@pytest.fixture
def make_model():
    return FakeModel


@pytest.fixture
def fit():
    return simulate_fit


@pytest.fixture
def marker():
    return load_marker
