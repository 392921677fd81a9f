"""Checks shared by the side-by-side tests of heft.applications against keras.applications.

Loaded by the ``test_applications_*_keras.py`` files (tests are not a package here).
Each check builds Keras's model with ``weights=None``, gives every weight a random
value (batch-norm variances positive), writes the weights as ``.weights.h5`` and in
the Keras 2 ``.h5`` layout that Keras's published files use, builds heft's model
from those files and compares layer names, weight paths, shapes, values and outputs.
"""

from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import h5py
import jax.numpy as jnp
import keras
import numpy as np
from keras.src.backend.jax import random as keras_jax_random
from keras.src.legacy.saving import legacy_h5_format

import heft


def images(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Float pixels in [0, 255], as the applications expect before preprocessing."""
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


def cheap_keras_init(monkeypatch) -> None:
    """Keras's random initializers drawn with numpy instead of one JAX compile per shape.

    Only the initial values change (they are replaced by ``randomize`` anyway); Keras
    otherwise spends most of a first build compiling ``truncated_normal`` for each
    kernel shape.
    """
    rng = np.random.default_rng(1234)

    def draw(values, dtype):
        return jnp.asarray(values.astype(dtype or "float32"))

    def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return draw(
            np.clip(rng.normal(mean, stddev, shape), mean - 2 * stddev, mean + 2 * stddev), dtype
        )

    def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
        return draw(rng.normal(mean, stddev, shape), dtype)

    def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
        return draw(rng.uniform(minval, maxval, shape), dtype)

    monkeypatch.setattr(keras_jax_random, "truncated_normal", truncated_normal)
    monkeypatch.setattr(keras_jax_random, "normal", normal)
    monkeypatch.setattr(keras_jax_random, "uniform", uniform)


def fresh_names() -> None:
    """Both libraries number their unnamed layers from scratch again."""
    keras.utils.clear_session()
    heft.utils.clear_session()


def randomize(model, seed: int = 0) -> None:
    """Every weight of a Keras model set to a random value that keeps the model stable.

    Variances (batch-norm moving variances, ``Normalization``'s variance) get
    values in [0.5, 1.5]; everything else small normal noise around its initial value.
    """
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        current = np.asarray(weight.numpy())
        name = weight.path.rsplit("/", 1)[-1]
        if "variance" in name:
            values.append(rng.uniform(0.5, 1.5, current.shape).astype(current.dtype))
        elif name == "count":
            values.append(current)
        else:
            noise = rng.normal(0.0, 0.1, current.shape).astype(current.dtype)
            values.append(current + noise)
    model.set_weights(values)
    # Keras's Normalization reads its mean and variance through a snapshot that
    # set_weights leaves stale (loading a file refreshes it): refresh it here.
    for layer in model.layers:
        if isinstance(layer, keras.layers.Normalization):
            layer.finalize_state()


def write_weight_files(model, directory, stem: str) -> tuple[str, str]:
    """The model's weights as ``<stem>.weights.h5`` and in the Keras 2 layout ``<stem>.h5``."""
    modern = os.path.join(directory, f"{stem}.weights.h5")
    legacy = os.path.join(directory, f"{stem}.h5")
    model.save_weights(modern)
    with h5py.File(legacy, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    return modern, legacy


def legacy_bytes(model, directory, stem: str) -> bytes:
    """The bytes of the model's weights in the Keras 2 ``.h5`` layout (a published file)."""
    _, legacy = write_weight_files(model, directory, stem)
    with open(legacy, "rb") as f:
        return f.read()


def assert_same_structure(keras_model, heft_model, full_paths: bool = True) -> None:
    """The same layers (names, classes) and weights (paths, shapes) in the same order.

    ``full_paths=False`` compares only each path's last two parts: Keras drops a
    nested model's name from the paths of the models it reads from ``.keras``.
    """
    assert [layer.name for layer in heft_model.layers] == [
        layer.name for layer in keras_model.layers
    ]
    assert [type(layer).__name__ for layer in heft_model.layers] == [
        type(layer).__name__ for layer in keras_model.layers
    ]

    def path(weight):
        return weight.path if full_paths else "/".join(weight.path.split("/")[-2:])

    assert [(path(w), tuple(w.shape)) for w in heft_model.weights] == [
        (path(w), tuple(w.shape)) for w in keras_model.weights
    ]
    for theirs, ours in zip(keras_model.layers, heft_model.layers, strict=True):
        assert _settings(ours) == _settings(theirs), theirs.name


# The configuration entries that change what a layer computes.
_SETTINGS = (
    "activation",
    "axis",
    "cropping",
    "data_format",
    "depth_multiplier",
    "dilation_rate",
    "epsilon",
    "filters",
    "kernel_size",
    "momentum",
    "noise_shape",
    "offset",
    "padding",
    "pool_size",
    "rate",
    "scale",
    "strides",
    "target_shape",
    "units",
    "use_bias",
    "center",
    "invert",
)


def _settings(layer) -> dict:
    config = layer.get_config()
    return {key: _plain(config[key]) for key in _SETTINGS if key in config}


def _plain(value):
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    return value


def assert_same_weights(keras_model, heft_model) -> None:
    """Every weight value of the heft model equal to Keras's, in order."""
    theirs = keras_model.get_weights()
    ours = heft_model.get_weights()
    assert len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(np.asarray(mine), expected)


def assert_same_predictions(keras_model, heft_model, x, atol: float = 1e-4) -> None:
    """``predict`` on the same images equal to Keras's within ``atol``."""
    expected = keras_model.predict(x, verbose=0)
    got = heft_model.predict(x, verbose=0)
    assert np.asarray(got).shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=atol, rtol=0)


def check_against_keras(keras_builder, heft_builder, tmp_path, shape, predict=True, **kwargs):
    """Keras's model (random weights) loaded into heft's from both file layouts and compared.

    The Keras 2 ``.h5`` load is compared on names, weights and (with ``predict``)
    outputs; the ``.weights.h5`` load on weight values. Returns both models.
    """
    fresh_names()
    keras_model = keras_builder(weights=None, input_shape=shape, **kwargs)
    randomize(keras_model)
    modern, legacy = write_weight_files(keras_model, tmp_path, "keras")
    heft_model = heft_builder(weights=legacy, input_shape=shape, **kwargs)
    assert_same_structure(keras_model, heft_model)
    assert_same_weights(keras_model, heft_model)
    if predict:
        assert_same_predictions(keras_model, heft_model, images((2, *shape)))
    from_modern = heft_builder(weights=modern, input_shape=shape, **kwargs)
    assert_same_weights(keras_model, from_modern)
    return keras_model, heft_model


def check_imagenet_download(
    keras_builder, heft_builder, keras_module, origin, tmp_path, published, monkeypatch, shape
):
    """``weights="imagenet"`` (no classifier) through the published address, as Keras loads it.

    The file is Keras's random weights in the Keras 2 layout served at ``origin``;
    Keras's own model gets the same bytes. heft's model matches Keras's (layers,
    settings, weights), the file lands in ``$KERAS_HOME/models`` under Keras's
    name, and a second build reads the cache without a second download.
    """
    fresh_names()
    source = keras_builder(weights=None, include_top=False, input_shape=shape)
    randomize(source)
    data = legacy_bytes(source, tmp_path, "published")
    name = published.publish(origin, data)
    local = tmp_path / "keras_copy.h5"
    local.write_bytes(data)
    monkeypatch.setattr(keras_module.file_utils, "get_file", lambda *a, **k: str(local))
    fresh_names()
    keras_model = keras_builder(include_top=False, input_shape=shape)
    heft_model = heft_builder(include_top=False, input_shape=shape)
    assert_same_structure(keras_model, heft_model)
    assert_same_weights(keras_model, heft_model)
    cached = os.path.join(os.environ["KERAS_HOME"], "models", origin.rsplit("/", 1)[-1])
    assert os.path.isfile(cached)
    again = heft_builder(include_top=False, input_shape=shape)
    assert_same_weights(keras_model, again)
    assert published.server.hits[name] == 1
    return keras_model, heft_model


def check_hash_refusal(heft_builder, origin, published_hash, published, shape):
    """A file at the published address with another hash is refused, and nothing is cached."""
    import pytest

    published.publish(origin, b"not the published file", rehash=False)
    with pytest.raises(ValueError, match=published_hash):
        heft_builder(include_top=False, input_shape=shape)
    models = os.path.join(os.environ["KERAS_HOME"], "models")
    assert not os.path.isdir(models) or os.listdir(models) == []


def check_keras_archive(heft_builder, tmp_path, shape, **kwargs):
    """heft's model saved to ``.keras`` loads in Keras, with the same layers and outputs."""
    fresh_names()
    model = heft_builder(weights=None, input_shape=shape, **kwargs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert_same_structure(loaded, model, full_paths=False)
    assert_same_weights(loaded, model)
    x = images((2, *shape))
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-4, rtol=0
    )


def check_refusals(keras_builder, heft_builder, tmp_path, shape, model_name, min_size):
    """A file of another architecture or another ``include_top``, ImageNet with other
    classes, and an input below ``min_size``: each refused with a clear error."""
    import re

    import pytest

    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    path = str(tmp_path / "other.weights.h5")
    other.save_weights(path)
    with pytest.raises(ValueError, match=rf"other\.weights\.h5.*does not fit {model_name}"):
        heft_builder(weights=path, input_shape=shape, classes=2)

    fresh_names()
    notop = keras_builder(weights=None, include_top=False, input_shape=shape)
    _, legacy = write_weight_files(notop, tmp_path, "notop")
    with pytest.raises(ValueError, match=r"notop\.h5.*another `include_top`"):
        heft_builder(weights=legacy, input_shape=shape, classes=1000)

    with pytest.raises(ValueError, match=r"`classes` must be 1000.*Received: classes=10"):
        heft_builder(weights="imagenet", classes=10)

    small = (min_size - 1, min_size + 8, 3)
    with pytest.raises(
        ValueError, match=rf"at least {min_size}x{min_size}.*{re.escape(str(small))}"
    ):
        heft_builder(weights=None, include_top=False, input_shape=small)
