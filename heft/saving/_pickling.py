"""Pickling layers and models: the object travels as the bytes of its ``.keras`` archive.

Keras 3 pickles its layers and models this way, so that distributed-computing
tools (multiprocessing, Ray, Dask, scikit-learn's parallel search) can ship a
model to another process. Unpickling runs arbitrary code whatever the format,
so the archive is loaded with ``safe_mode=False``, as Keras does; never unpickle
data you do not trust.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any


def to_archive_bytes(layer: Any) -> bytes:
    """The ``.keras`` archive of ``layer`` (a model or any layer), as bytes."""
    from ._api import save_model

    with tempfile.TemporaryDirectory(prefix="heft-pickle-") as folder:
        path = os.path.join(folder, "object.keras")
        save_model(layer, path)
        with open(path, "rb") as f:
            return f.read()


def from_archive_bytes(data: bytes) -> Any:
    """The layer or model whose ``.keras`` archive ``data`` is (see :func:`to_archive_bytes`)."""
    from ._api import load_model

    with tempfile.TemporaryDirectory(prefix="heft-pickle-") as folder:
        path = os.path.join(folder, "object.keras")
        with open(path, "wb") as f:
            f.write(data)
        return load_model(path, compile=True, safe_mode=False)
