"""``model.summary()``: layers, output shapes and parameter counts as a rich table."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.table import Table

from .. import _dtypes
from ..layers._operation import Operation


def _human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} TB"


def _weights_bytes(weights: list[Any]) -> int:
    return int(sum(math.prod(w.shape) * _dtypes.to_jax_dtype(w._dtype).itemsize for w in weights))


def _output_shape(layer: Any) -> str:
    inbound = layer.__dict__.get("_inbound") or []
    if inbound:
        out = inbound[-1][2]
    elif hasattr(layer, "batch_shape"):  # an input layer
        return str(tuple(layer.batch_shape))
    else:
        return "?"
    if hasattr(out, "shape"):
        return str(tuple(out.shape))
    if isinstance(out, list | tuple):
        return str([tuple(o.shape) for o in out])
    if isinstance(out, dict):
        return str({k: tuple(o.shape) for k, o in out.items()})
    return "?"


def _param_count(layer: Any) -> str:
    if not layer.built:
        return "0 (unbuilt)"
    return f"{layer.count_params():,}"


def _rows(layers: list[Any], expand_nested: bool, depth: int) -> list[tuple[Any, tuple]]:
    rows = []
    for layer in layers:
        kind = layer.keras_class_name() if isinstance(layer, Operation) else type(layer).__name__
        name = f"{'   ' * depth}{layer.name} ({kind})"
        rows.append((layer, (name, _output_shape(layer), _param_count(layer))))
        if expand_nested and getattr(layer, "layers", None):
            rows.extend(_rows(layer.layers, expand_nested, depth + 1))
    return rows


def _select(layers: list[Any], layer_range: Any) -> list[Any]:
    if layer_range is None:
        return list(layers)
    if not isinstance(layer_range, list | tuple) or len(layer_range) != 2:
        raise ValueError(
            "`layer_range` must be a list or tuple of two layer names, the first and the last "
            f"layer to show. Received: layer_range={layer_range}"
        )
    names = [layer.name for layer in layers]
    for name in layer_range:
        if name not in names:
            raise ValueError(
                f"`layer_range` names '{name}', which is not a layer of the model. Its layers "
                f"are: {names}"
            )
    start, end = names.index(layer_range[0]), names.index(layer_range[1])
    return list(layers[start : end + 1])


def summarize(
    model: Any,
    line_length: int | None = None,
    expand_nested: bool = False,
    show_trainable: bool = False,
    print_fn: Callable[..., Any] | None = None,
    layer_range: Any = None,
) -> None:
    """Print (or pass to ``print_fn``) a table of ``model``'s layers and parameter counts."""
    title = f'Model: "{model.name}"'
    table = Table(title=title, title_justify="left", width=line_length)
    table.add_column("Layer (type)", no_wrap=True)
    table.add_column("Output Shape")
    table.add_column("Param #", justify="right")
    if show_trainable:
        table.add_column("Trainable")
    layers = _select(getattr(model, "operations", model.layers), layer_range)
    for layer, row in _rows(layers, expand_nested, 0):
        cells = list(row)
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        table.add_row(*cells)

    weights = model.weights
    trainable = model.trainable_weights
    trainable_ids = {id(w) for w in trainable}
    non_trainable = [w for w in weights if id(w) not in trainable_ids]

    def count(ws: list[Any]) -> int:
        return int(sum(math.prod(w.shape) for w in ws))

    lines = [
        f" Total params: {count(weights):,} ({_human_bytes(_weights_bytes(weights))})",
        f" Trainable params: {count(trainable):,} ({_human_bytes(_weights_bytes(trainable))})",
        f" Non-trainable params: {count(non_trainable):,} "
        f"({_human_bytes(_weights_bytes(non_trainable))})",
    ]
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        opt_vars = optimizer.variables
        lines.append(
            f" Optimizer params: {count(opt_vars):,} ({_human_bytes(_weights_bytes(opt_vars))})"
        )
    if print_fn is None:
        console = Console()
        console.print(table)
        for line in lines:
            console.print(line, highlight=False)
        return
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=line_length or 100, force_terminal=False, color_system=None
    )
    console.print(table)
    print_fn(buffer.getvalue().rstrip("\n"))
    for line in lines:
        print_fn(line)
