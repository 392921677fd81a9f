"""Nested structures (lists, tuples, dicts, namedtuples, ...) flattened, mapped and rebuilt.

The containers are Python's own: ``list``, ``tuple``, namedtuples, ``dict``
(its values in sorted key order; rebuilt dicts keep the original key order),
``collections.OrderedDict`` (in insertion order), ``collections.defaultdict`` (as dict) and ``collections.deque``, plus heft's
tracked lists and dicts (rebuilt as plain ones). Everything else, ``None``
included, is a leaf. A path is the tuple of keys and indices from the top
(namedtuple fields by index). These are the rules of Keras 3 on JAX (optree
with ``none_is_leaf=True``).
"""

from __future__ import annotations

import collections
import warnings
from collections.abc import Callable, Iterable
from typing import Any

from .._tracking import TrackedDict, TrackedList


class MAP_TO_NONE:
    """Returned by a :func:`traverse` function: put ``None`` at this place of the result."""


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields") and type(x) is not tuple


def _sorted_keys(d: dict) -> list:
    try:
        return sorted(d)
    except TypeError:
        return sorted(d, key=lambda k: (type(k).__qualname__, repr(k)))


def _children(x: Any) -> tuple[list, list, Any] | None:
    """``(children, path entries, rebuild)`` of a container, ``None`` for a leaf."""
    kind = type(x)
    if kind is list or kind is TrackedList:
        return list(x), list(range(len(x))), list
    if kind is tuple:
        return list(x), list(range(len(x))), tuple
    if _is_namedtuple(x):
        return list(x), list(range(len(x))), lambda items: kind(*items)
    if kind is collections.OrderedDict:
        keys = list(x)
        return (
            [x[k] for k in keys],
            keys,
            lambda items: collections.OrderedDict(zip(keys, items, strict=True)),
        )
    if kind is collections.defaultdict:
        keys = _sorted_keys(x)
        factory, order = x.default_factory, list(x)

        def rebuild_default(items: list) -> collections.defaultdict:
            by_key = dict(zip(keys, items, strict=True))
            return collections.defaultdict(factory, {k: by_key[k] for k in order})

        return [x[k] for k in keys], keys, rebuild_default
    if kind is dict or kind is TrackedDict:
        keys = _sorted_keys(x)
        # Rebuilt in the structure's own key order, as Keras does.
        order = list(x)

        def rebuild(items: list) -> dict:
            by_key = dict(zip(keys, items, strict=True))
            return {k: by_key[k] for k in order}

        return [x[k] for k in keys], keys, rebuild
    if kind is collections.deque:
        maxlen = x.maxlen
        return list(x), list(range(len(x))), lambda items: collections.deque(items, maxlen=maxlen)
    return None


class _Spec:
    """The shape of a structure: a leaf, or a container and its children's specs."""

    __slots__ = ("children", "is_none", "keys", "kind", "rebuild")

    def __init__(
        self,
        kind: Any,
        children: list[_Spec],
        rebuild: Any,
        keys: list,
        is_none: bool = False,
    ) -> None:
        self.kind, self.children, self.rebuild, self.keys = kind, children, rebuild, keys
        self.is_none = is_none

    @property
    def is_leaf(self) -> bool:
        return self.rebuild is None and not self.is_none

    def num_leaves(self) -> int:
        if self.is_leaf:
            return 1
        return sum(c.num_leaves() for c in self.children)


def _flatten(
    x: Any, none_is_leaf: bool = True, is_leaf: Callable[[Any], bool] | None = None
) -> tuple[list, list[tuple], _Spec]:
    leaves: list = []
    paths: list[tuple] = []

    def visit(node: Any, path: tuple) -> _Spec:
        if node is None and not none_is_leaf:
            return _Spec(None, [], None, [], is_none=True)
        found = None if (is_leaf is not None and is_leaf(node)) else _children(node)
        if found is None:
            leaves.append(node)
            paths.append(path)
            return _Spec(None, [], None, [])
        items, keys, rebuild = found
        specs = [visit(item, (*path, key)) for item, key in zip(items, keys, strict=True)]
        return _Spec(_kind(node), specs, rebuild, keys)

    spec = visit(x, ())
    return leaves, paths, spec


