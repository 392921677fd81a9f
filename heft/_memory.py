"""How much memory this process can hold, and the checks variables pass before allocating any.

Every ``Variable`` created from an initializer asks ``check_variable`` first,
with its size computed in Python ints (no overflow, whatever the shape), so a
variable that could never fit (``Dense(2**31)``, a typo in a config) is
refused with a ``ValueError`` before anything runs, instead of reaching the
allocator. Inside a ``budget`` block (safe-mode deserialization) the variables
created so far are also added up and checked against the block's limit.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

# Limits at or above this are "no limit" (cgroup v1 writes 2**63 rounded to a page).
_UNLIMITED = 1 << 62


def format_bytes(n: int) -> str:
    """``n`` bytes for a message: the exact count and a rounded binary unit.

    >>> format_bytes(274877906944)
    '274,877,906,944 bytes (256.0 GiB)'
    >>> format_bytes(100)
    '100 bytes'
    """
    if n < 1024:
        return f"{n:,} bytes"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        size /= 1024
        if size < 1024 or unit == "EiB":
            break
    return f"{n:,} bytes ({size:.1f} {unit})" if size < 1e6 else f"{n:,} bytes ({size:.3g} {unit})"


@functools.cache
def _physical_bytes() -> int | None:
    """Physical memory from ``sysconf`` (POSIX); ``None`` where it is not available."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        page_size = os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None
    if pages <= 0 or page_size <= 0:
        return None
    return pages * page_size


@functools.cache
def _container_bytes() -> int | None:
    """The memory limit of the container (cgroup v2, then v1), read once; ``None``: none."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(path) as f:
                text = f.read().strip()
        except OSError:
            continue
        if text.isdigit() and 0 < int(text) < _UNLIMITED:
            return int(text)
    return None


def _rlimit_bytes() -> int | None:
    """The soft address-space or data-size limit (``ulimit -v``/``-d``), read on each call
    because a process may lower it at any time; ``None`` where unset or unsupported."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    limits = []
    for name in ("RLIMIT_AS", "RLIMIT_DATA"):
        kind = getattr(resource, name, None)
        if kind is None:
            continue
        soft = resource.getrlimit(kind)[0]
        if soft != resource.RLIM_INFINITY and 0 < soft < _UNLIMITED:
            limits.append(soft)
    return min(limits) if limits else None


def available_bytes() -> tuple[int, str] | None:
    """The most memory this process can hold, and where that figure comes from.

    The smallest of the physical memory, the container's memory limit and the
    process's address-space/data rlimit, each where the platform reports it.
    ``None`` where none is known (then only the allocator can refuse).

    >>> size, source = available_bytes()
    >>> size > 0 and source in ("physical memory", "the container's memory limit",
    ...                         "the process's memory rlimit (ulimit -v/-d)")
    True
    """
    candidates = [
        (_physical_bytes(), "physical memory"),
        (_container_bytes(), "the container's memory limit"),
        (_rlimit_bytes(), "the process's memory rlimit (ulimit -v/-d)"),
    ]
    known = [(size, source) for size, source in candidates if size is not None]
    if not known:
        return None
    return min(known, key=lambda item: item[0])


@dataclass
class Budget:
    """The bytes variables may still take inside a ``budget`` block.

    Attributes:
        limit: The most bytes of variables the block may create.
        what: What is being built, for messages ("the model config of 'x.keras'").
        setting: The ``heft.saving.limits`` field that raises the limit, if any.
        used: The bytes of the variables created so far.
        largest: ``(bytes, path)`` of the largest variable created so far.
    """

    limit: int
    what: str
    setting: str | None = None
    used: int = 0
    largest: tuple[int, str] = (0, "")


_BUDGET: contextvars.ContextVar[Budget | None] = contextvars.ContextVar(
    "heft_variable_budget", default=None
)


@contextlib.contextmanager
def budget(limit: int, what: str, setting: str | None = None) -> Iterator[Budget]:
    """Refuse, inside the block, a variable that brings the total over ``limit`` bytes.

    Blocks nest; the innermost one counts. Variables are counted when created,
    not when freed, so the total is what building the block's objects asks for.

    >>> from heft import Variable
    >>> with budget(64, "a demo") as b:
    ...     _ = Variable("zeros", shape=(4,))
    ...     b.used
    16
    """
    token = _BUDGET.set(Budget(int(limit), what, setting))
    try:
        yield _BUDGET.get()  # type: ignore[misc]
    finally:
        _BUDGET.reset(token)


def check_variable(path: str, shape: tuple[int, ...], dtype: str, itemsize: int) -> int:
    """The bytes a variable of ``shape`` needs, after checking that it can be allocated.

    Args:
        path: The variable's path (names its layer), for messages.
        shape: Its shape, already checked to be non-negative ints.
        dtype: Its dtype name, for messages.
        itemsize: The bytes of one element as stored.

    Returns:
        ``prod(shape) * itemsize``, computed in Python ints.

    Raises:
        ValueError: If the variable needs more memory than this process can
            hold, or more than the innermost ``budget`` block has left.
    """
    count = 1
    for d in shape:
        count *= d
    needed = count * itemsize
    known = available_bytes()
    if known is not None and needed > known[0]:
        size, source = known
        raise ValueError(
            f"Cannot create variable '{path}' of shape {shape} and dtype {dtype}: it needs "
            f"{format_bytes(needed)}, more than the {format_bytes(size)} this process can "
            f"hold ({source}). Check the arguments of the layer that creates it (a typo in "
            "`units`, `filters`, `input_dim` or an input shape?), or choose a smaller shape "
            "or dtype."
        )
    current = _BUDGET.get()
    if current is not None:
        total = current.used + needed
        if total > current.limit:
            how = (
                f"If the source is trusted, raise the limit: `with heft.saving.limits("
                f"{current.setting}=...):` around the call, or load it with `safe_mode=False`."
                if current.setting
                else "Build it outside this block, or with smaller shapes."
            )
            raise ValueError(
                f"Refusing to create variable '{path}' of shape {shape} and dtype {dtype} "
                f"({format_bytes(needed)}) while building {current.what}: the variables "
                f"created for it would take {format_bytes(total)}, more than the limit of "
                f"{format_bytes(current.limit)}. {how}"
            )
        current.used = total
        if needed > current.largest[0]:
            current.largest = (needed, path)
    return needed
