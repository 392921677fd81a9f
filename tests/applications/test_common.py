"""The shared argument checks and weight loading of heft.applications, on a toy application."""

from __future__ import annotations

import os

import numpy as np
import pytest

import heft
from heft.applications import _common

ORIGIN = "https://storage.googleapis.com/tensorflow/keras-applications/toy/toy.h5"


def toy(weights=None, filters=2, pretrained=None):
    """A minimal application built the way every application is."""
    _common.check_weights(weights, include_top=False, classes=1000)
    img_input = _common.image_input(None, (4, 4, 3))
    x = heft.layers.Conv2D(filters, 3, name="conv")(img_input)
    return _common.build_model(None, img_input, x, "toy", weights, pretrained)


def test_check_weights_refuses_a_path_that_is_not_a_file(tmp_path):
    with pytest.raises(ValueError, match=r"path of an existing weights file.*missing\.h5"):
        _common.check_weights(str(tmp_path / "missing.h5"), include_top=False, classes=1000)


def test_check_weights_refuses_other_classes_with_the_imagenet_classifier():
    with pytest.raises(ValueError, match=r"classes=10.*include_top=False"):
        _common.check_weights("imagenet", include_top=True, classes=10)
    _common.check_weights("imagenet", include_top=False, classes=10)


def test_weights_path_loads_any_format(tmp_path):
    source = toy()
    for name in ("w.weights.h5", "w.h5", "w.safetensors"):
        source.save_weights(str(tmp_path / name))
        loaded = toy(weights=str(tmp_path / name))
        np.testing.assert_array_equal(loaded.get_weights()[0], source.get_weights()[0])


def test_weights_of_another_model_are_refused_naming_the_file(tmp_path):
    path = str(tmp_path / "other.weights.h5")
    toy(filters=5).save_weights(path)
    with pytest.raises(ValueError, match=r"other\.weights\.h5' does not fit toy"):
        toy(weights=path)


def test_imagenet_weights_download_once_into_the_models_cache(published, tmp_path):
    source = toy()
    source.save_weights(str(tmp_path / "toy.h5"))
    name = published.publish(ORIGIN, (tmp_path / "toy.h5").read_bytes())
    pretrained = _common.WeightFile("toy.h5", ORIGIN, "0" * 32)
    for _ in range(2):
        model = toy(weights="imagenet", pretrained=pretrained)
        np.testing.assert_array_equal(model.get_weights()[0], source.get_weights()[0])
    assert published.server.hits[name] == 1
    assert os.path.isfile(os.path.join(os.environ["KERAS_HOME"], "models", "toy.h5"))


def test_imagenet_weights_with_another_hash_are_refused_and_not_cached(published, tmp_path):
    toy().save_weights(str(tmp_path / "toy.h5"))
    published.publish(ORIGIN, (tmp_path / "toy.h5").read_bytes(), rehash=False)
    pretrained = _common.WeightFile("toy.h5", ORIGIN, "0" * 32)
    with pytest.raises(ValueError, match="hash"):
        toy(weights="imagenet", pretrained=pretrained)
    assert os.listdir(os.path.join(os.environ["KERAS_HOME"], "models")) == []


def test_interrupted_download_leaves_no_partial_file(published, tmp_path):
    toy().save_weights(str(tmp_path / "toy.h5"))
    name = published.publish(ORIGIN, (tmp_path / "toy.h5").read_bytes())
    published.server.broken.add(name)
    with pytest.raises(Exception, match="toy"):
        toy(weights="imagenet", pretrained=_common.WeightFile("toy.h5", ORIGIN, None))
    assert os.listdir(os.path.join(os.environ["KERAS_HOME"], "models")) == []


def test_imagenet_without_published_weights_says_so():
    with pytest.raises(ValueError, match="No ImageNet weights are published for toy"):
        toy(weights="imagenet")
