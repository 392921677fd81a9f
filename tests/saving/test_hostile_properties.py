"""Generated hostile variants of every weight-file format (see hostile_child.py).

Each format's variants run in one subprocess under an address-space limit and
a timeout: a hang, an abort or runaway memory fails the test instead of CI.
"""

import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@pytest.mark.parametrize("suffix", ["weights.h5", "h5", "safetensors", "weights.json", "keras"])
def test_hostile_variants_load_exactly_or_raise_the_documented_error(suffix):
    env = dict(os.environ, PYTHONPATH=ROOT, JAX_PLATFORMS="cpu")
    result = subprocess.run(
        [sys.executable, os.path.join(HERE, "hostile_child.py"), suffix, "40", "4096"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert f"ok {suffix} 40" in result.stdout
