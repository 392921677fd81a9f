"""The interop tests need the real Keras 3: without it the run fails unless explicitly waived."""

import importlib.util
import os

import pytest

WAIVER = "HEFT_TESTS_WITHOUT_KERAS"


def keras_missing_message(waiver_value: str | None) -> str | None:
    """Why the run must stop when Keras is not installed, or None when the waiver is set."""
    if waiver_value == "1":
        return None
    return (
        "The interop tests compare heft with the real Keras 3, which is not installed "
        f"({WAIVER}={waiver_value!r}). Install the test extra: pip install '.[test]'. "
        f"To run the other tests without them, set {WAIVER}=1."
    )


if importlib.util.find_spec("keras") is None:
    message = keras_missing_message(os.environ.get(WAIVER))
    if message is not None:
        raise pytest.UsageError(message)
    collect_ignore_glob = ["test_*.py"]
