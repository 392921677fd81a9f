"""Named one-thread pools for the saving code's background work, safe across ``fork``."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

_lock = threading.Lock()
_pools: dict[str, ThreadPoolExecutor] = {}


def helper(name: str) -> ThreadPoolExecutor:
    """The one-thread pool called ``name``, started on first use.

    One thread per kind of work keeps each kind's tasks in the order they were
    submitted (a checksum must see its chunks in order).

    >>> helper("heft-doc").submit(sum, [1, 2]).result()
    3
    """
    with _lock:
        pool = _pools.get(name)
        if pool is None:
            pool = _pools[name] = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        return pool


def _forget_pools() -> None:
    # A forked child has none of the parent's threads: it starts its own when needed.
    global _lock
    _pools.clear()
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools)
