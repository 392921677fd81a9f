"""VGG16 and VGG19 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _vgg, vgg16

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (32, 32, 3)
NOTOP = {"include_top": False, "pooling": "max"}


@pytest.fixture(scope="module")
def rep_notop(tmp_path_factory):
    """Keras's VGG16 without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair("VGG16", SHAPE, tmp_path_factory.mktemp("vgg16"), **NOTOP)


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.usefixtures("_numpy_initializers")
def test_vgg16_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(rep_notop, tmp_path):
    theirs, new, old = rep_notop
    check.fresh_names()
    ours = applications.VGG16(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = vgg16.VGG16(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param("VGG19", {"include_top": False, "pooling": "avg"}, marks=pytest.mark.slow),
        pytest.param("VGG16", {"include_top": True, "classes": 5}, marks=pytest.mark.slow),
        pytest.param("VGG19", {"include_top": True, "classes": 5}, marks=pytest.mark.slow),
    ],
)
def test_vgg_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    shape = kwargs.pop("input_shape", SHAPE)
    check.assert_loads_keras_files(applications, name, shape, tmp_path, **kwargs)


def test_vgg16_imagenet_weights_download_once_into_the_cache(published, rep_notop):
    theirs, _, old = rep_notop
    origin = _vgg.weight_file("vgg16", include_top=False).origin
    check.assert_imagenet_download(published, vgg16, "VGG16", origin, old, theirs, SHAPE, **NOTOP)


def test_vgg16_refuses_a_download_with_another_hash(published, rep_notop):
    origin = _vgg.weight_file("vgg16", include_top=False).origin
    check.assert_refuses_another_hash(
        published, applications, "VGG16", origin, rep_notop[2], SHAPE, **NOTOP
    )


def test_published_vgg_files_are_keras_s():
    expected = check.published_files()
    for include_top in (True, False):
        key = "top" if include_top else "notop"
        check.assert_published(_vgg.weight_file("vgg16", include_top), expected[f"VGG16/{key}"])
        check.assert_published(_vgg.weight_file("vgg19", include_top), expected[f"VGG19/{key}"])


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        vgg16.preprocess_input, keras.applications.vgg16.preprocess_input
    )
    assert vgg16.decode_predictions is applications.imagenet_utils.decode_predictions


def test_vgg_refuses_a_file_of_another_architecture_or_top(rep_notop):
    _, new, old = rep_notop
    with pytest.raises(ValueError, match=r"vgg16\.h5' does not fit vgg19"):
        applications.VGG19(weights=old, input_shape=SHAPE, **NOTOP)
    with pytest.raises(ValueError, match=r"does not fit vgg16 .*another `include_top`"):
        applications.VGG16(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (32, 16, 3)}, "at least 32x32"),
        ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"\(224, 224, 3\)"),
    ],
)
def test_vgg_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.VGG16(**kwargs)
