"""``layout="torch"``: PyTorch state dicts loaded into heft models and written from them.

Loading pairs the file's modules with the model's layers (``_torch_match``),
turns each pair into loading slots whose stored value is the converted tensor
(``_torch_kinds``, ``_torch_layout``), and hands them to the shared
all-or-nothing loader: every conversion is checked by shape before any tensor
is read, and nothing is assigned unless everything fits.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _torch_files
from ._buffers import Take, plain
from ._format import Opened, StoredArray, WeightFormat
from ._loading import build_report, execute
from ._plan import Plan, Slot
from ._policy import LoadPolicy
from ._report import LoadEntry, LoadReport
from ._store import host_value
from ._torch_kinds import layer_variables
from ._torch_match import (
    HeftLayer,
    find_layer,
    heft_layers,
    module_name,
    natural_key,
    pair,
    rules_of,
    torch_modules,
)

_DEEPER = re.compile(r"(.*)\.l(\d+)")


@dataclass(frozen=True)
class Converted(StoredArray):
    """A variable's value made from one or more PyTorch tensors (see ``_torch_kinds.Rule``).

    Attributes:
        sources: The file keys it is made from.
        what: The conversion in words.
        convert: ``convert(*tensors)``: the value.
    """

    sources: tuple[str, ...] = ()
    what: str = ""
    convert: Callable[..., np.ndarray] | None = dataclasses.field(default=None, compare=False)

    def describe(self) -> str:
        return f"{self.shape} {self.dtype} ({self.what})"


def _probe(convert: Callable[..., np.ndarray], shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The shape ``convert`` gives for tensors of ``shapes``, found without their data."""
    dummies = [np.broadcast_to(np.zeros((), np.uint8), shape) for shape in shapes]
    return tuple(np.shape(convert(*dummies)))


def _shown(keys: list[str]) -> str:
    return " + ".join(keys)


def _params(modules: list[Any], kind: Any) -> dict[str, str]:
    if kind.modules == 1:
        return dict(modules[0].params)
    out = {}
    for tag, module in zip(("depthwise", "pointwise"), modules, strict=False):
        out.update({f"{tag}.{p}": k for p, k in module.params.items()})
    return out


def _expected_key(layer: HeftLayer, modules: list[Any], source: str) -> str:
    base = modules[0].name if modules else layer.torch_name
    return f"{base}.{source}" if base else source


def _layer_slots(
    layer: HeftLayer, modules: list[Any], opened: Opened, unexpected: list[LoadEntry], dropped: list
) -> list[Slot]:
    """The slots of one paired layer; its modules' unused tensors go to ``unexpected``/``dropped``."""
    kind = layer.kind
    if kind is None:
        return [
            Slot(
                f"{layer.torch_name}.{v.path.rsplit('/', 1)[-1]}",
                v,
                problem=f"layer '{layer.path}' ({type(layer.layer).__name__}) has no PyTorch "
                "twin heft converts; pass `skip_mismatch=True` to keep its values",
            )
            for v in layer.own
        ]
    params = _params(modules, kind)
    variables = layer_variables(layer.layer)
    problem = kind.problem(layer.layer)
    slots, used = [], set()
    for rule in kind.rules(layer.layer, set(params)):
        variable = variables[rule.variable]
        keys = [params.get(s) or _expected_key(layer, modules, s) for s in rule.sources]
        if problem is not None:
            slots.append(Slot(_shown(keys), variable, problem=problem))
            continue
        if any(s not in params for s in rule.sources):
            slots.append(Slot(_shown(keys), variable))
            continue
        used.update(keys)
        stored = [opened.index.arrays[k] for k in keys]
        sizes = ", ".join(str(s.shape) for s in stored)
        try:
            shape = _probe(rule.convert, [s.shape for s in stored])
        except ValueError as err:
            slots.append(
                Slot(_shown(keys), variable, problem=f"the file's {sizes} does not convert: {err}")
            )
            continue
        slots.append(
            Slot(
                _shown(keys),
                variable,
                stored=Converted(
                    _shown(keys),
                    shape,
                    stored[0].dtype,
                    all(s.numeric for s in stored),
                    sources=tuple(keys),
                    what=rule.what if rule.what == "copied" else f"{rule.what} from {sizes}",
                    convert=rule.convert,
                ),
            )
        )
    for param, key in params.items():
        if key in used:
            continue
        entry = LoadEntry(key, None, opened.index.arrays[key].describe())
        if param.rsplit(".", 1)[-1] in kind.dropped:
            dropped.append(dataclasses.replace(entry, detail=f"{entry.detail}, no Keras variable"))
        else:
            unexpected.append(entry)
    return slots


