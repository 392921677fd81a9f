"""A missing Keras stops the run with a message, unless HEFT_TESTS_WITHOUT_KERAS=1 waives it."""

import importlib.util
import pathlib

_SPEC = importlib.util.spec_from_file_location(
    "interop_conftest", pathlib.Path(__file__).with_name("conftest.py")
)
interop_conftest = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(interop_conftest)


def test_keras_required_message_says_how_to_install_or_waive():
    message = interop_conftest.keras_missing_message(None)
    assert "which is not installed (HEFT_TESTS_WITHOUT_KERAS=None)" in message
    assert "pip install '.[test]'" in message
    assert "set HEFT_TESTS_WITHOUT_KERAS=1" in message
    assert "HEFT_TESTS_WITHOUT_KERAS='0'" in interop_conftest.keras_missing_message("0")


def test_keras_required_waiver_lets_the_run_go_on():
    assert interop_conftest.keras_missing_message("1") is None
