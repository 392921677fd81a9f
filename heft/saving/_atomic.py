"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import zlib
from collections.abc import Collection, Iterator
from concurrent.futures import Future

from .._platform import _write_hints
from ._threads import helper


def check_target(filepath: str, overwrite: bool) -> None:
    """Check that ``filepath`` may be written before any work is done.

    Raises:
        FileExistsError: If the file exists and ``overwrite`` is False.
        IsADirectoryError: If ``filepath`` is a folder.
        FileNotFoundError: If its folder does not exist.
    """
    if os.path.isdir(filepath):
        raise IsADirectoryError(
            f"Cannot save weights to '{filepath}': it is a folder. Pass a file path such "
            "as 'model.weights.h5'."
        )
    if os.path.exists(filepath) and not overwrite:
        raise FileExistsError(
            f"Weights file '{filepath}' already exists and `overwrite=False` was passed. "
            "Pass `overwrite=True` to replace it, or choose another path."
        )
    folder = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(folder):
        raise FileNotFoundError(
            f"Cannot save weights to '{filepath}': folder '{folder}' does not exist. "
            "Create it first, e.g. with `os.makedirs(folder, exist_ok=True)`."
        )


def _owner() -> str:
    """This host and process, as written in temporary names: ``<host hash>-<pid>``."""
    return f"{zlib.crc32(socket.gethostname().encode()):08x}-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # e.g. another user's process
    return True


def remove_stale_temps(filepath: str) -> list[str]:
    """Remove the temporary files of saves to ``filepath`` whose process has died.

    Only names :func:`temp_path` gives for this target are considered, and of
    those only the ones written on this host by a process that no longer runs
    (a save killed halfway); another process's save in progress is never
    touched. POSIX only. Returns the paths removed.
    """
    folder = os.path.dirname(os.path.abspath(filepath))
    return remove_stale(folder, re.escape(os.path.basename(filepath)))


def remove_stale(folder: str, target: str, keep: Collection[str] = ()) -> list[str]:
    """Remove, from ``folder``, killed saves' temporary files for targets matching ``target``.

    ``target`` is a regular expression for the target's file name; the
    temporary names are :func:`temp_path`'s, with or without the ``.link``
    suffix of a hard link made from one. Names in ``keep`` stay (the sharded
    format's JSON may name temporary shards while a commit is under way).
    Only files written on this host by a process that no longer runs are
    removed. POSIX only. Returns the paths removed.
    """
    if os.name != "posix":
        return []
    host = _owner().split("-")[0]
    pattern = re.compile(
        rf"\.(?:{target})\.{host}-(\d+)-[0-9a-f]{{12}}\.tmp(?:\.[0-9a-f]{{8}}\.link)?"
    )
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    removed = []
    for name in sorted(names):
        match = pattern.fullmatch(name)
        if match and name not in keep and not _alive(int(match.group(1))):
            remove_quietly(os.path.join(folder, name))
            removed.append(os.path.join(folder, name))
    return removed


def temp_name(filepath: str) -> str:
    """A fresh temporary file name for ``filepath`` (see :func:`temp_path`); creates nothing.

    For a file made under that name by other means (a hard link), which
    :func:`remove_stale` recognises as :func:`temp_path`'s own.
    """
    return f".{os.path.basename(filepath)}.{_owner()}-{secrets.token_hex(6)}.tmp"


def temp_path(filepath: str) -> str:
    """Create an empty, uniquely named temporary file next to ``filepath`` and return its path.

    The name starts with a dot and ends in ``.tmp``, and says which host and
    process writes it (``.m.weights.h5.<host hash>-<pid>-<hex>.tmp``), so it
    is never mistaken for the target and :func:`remove_stale_temps` can tell
    a killed save's leftovers from a save in progress.

    Raises:
        PermissionError: If the folder is not writable.
    """
    folder = os.path.dirname(os.path.abspath(filepath))
    tmp = os.path.join(folder, temp_name(filepath))
    try:
        # O_EXCL: never reuse an existing file; mode 0o666 lets the umask decide
        # the final permissions, as for any newly created file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except PermissionError:
        raise PermissionError(
            f"Cannot save weights to '{filepath}': folder '{folder}' is not writable. "
            "Choose a folder you can write to or change its permissions."
        ) from None
    os.close(fd)
    return tmp


def fsync_file(path: str) -> None:
    """Wait until the data of the (closed) file at ``path`` is on disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def release_cache(path: str) -> None:
    """Ask the kernel to drop the cached pages of the file about to be replaced.

    The file itself is untouched (a failed save leaves it as it was); only its
    copy in the page cache goes, so the new file's pages can reuse that memory.
    Does nothing unless the page-cache hints apply
    (``heft/_platform/_write_hints.py``, switch ``HEFT_WRITE_HINTS``), or where
    the file is missing or not a regular file.
    """
    if _write_hints.applies():
        _write_hints.drop_cached_pages(path)


def remove_quietly(path: str) -> None:
    """Remove ``path`` if it exists (cleanup after a failed save)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(path)


@contextlib.contextmanager
def atomic_path(filepath: str, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path next to ``filepath``; on success it replaces ``filepath``.

    The temporary file is created in the same folder (so the final rename is
    atomic), fsynced after the caller has written and closed it, then renamed
    over the target; the folder is fsynced too. If the body raises, the
    temporary file is removed and ``filepath`` is untouched. A process killed
    while writing leaves the previous file intact and, at worst, a stale
    temporary file beside it, which the next save to ``filepath`` removes.

    Raises:
        FileExistsError: If ``filepath`` exists and ``overwrite`` is False.
        PermissionError: If the folder is not writable.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(str(target)) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> target.read_text()
    'done'
    """
    check_target(filepath, overwrite)
    remove_stale_temps(filepath)
    tmp = temp_path(filepath)
    release_cache(filepath)
    try:
        yield tmp
        fsync_file(tmp)
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(
                f"Weights file '{filepath}' appeared while saving and `overwrite=False` was "
                "passed. Pass `overwrite=True` to replace it, or choose another path."
            )
        os.replace(tmp, filepath)
    except BaseException:
        remove_quietly(tmp)
        raise
    fsync_folder(os.path.dirname(os.path.abspath(filepath)))


def fsync_folder(folder: str) -> None:
    """Make the renames done in ``folder`` durable (POSIX only)."""
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Writeback:
    """Starts the disk write of a file being written, so that its final fsync waits less.

    Every ``WRITEBACK_STEP`` bytes reported with :meth:`wrote`, the kernel is
    asked, from a helper thread, to start writing the file's dirty pages; the
    writer never waits for it. This is one of the page-cache hints of
    ``heft/_platform/_write_hints.py`` (switch ``HEFT_WRITE_HINTS``): where they
    do not apply, it does nothing. The file is opened by name, so it works
    beside any library that writes it.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile() as fh:
    ...     Writeback(fh.name).wrote(10)
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self.pending = 0
        self._busy: Future | None = None

    def wrote(self, nbytes: int) -> None:
        self.pending += nbytes
        if self.pending < _write_hints.WRITEBACK_STEP or not _write_hints.can_start_writeback():
            return
        if self._busy is not None and not self._busy.done():
            return  # the queued writes cover these bytes soon enough
        self.pending = 0
        self._busy = helper("heft-writeback").submit(_write_hints.start_writeback, self.path)
