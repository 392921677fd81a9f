"""The weight-file format protocol, and the format-neutral index of what a file stores."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._buffers import Take
from ._untrusted import special_kind

if TYPE_CHECKING:
    from ._plan import Plan


@dataclass(frozen=True)
class StoredArray:
    """What a file says about one stored value, before any of its data is read.

    Attributes:
        key: Where the value is in the file (``"layers/dense/vars/0"``).
        shape: Its shape.
        dtype: ``"float32"``, ``"bfloat16"``..., or the file's own spelling of a
            type heft cannot load.
        numeric: Whether the type is a number type heft can load.
        checksum: ``"xxh3:<hex>"`` (or ``"crc32:<hex>"``) for files heft
            wrote, else ``None``.
    """

    key: str
    shape: tuple[int, ...]
    dtype: str
    numeric: bool
    checksum: str | None = None

    def describe(self) -> str:
        return f"{self.shape} {self.dtype}"


@dataclass
class FileIndex:
    """Every stored value of a file by key, and the groups (key prefixes) that hold them."""

    arrays: dict[str, StoredArray]
    groups: set[str]


def convertible(stored: StoredArray, variable_dtype: str) -> bool:
    """Whether values of ``stored``'s dtype may be cast to ``variable_dtype`` on load."""
    if not stored.numeric:
        return False
    if stored.dtype.startswith("complex"):
        return variable_dtype.startswith("complex")
    return True


# ``read(stored, take)``: one value read into the array ``take(shape, dtype)``
# gives, as stored, and a function raising ``ValueError`` if it fails its checksum.
Read = Callable[[StoredArray, Take], tuple[np.ndarray, Callable[[], None]]]


# ``save(model, filepath, overwrite, max_shard_size)``: see ``WeightFormat.save``.
SaveFunction = Callable[[Any, str, bool, float | None], None]


@dataclass(frozen=True)
class Opened:
    """An open weight file, indexed and checked, ready to be read.

    Attributes:
        label: How messages and the load report name the file (a ``.keras``
            archive's weights are ``"<archive>/model.weights.h5"``).
        index: Every stored value, as the file declares it.
        read: Reads one indexed value (see ``Read``).
        pair: For a format whose entries are not laid out by the object-graph
            walk: ``pair(model, by_name)`` returns the loading plan (see
            ``_loading.Plan``). ``None`` pairs by the walk.
    """

    label: str
    index: FileIndex
    read: Read
    pair: Callable[[Any, bool], Plan] | None = None