def _kind(x: Any) -> Any:
    kind = type(x)
    if kind is TrackedList:
        return list
    if kind is TrackedDict:
        return dict
    return kind


def _unflatten(spec: _Spec, leaves: Iterable[Any]) -> Any:
    it = iter(leaves)

    def build(s: _Spec) -> Any:
        if s.is_none:
            return None
        if s.is_leaf:
            return next(it)
        return s.rebuild([build(c) for c in s.children])

    return build(spec)


def _same_node(a: _Spec, b: _Spec) -> bool:
    if a.is_none or b.is_none:
        return a.is_none and b.is_none
    if a.is_leaf or b.is_leaf:
        return a.is_leaf and b.is_leaf
    return a.kind is b.kind and a.keys == b.keys


_MISMATCH = "Structures don't have the same nested structure."


def _check_same(a: _Spec, b: _Spec) -> None:
    if not _same_node(a, b):
        raise ValueError(_MISMATCH)
    for ca, cb in zip(a.children, b.children, strict=True):
        _check_same(ca, cb)


def is_nested(structure: Any) -> bool:
    """Whether ``structure`` is a container (a list, tuple, dict, ...; empty ones too).

    >>> is_nested([]), is_nested({"a": 1}), is_nested(None), is_nested(1.0)
    (True, True, False, False)
    """
    return _children(structure) is not None


def flatten(structure: Any) -> list:
    """The leaves of ``structure``, depth first, dict values in sorted key order.

    >>> flatten({"b": [1, None], "a": (2,)})
    [2, 1, None]
    """
    return _flatten(structure)[0]


def flatten_with_path(structure: Any) -> list[tuple[tuple, Any]]:
    """``(path, leaf)`` pairs, in :func:`flatten`'s order.

    >>> flatten_with_path({"a": [5, 6]})
    [(('a', 0), 5), (('a', 1), 6)]
    """
    leaves, paths, _ = _flatten(structure)
    return list(zip(paths, leaves, strict=True))


def map_structure(func: Callable, *structures: Any, none_is_leaf: bool = True) -> Any:
    """``func`` applied to the leaves of ``structures`` (which must match), in their layout.

    Args:
        func: Called with one leaf of each structure.
        *structures: One or more structures of the same layout.
        none_is_leaf: Pass ``None`` leaves to ``func``; if ``False``, ``None``
            is kept as it is.

    Raises:
        ValueError: If no structure is given, or they differ in layout.

    >>> map_structure(lambda x, y: x + y, {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)})
    {'a': 11, 'b': (22, 33)}
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    flat = [_flatten(s, none_is_leaf=none_is_leaf) for s in structures]
    spec = flat[0][2]
    for _, _, other in flat[1:]:
        _check_same(spec, other)
    results = [func(*args) for args in zip(*(leaves for leaves, _, _ in flat), strict=True)]
    return _unflatten(spec, results)


def map_structure_up_to(shallow_structure: Any, func: Callable, *structures: Any) -> Any:
    """Like :func:`map_structure`, stopping at ``shallow_structure``'s leaves.

    ``func`` receives, for each leaf of ``shallow_structure``, the whole
    sub-structures of ``structures`` found at that place.

    Raises:
        ValueError: If no structure is given, or ``structures`` do not have
            ``shallow_structure``'s layout down to its leaves.

    >>> map_structure_up_to({"a": 0, "b": 0}, len, {"a": [1, 2], "b": (3,)})
    {'a': 2, 'b': 1}
    """
    if not structures:
        raise ValueError("Must provide at least one structure")
    _, _, shallow = _flatten(shallow_structure)

    def cut(spec: _Spec, value: Any, out: list) -> None:
        if spec.is_leaf:
            out.append(value)
            return
        if spec.is_none:
            if value is not None:
                raise ValueError(_MISMATCH)
            return
        found = _children(value)
        if found is None or _kind(value) is not spec.kind or found[1] != spec.keys:
            raise ValueError(_MISMATCH)
        for child_spec, child in zip(spec.children, found[0], strict=True):
            cut(child_spec, child, out)

    parts = []
    for structure in structures:
        out: list = []
        cut(shallow, structure, out)
        parts.append(out)
    return _unflatten(shallow, [func(*args) for args in zip(*parts, strict=True)])


def assert_same_structure(a: Any, b: Any, check_types: bool | None = None) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same layout (same container types).

    Args:
        check_types: Deprecated and ignored (a ``DeprecationWarning`` says so).
    """
    if check_types is not None:
        warnings.warn(
            "The `check_types` argument is deprecated and no longer has any effect"
            + (
                ". For a looser check, use `heft.tree.assert_same_paths()`, which considers "
                "`list`, `tuple`, `namedtuple` and `deque` as matching"
                if check_types is False
                else ", please remove."
            ),
            DeprecationWarning,
            stacklevel=2,
        )
    _check_same(_flatten(a)[2], _flatten(b)[2])


