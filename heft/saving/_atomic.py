"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed."""

from __future__ import annotations

import contextlib
import errno
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
            path = os.path.join(folder, name)
            # Cleaning up is a courtesy: a file another save removed first, or
            # a folder that refuses it (read-only, not ours), must not stop the
            # save, which then succeeds or fails on its own terms.
            try:
                os.remove(path)
            except OSError:
                continue
            removed.append(path)
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
        OSError: If the file cannot be created (a ``PermissionError`` for a
            folder that is not writable), with the errno of the failure and a
            message naming ``filepath``.
    """
    folder = os.path.dirname(os.path.abspath(filepath))
    tmp = os.path.join(folder, temp_name(filepath))
    try:
        # O_EXCL: never reuse an existing file; mode 0o666 lets the umask decide
        # the final permissions, as for any newly created file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as err:
        if err.errno is None:
            raise
        raise OSError(
            err.errno,
            f"Cannot save to '{filepath}': no temporary file can be created in folder "
            f"'{folder}' ({_describe_errno(err.errno)}). {_hint(err.errno, folder)}",
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
    A failure of the system (a full disk, a read-only folder) is raised as
    :func:`save_errors` words it.

    Raises:
        FileExistsError: If ``filepath`` exists and ``overwrite`` is False.
        OSError: If the file cannot be written (``PermissionError`` for a
            folder that is not writable); the message names ``filepath``.

    >>> import pathlib, tempfile
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(str(target)) as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> target.read_text()
    'done'
    """
    with save_errors(filepath):
        check_target(filepath, overwrite)
        remove_stale_temps(filepath)
        tmp = temp_path(filepath)
        release_cache(filepath)
        try:
            yield tmp
            fsync_file(tmp)
            if not overwrite and os.path.exists(filepath):
                raise FileExistsError(
                    f"Weights file '{filepath}' appeared while saving and `overwrite=False` "
                    "was passed. Pass `overwrite=True` to replace it, or choose another path."
                )
            os.replace(tmp, filepath)
        except BaseException:
            remove_temporary(tmp)
            raise
        folder = os.path.dirname(os.path.abspath(filepath))
        try:
            fsync_folder(folder)
        except OSError as err:
            if err.errno is None:
                raise
            raise OSError(
                err.errno,
                f"'{filepath}' was saved and renamed into place, but folder '{folder}' "
                f"could not be flushed to disk ({_describe_errno(err.errno)}), so after a "
                "crash the previous file may come back. Check the disk, then save again.",
            ) from None


def remove_temporary(path: str) -> None:
    """Remove the temporary file ``path`` after a failed save, whatever the failure was.

    Never raises: the error that made the save fail is the one to report. (A
    file that could be created can be removed; should that fail anyway, the
    next save after this process ends removes it, see :func:`remove_stale`.)
    """
    with contextlib.suppress(OSError):
        os.remove(path)


def _describe_errno(code: int) -> str:
    """``"No space left on device, ENOSPC"``: the system's words and the errno's name."""
    return f"{os.strerror(code)}, {errno.errorcode.get(code, code)}"


def _hint(code: int, folder: str) -> str:
    """What to do about the failure ``code`` while writing in ``folder``."""
    if code in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
        return (
            "The disk (or your quota on it) is full: free some space (the file needs about "
            "as much as the weights) or save to another disk."
        )
    if code == errno.EROFS:
        return f"Folder '{folder}' is on a read-only file system: save to a writable folder."
    if code in (errno.EACCES, errno.EPERM):
        return (
            f"Folder '{folder}' is not writable: choose a folder you can write to or change "
            "its permissions."
        )
    if code == errno.EFBIG:
        return (
            "The file is larger than this file system allows: save to another file system, "
            "or split the weights into shards with `max_shard_size`."
        )
    return "Check the disk and the folder, then save again."


def _identity(path: str) -> tuple[int, ...] | None:
    """What tells the file at ``path`` apart from any other (or changed) file; ``None``: absent."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@contextlib.contextmanager
def save_errors(filepath: str) -> Iterator[None]:
    """Raise a failure of the system inside the block as an error naming ``filepath``.

    A save that fails on a full disk (``ENOSPC``), a read-only file system
    (``EROFS``) or a folder that is not writable (``EACCES``) gets an
    ``OSError`` from the system naming a temporary file, or nothing. Inside
    this block, such an error becomes an ``OSError`` with the same errno (so
    of the same class, e.g. ``PermissionError``) whose message names
    ``filepath``, what failed and what to do, and says that the file at
    ``filepath`` is as it was: that is checked (the file's identity, size and
    modification time are compared with those on entry), not assumed. When
    the file did change, or the error has no errno (heft's own checks, such
    as ``FileExistsError``), the error passes through unchanged. The savers
    remove their temporary files before the error reaches this block.

    Every save goes through it: ``atomic_path`` for each file it writes, and
    ``save_weights``/``save_model`` around the whole save (a sharded save
    writes its shards outside ``atomic_path``).

    >>> import errno, os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.weights.h5")
    >>> try:
    ...     with save_errors(path):
    ...         raise OSError(errno.ENOSPC, "No space left on device")
    ... except OSError as err:
    ...     print(err.errno == errno.ENOSPC, "m.weights.h5" in str(err))
    True True
    """
    before = _identity(filepath)
    try:
        yield
    except OSError as err:
        code = err.errno
        if code is None or _identity(filepath) != before:
            raise
        kept = (
            f"No file was created at '{filepath}'"
            if before is None
            else f"The previous file at '{filepath}' is untouched"
        )
        folder = os.path.dirname(os.path.abspath(filepath))
        # Chained: the system's own error (naming the temporary file, or the
        # library that failed) stays in the traceback for whoever debugs it.
        raise OSError(
            code,
            f"Could not save '{filepath}': {_describe_errno(code)}. {kept}, and no temporary "
            f"file is left behind. {_hint(code, folder)}",
        ) from err


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