def _converting_read(opened: Opened) -> Callable[[StoredArray, Take], tuple[np.ndarray, Any]]:
    def read(stored: StoredArray, take: Take) -> tuple[np.ndarray, Any]:
        if not isinstance(stored, Converted) or stored.convert is None:
            return opened.read(stored, take)
        arrays, checks = [], []
        for key in stored.sources:
            array, check = opened.read(opened.index.arrays[key], plain)
            arrays.append(array)
            checks.append(check)
        value = np.ascontiguousarray(stored.convert(*arrays))

        def check_all() -> None:
            for check in checks:
                check()

        return value, check_all

    return read


def _unmatched_message(report: LoadReport, model_name: str, blocking: list[LoadEntry]) -> str:
    lines = [
        f"Cannot load weights from '{report.filepath}' into model '{model_name}' with "
        f"layout='torch': {len(blocking)} key(s) of the file match no layer of the model. "
        "Nothing was changed."
    ]
    lines += [f"  {entry.line()}" for entry in blocking[:10]]
    if len(blocking) > 10:
        lines.append(
            f"  ... and {len(blocking) - 10} more (pass `dry_run=True` for the full report)"
        )
    lines.append(
        "How to fix: build the model with a layer for each of these modules, or pass "
        "`mapping={'<module>': '<layer path>'}` to pair them explicitly, or "
        "`skip_mismatch=True` to load what matches and ignore the rest."
    )
    return "\n".join(lines)


def load(
    model: Any,
    fmt: WeightFormat,
    filepath: str,
    policy: LoadPolicy,
    mapping: Any,
    dry_run: bool,
) -> LoadReport:
    """Load the PyTorch state dict at ``filepath`` into ``model``, all or nothing.

    Raises:
        ValueError: If a key matches no layer, a tensor is missing, or a
            converted shape does not fit (unless ``policy`` allows skipping it).
    """
    with fmt.open(filepath) as opened:
        keys = list(opened.index.arrays)
        if fmt.name != _torch_files.PICKLE_FORMAT.name:
            keys.sort(key=natural_key)
        modules = torch_modules(keys, {k: s.shape for k, s in opened.index.arrays.items()})
        pairing = pair(model, modules, mapping, opened.label)
        unexpected: list[LoadEntry] = []
        dropped: list[LoadEntry] = []
        slots: list[Slot] = []
        for layer, taken in pairing.pairs:
            slots += _layer_slots(layer, taken, opened, unexpected, dropped)
        for layer in pairing.unpaired_layers:
            slots += _layer_slots(layer, [], opened, unexpected, dropped)
        for module in pairing.unpaired_modules:
            unexpected += [
                LoadEntry(k, None, opened.index.arrays[k].describe())
                for k in module.params.values()
            ]
        plan = Plan(slots=slots, unexpected=unexpected)
        report, _, _ = build_report(slots, unexpected, opened.label, fmt.name, policy, dry_run)
        skipped = set(report.skipped)
        refused = [e for e in (*report.missing, *report.mismatched) if e not in skipped]
        blocking = [e for e in unexpected if not policy.skips(e.key, None)]
        # Refused variables make ``execute`` raise, listing the unmatched keys too.
        if blocking and not refused and not dry_run:
            raise ValueError(_unmatched_message(report, model.name, blocking))
        try:
            report = execute(
                _converting_read(opened), model, plan, opened.label, fmt.name, policy, dry_run
            )
        except ValueError as err:
            err.add_note(
                "With layout='torch', layers are paired with the file's modules kind by kind, "
                "in order; pass `mapping=` to pair them explicitly."
            )
            raise
    used = tuple((m.name, layer.path) for layer, taken in pairing.pairs for m in taken)
    return dataclasses.replace(report, layout="torch", dropped=tuple(dropped), key_map=used)


