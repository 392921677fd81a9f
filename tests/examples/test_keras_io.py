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


# Each program trains a real model in its own process. The quickest (under 5 s of
# training on two cores) run by default; the rest with `-m slow` or `run.py`.
QUICK = frozenset(
    "antirectifier endpoint_layer_pattern imbalanced_classification lstm_text_generation "
    "making_new_layers masking_and_padding sequential_model serialization_and_saving "
    "timeseries_classification timeseries_weather_forecasting training_loop_jax "
    "working_with_rnns".split()
)


@pytest.mark.parametrize(
    "name",
    [n if n in QUICK else pytest.param(n, marks=pytest.mark.slow) for n in runner.programs()],
)
def test_program_runs_on_heft_with_keras_layout(name: str) -> None:
    result = runner.run(name, "heft")
    problem = runner.compare(result, {"models": RECORDED.get(name, {})})
    assert problem is None, problem
