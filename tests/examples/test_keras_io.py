"""The Keras-guide programs of examples/keras_io run on heft with Keras's weight layout.

Each program runs in its own process with ``keras`` resolving to heft; its models'
weight layouts (paths, shapes, dtypes, trainability, in order) must equal the ones
recorded from a run on Keras 3 (``examples/keras_io/layouts.json``, written by
``run.py --record``).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

FOLDER = Path(__file__).resolve().parents[2] / "examples" / "keras_io"
_spec = importlib.util.spec_from_file_location("keras_io_runner", FOLDER / "run.py")
assert _spec is not None and _spec.loader is not None
runner = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(runner)

RECORDED = json.loads((FOLDER / "layouts.json").read_text())


def test_every_program_has_a_recorded_layout() -> None:
    assert sorted(RECORDED) == runner.programs()


# Each program trains a real model in its own process (10-60 s each on two cores), so
# the whole set runs on demand (`-m slow`, or `python examples/keras_io/run.py`).
@pytest.mark.slow
@pytest.mark.parametrize("name", runner.programs())
def test_program_runs_on_heft_with_keras_layout(name: str) -> None:
    result = runner.run(name, "heft")
    problem = runner.compare(result, {"models": RECORDED.get(name, {})})
    assert problem is None, problem
