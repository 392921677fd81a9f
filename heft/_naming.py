"""Automatic object names (``dense``, ``dense_1``, ...) and their process-wide counters."""

from __future__ import annotations

import collections
import threading

from ._registry import to_snake_case

_lock = threading.Lock()
_counters: collections.Counter[str] = collections.Counter()


def uniquify(name: str) -> str:
    """Return ``name`` the first time, then ``name_1``, ``name_2``, ... ."""
    with _lock:
        count = _counters[name]
        _counters[name] += 1
    return name if count == 0 else f"{name}_{count}"


def auto_name(prefix: str) -> str:
    """A fresh snake_case name derived from ``prefix`` (a class name or a word)."""
    return uniquify(to_snake_case(prefix))


def reset_names() -> None:
    """Forget every name handed out so far (``heft.backend.clear_session``)."""
    with _lock:
        _counters.clear()
