"""Writing a SavedModel folder whole: into a temporary folder beside it, then moved in place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable


def _existing_ancestor(path: str) -> str:
    folder = os.path.dirname(path)
    while folder and not os.path.isdir(folder):
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return folder or os.curdir


def write_saved_model(save: Callable[[str], None], path: str) -> None:
    """Run ``save(folder)`` on a fresh temporary folder, then move its entries to ``path``.

    A failed ``save`` leaves ``path`` as it was. Entries of an existing folder
    that the SavedModel also has (``saved_model.pb``, ``variables/``...) are
    replaced whole; other files there are kept. Paths with a scheme
    (``gs://...``) are written directly by TensorFlow.

    Raises:
        FileExistsError: If ``path`` is a file.
    """
    if "://" in path:
        save(path)
        return
    target = os.path.abspath(path)
    if os.path.exists(target) and not os.path.isdir(target):
        raise FileExistsError(
            f"Cannot write the SavedModel to '{path}': it is a file, and a SavedModel is a "
            "folder. Remove the file or pick another path."
        )
    staging = tempfile.mkdtemp(
        prefix=f".{os.path.basename(target)}.tmp-", dir=_existing_ancestor(target)
    )
    try:
        save(staging)
        if not os.path.isdir(target):
            os.makedirs(os.path.dirname(target), exist_ok=True)
            os.replace(staging, target)
            return
        _replace_entries(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_entries(staging: str, target: str) -> None:
    """Move each entry of ``staging`` into ``target``, putting the old ones back on failure."""
    backup = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-", dir=target)
    moved: list[str] = []
    try:
        for entry in sorted(os.listdir(staging)):
            destination = os.path.join(target, entry)
            if os.path.lexists(destination):
                os.replace(destination, os.path.join(backup, entry))
            moved.append(entry)
            os.replace(os.path.join(staging, entry), destination)
    except BaseException:
        for entry in reversed(moved):
            destination = os.path.join(target, entry)
            old = os.path.join(backup, entry)
            if os.path.lexists(destination) and os.path.lexists(old):
                if os.path.isdir(destination) and not os.path.islink(destination):
                    shutil.rmtree(destination)
                else:
                    os.remove(destination)
            if os.path.lexists(old):
                os.replace(old, destination)
        raise
    finally:
        shutil.rmtree(backup, ignore_errors=True)
