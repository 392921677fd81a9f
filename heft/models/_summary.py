"""``model.summary()``: layers, output shapes, parameter counts and connections as a rich table."""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
from rich.console import Console
from rich.markup import escape
from rich.table import Column, Table

from .. import _dtypes
from ..ops._graph_op import GraphOp


# ------------------------------------------------------------------ cell text
def _number(x: Any) -> str:
    return f"[color(45)]{x}[/]" if x is None else f"[color(34)]{x}[/]"


def _bold(text: str, color: int | None = None) -> str:
    return f"[bold][color({color})]{text}[/][/]" if color else f"[bold]{text}[/]"


def _format_shape(shape: Any) -> str:
    # As Keras writes shapes: ``(None, 4)``, and ``(None)`` for one dimension.
    return "(" + ", ".join(_number(d) for d in shape) + ")"


def _format_structure(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_format_structure(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_format_structure(v) for v in value) + "]"
    if isinstance(value, tuple) and not hasattr(value, "shape"):
        inner = ", ".join(_format_structure(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return _format_shape(value.shape)


def _is_leaf(x: Any) -> bool:
    return hasattr(x, "shape") and not isinstance(x, tuple)


def _format_outputs(outputs: Any) -> str:
    leaves = jax.tree_util.tree_leaves(outputs, is_leaf=_is_leaf)
    if len(leaves) == 1:
        return _format_shape(leaves[0].shape)
    return _format_structure(outputs)


class _Shape:
    """A bare shape, so shapes from ``compute_output_shape`` format like tensors."""

    def __init__(self, shape: tuple) -> None:
        self.shape = shape


def _is_shape(x: Any) -> bool:
    return isinstance(x, tuple | list) and all(d is None or isinstance(d, int) for d in x)


def _output_shape(layer: Any) -> str:
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if nodes:
        return _format_outputs(nodes[-1].outputs)
    shapes = layer.__dict__.get("_build_shapes_dict")
    if not shapes:
        return "?"
    # A layer built by eager calls (inside a subclassed model): ask it for its output shape.
    try:
        if isinstance(getattr(type(layer), "output_shape", None), property):
            shape = layer.output_shape
        else:
            shape = layer.compute_output_shape(*shapes.values())
    except (NotImplementedError, AttributeError, TypeError, ValueError):
        return "?"
    wrapped = jax.tree_util.tree_map(
        lambda s: _Shape(tuple(s)), shape, is_leaf=lambda s: _is_shape(s) or s is None
    )
    return _format_outputs(wrapped)


def _params(layer: Any) -> str:
    if not hasattr(layer, "built"):
        return _number(0)
    if not layer.built:
        return f"{_number(0)} (unbuilt)"
    return _number(f"{layer.count_params():,}")


def _class_name(layer: Any) -> str:
    return layer.keras_class_name() if isinstance(layer, GraphOp) else type(layer).__name__


# ------------------------------------------------------------------ the graph
def _is_sequential_like(graph: Any) -> bool:
    """Keras's test: one call per depth, each with one input, and no layer called twice."""
    calls: dict[int, int] = {}
    for nodes in graph.nodes_by_depth.values():
        if len(nodes) > 1 or (nodes and len(nodes[0].input_tensors) > 1):
            return False
        layer = nodes[0].operation
        calls[id(layer)] = calls.get(id(layer), 0) + 1
    return all(count == 1 for count in calls.values())


def _connections(layer: Any, graph: Any) -> str:
    """Each call's inbound tensors as ``name[node_index][tensor_index]``, or ``-``.

    The indices are the tensors' own histories (the producing layer's call count
    over all models), as Keras prints them, not the config's per-graph numbering.
    """
    entries = []
    for node in graph.calls(layer):
        for tensor in node.input_tensors:
            parent, node_index, tensor_index = tensor._keras_history
            entries.append(f"{escape(parent.name)}[{_number(node_index)}][{_number(tensor_index)}]")
    return ", ".join(entries) or "-"


# ------------------------------------------------------------------ layout
def _layer_bounds(layers: list[Any], layer_range: Any) -> tuple[int, int]:
    if layer_range is None:
        return 0, len(layers)
    if not isinstance(layer_range, list | tuple) or len(layer_range) != 2:
        length = f" of length {len(layer_range)}" if hasattr(layer_range, "__len__") else ""
        raise ValueError(
            "`layer_range` must be a list or tuple of two layer names, the first and the last "
            f"layer to show. Received: layer_range={layer_range!r}{length}"
        )
    if not all(isinstance(name, str) for name in layer_range):
        raise ValueError(
            "`layer_range` must hold two strings (layer names, or regular expressions matched "
            f"at the start of layer names). Received: layer_range={layer_range!r}"
        )
    matches = [
        [i for i, layer in enumerate(layers) if re.match(pattern, layer.name)]
        for pattern in layer_range
    ]
    for pattern, found in zip(layer_range, matches, strict=True):
        if not found:
            raise ValueError(
                f"`layer_range` names '{pattern}', which is not a layer of the model (no layer "
                "name starts with a match of it). Its layers are: "
                f"{[layer.name for layer in layers]}. Received: layer_range={layer_range!r}"
            )
    lower, upper = matches
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _column_widths(positions: list[float], line_length: int) -> list[int]:
    relative = positions[-1] <= 1
    widths, current = [], 0
    for position in positions:
        edge = int(position * line_length) if relative else int(position)
        width = edge - current
        if width < 4:
            raise ValueError(
                f"The summary's columns are too narrow: `line_length={line_length}` and "
                f"`positions={positions}` leave a column {width} characters wide (at least 4 "
                "are needed). Pass a larger `line_length` or wider `positions`."
            )
        widths.append(width)
        current += width
    return widths


# ------------------------------------------------------------------ totals
def _count(weights: list[Any]) -> int:
    return int(sum(math.prod(w.shape) for w in weights))


def _bits(dtype: Any) -> int:
    name = _dtypes.standardize_dtype(dtype)
    return 1 if name == "bool" else np.dtype(_dtypes.to_jax_dtype(name)).itemsize * 8


def _memory(weights: list[Any]) -> float:
    """Bytes the weights take in their storage dtypes (each variable once)."""
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _bits(w.__dict__.get("_dtype") or w.dtype) for w in unique) / 8


def _readable(size: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def _totals(model: Any) -> list[str]:
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    with_optimizer = bool(
        getattr(model, "compiled", False) and optimizer is not None and optimizer.built
    )
    opt_vars = list(optimizer.variables) if with_optimizer else []
    parts = [(trainable, "Trainable"), (non_trainable, "Non-trainable")]
    total = sum(_count(w) for w, _ in parts) + _count(opt_vars)
    total_size = sum(_memory(w) for w, _ in parts) + _memory(opt_vars)
    lines = [_bold(" Total params: ") + _number(f"{total:,}") + f" ({_readable(total_size)})"]
    if with_optimizer:
        parts.append((opt_vars, "Optimizer"))
    for weights, label in parts:
        lines.append(
            _bold(f" {label} params: ")
            + _number(f"{_count(weights):,}")
            + f" ({_readable(_memory(weights))})"
        )
    return lines


# ------------------------------------------------------------------ summary
def summarize(
    model: Any,
    line_length: int | None = None,
    positions: list[float] | None = None,
    print_fn: Callable[..., Any] | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    layer_range: Any = None,
) -> None:
    """Print (or pass to ``print_fn``, as one string) the table of ``model``'s layers."""
    from ._functional import Functional

    connected = False
    graph = None
    layers = list(model.layers)
    if isinstance(model, Functional):
        graph = model._graph
        layers = list(model.operations)
        connected = not _is_sequential_like(graph)

    header = ["Layer (type)", "Output Shape", "Param #"]
    justify = ["left", "left", "right"]
    default_length, default_positions = 88, [0.45, 0.80, 1.0]
    if connected:
        header.append("Connected to")
        justify.append("left")
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
    positions = list(positions) if positions is not None else default_positions
    if len(positions) != len(header):
        raise ValueError(
            f"`positions` must give one position per column ({len(header)}: {header}). "
            f"Received: positions={positions}"
        )
    if show_trainable:
        header.append("Trainable")
        justify.append("center")
        default_length += 12
        scale = 0.9 if positions[-1] <= 1 else 1.0
        end = 1.0 if positions[-1] <= 1 else positions[-1] + 12
        positions = [p * scale for p in positions] + [end]
    line_length = line_length or min(default_length, shutil.get_terminal_size().columns - 4)
    widths = _column_widths(positions, line_length)
    start, stop = _layer_bounds(layers, layer_range)

    columns = [
        Column(name, justify=how, width=width)  # type: ignore[arg-type]
        for name, how, width in zip(header, justify, widths, strict=True)
    ]
    table = Table(*columns, width=line_length, show_lines=True)

    def add_rows(layer: Any, level: int) -> None:
        prefix = "   " * level + "└ " if level else ""
        name = f"{escape(prefix + layer.name)} ([color(33)]{escape(_class_name(layer))}[/])"
        cells = [name, _output_shape(layer), _params(layer)]
        if connected:
            cells.append(_connections(layer, graph))
        if show_trainable:
            if getattr(layer, "weights", None):
                cells.append(_bold("Y", 34) if layer.trainable else _bold("N", 9))
            else:
                cells.append(_bold("-"))
        table.add_row(*cells)
        if expand_nested and getattr(layer, "layers", None):
            for inner in layer.layers:
                add_rows(inner, level + 1)

    for layer in layers[start:stop]:
        add_rows(layer, 0)

    if print_fn is None:
        console = Console(highlight=False)
    else:
        console = Console(highlight=False, force_terminal=False, color_system=None)
        console.begin_capture()
    console.width = max(console.width, line_length)
    console.print(_bold(f'Model: "{escape(model.name)}"'))
    console.print(table)
    for line in _totals(model):
        console.print(line)
    if print_fn is not None:
        print_fn(console.end_capture())
