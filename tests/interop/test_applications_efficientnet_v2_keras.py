"""heft.applications.efficientnet_v2 beside keras.applications.efficientnet_v2: layers, files, outputs."""

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest
from keras.src.applications import efficientnet_v2 as keras_efficientnet_v2

from heft.applications import efficientnet_v2

_SPEC = importlib.util.spec_from_file_location(
    "keras_applications_support",
    pathlib.Path(__file__).with_name("keras_applications_support.py"),
)
support = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(support)

SHAPE = (32, 32, 3)  # the smallest input EfficientNetV2 takes
BASE = "https://storage.googleapis.com/tensorflow/keras-applications/efficientnet_v2/"
NOTOP = BASE + "efficientnetv2-b0_notop.h5"


@pytest.fixture(autouse=True)
def _cheap_keras_init(monkeypatch):
    support.cheap_keras_init(monkeypatch)


def builders(name):
    return getattr(keras.applications, name), getattr(efficientnet_v2, name)


def test_efficientnetv2_b0_with_classifier_matches_keras(tmp_path):
    support.check_against_keras(*builders("EfficientNetV2B0"), tmp_path, SHAPE, classes=5)


def test_efficientnetv2_b0_features_with_pooling_match_keras(tmp_path):
    support.check_against_keras(
        *builders("EfficientNetV2B0"),
        tmp_path,
        SHAPE,
        predict=False,
        include_top=False,
        pooling="avg",
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    [
        "EfficientNetV2B1",
        "EfficientNetV2B2",
        "EfficientNetV2B3",
        "EfficientNetV2S",
        "EfficientNetV2M",
        "EfficientNetV2L",
    ],
)
def test_larger_efficientnet_v2s_match_keras(name, tmp_path):
    support.check_against_keras(*builders(name), tmp_path, SHAPE, classes=3)
    support.check_against_keras(
        *builders(name), tmp_path, SHAPE, predict=False, include_top=False, pooling="max"
    )


def test_imagenet_weights_download_once_and_match_keras(tmp_path, published, monkeypatch):
    support.check_imagenet_download(
        *builders("EfficientNetV2B0"),
        keras_efficientnet_v2,
        NOTOP,
        tmp_path,
        published,
        monkeypatch,
        SHAPE,
    )


def test_imagenet_weights_with_another_hash_are_refused(published):
    support.check_hash_refusal(
        efficientnet_v2.EfficientNetV2B0,
        NOTOP,
        "893217f2bb855e2983157299931e43ff",
        published,
        SHAPE,
    )


@pytest.mark.slow
def test_heft_model_saved_as_keras_archive_loads_in_keras(tmp_path):
    support.check_keras_archive(efficientnet_v2.EfficientNetV2B0, tmp_path, SHAPE, classes=4)


def test_preprocess_input_is_kerass():
    x = support.images((2, 5, 5, 3))
    assert efficientnet_v2.preprocess_input(x) is x
    np.testing.assert_array_equal(
        efficientnet_v2.preprocess_input(x), keras_efficientnet_v2.preprocess_input(x)
    )


def test_bad_input_is_refused(tmp_path):
    support.check_refusals(*builders("EfficientNetV2B0"), tmp_path, SHAPE, "efficientnetv2-b0", 32)
