"""The rules every reader of a file that may be hostile follows, written once.

Every weight format, the ``.keras`` archive and the config readers go through
these functions, so a format added later inherits them:

- Only regular files are read. A FIFO would block the reader forever and a
  device such as ``/dev/zero`` never ends, so ``open_regular`` opens without
  blocking and checks the opened descriptor (not the path, which could be
  swapped between a check and the open).
- JSON text is parsed within a size, a value-count and a nesting limit
  (``parse_json``), so a header can neither exhaust the interpreter's stack
  nor expand into far more memory than the file holds.
- Sizes a file declares are checked against the file itself before anything
  is allocated or extracted (each format does this with ``limits()``' values).

The limits are ``Limits``' fields; ``limits(...)`` raises them for a block::

    with heft.saving.limits(json_bytes=256 << 20):
        model.load_weights("huge-index.weights.json")
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import json
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any


@dataclass(frozen=True)
class Limits:
    """What heft accepts from a file before it refuses it as hostile or damaged.

    Attributes:
        json_bytes: The largest JSON text read (a safetensors header, a
            sharded index, an archive's ``config.json``/``metadata.json``).
        json_values: The most list items and object members one JSON text
            may hold (counted from its commas and brackets). Parsed, each costs
            about 100 bytes, so this bounds what a header of tiny entries costs.
        json_depth: The deepest nesting of lists and objects in one JSON text.
        file_entries: The most entries (tensors; HDF5 groups and datasets) one
            weight file may list; each costs memory to index (up to about 1 KiB)
            whether or not the model needs it.
        archive_bytes: The most bytes extracted from one ``.keras`` archive
            in all: its JSON members, read into memory, and compressed
            members, decompressed (weights stored uncompressed, as Keras and
            heft write them, are read in place and do not count).
        allocation_bytes: The most bytes of variables a config loaded with
            ``safe_mode=True`` may ask for (estimated before anything is
            built, see ``saving/_allocation.py``); ``None``: what this process
            can hold, the machine's physical memory (lowered by a container
            limit or a memory rlimit, see ``heft/_memory.py``).
    """

    json_bytes: int = 16 << 20
    json_values: int = 1 << 18
    json_depth: int = 100
    file_entries: int = 1 << 15
    archive_bytes: int = 1 << 40
    allocation_bytes: int | None = None


_DEFAULTS = Limits()
_CURRENT: contextvars.ContextVar[Limits | None] = contextvars.ContextVar(
    "heft_limits", default=None
)


def current() -> Limits:
    """The limits in force (the defaults, or those of the innermost ``limits`` block)."""
    return _CURRENT.get() or _DEFAULTS


@contextlib.contextmanager
def limits(**changes: Any) -> Iterator[Limits]:
    """Raise (or lower) some of the ``Limits`` for the calls made inside the block.

    Args:
        **changes: ``Limits`` fields and their new values.

    Raises:
        TypeError: On a name that is not a ``Limits`` field.

    >>> with limits(json_depth=20) as inside:
    ...     inside.json_depth, current().json_depth
    (20, 20)
    >>> current().json_depth
    100
    """
    fields = {f.name for f in dataclasses.fields(Limits)}
    unknown = sorted(set(changes) - fields)
    if unknown:
        raise TypeError(
            f"Unknown limit(s) {unknown}: the limits are {sorted(fields)} "
            "(see `heft.saving.Limits`)."
        )
    inside = dataclasses.replace(current(), **changes)
    token = _CURRENT.set(inside)
    try:
        yield inside
    finally:
        _CURRENT.reset(token)


def too_large(what: str, label: str, size: int, limit: int, field: str) -> ValueError:
    """The error for a file part over a limit: names the file, both sizes and the way past it."""
    unit = _UNITS.get(field, "")
    return ValueError(
        f"Refusing to read {what} of '{label}': it holds {size:,}{unit}, more than the limit "
        f"of {limit:,}{unit}. If the file is trusted, raise the limit: "
        f"`with heft.saving.limits({field}=...):` around the call."
    )


_UNITS = {
    "json_bytes": " bytes",
    "json_values": " values",
    "file_entries": " entries",
    "archive_bytes": " bytes",
    "allocation_bytes": " bytes",
}


def check_regular(fd: int, path: str) -> os.stat_result:
    """The status of the open descriptor ``fd``, which must be a regular file.

    Raises:
        OSError: If ``fd`` is a FIFO, a device, a socket or anything else that
            is not a regular file.
    """
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        kind = special_kind(info.st_mode)
        raise OSError(
            f"Refusing to read '{path}': it is {kind}, not a regular file, and reading it "
            "could block forever or never end. Pass the path of a weights or model file."
        )
    return info


def open_regular(path: str, what: str) -> IO[bytes]:
    """Open ``path`` for reading in binary mode, refusing anything but a regular file.

    The open does not block (a FIFO with no writer would otherwise hang it),
    and the check runs on the opened descriptor, so the file read is the file
    checked.

    Args:
        path: The file's path (symbolic links are followed).
        what: How messages name the expected file ("a `.safetensors` file").

    Raises:
        FileNotFoundError: If nothing is at ``path``.
        IsADirectoryError: If it is a folder.
        OSError: If it is a special file (see ``check_regular``).
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No file at '{path}'. Check the path (relative paths start from the working "
            f"folder {os.getcwd()!r})."
        ) from None
    except IsADirectoryError:
        raise IsADirectoryError(f"'{path}' is a folder; pass the path of {what}.") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(f"'{path}' is a folder; pass the path of {what}.")
        check_regular(fd, path)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def special_kind(mode: int) -> str:
    """How messages name a file of ``mode`` that is not a regular file ("a FIFO (named pipe)")."""
    for test, name in (
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a folder"),
    ):
        if test(mode):
            return name
    return "a special file"


