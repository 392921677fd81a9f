"""MobileNetV2 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _mobilenet_v2, mobilenet_v2

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (32, 32, 3)
NOTOP = {"include_top": False, "pooling": "avg"}


@pytest.fixture(scope="module")
def rep_notop(tmp_path_factory):
    """Keras's MobileNetV2 without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair(
            "MobileNetV2", SHAPE, tmp_path_factory.mktemp("mobilenet_v2"), **NOTOP
        )


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.usefixtures("_numpy_initializers")
def test_mobilenetv2_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(
    rep_notop, tmp_path
):
    theirs, new, old = rep_notop
    check.fresh_names()
    ours = applications.MobileNetV2(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = mobilenet_v2.MobileNetV2(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param(
            "MobileNetV2",
            {"include_top": True, "classes": 5, "alpha": 1.4, "input_shape": (96, 96, 3)},
            marks=pytest.mark.slow,
        ),
        pytest.param("MobileNetV2", {"include_top": False, "alpha": 0.35}, marks=pytest.mark.slow),
    ],
)
def test_mobilenet_v2_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    shape = kwargs.pop("input_shape", SHAPE)
    check.assert_loads_keras_files(applications, name, shape, tmp_path, **kwargs)


def test_mobilenetv2_imagenet_weights_download_once_into_the_cache(published, rep_notop):
    theirs, _, old = rep_notop
    origin = _mobilenet_v2.weight_file(1.0, 224, include_top=False).origin
    check.assert_imagenet_download(
        published, mobilenet_v2, "MobileNetV2", origin, old, theirs, SHAPE, warns="224x224", **NOTOP
    )


def test_published_mobilenet_v2_files_are_keras_s():
    expected = check.published_files()
    for include_top in (True, False):
        key = "top" if include_top else "notop"
        check.assert_published(
            _mobilenet_v2.weight_file(1.0, 224, include_top), expected[f"MobileNetV2/{key}"]
        )


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        mobilenet_v2.preprocess_input, keras.applications.mobilenet_v2.preprocess_input
    )
    assert mobilenet_v2.decode_predictions is applications.imagenet_utils.decode_predictions


def test_mobilenet_v2_refuses_a_file_of_another_architecture_or_top(rep_notop):
    _, new, old = rep_notop
    with pytest.raises(
        ValueError, match=r"mobilenetv2_1\.00_32\.h5' does not fit mobilenetv2_0\.50_32"
    ):
        applications.MobileNetV2(weights=old, input_shape=SHAPE, **{"alpha": 0.5, **NOTOP})
    with pytest.raises(
        ValueError, match=r"does not fit mobilenetv2_1\.00_32 .*another `include_top`"
    ):
        applications.MobileNetV2(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (31, 31, 3)}, "at least 32x32"),
        ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"\(224, 224, 3\)"),
        ({"weights": "imagenet", "alpha": 0.6}, r"alpha 0.35, 0.5, 0.75, 1.0, 1.3"),
    ],
)
def test_mobilenet_v2_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.MobileNetV2(**kwargs)


@pytest.fixture
def _channels_first():
    import heft

    keras.config.set_image_data_format("channels_first")
    heft.config.set_image_data_format("channels_first")
    yield
    keras.config.set_image_data_format("channels_last")
    heft.config.set_image_data_format("channels_last")


@pytest.mark.usefixtures("_numpy_initializers", "_channels_first")
def test_mobilenetv2_channels_first_at_an_odd_size_predicts_as_keras(tmp_path):
    # 33x33 pads the strided depthwise convolutions unevenly (correct_pad).
    check.assert_loads_keras_files(
        applications, "MobileNetV2", (3, 33, 33), tmp_path, alpha=0.35, classes=3
    )
