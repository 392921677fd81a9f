"""Load policies: which mismatches may be skipped, and how the file's keys map to the model's."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._format import FileIndex


def _prefix_of(key: str, prefix: str) -> str | None:
    """``key`` without ``prefix/`` (or ``None`` when ``key`` is not under ``prefix``)."""
    if key == prefix:
        return ""
    if key.startswith(prefix + "/"):
        return key[len(prefix) + 1 :]
    return None


@dataclass(frozen=True)
class LoadPolicy:
    """How ``load_weights`` pairs a file with a model and what it may leave out.

    Attributes:
        skip: ``True`` to skip every missing or mismatched variable, ``False`` to
            refuse the load, or glob patterns (``"*/head/*"``) over variable paths
            and file keys: only the variables they match may be skipped.
        strip_prefix: A file key prefix (a wrapper's entries, such as
            ``"layers/functional"``) whose entries are read as if it were the root.
        aliases: ``{model key prefix: file key prefix}``: the model's entries under
            the first are read from the file's under the second (a renamed layer).
    """

    skip: bool | tuple[str, ...] = False
    strip_prefix: str | None = None
    aliases: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    def skips(self, key: str, variable_path: str | None) -> bool:
        """Whether a missing or mismatched variable may keep its value."""
        if isinstance(self.skip, bool):
            return self.skip
        names = [n for n in (variable_path, key) if n]
        return any(fnmatch.fnmatchcase(n, p) for p in self.skip for n in names)

    def remap(self, index: FileIndex) -> FileIndex:
        """The file's index with its keys renamed as the policy says (values untouched)."""
        if self.strip_prefix is None and not self.aliases:
            return index

        def rename(key: str) -> str | None:
            if self.strip_prefix is not None:
                rest = _prefix_of(key, self.strip_prefix)
                if rest is None:
                    return None
                key = rest
            for model_prefix, file_prefix in self.aliases:
                rest = _prefix_of(key, file_prefix)
                if rest is not None:
                    return f"{model_prefix}/{rest}" if rest else model_prefix
            return key

        arrays = {}
        for key, stored in index.arrays.items():
            new = rename(key)
            if new:
                arrays[new] = stored  # ``stored.key`` still says where to read it
        groups = {g for g in (rename(group) for group in index.groups) if g}
        return FileIndex(arrays, groups)


def make_policy(skip_mismatch: Any, strip_prefix: Any, aliases: Any) -> LoadPolicy:
    """Check ``load_weights``' policy arguments and build the policy.

    Raises:
        TypeError: If an argument has the wrong type.
    """
    if isinstance(skip_mismatch, bool):
        skip: bool | tuple[str, ...] = skip_mismatch
    elif isinstance(skip_mismatch, str):
        skip = (skip_mismatch,)
    elif isinstance(skip_mismatch, Sequence) and all(isinstance(p, str) for p in skip_mismatch):
        skip = tuple(skip_mismatch)
    else:
        raise TypeError(
            "`skip_mismatch` must be True, False, or glob patterns of the variables that "
            f"may be skipped (e.g. ['*/head/*']). Received: skip_mismatch={skip_mismatch!r}."
        )
    if strip_prefix is not None and (not isinstance(strip_prefix, str) or not strip_prefix):
        raise TypeError(
            "`strip_prefix` must be a non-empty file key prefix such as 'layers/functional'. "
            f"Received: strip_prefix={strip_prefix!r}."
        )
    pairs: list[tuple[str, str]] = []
    if aliases is not None:
        if not isinstance(aliases, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) and k and v for k, v in aliases.items()
        ):
            raise TypeError(
                "`aliases` must map model key prefixes to file key prefixes, e.g. "
                f"{{'encoder': 'enc'}}. Received: aliases={aliases!r}."
            )
        pairs = [(k.strip("/"), v.strip("/")) for k, v in aliases.items()]
    return LoadPolicy(skip, strip_prefix.strip("/") if strip_prefix else None, tuple(pairs))
