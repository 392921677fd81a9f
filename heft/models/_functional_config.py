"""A Functional model's config in Keras 3's form: layers with their inbound calls, and back."""

from __future__ import annotations

from typing import Any

from .. import _symbolic
from ..layers._input_layer import InputLayer
from ..layers._layer import Layer
from ..ops._graph_op import GraphOp, op_name_of_class

# Python values inside call arguments, written as Keras writes them.
_VALUE_CLASSES = ("__slice__", "__ellipsis__")


def _encode(x: Any, graph: Any) -> Any:
    """A call argument as the config writes it: tensors as their history, slices as dicts."""
    if isinstance(x, _symbolic.KerasTensor):
        return {
            "class_name": "__keras_tensor__",
            "config": {
                "shape": list(x.shape),
                "dtype": x.dtype,
                "keras_history": graph.config_history(x),
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
        return [_encode(v, graph) for v in x]
    if isinstance(x, dict):
        return {k: _encode(v, graph) for k, v in x.items()}
    return x


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


def functional_config(model: Any) -> dict[str, Any]:
    """``model.get_config()`` for a Functional model, as Keras 3 writes it.

    Each layer (and op) appears once, in ``model.operations`` order, with the
    arguments of each of its calls in this graph (``inbound_nodes``); a tensor
    argument is ``[layer name, node index, tensor index]``, the node index
    counting that layer's calls within this graph.
    """
    from .._serialization import serialize_keras_object
    from ..layers import serialize

    graph = model._graph
    layer_configs = []
    for layer in graph.operations:
        if isinstance(layer, GraphOp):
            entry = {
                "module": layer.keras_module(),
                "class_name": layer.keras_class_name(),
                "config": _encode(layer.get_config(), graph),
                "registered_name": layer.keras_class_name(),
            }
        elif isinstance(layer, Layer):
            entry = serialize(layer)
        else:
            # A user's `heft.Operation`: its class dict, as for any configurable object.
            entry = serialize_keras_object(layer)
        entry.pop("build_config", None)
        entry["name"] = layer.name
        nodes = []
        for node in graph.calls(layer):
            if node.is_input:
                continue
            kwargs = {k: v for k, v in node.kwargs.items() if k != "training"}
            nodes.append(
                {"args": _encode(list(node.args), graph), "kwargs": _encode(kwargs, graph)}
            )
        entry["inbound_nodes"] = nodes
        layer_configs.append(entry)

    def refs(structure: Any) -> Any:
        if isinstance(structure, dict):
            return {k: graph.config_history(v) for k, v in structure.items()}
        if isinstance(structure, list | tuple):
            return [graph.config_history(v) for v in structure]
        return graph.config_history(structure)

    return {
        "name": model.name,
        "trainable": model.trainable,
        "layers": layer_configs,
        "input_layers": refs(model._inputs_struct),
        "output_layers": refs(model._outputs_struct),
    }


def functional_from_config(cls: type, config: dict[str, Any], custom_objects: Any = None) -> Any:
    """A model of class ``cls`` with new layers and the graph ``config`` describes.

    Layers are created first, then their calls are replayed, each as soon as the
    tensors it reads exist (a layer's calls in their recorded order). Keys of
    ``config`` beyond the Functional ones go to ``cls``'s constructor, as in Keras.

    Raises:
        ValueError: If a layer's inputs refer to layers or calls the config lacks.
    """
    from ..layers import deserialize

    config = dict(config)
    layer_entries = config.pop("layers")
    input_refs = config.pop("input_layers")
    output_refs = config.pop("output_layers")
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)

    created: dict[str, Any] = {}
    outputs_of: dict[str, list[Any]] = {}
    pending: list[tuple[str, dict[str, Any]]] = []
    for entry in layer_entries:
        layer_config = {k: v for k, v in entry.items() if k not in ("inbound_nodes", "name")}
        if str(entry.get("module", "")).startswith("keras.src.ops."):
            static = {k: _decode(v) for k, v in entry.get("config", {}).items() if k != "name"}
            layer = GraphOp(
                op_name_of_class(entry["class_name"]),
                static,
                name=entry.get("config", {}).get("name"),
            )
        else:
            layer = deserialize(layer_config, custom_objects)
        layer_name = entry.get("name", layer.name)
        created[layer_name] = layer
        if isinstance(layer, InputLayer):
            outputs_of[layer_name] = [layer.output]
        for node in entry.get("inbound_nodes", []):
            pending.append((layer_name, node))

    def resolve(x: Any) -> Any:
        if isinstance(x, dict) and x.get("class_name") in _VALUE_CLASSES:
            return _decode(x, resolve)
        if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
            layer_name, node_index, tensor_index = x["config"]["keras_history"]
            produced = outputs_of.get(layer_name, [])
            if node_index >= len(produced):
                raise LookupError(layer_name)
            return _symbolic.symbolic_leaves(produced[node_index])[tensor_index]
        if isinstance(x, list | tuple):
            return [resolve(v) for v in x]
        if isinstance(x, dict):
            return {k: resolve(v) for k, v in x.items()}
        return x

    while pending:
        progressed = False
        remaining: list[tuple[str, dict[str, Any]]] = []
        for layer_name, node in pending:
            # A layer's calls must run in order: wait while an earlier one is pending.
            if any(n == layer_name for n, _ in remaining):
                remaining.append((layer_name, node))
                continue
            try:
                args = resolve(node.get("args", []))
                kwargs = resolve(node.get("kwargs", {}))
            except LookupError:
                remaining.append((layer_name, node))
                continue
            out = created[layer_name](*args, **kwargs)
            outputs_of.setdefault(layer_name, []).append(out)
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
            return _symbolic.symbolic_leaves(outputs_of[ref[0]][ref[1]])[ref[2]]

        if isinstance(refs, dict):
            return {k: one(v) for k, v in refs.items()}
        if refs and isinstance(refs[0], list):
            items = [one(r) for r in refs]
            return items[0] if len(items) == 1 else items
        return one(refs)

    return cls(
        inputs=tensors(input_refs),
        outputs=tensors(output_refs),
        name=name,
        trainable=trainable,
        **config,
    )