def check_path_regular(path: str, what: str) -> None:
    """Refuse ``path`` unless it is a regular file (see ``open_regular``); reads nothing."""
    open_regular(path, what).close()


def parse_json(
    raw: bytes | str,
    what: str,
    label: str,
    damaged: Callable[[str], Exception] | None = None,
) -> Any:
    """Parse JSON text from a file within ``current()``'s size, value and nesting limits.

    Args:
        raw: The text, as read.
        what: What the text is, for messages ("the header").
        label: The file, for messages.
        damaged: Makes the error for text that is not UTF-8 or not JSON from
            what is wrong with it ("is not valid JSON (...)"), for a format
            that words its own; by default a ``ValueError`` naming the file.

    Raises:
        ValueError: If the text is over a limit, not UTF-8, or not JSON.

    >>> parse_json(b'{"a": [1, 2]}', "the header", "x.safetensors")
    {'a': [1, 2]}
    >>> parse_json(b"[" * 200 + b"]" * 200, "the header", "x.safetensors")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: Refusing to read the header of 'x.safetensors': it nests lists or objects more than 100 deep...
    """
    limit = current()
    data = raw.encode("utf8") if isinstance(raw, str) else raw
    if len(data) > limit.json_bytes:
        raise too_large(what, label, len(data), limit.json_bytes, "json_bytes")
    # Every list item and object member follows a comma or its container's
    # opening bracket, so this count is never below the number of items and
    # members (commas and brackets inside strings only make it higher).
    values = data.count(b",") + data.count(b"[") + data.count(b"{") + 1
    if values > limit.json_values:
        raise too_large(what, label, values, limit.json_values, "json_values")
    _check_depth(data, limit.json_depth, what, label)
    try:
        return json.loads(data.decode("utf8"))
    except UnicodeDecodeError as err:
        problem = f"is not UTF-8 text ({err})"
    except (json.JSONDecodeError, RecursionError) as err:
        problem = f"is not valid JSON ({err})"
    if damaged is not None:
        raise damaged(problem)
    raise ValueError(
        f"Cannot read '{label}': {what} {problem}. The file is truncated, damaged, or in "
        "another format than its name says; save it again or copy it again from its source."
    )


def _check_depth(data: bytes, max_depth: int, what: str, label: str) -> None:
    """Refuse text whose brackets nest deeper than ``max_depth``, before parsing it.

    Brackets inside strings are removed first (a string is a quote, then
    escaped or plain characters, then a quote); the running depth of what is
    left is then the nesting depth. Works in C-speed passes over the bytes.
    """
    opening = data.count(b"[") + data.count(b"{")
    if opening <= max_depth:
        return
    import re

    bare = re.sub(rb'"(?:[^"\\]|\\.)*"', b"", data)
    depth = deepest = 0
    # Only the brackets matter: a translate keeps them and drops everything else.
    for byte in bare.translate(None, _NOT_BRACKETS):
        depth += 1 if byte in b"[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > max_depth:
                raise ValueError(
                    f"Refusing to read {what} of '{label}': it nests lists or objects more "
                    f"than {max_depth} deep. If the file is trusted, raise the limit: "
                    "`with heft.saving.limits(json_depth=...):` around the call."
                )


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
