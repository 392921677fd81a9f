"""Page-cache hints for files being saved, on Linux (``HEFT_WRITE_HINTS``).

Exists because a save writes a whole new file before the fsync that makes it
durable, and the kernel otherwise holds both the replaced file's cached pages
and the new file's dirty ones, then writes all of the new file at the fsync.
With the switch on, on Linux, heft

- asks the kernel to drop the cached pages of the file a save replaces
  (``posix_fadvise(POSIX_FADV_DONTNEED)``), so the new file's pages can reuse
  that memory; the file itself is untouched;
- every ``WRITEBACK_STEP`` bytes written, asks the kernel to start writing the
  new file's dirty pages to disk (``sync_file_range(SYNC_FILE_RANGE_WRITE)``,
  which returns once the writes are queued), so the final fsync waits less.

With the switch off, or on another system, a save is a plain write and fsync.
Neither hint changes a byte of any file.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from typing import Any

from ._switches import WRITE_HINTS

# Start writing a file's dirty pages to disk after every this many bytes.
WRITEBACK_STEP = 64 << 20
_LINUX = sys.platform.startswith("linux")
_SYNC_FILE_RANGE_WRITE = 2


def _sync_file_range() -> Any:
    if not _LINUX:
        return None
    try:
        fn = ctypes.CDLL(None, use_errno=True).sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_SYNC_FILE_RANGE = _sync_file_range()


def applies() -> bool:
    """Whether saves give the kernel these hints here: the switch is on, on Linux."""
    return WRITE_HINTS.on and _LINUX


def drop_cached_pages(path: str) -> None:
    """Ask the kernel to drop its cached copy of the file at ``path``, which stays as it is.

    Does nothing where ``path`` is missing or not a regular file, or the
    system has no ``posix_fadvise``.
    """
    if not hasattr(os, "posix_fadvise") or not os.path.isfile(path):
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def can_start_writeback() -> bool:
    """Whether :func:`start_writeback` does anything: hints apply and ``sync_file_range`` exists."""
    return applies() and _SYNC_FILE_RANGE is not None


def start_writeback(path: str) -> None:
    """Ask the kernel to start writing the dirty pages of the file at ``path`` to disk.

    Returns once the writes are queued. Does nothing where the file cannot be
    opened or the system has no ``sync_file_range``.
    """
    if _SYNC_FILE_RANGE is None:
        return
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            _SYNC_FILE_RANGE(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)
        finally:
            os.close(fd)
