"""Which PyTorch parameters fill which variables of each heft layer that has a PyTorch twin.

A :class:`Kind` says, for one family of layers, which tensors of the PyTorch
module (``weight``, ``bias``, ``running_mean``...) each variable is made from
and how (a function of ``_torch_layout``), and how to write the variables back
as those tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import layers as L
from . import _torch_layout as tl


@dataclass(frozen=True)
class Rule:
    """One variable of a layer and the PyTorch tensors it is made from.

    Attributes:
        variable: The variable's name in the layer (``"kernel"``,
            ``"forward/bias"``, ``"query/kernel"``).
        sources: The PyTorch parameter names, relative to the module.
        convert: ``convert(*tensors)``: the variable's value.
        what: The conversion in words, for the load report.
    """

    variable: str
    sources: tuple[str, ...]
    convert: Callable[..., np.ndarray]
    what: str


def _copy(array: np.ndarray) -> np.ndarray:
    return array


_COPIED = "copied"
_TRANSPOSED = "transposed"


@dataclass(frozen=True)
class Kind:
    """How one family of heft layers reads and writes PyTorch tensors.

    Attributes:
        name: The family (``"dense"``, ``"lstm"``...).
        module: The PyTorch module family it pairs with by structure
            (``"matrix"``: ``nn.Linear``/``nn.Embedding``; ``"conv"``;
            ``"batchnorm"``; ``"affine"``: ``nn.LayerNorm``/``nn.GroupNorm``;
            ``"rnn"``; ``"attention"``).
        modules: How many PyTorch modules one layer takes (2 for a separable
            convolution: the depthwise one, then the pointwise one).
        rules: ``rules(layer, params)``: one :class:`Rule` per variable, given
            the parameter names the module has.
        to_torch: ``to_torch(layer, values)``: ``{parameter: tensor}`` from
            ``{variable name: value}``.
        dropped: Parameters PyTorch stores that Keras has no variable for.
        problem: ``problem(layer)``: why the layer cannot hold PyTorch's
            weights at all, or ``None``.
    """

    name: str
    module: str
    rules: Callable[[Any, set[str]], list[Rule]]
    to_torch: Callable[[Any, dict[str, np.ndarray]], dict[str, np.ndarray]]
    modules: int = 1
    dropped: tuple[str, ...] = ()
    problem: Callable[[Any], str | None] = lambda layer: None


def _with_bias(rules: list[Rule], params: set[str], source: str = "bias") -> list[Rule]:
    return [*rules, Rule("bias", (source,), _copy, _COPIED)]


def _dense_rules(layer: Any, params: set[str]) -> list[Rule]:
    rules = [Rule("kernel", ("weight",), tl.linear_to_keras, _TRANSPOSED)]
    return _with_bias(rules, params) if layer.use_bias else rules


def _dense_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {"weight": tl.linear_to_torch(values["kernel"])}
    if "bias" in values:
        out["bias"] = values["bias"]
    return out


_CONV_WHAT = "channels-first window to channels-last"


def _conv_rules(layer: Any, params: set[str]) -> list[Rule]:
    rules = [Rule("kernel", ("weight",), tl.conv_to_keras, _CONV_WHAT)]
    return _with_bias(rules, params) if layer.use_bias else rules


def _conv_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {"weight": tl.conv_to_torch(values["kernel"])}
    if "bias" in values:
        out["bias"] = values["bias"]
    return out


def _depthwise_rules(layer: Any, params: set[str]) -> list[Rule]:
    channels = layer.kernel.shape[-2]

    def convert(weight: np.ndarray) -> np.ndarray:
        return tl.depthwise_to_keras(weight, channels)

    rules = [Rule("kernel", ("weight",), convert, f"depthwise, split into {channels} channels")]
    return _with_bias(rules, params) if layer.use_bias else rules


def _depthwise_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {"weight": tl.depthwise_to_torch(values["kernel"])}
    if "bias" in values:
        out["bias"] = values["bias"]
    return out


def _separable_rules(layer: Any, params: set[str]) -> list[Rule]:
    channels = layer.depthwise_kernel.shape[-2]

    def depthwise(weight: np.ndarray) -> np.ndarray:
        return tl.depthwise_to_keras(weight, channels)

    rules = [
        Rule("depthwise_kernel", ("depthwise.weight",), depthwise, "depthwise"),
        Rule("pointwise_kernel", ("pointwise.weight",), tl.conv_to_keras, _CONV_WHAT),
    ]
    return _with_bias(rules, params, "pointwise.bias") if layer.use_bias else rules


def _separable_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {
        "depthwise.weight": tl.depthwise_to_torch(values["depthwise_kernel"]),
        "pointwise.weight": tl.conv_to_torch(values["pointwise_kernel"]),
    }
    if "bias" in values:
        out["pointwise.bias"] = values["bias"]
    return out


_NORM = {"gamma": "weight", "beta": "bias"}
_STATS = {"moving_mean": "running_mean", "moving_variance": "running_var"}


def _norm_rules(names: dict[str, str]) -> Callable[[Any, set[str]], list[Rule]]:
    def rules(layer: Any, params: set[str]) -> list[Rule]:
        present = {v.path.rsplit("/", 1)[-1] for v in layer.weights}
        return [Rule(k, (t,), _copy, _COPIED) for k, t in names.items() if k in present]

    return rules


def _norm_torch(names: dict[str, str]) -> Callable[[Any, dict[str, np.ndarray]], dict]:
    def to_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {t: values[k] for k, t in names.items() if k in values}
        if "running_mean" in out:
            out["num_batches_tracked"] = np.zeros((), np.int64)
        return out

    return to_torch


def _embedding_rules(layer: Any, params: set[str]) -> list[Rule]:
    return [Rule("embeddings", ("weight",), _copy, _COPIED)]


def _embedding_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"weight": values["embeddings"]}


def _rnn_rules(cell: Any, prefix: str, suffix: str) -> list[Rule]:
    gru = isinstance(cell, L.GRUCell)
    kernel = tl.gru_kernel_to_keras if gru else tl.linear_to_keras
    bias = tl.gru_bias_to_keras if gru else tl.lstm_bias_to_keras
    gates = "gates r,z,n to z,r,h, transposed" if gru else _TRANSPOSED
    rules = [
        Rule(f"{prefix}kernel", (f"weight_ih{suffix}",), kernel, gates),
        Rule(f"{prefix}recurrent_kernel", (f"weight_hh{suffix}",), kernel, gates),
    ]
    if cell.use_bias:
        what = "gates r,z,n to z,r,h, stacked" if gru else "bias_ih + bias_hh"
        rules.append(Rule(f"{prefix}bias", (f"bias_ih{suffix}", f"bias_hh{suffix}"), bias, what))
    return rules


def _rnn_torch(cell: Any, values: dict[str, np.ndarray], prefix: str, suffix: str) -> dict:
    gru = isinstance(cell, L.GRUCell)
    kernel = tl.gru_kernel_to_torch if gru else tl.linear_to_torch
    out = {
        f"weight_ih{suffix}": kernel(values[f"{prefix}kernel"]),
        f"weight_hh{suffix}": kernel(values[f"{prefix}recurrent_kernel"]),
    }
    if f"{prefix}bias" in values:
        split = tl.gru_bias_to_torch if gru else tl.lstm_bias_to_torch
        out[f"bias_ih{suffix}"], out[f"bias_hh{suffix}"] = split(values[f"{prefix}bias"])
    return out


def _cell_problem(cell: Any) -> str | None:
    if isinstance(cell, L.GRUCell) and not cell.reset_after:
        return (
            "PyTorch's GRU applies the reset gate after the recurrent product: build the "
            "layer with `reset_after=True` (Keras's default)"
        )
    return None


def _bidirectional_problem(layer: Any) -> str | None:
    if not isinstance(layer.forward_layer, L.LSTM | L.GRU):
        return "only a Bidirectional LSTM or GRU has a PyTorch twin"
    return _cell_problem(layer.forward_layer.cell)


def _bidirectional_rules(layer: Any, params: set[str]) -> list[Rule]:
    return _rnn_rules(layer.forward_layer.cell, "forward/", "") + _rnn_rules(
        layer.backward_layer.cell, "backward/", "_reverse"
    )


def _bidirectional_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {
        **_rnn_torch(layer.forward_layer.cell, values, "forward/", ""),
        **_rnn_torch(layer.backward_layer.cell, values, "backward/", "_reverse"),
    }


_QKV = ("query", "key", "value")


def _attention_rules(layer: Any, params: set[str]) -> list[Rule]:
    heads = layer.num_heads

    def part(i: int, convert: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        return lambda packed: convert(tl.split_rows(packed, i, 3), heads)

    rules = []
    packed = "in_proj_weight" in params
    for i, name in enumerate(_QKV):
        if packed:
            kernel = Rule(
                f"{name}/kernel",
                ("in_proj_weight",),
                part(i, tl.projection_to_keras),
                f"part {i + 1} of 3, transposed, split into {heads} heads",
            )
        else:
            kernel = Rule(
                f"{name}/kernel",
                (f"{name[0]}_proj_weight",),
                lambda w: tl.projection_to_keras(w, heads),
                f"transposed, split into {heads} heads",
            )
        rules.append(kernel)
        if layer.use_bias:
            rules.append(
                Rule(
                    f"{name}/bias",
                    ("in_proj_bias",),
                    part(i, tl.head_bias_to_keras),
                    f"part {i + 1} of 3, split into {heads} heads",
                )
            )
    rules.append(
        Rule(
            "output/kernel",
            ("out_proj.weight",),
            lambda w: tl.output_projection_to_keras(w, heads),
            f"transposed, split into {heads} heads",
        )
    )
    if layer.use_bias:
        rules.append(Rule("output/bias", ("out_proj.bias",), _copy, _COPIED))
    return rules


def _attention_torch(layer: Any, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    kernels = [tl.projection_to_torch(values[f"{name}/kernel"]) for name in _QKV]
    out = {}
    if len({k.shape for k in kernels}) == 1 and kernels[0].shape[0] == kernels[0].shape[1]:
        out["in_proj_weight"] = np.concatenate(kernels)
    else:
        out.update({f"{n[0]}_proj_weight": k for n, k in zip(_QKV, kernels, strict=True)})
    if "query/bias" in values:
        out["in_proj_bias"] = np.concatenate([values[f"{n}/bias"].reshape(-1) for n in _QKV])
        out["out_proj.bias"] = values["output/bias"]
    out["out_proj.weight"] = tl.output_projection_to_torch(values["output/kernel"])
    return out


def _attention_problem(layer: Any) -> str | None:
    if layer._key_dim != layer._value_dim:
        return "nn.MultiheadAttention has one head size: build the layer with value_dim=key_dim"
    return None


_CONV_KIND = Kind("conv", "conv", _conv_rules, _conv_torch)
_RNN_KIND = Kind(
    "rnn",
    "rnn",
    lambda layer, params: _rnn_rules(layer.cell, "", ""),
    lambda layer, values: _rnn_torch(layer.cell, values, "", ""),
    problem=lambda layer: _cell_problem(layer.cell),
)
_AFFINE = Kind("norm", "affine", _norm_rules(_NORM), _norm_torch(_NORM))

# The most specific class first: a subclass matches its own entry before its base's.
KINDS: tuple[tuple[type, Kind], ...] = (
    (L.Dense, Kind("dense", "matrix", _dense_rules, _dense_torch)),
    (L.Embedding, Kind("embedding", "matrix", _embedding_rules, _embedding_torch)),
    (L.SeparableConv1D, Kind("separable", "conv", _separable_rules, _separable_torch, 2)),
    (L.SeparableConv2D, Kind("separable", "conv", _separable_rules, _separable_torch, 2)),
    (L.DepthwiseConv1D, Kind("depthwise", "conv", _depthwise_rules, _depthwise_torch)),
    (L.DepthwiseConv2D, Kind("depthwise", "conv", _depthwise_rules, _depthwise_torch)),
    (L.Conv1DTranspose, _CONV_KIND),
    (L.Conv2DTranspose, _CONV_KIND),
    (L.Conv3DTranspose, _CONV_KIND),
    (L.Conv1D, _CONV_KIND),
    (L.Conv2D, _CONV_KIND),
    (L.Conv3D, _CONV_KIND),
    (
        L.BatchNormalization,
        Kind(
            "batchnorm",
            "batchnorm",
            _norm_rules({**_NORM, **_STATS}),
            _norm_torch({**_NORM, **_STATS}),
            dropped=("num_batches_tracked",),
        ),
    ),
    (L.LayerNormalization, _AFFINE),
    (L.GroupNormalization, _AFFINE),
    (L.LSTM, _RNN_KIND),
    (L.GRU, _RNN_KIND),
    (
        L.Bidirectional,
        Kind(
            "bidirectional",
            "rnn",
            _bidirectional_rules,
            _bidirectional_torch,
            problem=_bidirectional_problem,
        ),
    ),
    (
        L.MultiHeadAttention,
        Kind(
            "attention", "attention", _attention_rules, _attention_torch, problem=_attention_problem
        ),
    ),
)


def kind_of(layer: Any) -> Kind | None:
    """The :class:`Kind` of ``layer``, or ``None`` when it has no PyTorch twin."""
    for cls, kind in KINDS:
        if type(layer) is cls:
            return kind
    for cls, kind in KINDS:
        if isinstance(layer, cls):
            return kind
    return None


def layer_variables(layer: Any) -> dict[str, Any]:
    """``{name: variable}`` of a layer with a :class:`Kind`, named as its rules name them."""
    if isinstance(layer, L.Bidirectional):
        return {
            f"{side}/{v.path.rsplit('/', 1)[-1]}": v
            for side, sub in (("forward", layer.forward_layer), ("backward", layer.backward_layer))
            for v in sub.weights
        }
    if isinstance(layer, L.MultiHeadAttention):
        subs = {
            "query": layer.query_dense,
            "key": layer.key_dense,
            "value": layer.value_dense,
            "output": layer.output_dense,
        }
        return {f"{n}/{v.path.rsplit('/', 1)[-1]}": v for n, s in subs.items() for v in s.weights}
    return {v.path.rsplit("/", 1)[-1]: v for v in layer.weights}
