"""examples/transfer_learning.py: the fine-tuning flow from a pretrained checkpoint, checked.

The whole flow compiles three training steps of MobileNetV2 (minutes of CPU on
XLA's CPU backend), so it runs with ``-m slow``; its Keras 3 run too.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import heft

PROGRAM = Path(__file__).resolve().parents[2] / "examples" / "transfer_learning.py"
_spec = importlib.util.spec_from_file_location("transfer_learning_example", PROGRAM)
assert _spec is not None and _spec.loader is not None
example = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(example)


def test_digits_are_upscaled_three_channel_images_in_minus_one_to_one() -> None:
    (x, y), (x_test, y_test) = example.load_digits(range(5, 10))
    assert x.shape[1:] == x_test.shape[1:] == (example.SIZE, example.SIZE, 3)
    assert x.dtype == np.float32 and x.min() == -1.0 and x.max() == 1.0
    assert sorted(set(y.tolist())) == sorted(set(y_test.tolist())) == [0, 1, 2, 3, 4]
    # Each 8x8 pixel became a 4x4 square, the same in the three channels.
    assert np.array_equal(x[:, ::4, ::4, 0], x[:, 3::4, 3::4, 2])
    (x_all, _), _ = heft.datasets.digits.load_data()
    assert len(x) + len(example.load_digits(range(0, 5))[0][0]) == len(x_all)


@pytest.mark.slow
def test_transfer_learning_flow_on_heft(tmp_path: Path) -> None:
    result = example.main(heft, str(tmp_path))
    model = result["model"]

    assert result["accuracy"] >= example.ACCURACY_BAR
    assert result["base_change_during_head_training"] == 0.0
    assert result["bn_change_during_fine_tuning"] == 0.0
    assert result["reload_difference"] <= 1e-6

    # Frozen from the first fit to the last, the BatchNormalization statistics still
    # equal the checkpoint's; the fine-tuned convolutions do not.
    pretrained = heft.applications.MobileNetV2(
        input_shape=(example.SIZE, example.SIZE, 3),
        alpha=0.35,
        include_top=False,
        weights=result["checkpoint"],
    )
    base = model.get_layer(pretrained.name)
    assert [w.path for w in base.weights] == [w.path for w in pretrained.weights]
    for mine, loaded in zip(
        example.bn_statistics(base), example.bn_statistics(pretrained), strict=True
    ):
        np.testing.assert_array_equal(mine, loaded)
    moved = [
        not np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(base.weights, pretrained.weights, strict=True)
    ]
    assert any(moved)

    # The saved archive, reloaded here, predicts what the model predicts.
    reloaded: Any = heft.models.load_model(result["saved"])
    np.testing.assert_allclose(
        reloaded.predict(result["x_test"], verbose=0),
        model.predict(result["x_test"], verbose=0),
        atol=1e-6,
    )


@pytest.mark.slow
def test_transfer_learning_program_runs_on_keras(tmp_path: Path) -> None:
    pytest.importorskip("keras")
    env = dict(os.environ, KERAS_BACKEND="jax")
    done = subprocess.run(
        [sys.executable, str(PROGRAM), "--backend", "keras"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "above the bar" in done.stdout
