"""``Dense``: ``activation(inputs @ kernel + bias)``."""

from __future__ import annotations

from typing import Any

import jax.numpy as jnp

from .._typing import Shape
from ._arguments import (
    KERNEL_BIAS_ARGUMENTS,
    KernelBiasArguments,
    argument_config,
    set_arguments,
)
from ._configured import KernelAttribute, configured_weight, optional_bias
from ._input_spec import InputSpec
from ._layer import Layer


class Dense(KernelAttribute, Layer, KernelBiasArguments):
    """A densely connected layer: ``activation(dot(inputs, kernel) + bias)``.

    The kernel has shape ``(input_dim, units)`` and acts on the last axis.

    Args:
        units: Size of the output's last axis (a positive int).
        activation: Activation name or function; ``None`` is linear.
        use_bias: Whether to add a bias vector.
        kernel_initializer: Initializer of the kernel.
        bias_initializer: Initializer of the bias.
        kernel_regularizer: Regularizer of the kernel.
        bias_regularizer: Regularizer of the bias.
        activity_regularizer: Regularizer of the output.
        kernel_constraint: Constraint applied to the kernel after each update.
        bias_constraint: Constraint applied to the bias after each update.
        **kwargs: Base layer arguments (``name``, ``dtype``, ``trainable``, ``input_shape``...).

    >>> import heft
    >>> layer = Dense(4)
    >>> layer(heft.ops.ones((2, 3))).shape
    (2, 4)
    >>> [w.name for w in layer.weights]
    ['kernel', 'bias']
    """

    units: int

    def __init__(
        self,
        units: int,
        activation: Any = None,
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        bias_regularizer: Any = None,
        activity_regularizer: Any = None,
        kernel_constraint: Any = None,
        bias_constraint: Any = None,
        lora_rank: int | None = None,
        lora_alpha: float | None = None,
        quantization_config: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if lora_rank is not None or lora_alpha is not None or quantization_config is not None:
            raise ValueError(
                f"Dense layer '{self.name}': LoRA (`lora_rank`, `lora_alpha`) and quantization "
                "(`quantization_config`) are not supported by heft. Remove these arguments."
            )
        if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
            raise ValueError(
                "Received an invalid value for `units`, expected a positive integer. "
                f"Received: units={units}"
            )
        set_arguments(self, locals(), ("units", *KERNEL_BIAS_ARGUMENTS))
        self.input_spec = InputSpec(min_ndim=2)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(
                f"The last dimension of the inputs to Dense layer '{self.name}' must be known "
                f"to build its kernel. Received: input_shape={input_shape}"
            )
        self._kernel = configured_weight(self, "kernel", (input_dim, self.units), "kernel")
        self.bias = optional_bias(self, (self.units,))
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})

    def call(self, inputs: Any, training: bool | None = None) -> Any:
        x = jnp.matmul(inputs, self._kernel.value)
        if self.bias is not None:
            x = x + self.bias.value
        return self.activation(x) if self.activation is not None else x

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*tuple(input_shape)[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(argument_config(self, ("units", *KERNEL_BIAS_ARGUMENTS)))
        config["quantization_config"] = None
        return config
