"""heft.applications.nasnet beside keras.applications.nasnet: layers, files, outputs."""

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import nasnet as keras_nasnet

from heft.applications import nasnet

_SPEC = importlib.util.spec_from_file_location(
    "keras_applications_support",
    pathlib.Path(__file__).with_name("keras_applications_support.py"),
)
support = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(support)

SHAPE = (32, 32, 3)  # the smallest input NASNet takes
BASE = "https://storage.googleapis.com/tensorflow/keras-applications/nasnet/"
NOTOP = BASE + "NASNet-mobile-no-top.h5"


@pytest.fixture(autouse=True)
def _cheap_keras_init(monkeypatch):
    support.cheap_keras_init(monkeypatch)


def builders(name):
    return getattr(keras.applications, name), getattr(nasnet, name)


@pytest.mark.slow
def test_nasnet_mobile_with_classifier_matches_keras(tmp_path):
    support.check_against_keras(*builders("NASNetMobile"), tmp_path, SHAPE, classes=5)


@pytest.mark.slow
def test_nasnet_mobile_features_with_pooling_match_keras(tmp_path):
    support.check_against_keras(
        *builders("NASNetMobile"), tmp_path, SHAPE, predict=False, include_top=False, pooling="avg"
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["NASNetLarge"])
def test_nasnet_large_matches_keras(name, tmp_path):
    support.check_against_keras(*builders(name), tmp_path, SHAPE, classes=3)
    support.check_against_keras(
        *builders(name), tmp_path, SHAPE, predict=False, include_top=False, pooling="max"
    )


def test_imagenet_weights_download_once_and_match_keras(tmp_path, published, monkeypatch):
    support.check_imagenet_download(
        *builders("NASNetMobile"),
        keras_nasnet,
        NOTOP,
        tmp_path,
        published,
        monkeypatch,
        SHAPE,
        fname="nasnet_mobile_no_top.h5",
    )


def test_imagenet_weights_with_another_hash_are_refused(published):
    support.check_hash_refusal(
        nasnet.NASNetMobile, NOTOP, "1ed92395b5b598bdda52abe5c0dbfd63", published, SHAPE
    )


@pytest.mark.slow
def test_heft_model_saved_as_keras_archive_loads_in_keras(tmp_path):
    support.check_keras_archive(nasnet.NASNetMobile, tmp_path, SHAPE, classes=4)


def test_preprocess_input_is_kerass():
    x = support.images((2, 5, 5, 3))
    np.testing.assert_allclose(
        nasnet.preprocess_input(x), keras_nasnet.preprocess_input(x.copy()), rtol=1e-6
    )


def test_bad_input_is_refused(tmp_path):
    support.check_refusals(*builders("NASNetMobile"), tmp_path, SHAPE, "nasnet_mobile", 32)


def test_channels_first_is_refused(monkeypatch):
    from heft.applications import _nasnet

    monkeypatch.setattr(_nasnet, "image_data_format", lambda: "channels_first")
    with pytest.raises(ValueError, match="'channels_last' image data format only"):
        nasnet.NASNetMobile(weights=None)
