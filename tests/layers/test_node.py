"""``Node`` and ``KerasHistory``: what a symbolic layer call records."""

import numpy as np
import pytest

import heft
from heft import layers
from heft._symbolic import KerasHistory, KerasTensor
from heft.layers._node import Node, node_of


def test_node_records_the_call_and_marks_outputs():
    x = heft.Input((3,), name="x")
    dense = layers.Dense(2, name="d")
    y = dense(x)
    (node,) = dense._inbound_nodes
    assert isinstance(node, Node) and node.operation is dense and node.index == 0
    # `training` is recorded because `Dense.call` takes it; a Functional model drops it.
    assert node.args == (x,) and node.kwargs == {"training": None} and node.outputs is y
    assert node.input_tensors == [x] and node.output_tensors == [y]
    assert not node.is_input
    assert y._keras_history == KerasHistory(dense, 0, 0)
    assert y._keras_history.operation is dense


def test_node_input_layer_has_one_input_node():
    x = heft.Input((3,), name="x")
    node = node_of(x)
    assert node.is_input and node.input_tensors == [] and node.outputs is x
    assert x._keras_history == KerasHistory(node.operation, 0, 0)
    assert node.operation.output is x


def test_node_second_call_and_several_outputs():
    a, b = heft.Input((3,), name="a"), heft.Input((3,), name="b")
    shared = layers.Dense(2, name="shared")
    shared(a)
    second = shared(b)
    assert second._keras_history.node_index == 1
    assert [n.index for n in shared._inbound_nodes] == [0, 1]
    split = layers.Lambda(lambda t: [t, t * 2.0], name="split")
    first, doubled = split(a)
    assert [first._keras_history.tensor_index, doubled._keras_history.tensor_index] == [0, 1]
    assert node_of(doubled).parent_nodes() == [node_of(a)]


def test_node_arguments_replace_tensors_by_values():
    a, b = heft.Input((3,), name="a"), heft.Input((3,), name="b")
    out = layers.Concatenate(axis=-1, name="cat")([a, b])
    node = node_of(out)
    values = {id(a): np.ones((1, 3)), id(b): np.zeros((1, 3))}
    args, kwargs = node.arguments(values)
    assert kwargs == {} and len(args) == 1
    np.testing.assert_array_equal(args[0][0], np.ones((1, 3)))
    np.testing.assert_array_equal(args[0][1], np.zeros((1, 3)))


def test_node_of_tensor_without_history_raises():
    with pytest.raises(ValueError, match=r"was not produced by `heft\.Input` or by a layer call"):
        node_of(KerasTensor((None, 3)))


def test_layer_output_before_any_symbolic_call_raises():
    with pytest.raises(AttributeError, match="has never been called on a symbolic input"):
        _ = layers.Dense(2, name="lonely").output
