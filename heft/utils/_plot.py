"""``model_to_dot`` and ``plot_model``: a model's layer graph as Graphviz DOT, drawn or written.

``model_to_dot`` needs the ``pydot`` package only. ``plot_model`` writes a
``.dot`` file with ``pydot`` alone; other formats (``.png``, ``.svg``,
``.pdf``, ...) are rendered by Graphviz's ``dot`` program, which must be on
the ``PATH``.
"""

from __future__ import annotations

import itertools
import os
import shutil
from typing import Any

import jax


def _pydot(what: str) -> Any:
    try:
        import pydot
    except ImportError:
        raise ImportError(
            f"You must install pydot (`pip install pydot`) for `{what}` to work."
        ) from None
    return pydot


def _check_built(model: Any) -> None:
    if not model.built:
        raise ValueError(
            "This model has not yet been built. Build the model first by calling `build()` or "
            "by calling the model on a batch of data."
        )


def _activation_name(layer: Any) -> str:
    activation = layer.activation
    if hasattr(activation, "name"):
        return str(activation.name)
    if hasattr(activation, "__name__"):
        return str(activation.__name__)
    return str(activation)


def _format_shape(shape: Any) -> str:
    if shape is None:
        return "?"
    text = (
        ", ".join(f"{k}: {v}" for k, v in shape.items()) if isinstance(shape, dict) else str(shape)
    )
    return text.replace("}", "").replace("{", "")


def _structure(layer: Any, attribute: str, field: str) -> Any:
    try:
        value = getattr(layer, attribute)
    except (ValueError, AttributeError):
        return None
    return jax.tree_util.tree_map(
        lambda t: getattr(t, field), value, is_leaf=lambda t: hasattr(t, field)
    )


def _label(layer: Any, options: dict[str, bool]) -> str:
    """The HTML-like label of one layer's box: name, activation, shapes, dtype, trainable."""
    from ..ops._graph_op import GraphOp

    # An op node shows its Keras class (`Multiply`), as Keras draws it.
    class_name = layer.keras_class_name() if isinstance(layer, GraphOp) else type(layer).__name__
    colspan = max(
        1,
        int(options["show_dtype"])
        + int(options["show_trainable"])
        + 2 * int(options["show_shapes"]),
    )
    title = (
        f"<b>{layer.name}</b> ({class_name})"
        if options["show_layer_names"]
        else f"<b>{class_name}</b>"
    )
    rows = [
        f'<tr><td colspan="{colspan}" bgcolor="black"><font point-size="16" color="white">'
        f"{title}</font></td></tr>"
    ]
    if (
        options["show_layer_activations"]
        and hasattr(layer, "activation")
        and layer.activation is not None
    ):
        rows.append(
            f'<tr><td bgcolor="white" colspan="{colspan}"><font point-size="14">'
            f"Activation: <b>{_activation_name(layer)}</b></font></td></tr>"
        )
    cells = []
    if options["show_shapes"]:
        if class_name != "InputLayer":
            shape = _format_shape(_structure(layer, "input", "shape"))
            cells.append(
                f'<td bgcolor="white"><font point-size="14">Input shape: <b>{shape}</b></font></td>'
            )
        shape = _format_shape(_structure(layer, "output", "shape"))
        cells.append(
            f'<td bgcolor="white"><font point-size="14">Output shape: <b>{shape}</b></font></td>'
        )
    if options["show_dtype"]:
        dtype = _structure(layer, "output", "dtype")
        cells.append(
            f'<td bgcolor="white"><font point-size="14">Output dtype: <b>{dtype or "?"}</b></font></td>'
        )
    if options["show_trainable"] and getattr(layer, "weights", None):
        if layer.trainable:
            cells.append(
                '<td bgcolor="forestgreen"><font point-size="14" color="white"><b>Trainable</b>'
                "</font></td>"
            )
        else:
            cells.append(
                '<td bgcolor="firebrick"><font point-size="14" color="white"><b>Non-trainable</b>'
                "</font></td>"
            )
    if cells:
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
        + "".join(rows)
        + "</table>>"
    )


def _add_node(pydot: Any, dot: Any, layer: Any, options: dict[str, bool]) -> None:
    node = pydot.Node(str(id(layer)), label=_label(layer, options))
    node.set("fontname", "Helvetica")
    node.set("border", "0")
    node.set("margin", "0")
    dot.add_node(node)


def _add_edge(pydot: Any, dot: Any, source: Any, destination: Any) -> None:
    src, dst = str(id(source)), str(id(destination))
    if not dot.get_edge(src, dst):
        dot.add_edge(pydot.Edge(src, dst))


