"""``Functional``: a model defined by calling layers on symbolic ``Input`` tensors."""

from __future__ import annotations

from typing import Any

import jax

from .. import _symbolic
from ..layers._input_layer import InputLayer
from ..layers._layer import Layer
from ..layers._operation import Operation, op_name_of_class
from ._model import Model

_Node = tuple[Layer, int]  # (layer, index of its symbolic call)


def _history(tensor: _symbolic.KerasTensor) -> tuple[Layer, int, int]:
    history = tensor._keras_history
    if history is None:
        raise ValueError(
            f"The tensor {tensor} was not produced by `heft.Input` or by a layer call, so it "
            "cannot be part of a model. Build every tensor from an `Input` with layers."
        )
    return history


_VALUE_CLASSES = ("__slice__", "__ellipsis__")


def _decode(x: Any, inner: Any = None) -> Any:
    """Python values Keras writes as ``{"class_name": "__slice__", ...}`` and the like."""
    inner = inner or _decode
    if isinstance(x, dict) and x.get("class_name") == "__slice__":
        c = x["config"]
        return slice(inner(c.get("start")), inner(c.get("stop")), inner(c.get("step")))
    if isinstance(x, dict) and x.get("class_name") == "__ellipsis__":
        return Ellipsis
    if isinstance(x, list):
        return [inner(v) for v in x]
    return x


def _symbolic_leaves(tree: Any) -> list[_symbolic.KerasTensor]:
    return [
        leaf
        for leaf in jax.tree_util.tree_leaves(tree, is_leaf=_symbolic.is_symbolic)
        if isinstance(leaf, _symbolic.KerasTensor)
    ]


def _node_inputs(node: _Node) -> list[_symbolic.KerasTensor]:
    layer, index = node
    if isinstance(layer, InputLayer):
        return []
    args, kwargs, _ = layer._inbound[index]
    return _symbolic_leaves((args, kwargs))


def _node_outputs(node: _Node) -> Any:
    layer, index = node
    if isinstance(layer, InputLayer):
        return layer.output
    return layer._inbound[index][2]


class _Graph:
    """The layer calls between a model's inputs and outputs, ordered as Keras orders them."""

    def __init__(self, inputs: list[_symbolic.KerasTensor], outputs: list[_symbolic.KerasTensor]):
        input_ids = {id(t) for t in inputs}
        finished: set[tuple[int, int]] = set()
        in_progress: set[tuple[int, int]] = set()
        post_order: list[_Node] = []
        layer_index: dict[int, int] = {}
        layers_by_id: dict[int, Layer] = {}

        def visit(tensor: _symbolic.KerasTensor) -> None:
            layer, index, _ = _history(tensor)
            key = (id(layer), index)
            if key in finished:
                return
            if key in in_progress:
                raise ValueError(f"The layer graph has a cycle through layer '{layer.name}'.")
            layer_index.setdefault(id(layer), len(layer_index))
            layers_by_id[id(layer)] = layer
            in_progress.add(key)
            if id(tensor) not in input_ids:
                if isinstance(layer, InputLayer):
                    raise ValueError(
                        f"Output tensors of a Functional model must be computed from its inputs; "
                        f"the graph reaches input '{layer.name}', which is not among the model's "
                        f"inputs {[t.name for t in inputs]}. Pass it in `inputs`."
                    )
                for parent in _node_inputs((layer, index)):
                    visit(parent)
            finished.add(key)
            in_progress.discard(key)
            post_order.append((layer, index))

        for tensor in outputs:
            visit(tensor)
        for tensor in inputs:
            layer, _, _ = _history(tensor)
            if id(layer) not in layers_by_id:
                layer_index.setdefault(id(layer), len(layer_index))
                layers_by_id[id(layer)] = layer

        node_depth: dict[tuple[int, int], int] = {}
        layer_depth: dict[int, int] = {}
        for layer, index in reversed(post_order):
            key = (id(layer), index)
            depth = max(node_depth.setdefault(key, 0), layer_depth.get(id(layer), 0))
            layer_depth[id(layer)] = depth
            node_depth[key] = depth
            if id(_node_outputs((layer, index))) in input_ids:
                continue
            for parent in _node_inputs((layer, index)):
                player, pindex, _ = _history(parent)
                pkey = (id(player), pindex)
                node_depth[pkey] = max(depth + 1, node_depth.get(pkey, 0))
        for tensor in inputs:
            layer, _, _ = _history(tensor)
            layer_depth.setdefault(id(layer), 0)
        by_depth: dict[int, list[Layer]] = {}
        for layer_id, depth in layer_depth.items():
            by_depth.setdefault(depth, []).append(layers_by_id[layer_id])
        self.layers: list[Layer] = []
        for depth in sorted(by_depth, reverse=True):
            self.layers.extend(sorted(by_depth[depth], key=lambda layer: layer_index[id(layer)]))
        self.nodes = [n for n in post_order if not isinstance(n[0], InputLayer)]
        # The calls grouped by depth, deepest first, as Keras re-runs a graph;
        # within a depth, in the order the depth walk first met them.
        known = {(id(layer), index): (layer, index) for layer, index in self.nodes}
        self.run_order = [
            known[key] for key in sorted(node_depth, key=lambda k: -node_depth[k]) if key in known
        ]
        self.input_ids = input_ids


