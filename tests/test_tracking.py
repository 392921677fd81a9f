"""Tests for state tracking: variables, sublayers and seed generators held by a layer."""

import numpy as np
import pytest

from heft import Variable, layers
from heft._tracking import TrackedDict, TrackedList, Tracker
from heft.random import SeedGenerator


class Holder(layers.Layer):
    """A layer whose state is whatever the test assigns to it."""

    def call(self, x):
        return x


def _paths(vs):
    return [v.path for v in vs]


def _ids(items):
    return [id(x) for x in items]


# ---------------------------------------------------------------------------- Tracker
def test_tracker_sorts_values_into_stores():
    t = Tracker("owner")
    trainable = Variable(1.0, name="t")
    frozen = Variable(1.0, name="f", trainable=False)
    sub = layers.Dense(2)
    gen = SeedGenerator(1)
    for value in (trainable, frozen, sub, gen, "text", 3):
        t.add(value)
    assert _ids(t.trainable_variables) == _ids([trainable])
    assert _ids(t.non_trainable_variables) == _ids([frozen])
    assert _ids(t.layers) == _ids([sub])
    assert _ids(t.seed_generators) == _ids([gen])


def test_tracker_adds_each_object_once():
    t = Tracker("owner")
    v = Variable(1.0)
    t.add(v)
    t.add(v)
    assert len(t.trainable_variables) == 1


def test_tracker_store_fixed_when_tracked():
    t = Tracker("owner")
    v = Variable(1.0)
    t.add(v)
    v.trainable = False
    assert _ids(t.trainable_variables) == _ids([v])
    assert t.non_trainable_variables == []


def test_tracker_locked_refuses_new_state():
    t = Tracker("owner")
    t.locked = True
    with pytest.raises(ValueError, match=r"already built.*layer 'owner'"):
        t.add(Variable(1.0, name="late"))
    assert t.trainable_variables == []


def test_tracker_locked_accepts_already_tracked_and_plain_values():
    t = Tracker("owner")
    v = Variable(1.0)
    t.add(v)
    t.locked = True
    t.add(v)
    t.add("not state")
    assert len(t.trainable_variables) == 1


def test_tracker_remove():
    t = Tracker("owner")
    a, b = Variable(1.0), Variable(2.0)
    t.add(a)
    t.add(b)
    t.remove(a)
    assert _ids(t.trainable_variables) == _ids([b])
    t.add(a)
    assert _ids(t.trainable_variables) == _ids([b, a])


def test_tracker_snapshot_and_restore():
    t = Tracker("owner")
    a = Variable(1.0)
    t.add(a)
    snap = t.snapshot()
    t.add(Variable(2.0))
    t.add(layers.Dense(1))
    t.restore(snap)
    assert _ids(t.trainable_variables) == _ids([a])
    assert t.layers == []


def test_tracker_track_wraps_lists_and_dicts():
    t = Tracker("owner")
    v = Variable(1.0)
    tracked_list = t.track([v])
    tracked_dict = t.track({"k": Variable(2.0)})
    assert isinstance(tracked_list, TrackedList)
    assert isinstance(tracked_dict, TrackedDict)
    assert len(t.trainable_variables) == 2


# ---------------------------------------------------------------------------- through a layer
def test_tracking_attribute_assignment_in_order():
    h = Holder(name="h")
    h.b = Variable(1.0, name="b")
    h.a = Variable(1.0, name="a")
    assert _paths(h.weights) == ["b", "a"]


def test_tracking_reassigning_attribute_keeps_both_tracked():
    h = Holder(name="h")
    h.w = Variable(1.0, name="first")
    h.w = Variable(1.0, name="second")
    assert _paths(h.weights) == ["first", "second"]


def test_tracking_del_attribute_untracks():
    h = Holder(name="h")
    h.w = Variable(1.0, name="w")
    h.d = layers.Dense(2)
    del h.w
    del h.d
    assert h.weights == []
    assert h._tracker.layers == []


def test_tracking_list_items_and_later_append():
    h = Holder(name="h")
    h.items = [Variable(1.0, name="a")]
    h.items.append(Variable(1.0, name="b"))
    h.items.extend([Variable(1.0, name="c")])
    h.items.insert(0, Variable(1.0, name="d"))
    h.items += [Variable(1.0, name="e")]
    assert isinstance(h.items, list)
    assert _paths(h.weights) == ["a", "b", "c", "d", "e"]


def test_tracking_list_removal_untracks():
    h = Holder(name="h")
    a, b, c, d = (Variable(1.0, name=n) for n in "abcd")
    h.items = [a, b, c, d]
    del h.items[0]
    h.items.pop()
    h.items.remove(b)
    assert _paths(h.weights) == ["c"]
    h.items.clear()
    assert h.weights == []


