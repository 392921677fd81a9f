"""Nested structures (lists, tuples, dicts) with ``None`` kept as a leaf, as Keras's tree does."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _is_node(value: Any) -> bool:
    return isinstance(value, list | tuple | Mapping)


def flatten(structure: Any) -> list[Any]:
    """The leaves of ``structure`` in order (dicts by sorted key); ``None`` is a leaf."""
    if isinstance(structure, Mapping):
        return [leaf for key in sorted(structure) for leaf in flatten(structure[key])]
    if isinstance(structure, list | tuple):
        return [leaf for item in structure for leaf in flatten(item)]
    return [structure]


def describe(structure: Any) -> str:
    """The shape of ``structure`` with its leaves written ``*`` (for error messages)."""
    if isinstance(structure, Mapping):
        return "{" + ", ".join(f"{k!r}: {describe(structure[k])}" for k in sorted(structure)) + "}"
    if isinstance(structure, list):
        return "[" + ", ".join(describe(v) for v in structure) + "]"
    if isinstance(structure, tuple):
        return (
            "("
            + ", ".join(describe(v) for v in structure)
            + ("," if len(structure) == 1 else "")
            + ")"
        )
    return "*"


def assert_same_structure(first: Any, second: Any) -> None:
    """Raise ``ValueError`` unless both have the same nesting (lists and tuples alike).

    Raises:
        ValueError: Naming both structures.
    """
    if not _same(first, second):
        raise ValueError(
            "The two structures don't have the same nested structure. "
            f"First structure: {describe(first)}, second structure: {describe(second)}."
        )


def _same(first: Any, second: Any) -> bool:
    if isinstance(first, Mapping) or isinstance(second, Mapping):
        if not (isinstance(first, Mapping) and isinstance(second, Mapping)):
            return False
        if sorted(first) != sorted(second):
            return False
        return all(_same(first[k], second[k]) for k in first)
    if isinstance(first, list | tuple) or isinstance(second, list | tuple):
        if not (isinstance(first, list | tuple) and isinstance(second, list | tuple)):
            return False
        return len(first) == len(second) and all(
            _same(a, b) for a, b in zip(first, second, strict=True)
        )
    return True


def map_structure(fn: Callable[..., Any], first: Any, *others: Any) -> Any:
    """Apply ``fn`` leaf by leaf to structures of the same nesting; keep the first's containers.

    Raises:
        ValueError: If the structures differ.
    """
    for other in others:
        assert_same_structure(first, other)
    return _map(fn, first, *others)


def _map(fn: Callable[..., Any], first: Any, *others: Any) -> Any:
    if isinstance(first, Mapping):
        return {k: _map(fn, first[k], *(o[k] for o in others)) for k in first}
    if isinstance(first, list | tuple):
        items = [_map(fn, *group) for group in zip(first, *others, strict=True)]
        return type(first)(items) if isinstance(first, tuple) else items
    return fn(first, *others)
