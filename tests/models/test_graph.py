"""``Graph``: the calls between a Functional model's inputs and outputs, in Keras's orders."""

import pytest

import heft
from heft import layers
from heft._symbolic import KerasHistory, KerasTensor
from heft.models._graph import Graph


def _shared():
    a, b = heft.Input((3,), name="a"), heft.Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    on_b = shared(b)  # the first call, though the walk from the output meets it second
    on_a = shared(layers.Dense(3, name="pre")(a))
    out = layers.Add(name="add")([on_a, on_b])
    return [a, b], [out], shared


def test_graph_orders_of_a_shared_layer_graph():
    inputs, outputs, _ = _shared()
    graph = Graph(inputs, outputs)
    assert [op.name for op in graph.operations] == ["a", "pre", "b", "shared", "add"]
    assert [(n.operation.name, n.index) for n in graph.nodes] == [
        ("pre", 0),
        ("shared", 1),
        ("shared", 0),
        ("add", 0),
    ]
    assert [(n.operation.name, n.index) for n in graph.run_order] == [
        ("pre", 0),
        ("shared", 1),
        ("shared", 0),
        ("add", 0),
    ]
    depths = {
        depth: sorted(n.operation.name for n in nodes)
        for depth, nodes in graph.nodes_by_depth.items()
    }
    assert depths == {0: ["add"], 1: ["shared", "shared"], 2: ["b", "pre"], 3: ["a"]}


def test_graph_node_index_counts_only_this_graphs_calls_in_call_order():
    inputs, outputs, shared = _shared()
    shared(heft.Input((3,), name="elsewhere"))  # a call of another graph
    graph = Graph(inputs, outputs)
    calls = graph.calls(shared)
    assert [n.index for n in calls] == [0, 1]
    assert [graph.node_index(n) for n in calls] == [0, 1]
    assert graph.config_history(calls[1].outputs) == ["shared", 1, 0]


def test_graph_unused_input_is_kept_at_depth_zero():
    a, b = heft.Input((3,), name="a"), heft.Input((3,), name="b")
    graph = Graph([a, b], [layers.Dense(2, name="d")(a)])
    assert [op.name for op in graph.operations] == ["a", "d", "b"]
    assert [n.operation.name for n in graph.nodes_by_depth[0]] == ["d", "b"]


def test_graph_tensor_without_history_raises():
    a = heft.Input((3,), name="a")
    with pytest.raises(ValueError, match=r"was not produced by `heft\.Input` or by a layer call"):
        Graph([a], [KerasTensor((None, 3))])


def test_graph_cycle_raises():
    a = heft.Input((3,), name="a")
    h = layers.Dense(3, name="first")(a)
    y = layers.Dense(3, name="second")(h)
    h._keras_history = KerasHistory(*y._keras_history)  # `h` now claims to come from `second`
    with pytest.raises(ValueError, match="cycle through layer 'second'"):
        Graph([a], [y])
