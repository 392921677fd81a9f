"""Atomic file writes: a temporary file in the target's folder, fsynced, then renamed."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator


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


@contextlib.contextmanager
def atomic_path(filepath: str, overwrite: bool = True) -> Iterator[str]:
    """Yield a temporary path next to ``filepath``; on success it replaces ``filepath``.

    The temporary file is created in the same folder (so the final rename is
    atomic), fsynced after the caller has written and closed it, then renamed
    over the target; the folder is fsynced too. If the body raises, the
    temporary file is removed and ``filepath`` is untouched.

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
    folder = os.path.dirname(os.path.abspath(filepath))
    tmp = os.path.join(folder, f".{os.path.basename(filepath)}.{secrets.token_hex(6)}.tmp")
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
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if not overwrite and os.path.exists(filepath):
            raise FileExistsError(
                f"Weights file '{filepath}' appeared while saving and `overwrite=False` was "
                "passed. Pass `overwrite=True` to replace it, or choose another path."
            )
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: str) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
