"""heft.tree against keras.tree (optree rules on JAX): leaves, paths, layouts, errors."""

import collections
import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import keras
import numpy as np
import pytest

import heft

Point = collections.namedtuple("Point", ["y", "x"])

STRUCTURES = [
    1.0,
    None,
    [],
    {},
    [1, None, 2],
    (1, [2, (3, None)], {"b": 4, "a": 5}),
    {"z": {"c": 1, "a": [2, 3]}, "b": None, "m": ()},
    Point(1, [2, 3]),
    collections.OrderedDict([("z", 1), ("a", 2)]),
    collections.defaultdict(list, {"k": 1, "c": [2]}),
    collections.deque([1, (2, 3)]),
    {"x": np.ones(2), "s": "text"},
    [{"a": (None, 1)}, Point(x=None, y={"q": 2})],
]


def _same(a, b):
    if isinstance(a, np.ndarray):
        return np.array_equal(a, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple | collections.deque):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


@pytest.mark.parametrize("structure", STRUCTURES, ids=range(len(STRUCTURES)))
def test_flatten_paths_and_rebuild(structure):
    assert heft.tree.is_nested(structure) == keras.tree.is_nested(structure)
    ours, theirs = heft.tree.flatten(structure), keras.tree.flatten(structure)
    assert len(ours) == len(theirs) and all(_same(a, b) for a, b in zip(ours, theirs, strict=True))
    assert [p for p, _ in heft.tree.flatten_with_path(structure)] == [
        p for p, _ in keras.tree.flatten_with_path(structure)
    ]
    flat = list(range(len(theirs)))
    assert _same(
        heft.tree.pack_sequence_as(structure, flat), keras.tree.pack_sequence_as(structure, flat)
    )
    for none_is_leaf in (True, False):

        def tag(x):
            return ("leaf", type(x).__name__)

        assert _same(
            heft.tree.map_structure(tag, structure, none_is_leaf=none_is_leaf),
            keras.tree.map_structure(tag, structure, none_is_leaf=none_is_leaf),
        )
    assert _same(heft.tree.lists_to_tuples(structure), keras.tree.lists_to_tuples(structure))

    def visit(x):
        return keras.tree.MAP_TO_NONE if x == 2 else None

    def heft_visit(x):
        return heft.tree.MAP_TO_NONE if x == 2 else None

    if not isinstance(structure, dict) or "x" not in structure:
        for top_down in (True, False):
            assert _same(
                heft.tree.traverse(heft_visit, structure, top_down=top_down),
                keras.tree.traverse(visit, structure, top_down=top_down),
            )


def test_map_structure_several_and_mismatch():
    a, b = {"a": 1, "b": (2, 3)}, {"a": 10, "b": (20, 30)}
    assert heft.tree.map_structure(lambda x, y: x + y, a, b) == keras.tree.map_structure(
        lambda x, y: x + y, a, b
    )
    for lib in (keras, heft):
        for other in ({"a": 1, "b": [2, 3]}, {"a": 1, "b": (2, (3,))}, {"a": 1}):
            with pytest.raises(ValueError):
                lib.tree.map_structure(lambda x, y: x, a, other)
            with pytest.raises(ValueError):
                lib.tree.assert_same_structure(a, other)
        with pytest.raises(ValueError):
            lib.tree.map_structure(len)
        lib.tree.assert_same_paths([1, (2, 3)], (4, [5, 6]))
        with pytest.raises(ValueError, match="same paths"):
            lib.tree.assert_same_paths([1, 2], [1, 2, 3])
        with pytest.raises(ValueError):
            lib.tree.pack_sequence_as([1, 2], [1])
        with pytest.warns(DeprecationWarning):
            lib.tree.assert_same_structure([1], [2], check_types=True)


def test_map_structure_up_to_and_shapes():
    shallow = {"a": 0, "b": (0, 0)}
    deep = {"a": [1, 2], "b": ({"x": 3}, (4, 5, 6))}
    assert heft.tree.map_structure_up_to(shallow, len, deep) == keras.tree.map_structure_up_to(
        shallow, len, deep
    )
    shapes = {"x": (None, 3), "y": [[2, 2], (1,)], "z": None}
    assert heft.tree.map_shape_structure(len, {"x": (None, 3), "y": [[2, 2], (1,)]}) == (
        keras.tree.map_shape_structure(len, {"x": (None, 3), "y": [[2, 2], (1,)]})
    )
    assert heft.tree.map_shape_structure(str, shapes) == keras.tree.map_shape_structure(str, shapes)
    for lib in (keras, heft):
        with pytest.raises(ValueError):
            lib.tree.map_structure_up_to({"a": 0, "b": 0}, len, {"a": [1]})
