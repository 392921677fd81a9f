"""Sharded weights: ``x.weights.json`` (Keras's ``weight_map``) plus ``x_00000.weights.h5`` shards."""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import h5py
import numpy as np

from .. import _dtypes
from ._atomic import (
    Writeback,
    atomic_path,
    check_target,
    fsync_file,
    fsync_folder,
    remove_quietly,
    remove_stale,
    temp_path,
)
from ._buffers import Take
from ._format import FileIndex, Opened, StoredArray, WeightFormat
from ._hdf5 import index_file, open_h5, read_array, write_array
from ._store import describe_value, host_value, saved_groups, value_spec
from ._walk import vars_group

_GB = 1024**3
_MAX_JSON_BYTES = 64 * 1024**2


def base_name(json_path: str) -> str:
    """The shards' stem: the JSON file's stem without ``.weights`` (``big.weights.json`` -> ``big``)."""
    stem = os.path.splitext(os.path.basename(json_path))[0]
    return stem.replace(".weights", "")


def shard_name(base: str, index: int) -> str:
    """The file name of shard ``index`` (``big_00000.weights.h5``)."""
    return f"{base}_{index:05d}.weights.h5"


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


class _ShardWriter:
    """Writes datasets into shards in order, starting a new shard when one would overflow.

    Shards are written to temporary files; ``self.shards`` lists ``(temporary
    path, final path)`` pairs for the commit.
    """

    def __init__(self, json_path: str, limit: float, overwrite: bool) -> None:
        self.limit, self.overwrite = limit, overwrite
        self.folder = os.path.dirname(os.path.abspath(json_path))
        self.base = base_name(json_path)
        self.index = -1
        self.size = 0.0
        self.total: float = 0
        self.weight_map: dict[str, Any] = {}
        self.shards: list[tuple[str, str]] = []
        self.file: h5py.File | None = None
        self.writeback: Writeback | None = None
        self.name = ""

    def start(self) -> None:
        self._next_shard()

    def _next_shard(self) -> None:
        self.close()
        self.index += 1
        self.name = shard_name(self.base, self.index)
        target = os.path.join(self.folder, self.name)
        check_target(target, self.overwrite)
        tmp = temp_path(target)
        self.shards.append((tmp, target))
        self.file = h5py.File(tmp, "w")
        self.writeback = Writeback(tmp)

    def make(self, path: str, name: Any) -> None:
        """Open an object's group in the current shard (only if it has a name to record)."""
        if isinstance(name, str):
            self.file.require_group(vars_group(path)).attrs["name"] = name

    def put(self, path: str, key: str, entry: Any) -> None:
        """Write one value, moving to a new shard first if this one would overflow."""
        size = variable_bytes(entry)
        self.total += size
        self.size += size
        if self.size > self.limit:
            self._next_shard()
            self.size = size
        group = self.file.require_group(vars_group(path))
        value = host_value(entry)
        write_array(group, key, value)
        self.writeback.wrote(value.nbytes)
        key = f"/{vars_group(path)}"
        # As in Keras: a group's first variable maps to a file name; from the
        # second on, the entry is the list of the group's shards.
        if key not in self.weight_map:
            self.weight_map[key] = self.name
            return
        if not isinstance(self.weight_map[key], list):
            self.weight_map[key] = [self.weight_map[key]]
        if self.name not in self.weight_map[key]:
            self.weight_map[key].append(self.name)

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def save(model: Any, json_path: str, overwrite: bool, max_shard_size: float | None) -> None:
    """Save ``model``'s weights as shards of at most ``max_shard_size`` GB plus a JSON map.

    ``save_weights`` always passes ``max_shard_size``; ``None`` writes one shard.
    Every shard is written to a temporary file and fsynced; then the commit
    (see :func:`_commit`) makes the new shards and JSON live so that, at every
    instant, the JSON on disk names complete shards of one single save: a save
    that fails or is killed leaves the previous weights loadable.

    Raises:
        ValueError: If one variable is larger than ``max_shard_size``.
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
    check_target(json_path, overwrite)
    _remove_stale_shards(json_path)
    writer = _ShardWriter(json_path, limit, overwrite)
    try:
        try:
            writer.start()
            for path, (obj, entries) in groups.items():
                writer.make(path, getattr(obj, "name", None))
                for key, entry in entries.items():
                    writer.put(path, key, entry)
        finally:
            writer.close()
        for tmp, _ in writer.shards:
            fsync_file(tmp)
        config = {"metadata": {"total_size": writer.total}, "weight_map": writer.weight_map}
        _commit(json_path, config, writer.shards, overwrite)
    finally:
        # Never remove a file the JSON on disk names (after a failure halfway
        # through the commit, the temporary shards may be the live ones).
        live = _live_shards(json_path)
        for tmp, _ in writer.shards:
            if os.path.basename(tmp) not in live:
                remove_quietly(tmp)


def _remove_stale_shards(json_path: str) -> list[str]:
    """Remove the temporary shards (and links to them) that killed saves to ``json_path`` left.

    Temporary shards the JSON on disk names are kept: a save killed during its
    commit may have made them the live ones.
    """
    pattern = rf"{re.escape(base_name(json_path))}_\d{{5}}\.weights\.h5"
    folder = os.path.dirname(os.path.abspath(json_path))
    return remove_stale(folder, pattern, keep=_live_shards(json_path))


def _write_json(json_path: str, config: dict[str, Any], overwrite: bool) -> None:
    with atomic_path(json_path, overwrite) as tmp, open(tmp, "w", encoding="utf8") as fh:
        fh.write(json.dumps(config, indent=4))


def _renamed(config: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """``config`` with every shard name ``n`` replaced by ``names[n]``."""
    weight_map = {
        group: [names[n] for n in shards] if isinstance(shards, list) else names[shards]
        for group, shards in config["weight_map"].items()
    }
    return {**config, "weight_map": weight_map}


def _live_shards(json_path: str) -> set[str]:
    """The shard names the JSON now at ``json_path`` lists (none if it is absent or unreadable)."""
    try:
        weight_map = read_weight_map(json_path)
    except (OSError, ValueError):
        return set()
    return {name for names in weight_map.values() for name in names}


def _can_link(src: str) -> bool:
    probe = f"{src}.{secrets.token_hex(4)}.link"
    try:
        os.link(src, probe)
    except OSError:
        return False
    os.remove(probe)
    return True


def _link_over(src: str, target: str) -> None:
    """Give the file ``src`` the name ``target`` too, replacing ``target`` atomically."""
    link = f"{src}.{secrets.token_hex(4)}.link"
    os.link(src, link)
    try:
        os.replace(link, target)
    except BaseException:
        remove_quietly(link)
        raise


def _commit(
    json_path: str, config: dict[str, Any], shards: list[tuple[str, str]], overwrite: bool
) -> None:
    """Make the shards written to temporary files live, then the JSON naming them.

    When the JSON on disk lists none of the new shard names, each shard is
    renamed to its name and the JSON replaced last. Otherwise renaming a shard
    would change a file the live JSON uses, so the commit goes in three atomic
    steps: (1) a JSON naming the temporary files replaces the old one; (2) each
    shard gets its final name as a hard link; (3) the final JSON replaces the
    first. Old shards the new JSON no longer lists are removed afterwards. On a
    file system without hard links, the shards are renamed in place (a crash
    there can mix shards of two saves; the checksums do not catch it).
    """
    folder = os.path.dirname(os.path.abspath(json_path))
    base = base_name(json_path)
    live = _live_shards(json_path)
    names = {os.path.basename(target): os.path.basename(tmp) for tmp, target in shards}
    if live & set(names) and _can_link(shards[0][0]):
        _write_json(json_path, _renamed(config, names), overwrite)
        for tmp, target in shards:
            _link_over(tmp, target)
    else:
        for tmp, target in shards:
            os.replace(tmp, target)
    fsync_folder(folder)
    _write_json(json_path, config, overwrite)
    for name in sorted(live - set(names)):
        # Only files this checkpoint wrote: its shards and heft's temporary names.
        if name.startswith((f"{base}_", f".{base}_")):
            remove_quietly(os.path.join(folder, name))


def _bad_map(json_path: str, what: str) -> ValueError:
    return ValueError(
        f"Sharded weights file '{json_path}' is not a valid weight map: {what}. It must be "
        'the JSON written with the shards: {"metadata": {...}, "weight_map": {"/<path>/vars": '
        '"<shard>.weights.h5", ...}}. Save the weights again.'
    )


def read_weight_map(json_path: str) -> dict[str, list[str]]:
    """Read and check a ``.weights.json`` file: ``{group: [shard file names]}``.

    Raises:
        FileNotFoundError: If the file does not exist.
        ValueError: If it is not a weight map, or names a shard outside its folder.
    """
    if not os.path.isfile(json_path):
        raise FileNotFoundError(
            f"No sharded weights file at '{json_path}'. Check the path (relative paths start "
            f"from the working folder {os.getcwd()!r})."
        )
    if os.path.getsize(json_path) > _MAX_JSON_BYTES:
        raise _bad_map(json_path, f"it is larger than {_MAX_JSON_BYTES} bytes")
    with open(json_path, "rb") as fh:
        raw = fh.read()
    try:
        config = json.loads(raw.decode("utf8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _bad_map(json_path, f"it is not valid JSON ({err})") from None
    weight_map = config.get("weight_map") if isinstance(config, dict) else None
    if not isinstance(weight_map, dict):
        raise _bad_map(json_path, "it has no `weight_map` object")
    out: dict[str, list[str]] = {}
    for group, shards in weight_map.items():
        names = [shards] if isinstance(shards, str) else shards
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _bad_map(json_path, f"the entry of '{group}' is not a file name or a list")
        for name in names:
            if name in ("", ".", "..") or os.path.basename(name) != name or "\\" in name:
                raise _bad_map(
                    json_path,
                    f"shard '{name}' (of '{group}') is not a plain file name in the same "
                    "folder; shards outside the JSON's folder are refused",
                )
        out[group] = names
    return out


@contextlib.contextmanager
def _open_shards(json_path: str, names: list[str]) -> Iterator[dict[str, h5py.File]]:
    folder = os.path.dirname(os.path.abspath(json_path))
    with contextlib.ExitStack() as stack:
        files: dict[str, h5py.File] = {}
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                raise FileNotFoundError(
                    f"Sharded weights file '{json_path}' lists shard '{name}', which is not in "
                    f"'{folder}'. Keep every shard next to the JSON file (copy them all)."
                )
            files[name] = stack.enter_context(open_h5(path))
        yield files


def _merge(
    json_path: str, files: dict[str, h5py.File], weight_map: dict[str, list[str]]
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
    folder = os.path.dirname(os.path.abspath(json_path))
    for name, f in files.items():
        index = index_file(f, os.path.join(folder, name))
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


@contextlib.contextmanager
def open_file(json_path: str) -> Iterator[Opened]:
    """Open sharded weights (the ``.weights.json`` and its shards) for loading.

    Raises:
        FileNotFoundError: If the JSON file or a shard it lists is missing.
        ValueError: If the map is malformed, or the shards are damaged or
            inconsistent with it.
    """
    weight_map = read_weight_map(json_path)
    names = list(dict.fromkeys(n for shards in weight_map.values() for n in shards))
    folder = os.path.dirname(os.path.abspath(json_path))
    with _open_shards(json_path, names) as files:
        index, owner = _merge(json_path, files, weight_map)

        def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Callable[[], None]]:
            shard = owner[stored.key]
            return read_array(files[shard], stored, os.path.join(folder, shard), take)

        yield Opened(json_path, index, read)


FORMAT: WeightFormat = WeightFormat(
    name="sharded weights.h5",
    suffixes=(".weights.json",),
    description="the same layout split in shards, with `max_shard_size`",
    open=open_file,
    save=save,
    needs_shard_size=True,
)
