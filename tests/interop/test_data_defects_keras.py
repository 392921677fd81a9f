"""Regressions against Keras 3: inputs a trailing axis of 1 off the ``Input``, frozen models."""

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import warnings

import keras
import numpy as np
import pytest

import heft

RNG = np.random.default_rng(0)


def _conv_model(lib, functional):
    layers = [
        lib.layers.Conv2D(2, 3, kernel_initializer="ones"),
        lib.layers.Flatten(),
        lib.layers.Dense(2, kernel_initializer="ones"),
    ]
    if not functional:
        return lib.Sequential([lib.Input((6, 6, 1)), *layers])
    x = inputs = lib.Input((6, 6, 1))
    for layer in layers:
        x = layer(x)
    return lib.Model(inputs, x)


@pytest.mark.parametrize("functional", [False, True])
def test_input_missing_trailing_axis_of_one_is_expanded_as_keras(functional):
    x = RNG.normal(size=(8, 6, 6)).astype("float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    results = []
    for lib in (heft, keras):
        model = _conv_model(lib, functional)
        model.compile(lib.optimizers.SGD(0.01), "mse")
        model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
        results.append((model.predict(x, verbose=0), model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5, atol=1e-6)
    for a, b in zip(results[0][1], results[1][1], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_input_with_an_extra_trailing_axis_of_one_is_squeezed_and_others_raise():
    for lib in (heft, keras):
        inputs = lib.Input((4,))
        model = lib.Model(inputs, lib.layers.Dense(1)(inputs))
        assert tuple(model.predict(np.ones((3, 4, 1)), verbose=0).shape) == (3, 1)
        with pytest.raises(ValueError, match="Invalid input shape for input"):
            model.predict(np.ones((3, 4, 2)), verbose=0)


def test_fit_without_trainable_weights_trains_on_as_keras():
    x = RNG.normal(size=(8, 3)).astype("float32")
    y = RNG.normal(size=(8, 2)).astype("float32")
    results = []
    for lib in (heft, keras):
        model = lib.Sequential([lib.Input((3,)), lib.layers.Dense(2, kernel_initializer="ones")])
        model.layers[0].trainable = False
        model.compile("sgd", "mse", metrics=["mae"])
        epochs_seen = []
        callback = lib.callbacks.LambdaCallback(
            on_epoch_end=lambda e, logs, seen=epochs_seen: seen.append(e)
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            history = model.fit(x, y, batch_size=4, epochs=2, verbose=0, callbacks=[callback])
        results.append(
            (
                {k: np.round(v, 5).tolist() for k, v in history.history.items()},
                epochs_seen,
                int(model.optimizer.iterations.numpy()),
                model.get_weights()[0].tolist(),
            )
        )
    assert results[0] == results[1]