def model_to_dot(
    model: Any,
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    subgraph: bool = False,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """The layer graph of ``model`` as a ``pydot.Dot`` (a ``pydot.Cluster`` if ``subgraph``).

    One box per layer (named by ``id(layer)``) and one edge per connection. A
    ``Sequential`` model is a chain; a functional model follows its graph; a
    subclassed model is a single box. With ``expand_nested``, nested
    functional/sequential models become dashed clusters and edges go to
    their inner layers.

    Args:
        model: A built heft model.
        show_shapes: Show each layer's input and output shapes.
        show_dtype: Show each layer's output dtype.
        show_layer_names: Show the layer names, not just their classes.
        rankdir: ``"TB"`` (top to bottom) or ``"LR"`` (left to right).
        expand_nested: Draw nested models' layers.
        dpi: Resolution of rendered images.
        subgraph: Return a cluster, for nesting into another graph.
        show_layer_activations: Show the activation of layers that have one.
        show_trainable: Mark layers with weights as trainable or not.
        splines: Graphviz's edge style (``"ortho"``, ``"curved"``, ``"line"``, ...).

    Raises:
        ValueError: If the model is not built, or on unknown keyword arguments.
        ImportError: If ``pydot`` is not installed.
    """
    _check_built(model)
    pydot = _pydot("model_to_dot")
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    from ..models import Functional, Sequential

    if subgraph:
        dot = pydot.Cluster(style="dashed", graph_name=model.name)
        dot.set("label", model.name)
        dot.set("labeljust", "l")
    else:
        dot = pydot.Dot()
        dot.set("rankdir", rankdir)
        dot.set("concentrate", True)
        dot.set("dpi", dpi)
        dot.set("splines", splines)
        dot.set_node_defaults(shape="record")
    options = {
        "show_layer_names": show_layer_names,
        "show_layer_activations": show_layer_activations,
        "show_dtype": show_dtype,
        "show_shapes": show_shapes,
        "show_trainable": show_trainable,
    }
    nested = (Functional, Sequential)
    layers: list[Any]
    if isinstance(model, Sequential):
        layers = list(model.layers)
    elif isinstance(model, Functional):
        layers = list(model.operations)
    else:
        _add_node(pydot, dot, model, options)
        return dot
    for layer in layers:
        if expand_nested and isinstance(layer, nested):
            dot.add_subgraph(
                model_to_dot(
                    layer,
                    show_shapes,
                    show_dtype,
                    show_layer_names,
                    rankdir,
                    expand_nested,
                    subgraph=True,
                    show_layer_activations=show_layer_activations,
                    show_trainable=show_trainable,
                )
            )
        else:
            _add_node(pydot, dot, layer, options)
    if isinstance(model, Sequential) and not isinstance(model, Functional):
        if not expand_nested:
            for first, second in itertools.pairwise(layers):
                _add_edge(pydot, dot, first, second)
            return dot
    graph_nodes = _graph_nodes(model)
    for layer in layers:
        for node in getattr(layer, "_inbound_nodes", []):
            if graph_nodes is not None and id(node) not in graph_nodes:
                continue
            for input_index, tensor in enumerate(node.input_tensors):
                history = tensor._keras_history
                if history is None or history.operation is None:
                    continue
                source, output_index, destination = history.operation, history.tensor_index, layer
                if expand_nested:
                    while isinstance(source, nested):
                        inner = source.outputs[output_index]._keras_history
                        source, output_index = inner.operation, inner.tensor_index
                    while isinstance(destination, nested):
                        if isinstance(destination, Sequential) and not isinstance(
                            destination, Functional
                        ):
                            destination = destination.layers[0]
                        else:
                            entry: Any = destination.inputs[input_index]._keras_history
                            destination = entry.operation
                _add_edge(pydot, dot, source, destination)
    return dot


def _graph_nodes(model: Any) -> set[int] | None:
    graph = getattr(model, "_graph", None)
    if graph is None:
        return None
    return {id(node) for node in graph.nodes}


def plot_model(
    model: Any,
    to_file: str | os.PathLike = "model.png",
    show_shapes: bool = False,
    show_dtype: bool = False,
    show_layer_names: bool = False,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: int = 200,
    show_layer_activations: bool = False,
    show_trainable: bool = False,
    splines: str = "ortho",
    **kwargs: Any,
) -> Any:
    """Draw ``model``'s layer graph to ``to_file``; the format is the file's extension.

    ``.dot`` (and ``.gv``) files are written by ``pydot`` alone; other formats
    (``.png`` by default, ``.svg``, ``.pdf``, ...) are rendered by Graphviz's
    ``dot`` program. In a notebook, an ``IPython.display.Image`` of the file is
    returned for formats other than PDF and DOT. The arguments are
    :func:`model_to_dot`'s.

    Raises:
        ValueError: If the model is not built, or on unknown keyword arguments.
        ImportError: If ``pydot`` is not installed, or Graphviz's ``dot``
            program is needed and not found.
    """
    _check_built(model)
    _pydot("plot_model")
    to_file = str(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    text_formats = ("dot", "gv", "raw")
    if extension not in text_formats and shutil.which("dot") is None:
        raise ImportError(
            "You must install Graphviz (its `dot` program, see https://graphviz.org/download/) "
            f"for `plot_model` to write a .{extension} file; a .dot file needs only pydot."
        )
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
    dot = model_to_dot(
        model,
        show_shapes=show_shapes,
        show_dtype=show_dtype,
        show_layer_names=show_layer_names,
        rankdir=rankdir,
        expand_nested=expand_nested,
        dpi=dpi,
        show_layer_activations=show_layer_activations,
        show_trainable=show_trainable,
        splines=splines,
    )
    if extension in text_formats:
        with open(to_file, "w", encoding="utf-8") as file:
            file.write(dot.to_string())
        return None
    dot.write(to_file, format=extension)
    if extension != "pdf":
        try:
            from IPython import display  # type: ignore[import-not-found]
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None
