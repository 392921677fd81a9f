"""Sharded weights: a ``x.weights.json`` index (Keras's ``weight_map``) and the shards it names.

What ``save_weights(model, "big.weights.json", max_shard_size=...)`` leaves::

    big.weights.json                the index: {"metadata": {...}, "weight_map": {...}}
    big_00000.3f9a2c1b.weights.h5   the shards of one save: number, then the save's tag
                                    (the start of its identifier, unless a file has it)
    big_00001.3f9a2c1b.weights.h5
    big_00000.weights.h5            a second name (hard link) of that save's first shard
    .big.weights.json.lock          the lock saves to this index commit under (kept)

Guarantees for files heft writes:

- Each save writes its shards under names no other save uses (a tag chosen
  free in the folder), then switches the index by an atomic rename, then
  removes the shards of the index it replaced. At every instant the index
  names complete shards of one save, and a save that fails or is killed
  leaves the previous one loadable.
- Saves to one index commit one at a time, under an exclusive lock
  (``_lock.py``): from reading the index it replaces to removing that
  index's shards, no other save commits, so a save never removes shards
  another save's index names. Of two concurrent saves, the one that commits
  last is on disk, whole.
- Each save has an identifier (``uuid4`` hex), written in the index and as
  the attribute ``save_id`` of each shard's root group; for each shard, the
  index also records a digest over the identifier, the shard's name and the
  checksums of its entries. Loading refuses a shard whose identifier or
  digest differs, so shards mixed from two saves (a shard copied, renamed or
  swapped in) never load, even when each is intact. The digests are not
  cryptographic: whoever edits the index on purpose can make it accept other
  shards.
- Loading (``_sharded_load.py``) reads the index, opens every shard it
  names and reads the index again; when a save replaced the index meanwhile
  (a shard vanished, or the index changed), it starts again, a bounded
  number of times. Shards stay readable once open, after a save removes them
  (POSIX), so a load reads one save, whole, even while others save.
- The index is read as an untrusted file (``_sharded_index.py``), and each
  shard is opened only if it is a regular file.

Files written by Keras 3 (and by heft before save identifiers) have no
identifier: their shards load as the index names them, with the checks
every HDF5 weight file gets (Keras writes no checksums), and nothing proves
they belong together. Loading retries as above when a heft save replaces
them, but Keras overwrites its shard files in place, so a load that runs
while Keras saves to the same path can read shards of two saves. A heft save
over such an index replaces it and removes its shards.

Keras 3 loads heft's files: it ignores the extra metadata and attributes and
reads the shards the index names, but first opens ``<base>_00000.weights.h5``
whatever the index says, hence that second name (a copy, on a file system
without hard links). Keras takes no lock, checks no identifier and does not
retry.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
import shutil
import uuid
import warnings
from typing import Any, NamedTuple

import h5py
import numpy as np

from .. import _dtypes
from . import _checksum
from ._atomic import (
    Writeback,
    atomic_path,
    check_target,
    fsync_file,
    fsync_folder,
    remove_quietly,
    remove_stale,
    temp_name,
    temp_path,
)
from ._format import WeightFormat
from ._hdf5 import write_array
from ._lock import locked
from ._sharded_index import SAVE_ID, base_name, listed_shards, shard_digest, shard_name
from ._sharded_load import open_file
from ._store import describe_value, host_value, saved_groups, value_spec
from ._walk import vars_group

_GB = 1024**3


def variable_bytes(value: Any) -> float:
    """The size Keras counts for a saved value: elements times bits per element, over 8."""
    dtype, shape = value_spec(value)
    name = _dtypes.standardize_dtype(dtype)
    bits = 1 if name == "bool" else np.dtype(_dtypes.to_jax_dtype(name)).itemsize * 8
    return math.prod(shape) * bits / 8


def _readable(size: float) -> str:
    for unit, scale in (("GB", _GB), ("MB", 1024**2), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.4g} {unit}"
    return f"{size:g} bytes"


class _Shard(NamedTuple):
    """The shard being written: its file, and the writeback hint of its temporary file."""

    file: h5py.File
    writeback: Writeback


class _ShardWriter:
    """Writes datasets into temporary shard files in order, starting a new one when one would overflow.

    The shards are named at the commit (see ``config``); until then
    ``weight_map`` refers to them by number. ``checksums[i]`` holds shard
    ``i``'s entries and the checksums written with them.
    """

    def __init__(self, json_path: str, limit: float, save_id: str) -> None:
        self.limit, self.save_id = limit, save_id
        self.folder = os.path.dirname(os.path.abspath(json_path))
        self.base = base_name(json_path)
        self.size = 0.0
        self.total = 0.0
        self.weight_map: dict[str, int | list[int]] = {}
        self.temps: list[str] = []
        self.checksums: list[dict[str, str | None]] = []
        self.shard: _Shard | None = None

    def next_shard(self) -> _Shard:
        """Close the current shard and start the next one."""
        self.close()
        tmp = temp_path(os.path.join(self.folder, shard_name(self.base, len(self.temps))))
        self.temps.append(tmp)
        self.checksums.append({})
        f = h5py.File(tmp, "w")
        # A fixed-length string, kept in the root group's header (Keras ignores it).
        f.attrs[SAVE_ID] = np.bytes_(self.save_id)
        self.shard = _Shard(f, Writeback(tmp))
        return self.shard

    def _current(self) -> _Shard:
        return self.shard if self.shard is not None else self.next_shard()

    def make(self, path: str, name: Any) -> None:
        """Open an object's group in the current shard (only if it has a name to record)."""
        if isinstance(name, str):
            self._current().file.require_group(vars_group(path)).attrs["name"] = name

    def put(self, path: str, key: str, entry: Any) -> None:
        """Write one value, moving to a new shard first if this one would overflow."""
        size = variable_bytes(entry)
        self.total += size
        self.size += size
        shard = self._current()
        if self.size > self.limit:
            shard = self.next_shard()
            self.size = size
        group = shard.file.require_group(vars_group(path))
        value = host_value(entry)
        write_array(group, key, value)
        shard.writeback.wrote(value.nbytes)
        written = group[key].attrs.get(_checksum.ATTRIBUTE)
        name = f"{vars_group(path)}/{key}"
        self.checksums[-1][name] = written.decode() if isinstance(written, bytes) else written
        number = len(self.temps) - 1
        # As in Keras: a group's first variable maps to a file name; from the
        # second on, the entry is the list of the group's shards.
        group_key = f"/{vars_group(path)}"
        listed = self.weight_map.get(group_key)
        if listed is None:
            self.weight_map[group_key] = number
        elif isinstance(listed, int):
            self.weight_map[group_key] = [listed] if listed == number else [listed, number]
        elif number not in listed:
            listed.append(number)

    def close(self) -> None:
        if self.shard is not None:
            self.shard.file.close()
            self.shard = None

    def config(self, names: list[str]) -> dict[str, Any]:
        """The index naming shard ``i`` ``names[i]``, in Keras's layout plus heft's record."""
        weight_map = {
            group: [names[i] for i in shards] if isinstance(shards, list) else names[shards]
            for group, shards in self.weight_map.items()
        }
        digests = {
            name: shard_digest(self.save_id, name, self.checksums[i])
            for i, name in enumerate(names)
        }
        record = {"save_id": self.save_id, "shards": digests}
        return {"metadata": {"total_size": self.total, "heft": record}, "weight_map": weight_map}