def assert_same_paths(a: Any, b: Any) -> None:
    """Raise ``ValueError`` unless ``a`` and ``b`` have the same leaf paths (any sequence type).

    >>> assert_same_paths([1, 2], (3, 4))
    """
    a_paths, b_paths = set(_flatten(a)[1]), set(_flatten(b)[1])
    if a_paths != b_paths:
        message = "`a` and `b` don't have the same paths."
        if a_paths - b_paths:
            message += f"\nPaths in `a` missing in `b`:\n{a_paths - b_paths}"
        if b_paths - a_paths:
            message += f"\nPaths in `b` missing in `a`:\n{b_paths - a_paths}"
        raise ValueError(message)


def pack_sequence_as(structure: Any, flat_sequence: Any) -> Any:
    """``flat_sequence``'s items put into ``structure``'s layout, in :func:`flatten`'s order.

    Raises:
        ValueError: If ``flat_sequence`` has more or fewer items than
            ``structure`` has leaves.

    >>> pack_sequence_as({"b": 0, "a": 0}, [1, 2])
    {'b': 2, 'a': 1}
    """
    spec = _flatten(structure)[2]
    items = list(flat_sequence)
    if len(items) != spec.num_leaves():
        raise ValueError(
            f"The structure has {spec.num_leaves()} leaves but the flat sequence has "
            f"{len(items)} items; they must be equal. Structure: {structure!r:.200}"
        )
    return _unflatten(spec, items)


def traverse(func: Callable, structure: Any, top_down: bool = True) -> Any:
    """Apply ``func`` to every node of ``structure``, containers included.

    Top-down, a node for which ``func`` returns ``None`` is kept and its
    children are visited; any other result replaces the node (children not
    visited). Bottom-up, children are done first and ``func`` sees the
    rebuilt node; ``None`` keeps it. Returning :class:`MAP_TO_NONE` puts
    ``None`` there.

    >>> traverse(lambda x: x * 10 if isinstance(x, int) else None, [1, (2, None)])
    [10, (20, None)]
    """

    def children_done(node: Any) -> Any:
        found = _children(node)
        if found is None:
            return node
        items, _, rebuild = found
        return rebuild([traverse(func, item, top_down=top_down) for item in items])

    if top_down:
        result = func(structure)
        if result is None:
            return children_done(structure)
    else:
        done = children_done(structure)
        result = func(done)
        if result is None:
            return done
    if isinstance(result, type) and result.__name__ == "MAP_TO_NONE":
        return None
    return result


def lists_to_tuples(structure: Any) -> Any:
    """``structure`` with every list turned into a tuple.

    >>> lists_to_tuples([1, {"a": [2]}])
    (1, {'a': (2,)})
    """
    return traverse(lambda x: tuple(x) if isinstance(x, list) else None, structure, top_down=False)


def _is_shape(x: Any) -> bool:
    return isinstance(x, list | tuple) and all(isinstance(e, int | type(None)) for e in x)


def map_shape_structure(func: Callable, structure: Any) -> Any:
    """``func`` applied to each shape (a list or tuple of ints and ``None``) in ``structure``.

    >>> map_shape_structure(len, {"x": (None, 3), "y": [[2, 2], (1,)]})
    {'x': 2, 'y': [2, 1]}
    """
    leaves, _, spec = _flatten(structure, is_leaf=_is_shape)
    return _unflatten(spec, [func(leaf) for leaf in leaves])