@dataclass(frozen=True)
class WeightFormat:
    """One weight-file format: the suffixes that name it, how to write it and how to open it.

    ``save_weights`` and ``load_weights`` pick the format whose suffix ends the
    path (the longest one that matches, ignoring case) from the registry in
    ``_formats.py``, check the arguments that apply to every format, and call
    ``save`` or ``open``. Loading then pairs the model with ``open``'s index,
    checks every pair, reads every value with ``open``'s reader, and assigns
    them all or none (``_loading.py``): a format only says where values are.

    Adding a format, e.g. Orbax's, takes a module of its own and one line in
    ``_formats.py``:

    1. Write ``_orbax.py`` with ``save(model, filepath, overwrite,
       max_shard_size)``. Take the entries from
       ``_store.saved_groups(model, filepath)``:
       ``{object path: (object, {name: value})}``, where each layer's
       ``save_own_variables`` has chosen its names and values (``"0"``,
       ``"1"``... by default), and store each under ``<path>/vars/<name>``
       (``_walk.vars_group``). Values that are variables are read one at a
       time with ``_store.host_value``, so that saving adds one value's memory
       at most. Write through ``_atomic.atomic_path``, so an interrupted save
       leaves the previous file, and record ``_checksum.digest`` of each value
       where the format has room for it.
    2. Write ``open(filepath)``: a context manager yielding ``Opened(label,
       index, read)``. ``index`` lists every stored value as a
       ``StoredArray`` under the same keys, with the checksum saved with it;
       check here everything that can be checked without reading data
       (sizes against the file, unsafe references) and raise ``ValueError``
       naming the file. ``read(stored, take)`` reads one value into
       ``take(shape, dtype).array`` and returns it with a function that
       raises if its checksum differs (``_checksum.checker``). The file may
       be hostile, so ``open`` follows the rules of ``_untrusted.py``: it
       opens files with ``_untrusted.open_regular`` (or checks them with
       ``check_readable``), parses any JSON with ``_untrusted.parse_json``,
       refuses an index longer than ``_untrusted.current().file_entries``,
       and checks every declared size against the file before allocating.
       ``tests/saving/hostile_child.py`` then needs the format's suffix and
       its own hostile variants, and tests it with the others.
    3. Add ``WeightFormat(name="orbax", suffixes=(".orbax",), description="...",
       open=open, save=save)`` to ``_formats.FORMATS``.

    A format written by the walk needs nothing else: every layer's own
    ``load_own_variables``, ``strip_prefix``, ``aliases``, the load report and
    the all-or-nothing guarantee come from the shared loader. A format with
    keys of its own is laid out per layer instead: Keras 2's ``.h5`` sets
    ``by_structure=False`` and gives ``Opened.pair``, and PyTorch's state
    dicts (``layout="torch"``, ``_torch.py``) pair the file's modules with the
    model's layers and convert each tensor while building the same plan.

    Attributes:
        name: The format as the load report names it (``LoadReport.format``).
        suffixes: The lower-case path endings that select it.
        description: What it holds, for error messages listing the formats
            (``"the Keras 3 layout"``).
        open: ``open(filepath)``: a context manager yielding the ``Opened`` file.
        open_for_model: For a format that extracts data before reading it (the
            ``.keras`` archive's compressed weights): ``open_for_model(filepath,
            model)``, like ``open``, bounding what it extracts by what ``model``
            can use. Loading calls it instead of ``open`` when it is set.
        save: ``save(model, filepath, overwrite, max_shard_size)``, or ``None``
            for a format heft only reads. ``max_shard_size`` is ``None`` except
            for formats with ``needs_shard_size``.
        by_structure: Whether entries are paired with the model by the
            object-graph walk (which ``strip_prefix`` and ``aliases`` act on);
            otherwise by layer position or name (which ``by_name`` picks).
        needs_shard_size: Whether saving needs ``max_shard_size``.
        sharded_suffix: Where saving with ``max_shard_size`` goes instead: the
            path is renamed to end in this suffix (with a warning) and saved in
            the format that suffix selects.
    """

    name: str
    suffixes: tuple[str, ...]
    description: str
    open: Callable[[str], AbstractContextManager[Opened]]
    save: SaveFunction | None = None
    open_for_model: Callable[[str, Any], AbstractContextManager[Opened]] | None = None
    by_structure: bool = True
    needs_shard_size: bool = False
    sharded_suffix: str | None = None


def check_readable(filepath: str, kind: str) -> None:
    """Check that ``filepath`` is a regular file before a format opens it.

    A FIFO or a device is refused here, before any reader opens it: opening a
    FIFO blocks until a writer appears, and a device such as ``/dev/zero``
    never ends. Formats that read through a file object of their own use
    ``_untrusted.open_regular``, which checks the opened descriptor itself.

    Raises:
        FileNotFoundError: If nothing is at ``filepath``.
        IsADirectoryError: If it is a folder.
        OSError: If it is a FIFO, a device, a socket or another special file.
    """
    if not os.path.exists(filepath):
        raise FileNotFoundError(
            f"No weights file at '{filepath}'. Check the path (relative paths start from "
            f"the working folder {os.getcwd()!r})."
        )
    if os.path.isdir(filepath):
        raise IsADirectoryError(
            f"'{filepath}' is a folder, not a weights file. Pass the path of a {kind} file."
        )
    if not os.path.isfile(filepath):
        raise OSError(
            f"Refusing to read '{filepath}': it is {special_kind(os.stat(filepath).st_mode)}, "
            f"not a regular file, and reading it could block forever or never end. Pass the "
            f"path of a {kind} file."
        )
