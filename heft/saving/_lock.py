"""An exclusive lock between the saves to one file, taken on a lock file kept beside it.

Where ``fcntl`` exists (Linux, macOS, the BSDs), the lock is ``flock`` on
``.<file name>.lock`` in the file's folder. The kernel releases it when its
holder closes it or dies, so a killed save never leaves it held; the lock
file itself stays (one per saved path, empty), because removing it would let
a save lock a new file while another still holds the old one. On Linux,
``flock`` on NFS is carried out with NFS byte-range locks, which hold across
machines.

Where ``fcntl`` is missing (Windows), saves of one process are serialised by
a lock of the process, and saves from several processes are not serialised.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from types import ModuleType

from ._untrusted import check_regular

fcntl: ModuleType | None
try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

# How long a save waits for another save of the same file to commit.
TIMEOUT_S = 120.0
_IN_PROCESS = threading.Lock()


def lock_path(filepath: str) -> str:
    """The lock file of ``filepath``'s saves: ``.<name>.lock`` in its folder."""
    folder = os.path.dirname(os.path.abspath(filepath))
    return os.path.join(folder, f".{os.path.basename(filepath)}.lock")


@contextlib.contextmanager
def locked(filepath: str) -> Iterator[None]:
    """Hold the exclusive lock of the saves to ``filepath`` for the block.

    Waits (polling) while another process or thread holds it.

    Raises:
        TimeoutError: If another save held it for more than ``TIMEOUT_S`` seconds.
        OSError: If the lock file cannot be created or is not a regular file.
    """
    if fcntl is None:
        with _IN_PROCESS:
            yield
        return
    path = lock_path(filepath)
    flags = os.O_RDONLY | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
    # Neither a symbolic link (which could point anywhere) nor a FIFO (an open
    # that blocks) is followed or waited on: only a regular file is locked.
    flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as err:
        raise OSError(
            err.errno,
            f"Cannot save to '{filepath}': its lock file '{path}' cannot be opened "
            f"({err.strerror}). Saves to the same path take this lock to commit one at a "
            "time; if something else is at that name, remove it.",
        ) from None
    try:
        check_regular(fd, path)
        deadline = time.monotonic() + TIMEOUT_S
        pause = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise TimeoutError(
                        f"Cannot save to '{filepath}': another save to the same path has "
                        f"held its lock '{path}' for over {TIMEOUT_S:g} s. Wait for that save "
                        "to finish (or stop it) and save again; nothing was changed."
                    ) from None
            time.sleep(pause)
            pause = min(2 * pause, 0.05)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextlib.contextmanager
def shared(filepath: str) -> Iterator[bool]:
    """Hold a shared lock on ``filepath``'s existing lock file for the block, if there is one.

    While a reader holds it, no save can commit (saves take the exclusive
    lock), so what the reader opens stays one save. Yields whether the lock
    is held: ``False`` where ``fcntl`` is missing, no save made a lock file,
    or it cannot be opened (a read-only folder); the caller then relies on
    re-reading the index. Waits at most ``TIMEOUT_S`` seconds, then yields
    ``False`` too.
    """
    if fcntl is None:
        yield False
        return
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(lock_path(filepath), flags)
    except OSError:
        yield False
        return
    try:
        check_regular(fd, lock_path(filepath))
        deadline = time.monotonic() + TIMEOUT_S
        pause = 0.001
        held = False
        while not held and time.monotonic() < deadline:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                held = True
            except BlockingIOError:
                time.sleep(pause)
                pause = min(2 * pause, 0.05)
        yield held
    finally:
        os.close(fd)  # releases the lock
