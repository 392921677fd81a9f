"""glibc settings that let training reuse the host memory it frees (``HEFT_RETAIN_FREED_MEMORY``).

Exists because XLA's CPU backend allocates one buffer for all of a
computation's intermediate values each time the computation runs, and frees it
when it ends. glibc's ``malloc`` serves a request that large (over 32 MiB, or
over 64 MiB from a worker thread) with a fresh ``mmap`` and unmaps it on
``free``, so every training step faults the whole buffer in again, a page at a
time.

With the switch on, on Linux with glibc, heft asks glibc (through ``mallopt``)

- at import, to serve all threads from one arena (``M_ARENA_MAX=1``): a worker
  thread's own arena cannot hold a buffer over 64 MiB and would ``mmap`` it
  anyway. This acts on threads that have not allocated yet, so it takes effect
  when heft is imported before JAX runs its first computation, and only then;
- while ``fit``, ``evaluate`` or ``predict`` runs (:func:`keep_freed_memory`), to
  serve large requests from the heap instead of ``mmap`` (``M_MMAP_MAX=0``) and
  to keep up to ``RETAINED_TOP_BYTES`` of freed memory at the top of the heap,
  so the next step reuses it. Afterwards large requests are mapped again (above
  ``MMAP_THRESHOLD_AFTER``) and the kept memory is handed back (``malloc_trim``).

Without ``mmap``, code that grows large buffers with ``realloc`` copies them at
every growth, so saving and loading run with the usual settings, also from a
callback inside ``fit`` (:func:`usual_allocation`).

The switch is off by default because with one arena XLA's compiler threads
share one ``malloc`` lock, and compiling is slower (``bench/README.md`` has the
figures). With the switch off, and on any other C library or system (musl,
macOS, Windows), nothing here calls into the C library and both context
managers do nothing: that is the plain path. The settings change only where
memory comes from, so training computes the same values either way.
"""

from __future__ import annotations

import contextlib
import ctypes
import platform
import sys
import threading
from collections.abc import Iterator
from typing import Any

from ._switches import RETAIN_FREED_MEMORY

# While training: freed memory at the top of the heap above this is returned.
RETAINED_TOP_BYTES = 1 << 30
# Afterwards: requests above this are mapped, as glibc's adaptive threshold ends up.
MMAP_THRESHOLD_AFTER = 32 << 20
_TRIM_THRESHOLD_AFTER = 2 * MMAP_THRESHOLD_AFTER
_MMAP_MAX_DEFAULT = 65536  # glibc's default count of mapped chunks

# mallopt parameter numbers, from glibc's <malloc.h>.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_MMAP_MAX = -4
_M_ARENA_MAX = -8


def _libc() -> Any:
    """glibc, with ``mallopt`` and ``malloc_trim``; ``None`` elsewhere."""
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
        libc.mallopt.restype = ctypes.c_int
        libc.malloc_trim.argtypes = (ctypes.c_size_t,)
        libc.malloc_trim.restype = ctypes.c_int
    except (OSError, AttributeError):
        return None
    return libc


class _State:
    def __init__(self) -> None:
        self.libc: Any = None  # set by share_one_arena when glibc accepted it
        self.lock = threading.RLock()
        self.keeping = 0  # nesting depth of keep_freed_memory
        self.usual = 0  # nesting depth of usual_allocation inside it


_state = _State()


def _set(*settings: tuple[int, int]) -> None:
    for param, value in settings:
        _state.libc.mallopt(param, value)


def _keep() -> None:
    _set((_M_MMAP_MAX, 0), (_M_TRIM_THRESHOLD, RETAINED_TOP_BYTES))


def _release() -> None:
    _set(
        (_M_MMAP_THRESHOLD, MMAP_THRESHOLD_AFTER),
        (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD_AFTER),
        (_M_MMAP_MAX, _MMAP_MAX_DEFAULT),
    )


def share_one_arena() -> bool:
    """At import: one ``malloc`` arena for all threads; ``True`` if glibc accepted it.

    Does nothing and returns ``False`` with the switch off or without glibc.
    """
    if _state.libc is not None:
        return True
    libc = _libc() if RETAIN_FREED_MEMORY.on else None
    if libc is None or libc.mallopt(_M_ARENA_MAX, 1) != 1:
        return False
    _state.libc = libc
    return True


def active() -> bool:
    """Whether heft manages the allocator now: glibc took the arena setting, and the switch is on."""
    return _state.libc is not None and RETAIN_FREED_MEMORY.on


@contextlib.contextmanager
def keep_freed_memory() -> Iterator[None]:
    """Serve large requests from the heap and keep freed memory, until the outermost exit.

    Also a decorator: ``@keep_freed_memory()``. Does nothing unless :func:`active`.
    """
    if not active():
        yield
        return
    with _state.lock:
        _state.keeping += 1
        if _state.keeping == 1 and not _state.usual:  # else when the file I/O ends
            _keep()
    try:
        yield
    finally:
        with _state.lock:
            _state.keeping -= 1
            if _state.keeping == 0:
                _release()
                _state.libc.malloc_trim(0)


@contextlib.contextmanager
def usual_allocation() -> Iterator[None]:
    """Map large requests again inside :func:`keep_freed_memory` (for file I/O).

    Also a decorator: ``@usual_allocation()``. Does nothing unless :func:`active`.
    """
    if not active():
        yield
        return
    with _state.lock:
        _state.usual += 1
        if _state.usual == 1 and _state.keeping:
            _release()
    try:
        yield
    finally:
        with _state.lock:
            _state.usual -= 1
            if _state.usual == 0 and _state.keeping:
                _keep()


share_one_arena()
