"""Pairing a PyTorch state dict's modules with a model's layers: by a mapping, or by structure.

A state dict's keys are ``<module>.<parameter>`` (``"encoder.0.weight"``). The
keys are grouped into modules: ``nn.LSTM``/``nn.GRU`` parameters of layer
``k > 0`` (``weight_ih_l1``...) form the module ``"<name>.l1"``, and
``nn.MultiheadAttention``'s ``out_proj`` belongs to the attention module. Each
module is of a family (``"matrix"``, ``"conv"``, ``"batchnorm"``,
``"affine"``, ``"rnn"``, ``"attention"``), told by its parameters' names and
shapes. The model's layers with a PyTorch twin (``_torch_kinds.KINDS``) are
taken in the order of heft's object-graph walk (a ``Sequential`` or
functional model's ``layers`` in order).

Without a mapping, the n-th layer of a family takes the n-th module of that
family. Across families the order does not matter; within one it must be the
model's. A ``.bin``/``.pt`` file keeps the order the module registered its
parameters in; a safetensors file stores its keys sorted, so its modules are
taken in natural order (``layers.2`` before ``layers.10``), and a model whose
modules of one family sort differently from its layers needs a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..layers._layer import Layer
from ._torch_kinds import Kind, kind_of
from ._walk import walk

_RNN_PARAM = re.compile(r"(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?")
_ATTENTION = ("in_proj_weight", "q_proj_weight")
_PARAMS = frozenset(
    {
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
        "in_proj_weight",
        "in_proj_bias",
        "q_proj_weight",
        "k_proj_weight",
        "v_proj_weight",
    }
)


@dataclass
class TorchModule:
    """One module of a state dict.

    Attributes:
        name: Its name (``"encoder.0"``; ``""`` for a bare module's own tensors).
        params: ``{parameter: full key}`` in file order (``{"weight": "encoder.0.weight"}``).
        family: Its family, or ``None`` when its parameters fit none.
    """

    name: str
    params: dict[str, str] = field(default_factory=dict)
    family: str | None = None


@dataclass
class HeftLayer:
    """A layer of the model that takes PyTorch modules (or has variables but no twin).

    Attributes:
        path: Its path in heft's object-graph walk (``"layers/dense"``).
        layer: The layer.
        kind: Its :class:`Kind`, or ``None`` when it has no PyTorch twin.
        torch_name: The module name saving gives it by default.
        own: The variables it holds itself (not its sublayers').
    """

    path: str
    layer: Any
    kind: Kind | None
    torch_name: str = ""
    own: list[Any] = field(default_factory=list)


def _torch_name(path: str, entries: Mapping[str, Any]) -> str:
    """The module name saving gives a layer by default: its layer names and attributes, dotted.

    ``"layers/dense_1"`` (the layer named ``"fc2"``) gives ``"fc2"``; a sublayer
    held in the attribute ``proj`` of a layer named ``"block"`` gives ``"block.proj"``.
    """
    parts = path.split("/")
    names = []
    i = 0
    while i < len(parts):
        if parts[i] == "layers" and i + 1 < len(parts):
            names.append(entries["/".join(parts[: i + 2])].obj.name)
            i += 2
        else:
            names.append(parts[i])
            i += 1
    return ".".join(names)


@dataclass
class Pairing:
    """Which modules each layer takes, and what is left over."""

    pairs: list[tuple[HeftLayer, list[TorchModule]]]
    unpaired_layers: list[HeftLayer]
    unpaired_modules: list[TorchModule]


def natural_key(name: str) -> list[Any]:
    """A sort key putting ``layers.2`` before ``layers.10``.

    >>> sorted(["l.10.w", "l.2.w", "l.1.w"], key=natural_key)
    ['l.1.w', 'l.2.w', 'l.10.w']
    """
    return [
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name)
    ]


def _split(key: str, attention: set[str]) -> tuple[str, str]:
    """``(module name, parameter)`` of a state dict key."""
    module, _, param = key.rpartition(".")
    rnn = _RNN_PARAM.fullmatch(param)
    if rnn is not None:
        name = module if rnn[2] == "0" else f"{module}.l{rnn[2]}" if module else f"l{rnn[2]}"
        return name, rnn[1] + (rnn[3] or "")
    parent, _, last = module.rpartition(".")
    if last == "out_proj" and parent in attention:
        return parent, f"out_proj.{param}"
    return module, param


def _family(params: dict[str, str], shapes: Mapping[str, tuple[int, ...]]) -> str | None:
    if "weight_ih" in params:
        return "rnn"
    if any(p in params for p in _ATTENTION):
        return "attention"
    if "running_mean" in params:
        return "batchnorm"
    if "weight" in params:
        ndim = len(shapes[params["weight"]])
        return {1: "affine", 2: "matrix"}.get(ndim, "conv" if ndim >= 3 else None)
    return None


def torch_modules(keys: Iterable[str], shapes: Mapping[str, tuple[int, ...]]) -> list[TorchModule]:
    """The modules of a state dict whose keys are ``keys`` (in the order modules are taken)."""
    keys = list(keys)
    attention = {k.rpartition(".")[0] for k in keys if k.rpartition(".")[2] in _ATTENTION}
    modules: dict[str, TorchModule] = {}
    for key in keys:
        name, param = _split(key, attention)
        modules.setdefault(name, TorchModule(name)).params[param] = key
    for module in modules.values():
        module.family = _family(module.params, shapes)
    return list(modules.values())


def heft_layers(model: Any) -> list[HeftLayer]:
    """The model's layers that hold variables, outermost first, in walk order.

    A layer with a PyTorch twin is taken whole (its sublayers are not visited);
    a layer without one that holds variables itself is listed with ``kind=None``.
    """
    out: list[HeftLayer] = []
    taken: list[str] = []
    entries = walk(model)
    for path, entry in entries.items():
        if any(path.startswith(t + "/") for t in taken):
            continue
        obj = entry.obj
        if not isinstance(obj, Layer):
            taken.append(path)  # an optimizer: a state dict holds none
            continue
        kind = kind_of(obj)
        if kind is not None:
            taken.append(path)
            out.append(HeftLayer(path, obj, kind, _torch_name(path, entries)))
        elif entry.variables:
            out.append(HeftLayer(path, obj, None, _torch_name(path, entries), entry.variables))
    return out


def _layer_lookup(layers: list[HeftLayer]) -> dict[str, list[HeftLayer]]:
    lookup: dict[str, list[HeftLayer]] = {}
    for item in layers:
        names = {item.path, item.torch_name, item.layer.name, getattr(item.layer, "path", None)}
        for name in names - {None, ""}:
            lookup.setdefault(name, []).append(item)
    return lookup


def find_layer(value: str, layers: list[HeftLayer], what: str) -> HeftLayer:
    """The layer a mapping's value names: a layer's path or name, or one of its variables' paths.

    Raises:
        ValueError: If ``value`` names no layer, or several.
    """
    lookup = _layer_lookup(layers)
    found = lookup.get(value)
    if found is None:
        found = [
            item
            for item in layers
            if any(v.path == value or v.path.endswith(f"/{value}") for v in item.layer.weights)
        ]
    if not found:
        known = ", ".join(repr(item.path) for item in layers[:8])
        raise ValueError(
            f"{what} names '{value}', which is no layer of the model that takes PyTorch "
            f"tensors. Name a layer by its path or name (the model's are {known}"
            f"{', ...' if len(layers) > 8 else ''})."
        )
    if len(found) > 1:
        raise ValueError(
            f"{what} names '{value}', which is the name of several layers "
            f"({', '.join(item.path for item in found)}): use a layer's path instead."
        )
    return found[0]


def module_name(key: str) -> str:
    """The module a mapping key names: ``key`` itself, or ``key`` without a parameter name.

    >>> module_name("encoder.0.weight"), module_name("lstm.weight_ih_l1"), module_name("fc")
    ('encoder.0', 'lstm.l1', 'fc')
    """
    module, _, param = key.rpartition(".")
    rnn = _RNN_PARAM.fullmatch(param)
    if rnn is not None:
        return module if rnn[2] == "0" else f"{module}.l{rnn[2]}"
    if param in _PARAMS:
        parent, _, last = module.rpartition(".")
        return parent if last == "out_proj" else module
    return key


def _explicit(
    mapping: Any, modules: list[TorchModule], layers: list[HeftLayer], filepath: str
) -> list[tuple[TorchModule, HeftLayer]]:
    """The ``(module, layer)`` pairs a mapping names, in module order.

    Raises:
        TypeError: If ``mapping`` is neither a dict nor a list of ``(regex, replacement)``.
        ValueError: If a key names no module of the file, or a value no layer.
    """
    by_name = {m.name: m for m in modules}
    by_key = {key: m for m in modules for key in m.params.values()}
    pairs: dict[str, tuple[TorchModule, HeftLayer]] = {}
    if isinstance(mapping, Mapping):
        for key, value in mapping.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    "`mapping` must map PyTorch keys or module names to heft layer or "
                    f"variable paths, all strings. Received the item {key!r}: {value!r}."
                )
            module = by_name.get(key) or by_key.get(key)
            if module is None:
                raise ValueError(
                    f"`mapping` names '{key}', which is no key or module of '{filepath}'. "
                    f"Its modules are {', '.join(repr(m.name) for m in modules[:8])}"
                    f"{', ...' if len(modules) > 8 else ''}."
                )
            layer = find_layer(value, layers, f"`mapping['{key}']`")
            pairs.setdefault(module.name, (module, layer))
        return [pairs[m.name] for m in modules if m.name in pairs]
    rules = rules_of(mapping)
    for module in modules:
        for pattern, replacement in rules:
            match = pattern.fullmatch(module.name)
            if match is not None:
                target = match.expand(replacement)
                what = (
                    f"The `mapping` rule ({pattern.pattern!r}, {replacement!r}) on '{module.name}'"
                )
                pairs[module.name] = (module, find_layer(target, layers, what))
                break
    return [pairs[m.name] for m in modules if m.name in pairs]


def rules_of(mapping: Any) -> list[tuple[re.Pattern[str], str]]:
    """A mapping given as ``[(regex, replacement), ...]``, compiled.

    Raises:
        TypeError: If ``mapping`` is not such a list.
        ValueError: If a pattern is not a valid regular expression.
    """
    if isinstance(mapping, str | bytes) or not isinstance(mapping, Sequence):
        raise TypeError(
            "`mapping` must be a dict {PyTorch key or module name: heft layer path} or a "
            "list of (regex, replacement) rules. Received: "
            f"mapping={mapping!r} (of type {type(mapping).__name__})."
        )
    rules = []
    for rule in mapping:
        if not (
            isinstance(rule, tuple | list)
            and len(rule) == 2
            and all(isinstance(part, str) for part in rule)
        ):
            raise TypeError(
                "Each `mapping` rule must be a (regex, replacement) pair of strings, e.g. "
                f"(r'blocks\\.(\\d+)\\.fc', r'dense_\\1'). Received: {rule!r}."
            )
        try:
            rules.append((re.compile(rule[0]), rule[1]))
        except re.error as err:
            raise ValueError(
                f"The `mapping` rule pattern {rule[0]!r} is not a valid regular expression "
                f"({err}). Fix the pattern."
            ) from None
    return rules


def pair(model: Any, modules: list[TorchModule], mapping: Any, filepath: str) -> Pairing:
    """Pair the model's layers with ``modules``: the mapping's pairs first, then by structure.

    Raises:
        TypeError: If ``mapping`` has the wrong form.
        ValueError: If the mapping names something that does not exist, or sends
            more modules to a layer than it takes.
    """
    layers = heft_layers(model)
    chosen: dict[str, list[TorchModule]] = {}
    if mapping is not None:
        for module, layer in _explicit(mapping, modules, layers, filepath):
            chosen.setdefault(layer.path, []).append(module)
    for layer in layers:
        taken = chosen.get(layer.path, [])
        wanted = layer.kind.modules if layer.kind is not None else 0
        if len(taken) > wanted:
            raise ValueError(
                f"`mapping` sends the modules {', '.join(repr(m.name) for m in taken)} of "
                f"'{filepath}' to layer '{layer.path}', which takes {wanted}. Map each "
                "module to its own layer."
            )
    used = {m.name for ms in chosen.values() for m in ms}
    queues: dict[str, list[TorchModule]] = {}
    for module in modules:
        if module.name not in used and module.family is not None:
            queues.setdefault(module.family, []).append(module)
    pairs: list[tuple[HeftLayer, list[TorchModule]]] = []
    unpaired: list[HeftLayer] = []
    for layer in layers:
        if layer.kind is None:
            unpaired.append(layer)
            continue
        given = chosen.get(layer.path)
        if given is not None:
            taken = given
        else:
            queue = queues.get(layer.kind.module, [])
            taken, queues[layer.kind.module] = (
                queue[: layer.kind.modules],
                queue[layer.kind.modules :],
            )
            used.update(m.name for m in taken)
        if taken:
            pairs.append((layer, taken))
        else:
            unpaired.append(layer)
    left = [m for m in modules if m.name not in used]
    return Pairing(pairs, unpaired, left)
