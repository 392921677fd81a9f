"""``Graph``: the layer calls between a Functional model's inputs and outputs, in Keras's orders."""

from __future__ import annotations

from typing import Any

import jax

from .._symbolic import KerasTensor
from ..layers._node import Node, node_of


class Graph:
    """The nodes (layer calls) that compute ``outputs`` from ``inputs``, and their orders.

    Every order here is the one Keras 3 uses, so that ``model.layers``, the
    config, ``summary`` and ``clone_model`` agree with Keras on the same model.

    Args:
        inputs: The model's input tensors (each from ``heft.Input``).
        outputs: The model's output tensors.

    Raises:
        ValueError: If a tensor was not made by a layer call, the outputs depend on
            an ``Input`` that is not among ``inputs``, or the calls form a cycle.

    Attributes:
        inputs: ``inputs``, as given.
        outputs: ``outputs``, as given.
        operations: The layers and ops, deepest first (input layers lead);
            within one depth, in the order a walk from the outputs first met them.
        nodes: The calls (input layers' nodes excluded), each after the calls whose
            outputs it reads: the order ``Functional.call`` runs them.
        run_order: The same calls by depth, deepest first; within one depth, in
            the order the depth walk first met them. Keras re-runs a graph (to clone
            it) in this order, which decides how a shared layer numbers its calls.
        nodes_by_depth: Every node (input layers' included) by depth, 0 at the outputs.

    >>> import heft
    >>> x = heft.Input((3,), name="x")
    >>> y = heft.layers.Dense(2, name="d")(x)
    >>> graph = Graph([x], [y])
    >>> [layer.name for layer in graph.operations], [n.operation.name for n in graph.nodes]
    (['x', 'd'], ['d'])
    """

    def __init__(self, inputs: list[KerasTensor], outputs: list[KerasTensor]) -> None:
        self.inputs = list(inputs)
        self.outputs = list(outputs)
        input_ids = {id(t) for t in inputs}

        # 1. Walk back from the outputs, depth first. `post_order` lists each node
        # after every node it reads; `first_met` numbers layers in the order the walk
        # reaches them (pre-order), which breaks ties between layers of equal depth.
        post_order: list[Node] = []
        first_met: dict[int, int] = {}
        layers: dict[int, Any] = {}
        finished: set[Node] = set()
        in_progress: set[Node] = set()

        def meet(layer: Any) -> None:
            first_met.setdefault(id(layer), len(first_met))
            layers[id(layer)] = layer

        def visit(tensor: KerasTensor) -> None:
            node = node_of(tensor)
            if node in finished:
                return
            if node in in_progress:
                raise ValueError(
                    f"The layer graph has a cycle through layer '{node.operation.name}': a "
                    "tensor's history leads back to the call that consumes it. Build each "
                    "tensor from the outputs of earlier calls only."
                )
            meet(node.operation)
            in_progress.add(node)
            if node.is_input and id(tensor) not in input_ids:
                raise ValueError(
                    "Output tensors of a Functional model must be computed from its inputs; "
                    f"the graph reaches input '{node.operation.name}', which is not among the "
                    f"model's inputs {[t.name for t in inputs]}. Pass it in `inputs`."
                )
            for parent in node.input_tensors:
                visit(parent)
            in_progress.discard(node)
            finished.add(node)
            post_order.append(node)

        for tensor in outputs:
            visit(tensor)
        # Inputs no output depends on still belong to the model (and come last among firsts).
        unused_inputs = [node_of(t) for t in inputs if node_of(t) not in finished]
        for node in unused_inputs:
            meet(node.operation)

        # 2. Depths, from the outputs (0) back: a node is one deeper than the deepest
        # node reading it, and all calls of a shared layer take the deepest depth any
        # of them has, so the layer sits once, below everything it feeds. Reversed
        # post-order visits every reader of a node before the node itself.
        node_depth: dict[Node, int] = {}
        layer_depth: dict[int, int] = {}
        for node in reversed(post_order):
            key = id(node.operation)
            depth = max(node_depth.setdefault(node, 0), layer_depth.get(key, 0))
            layer_depth[key] = node_depth[node] = depth
            for parent in node.parent_nodes():
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
        for node in unused_inputs:
            node_depth.setdefault(node, 0)
            layer_depth.setdefault(id(node.operation), 0)

        # 3. Layers by depth, deepest first; ties in the order the walk met them.
        by_layer_depth: dict[int, list[Any]] = {}
        for key, depth in layer_depth.items():
            by_layer_depth.setdefault(depth, []).append(layers[key])
        self.operations: list[Any] = []
        for depth in sorted(by_layer_depth, reverse=True):
            group = sorted(by_layer_depth[depth], key=lambda layer: first_met[id(layer)])
            self.operations.extend(group)

        self.nodes: list[Node] = [node for node in post_order if not node.is_input]
        # `sorted` is stable: equal depths keep the order the depth walk first met them.
        self.run_order: list[Node] = [
            node for node in sorted(node_depth, key=lambda n: -node_depth[n]) if not node.is_input
        ]
        self.nodes_by_depth: dict[int, list[Node]] = {}
        for node, depth in node_depth.items():
            self.nodes_by_depth.setdefault(depth, []).append(node)

        # Each layer's calls within this graph, in the order they were made.
        self._calls: dict[int, list[Node]] = {}
        for node in node_depth:
            self._calls.setdefault(id(node.operation), []).append(node)
        self._node_index: dict[Node, int] = {}
        for calls in self._calls.values():
            calls.sort(key=lambda n: n.index)
            for position, node in enumerate(calls):
                self._node_index[node] = position

    def calls(self, layer: Any) -> list[Node]:
        """The nodes of ``layer`` in this graph, in the order the calls were made."""
        return list(self._calls.get(id(layer), []))

    def node_index(self, node: Node) -> int:
        """``node``'s index as a Functional config writes it: its rank among its layer's calls.

        A layer shared with another model may have calls outside this graph; the
        config numbers only this graph's calls, 0, 1, ..., in the order they were made.
        """
        return self._node_index[node]

    def config_history(self, tensor: KerasTensor) -> list[Any]:
        """``[layer name, node index, tensor index]``: how a config refers to ``tensor``."""
        history = tensor._keras_history
        if history is None:
            raise ValueError(
                f"The tensor {tensor} was not produced by `heft.Input` or by a layer call, so a "
                "config cannot refer to it. Build every tensor from an `Input` with layers."
            )
        return [history.operation.name, self.node_index(node_of(tensor)), history.tensor_index]