class Functional(Model):
    """A model given by its inputs and outputs: ``Model(inputs, outputs)``.

    Args:
        inputs: An ``Input`` tensor, or a list or dict of them.
        outputs: Tensors computed from ``inputs`` by layers; one, a list or a dict.
        name: The model's name.
        trainable: Whether the model's weights are trainable.

    >>> import heft
    >>> x = heft.Input(shape=(3,))
    >>> y = heft.layers.Dense(2, name="d1")(x)
    >>> model = heft.Model(x, y)
    >>> [w.path for w in model.weights]
    ['d1/kernel', 'd1/bias']
    """

    def __init__(
        self,
        inputs: Any,
        outputs: Any,
        name: str | None = None,
        trainable: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=name, trainable=trainable, **kwargs)
        for role, value in (("inputs", inputs), ("outputs", outputs)):
            leaves = jax.tree_util.tree_leaves(value, is_leaf=_symbolic.is_symbolic)
            bad = [leaf for leaf in leaves if not isinstance(leaf, _symbolic.KerasTensor)]
            if bad or not leaves:
                raise ValueError(
                    f"All `{role}` of a Functional model must be symbolic tensors (from "
                    f"`heft.Input` and layer calls). Received: {role}={value!r}"
                )
        object.__setattr__(self, "_inputs_struct", inputs)
        object.__setattr__(self, "_outputs_struct", outputs)
        flat_inputs = _symbolic_leaves(inputs)
        for tensor in flat_inputs:
            if not isinstance(_history(tensor)[0], InputLayer):
                raise ValueError(
                    "Every input of a Functional model must come from `heft.Input(...)`. "
                    f"Received the output of layer '{_history(tensor)[0].name}' as an input."
                )
        graph = _Graph(flat_inputs, _symbolic_leaves(outputs))
        object.__setattr__(self, "_graph", graph)
        for layer in graph.layers:
            if not isinstance(layer, Operation):
                self._tracker.add(layer)
        self.built = True
        self._lock_state()

    @property
    def layers(self) -> list[Layer]:
        """The model's layers (input layers included), in graph order."""
        return [layer for layer in self._graph.layers if not isinstance(layer, Operation)]

    @property
    def operations(self) -> list[Layer]:
        """The layers and the ops applied to symbolic tensors (``x * 2``), in graph order."""
        return list(self._graph.layers)

    @property
    def inputs(self) -> list[_symbolic.KerasTensor]:
        return _symbolic_leaves(self._inputs_struct)

    @property
    def outputs(self) -> list[_symbolic.KerasTensor]:
        return _symbolic_leaves(self._outputs_struct)

    @property
    def input(self) -> Any:
        """The symbolic inputs as given to the constructor (a tensor, list or dict)."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The symbolic outputs as given to the constructor (a tensor, list or dict)."""
        return self._outputs_struct

    @property
    def output_names(self) -> list[str]:
        """Names of the outputs: dict keys, else the names of the layers producing them."""
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [_history(t)[0].name for t in self.outputs]

    @property
    def input_shape(self) -> Any:
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self) -> Any:
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        """A Functional model is built when it is created."""

    def _flatten_call_inputs(self, inputs: Any) -> list[Any]:
        structure = self._inputs_struct
        if isinstance(structure, dict):
            if not isinstance(inputs, dict):
                raise ValueError(
                    f"Model '{self.name}' expects a dict of inputs with keys "
                    f"{sorted(structure)}; received {type(inputs).__name__}."
                )
            missing = sorted(set(structure) - set(inputs))
            if missing:
                raise ValueError(f"Model '{self.name}' is missing inputs {missing}.")
            return [inputs[k] for k in structure]
        expected = self.inputs
        if len(expected) == 1:
            if isinstance(inputs, list | tuple) and len(inputs) == 1:
                inputs = inputs[0]
            return [inputs]
        if isinstance(inputs, dict):
            names = [_history(t)[0].name for t in expected]
            return [inputs[n] for n in names]
        if not isinstance(inputs, list | tuple) or len(inputs) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} inputs but received "
                f"{len(inputs) if isinstance(inputs, list | tuple) else 1} input(s). "
                "Pass a list with one array per input."
            )
        return list(inputs)

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        values: dict[int, Any] = {}
        for tensor, value in zip(self.inputs, self._flatten_call_inputs(inputs), strict=True):
            values[id(tensor)] = value
        for layer, index in self._graph.nodes:
            args, kwargs, outputs = layer._inbound[index]

            def fill(x: Any) -> Any:
                return values[id(x)] if isinstance(x, _symbolic.KerasTensor) else x

            call_args = jax.tree_util.tree_map(fill, args, is_leaf=_symbolic.is_symbolic)
            call_kwargs = jax.tree_util.tree_map(fill, kwargs, is_leaf=_symbolic.is_symbolic)
            call_kwargs.pop("training", None)
            result = layer(*call_args, **call_kwargs)
            for tensor, value in zip(
                _symbolic_leaves(outputs), jax.tree_util.tree_leaves(result), strict=True
            ):
                values[id(tensor)] = value
        result = jax.tree_util.tree_map(
            lambda t: values[id(t)], self._outputs_struct, is_leaf=_symbolic.is_symbolic
        )
        # As Keras: outputs given as a one-element list or tuple come back unwrapped.
        if isinstance(result, list | tuple) and len(result) == 1:
            return result[0]
        return result

    def compute_output_spec(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        return self.call(inputs)

    # ------------------------------------------------------------------ config
    def _calls(self) -> dict[int, list[int]]:
        """Each layer's calls within this graph (indices into its ``_inbound``), in call order."""
        calls: dict[int, list[int]] = {}
        for layer, index in self._graph.nodes:
            calls.setdefault(id(layer), []).append(index)
        return {key: sorted(indices) for key, indices in calls.items()}

    def _node_keys(self) -> dict[tuple[int, int], int]:
        """Number each layer's calls within this graph 0, 1, ... in the order they were made.

        These are Keras's node indices: a layer shared by two branches numbers
        its calls as they happened, whatever order the graph runs them in.
        """
        keys: dict[tuple[int, int], int] = {}
        for layer in self._graph.layers:
            if isinstance(layer, InputLayer):
                keys[(id(layer), 0)] = 0
        for key, indices in self._calls().items():
            for position, index in enumerate(indices):
                keys[(key, index)] = position
        return keys

    def get_config(self) -> dict[str, Any]:
        """Layers with their inbound calls, and the input and output layers (Keras's form)."""
        from ..layers import serialize

        keys = self._node_keys()

        def tensor_ref(t: _symbolic.KerasTensor) -> list[Any]:
            layer, index, tensor_index = _history(t)
            return [layer.name, keys[(id(layer), index)], tensor_index]

        def encode(x: Any) -> Any:
            if isinstance(x, _symbolic.KerasTensor):
                return {
                    "class_name": "__keras_tensor__",
                    "config": {
                        "shape": list(x.shape),
                        "dtype": x.dtype,
                        "keras_history": tensor_ref(x),
                    },
                }
            if isinstance(x, slice):
                return {
                    "class_name": "__slice__",
                    "config": {"start": x.start, "stop": x.stop, "step": x.step},
                }
            if x is Ellipsis:
                return {"class_name": "__ellipsis__", "config": {}}
            if isinstance(x, list | tuple):
                return [encode(v) for v in x]
            if isinstance(x, dict):
                return {k: encode(v) for k, v in x.items()}
            return x

        calls = self._calls()
        layer_configs = []
        for layer in self._graph.layers:
            if isinstance(layer, Operation):
                entry = {
                    "module": layer.keras_module(),
                    "class_name": layer.keras_class_name(),
                    "config": encode(layer.get_config()),
                    "registered_name": layer.keras_class_name(),
                }
            else:
                entry = serialize(layer)
            entry.pop("build_config", None)
            entry["name"] = layer.name
            nodes = []
            for index in calls.get(id(layer), []):
                args, kwargs, _ = layer._inbound[index]
                kwargs = {k: v for k, v in kwargs.items() if k != "training"}
                nodes.append({"args": encode(list(args)), "kwargs": encode(kwargs)})
            entry["inbound_nodes"] = nodes
            layer_configs.append(entry)

        def refs(structure: Any) -> Any:
            if isinstance(structure, dict):
                return {k: tensor_ref(v) for k, v in structure.items()}
            if isinstance(structure, list | tuple):
                return [tensor_ref(v) for v in structure]
            return tensor_ref(structure)

        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": refs(self._inputs_struct),
            "output_layers": refs(self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Functional:
        """Rebuild the model (new layers, same graph) from ``get_config()``'s output.

        Raises:
            ValueError: If a layer's inputs refer to layers or calls the config lacks.
        """
        from ..layers import deserialize

        created: dict[str, Layer] = {}
        outputs_of: dict[str, list[Any]] = {}
        pending: list[tuple[str, dict[str, Any]]] = []
        for entry in config["layers"]:
            layer_config = {k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")}
            if str(entry.get("module", "")).startswith("keras.src.ops."):
                static = {k: _decode(v) for k, v in entry.get("config", {}).items() if k != "name"}
                layer = Operation(
                    op_name_of_class(entry["class_name"]),
                    static,
                    name=entry.get("config", {}).get("name"),
                )
            else:
                layer = deserialize(layer_config, custom_objects)
            name = entry.get("name", layer.name)
            created[name] = layer
            if isinstance(layer, InputLayer):
                outputs_of[name] = [layer.output]
            for node in entry.get("inbound_nodes", []):
                pending.append((name, node))

        def resolve(x: Any) -> Any:
            if isinstance(x, dict) and x.get("class_name") in _VALUE_CLASSES:
                return _decode(x, resolve)
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                layer_name, node_index, tensor_index = x["config"]["keras_history"]
                produced = outputs_of.get(layer_name, [])
                if node_index >= len(produced):
                    raise LookupError(layer_name)
                leaves = _symbolic_leaves(produced[node_index])
                return leaves[tensor_index]
            if isinstance(x, list | tuple):
                return [resolve(v) for v in x]
            if isinstance(x, dict):
                return {k: resolve(v) for k, v in x.items()}
            return x

        while pending:
            progressed = False
            remaining = []
            for name, node in pending:
                # A layer's calls must run in order: wait while an earlier one is pending.
                if any(n == name for n, _ in remaining):
                    remaining.append((name, node))
                    continue
                try:
                    args = resolve(node.get("args", []))
                    kwargs = resolve(node.get("kwargs", {}))
                except LookupError:
                    remaining.append((name, node))
                    continue
                out = created[name](*args, **kwargs)
                outputs_of.setdefault(name, []).append(out)
                progressed = True
            if not progressed:
                raise ValueError(
                    "Cannot rebuild the Functional model from its config: the inputs of layers "
                    f"{sorted({n for n, _ in remaining})} refer to layers or calls that are not "
                    "in the config."
                )
            pending = remaining

        def tensors(refs: Any) -> Any:
            def one(ref: list[Any]) -> Any:
                return _symbolic_leaves(outputs_of[ref[0]][ref[1]])[ref[2]]

            if isinstance(refs, dict):
                return {k: one(v) for k, v in refs.items()}
            if refs and isinstance(refs[0], list):
                items = [one(r) for r in refs]
                return items[0] if len(items) == 1 else items
            return one(refs)

        return cls(
            tensors(config["input_layers"]),
            tensors(config["output_layers"]),
            name=config.get("name"),
            trainable=config.get("trainable", True),
        )
