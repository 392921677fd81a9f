"""heft.applications.efficientnet beside keras.applications.efficientnet: layers, files, outputs."""

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import efficientnet as keras_efficientnet

import heft
from heft.applications import efficientnet

_SPEC = importlib.util.spec_from_file_location(
    "keras_applications_support",
    pathlib.Path(__file__).with_name("keras_applications_support.py"),
)
support = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(support)

SHAPE = (32, 32, 3)  # the smallest input EfficientNet takes
NAMES = [f"EfficientNetB{i}" for i in range(8)]


@pytest.fixture(autouse=True)
def _cheap_keras_init(monkeypatch):
    support.cheap_keras_init(monkeypatch)


def builders(name):
    return getattr(keras.applications, name), getattr(efficientnet, name)


def test_efficientnetb0_with_classifier_matches_keras(tmp_path):
    support.check_against_keras(*builders("EfficientNetB0"), tmp_path, SHAPE, classes=5)


def test_efficientnetb0_features_with_pooling_match_keras(tmp_path):
    support.check_against_keras(
        *builders("EfficientNetB0"),
        tmp_path,
        SHAPE,
        predict=False,
        include_top=False,
        pooling="max",
    )


@pytest.mark.slow
def test_efficientnetb0_features_predict_as_keras(tmp_path):
    support.check_against_keras(
        *builders("EfficientNetB0"), tmp_path, SHAPE, include_top=False, pooling="avg"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES[1:])
def test_larger_efficientnets_match_keras(name, tmp_path):
    support.check_against_keras(*builders(name), tmp_path, SHAPE, classes=3)
    support.check_against_keras(
        *builders(name), tmp_path, SHAPE, predict=False, include_top=False, pooling="avg"
    )


def _published_notop(tmp_path):
    """Keras's B0 without classifier, its random weights served as the published file."""
    support.fresh_names()
    keras_model = keras.applications.EfficientNetB0(
        weights=None, include_top=False, input_shape=SHAPE
    )
    support.randomize(keras_model)
    data = support.legacy_bytes(keras_model, tmp_path, "published")
    origin = "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"
    return keras_model, data, origin


def test_imagenet_weights_download_once_and_match_keras(tmp_path, published, monkeypatch):
    _, data, origin = _published_notop(tmp_path)
    name = published.publish(origin, data)
    local = tmp_path / "keras_copy.h5"
    local.write_bytes(data)
    # Keras's own ImageNet model (with its extra input scaling) from the same bytes.
    monkeypatch.setattr(keras_efficientnet.file_utils, "get_file", lambda *a, **k: str(local))
    support.fresh_names()
    keras_model = keras.applications.EfficientNetB0(include_top=False, input_shape=SHAPE)
    heft_model = efficientnet.EfficientNetB0(include_top=False, input_shape=SHAPE)
    support.assert_same_structure(keras_model, heft_model)  # with the extra scaling layer
    support.assert_same_weights(keras_model, heft_model)
    cached = os.path.join(os.environ["KERAS_HOME"], "models", "efficientnetb0_notop.h5")
    assert os.path.isfile(cached)
    again = efficientnet.EfficientNetB0(include_top=False, input_shape=SHAPE)
    support.assert_same_weights(keras_model, again)
    assert published.server.hits[name] == 1


def test_imagenet_weights_with_another_hash_are_refused(published):
    origin = "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5"
    published.publish(origin, b"not the published file", rehash=False)
    with pytest.raises(ValueError, match="50bc09e76180e00e4465e1a485ddc09d"):
        efficientnet.EfficientNetB0(include_top=False, input_shape=SHAPE)
    models = os.path.join(os.environ["KERAS_HOME"], "models")
    assert not os.path.isdir(models) or os.listdir(models) == []


def test_heft_model_saved_as_keras_archive_loads_in_keras(tmp_path):
    support.fresh_names()
    model = efficientnet.EfficientNetB0(weights=None, input_shape=SHAPE, classes=4)
    path = str(tmp_path / "b0.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    support.assert_same_structure(loaded, model)
    x = support.images((2, *SHAPE))
    np.testing.assert_allclose(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-4, rtol=0
    )


def test_preprocess_input_and_decode_predictions_are_kerass():
    x = support.images((1, 4, 4, 3))
    assert efficientnet.preprocess_input(x) is x
    np.testing.assert_array_equal(
        efficientnet.preprocess_input(x), keras_efficientnet.preprocess_input(x)
    )
    assert efficientnet.decode_predictions is heft.applications.imagenet_utils.decode_predictions


def test_a_weights_file_of_another_architecture_is_refused(tmp_path):
    other = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="dense")])
    path = str(tmp_path / "other.weights.h5")
    other.save_weights(path)
    with pytest.raises(ValueError, match=r"other.weights.h5.*does not fit efficientnetb0"):
        efficientnet.EfficientNetB0(weights=path, input_shape=SHAPE, classes=2)


def test_a_weights_file_without_the_classifier_is_refused_by_the_full_model(tmp_path):
    support.fresh_names()
    keras_model = keras.applications.EfficientNetB0(
        weights=None, include_top=False, input_shape=SHAPE
    )
    _, legacy = support.write_weight_files(keras_model, tmp_path, "notop")
    with pytest.raises(ValueError, match=r"notop.h5.*another `include_top`"):
        efficientnet.EfficientNetB0(weights=legacy, input_shape=SHAPE, classes=1000)


def test_imagenet_weights_need_1000_classes_with_the_classifier():
    with pytest.raises(ValueError, match=r"`classes` must be 1000.*Received: classes=10"):
        efficientnet.EfficientNetB0(weights="imagenet", classes=10)


def test_an_input_smaller_than_32_pixels_is_refused():
    with pytest.raises(ValueError, match=r"at least 32x32.*input_shape=\(31, 40, 3\)"):
        efficientnet.EfficientNetB0(weights=None, include_top=False, input_shape=(31, 40, 3))
