"""InceptionV3 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _inception_v3, inception_v3

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (75, 75, 3)
NOTOP = {"include_top": False, "pooling": "avg"}


@pytest.fixture(scope="module")
def rep_notop(tmp_path_factory):
    """Keras's InceptionV3 without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair(
            "InceptionV3", SHAPE, tmp_path_factory.mktemp("inception_v3"), **NOTOP
        )


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.usefixtures("_numpy_initializers")
def test_inceptionv3_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(
    rep_notop, tmp_path
):
    theirs, new, old = rep_notop
    check.fresh_names()
    ours = applications.InceptionV3(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = inception_v3.InceptionV3(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param("InceptionV3", {"include_top": True, "classes": 5}, marks=pytest.mark.slow),
    ],
)
def test_inception_v3_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    shape = kwargs.pop("input_shape", SHAPE)
    check.assert_loads_keras_files(applications, name, shape, tmp_path, **kwargs)


@pytest.mark.slow
def test_inceptionv3_imagenet_weights_download_once_into_the_cache(published, rep_notop):
    theirs, _, old = rep_notop
    origin = _inception_v3._NOTOP.origin
    check.assert_imagenet_download(
        published, inception_v3, "InceptionV3", origin, old, theirs, SHAPE, **NOTOP
    )


@pytest.mark.slow
def test_inceptionv3_refuses_a_download_with_another_hash(published, rep_notop):
    origin = _inception_v3._NOTOP.origin
    check.assert_refuses_another_hash(
        published, applications, "InceptionV3", origin, rep_notop[2], SHAPE, **NOTOP
    )


def test_published_inception_v3_files_are_keras_s():
    expected = check.published_files()
    for include_top in (True, False):
        key = "top" if include_top else "notop"
        check.assert_published(
            _inception_v3._TOP if include_top else _inception_v3._NOTOP,
            expected[f"InceptionV3/{key}"],
        )


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        inception_v3.preprocess_input, keras.applications.inception_v3.preprocess_input
    )
    assert inception_v3.decode_predictions is applications.imagenet_utils.decode_predictions


@pytest.mark.slow
def test_inception_v3_refuses_a_file_of_another_architecture_or_top(rep_notop):
    _, new, old = rep_notop
    with pytest.raises(ValueError, match=r"inception_v3\.h5' does not fit xception"):
        applications.Xception(weights=old, input_shape=SHAPE, **NOTOP)
    with pytest.raises(ValueError, match=r"does not fit inception_v3 .*another `include_top`"):
        applications.InceptionV3(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (75, 74, 3)}, "at least 75x75"),
        ({"weights": "imagenet", "input_shape": (224, 224, 3)}, r"\(299, 299, 3\)"),
    ],
)
def test_inception_v3_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.InceptionV3(**kwargs)