def _save_names(model_layers: list[HeftLayer], mapping: Any, filepath: str) -> dict[str, list[str]]:
    """``{layer path: [module name, ...]}`` for saving, from the mapping or by default."""
    names = {layer.path: [layer.torch_name] for layer in model_layers}
    if mapping is None:
        return names
    if isinstance(mapping, Mapping):
        given: dict[str, list[str]] = {}
        for key, value in mapping.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError(
                    "`mapping` must map PyTorch keys or module names to heft layer or "
                    f"variable paths, all strings. Received the item {key!r}: {value!r}."
                )
            layer = find_layer(value, model_layers, f"`mapping['{key}']`")
            module = module_name(key)
            if module not in given.setdefault(layer.path, []):
                given[layer.path].append(module)
        names.update(given)
        return names
    rules = rules_of(mapping)
    for layer in model_layers:
        for pattern, replacement in rules:
            match = pattern.fullmatch(layer.torch_name)
            if match is not None:
                names[layer.path] = [match.expand(replacement)]
                break
    return names


def _key(module: str, param: str, rnn: bool) -> str:
    if rnn:
        deeper = _DEEPER.fullmatch(module)
        depth = "0"
        if deeper is not None:
            module, depth = deeper[1], deeper[2]
        base, reverse = (
            (param[: -len("_reverse")], "_reverse") if param.endswith("_reverse") else (param, "")
        )
        param = f"{base}_l{depth}{reverse}"
    return f"{module}.{param}" if module else param


def state_dict(model: Any, mapping: Any, filepath: str) -> dict[str, np.ndarray]:
    """The model's variables as a PyTorch state dict, converted, named as ``mapping`` says.

    Raises:
        ValueError: If a layer holding variables has no PyTorch twin, cannot be
            written in PyTorch's layout, or two tensors get the same key.
    """
    model_layers = heft_layers(model)
    names = _save_names(model_layers, mapping, filepath)
    out: dict[str, np.ndarray] = {}
    for layer in model_layers:
        kind = layer.kind
        problem = (
            f"it ({type(layer.layer).__name__}) has no PyTorch twin heft converts"
            if kind is None
            else kind.problem(layer.layer)
        )
        if kind is None or problem is not None:
            raise ValueError(
                f"Cannot save model '{model.name}' to '{filepath}' with layout='torch': layer "
                f"'{layer.path}': {problem}. Save with the default layout instead."
            )
        values = {name: host_value(v) for name, v in layer_variables(layer.layer).items()}
        modules = names[layer.path]
        for param, value in kind.to_torch(layer.layer, values).items():
            module = modules[0]
            if kind.modules == 2:
                tag, _, param = param.partition(".")
                if len(modules) == 2:
                    module = modules[tag == "pointwise"]
                else:
                    module = f"{module}.{tag}" if module else tag
            key = _key(module, param, kind.module == "rnn")
            if key in out:
                raise ValueError(
                    f"Cannot save model '{model.name}' to '{filepath}' with layout='torch': two "
                    f"tensors would be named '{key}' (the second from layer '{layer.path}'). "
                    "Give the layers distinct names, or pass `mapping=`."
                )
            out[key] = np.asarray(value)
    return out


def save(model: Any, filepath: str, overwrite: bool, mapping: Any) -> None:
    """Write ``model``'s variables as a PyTorch state dict (``.safetensors`` or ``.bin/.pt/.pth``)."""
    tensors = state_dict(model, mapping, filepath)
    if filepath.lower().endswith(_torch_files.PICKLE_SUFFIXES):
        _torch_files.write_pickle(tensors, filepath, overwrite)
    else:
        _torch_files.write_safetensors(tensors, filepath, overwrite)
