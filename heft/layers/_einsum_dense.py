"""``EinsumDense``: a dense layer whose contraction is any einsum equation with a kernel."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

import jax.numpy as jnp

from .. import activations, constraints, initializers, regularizers
from .._typing import Shape
from ._arguments import KernelBiasArguments, set_arguments, weight_arguments
from ._configured import KernelAttribute, configured_weight, optional_bias
from ._input_spec import InputSpec
from ._layer import Layer

_FORMS = (
    # (pattern, where the ellipsis sits)
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]+)\.\.\."), "right"),
)


class EinsumShapes(NamedTuple):
    """What an equation, a bias spec and an input shape imply for an ``EinsumDense``."""

    kernel_shape: tuple
    bias_shape: tuple | None
    output_shape: tuple
    input_axes: list[int]
    output_axes: list[int]


def _split_equation(equation: Any, where: str) -> tuple[str, str, str, str | None]:
    if isinstance(equation, str):
        for pattern, ellipsis in _FORMS:
            match = pattern.fullmatch(equation)
            if match:
                return match.group(1), match.group(2), match.group(3), ellipsis
    raise ValueError(
        f"Invalid einsum equation {equation!r} for {where}. Equations must be in the form "
        "[X],[Y]->[Z], ...[X],[Y]->...[Z], or [X]...,[Y]->[Z]... (letters only, the input "
        "first and the kernel second), e.g. 'ab,bc->ac' or '...b,bc->...c'."
    )


def analyze_einsum(
    equation: str,
    bias_axes: str | None,
    input_shape: Any,
    output_shape: Any,
    where: str = "EinsumDense",
) -> EinsumShapes:
    """Kernel, bias and full output shapes for ``equation`` applied to ``input_shape``.

    ``output_shape`` lists the output sizes after the batch axis and without the
    axes the ellipsis stands for (``None`` for sizes left unknown).

    Raises:
        ValueError: If the equation is malformed or disagrees with the shapes.
    """
    input_spec, kernel_spec, output_spec, ellipsis = _split_equation(equation, where)
    input_shape = tuple(input_shape)
    partial = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    elided = len(input_shape) - len(input_spec)
    if (ellipsis is None and elided != 0) or elided < 0:
        raise ValueError(
            f"The einsum equation {equation!r} of {where} names {len(input_spec)} input axes "
            f"('{input_spec}'), but the input has rank {len(input_shape)} "
            f"(input_shape={input_shape}). Pass inputs of rank {len(input_spec)}, or use an "
            "ellipsis ('...') for the extra axes."
        )
    if ellipsis == "left":
        full = [input_shape[0], *input_shape[1:elided], *partial]
        in_offset = out_offset = elided
    elif ellipsis == "right":
        full = [input_shape[0], *partial, *input_shape[len(input_shape) - elided :]]
        in_offset = out_offset = 0
    else:
        full = [input_shape[0], *partial]
        in_offset = out_offset = 0
    expected = len(output_spec) + (elided if ellipsis else 0)
    if len(full) != expected:
        raise ValueError(
            f"`output_shape`={tuple(partial)} of {where} does not fit the equation "
            f"{equation!r}: its output '{output_spec}' needs {len(output_spec) - 1} size(s) "
            f"after the batch axis (ellipsis axes excluded), but {len(partial)} were given. "
            "Give one size (or None) per output letter after the first."
        )
    in_dims = {c: input_shape[i + in_offset] for i, c in enumerate(input_spec)}
    out_dims = {c: full[i + out_offset] for i, c in enumerate(output_spec)}
    for c, size in in_dims.items():
        if c in out_dims and out_dims[c] is not None and out_dims[c] != size:
            raise ValueError(
                f"Input shape and output shape do not match at shared dimension '{c}' of the "
                f"equation {equation!r} in {where}. Input shape is {size}, and output shape "
                f"is {out_dims[c]}. Make `output_shape` agree with the input on that axis "
                "(or pass None there)."
            )
    for c in output_spec:
        if c not in in_dims and c not in kernel_spec:
            raise ValueError(
                f"Dimension '{c}' was specified in the output '{output_spec}' of the equation "
                f"{equation!r} in {where} but has no corresponding dim in the input spec "
                f"'{input_spec}' or weight spec '{kernel_spec}'."
            )
    kernel_shape, input_axes, output_axes = [], [], []
    for i, c in enumerate(kernel_spec):
        if c in out_dims:
            size = out_dims[c] if out_dims[c] is not None else in_dims.get(c)
            output_axes.append(i)
        elif c in in_dims:
            size = in_dims[c]
            input_axes.append(i)
        else:
            raise ValueError(
                f"Weight dimension '{c}' of the equation {equation!r} in {where} did not have "
                f"a match in either the input spec '{input_spec}' or the output spec "
                f"'{output_spec}'. For this layer, the weight must be fully specified."
            )
        if size is None:
            raise ValueError(
                f"The size of kernel dimension '{c}' of the equation {equation!r} in {where} "
                f"is unknown (input_shape={input_shape}, output_shape={tuple(partial)}). "
                "Give that size in `output_shape` or in the input shape."
            )
        kernel_shape.append(size)
    bias_shape = None
    if bias_axes is not None:
        for c in bias_axes:
            if c not in output_spec:
                raise ValueError(
                    f"Bias dimension '{c}' was requested, but is not part of the output spec "
                    f"'{output_spec}' of the equation {equation!r} in {where}. `bias_axes` "
                    "must only use letters of the output."
                )
        first = min(output_spec.index(c) for c in bias_axes)
        bias_shape = [out_dims[c] if c in bias_axes else 1 for c in output_spec[first:]]
        if None in bias_shape:
            raise ValueError(
                f"The size of a bias axis ('{bias_axes}') of the equation {equation!r} in "
                f"{where} is unknown (output_shape={tuple(partial)}). Give it in `output_shape`."
            )
        if ellipsis == "right":
            bias_shape += [1] * elided
        bias_shape = tuple(bias_shape)
    return EinsumShapes(tuple(kernel_shape), bias_shape, tuple(full), input_axes, output_axes)


class EinsumDense(KernelAttribute, Layer, KernelBiasArguments):
    """A dense layer computing ``activation(einsum(equation, inputs, kernel) + bias)``.

    The equation names the input's axes, then the kernel's, then the output's:
    ``"ab,bc->ac"`` is ``Dense``; ``"abc,cde->abde"`` projects a sequence to
    several heads; an ellipsis (``"...b,bc->...c"``) stands for any leading (or,
    as ``"ab...,bc->ac..."``, trailing) axes. The kernel's shape follows from the
    input shape and ``output_shape``.

    Args:
        equation: The einsum equation, input first and kernel second.
        output_shape: Output sizes after the batch axis, excluding ellipsis axes
            (an int for one axis; ``None`` for sizes the input decides, which stay
            unknown in symbolic shapes, as in Keras).
        activation: Activation name or function; ``None`` is linear.
        bias_axes: Output letters that get a bias (``None``: no bias).
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        kernel_constraint: Constraint of the kernel.
        bias_constraint: Constraint of the bias.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``activity_regularizer``...).

    >>> import heft
    >>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 2, 4), bias_axes="de")
    >>> layer(heft.ops.ones((1, 3, 5))).shape
    (1, 3, 2, 4)
    >>> [tuple(w.shape) for w in layer.weights]
    [(5, 2, 4), (2, 4)]
    """

    def __init__(
        self,
        equation: str,
        output_shape: Any,
        activation: Any = None,
        bias_axes: str | None = None,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        gptq_unpacked_column_size: int | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        unsupported = {
            "lora_rank": lora_rank,
            "lora_alpha": lora_alpha,
            "gptq_unpacked_column_size": gptq_unpacked_column_size,
            "quantization_config": quantization_config,
        }
        given = {k: v for k, v in unsupported.items() if v is not None}
        if given:
            raise ValueError(
                f"EinsumDense layer '{self.name}': LoRA and quantization arguments are not "
                f"supported by heft. Received: {given}. Remove these arguments."
            )
        _split_equation(equation, f"EinsumDense layer '{self.name}'")
        if bias_axes is not None and not isinstance(bias_axes, str):
            raise ValueError(
                f"`bias_axes` of EinsumDense layer '{self.name}' must be a string of output "
                f"letters (e.g. 'c') or None. Received: bias_axes={bias_axes!r}"
            )
        if isinstance(output_shape, int):
            self.partial_output_shape: tuple = (output_shape,)
        else:
            try:
                self.partial_output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(
                    f"`output_shape` of EinsumDense layer '{self.name}' must be an int or a "
                    f"sequence of ints/None. Received: output_shape={output_shape!r}"
                ) from None
        self.equation = equation
        self.bias_axes = bias_axes
        set_arguments(self, locals(), ("activation", *weight_arguments("kernel", "bias")))

    def _analyze(self, input_shape: Any) -> EinsumShapes:
        return analyze_einsum(
            self.equation,
            self.bias_axes,
            input_shape,
            self.partial_output_shape,
            f"EinsumDense layer '{self.name}'",
        )

    def build(self, input_shape: Any) -> None:
        shapes = self._analyze(input_shape)
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
            kernel_initializer.input_axes is None or kernel_initializer.output_axes is None
        ):
            # The fans of a kernel with several input or output axes are the products of
            # those axes' sizes, which the equation tells.
            config = kernel_initializer.get_config()
            config["seed"] = kernel_initializer.seed
            config["input_axes"] = shapes.input_axes
            config["output_axes"] = shapes.output_axes
            kernel_initializer = type(kernel_initializer).from_config(config)
        self.input_spec = InputSpec(ndim=len(input_shape))
        self._kernel = configured_weight(
            self, "kernel", shapes.kernel_shape, "kernel", initializer=kernel_initializer
        )
        self.bias = optional_bias(self, shapes.bias_shape)

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = jnp.einsum(self.equation, inputs, self._kernel.value)
        if self.bias is not None:
            x = x + self.bias.value
        return self.activation(x) if self.activation is not None else x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return self._analyze(input_shape).output_shape

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            {
                "output_shape": self.partial_output_shape,
                "equation": self.equation,
                "activation": activations.serialize(self.activation),
                "bias_axes": self.bias_axes,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
                "bias_regularizer": regularizers.serialize(self.bias_regularizer),
                "activity_regularizer": regularizers.serialize(self.activity_regularizer),
                "kernel_constraint": constraints.serialize(self.kernel_constraint),
                "bias_constraint": constraints.serialize(self.bias_constraint),
                "quantization_config": None,
            }
        )
        return config
