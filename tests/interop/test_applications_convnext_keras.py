"""heft.applications.convnext beside keras.applications.convnext: layers, files, outputs."""

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import convnext as keras_convnext

from heft.applications import convnext

_SPEC = importlib.util.spec_from_file_location(
    "keras_applications_support",
    pathlib.Path(__file__).with_name("keras_applications_support.py"),
)
support = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(support)

SHAPE = (32, 32, 3)  # the smallest input ConvNeXt takes
BASE = "https://storage.googleapis.com/tensorflow/keras-applications/convnext/"
NOTOP = BASE + "convnext_tiny_notop.h5"


@pytest.fixture(autouse=True)
def _cheap_keras_init(monkeypatch):
    support.cheap_keras_init(monkeypatch)


def builders(name):
    return getattr(keras.applications, name), getattr(convnext, name)


def test_convnext_tiny_with_classifier_matches_keras(tmp_path):
    support.check_against_keras(*builders("ConvNeXtTiny"), tmp_path, SHAPE, classes=5)


def test_convnext_tiny_features_with_pooling_match_keras(tmp_path):
    support.check_against_keras(
        *builders("ConvNeXtTiny"), tmp_path, SHAPE, predict=False, include_top=False, pooling="avg"
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "name", ["ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge", "ConvNeXtXLarge"]
)
def test_larger_convnexts_match_keras(name, tmp_path):
    support.check_against_keras(*builders(name), tmp_path, SHAPE, classes=3)
    support.check_against_keras(
        *builders(name), tmp_path, SHAPE, predict=False, include_top=False, pooling="max"
    )


def test_imagenet_weights_download_once_and_match_keras(tmp_path, published, monkeypatch):
    support.check_imagenet_download(
        *builders("ConvNeXtTiny"), keras_convnext, NOTOP, tmp_path, published, monkeypatch, SHAPE
    )


def test_imagenet_weights_with_another_hash_are_refused(published):
    support.check_hash_refusal(
        convnext.ConvNeXtTiny,
        NOTOP,
        "d547c096cabd03329d7be5562c5e14798aa39ed24b474157cef5e85ab9e49ef1",
        published,
        SHAPE,
    )


def test_heft_model_saved_as_keras_archive_loads_in_keras(tmp_path):
    support.check_keras_archive(convnext.ConvNeXtTiny, tmp_path, SHAPE, classes=4)


def test_preprocess_input_is_kerass():
    x = support.images((2, 5, 5, 3))
    assert convnext.preprocess_input(x) is x
    np.testing.assert_array_equal(convnext.preprocess_input(x), keras_convnext.preprocess_input(x))


def test_imagenet_weights_need_the_variant_in_the_name():
    with pytest.raises(ValueError, match=r"must contain 'convnext_tiny'.*name='my_model'"):
        convnext.ConvNeXtTiny(weights="imagenet", include_top=False, name="my_model")


def test_bad_input_is_refused(tmp_path):
    support.check_refusals(*builders("ConvNeXtTiny"), tmp_path, SHAPE, "convnext_tiny", 32)


def test_channels_first_is_refused(monkeypatch):
    from heft.applications import _convnext

    monkeypatch.setattr(_convnext, "image_data_format", lambda: "channels_first")
    with pytest.raises(ValueError, match="'channels_last' image data format only"):
        convnext.ConvNeXtTiny(weights=None)
