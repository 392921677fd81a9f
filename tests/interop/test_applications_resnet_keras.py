"""ResNet and ResNetV2 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _resnet, resnet, resnet50, resnet_v2

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (32, 32, 3)
NOTOP = {"include_top": False, "pooling": "avg"}


@pytest.fixture(scope="module")
def resnet50_notop(tmp_path_factory):
    """Keras's ResNet50 without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair("ResNet50", SHAPE, tmp_path_factory.mktemp("resnet50"), **NOTOP)


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.usefixtures("_numpy_initializers")
def test_resnet50_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(
    resnet50_notop, tmp_path
):
    theirs, new, old = resnet50_notop
    check.fresh_names()
    ours = applications.ResNet50(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = resnet50.ResNet50(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param(
            "ResNet50V2",
            {"include_top": True, "classes": 7, "classifier_activation": None},
            marks=pytest.mark.slow,
        ),
        pytest.param("ResNet50", {"include_top": True, "classes": 7}, marks=pytest.mark.slow),
        pytest.param(
            "ResNet50V2", {"include_top": False, "pooling": "max"}, marks=pytest.mark.slow
        ),
        pytest.param("ResNet101", {"include_top": False, "pooling": "avg"}, marks=pytest.mark.slow),
        pytest.param("ResNet152", {"include_top": False}, marks=pytest.mark.slow),
        pytest.param(
            "ResNet101V2", {"include_top": False, "pooling": "avg"}, marks=pytest.mark.slow
        ),
        pytest.param("ResNet152V2", {"include_top": False}, marks=pytest.mark.slow),
    ],
)
def test_resnet_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    check.assert_loads_keras_files(applications, name, SHAPE, tmp_path, **kwargs)


@pytest.mark.slow
def test_resnet50_imagenet_weights_download_once_into_the_cache(published, resnet50_notop):
    theirs, _, old = resnet50_notop
    origin = _resnet.weight_file("resnet50", include_top=False).origin
    assert origin == (
        "https://storage.googleapis.com/tensorflow/keras-applications/resnet/"
        "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5"
    )
    check.assert_imagenet_download(
        published, resnet, "ResNet50", origin, old, theirs, SHAPE, **NOTOP
    )


@pytest.mark.slow
def test_resnet50_refuses_a_download_with_another_hash(published, resnet50_notop):
    origin = _resnet.weight_file("resnet50", include_top=False).origin
    check.assert_refuses_another_hash(
        published, applications, "ResNet50", origin, resnet50_notop[2], SHAPE, **NOTOP
    )


def test_published_resnet_files_are_keras_s():
    expected = check.published_files()
    for title in ("ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2"):
        for include_top in (True, False):
            got = _resnet.weight_file(title.lower(), include_top)
            check.assert_published(got, expected[f"{title}/{'top' if include_top else 'notop'}"])


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        resnet.preprocess_input, keras.applications.resnet.preprocess_input
    )
    check.assert_same_preprocessing(
        resnet50.preprocess_input, keras.applications.resnet50.preprocess_input
    )
    check.assert_same_preprocessing(
        resnet_v2.preprocess_input, keras.applications.resnet_v2.preprocess_input
    )
    assert resnet_v2.decode_predictions is resnet.decode_predictions


def test_resnet_refuses_a_file_of_another_architecture_or_top(resnet50_notop, tmp_path):
    _, new, old = resnet50_notop
    with pytest.raises(ValueError, match=r"resnet50\.h5' does not fit resnet50v2"):
        applications.ResNet50V2(weights=old, input_shape=SHAPE, **NOTOP)
    with pytest.raises(ValueError, match=r"does not fit resnet50 .*another `include_top`"):
        applications.ResNet50(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (31, 40, 3)}, "at least 32x32"),
        ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"\(224, 224, 3\)"),
        ({"weights": "resnet50.h5"}, "not a file"),
    ],
)
def test_resnet_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.ResNet50(**kwargs)
