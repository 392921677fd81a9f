"""Safe mode: whether deserialization may rebuild Python code (``Lambda`` bytecode)."""

from __future__ import annotations

import threading
from typing import Any

_state = threading.local()
_unsafe_enabled = False


def enable_unsafe_deserialization() -> None:
    """Allow configs and archives to rebuild Python lambdas for the rest of the process.

    Only do this for files you trust: a serialized lambda is bytecode that runs when
    the model is loaded.

    >>> import heft
    >>> heft.config.enable_unsafe_deserialization()
    >>> heft.saving.in_safe_mode()
    False
    >>> heft.config.disable_unsafe_deserialization()
    """
    global _unsafe_enabled
    _unsafe_enabled = True


def disable_unsafe_deserialization() -> None:
    """Undo :func:`enable_unsafe_deserialization`: refuse serialized lambdas again."""
    global _unsafe_enabled
    _unsafe_enabled = False


def in_safe_mode() -> bool:
    """Whether deserialization must refuse serialized Python code right now.

    The innermost :class:`SafeModeScope` decides; outside any scope heft is safe
    unless :func:`enable_unsafe_deserialization` was called.
    """
    stack = getattr(_state, "stack", None)
    if stack:
        return stack[-1]
    return not _unsafe_enabled


class SafeModeScope:
    """Context manager fixing safe mode for the deserialization inside it.

    Args:
        safe_mode: ``True`` to refuse serialized lambdas, ``False`` to allow them,
            ``None`` to keep the surrounding setting.

    >>> import heft
    >>> with heft.saving.SafeModeScope(False):
    ...     heft.saving.in_safe_mode()
    False
    """

    def __init__(self, safe_mode: bool | None = True) -> None:
        if safe_mode is not None and not isinstance(safe_mode, bool):
            raise TypeError(
                f"`safe_mode` must be True, False or None. Received: safe_mode={safe_mode!r}."
            )
        self.safe_mode = safe_mode

    def __enter__(self) -> SafeModeScope:
        stack = getattr(_state, "stack", None)
        if stack is None:
            stack = _state.stack = []
        stack.append(in_safe_mode() if self.safe_mode is None else self.safe_mode)
        return self

    def __exit__(self, *exc: Any) -> None:
        _state.stack.pop()
