"""heft.applications.densenet beside keras.applications.densenet: layers, files, outputs."""

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import densenet as keras_densenet

from heft.applications import densenet

_SPEC = importlib.util.spec_from_file_location(
    "keras_applications_support",
    pathlib.Path(__file__).with_name("keras_applications_support.py"),
)
support = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(support)

SHAPE = (32, 32, 3)  # the smallest input DenseNet takes
BASE = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
NOTOP = BASE + "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5"


@pytest.fixture(autouse=True)
def _cheap_keras_init(monkeypatch):
    support.cheap_keras_init(monkeypatch)


def builders(name):
    return getattr(keras.applications, name), getattr(densenet, name)


def test_densenet121_with_classifier_matches_keras(tmp_path):
    support.check_against_keras(*builders("DenseNet121"), tmp_path, SHAPE, classes=5)


def test_densenet121_features_with_pooling_match_keras(tmp_path):
    support.check_against_keras(
        *builders("DenseNet121"), tmp_path, SHAPE, predict=False, include_top=False, pooling="avg"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["DenseNet169", "DenseNet201"])
def test_deeper_densenets_match_keras(name, tmp_path):
    support.check_against_keras(*builders(name), tmp_path, SHAPE, classes=3)
    support.check_against_keras(
        *builders(name), tmp_path, SHAPE, predict=False, include_top=False, pooling="max"
    )


def test_imagenet_weights_download_once_and_match_keras(tmp_path, published, monkeypatch):
    support.check_imagenet_download(
        *builders("DenseNet121"), keras_densenet, NOTOP, tmp_path, published, monkeypatch, SHAPE
    )


def test_imagenet_weights_with_another_hash_are_refused(published):
    support.check_hash_refusal(
        densenet.DenseNet121, NOTOP, "30ee3e1110167f948a6b9946edeeb738", published, SHAPE
    )


@pytest.mark.slow
def test_heft_model_saved_as_keras_archive_loads_in_keras(tmp_path):
    support.check_keras_archive(densenet.DenseNet121, tmp_path, SHAPE, classes=4)


def test_preprocess_input_is_kerass():
    x = support.images((2, 5, 5, 3))
    np.testing.assert_allclose(
        densenet.preprocess_input(x), keras_densenet.preprocess_input(x.copy()), rtol=1e-6
    )


def test_bad_input_is_refused(tmp_path):
    support.check_refusals(*builders("DenseNet121"), tmp_path, SHAPE, "densenet121", 32)


def test_channels_first_is_refused(monkeypatch):
    from heft.applications import _densenet

    monkeypatch.setattr(_densenet, "image_data_format", lambda: "channels_first")
    with pytest.raises(ValueError, match="'channels_last' image data format only"):
        densenet.DenseNet121(weights=None)
