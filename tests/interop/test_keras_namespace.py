"""Every public name of the installed Keras 3 exists in heft, module by module.

The list of Keras's names is read from the installed Keras, so a name Keras adds, or
one heft loses, fails here rather than in a user's program. Names that belong to
work outside this surface are listed in ``ELSEWHERE`` with the reason; the test also
fails when one of them appears in heft, so the list only shrinks.
"""

from __future__ import annotations

import importlib
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "jax")

MODULES = [
    "",
    "activations",
    "applications",
    "applications.convnext",
    "applications.densenet",
    "applications.efficientnet",
    "applications.efficientnet_v2",
    "applications.imagenet_utils",
    "applications.inception_resnet_v2",
    "applications.inception_v3",
    "applications.mobilenet",
    "applications.mobilenet_v2",
    "applications.mobilenet_v3",
    "applications.nasnet",
    "applications.resnet",
    "applications.resnet50",
    "applications.resnet_v2",
    "applications.vgg16",
    "applications.vgg19",
    "applications.xception",
    "backend",
    "callbacks",
    "config",
    "constraints",
    "datasets",
    "distillation",
    "export",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "ops",
    "ops.image",
    "ops.linalg",
    "ops.nn",
    "ops.numpy",
    "optimizers",
    "optimizers.schedules",
    "preprocessing",
    "random",
    "regularizers",
    "saving",
    "tree",
    "utils",
]

_PRECISION = "mixed precision (LossScaleOptimizer, policies) comes with the precision work"
_QUANTIZATION = "quantization comes with the quantization work"
ELSEWHERE: dict[tuple[str, str], str] = {
    ("", "mixed_precision"): _PRECISION,
    ("", "quantizers"): _QUANTIZATION,
    ("", "Quantizer"): _QUANTIZATION,
    ("", "distribution"): "jax.sharding-based distribution comes with the distribution work",
    ("", "src"): "Keras's private implementation package",
    ("optimizers", "LossScaleOptimizer"): _PRECISION,
    ("saving", "KerasFileEditor"): "the weight-file editor comes with the weight-tools work",
    ("callbacks", "OrbaxCheckpoint"): "Orbax checkpoints come with the distribution work",
}


def _public(module: object) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m or "keras")
def test_every_keras_name_exists_in_heft(module: str) -> None:
    keras_module = importlib.import_module("keras" + ("." + module if module else ""))
    heft_module = importlib.import_module("heft" + ("." + module if module else ""))
    missing = sorted(
        name
        for name in _public(keras_module) - set(dir(heft_module))
        if (module, name) not in ELSEWHERE
    )
    assert not missing, f"heft.{module or ''} lacks Keras's names: {missing}"


def test_names_kept_for_later_work_are_still_missing() -> None:
    present = [
        f"{module}.{name}".lstrip(".")
        for (module, name) in ELSEWHERE
        if hasattr(importlib.import_module("heft" + ("." + module if module else "")), name)
    ]
    assert not present, f"remove these from ELSEWHERE, heft has them now: {present}"
