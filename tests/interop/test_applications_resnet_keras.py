"""ResNet and ResNetV2 of heft.applications against Keras's: layers, weight files, outputs."""

from __future__ import annotations

import importlib.util
import os
import pathlib

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

from heft import applications
from heft.applications import resnet, resnet50, resnet_v2

_SPEC = importlib.util.spec_from_file_location(
    "applications_check", pathlib.Path(__file__).with_name("applications_check.py")
)
check = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(check)

SHAPE = (32, 32, 3)


@pytest.fixture(autouse=True)
def _numpy_initializers(monkeypatch):
    check.numpy_initializers(monkeypatch)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ResNet50", {"include_top": False, "pooling": "avg"}),
        pytest.param("ResNet50", {"include_top": True, "classes": 7}, marks=pytest.mark.slow),
        ("ResNet50V2", {"include_top": True, "classes": 7, "classifier_activation": None}),
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
