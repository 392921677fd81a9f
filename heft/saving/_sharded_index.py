"""The sharded format's index, ``x.weights.json``: shard names, heft's record, reading it safely.

The index is Keras 3's ``{"metadata": {"total_size": ...}, "weight_map":
{"/<path>/vars": "<shard>" or ["<shard>", ...]}}``; heft adds to the metadata
``"heft": {"save_id": "<32 hex digits>", "shards": {"<shard>": "xxh3:<16 hex
digits>"}}`` (see ``shard_digest``). It is read as an untrusted file
(``_untrusted``: a regular file, within the JSON limits).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from typing import Any

import xxhash

from . import _untrusted

# The attribute of each shard's root group naming the save that wrote it.
SAVE_ID = "save_id"
_ID = re.compile(r"[0-9a-f]{32}")
_DIGEST = re.compile(r"xxh3:[0-9a-f]{16}")


def base_name(json_path: str) -> str:
    """The shards' stem: the JSON file's stem without ``.weights`` (``big.weights.json`` -> ``big``)."""
    stem = os.path.splitext(os.path.basename(json_path))[0]
    return stem.replace(".weights", "")


def shard_name(base: str, index: int, tag: str | None = None) -> str:
    """The file name of shard ``index``: ``big_00000.3f9a2c1b.weights.h5``, or without a tag Keras's ``big_00000.weights.h5``."""
    return f"{base}_{index:05d}{'.' + tag if tag else ''}.weights.h5"


def shard_digest(save_id: str, name: str, checksums: dict[str, str | None]) -> str:
    """What the index records for one shard: a digest over the save, its name and its entries' checksums.

    >>> shard_digest("0" * 32, "m_00000.0a1b2c3d.weights.h5", {"vars/0": "xxh3:" + "0" * 16})
    'xxh3:16e4b8574e2e0fb6'
    """
    text = json.dumps([save_id, name, sorted(checksums.items())])
    return f"xxh3:{xxhash.xxh3_64_intdigest(text.encode('utf8')):016x}"


@dataclass(frozen=True)
class Index:
    """A ``.weights.json`` file, read and checked.

    Attributes:
        raw: Its bytes, to tell whether it changed since.
        weight_map: ``{group: [shard file names]}``.
        names: Every shard it names, in order of appearance.
        save_id: The save that wrote it, ``None`` without heft's record.
        digests: ``{shard name: digest}`` from heft's record (see ``shard_digest``).
    """

    raw: bytes
    weight_map: dict[str, list[str]]
    names: list[str]
    save_id: str | None
    digests: dict[str, str]


def bad_map(json_path: str, what: str) -> ValueError:
    return ValueError(
        f"Sharded weights file '{json_path}' is not a valid weight map: {what}. It must be "
        'the JSON written with the shards: {"metadata": {...}, "weight_map": {"/<path>/vars": '
        '"<shard>.weights.h5", ...}}. Save the weights again.'
    )


def read_bytes(json_path: str) -> bytes:
    """The index's bytes, from a regular file within the ``json_bytes`` limit."""
    limit = _untrusted.current().json_bytes
    try:
        fh = _untrusted.open_regular(json_path, "a `.weights.json` file")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"No sharded weights file at '{json_path}'. Check the path (relative paths start "
            f"from the working folder {os.getcwd()!r})."
        ) from None
    with fh:
        size = os.fstat(fh.fileno()).st_size
        if size > limit:
            raise _untrusted.too_large("the weight map", json_path, size, limit, "json_bytes")
        return fh.read(limit + 1)  # parse_json refuses a file that grew past the limit


def _plain_name(json_path: str, name: Any, where: str) -> str:
    if not isinstance(name, str):
        raise bad_map(json_path, f"the entry of '{where}' is not a file name or a list")
    if name in ("", ".", "..") or os.path.basename(name) != name or "\\" in name:
        raise bad_map(
            json_path,
            f"shard '{name}' (of '{where}') is not a plain file name in the same folder; "
            "shards outside the JSON's folder are refused",
        )
    return name


def read_index(json_path: str) -> Index:
    """Read and check a ``.weights.json`` file (through ``_untrusted``'s rules and limits).

    Raises:
        FileNotFoundError: If the file does not exist.
        OSError: If it is not a regular file.
        ValueError: If it is over a limit, not a weight map, names a shard
            outside its folder, or has a malformed heft record.
    """
    raw = read_bytes(json_path)
    config = _untrusted.parse_json(
        raw, "the weight map", json_path, lambda problem: bad_map(json_path, f"it {problem}")
    )
    weight_map = config.get("weight_map") if isinstance(config, dict) else None
    if not isinstance(weight_map, dict):
        raise bad_map(json_path, "it has no `weight_map` object")
    out: dict[str, list[str]] = {}
    for group, shards in weight_map.items():
        listed = shards if isinstance(shards, list) else [shards]
        out[group] = [_plain_name(json_path, name, group) for name in listed]
    names = list(dict.fromkeys(n for shards in out.values() for n in shards))
    metadata = config.get("metadata", {})
    if not isinstance(metadata, dict):
        raise bad_map(json_path, "its `metadata` is not an object")
    record = metadata.get("heft")
    if record is None:
        return Index(raw, out, names, None, {})
    save_id = record.get("save_id") if isinstance(record, dict) else None
    digests = record.get("shards") if isinstance(record, dict) else None
    if not isinstance(save_id, str) or not _ID.fullmatch(save_id) or not isinstance(digests, dict):
        raise bad_map(
            json_path,
            "its `metadata.heft` record is not "
            '{"save_id": "<32 hex digits>", "shards": {"<shard>": "xxh3:<16 hex digits>"}}',
        )
    for name, digest in digests.items():
        _plain_name(json_path, name, "metadata.heft.shards")
        if not isinstance(digest, str) or not _DIGEST.fullmatch(digest):
            raise bad_map(json_path, f"the digest of shard '{name}' is {digest!r:.80}")
    unrecorded = [n for n in names if n not in digests]
    if unrecorded:
        raise bad_map(json_path, f"shard '{unrecorded[0]}' is missing from `metadata.heft.shards`")
    names += [n for n in digests if n not in names]
    return Index(raw, out, names, save_id, dict(digests))


def changed(json_path: str, raw: bytes) -> bool:
    """Whether the index is no longer ``raw`` (or can no longer be read)."""
    try:
        return read_bytes(json_path) != raw
    except (OSError, ValueError):
        return True


def listed_shards(json_path: str) -> set[str] | None:
    """The shard names the index at ``json_path`` lists: none if it is absent, ``None`` if unreadable."""
    if not os.path.lexists(json_path):
        return set()
    try:
        return set(read_index(json_path).names)
    except (OSError, ValueError):
        return None
