"""MobileNetV3Small and MobileNetV3Large of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _mobilenet_v3, mobilenet_v3

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (32, 32, 3)
NOTOP = {"include_top": False, "pooling": "avg"}


@pytest.fixture(scope="module")
def rep_notop(tmp_path_factory):
    """Keras's MobileNetV3Small without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair(
            "MobileNetV3Small", SHAPE, tmp_path_factory.mktemp("mobilenet_v3"), **NOTOP
        )


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.usefixtures("_numpy_initializers")
def test_mobilenetv3small_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(
    rep_notop, tmp_path
):
    theirs, new, old = rep_notop
    check.fresh_names()
    ours = applications.MobileNetV3Small(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = applications.MobileNetV3Small(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param(
            "MobileNetV3Large", {"include_top": True, "classes": 5}, marks=pytest.mark.slow
        ),
        pytest.param(
            "MobileNetV3Small",
            {
                "include_top": True,
                "classes": 5,
                "minimalistic": True,
                "include_preprocessing": False,
            },
            marks=pytest.mark.slow,
        ),
        pytest.param(
            "MobileNetV3Large",
            {"include_top": False, "alpha": 0.75, "minimalistic": True},
            marks=pytest.mark.slow,
        ),
    ],
)
def test_mobilenet_v3_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    shape = kwargs.pop("input_shape", SHAPE)
    check.assert_loads_keras_files(applications, name, shape, tmp_path, **kwargs)


def test_mobilenetv3small_imagenet_weights_download_once_into_the_cache(published, rep_notop):
    theirs, _, old = rep_notop
    origin = _mobilenet_v3.weight_file("small", False, 1.0, include_top=False).origin
    check.assert_imagenet_download(
        published,
        applications,
        "MobileNetV3Small",
        origin,
        old,
        theirs,
        SHAPE,
        warns="224x224",
        **NOTOP,
    )


def test_mobilenetv3small_refuses_a_download_with_another_hash(published, rep_notop):
    origin = _mobilenet_v3.weight_file("small", False, 1.0, include_top=False).origin
    check.assert_refuses_another_hash(
        published,
        applications,
        "MobileNetV3Small",
        origin,
        rep_notop[2],
        SHAPE,
        warns="224x224",
        **NOTOP,
    )


def test_published_mobilenet_v3_files_are_keras_s():
    expected = check.published_files()
    for include_top in (True, False):
        key = "top" if include_top else "notop"
        check.assert_published(
            _mobilenet_v3.weight_file("small", False, 1.0, include_top),
            expected[f"MobileNetV3Small/{key}"],
        )
        check.assert_published(
            _mobilenet_v3.weight_file("large", False, 1.0, include_top),
            expected[f"MobileNetV3Large/{key}"],
        )


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        mobilenet_v3.preprocess_input, keras.applications.mobilenet_v3.preprocess_input
    )
    assert mobilenet_v3.decode_predictions is applications.imagenet_utils.decode_predictions


def test_mobilenet_v3_refuses_a_file_of_another_architecture_or_top(rep_notop):
    _, new, old = rep_notop
    with pytest.raises(ValueError, match=r"MobileNetV3Small\.h5' does not fit MobileNetV3Large"):
        applications.MobileNetV3Large(weights=old, input_shape=SHAPE, **NOTOP)
    with pytest.raises(ValueError, match=r"does not fit MobileNetV3Small .*another `include_top`"):
        applications.MobileNetV3Small(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (31, 64, 3)}, "at least 32x32"),
        ({"weights": "imagenet", "alpha": 0.5}, r"alpha 0.75 or 1.0"),
    ],
)
def test_mobilenet_v3_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.MobileNetV3Small(**kwargs)
