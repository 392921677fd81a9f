"""Automatic object names (``dense``, ``dense_1``, ...) and their process-wide counters."""

from __future__ import annotations

import collections
import threading

from . import _abstract
from ._registry import to_snake_case

_lock = threading.Lock()
_counters: collections.Counter[str] = collections.Counter()


def uniquify(name: str) -> str:
    """Return ``name`` the first time, then ``name_1``, ``name_2``, ... ."""
    mode = _abstract.current()
    # An abstract build counts on its own copy, so it uses up no name.
    counters = mode.names if mode is not None else _counters
    with _lock:
        count = counters[name]
        counters[name] += 1
    return name if count == 0 else f"{name}_{count}"


def next_uid(prefix: str) -> int:
    """Count one more use of ``prefix`` and return the count (1 on the first use)."""
    with _lock:
        _counters[prefix] += 1
        return _counters[prefix]


def auto_name(prefix: str) -> str:
    """A fresh snake_case name derived from ``prefix`` (a class name or a word)."""
    return uniquify(to_snake_case(prefix))


def counters_copy() -> collections.Counter[str]:
    """A copy of the counters: the names an abstract build will hand out start from here."""
    with _lock:
        return collections.Counter(_counters)


def reset_names() -> None:
    """Forget every name handed out so far (``heft.backend.clear_session``)."""
    with _lock:
        _counters.clear()
