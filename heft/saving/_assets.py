"""Asset files of a ``.keras`` archive: what layers write with ``save_assets``.

A saveable object (found by the same walk as the weights) that has
``save_assets(dir_path)`` writes files into a folder of its own; they are
stored in the archive as ``assets/<object path>/<file>``, as Keras stores them,
and handed back to ``load_assets(dir_path)`` on load (``None`` when the archive
holds nothing for the object, as Keras passes). Lookup layers keep their
vocabularies there.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

from ._walk import walk

ASSETS = "assets"


def _prefix(path: str) -> str:
    return f"{ASSETS}/{path}/" if path else f"{ASSETS}/"


def collect(model: Any) -> dict[str, bytes]:
    """The asset members of ``model``'s archive: ``{member name: content}``."""
    members: dict[str, bytes] = {}
    for path, entry in walk(model).items():
        save_assets = getattr(entry.obj, "save_assets", None)
        if not callable(save_assets):
            continue
        with tempfile.TemporaryDirectory(prefix="heft-assets-") as folder:
            save_assets(folder)
            for root, _dirs, files in os.walk(folder):
                for file in sorted(files):
                    full = os.path.join(root, file)
                    relative = os.path.relpath(full, folder).replace(os.sep, "/")
                    with open(full, "rb") as f:
                        members[_prefix(path) + relative] = f.read()
    return members


def restore(model: Any, archive: Any) -> None:
    """Give each object with ``load_assets`` its files from ``archive`` (an ``ArchiveReader``).

    Member names are checked to stay inside the object's folder; a name that
    escapes it (``..``, an absolute path) is refused with ``ValueError``.
    """
    names = [n for n in archive.member_names() if n.startswith(f"{ASSETS}/")]
    owners = [
        (p, e.obj) for p, e in walk(model).items() if callable(getattr(e.obj, "load_assets", None))
    ]
    if not owners:
        return
    with tempfile.TemporaryDirectory(prefix="heft-assets-") as folder:
        for path, obj in owners:
            prefix = _prefix(path)
            mine = [n for n in names if n.startswith(prefix) and not n.endswith("/")]
            if not mine:
                obj.load_assets(None)
                continue
            target = os.path.join(folder, path.replace("/", os.sep)) if path else folder
            for name in mine:
                relative = name[len(prefix) :]
                parts = relative.split("/")
                if any(p in ("", ".", "..") for p in parts) or os.path.isabs(relative):
                    raise ValueError(
                        f"Refusing the asset member '{name}' of '{archive.filepath}': its name "
                        "escapes the asset folder. Only load archives you trust."
                    )
                full = os.path.join(target, *parts)
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "wb") as f:
                    f.write(archive.read_bytes(name))
            obj.load_assets(target)
