"""``GraphOp``: an op of ``heft.ops`` applied to symbolic tensors, kept as a graph node.

``y = heft.ops.concatenate([a, b], axis=-1)`` or ``y = x * 2`` on ``KerasTensor``s
records a node in the Functional graph, as Keras 3 does. A ``GraphOp`` is a
``heft.Operation``, not a layer: it has no weights and is not one of
``model.layers``; it is in ``model.operations`` and in the model's config, in
Keras's form (``keras.src.ops.<module>``, the op's class
name, its static arguments in ``config`` and its tensor arguments in
``inbound_nodes``), so configs move between heft and Keras.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import _naming, _scope, _symbolic
from .._operation import Operation

# Argument names that Keras's op classes take in ``call`` (the rest go to ``__init__``).
_CALL_ARGUMENTS = frozenset(
    {
        "x", "x1", "x2", "xs", "y", "a", "b", "key", "inputs", "condition", "indices",
        "values", "updates", "start_indices", "target", "output", "elements", "arrays",
        "tensors", "lhs", "rhs", "operands", "kernel", "bias", "mean", "variance",
        "offset", "scale", "labels", "logits", "data", "segment_ids", "predictions",
        "targets", "sample_weight", "q", "k", "v", "query", "value", "mask", "weights",
        "condlist", "choicelist", "x_min", "x_max", "tensor", "arr", "ary",
        "depthwise_kernel", "pointwise_kernel", "target_length", "output_length",
        "sequence_lengths", "abs_", "angle",
    }
)  # fmt: skip

_KERAS_MODULES = {
    "nn": (
        "celu elu gelu glu hard_shrink hard_sigmoid hard_silu hard_tanh leaky_relu "
        "log_sigmoid log_softmax relu relu6 selu sigmoid silu soft_shrink softmax softplus "
        "softsign sparse_plus sparse_sigmoid sparsemax squareplus tanh_shrink threshold "
        "binary_crossentropy categorical_crossentropy multi_hot one_hot psnr "
        "sparse_categorical_crossentropy batch_normalization layer_normalization moments "
        "normalize rms_normalization conv conv_transpose depthwise_conv separable_conv "
        "max_pool average_pool dot_product_attention ctc_loss ctc_decode swish hard_swish "
        "depth_to_space space_to_depth fold unfold polar"
    ),
    "core": (
        "cast saturate_cast scatter scatter_update slice slice_update stop_gradient unstack "
        "convert_to_tensor"
    ),
    "linalg": "cholesky cholesky_inverse det eig eigh inv lstsq lu_factor matrix_rank norm "
    "pinv qr solve solve_triangular svd",
    "math": "erf erfc erfinv rsqrt segment_max segment_min segment_prod segment_sum logdet "
    "cdist logsumexp in_top_k top_k fft fft2 rfft irfft stft istft extract_sequences "
    "ifft2 view_as_complex view_as_real",
    "einops": "rearrange",
    "image": "affine_transform crop_images elastic_transform extract_patches extract_patches_3d "
    "gaussian_blur hsv_to_rgb map_coordinates pad_images perspective_transform resize "
    "rgb_to_grayscale rgb_to_hsv scale_and_translate sobel_edges ssim",
}
_MODULE_OF = {op: module for module, names in _KERAS_MODULES.items() for op in names.split()}
_CLASS_OVERRIDES = {
    "swish": "Silu",
    "hard_swish": "HardSilu",
    "rgb_to_grayscale": "RGBToGrayscale",
    "rgb_to_hsv": "RGBToHSV",
    "hsv_to_rgb": "HSVToRGB",
    "ssim": "SSIM",
}
_CLASS_OVERRIDES.update(
    {op: op.upper() for op in ("fft", "fft2", "ifft2", "rfft", "irfft", "stft", "istft")}
)
_CLASS_OVERRIDES.update({"ctc_loss": "CTCLoss", "ctc_decode": "CTCDecode"})
_OP_OVERRIDES = {c: op for op, c in _CLASS_OVERRIDES.items()}
_OP_OVERRIDES.update({"Silu": "silu", "HardSilu": "hard_silu"})


def keras_class_name(op_name: str) -> str:
    """Keras's class for the op ``op_name`` (``get_item`` -> ``GetItem``)."""
    return _CLASS_OVERRIDES.get(op_name) or "".join(p.capitalize() for p in op_name.split("_"))


