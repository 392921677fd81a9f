"""``config.set_max_epochs``/``set_max_steps_per_epoch`` cap fit, evaluate and predict as in Keras."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

X = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
Y = X.sum(axis=1, keepdims=True)


def _run(lib):
    model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(1)])
    model.compile("sgd", "mse")
    lib.config.set_max_epochs(2)
    lib.config.set_max_steps_per_epoch(3)
    try:
        with pytest.warns(UserWarning) as record:
            history = model.fit(X, Y, batch_size=4, epochs=5, verbose=0)
            predicted = model.predict(X, batch_size=4, verbose=0)
    finally:
        lib.config.set_max_epochs(None)
        lib.config.set_max_steps_per_epoch(None)
    messages = sorted({str(w.message) for w in record})
    return history.epoch, int(model.optimizer.iterations.numpy()), predicted.shape, messages


def test_max_epochs_and_steps_cap_fit_like_keras():
    assert _run(heft) == _run(keras)
    assert heft.config.max_epochs() is None and heft.config.max_steps_per_epoch() is None