def clone_from_tensors(inputs: Any, outputs: Any) -> tuple[Any, Any]:
    """New inputs and outputs for a model whose ``inputs`` include layer outputs.

    Keras 3 lets a Functional model start from intermediate tensors. Each such
    tensor is replaced by a fresh ``Input`` of its shape and dtype, named
    ``"<tensor name>CLONE"``, and every call between the inputs and ``outputs``
    is recorded again (a new node of the same layer) on the replacements, so the
    new model shares the layers and their weights but not the calls upstream of
    its inputs. ``Input`` tensors among ``inputs`` are kept as they are.
    """
    from .. import _naming, _symbolic
    from ..layers._input_layer import Input
    from ..layers._node import record_call

    swap: dict[int, KerasTensor] = {}
    for tensor in _symbolic.symbolic_leaves(inputs):
        if node_of(tensor).is_input:
            swap[id(tensor)] = tensor
        else:
            name = tensor.name or _naming.auto_name("keras_tensor")
            swap[id(tensor)] = Input(
                batch_shape=tensor.shape, dtype=tensor.dtype, sparse=tensor.sparse,
                name=f"{name}CLONE",
            )  # fmt: skip
    order: list[Node] = []
    seen: set[Node] = set()

    def visit(tensor: KerasTensor) -> None:
        if id(tensor) in swap:
            return
        node = node_of(tensor)
        if node in seen:
            return
        seen.add(node)
        if node.is_input:
            raise ValueError(
                "Output tensors of a Functional model must be computed from its inputs; "
                f"the graph reaches input '{node.operation.name}', which is not among the "
                f"model's inputs. Pass it in `inputs`."
            )
        for parent in node.input_tensors:
            visit(parent)
        order.append(node)

    for tensor in _symbolic.symbolic_leaves(outputs):
        visit(tensor)  # raises before any call is recorded: the layers stay as they were

    def substitute(tree: Any) -> Any:
        def one(x: Any) -> Any:
            if not isinstance(x, KerasTensor):
                return x
            if id(x) not in swap:
                swap[id(x)] = KerasTensor(x.shape, x.dtype, x.sparse, name=x.name)
            return swap[id(x)]

        return jax.tree_util.tree_map(one, tree, is_leaf=_symbolic.is_symbolic)

    for node in order:
        args, kwargs = substitute((node.args, node.kwargs))
        record_call(node.operation, args, kwargs, substitute(node.outputs))
    return substitute(inputs), substitute(outputs)