def op_name_of_class(class_name: str) -> str:
    """The heft op for a Keras op class name (``GetItem`` -> ``get_item``)."""
    return _OP_OVERRIDES.get(class_name) or _naming.to_snake_case(class_name)


def _resolve(op_name: str) -> Callable:
    from .. import ops

    fn = getattr(ops, op_name, None)
    if fn is None and _MODULE_OF.get(op_name) == "image":
        fn = getattr(ops.image, op_name, None)
    if fn is None or not callable(fn) or op_name.startswith("_"):
        raise ValueError(
            f"Unknown op '{op_name}': heft.ops has no such function, so this graph node "
            "cannot be rebuilt. Replace it with a layer, or write it as a custom layer."
        )
    return getattr(fn, "_heft_op", fn)


def _contains_symbolic(value: Any) -> bool:
    return _symbolic.any_symbolic(value)


class GraphOp(Operation):
    """A ``heft.ops`` function applied inside a Functional graph.

    Args:
        op: The name of the function in ``heft.ops`` (``"concatenate"``).
        static: Its non-tensor arguments by name (``{"axis": -1}``).
        name: The node's name; by default the op's name made unique (``add_1``).

    >>> import heft
    >>> x = heft.Input((3,))
    >>> y = heft.ops.concatenate([x, x * 2.0], axis=-1)
    >>> y.shape
    (None, 6)
    >>> [op.name for op in heft.Model(x, y).operations]
    ['input_layer', 'multiply', 'concatenate']
    """

    # The config is the op's static arguments (see `get_config`).
    _auto_config_from_init = False

    def __init__(self, op: str, static: dict[str, Any] | None = None, name: str | None = None):
        fn = _resolve(op)
        super().__init__(name=name or _naming.auto_name(keras_class_name(op)))
        self.op = op
        self.static = dict(static or {})
        self._fn = fn
        self._signature = inspect.signature(fn)

    def call(self, *args: Any, **kwargs: Any) -> Any:
        params = self._signature.parameters
        if any(p.kind is p.VAR_POSITIONAL for p in params.values()):
            return self._fn(*args, **kwargs, **self.static)
        free = [n for n in params if n not in self.static and n not in kwargs]
        if len(args) > len(free):
            raise TypeError(
                f"Op '{self.name}' ({self.op}) received {len(args)} positional "
                f"arguments but its op takes at most {len(free)} besides {sorted(self.static)}."
            )
        named = dict(zip(free, args, strict=False))
        return self._fn(**named, **kwargs, **self.static)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        # The op's own errors (mismatched shapes, bad arguments) reach the caller as they are.
        with _scope.StatelessScope():
            return _symbolic.compute_output_spec(self.call, args, kwargs)

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **self.static}

    def keras_module(self) -> str:
        return f"keras.src.ops.{_MODULE_OF.get(self.op, 'numpy')}"

    def keras_class_name(self) -> str:
        return keras_class_name(self.op)


def split_arguments(fn: Callable, args: tuple, kwargs: dict) -> tuple[tuple, dict, dict]:
    """Split a call of ``fn`` into tensor arguments (positional, then keyword) and static ones."""
    signature = inspect.signature(fn)
    if any(p.kind is p.VAR_POSITIONAL for p in signature.parameters.values()):
        return args, kwargs, {}
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise TypeError(f"{fn.__name__}(): {error}") from None
    call_args: list[Any] = []
    call_kwargs: dict[str, Any] = {}
    static: dict[str, Any] = {}
    positional = True
    for name, value in bound.arguments.items():
        kind = signature.parameters[name].kind
        if kind is inspect.Parameter.VAR_KEYWORD:
            static.update(value)
            continue
        if name in _CALL_ARGUMENTS or _contains_symbolic(value):
            if positional and kind is not inspect.Parameter.KEYWORD_ONLY:
                call_args.append(value)
            else:
                call_kwargs[name] = value
        else:
            static[name] = value
            positional = False
    return tuple(call_args), call_kwargs, static


def call_operation(op_name: str, fn: Callable, args: tuple, kwargs: dict) -> Any:
    """Apply the op ``op_name`` to symbolic arguments: a new ``GraphOp`` node."""
    call_args, call_kwargs, static = split_arguments(fn, args, kwargs)
    return GraphOp(op_name, static)(*call_args, **call_kwargs)
