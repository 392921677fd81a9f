"""InceptionResNetV2 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import pytest

from heft import applications
from heft.applications import _inception_resnet_v2, inception_resnet_v2

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (75, 75, 3)
NOTOP = {"include_top": False, "pooling": "avg"}


@pytest.fixture(scope="module")
def rep_notop(tmp_path_factory):
    """Keras's InceptionResNetV2 without its classifier, random, and its two weight files."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        check.numpy_initializers(monkeypatch)
        return check.build_pair(
            "InceptionResNetV2", SHAPE, tmp_path_factory.mktemp("inception_resnet_v2"), **NOTOP
        )


@pytest.fixture
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.slow
@pytest.mark.usefixtures("_numpy_initializers")
def test_inceptionresnetv2_loads_keras_files_predicts_as_keras_and_saves_a_keras_archive(
    rep_notop, tmp_path
):
    theirs, new, old = rep_notop
    check.fresh_names()
    ours = applications.InceptionResNetV2(weights=old, input_shape=SHAPE, **NOTOP)
    check.assert_same_weights(theirs, ours)
    check.fresh_names()
    ours = inception_resnet_v2.InceptionResNetV2(weights=new, input_shape=SHAPE, **NOTOP)
    x = check.images(SHAPE)
    check.assert_same_model(theirs, ours, x)
    check.assert_keras_loads_heft_archive(ours, tmp_path, x)


@pytest.mark.usefixtures("_numpy_initializers")
@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        pytest.param(
            "InceptionResNetV2", {"include_top": True, "classes": 5}, marks=pytest.mark.slow
        ),
    ],
)
def test_inception_resnet_v2_loads_keras_weight_files_and_predicts_as_keras(name, kwargs, tmp_path):
    shape = kwargs.pop("input_shape", SHAPE)
    check.assert_loads_keras_files(applications, name, shape, tmp_path, **kwargs)


@pytest.mark.slow
def test_inceptionresnetv2_imagenet_weights_download_once_into_the_cache(published, rep_notop):
    theirs, _, old = rep_notop
    origin = _inception_resnet_v2._NOTOP.origin
    check.assert_imagenet_download(
        published, inception_resnet_v2, "InceptionResNetV2", origin, old, theirs, SHAPE, **NOTOP
    )


@pytest.mark.slow
def test_inceptionresnetv2_refuses_a_download_with_another_hash(published, rep_notop):
    origin = _inception_resnet_v2._NOTOP.origin
    check.assert_refuses_another_hash(
        published, applications, "InceptionResNetV2", origin, rep_notop[2], SHAPE, **NOTOP
    )


def test_published_inception_resnet_v2_files_are_keras_s():
    expected = check.published_files()
    for include_top in (True, False):
        key = "top" if include_top else "notop"
        check.assert_published(
            _inception_resnet_v2._TOP if include_top else _inception_resnet_v2._NOTOP,
            expected[f"InceptionResNetV2/{key}"],
        )


def test_preprocess_input_matches_keras():
    check.assert_same_preprocessing(
        inception_resnet_v2.preprocess_input,
        keras.applications.inception_resnet_v2.preprocess_input,
    )
    assert inception_resnet_v2.decode_predictions is applications.imagenet_utils.decode_predictions


@pytest.mark.slow
def test_inception_resnet_v2_refuses_a_file_of_another_architecture_or_top(rep_notop):
    _, new, old = rep_notop
    with pytest.raises(ValueError, match=r"inception_resnet_v2\.h5' does not fit inception_v3"):
        applications.InceptionV3(weights=old, input_shape=SHAPE, **NOTOP)
    with pytest.raises(
        ValueError, match=r"does not fit inception_resnet_v2 .*another `include_top`"
    ):
        applications.InceptionResNetV2(weights=new, input_shape=SHAPE, include_top=True, classes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"weights": "imagenet", "classes": 10}, r"`classes` must be 1000.*classes=10"),
        ({"weights": None, "include_top": False, "input_shape": (74, 75, 3)}, "at least 75x75"),
        ({"weights": "imagenet", "input_shape": (224, 224, 3)}, r"\(299, 299, 3\)"),
    ],
)
def test_inception_resnet_v2_refuses_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.InceptionResNetV2(**kwargs)


def test_keras_s_custom_scale_layer_loads_from_a_keras_archive_into_heft(tmp_path):
    import numpy as np
    from keras.src.applications.inception_resnet_v2 import CustomScaleLayer

    import heft
    from heft.applications import _inception_resnet_v2

    inputs = keras.Input((3,))
    outputs = CustomScaleLayer(0.2)([inputs, keras.layers.Dense(3)(inputs)])
    theirs = keras.Model(inputs, outputs)
    path = tmp_path / "scaled.keras"
    theirs.save(path)
    ours = heft.saving.load_model(path)
    assert type(ours.layers[-1]) is _inception_resnet_v2.CustomScaleLayer
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-6)