def test_tracking_list_setitem_replaces():
    h = Holder(name="h")
    h.items = [Variable(1.0, name="old")]
    h.items[0] = Variable(1.0, name="new")
    assert _paths(h.weights) == ["new"]


def test_tracking_list_of_layers():
    h = Holder(name="h")
    h.blocks = [layers.Dense(2, name="d0"), layers.Dense(3, name="d1")]
    h.blocks.append(layers.Dense(4, name="d2"))
    assert [layer.name for layer in h._tracker.layers] == ["d0", "d1", "d2"]
    del h.blocks[1]
    assert [layer.name for layer in h._tracker.layers] == ["d0", "d2"]


def test_tracking_dict_values_and_later_setitem():
    h = Holder(name="h")
    h.table = {"x": Variable(1.0, name="x")}
    h.table["y"] = Variable(1.0, name="y")
    h.table.update({"z": Variable(1.0, name="z")})
    h.table.setdefault("w", Variable(1.0, name="w"))
    assert isinstance(h.table, dict)
    assert _paths(h.weights) == ["x", "y", "z", "w"]


def test_tracking_dict_removal_untracks():
    h = Holder(name="h")
    h.table = {n: Variable(1.0, name=n) for n in "abcd"}
    del h.table["a"]
    h.table.pop("b")
    h.table["c"] = Variable(1.0, name="c2")
    assert _paths(h.weights) == ["d", "c2"]
    h.table.clear()
    assert h.weights == []


def test_tracking_dict_popitem_and_pop_default():
    h = Holder(name="h")
    h.table = {"a": Variable(1.0, name="a"), "b": Variable(1.0, name="b")}
    assert h.table.pop("missing", None) is None
    key, _ = h.table.popitem()
    assert key == "b"
    assert _paths(h.weights) == ["a"]


def test_tracking_dict_of_layers():
    h = Holder(name="h")
    h.heads = {"left": layers.Dense(2, name="left"), "right": layers.Dense(2, name="right")}
    assert [layer.name for layer in h._tracker.layers] == ["left", "right"]


def test_tracking_tuple_items():
    h = Holder(name="h")
    h.pair = (Variable(1.0, name="a"), layers.Dense(2, name="d"))
    assert isinstance(h.pair, tuple)
    assert _paths(h.weights) == ["a"]
    assert [layer.name for layer in h._tracker.layers] == ["d"]


def test_tracking_nested_containers():
    h = Holder(name="h")
    h.nested = {"group": [Variable(1.0, name="a"), (Variable(1.0, name="b"),)]}
    h.nested["group"].append(Variable(1.0, name="c"))
    assert _paths(h.weights) == ["a", "b", "c"]


def test_tracking_seed_generators_in_attributes_and_lists():
    h = Holder(name="h")
    h.gen = SeedGenerator(1, name="g0")
    h.gens = [SeedGenerator(2, name="g1")]
    h.gens.append(SeedGenerator(3, name="g2"))
    assert h.weights == []
    assert _paths(h.variables) == [
        "g0/seed_generator_state",
        "g1/seed_generator_state",
        "g2/seed_generator_state",
    ]


def test_tracking_shared_layer_appears_once():
    h = Holder(name="h")
    d = layers.Dense(2)
    h.first = d
    h.second = d
    h.in_list = [d]
    assert _ids(h._tracker.layers) == _ids([d])


def test_tracking_plain_values_are_not_state():
    h = Holder(name="h")
    h.number = 3
    h.array = np.zeros(3)
    h.words = ["a", "b"]
    assert h.weights == []
    assert h._tracker.layers == []
    assert h.words == ["a", "b"]


def test_tracking_state_before_super_init():
    class Early(layers.Layer):
        def __init__(self):
            self.v = Variable(1.0, name="early")
            super().__init__(name="early_layer")

        def call(self, x):
            return x

    layer = Early()
    assert _paths(layer.weights) == ["early"]


def test_tracking_list_change_after_build_raises_for_new_state():
    h = Holder(name="h")
    h.items = []
    h(np.ones((1, 2), "float32"))
    with pytest.raises(ValueError, match=r"already built"):
        h.items.append(Variable(1.0, name="late"))
    with pytest.raises(ValueError, match=r"already built"):
        h.late = Variable(1.0, name="late")
    assert h.weights == []


def test_tracking_untrack_variable_removes_weight():
    class Two(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight(shape=(1,), name="a")
            self.b = self.add_weight(shape=(1,), name="b")

        def call(self, x):
            return x

    layer = Two(name="two")
    layer.build((None, 1))
    layer._untrack_variable(layer.a)
    assert _paths(layer.weights) == ["two/b"]
    assert layer._tracker.locked
