import pytest

import heft
from heft import _safe_mode


def test_safe_mode_default_is_safe():
    assert heft.saving.in_safe_mode() is True


def test_safe_mode_scope_nests_and_restores():
    with heft.saving.SafeModeScope(False):
        assert heft.saving.in_safe_mode() is False
        with heft.saving.SafeModeScope(True):
            assert heft.saving.in_safe_mode() is True
        with heft.saving.SafeModeScope(None):
            assert heft.saving.in_safe_mode() is False
    assert heft.saving.in_safe_mode() is True


def test_safe_mode_enable_unsafe_deserialization_is_global_until_disabled():
    try:
        heft.config.enable_unsafe_deserialization()
        assert _safe_mode.in_safe_mode() is False
        with heft.saving.SafeModeScope(True):
            assert _safe_mode.in_safe_mode() is True
    finally:
        heft.config.disable_unsafe_deserialization()
    assert _safe_mode.in_safe_mode() is True


def test_safe_mode_scope_rejects_non_bool():
    with pytest.raises(TypeError, match="safe_mode"):
        heft.saving.SafeModeScope("yes")
