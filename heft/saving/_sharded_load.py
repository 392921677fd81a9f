"""Opening sharded weights for loading: the shards of one index, checked to belong to it.

A load reads the index, opens every shard it names and reads the index
again; when a save replaced it meanwhile (a shard vanished, or the index
changed), the load starts again, ``_ATTEMPTS`` times at most. From the
second try on it holds the saves' lock shared while it opens the shards, so
no save can commit meanwhile (saves that keep coming cannot starve it). Open
shards stay readable after a save removes them (POSIX), so a load reads one
save.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator

import h5py
import numpy as np

from . import _untrusted
from ._buffers import Take
from ._format import FileIndex, Opened, StoredArray
from ._hdf5 import index_file, metadata_errors, open_h5, read_array
from ._lock import shared
from ._sharded_index import SAVE_ID, Index, changed, read_index, shard_digest

# How many times a load opens the shards before giving up on an index that
# saves keep replacing, and the longest pause between two tries.
_ATTEMPTS = 10
_MAX_PAUSE_S = 0.2


@contextlib.contextmanager
def open_file(json_path: str) -> Iterator[Opened]:
    """Open sharded weights (the ``.weights.json`` and its shards) for loading.

    The shards opened all belong to the index as it was before and after
    they were opened: an index a save replaced meanwhile is read again.

    Raises:
        FileNotFoundError: If the JSON file or a shard it lists is missing.
        OSError: If the JSON file or a shard is not a regular file.
        ValueError: If the index is over a limit or malformed, or the shards
            are damaged, inconsistent with it or from another save.
        RuntimeError: If saves replaced the index every time it was opened.
    """
    with contextlib.ExitStack() as stack:
        yield _open_consistent(json_path, stack)


def _open_consistent(json_path: str, stack: contextlib.ExitStack) -> Opened:
    """Open the shards of one index, kept open by ``stack``; see :func:`open_file`."""
    for attempt in range(_ATTEMPTS):
        if attempt:
            time.sleep(min(0.002 * 2**attempt, _MAX_PAUSE_S))
        # The lock is released once the shards are open: they stay readable.
        with (
            shared(json_path) if attempt else contextlib.nullcontext(),
            contextlib.ExitStack() as shards,
        ):
            index = read_index(json_path)
            try:
                opened = _open_shards(json_path, index, shards)
            except (OSError, ValueError):
                # A failure is the file's only when its index stayed the same.
                if changed(json_path, index.raw):
                    continue
                raise
            if not changed(json_path, index.raw):
                stack.enter_context(shards.pop_all())
                return opened
    raise RuntimeError(
        f"Cannot load sharded weights '{json_path}': saves replaced the index each of the "
        f"{_ATTEMPTS} times its shards were opened. Load it when saves to it are less "
        "frequent, or from a copy of the index and its shards."
    )


def _open_shards(json_path: str, index: Index, stack: contextlib.ExitStack) -> Opened:
    """Open, index and check every shard ``index`` names; the files stay open in ``stack``."""
    folder = os.path.dirname(os.path.abspath(json_path))
    files: dict[str, h5py.File] = {}
    contents: dict[str, FileIndex] = {}
    for name in index.names:
        path = os.path.join(folder, name)
        try:
            _untrusted.check_path_regular(path, "a `.weights.h5` shard")
        except FileNotFoundError:
            raise FileNotFoundError(
                f"Sharded weights file '{json_path}' lists shard '{name}', which is not in "
                f"'{folder}'. Keep every shard next to the JSON file (copy them all)."
            ) from None
        files[name] = stack.enter_context(open_h5(path))
        contents[name] = index_file(files[name], path)
        if index.save_id is not None:
            _check_bound(
                json_path, index.save_id, index.digests[name], path, files[name], contents[name]
            )
    merged, owner = _merge(json_path, contents, index.weight_map)

    def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Callable[[], None]]:
        shard = owner[stored.key]
        return read_array(files[shard], stored, os.path.join(folder, shard), take)

    return Opened(json_path, merged, read)


def _read_save_id(f: h5py.File, path: str) -> str | None:
    """A shard's ``save_id`` attribute, read only if it is a short fixed-length string."""
    with metadata_errors(path):
        if SAVE_ID not in f.attrs:
            return None
        attr = h5py.h5a.open(f.id, SAVE_ID.encode())
        kind = attr.get_type()
        # Anything else (a variable-length string, an array) is damage: never read it.
        if (
            kind.get_class() != h5py.h5t.STRING
            or kind.is_variable_str()
            or kind.get_size() > 64
            or attr.get_space().get_simple_extent_type() != h5py.h5s.SCALAR
        ):
            return "(not a short fixed-length string)"
        value = f.attrs[SAVE_ID]
    return value.decode("utf8", "replace") if isinstance(value, bytes) else str(value)


def _check_bound(
    json_path: str, save_id: str, expected: str, path: str, f: h5py.File, content: FileIndex
) -> None:
    """Refuse a shard that another save wrote, or whose entries are not those recorded.

    ``save_id`` and ``expected`` (the shard's digest) are what the index records.

    Raises:
        ValueError: Naming the shard and the index.
    """
    found = _read_save_id(f, path)
    if found != save_id:
        writer = f"save {found!r:.80}" if found is not None else "no heft save (it has no save id)"
        raise ValueError(
            f"Shard '{path}' does not belong to sharded weights '{json_path}': it was written "
            f"by {writer}, the index by save '{save_id}'. A shard of another save was "
            "copied, renamed or swapped in. Nothing was loaded; copy the index and every "
            "shard it names from the same save, or save the weights again."
        )
    checksums = {key: stored.checksum for key, stored in content.arrays.items()}
    actual = shard_digest(save_id, os.path.basename(path), checksums)
    if actual != expected:
        raise ValueError(
            f"Shard '{path}' does not match sharded weights '{json_path}': its entries or "
            f"their checksums are not those the index recorded for it ({actual} instead of "
            f"{expected}); entries were added, removed or replaced after saving. Nothing was "
            "loaded; copy the index and its shards again, or save the weights again."
        )


def _merge(
    json_path: str, contents: dict[str, FileIndex], weight_map: dict[str, list[str]]
) -> tuple[FileIndex, dict[str, str]]:
    """One index over every shard, and the shard holding each dataset.

    Raises:
        ValueError: If a dataset is in two shards, or a shard does not hold a
            group the weight map puts in it.
    """
    arrays: dict[str, StoredArray] = {}
    groups: set[str] = set()
    owner: dict[str, str] = {}
    listed: dict[str, set[str]] = {}
    for group, shards in weight_map.items():
        for shard in shards:
            listed.setdefault(shard, set()).add(group)
    for name, index in contents.items():
        for key, stored in index.arrays.items():
            if key in owner:
                raise ValueError(
                    f"Sharded weights '{json_path}' are inconsistent: dataset '{key}' is in "
                    f"both '{owner[key]}' and '{name}'. Save the weights again."
                )
            arrays[key], owner[key] = stored, name
        for group in sorted(listed.get(name, ())):
            if group.strip("/") not in index.groups:
                raise ValueError(
                    f"Sharded weights '{json_path}' are inconsistent: the weight map puts "
                    f"group '{group}' in shard '{name}', which does not hold it. Save the "
                    "weights again."
                )
        groups |= index.groups
    return FileIndex(arrays, groups), owner
