"""``heft.Function``: a graph of layer and op calls on symbolic tensors, re-run on new inputs."""

from __future__ import annotations

from typing import Any

import jax

from . import _naming, _symbolic, tree
from ._symbolic import KerasTensor


class Function:
    """The computation that links symbolic ``inputs`` to ``outputs``, callable on arrays.

    Like a functional model without the model: no weights of its own, no
    training API. The inputs may be ``heft.Input`` tensors or bare
    ``KerasTensor``s; calling the function on arrays (in the inputs'
    structure) runs the recorded layer and op calls in order and returns the
    outputs in their structure. Called on ``KerasTensor``s it gives the
    output specs.

    Args:
        inputs: A ``KerasTensor`` or a structure (list, tuple, dict) of them.
        outputs: A ``KerasTensor`` or a structure of them, computed from ``inputs``.
        name: The function's name.

    Raises:
        ValueError: If ``inputs`` or ``outputs`` is empty, or an output does
            not depend on the inputs alone.

    >>> import heft, numpy as np
    >>> a, b = heft.KerasTensor((None, 2)), heft.KerasTensor((None, 2))
    >>> fn = heft.Function([a, b], heft.ops.sigmoid(a + b))
    >>> np.asarray(fn([np.zeros((1, 2)), np.zeros((1, 2))])).tolist()
    [[0.5, 0.5]]
    """

    def __init__(self, inputs: Any, outputs: Any, name: str | None = None) -> None:
        self.name = name if name is not None else _naming.auto_name("function")
        self._inputs_struct = tree.map_structure(lambda x: x, inputs)
        self._outputs_struct = tree.map_structure(lambda x: x, outputs)
        self._inputs = tree.flatten(inputs)
        self._outputs = tree.flatten(outputs)
        if not self._inputs:
            raise ValueError(
                f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}"
            )
        if not self._outputs:
            raise ValueError(
                f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\noutputs={outputs}"
            )
        for tensor in self._inputs + self._outputs:
            if not isinstance(tensor, KerasTensor):
                raise ValueError(
                    f"Function inputs and outputs must be KerasTensors; found {tensor!r:.100}."
                )
        self._nodes = self._order_nodes()

    def _order_nodes(self) -> list[Any]:
        """The calls from inputs to outputs, each after the calls it reads."""
        input_ids = {id(t) for t in self._inputs}
        order: list[Any] = []
        done: set[int] = set()
        paths = [p for p, _ in tree.flatten_with_path(self._outputs_struct)]

        def visit(tensor: KerasTensor, where: str) -> None:
            if id(tensor) in input_ids:
                return
            history = tensor._keras_history
            node = None
            if history is not None and history.operation is not None:
                node = history.operation._inbound_nodes[history.node_index]
            if node is None or node.is_input:
                raise ValueError(f"Output with path `{where}` is not connected to `inputs`")
            if id(node) in done:
                return
            for parent in node.input_tensors:
                visit(parent, where)
            done.add(id(node))
            order.append(node)

        for path, output in zip(paths, self._outputs, strict=True):
            visit(output, ".".join(str(p) for p in path))
        return order

    @property
    def operations(self) -> list[Any]:
        """The layers and ops the function calls, in order, each once."""
        seen: dict[int, Any] = {}
        for node in self._nodes:
            seen.setdefault(id(node.operation), node.operation)
        return list(seen.values())

    @property
    def inputs(self) -> list[KerasTensor]:
        """The symbolic inputs, flat."""
        return self._inputs

    @property
    def outputs(self) -> list[KerasTensor]:
        """The symbolic outputs, flat."""
        return self._outputs

    def _check_inputs(self, inputs: Any) -> list[Any]:
        try:
            tree.assert_same_structure(inputs, self._inputs_struct)
        except ValueError:
            raise ValueError(
                "Function was called with an invalid input structure. Expected input "
                f"structure: {self._inputs_struct}\nReceived input structure: {inputs}"
            ) from None
        flat = tree.flatten(inputs)
        for value, reference in zip(flat, self._inputs, strict=True):
            shape = tuple(_symbolic.shape_of(value))
            same_rank = len(shape) == len(reference.shape)
            if not same_rank or any(
                d is not None and r is not None and d != r
                for d, r in zip(shape, reference.shape, strict=False)
            ):
                raise ValueError(
                    f"{type(self).__name__} was passed incompatible inputs. For input "
                    f"'{reference.name}', expected shape {reference.shape}, but received "
                    f"instead a tensor with shape {shape}."
                )
        return flat

    def call(self, inputs: Any) -> Any:
        """Run the recorded calls on ``inputs`` (structured as the symbolic inputs)."""
        values = {id(t): v for t, v in zip(self._inputs, self._check_inputs(inputs), strict=True)}
        for node in self._nodes:
            args, kwargs = node.arguments(values)
            result = node.operation(*args, **kwargs)
            leaves = jax.tree_util.tree_leaves(result, is_leaf=_symbolic.is_symbolic)
            for tensor, value in zip(node.output_tensors, leaves, strict=True):
                values[id(tensor)] = value
        return tree.pack_sequence_as(self._outputs_struct, [values[id(t)] for t in self._outputs])

    def __call__(self, inputs: Any) -> Any:
        return self.call(inputs)

    def compute_output_spec(self, inputs: Any) -> Any:
        """The output ``KerasTensor``s for symbolic ``inputs``."""
        self._check_inputs(inputs)
        return _symbolic.compute_output_spec(self.call, (inputs,), {})

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shapes for input shapes (structured as the inputs)."""
        specs = tree.map_shape_structure(lambda s: KerasTensor(s), input_shape)
        for spec, reference in zip(tree.flatten(specs), self._inputs, strict=True):
            spec._dtype = reference.dtype
        return tree.map_structure(lambda t: t.shape, self.compute_output_spec(specs))

    def __repr__(self) -> str:
        return f"<Function name={self.name}>"
