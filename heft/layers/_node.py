"""``Node``: one call of a layer on symbolic tensors, the unit a Functional graph is made of."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import jax

from .. import _symbolic
from .._symbolic import KerasHistory, KerasTensor


# Compared and hashed by identity: a graph keys its bookkeeping by node.
@dataclasses.dataclass(eq=False, repr=False, slots=True)
class Node:
    """A layer (or op) called on symbolic tensors: the arguments it took, the outputs it gave.

    ``layer._inbound_nodes[i]`` is the node of the layer's ``i``-th symbolic call,
    and every ``KerasTensor`` among its outputs has ``_keras_history ==
    KerasHistory(layer, i, position)``. Following histories from a model's outputs
    back through ``input_tensors`` walks the graph. An ``InputLayer`` has one node,
    which takes nothing and outputs the input tensor (``is_input``).

    Args:
        operation: The layer (or ``Operation``) that was called.
        index: The node's position in ``operation._inbound_nodes``.
        args: The call's positional arguments, as recorded.
        kwargs: The call's keyword arguments, as recorded (``training`` included
            when the layer's ``call`` takes it).
        outputs: What the call returned: a ``KerasTensor`` or a structure of them.
        is_input: Whether this is an ``InputLayer``'s node.

    >>> import heft
    >>> x = heft.Input((3,))
    >>> y = heft.layers.Dense(2, name="d")(x)
    >>> node = y._keras_history.operation._inbound_nodes[0]
    >>> node.operation.name, node.input_tensors == [x], node.output_tensors == [y]
    ('d', True, True)
    """

    operation: Any
    index: int
    args: tuple
    kwargs: dict[str, Any]
    outputs: Any
    is_input: bool = False
    # The tensors the call read, positional arguments first: the edges to parent nodes.
    input_tensors: list[KerasTensor] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.input_tensors = _symbolic.symbolic_leaves((self.args, self.kwargs))

    @property
    def output_tensors(self) -> list[KerasTensor]:
        """The ``KerasTensor``s among ``outputs``, in flattening order."""
        return _symbolic.symbolic_leaves(self.outputs)

    def parent_nodes(self) -> list[Node]:
        """The nodes that produced ``input_tensors``, one per tensor (repeats kept)."""
        return [node_of(tensor) for tensor in self.input_tensors]

    def arguments(self, values: Mapping[int, Any]) -> tuple[tuple, dict[str, Any]]:
        """``(args, kwargs)`` with each ``KerasTensor`` replaced by ``values[id(tensor)]``."""

        def fill(x: Any) -> Any:
            return values[id(x)] if isinstance(x, KerasTensor) else x

        return jax.tree_util.tree_map(fill, (self.args, self.kwargs), is_leaf=_symbolic.is_symbolic)

    def __repr__(self) -> str:
        name = getattr(self.operation, "name", type(self.operation).__name__)
        return f"<Node {name}[{self.index}] inputs={len(self.input_tensors)}>"


def record_call(operation: Any, args: tuple, kwargs: dict[str, Any], outputs: Any) -> Node:
    """Append the node of a symbolic call to ``operation._inbound_nodes``; mark its outputs.

    Each output leaf's position counts every leaf of ``outputs`` (as the tensor
    index of a Functional config does), so its ``KerasHistory`` names it exactly.
    """
    nodes = operation._inbound_nodes
    node = Node(operation, len(nodes), args, kwargs, outputs)
    leaves = jax.tree_util.tree_leaves(outputs, is_leaf=_symbolic.is_symbolic)
    for position, tensor in enumerate(leaves):
        if isinstance(tensor, KerasTensor):
            tensor._keras_history = KerasHistory(operation, node.index, position)
    nodes.append(node)
    return node


def record_input(input_layer: Any, tensor: KerasTensor) -> Node:
    """Give ``input_layer`` its node (index 0), whose only output is ``tensor``."""
    node = Node(input_layer, 0, (), {}, tensor, is_input=True)
    input_layer._inbound_nodes[:] = [node]
    tensor._keras_history = KerasHistory(input_layer, 0, 0)
    return node


def node_of(tensor: KerasTensor) -> Node:
    """The node whose call produced ``tensor``.

    Raises:
        ValueError: If ``tensor`` was made directly, not by ``heft.Input`` or a layer call.
    """
    history = tensor._keras_history
    if history is None:
        raise ValueError(
            f"The tensor {tensor} was not produced by `heft.Input` or by a layer call, so it "
            "cannot be part of a model. Build every tensor from an `Input` with layers."
        )
    return history.operation._inbound_nodes[history.node_index]
