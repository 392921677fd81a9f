"""Checks shared by the side-by-side tests of heft.applications against Keras's models.

Loaded by the ``test_applications_*_keras.py`` files with ``importlib`` (the
test folders are not packages).
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import keras
import numpy as np

import heft


def numpy_initializers(monkeypatch) -> None:
    """Keras draws its initial weights with numpy instead of compiled JAX programs.

    Keras compiles one random program per weight shape while it builds a model
    (most of its build time here); these tests only need some random weights.
    """
    from keras.src.backend import random as backend_random

    rng = np.random.default_rng(0)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return rng.uniform(minval, maxval, shape).astype(dtype or "float32")

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return rng.normal(mean, stddev, shape).astype(dtype or "float32")

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        draws = np.clip(rng.normal(0.0, 1.0, shape), -2.0, 2.0)
        return (mean + stddev * draws).astype(dtype or "float32")

    monkeypatch.setattr(backend_random, "uniform", uniform)
    monkeypatch.setattr(backend_random, "normal", normal)
    monkeypatch.setattr(backend_random, "truncated_normal", truncated_normal)


def fresh_names() -> None:
    """Both libraries start their automatic layer names from scratch."""
    keras.utils.clear_session()
    heft.utils.clear_session()


def keras_files(model, folder) -> tuple[str, str]:
    """``model``'s weights as ``.weights.h5`` and in the Keras 2 ``.h5`` layout."""
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    new = os.path.join(folder, f"{model.name}.weights.h5")
    model.save_weights(new)
    old = os.path.join(folder, f"{model.name}.h5")
    with h5py.File(old, "w") as f:
        save_weights_to_hdf5_group(f, model)
    return new, old


def legacy_bytes(model, folder) -> bytes:
    """The bytes of ``model``'s weights in the Keras 2 ``.h5`` layout (a published file's)."""
    _, old = keras_files(model, folder)
    with open(old, "rb") as f:
        return f.read()


def layer_summary(model) -> list[tuple[str, str, list[tuple[str, tuple[int, ...]]]]]:
    """Each layer's name, class and weights (path, shape), in order."""
    return [
        (
            layer.name,
            type(layer).__name__,
            [(w.path, tuple(w.shape)) for w in layer.weights],
        )
        for layer in model.layers
    ]


def images(shape: tuple[int, ...], batch: int = 1, seed: int = 0) -> np.ndarray:
    """Random pixel values 0..255 (float32) of ``(batch, *shape)``.

    One image by default: heft splits convolutions of a larger batch over the
    cores on CPU, which makes the program (and its compile time) bigger.
    """
    return np.random.default_rng(seed).uniform(0, 255, (batch, *shape)).astype("float32")


def randomize_statistics(model, seed: int = 1) -> None:
    """New random moving means and variances, so batch norm's inference path is tested."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(rng.normal(0, 0.1, layer.moving_mean.shape))
            layer.moving_variance.assign(rng.uniform(0.5, 1.5, layer.moving_variance.shape))


def assert_same_weights(keras_model, heft_model) -> None:
    """Same layers and weights (paths, shapes, values), in the same order."""
    assert heft_model.name == keras_model.name
    assert layer_summary(heft_model) == layer_summary(keras_model)
    for ours, theirs in zip(heft_model.weights, keras_model.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(ours), keras.ops.convert_to_numpy(theirs))


def assert_same_model(keras_model, heft_model, x: np.ndarray, atol: float = 1e-4) -> None:
    """Same layers, weights and predictions on ``x``."""
    assert_same_weights(keras_model, heft_model)
    expected = keras_model.predict(x, verbose=0)
    got = heft_model.predict(x, verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol, rtol=1e-4)


def assert_loads_keras_files(module, name: str, shape, folder, **kwargs):
    """Keras's ``name`` with random weights, saved in both layouts, loads into heft's.

    The model from the ``.weights.h5`` file predicts as Keras's on random
    images; the one from the Keras 2 ``.h5`` file gets the same weights.
    Returns Keras's model and heft's.
    """
    fresh_names()
    theirs = getattr(keras.applications, name)(weights=None, input_shape=shape, **kwargs)
    randomize_statistics(theirs)
    new, old = keras_files(theirs, folder)
    fresh_names()
    ours = getattr(module, name)(weights=old, input_shape=shape, **kwargs)
    assert_same_weights(theirs, ours)
    fresh_names()
    ours = getattr(module, name)(weights=new, input_shape=shape, **kwargs)
    assert_same_model(theirs, ours, images(shape))
    return theirs, ours