def save(model: Any, json_path: str, overwrite: bool, max_shard_size: float | None) -> None:
    """Save ``model``'s weights as shards of at most ``max_shard_size`` GB plus a JSON index.

    ``save_weights`` always passes ``max_shard_size``; ``None`` writes one
    shard. The shards are written to temporary files and fsynced without the
    lock, then committed under it (see :func:`_commit` and the module's
    docstring).

    Raises:
        ValueError: If one variable is larger than ``max_shard_size``.
        FileExistsError: If ``overwrite`` is False and the index or
            ``<base>_00000.weights.h5`` exists.
        TimeoutError: If another save to the same path holds the lock too long.
    """
    limit = math.inf if max_shard_size is None else float(max_shard_size) * _GB
    groups = saved_groups(model, json_path)
    for path, (_, entries) in groups.items():
        for key, entry in entries.items():
            size = variable_bytes(entry)
            if size > limit:
                where = describe_value(entry, f"{vars_group(path)}/{key}")
                raise ValueError(
                    f"Cannot save sharded weights to '{json_path}': {where} is "
                    f"{_readable(size)}, which exceeds the maximum shard size "
                    f"{_readable(limit)} (max_shard_size={max_shard_size!r}, in GB). A "
                    "variable is never split across shards: increase `max_shard_size` "
                    f"to at least {size / _GB:.4g}."
                )
    _check_targets(json_path, overwrite)
    writer = _ShardWriter(json_path, limit, uuid.uuid4().hex)
    try:
        try:
            writer.next_shard()
            for path, (obj, entries) in groups.items():
                writer.make(path, getattr(obj, "name", None))
                for key, entry in entries.items():
                    writer.put(path, key, entry)
        finally:
            writer.close()
        for tmp in writer.temps:
            fsync_file(tmp)
        with locked(json_path):
            _commit(json_path, writer, overwrite)
    finally:
        for tmp in writer.temps:  # the ones the commit did not rename
            remove_quietly(tmp)


def _check_targets(json_path: str, overwrite: bool) -> None:
    check_target(json_path, overwrite)
    check_target(
        os.path.join(os.path.dirname(json_path), shard_name(base_name(json_path), 0)), overwrite
    )


def _commit(json_path: str, writer: _ShardWriter, overwrite: bool) -> None:
    """Name the written shards, switch the index to them, then remove the replaced save's shards.

    Runs under the lock, so the index read here is the one replaced. The
    shards get a tag no file in the folder has, so no name the old index
    (or a reader of it) uses changes before the index is switched.
    ``<base>_00000.weights.h5`` becomes a second name of the first shard
    before the switch, unless the old index names it (Keras's layout): then
    after, so that the old checkpoint stays whole until it is replaced.
    """
    _check_targets(json_path, overwrite)
    folder, base = writer.folder, writer.base
    previous = listed_shards(json_path)
    tag = _free_tag(folder, base, len(writer.temps), writer.save_id)
    names = [shard_name(base, i, tag) for i in range(len(writer.temps))]
    keras_name = shard_name(base, 0)
    late = previous is None or keras_name in previous
    try:
        for tmp, name in zip(writer.temps, names, strict=True):
            os.replace(tmp, os.path.join(folder, name))
        fsync_folder(folder)
        if not late:
            _second_name(folder, names[0], keras_name)
        _write_json(json_path, writer.config(names))
    except BaseException:
        for name in names:
            remove_quietly(os.path.join(folder, name))
        raise
    if late:
        try:
            _second_name(folder, names[0], keras_name)
        except OSError as err:
            warnings.warn(
                f"Saved '{json_path}', but could not give its first shard the name "
                f"'{keras_name}' ({err}), which Keras 3 opens first: heft loads these weights, "
                "Keras will once they are saved again.",
                stacklevel=4,
            )
    if previous is not None:
        _remove_replaced(json_path, previous, set(names) | {keras_name})


def _free_tag(folder: str, base: str, count: int, save_id: str) -> str:
    """A tag no shard name of ``base`` in ``folder`` has yet: the save id's first 8 hex digits, if free."""
    tag = save_id[:8]
    while any(
        os.path.lexists(os.path.join(folder, shard_name(base, i, tag))) for i in range(count)
    ):
        tag = secrets.token_hex(4)
    return tag


def _second_name(folder: str, shard: str, name: str) -> None:
    """Give the file ``shard`` the name ``name`` too (a hard link, else a copy), replacing ``name`` atomically."""
    source, target = os.path.join(folder, shard), os.path.join(folder, name)
    tmp = os.path.join(folder, temp_name(target))
    try:
        try:
            os.link(source, tmp)
        except OSError:  # a file system without hard links
            shutil.copyfile(source, tmp)
            fsync_file(tmp)
        os.replace(tmp, target)
    except BaseException:
        remove_quietly(tmp)
        raise


def _remove_replaced(json_path: str, previous: set[str], keep: set[str]) -> None:
    """Remove the shards the replaced index named, and what killed saves left (not ``keep``).

    Called under the lock after the commit: a tagged shard no index names is
    then a leftover (of a save killed between naming its shards and
    switching the index), never another save's work in progress. Only names
    heft or Keras give this index's shards are touched, and a shard that
    cannot be removed (still open on Windows) stays for the next save.
    """
    folder = os.path.dirname(os.path.abspath(json_path))
    base = re.escape(base_name(json_path))
    ours = re.compile(rf"{base}_\d{{5}}(\.[0-9a-f]{{8}})?\.weights\.h5|\.{base}_\d{{5}}\..*")
    tagged = re.compile(rf"{base}_\d{{5}}\.[0-9a-f]{{8}}\.weights\.h5")
    try:
        present = os.listdir(folder)
    except OSError:
        present = []
    doomed = {n for n in previous if ours.fullmatch(n)}
    doomed |= {n for n in present if tagged.fullmatch(n)}
    for name in sorted(doomed - keep):
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, name))
    # Temporary files of killed saves (a name the old index used is removed above).
    remove_stale(folder, rf"{base}_\d{{5}}\.weights\.h5", keep=keep)


def _write_json(json_path: str, config: dict[str, Any]) -> None:
    with atomic_path(json_path) as tmp, open(tmp, "w", encoding="utf8") as fh:
        fh.write(json.dumps(config, indent=4))


FORMAT: WeightFormat = WeightFormat(
    name="sharded weights.h5",
    suffixes=(".weights.json",),
    description="the same layout split in shards, with `max_shard_size`",
    open=open_file,
    save=save,
    needs_shard_size=True,
)
